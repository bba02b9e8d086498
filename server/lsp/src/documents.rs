//! The documents the editor has open: their text as the editor has it, kept in sync by
//! `didOpen`/`didChange`/`didClose`, applied strictly in arrival order.

use std::collections::HashMap;

use crate::engine::text::{self, LineIndex, Position, PositionEncoding};

#[derive(Debug, Clone)]
pub struct Document {
    pub version: i32,
    /// Changed only through [`Documents`], which keeps `lines` and `changed` with it.
    pub text: String,
    /// Where each line of `text` starts: a ranged change finds its offsets here, where
    /// scanning the text up to them cost a keystroke near the end of a 16 MB TODO.md 3 ms.
    lines: LineIndex,
    /// What the changes since the text was last taken ([`Documents::take_change`]) replaced,
    /// as one change of the text then.
    changed: Option<text::Change>,
}

impl Document {
    fn new(version: i32, mut text: String) -> Document {
        with_room(&mut text);
        Document { version, lines: LineIndex::new(&text), text, changed: None }
    }
}

/// Room to type in: a text sent whole has no spare capacity, and the first character typed
/// into a 3 MB TODO.md otherwise moves all of it into fresh memory.
fn with_room(text: &mut String) {
    text.reserve((text.len() / 64).clamp(64, 256 << 10));
}

/// A ranged or whole-text change, in the client's position encoding.
#[derive(Debug, Clone)]
pub struct Change {
    pub range: Option<(Position, Position)>,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Documents {
    /// By URI as the client sent it.
    open: HashMap<String, Document>,
}

impl Documents {
    /// No document is open (an agent's session, a command line's).
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    pub fn open(&mut self, uri: &str, version: i32, text: String) {
        self.open.insert(uri.to_string(), Document::new(version, text));
    }

    pub fn close(&mut self, uri: &str) -> Option<Document> {
        self.open.remove(uri)
    }

    pub fn get(&self, uri: &str) -> Option<&Document> {
        self.open.get(uri)
    }

    pub fn uris(&self) -> impl Iterator<Item = &str> {
        self.open.keys().map(String::as_str)
    }

    /// Applies `changes` in order (each range refers to the text after the previous change).
    /// Ranges out of bounds are clamped, as the conversion does everywhere. Returns an error for
    /// a change to a document that is not open.
    pub fn change(
        &mut self,
        uri: &str,
        version: i32,
        changes: Vec<Change>,
        encoding: PositionEncoding,
    ) -> Result<(), String> {
        let document = self.open.get_mut(uri).ok_or_else(|| format!("didChange for {uri}, which is not open"))?;
        for change in changes {
            let replaced = match change.range {
                None => {
                    // A whole text is mostly the text the document holds (a client without
                    // ranged sync, a clean buffer read again after a write): what differs is
                    // all that changed, and the same text sent again changes nothing, where
                    // the whole of a 3 MB TODO.md would be parsed again.
                    let replaced = text::Change::between(&document.text, &change.text);
                    document.lines = document.lines.edited(&change.text, replaced);
                    document.text = change.text;
                    with_room(&mut document.text);
                    replaced
                }
                Some((start, end)) => {
                    let offset = |at| usize::from(text::offset(&document.text, &document.lines, at, encoding));
                    let (start, end) = (offset(start), offset(end));
                    let end = end.max(start);
                    document.text.replace_range(start..end, &change.text);
                    let replaced = text::Change { start, old_end: end, new_end: start + change.text.len() };
                    document.lines = document.lines.edited(&document.text, replaced);
                    replaced
                }
            };
            document.changed = Some(document.changed.map_or(replaced, |before| before.then(replaced)));
        }
        document.version = version;
        Ok(())
    }

