//! What a line of a task says, as far as keeping both sides' lines goes. A field
//! (`- **Priority**: High`, `"priority": "high"`) holds one value: two sides that wrote it
//! differently said two things of one task, which only a person can settle. An item of a list
//! (`- [ ] step`, a plan link under `- **Plan**:`, an element of a JSON array) is one of many:
//! both sides' items are kept. Prose is someone's text: two texts written at one place are a
//! conflict too.

use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind<'a> {
    Blank,
    /// A field, by its name.
    Field(&'a str),
    Item,
    Prose,
}

/// What `line` is, in a markdown task or (`json`) a state.json entry.
pub fn kind(line: &str, json: bool) -> LineKind<'_> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return LineKind::Blank;
    }
    if json {
        // A property is a field; anything else in an entry (a brace, an array's element) is
        // structure or a list's element.
        return json_property(trimmed).map_or(LineKind::Item, LineKind::Field);
    }
    let (bullet, rest) = match list_marker(trimmed) {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    match markdown_field(rest) {
        Some(name) => LineKind::Field(name),
        None if bullet => LineKind::Item,
        None => LineKind::Prose,
    }
}

/// The name of a field, for lines that are one.
pub fn field_name(line: &str, json: bool) -> Option<&str> {
    match kind(line, json) {
        LineKind::Field(name) => Some(name),
        _ => None,
    }
}

