//! Diagnostics for people (rustc/ruff style), for programs (JSON in LSP's shape) and for GitHub
//! Actions (workflow annotations).

use std::fmt::Write;

use crate::engine::diagnostic::{Diagnostic, Severity};
use crate::engine::edit::fix_titles;
use crate::engine::index::{FileId, WorkspaceIndex};
use crate::engine::text::{self, PositionEncoding, TextRange};
pub use crate::views::Paths;
use crate::views::diagnostic_view;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub hints: usize,
}

impl Counts {
    pub fn of(diagnostics: &[Diagnostic]) -> Counts {
        let mut counts = Counts::default();
        for it in diagnostics {
            match it.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Info => counts.infos += 1,
                Severity::Hint => counts.hints += 1,
            }
        }
        counts
    }
}

/// One-based line and character column of an offset, for people.
pub(crate) fn line_column(index: &WorkspaceIndex, file: FileId, offset: text::TextSize) -> (u32, u32) {
    let Some(entry) = index.entry(file) else { return (1, 1) };
    let position = text::position(&entry.text, entry.line_index(), offset, PositionEncoding::Utf8);
    let line_text = entry.line_index().line(position.line).map(|it| &entry.text[it]).unwrap_or("");
    let prefix = line_text.get(..position.character as usize).unwrap_or("");
    (position.line + 1, prefix.chars().count() as u32 + 1)
}

pub fn human(index: &WorkspaceIndex, paths: &Paths, diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let (label, paint) = match diagnostic.severity {
            Severity::Error => ("error", "\x1b[1;31m"),
            Severity::Warning => ("warning", "\x1b[1;33m"),
            Severity::Info => ("info", "\x1b[1;34m"),
            Severity::Hint => ("hint", "\x1b[1;36m"),
        };
        let (bold, reset) = if color { ("\x1b[1m", "\x1b[0m") } else { ("", "") };
        let paint = if color { paint } else { "" };
        let (line, column) = line_column(index, diagnostic.file, diagnostic.range.start());
        let _ = writeln!(out, "{paint}{label}[{}]{reset}{bold}: {}{reset}", diagnostic.code, diagnostic.message);
        let gutter = " ".repeat(line.to_string().len());
        let _ = writeln!(out, "{gutter}--> {}:{line}:{column}", paths.show(index.path(diagnostic.file)));
        if let Some((source, caret_start, caret_len)) = source_line(index, diagnostic.file, diagnostic.range) {
            let _ = writeln!(out, "{gutter} |");
            let _ = writeln!(out, "{line} | {source}");
            let _ = writeln!(out, "{gutter} | {}{paint}{}{reset}", " ".repeat(caret_start), "^".repeat(caret_len));
        }
        for related in &diagnostic.related {
            let (related_line, related_column) = line_column(index, related.file, related.range.start());
            let _ = writeln!(
                out,
                "{gutter} = note: {}:{related_line}:{related_column}: {}",
                paths.show(index.path(related.file)),
                related.message
            );
        }
        for title in fix_titles(index, diagnostic) {
            let _ = writeln!(out, "{gutter} = help: {title}");
        }
        out.push('\n');
    }
    out
}

/// The source line of a range with tabs shown as spaces, the caret column and width in
/// characters.
fn source_line(index: &WorkspaceIndex, file: FileId, range: TextRange) -> Option<(String, usize, usize)> {
    let entry = index.entry(file)?;
    if entry.text.is_empty() {
        return None;
    }
    let start = usize::from(range.start()).min(entry.text.len());
    let line = text::line_range_at(&entry.text, start);
    let line_text = &entry.text[line];
    let before = entry.text.get(usize::from(line.start())..start)?;
    let end = usize::from(range.end()).clamp(start, usize::from(line.end()));
    let inside = entry.text.get(start..end)?;
    let width = |it: &str| it.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum::<usize>();
    Some((line_text.replace('\t', "    "), width(before), width(inside).max(1)))
}

/// `check --format json`'s summary (fields in the order the answer has always had:
/// alphabetical).
#[derive(Debug, serde::Serialize)]
pub struct CheckSummary {
    /// The baseline the diagnostics were compared with (`--baseline`).
    pub baseline: Option<String>,
    pub bytes: u64,
    pub errors: usize,
    pub files: usize,
    /// How many of the reported problems `taskmark fix` would fix.
    pub fixable: usize,
    pub hints: usize,
    pub infos: usize,
    pub notes: Vec<FileNote>,
    /// Lossy where the path is not UTF-8: a JSON string cannot hold it.
    pub root: String,
    pub root_chosen_by: &'static str,
    pub skipped: Vec<SkippedFile>,
    pub tasks: usize,
    pub trackers: usize,
    pub warnings: usize,
}

/// A file read with a note (`{"file", "note"}`).
#[derive(Debug, serde::Serialize)]
pub struct FileNote {
    pub file: String,
    pub note: String,
}

/// A file left unread, and why (`{"file", "reason"}`).
#[derive(Debug, serde::Serialize)]
pub struct SkippedFile {
    pub file: String,
    pub reason: String,
}

/// `{"diagnostics": [...], "summary": {...}}`, written to `out` one diagnostic at a time: a
/// workspace with half a million findings is printed, not built as one JSON tree first.
pub fn json(
    out: &mut impl std::io::Write,
    index: &WorkspaceIndex,
    paths: &Paths,
    diagnostics: &[Diagnostic],
    summary: CheckSummary,
) -> std::io::Result<()> {
    struct Diagnostics<'a> {
        index: &'a WorkspaceIndex,
        paths: &'a Paths,
        diagnostics: &'a [Diagnostic],
    }
    impl serde::Serialize for Diagnostics<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeSeq;
            let mut sequence = serializer.serialize_seq(Some(self.diagnostics.len()))?;
            for diagnostic in self.diagnostics {
                sequence.serialize_element(&diagnostic_view(self.index, self.paths, diagnostic))?;
            }
            sequence.end()
        }
    }
    // Fields in the order `json!` sorts them, so the output is what it always was.
    #[derive(serde::Serialize)]
    struct Report<'a> {
        diagnostics: Diagnostics<'a>,
        summary: CheckSummary,
    }
    let report = Report { diagnostics: Diagnostics { index, paths, diagnostics }, summary };
    // Whole, then written at once: the command line's stdout flushes at every line, and a
    // pretty-printed report is tens of thousands of them.
    let mut bytes = serde_json::to_vec_pretty(&report)?;
    bytes.push(b'\n');
    out.write_all(&bytes)
}

/// GitHub Actions workflow commands, one per diagnostic.
pub fn github(index: &WorkspaceIndex, paths: &Paths, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for it in diagnostics {
        let command = match it.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info | Severity::Hint => "notice",
        };
        let (line, column) = line_column(index, it.file, it.range.start());
        let (end_line, end_column) = line_column(index, it.file, it.range.end());
        let _ = writeln!(
            out,
            "::{command} file={},line={line},col={column},endLine={end_line},endColumn={end_column},title={}::{}",
            escape_property(&paths.show(index.path(it.file))),
            escape_property(it.code.as_str()),
            escape_data(&it.message)
        );
    }
    out
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