    /// The document's text with what changed in it since the last call (for the document as
    /// opened: nothing), as one change of the text then. For the one reader that follows the
    /// document's changes, which checks that it has the text the change starts from.
    pub fn take_change(&mut self, uri: &str) -> Option<(&Document, Option<text::Change>)> {
        let document = self.open.get_mut(uri)?;
        let changed = document.changed.take();
        Some((document, changed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn ranged_changes_apply_in_order_in_either_encoding() {
        let mut documents = Documents::default();
        documents.open("file:///a.md", 1, "- **Status**: [PLANNED] 🚀 é\nnext\n".into());
        // UTF-16: the rocket is two code units, `é` one.
        let change = Change { range: Some((at(0, 27), at(0, 28))), text: "e".into() };
        documents.change("file:///a.md", 2, vec![change], PositionEncoding::Utf16).unwrap();
        assert_eq!(documents.get("file:///a.md").unwrap().text, "- **Status**: [PLANNED] 🚀 e\nnext\n");
        // UTF-8: the rocket is four bytes.
        let changes = vec![
            Change { range: Some((at(0, 15), at(0, 22))), text: "COMPLETED".into() },
            Change { range: Some((at(1, 0), at(1, 4))), text: "after".into() },
        ];
        documents.change("file:///a.md", 3, changes, PositionEncoding::Utf8).unwrap();
        let document = documents.get("file:///a.md").unwrap();
        assert_eq!((document.version, document.text.as_str()), (3, "- **Status**: [COMPLETED] 🚀 e\nafter\n"));
    }

    /// What Neovim 0.11 sent for an insertion after the final line break (recorded from its LSP
    /// log, `:Taskmark new` on ProofChecker's TODO.md): it adds the inserted text's lines after
    /// the last line, one empty line more than the text ends with, and reports the result from
    /// the end of the last line. The buffer then holds the planned text and one line break more:
    /// what the write path takes for the same text, as the file would be written.
    #[test]
    fn neovim_reports_an_insertion_after_the_last_line_with_one_line_break_more() {
        let mut documents = Documents::default();
        documents.open("u", 1, "a\nb\n".into());
        let planned = "a\nb\n\n### 3\n- x\n\n";
        let change = Change { range: Some((at(1, 1), at(2, 0))), text: "\n\n### 3\n- x\n\n\n".into() };
        documents.change("u", 2, vec![change], PositionEncoding::Utf8).unwrap();
        let held = &documents.get("u").unwrap().text;
        assert_eq!(*held, format!("{planned}\n"));
        assert!(crate::engine::text::same_but_final_line_break(held, planned));
    }

    /// A whole text is taken as what differs from the text held: the same text sent again is
    /// no change at all, and one word changed in the middle is that word.
    #[test]
    fn a_whole_text_change_is_what_differs_from_the_text_held() {
        let mut documents = Documents::default();
        let before = "# TODO\n\n### 1. A\n- **Status**: [PLANNED]\n\n### 2. B é\n".to_string();
        documents.open("u", 1, before.clone());
        documents.change("u", 2, vec![Change { range: None, text: before.clone() }], PositionEncoding::Utf16).unwrap();
        let (document, changed) = documents.take_change("u").unwrap();
        assert_eq!((document.version, changed.map(|it| it.is_empty())), (2, Some(true)));

        let after = before.replace("[PLANNED]", "[RESEARCHING]");
        documents.change("u", 3, vec![Change { range: None, text: after.clone() }], PositionEncoding::Utf16).unwrap();
        let (document, changed) = documents.take_change("u").unwrap();
        let start = before.find("PLANNED").unwrap();
        assert_eq!(document.text, after);
        assert_eq!(
            changed,
            Some(text::Change { start, old_end: start + "PLANNED".len(), new_end: start + "RESEARCHING".len() })
        );
        assert_eq!(document.lines, LineIndex::new(&after));
        // Ranged changes after it find their lines in the index the whole text left.
        let change = Change { range: Some((at(5, 9), at(5, 10))), text: "e".into() };
        documents.change("u", 4, vec![change], PositionEncoding::Utf16).unwrap();
        assert_eq!(documents.get("u").unwrap().text, after.replace('é', "e"));
    }

    #[test]
    fn out_of_range_positions_are_clamped_and_whole_text_changes_replace() {
        let mut documents = Documents::default();
        documents.open("u", 1, "ab\ncd".into());
        let change = Change { range: Some((at(0, 99), at(7, 3))), text: "!".into() };
        documents.change("u", 2, vec![change], PositionEncoding::Utf16).unwrap();
        assert_eq!(documents.get("u").unwrap().text, "ab!");
        // A position inside a surrogate pair lands on the character's start.
        documents.open("v", 1, "🚀x".into());
        let change = Change { range: Some((at(0, 1), at(0, 3))), text: "".into() };
        documents.change("v", 2, vec![change], PositionEncoding::Utf16).unwrap();
        assert_eq!(documents.get("v").unwrap().text, "");
        documents.change("v", 3, vec![Change { range: None, text: "new".into() }], PositionEncoding::Utf16).unwrap();
        assert_eq!(documents.get("v").unwrap().text, "new");
        assert!(documents.change("w", 1, Vec::new(), PositionEncoding::Utf16).is_err());
    }
}
