//! Reading and writing the text of a JSON object without re-serialising it: planners replace one
//! property's value or add one property, and every other byte (key order, spacing, unknown keys)
//! stays as the tracker wrote it.

/// A top-level property of an object's text: byte ranges into that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Property {
    pub key: String,
    /// The key with its quotes.
    pub key_start: usize,
    /// The value as written: a string with its quotes, an array with its brackets.
    pub value: (usize, usize),
    /// The whitespace before the key on its line (empty when something else precedes it).
    pub indent: String,
}

impl Property {
    pub fn raw<'t>(&self, object: &'t str) -> &'t str {
        &object[self.value.0..self.value.1]
    }
}

/// The properties of the object `object` (its text starts at `{`) at its top level, in order.
pub(crate) fn properties(object: &str) -> Vec<Property> {
    let bytes = object.as_bytes();
    let mut out = Vec::new();
    let Some(open) = object.find('{') else { return out };
    let mut at = open + 1;
    loop {
        at = skip_space(bytes, at);
        match bytes.get(at) {
            Some(b'"') => {}
            Some(b',') => {
                at += 1;
                continue;
            }
            _ => return out,
        }
        let key_start = at;
        let key_end = skip_value(bytes, at);
        let key = object.get(key_start + 1..key_end.saturating_sub(1)).unwrap_or("").to_string();
        at = skip_space(bytes, key_end);
        if bytes.get(at) != Some(&b':') {
            return out;
        }
        let value_start = skip_space(bytes, at + 1);
        let value_end = skip_value(bytes, value_start);
        if value_end <= value_start {
            return out;
        }
        out.push(Property {
            key,
            key_start,
            value: (value_start, value_end),
            indent: indentation_before(object, key_start),
        });
        at = value_end;
    }
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The end of the JSON value starting at `at`: past a string's closing quote, an array's or
/// object's closing bracket, or a scalar's last character.
fn skip_value(bytes: &[u8], start: usize) -> usize {
    let mut at = start;
    match bytes.get(at) {
        Some(b'"') => {
            at += 1;
            while at < bytes.len() && bytes[at] != b'"' {
                at += if bytes[at] == b'\\' { 2 } else { 1 };
            }
            (at + 1).min(bytes.len())
        }
        Some(b'[' | b'{') => {
            let mut depth = 0usize;
            while at < bytes.len() {
                match bytes[at] {
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return at + 1;
                        }
                    }
                    b'"' => {
                        at = skip_value(bytes, at);
                        continue;
                    }
                    _ => {}
                }
                at += 1;
            }
            bytes.len()
        }
        Some(_) => {
            while at < bytes.len() && !matches!(bytes[at], b',' | b'}' | b']') && !bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            at
        }
        None => at,
    }
}

/// `text` as a JSON string literal.
pub(crate) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for it in text.chars() {
        match it {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            it if (it as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", it as u32)),
            it => out.push(it),
        }
    }
    out.push('"');
    out
}

/// The whitespace between the start of the line and `at`, if only whitespace is there.
pub(crate) fn indentation_before(text: &str, at: usize) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |it| it + 1);
    let before = &text[line_start..at];
    if before.chars().all(char::is_whitespace) { before.to_string() } else { String::new() }
}

/// A dependency list as the tracker writes ids: numbers bare, anything else quoted.
pub(crate) fn id_array(ids: &[String]) -> String {
    let items: Vec<String> =
        ids.iter().map(|it| if it.bytes().all(|b| b.is_ascii_digit()) { it.clone() } else { string(it) }).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_at_the_top_level_with_whole_values() {
        let text = "{\n  \"a\": 1,\n  \"b\": {\"c\": \"x,}\"},\n  \"d\": \"q\\\"r\",\n  \"e\": [1, 2]\n}";
        let found = properties(text);
        let names: Vec<&str> = found.iter().map(|it| it.key.as_str()).collect();
        assert_eq!(names, ["a", "b", "d", "e"]);
        let raws: Vec<&str> = found.iter().map(|it| it.raw(text)).collect();
        assert_eq!(raws, ["1", "{\"c\": \"x,}\"}", "\"q\\\"r\"", "[1, 2]"]);
        assert_eq!(found[0].indent, "  ");
    }

    #[test]
    fn a_broken_object_yields_what_reads_before_the_break() {
        let found = properties("{\"a\": 1, \"b\" 2}");
        assert_eq!(found.len(), 1);
        assert!(properties("not json").is_empty());
        assert!(properties("{\"a\": ").is_empty());
    }

    #[test]
    fn strings_and_id_arrays_are_valid_json() {
        assert_eq!(string("a \"b\"\n"), "\"a \\\"b\\\"\\n\"");
        assert_eq!(id_array(&["5".into(), "task-2".into()]), "[5, \"task-2\"]");
    }
}
