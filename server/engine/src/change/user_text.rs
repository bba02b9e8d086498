//! Text a person or an agent gives that taskmark writes into a tracker: a title, a priority, a
//! reason, a description. Every front door (the command line, an editor's command, an agent's
//! tool call) reaches the planners with these values as given, so they are checked here, once:
//! a value that lands on one line of a tracker must be one line of plain text, or it could
//! write a second `**Status**` line, a `**Completed**` stamp or a `**Plan**:` link that no
//! transition ever made (`--reason $'waiting\n- **Status**: [COMPLETED]'`).

use crate::change::Refusal;

/// The longest reason written into a field: a sentence or two, not a document.
const MAX_REASON_CHARS: usize = 500;

/// A title is one line of plain text: markdown in it would be read back as structure (a
/// marker, a link, a heading) by every store.
pub fn title(title: &str) -> Result<&str, Refusal> {
    one_line("title", title)
}

/// A value written on one line of every store (a title, a priority), where it may stand in a
/// heading or a Task Order line: plain text with no markdown at all.
pub fn one_line<'t>(what: &str, value: &'t str) -> Result<&'t str, Refusal> {
    let trimmed = value.trim();
    let bad = |why: &str| Err(Refusal::BadRequest(format!("the {what} {value:?} {why}")));
    if trimmed.is_empty() {
        return bad("is empty");
    }
    if breaks_a_line(trimmed) {
        return bad("has a line break or control character: it must be one line");
    }
    if trimmed.chars().count() > 200 {
        return bad("is over 200 characters: put the detail in --description");
    }
    if trimmed.contains(['[', ']', '`', '<', '>', '|']) || trimmed.contains("**") {
        return bad(
            "holds markdown (`[`, `]`, backticks, `**`, `<`, `>`, `|`) that the stores would read as structure",
        );
    }
    if trimmed.starts_with(['#', '-', '*', '+', '>']) {
        return bad("starts like a markdown heading or list item");
    }
    Ok(trimmed)
}

/// The reason a status asks for (`**Blocked**: waiting on the API`), written as the value of a
/// field line: one line, where markdown is only text (a field is read from the start of its
/// line), so a reason may quote a marker or a link.
pub fn reason(reason: &str) -> Result<&str, Refusal> {
    let trimmed = reason.trim();
    let bad = |why: &str| Err(Refusal::BadRequest(format!("the reason {reason:?} {why}")));
    if trimmed.is_empty() {
        return bad("is empty");
    }
    if breaks_a_line(trimmed) {
        return bad("has a line break or control character: it is written on the field's one line");
    }
    if trimmed.chars().count() > MAX_REASON_CHARS {
        return bad(&format!("is over {MAX_REASON_CHARS} characters: link to the detail instead"));
    }
    Ok(trimmed)
}

/// A field a new task is given by name (`Language`, `Effort`), written `- **Name**: value`:
/// the name is plain one-line text without `:`, and not one of the fields taskmark writes from
/// its own options (the refusal names the option); the value is written like a reason.
pub fn field<'t>(name: &'t str, value: &'t str) -> Result<(&'t str, &'t str), Refusal> {
    const OWN: [(&str, &str); 7] = [
        ("status", "status"),
        ("priority", "priority"),
        ("dependencies", "depends-on"),
        ("depends on", "depends-on"),
        ("description", "description"),
        ("plan", "plan"),
        ("acceptance criteria", "criterion"),
    ];
    let name = one_line("field name", name)?;
    if name.contains(':') || name.chars().count() > 40 {
        return Err(Refusal::BadRequest(format!("the field name {name:?} has a `:` or is over 40 characters")));
    }
    if let Some((_, option)) = OWN.iter().find(|(own, _)| own.eq_ignore_ascii_case(name)) {
        return Err(Refusal::BadRequest(format!("the field {name:?} is written from its own option: use {option}")));
    }
    if crate::parse::is_timestamp_key(name) {
        return Err(Refusal::BadRequest(format!("the field {name:?} is a timestamp taskmark writes itself")));
    }
    let value = reason(value).map_err(|_| {
        Refusal::BadRequest(format!(
            "the value of the field {name:?} must be one non-empty line of at most {MAX_REASON_CHARS} characters"
        ))
    })?;
    Ok((name, value))
}

