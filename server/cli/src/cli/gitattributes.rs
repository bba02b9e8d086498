//! The syntax of a `.gitattributes` line, as git reads it (gitattributes(5), and git's `attr.c`
//! where the manual is silent): leading blanks are skipped, a line whose first character is
//! then `#` is a comment, the pattern ends at the first blank unless it starts with `"` (then it
//! is C-quoted: `\"`, `\\`, `\n`, `\t`, octal `\303`...), and the attributes follow, separated
//! by blanks. The pattern is a gitignore-style glob (wildmatch), in which `\` makes the next
//! character literal; a leading `!` would be a negation, which gitattributes refuses; git
//! ignores a line of 2048 bytes or more. A folder name can hold any of these characters: each
//! is escaped, so that a pattern matches exactly the paths it names.

/// What separates a pattern from its attributes, and the attributes from one another.
const BLANKS: &[char] = &[' ', '\t', '\r', '\n'];

/// Git ignores a line this long or longer (`ATTR_MAX_LINE_LENGTH` in `attr.c`).
const MAX_LINE_BYTES: usize = 2048;

/// `text` as a glob that matches only itself: `*`, `?`, `[` and `\` escaped.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A pattern as it must start a line: a leading `#` (a comment) or `!` (a negation) escaped.
pub fn line_start(pattern: String) -> String {
    if pattern.starts_with(['#', '!']) { format!("\\{pattern}") } else { pattern }
}

/// The line that gives `pattern` the attribute `attribute`: the pattern C-quoted when it holds
/// a blank, a quote or a control character (or starts with a quote). Refused when git would
/// ignore the line for its length.
pub fn line(pattern: &str, attribute: &str) -> Result<String, String> {
    let line = format!("{} {attribute}", shown(pattern));
    if line.len() >= MAX_LINE_BYTES {
        return Err(format!(
            "its .gitattributes line would be {} bytes long, and git ignores lines of {MAX_LINE_BYTES} bytes or more",
            line.len()
        ));
    }
    Ok(line)
}

/// `pattern` as a line holds it: C-quoted when it holds a blank, a quote or a control
/// character (or starts with a quote), else as it is.
pub fn shown(pattern: &str) -> String {
    let needs_quotes = pattern.starts_with('"') || pattern.chars().any(|c| c == '"' || c.is_control() || c == ' ');
    if needs_quotes { c_quoted(pattern) } else { pattern.to_string() }
}

/// The pattern and the attributes of each line of `text` that is not blank or a comment, the
/// pattern unquoted; macro definitions (`[attr]name ...`) are left out.
pub fn entries(text: &str) -> impl Iterator<Item = (String, Vec<&str>)> {
    text.split('\n').filter_map(|line| {
        let line = line.trim_start_matches(BLANKS);
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        // A pattern git cannot unquote is read as it is, up to the first blank, as git reads it.
        let (pattern, rest) = c_unquoted(line).unwrap_or_else(|| {
            let end = line.find(BLANKS).unwrap_or(line.len());
            (line[..end].to_string(), &line[end..])
        });
        if pattern.starts_with("[attr]") {
            return None;
        }
        Some((pattern, rest.split(BLANKS).filter(|it| !it.is_empty()).collect()))
    })
}

/// `text` between double quotes, escaped as git's `quote_c_style` does.
fn c_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => out.push_str(&format!("\\{:03o}", c as u32)),
            // Any other character, non-ASCII included, is read as it is between the quotes.
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A C-quoted string at the start of `line` and what follows it, as git's `unquote_c_style`
/// reads it; `None` when `line` does not start with one that git can read.
fn c_unquoted(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix('"')?;
    let bytes = rest.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(rest.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), &rest[at + 1..])),
            b'\\' => {
                let escaped = *bytes.get(at + 1)?;
                let simple = match escaped {
                    b'a' => Some(7),
                    b'b' => Some(8),
                    b'f' => Some(12),
                    b'n' => Some(b'\n'),
                    b'r' => Some(b'\r'),
                    b't' => Some(b'\t'),
                    b'v' => Some(11),
                    b'\\' | b'"' => Some(escaped),
                    _ => None,
                };
                if let Some(byte) = simple {
                    out.push(byte);
                    at += 2;
                    continue;
                }
                // Three octal digits, the first at most 3.
                let digits = bytes.get(at + 1..at + 4)?;
                if !(b'0'..=b'3').contains(&digits[0]) || !digits[1..].iter().all(|it| (b'0'..=b'7').contains(it)) {
                    return None;
                }
                out.push(digits.iter().fold(0u8, |value, digit| (value << 3) | (digit - b'0')));
                at += 4;
            }
            byte => {
                out.push(byte);
                at += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_a_folder_name_can_hold_is_escaped_and_read_back() {
        for name in ["new\nline", "[ab]", "#hash", "!bang", "back\\slash", "sp ace", "tab\tx", "q\"uote", "ünï", "*?"]
        {
            let pattern = line_start(literal(&format!("{name}/TODO.md")));
            let line = line(&pattern, "merge=taskmark").expect("a line");
            assert_eq!(line.matches('\n').count(), 0, "{line}");
            assert!(!line.starts_with(['#', '!']), "{line}");
            let read: Vec<(String, Vec<&str>)> = entries(&line).collect();
            assert_eq!(read, [(pattern.clone(), vec!["merge=taskmark"])], "{line}");
        }
        assert_eq!(literal("a*b?[c]\\d"), "a\\*b\\?\\[c]\\\\d");
        assert_eq!(line("\\[ab] x/TODO.md", "merge=taskmark").as_deref(), Ok("\"\\\\[ab] x/TODO.md\" merge=taskmark"));
        assert!(line(&"x".repeat(2040), "merge=taskmark").is_err(), "git would ignore the line");
    }

    #[test]
    fn lines_are_read_as_git_reads_them() {
        let text = "*.png binary\n  specs/TODO.md merge=taskmark\n\"my notes/TODO.md\"\tmerge=taskmark -diff\n# specs/x merge=taskmark\n\\#x merge=taskmark\n[attr]m merge=taskmark\n\"\\303\\251\" a\n\"bad\\q x\" b\n";
        let read: Vec<(String, Vec<&str>)> = entries(text).collect();
        assert_eq!(
            read,
            [
                ("*.png".to_string(), vec!["binary"]),
                ("specs/TODO.md".to_string(), vec!["merge=taskmark"]),
                ("my notes/TODO.md".to_string(), vec!["merge=taskmark", "-diff"]),
                ("\\#x".to_string(), vec!["merge=taskmark"]),
                ("é".to_string(), vec!["a"]),
                ("\"bad\\q".to_string(), vec!["x\"", "b"]),
            ]
        );
    }
}
