//! The JSON list each entry of a merged state.json sits in. The token merge works line by line:
//! when one side moves an entry to another list (archiving it into `completed_projects`) and
//! the other adds entries after it, the added entries end up after the moved one, in a list
//! neither side put them in, tasks not started among the completed ones, with no conflict to
//! show it. Each entry goes back to the list its side gave it.

use std::collections::HashMap;

use super::OwnedToken;

/// The list key (`active_projects`) of the innermost `"key": [` open around each entry of
/// `tokens`, by segment id; `""` for a list with no key, and for none.
fn lists_of(tokens: &[OwnedToken]) -> HashMap<usize, String> {
    let mut open: Vec<String> = Vec::new();
    let mut lists = HashMap::new();
    for token in tokens {
        match token {
            OwnedToken::Line(line) => {
                let line = line.trim();
                if let Some(key) = opening(line) {
                    open.push(key.to_string());
                } else if line.starts_with(']') {
                    open.pop();
                }
            }
            OwnedToken::Segment(id, _) | OwnedToken::Joined(id) => {
                lists.insert(*id, open.last().cloned().unwrap_or_default());
            }
        }
    }
    lists
}

/// The key of a line that opens a list (`"active_projects": [`, or `[` alone: `""`).
fn opening(line: &str) -> Option<&str> {
    let before = line.strip_suffix('[')?.trim_end();
    if before.is_empty() {
        return Some("");
    }
    before.strip_suffix(':')?.trim_end().strip_prefix('"')?.strip_suffix('"')
}

fn id_of(token: &OwnedToken) -> Option<usize> {
    match token {
        OwnedToken::Segment(id, _) | OwnedToken::Joined(id) => Some(*id),
        OwnedToken::Line(_) => None,
    }
}

/// Where the list `key` closes in `tokens` (the index of its `]` line).
fn end_of(tokens: &[OwnedToken], key: &str) -> Option<usize> {
    let mut open: Vec<bool> = Vec::new();
    for (at, token) in tokens.iter().enumerate() {
        let OwnedToken::Line(line) = token else { continue };
        let line = line.trim();
        if let Some(opened) = opening(line) {
            open.push(opened == key);
        } else if line.starts_with(']') && open.pop()? {
            return Some(at);
        }
    }
    None
}

/// `merged` with every entry in the list its side put it in: the list of the side that moved it
/// from where the common ancestor had it, or of the side that added it. `None` when such a list
/// is not there to take it (written `[]` on one line): the caller merges another way.
pub(super) fn relocate(mut merged: Vec<OwnedToken>, sides: &[Vec<OwnedToken>; 3]) -> Option<Vec<OwnedToken>> {
    let [base, ours, theirs] = [&sides[super::BASE], &sides[super::OURS], &sides[super::THEIRS]].map(|it| lists_of(it));
    let now = lists_of(&merged);
    let mut moves: Vec<(usize, String)> = Vec::new();
    for (id, list) in &now {
        let expected = match (ours.get(id), theirs.get(id)) {
            (Some(ours), Some(theirs)) if ours != theirs && base.get(id) == Some(ours) => theirs,
            (Some(ours), _) => ours,
            (None, Some(theirs)) => theirs,
            (None, None) => continue,
        };
        if expected != list {
            moves.push((*id, expected.clone()));
        }
    }
    // In the order they are in, so that entries moved to one list keep theirs.
    moves.sort_by_key(|(id, _)| merged.iter().position(|it| id_of(it) == Some(*id)));
    for (id, list) in moves {
        let at = merged.iter().position(|it| id_of(it) == Some(id))?;
        let token = merged.remove(at);
        let end = end_of(&merged, &list)?;
        merged.insert(end, token);
    }
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_s_opening_line_names_it() {
        assert_eq!(opening("\"active_projects\": ["), Some("active_projects"));
        assert_eq!(opening("["), Some(""));
        assert_eq!(opening("\"active_projects\": []"), None);
        assert_eq!(opening("\"note\": \"see [\""), None);
    }
}
