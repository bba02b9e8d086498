//! The merge's view of a text as lines: line breaks taken off and put back the way the file
//! writes them, and the commas of pretty-printed JSON taken off so that appending an entry (which
//! adds a comma to the line before) is not a change of that line.

/// How a text breaks its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineBreaks {
    Lf,
    Crlf,
    /// Both: the merge keeps every byte as it is.
    Mixed,
    /// No line break at all: either style fits.
    None,
}

impl LineBreaks {
    pub fn of(text: &str) -> LineBreaks {
        let crlf = text.matches("\r\n").count();
        let lf = text.matches('\n').count();
        match (crlf, lf) {
            (0, 0) => LineBreaks::None,
            (0, _) => LineBreaks::Lf,
            (crlf, lf) if crlf == lf => LineBreaks::Crlf,
            _ => LineBreaks::Mixed,
        }
    }

    /// The style of the merged file: ours, unless ours kept the ancestor's and theirs changed it
    /// (a conversion on their side is a change like any other).
    pub fn merged(base: LineBreaks, ours: LineBreaks, theirs: LineBreaks) -> LineBreaks {
        let known = |it: LineBreaks| it != LineBreaks::None;
        match (known(ours), known(theirs)) {
            (true, true) if ours == base => theirs,
            (true, _) => ours,
            (false, true) => theirs,
            (false, false) => base,
        }
    }
}

/// Splits a text into lines, each with its `\n` (the last one may have none).
pub fn split(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The line without its line break.
pub fn content(line: &str) -> &str {
    line.strip_suffix('\n').unwrap_or(line)
}

/// Whether a line of pretty-printed JSON ends a value (a string, number, literal, object or
/// array; or one of the merge's placeholders, which stand for values).
fn ends_value(line: &str) -> bool {
    let trimmed = line.trim_end();
    trimmed.ends_with(['"', '}', ']', 'e', 'l', crate::merge::SLOT_END])
        || trimmed.ends_with(|c: char| c.is_ascii_digit())
}

/// Whether a line of pretty-printed JSON starts a value or a property.
fn starts_value(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with(['"', '{', '[', '-', 't', 'f', 'n', crate::merge::SLOT_START])
        || trimmed.starts_with(|c: char| c.is_ascii_digit())
}

/// The lines with the comma that ends each one taken off (line breaks kept).
pub fn strip_commas(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let (body, eol) = split_eol(line);
            let trimmed = body.trim_end();
            match trimmed.strip_suffix(',') {
                Some(rest) if trimmed.len() == body.len() => format!("{rest}{eol}"),
                _ => line.clone(),
            }
        })
        .collect()
}

/// Puts back the comma after every line that ends a value followed (after blank lines and
/// conflict markers) by a line that starts one. The inverse of [`strip_commas`] on
/// pretty-printed JSON, one value or property per line; the merge checks that it is on each
/// side before relying on it.
pub fn restore_commas(lines: &[String], is_marker: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        if is_marker(line) || line.trim().is_empty() || !ends_value(split_eol(line).0) {
            out.push(line.clone());
            continue;
        }
        let next = lines[index + 1..].iter().find(|it| !it.trim().is_empty() && !is_marker(it));
        if next.is_some_and(|it| starts_value(it)) {
            let (body, eol) = split_eol(line);
            out.push(format!("{body},{eol}"));
        } else {
            out.push(line.clone());
        }
    }
    out
}

fn split_eol(line: &str) -> (&str, &str) {
    match line.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (line, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(text: &str) -> Vec<String> {
        split(text).into_iter().map(str::to_string).collect()
    }

    #[test]
    fn line_break_styles() {
        assert_eq!(LineBreaks::of("a\r\nb\r\n"), LineBreaks::Crlf);
        assert_eq!(LineBreaks::of("a\nb"), LineBreaks::Lf);
        assert_eq!(LineBreaks::of("a\r\nb\n"), LineBreaks::Mixed);
        assert_eq!(LineBreaks::of("a"), LineBreaks::None);
        let (lf, crlf) = (LineBreaks::Lf, LineBreaks::Crlf);
        assert_eq!(LineBreaks::merged(crlf, crlf, crlf), crlf);
        assert_eq!(LineBreaks::merged(lf, lf, crlf), crlf, "theirs converted the file");
        assert_eq!(LineBreaks::merged(lf, crlf, lf), crlf, "ours converted the file");
        assert_eq!(LineBreaks::merged(LineBreaks::None, LineBreaks::None, crlf), crlf);
    }

    #[test]
    fn commas_come_off_and_back_on_pretty_printed_json() {
        let text = "{\n  \"a\": [\n    {\n      \"n\": 1,\n      \"s\": \"x\"\n    },\n    {\n      \"n\": 2\n    }\n  ],\n  \"b\": true\n}\n";
        let lines = owned(text);
        let stripped = strip_commas(&lines);
        assert!(stripped.iter().all(|it| !it.trim_end().ends_with(',')));
        assert_eq!(restore_commas(&stripped, &|_| false).concat(), text);
    }

    #[test]
    fn an_entry_appended_gets_its_comma() {
        let lines = owned("[\n  {\n    \"n\": 1\n  }\n  {\n    \"n\": 2\n  }\n]\n");
        assert_eq!(
            restore_commas(&lines, &|_| false).concat(),
            "[\n  {\n    \"n\": 1\n  },\n  {\n    \"n\": 2\n  }\n]\n"
        );
    }
}
