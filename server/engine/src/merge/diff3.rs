//! The ordinary three-way merge of two sequences against their common ancestor (diff3): the
//! parts both sides left alone, the parts one side changed (taken), the parts both changed the
//! same way (taken once) and the parts both changed differently (conflicts). Generic over the
//! elements, so that the same code merges lines of text, raw byte lines of a file that is not
//! text, and the token sequences the semantic merge builds; on the diffs of `diff.rs`, under the
//! merge's cost limit.

use std::hash::Hash;
use std::ops::Range;

use super::diff::{Budget, kept};

/// One stretch of the merge: ranges into base, ours and theirs that belong together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub base: Range<usize>,
    pub ours: Range<usize>,
    pub theirs: Range<usize>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nobody changed it (the three ranges hold the same elements).
    Unchanged,
    /// Only ours changed it: ours is the result.
    Ours,
    /// Only theirs changed it.
    Theirs,
    /// Both made the same change: ours (equal to theirs) is the result.
    Both,
    /// Both changed it differently.
    Conflict,
}

/// The chunks of the three-way merge, in order, covering the three sequences entirely. A
/// conflict is kept as small as the two sides allow: what both sides wrote alike at its start or
/// end is taken out of it (as git's merge does). The two diffs are paid from `budget`.
pub fn merge<T: Eq + Hash>(base: &[T], ours: &[T], theirs: &[T], budget: &Budget) -> Vec<Chunk> {
    let in_ours = kept(base, ours, budget);
    let in_theirs = kept(base, theirs, budget);
    let mut out = Vec::new();
    let (mut b, mut o, mut t) = (0, 0, 0);
    loop {
        // What is kept on both sides, in step.
        let start = (b, o, t);
        while b < base.len() && in_ours[b] == Some(o) && in_theirs[b] == Some(t) {
            b += 1;
            o += 1;
            t += 1;
        }
        if b > start.0 {
            out.push(Chunk { base: start.0..b, ours: start.1..o, theirs: start.2..t, outcome: Outcome::Unchanged });
        }
        // The next base element both sides kept ends the unstable stretch.
        let next = (b..base.len()).find(|it| in_ours[*it].is_some() && in_theirs[*it].is_some());
        let (base_end, ours_end, theirs_end) = match next {
            Some(at) => (at, in_ours[at].unwrap_or(o), in_theirs[at].unwrap_or(t)),
            None => (base.len(), ours.len(), theirs.len()),
        };
        if base_end == b && ours_end == o && theirs_end == t {
            if next.is_none() {
                break;
            }
            continue;
        }
        unstable(base, ours, theirs, b..base_end, o..ours_end, t..theirs_end, &mut out);
        b = base_end;
        o = ours_end;
        t = theirs_end;
        if next.is_none() {
            break;
        }
    }
    out
}

fn unstable<T: Eq>(
    base: &[T],
    ours: &[T],
    theirs: &[T],
    b: Range<usize>,
    o: Range<usize>,
    t: Range<usize>,
    out: &mut Vec<Chunk>,
) {
    let ours_changed = ours[o.clone()] != base[b.clone()];
    let theirs_changed = theirs[t.clone()] != base[b.clone()];
    let outcome = match (ours_changed, theirs_changed) {
        (false, false) => Outcome::Unchanged,
        (true, false) => Outcome::Ours,
        (false, true) => Outcome::Theirs,
        (true, true) if ours[o.clone()] == theirs[t.clone()] => Outcome::Both,
        (true, true) => Outcome::Conflict,
    };
    if outcome != Outcome::Conflict {
        out.push(Chunk { base: b, ours: o, theirs: t, outcome });
        return;
    }
    // Both sides wrote the same elements at the start or the end: those are agreed.
    let (ours_side, theirs_side) = (&ours[o.clone()], &theirs[t.clone()]);
    let prefix = ours_side.iter().zip(theirs_side).take_while(|(a, b)| a == b).count();
    let rest = ours_side.len().min(theirs_side.len()) - prefix;
    let suffix = ours_side.iter().rev().zip(theirs_side.iter().rev()).take(rest).take_while(|(a, b)| a == b).count();
    if prefix > 0 {
        out.push(Chunk {
            base: b.start..b.start,
            ours: o.start..o.start + prefix,
            theirs: t.start..t.start + prefix,
            outcome: Outcome::Both,
        });
    }
    out.push(Chunk {
        base: b.clone(),
        ours: o.start + prefix..o.end - suffix,
        theirs: t.start + prefix..t.end - suffix,
        outcome: Outcome::Conflict,
    });
    if suffix > 0 {
        out.push(Chunk {
            base: b.end..b.end,
            ours: o.end - suffix..o.end,
            theirs: t.end - suffix..t.end,
            outcome: Outcome::Both,
        });
    }
}

/// Labels and size of the conflict markers.
#[derive(Debug, Clone)]
pub struct Markers {
    pub size: usize,
    pub ours: String,
    pub theirs: String,
}

impl Default for Markers {
    fn default() -> Markers {
        Markers { size: 7, ours: "ours".into(), theirs: "theirs".into() }
    }
}

impl Markers {
    pub fn start(&self) -> String {
        format!("{} {}", "<".repeat(self.size), self.ours)
    }

    pub fn middle(&self) -> String {
        "=".repeat(self.size)
    }

    pub fn end(&self) -> String {
        format!("{} {}", ">".repeat(self.size), self.theirs)
    }