/// What follows a list item's marker (`- `, `* `, `+ `, `1. `, `1) `), for lines that are one.
fn list_marker(line: &str) -> Option<&str> {
    if let Some(rest) = line.strip_prefix(['-', '*', '+']) {
        return (rest.is_empty() || rest.starts_with([' ', '\t'])).then(|| rest.trim_start());
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = line[digits..].strip_prefix(['.', ')'])?;
    (digits > 0 && (rest.is_empty() || rest.starts_with([' ', '\t']))).then(|| rest.trim_start())
}

/// `**Name**: value` or `**Name:** value`.
fn markdown_field(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("**")?;
    let end = rest.find("**")?;
    let (name, after) = (&rest[..end], &rest[end + 2..]);
    let name = match name.strip_suffix(':') {
        Some(name) => name,
        None if after.starts_with(':') => name,
        None => return None,
    };
    let name = name.trim();
    (!name.is_empty()).then_some(name)
}

fn json_property(trimmed: &str) -> Option<&str> {
    let rest = trimmed.strip_prefix('"')?;
    let end = rest.find('"')?;
    rest[end + 1..].trim_start().starts_with(':').then(|| &rest[..end])
}

/// Whether the lines two sides wrote at one place of a task can all be kept (each side's once):
/// unless both wrote a field of one name differently, or both wrote different prose.
pub fn both_kept<'a>(
    ours: impl IntoIterator<Item = &'a str>,
    theirs: impl IntoIterator<Item = &'a str>,
    json: bool,
) -> bool {
    let ours: Vec<&str> = ours.into_iter().collect();
    let theirs: Vec<&str> = theirs.into_iter().collect();
    let (in_ours, in_theirs): (HashSet<&str>, HashSet<&str>) =
        (ours.iter().copied().collect(), theirs.iter().copied().collect());
    let only = |lines: &[&'a str], other: &HashSet<&str>| -> Vec<LineKind<'a>> {
        lines.iter().filter(|it| !other.contains(*it)).map(|it| kind(it, json)).collect()
    };
    let (ours_only, theirs_only) = (only(&ours, &in_theirs), only(&theirs, &in_ours));
    let names = |kinds: &[LineKind<'a>]| -> HashSet<&'a str> {
        kinds.iter().filter_map(|it| if let LineKind::Field(name) = it { Some(*name) } else { None }).collect()
    };
    let prose = |kinds: &[LineKind<'_>]| kinds.contains(&LineKind::Prose);
    names(&ours_only).is_disjoint(&names(&theirs_only)) && !(prose(&ours_only) && prose(&theirs_only))
}

/// A field `merged` writes twice (outside its conflicts) that neither side wrote more than once:
/// lines merged apart from each other that still say two things of one task.
pub fn written_twice<'a>(
    merged: impl IntoIterator<Item = (&'a str, bool)>,
    ours: &'a [String],
    theirs: &'a [String],
    json: bool,
) -> Option<&'a str> {
    let mut in_conflict = false;
    let outside = merged.into_iter().filter_map(|(line, marker)| {
        if marker {
            // A conflict's start marker opens it, its end marker closes it.
            in_conflict = line.starts_with('<') || (in_conflict && !line.starts_with('>'));
            return None;
        }
        (!in_conflict).then_some(line)
    });
    let merged = field_counts(outside, json);
    let sides = [ours, theirs].map(|lines| field_counts(lines.iter().map(String::as_str), json));
    let mut twice: Vec<&str> = merged
        .into_iter()
        .filter(|(name, count)| *count > 1 && sides.iter().all(|side| side.get(name).copied().unwrap_or(0) <= 1))
        .map(|(name, _)| name)
        .collect();
    // The first by name, so that the same merge always says the same.
    twice.sort_unstable();
    twice.first().copied()
}

fn field_counts<'a>(lines: impl Iterator<Item = &'a str>, json: bool) -> HashMap<&'a str, usize> {
    let mut out = HashMap::new();
    for name in lines.filter_map(|line| field_name(line, json)) {
        *out.entry(name).or_default() += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_a_task_by_kind() {
        assert_eq!(kind("- **Priority**: High", false), LineKind::Field("Priority"));
        assert_eq!(kind(" **Status:** [BLOCKED]", false), LineKind::Field("Status"));
        assert_eq!(kind("**Description**: Sync the files.", false), LineKind::Field("Description"));
        assert_eq!(kind("- [ ] read the files", false), LineKind::Item);
        assert_eq!(kind("  - [implementation-002.md](plans/implementation-002.md)", false), LineKind::Item);
        assert_eq!(kind("2. second", false), LineKind::Item);
        assert_eq!(kind("Some words about it.", false), LineKind::Prose);
        assert_eq!(kind("**bold** words", false), LineKind::Prose);
        assert_eq!(kind("   ", false), LineKind::Blank);
        assert_eq!(kind("      \"priority\": \"high\"", true), LineKind::Field("priority"));
        assert_eq!(kind("        \"reports/a.md\"", true), LineKind::Item);
    }

    #[test]
    fn both_sides_lines_are_kept_unless_they_say_two_things_of_one_field() {
        assert!(both_kept(["- **Priority**: High"], ["- **Effort**: 1 hour"], false));
        assert!(!both_kept(["- **Priority**: High"], ["- **Priority**: Low"], false));
        assert!(both_kept(["- **Priority**: High"], ["- **Priority**: High"], false));
        assert!(both_kept(["- [ ] one"], ["- [ ] two"], false));
        assert!(!both_kept(["Ours says this."], ["Theirs says that."], false));
        assert!(both_kept(["Ours says this."], ["- [ ] a step"], false));
    }

    #[test]
    fn a_field_merged_in_twice_is_found_outside_conflicts_only() {
        let side = |lines: &[&str]| lines.iter().map(|it| it.to_string()).collect::<Vec<_>>();
        let (ours, theirs) = (side(&["- **Priority**: High"]), side(&["- **Priority**: Low"]));
        let twice = [("- **Priority**: High", false), ("- **Note**: x", false), ("- **Priority**: Low", false)];
        assert_eq!(written_twice(twice, &ours, &theirs, false), Some("Priority"));
        let conflict = [
            ("<<<<<<< ours", true),
            ("- **Priority**: High", false),
            ("=======", true),
            ("- **Priority**: Low", false),
            (">>>>>>> theirs", true),
        ];
        assert_eq!(written_twice(conflict, &ours, &theirs, false), None);
        let notes = side(&["- **Note**: a", "- **Note**: b"]);
        let notes_merged = [("- **Note**: a", false), ("- **Note**: b", false), ("- **Note**: c", false)];
        assert_eq!(written_twice(notes_merged, &notes, &theirs, false), None);
    }
}
