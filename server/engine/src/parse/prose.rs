//! Family 5: status written only as prose with emoji (`### ✅ PHASE 3 COMPLETED`,
//! `- ❌ Not implemented`). Indexed as information where it is unambiguous; never diagnosed.
//! A prose document may also be the repository's status standard (`status-markers.md`): what
//! it defines is kept for the trackers it applies to.

use crate::conventions::detect_standard;
use crate::model::{ParsedFile, ProseOutcome, ProseStatus};
use crate::text::{lines_with_offsets, range};

pub fn parse(text: &str) -> ParsedFile {
    let mut out = ParsedFile { standard: detect_standard(text).map(Box::new), ..ParsedFile::default() };
    // Most prose has no status emoji at all; skip it without looking at lines.
    if !has_status_emoji(text) {
        return out;
    }
    let mut in_fence = false;
    for (offset, line) in lines_with_offsets(text) {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || !(trimmed.starts_with('#') || trimmed.starts_with(['-', '*'])) {
            continue;
        }
        let outcome = match (line.contains('✅'), line.contains('❌')) {
            (true, false) => ProseOutcome::Done,
            (false, true) => ProseOutcome::Failed,
            _ => continue,
        };
        let text = trimmed.trim_start_matches(['#', '-', '*', ' ']).to_string();
        out.prose.push(ProseStatus { line: range(offset, offset + line.len()), outcome, text });
    }
    out
}

/// Whether `text` holds a ✅ (`E2 9C 85`) or a ❌ (`E2 9D 8C`): one pass over the bytes that
/// start either, rather than a search for each.
fn has_status_emoji(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(0xE2, bytes).any(|at| matches!(bytes.get(at + 1..at + 3), Some([0x9C, 0x85] | [0x9D, 0x8C])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_emoji_are_found_among_other_characters_of_their_block() {
        for text in ["", "plain", "— → …", "done ✅", "❌ no", "✓ ✔ ✗ ❎", "x✅", "❌"] {
            assert_eq!(has_status_emoji(text), text.contains('✅') || text.contains('❌'), "{text:?}");
        }
    }

    #[test]
    fn emoji_statuses_in_headings_and_bullets_only() {
        let text = "### ✅ **PHASE 3 COMPLETED**\n- ❌ Not implemented\nplain ✅ sentence\n```\n- ✅ code\n```\n- ✅ and ❌ mixed\n";
        let parsed = parse(text);
        let outcomes: Vec<ProseOutcome> = parsed.prose.iter().map(|it| it.outcome).collect();
        assert_eq!(outcomes, vec![ProseOutcome::Done, ProseOutcome::Failed]);
        assert_eq!(parsed.prose[0].text, "✅ **PHASE 3 COMPLETED**");
    }
}