    /// Whether a line (without its line break) is one of these markers.
    pub fn is_marker(&self, line: &str) -> bool {
        let line = line.trim_end_matches(['\r', '\n']);
        line == self.middle()
            || line.strip_prefix(&"<".repeat(self.size)).is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
            || line.strip_prefix(&">".repeat(self.size)).is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    }
}

/// Splits bytes into lines, each with its line break.
pub fn byte_lines(text: &[u8]) -> Vec<&[u8]> {
    text.split_inclusive(|it| *it == b'\n').collect()
}

/// The plain three-way line merge of three files as bytes, with conflict markers: what the
/// merge driver falls back to when a side is not a tracker file it can read. Returns the text
/// and the number of conflicts. Nothing either side added is left out: a conflict shows both.
pub fn merge_bytes(base: &[u8], ours: &[u8], theirs: &[u8], markers: &Markers, budget: &Budget) -> (Vec<u8>, usize) {
    let (base_lines, ours_lines, theirs_lines) = (byte_lines(base), byte_lines(ours), byte_lines(theirs));
    let crlf = ours_lines.first().is_some_and(|it| it.ends_with(b"\r\n"));
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::with_capacity(ours.len().max(theirs.len()));
    let mut conflicts = 0;
    let push_lines = |out: &mut Vec<u8>, lines: &[&[u8]]| {
        for line in lines {
            out.extend_from_slice(line);
        }
    };
    // A marker must start a line: a side whose last line has no line break gets one first.
    let end_line = |out: &mut Vec<u8>| {
        if !out.is_empty() && !out.ends_with(b"\n") {
            out.extend_from_slice(eol);
        }
    };
    for chunk in merge(&base_lines, &ours_lines, &theirs_lines, budget) {
        match chunk.outcome {
            Outcome::Unchanged | Outcome::Ours | Outcome::Both => push_lines(&mut out, &ours_lines[chunk.ours]),
            Outcome::Theirs => push_lines(&mut out, &theirs_lines[chunk.theirs]),
            Outcome::Conflict => {
                conflicts += 1;
                end_line(&mut out);
                out.extend_from_slice(markers.start().as_bytes());
                out.extend_from_slice(eol);
                push_lines(&mut out, &ours_lines[chunk.ours]);
                end_line(&mut out);
                out.extend_from_slice(markers.middle().as_bytes());
                out.extend_from_slice(eol);
                push_lines(&mut out, &theirs_lines[chunk.theirs]);
                end_line(&mut out);
                out.extend_from_slice(markers.end().as_bytes());
                out.extend_from_slice(eol);
            }
        }
    }
    (out, conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(base: &str, ours: &str, theirs: &str) -> (String, usize) {
        let (out, conflicts) =
            merge_bytes(base.as_bytes(), ours.as_bytes(), theirs.as_bytes(), &Markers::default(), &Budget::default());
        (String::from_utf8(out).unwrap(), conflicts)
    }

    #[test]
    fn changes_on_different_lines_merge() {
        let (out, conflicts) = merged("a\nb\nc\nd\n", "A\nb\nc\nd\n", "a\nb\nc\nD\n");
        assert_eq!((out.as_str(), conflicts), ("A\nb\nc\nD\n", 0));
    }

    #[test]
    fn the_same_change_on_both_sides_is_taken_once() {
        let (out, conflicts) = merged("a\nb\n", "a\nx\nb\n", "a\nx\nb\n");
        assert_eq!((out.as_str(), conflicts), ("a\nx\nb\n", 0));
    }

    #[test]
    fn different_changes_of_one_line_conflict_with_markers() {
        let (out, conflicts) = merged("a\nb\nc\n", "a\nB1\nc\n", "a\nB2\nc\n");
        assert_eq!(conflicts, 1);
        assert_eq!(out, "a\n<<<<<<< ours\nB1\n=======\nB2\n>>>>>>> theirs\nc\n");
    }

    #[test]
    fn conflicts_shrink_to_what_differs() {
        let (out, conflicts) = merged("a\nz\n", "a\nsame\nB1\nz\n", "a\nsame\nB2\nz\n");
        assert_eq!(conflicts, 1);
        assert_eq!(out, "a\nsame\n<<<<<<< ours\nB1\n=======\nB2\n>>>>>>> theirs\nz\n");
    }

    #[test]
    fn a_side_without_a_final_line_break_gets_one_before_a_marker() {
        let (out, _) = merged("a", "b", "c");
        assert_eq!(out, "<<<<<<< ours\nb\n=======\nc\n>>>>>>> theirs\n");
    }

    #[test]
    fn crlf_files_get_crlf_markers() {
        let (out, conflicts) = merged("a\r\nb\r\n", "a\r\nB\r\n", "a\r\nC\r\n");
        assert_eq!(conflicts, 1);
        assert_eq!(out, "a\r\n<<<<<<< ours\r\nB\r\n=======\r\nC\r\n>>>>>>> theirs\r\n");
    }

    #[test]
    fn chunks_cover_every_element() {
        let base = ["a", "b", "c", "d", "e"];
        let ours = ["a", "x", "c", "d", "e", "f"];
        let theirs = ["a", "b", "c", "y", "e"];
        let chunks = merge(&base, &ours, &theirs, &Budget::default());
        assert_eq!(chunks.last().map(|it| (it.base.end, it.ours.end, it.theirs.end)), Some((5, 6, 5)));
        for pair in chunks.windows(2) {
            assert_eq!(
                (pair[0].base.end, pair[0].ours.end, pair[0].theirs.end),
                (pair[1].base.start, pair[1].ours.start, pair[1].theirs.start)
            );
        }
        assert!(chunks.iter().all(|it| it.outcome != Outcome::Conflict));
    }
}