/// An item of a checklist (an acceptance criterion), written `  - [ ] item`: one line, where
/// inline markdown (code, links) is fine, but not a line break, a comment or a heading.
pub fn list_item<'t>(what: &str, item: &'t str) -> Result<&'t str, Refusal> {
    let trimmed = reason(item).map_err(|_| {
        Refusal::BadRequest(format!(
            "the {what} {item:?} must be one non-empty line of at most {MAX_REASON_CHARS} characters"
        ))
    })?;
    if trimmed.contains("<!--") || trimmed.starts_with('#') {
        return Err(Refusal::BadRequest(format!("the {what} {item:?} holds a comment or starts like a heading")));
    }
    Ok(trimmed)
}

/// A description is plain text too, but may have several lines: they are joined into one
/// paragraph. Gives `None` for none or an empty one.
pub fn description(description: Option<&str>) -> Result<Option<String>, Refusal> {
    let Some(text) = description.map(str::trim).filter(|it| !it.is_empty()) else { return Ok(None) };
    let bad = |why: &str| Err(Refusal::BadRequest(format!("the description {why}")));
    if text.chars().any(|it| it != '\n' && it != '\r' && is_line_breaking(it)) {
        return bad("holds a control character or a Unicode line separator");
    }
    if text.lines().any(|it| it.trim() == "---") {
        return bad("holds a `---` line, which would end the task's section");
    }
    if text.lines().any(|it| it.trim_start().starts_with('#')) {
        return bad("holds a markdown heading, which would start a new section");
    }
    if text.contains("<!--") {
        return bad("holds an HTML comment (`<!--`), which could hide text or forge a section marker");
    }
    Ok(Some(text.lines().map(str::trim).filter(|it| !it.is_empty()).collect::<Vec<_>>().join(" ")))
}

/// A checked description as the first line of a markdown paragraph of its own (Backlog.md's
/// `## Description`, a spec's body): a leading list marker, quote, table pipe, fence or
/// ordered-list number is escaped with a backslash, so `- [x] done` stays text and does not
/// become a checked box the tracker counts.
pub fn paragraph(description: &str) -> String {
    let digits = description.len() - description.trim_start_matches(|it: char| it.is_ascii_digit()).len();
    let rest = &description[digits..];
    if digits > 0 && rest.starts_with(['.', ')']) {
        return format!("{}\\{rest}", &description[..digits]);
    }
    if digits == 0 && description.starts_with(['-', '*', '+', '>', '|', '=', '`', '~', '_']) {
        return format!("\\{description}");
    }
    description.to_string()
}

/// Whether `text` holds anything that ends a line for some reader: a control character (line
/// feed, carriage return, tab, form feed, NEL, ...) or a Unicode line or paragraph separator.
fn breaks_a_line(text: &str) -> bool {
    text.chars().any(is_line_breaking)
}

fn is_line_breaking(it: char) -> bool {
    it.is_control() || it == '\u{2028}' || it == '\u{2029}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_one_line_and_may_quote_markdown() {
        assert_eq!(reason("  waits on `[API]` v2 **soon** ").unwrap(), "waits on `[API]` v2 **soon**");
        for forged in [
            "waiting\n- **Status**: [COMPLETED]",
            "waiting\r- **Completed**: 2026-01-01",
            "waiting\u{2028}- **Plan**: [plan](x.md)",
            "waiting\u{85}x",
            "tab\there",
            "",
            "   ",
        ] {
            assert!(reason(forged).is_err(), "{forged:?}");
        }
        assert!(reason(&"x".repeat(MAX_REASON_CHARS + 1)).is_err());
    }

    #[test]
    fn a_description_is_one_paragraph_that_starts_no_structure() {
        assert_eq!(description(Some(" one\n\n two \r\n")).unwrap().as_deref(), Some("one two"));
        assert_eq!(description(Some("  ")).unwrap(), None);
        for forged in ["a\n# heading", "a\n---\nb", "x <!-- SECTION:DESCRIPTION:END --> y", "a\u{2029}b"] {
            assert!(description(Some(forged)).is_err(), "{forged:?}");
        }
        assert_eq!(paragraph("- [x] done"), "\\- [x] done");
        assert_eq!(paragraph("12. [x] done"), "12\\. [x] done");
        assert_eq!(paragraph("12 apples"), "12 apples");
        assert_eq!(paragraph("plain"), "plain");
    }
}
