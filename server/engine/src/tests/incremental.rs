//! Incremental re-parsing equals parsing from scratch: random edit sequences (fences opened and
//! closed, `---` lines, headings inserted and removed, multi-byte characters, CRLF) applied to
//! markdown give exactly `Outline::new`'s outline.

use proptest::prelude::*;

use crate::markdown::Outline;
use crate::text::Change;

/// Lines that change the block structure the most.
fn markdown_line() -> impl Strategy<Value = String> {
    prop_oneof![
        (1usize..5, 1u32..9).prop_map(|(level, id)| format!("{} {id}. Task é", "#".repeat(level))),
        Just("```".to_string()),
        Just("~~~".to_string()),
        Just("---".to_string()),
        Just("...".to_string()),
        Just("title: x".to_string()),
        Just("<!-- open".to_string()),
        Just("-->".to_string()),
        Just("<div>".to_string()),
        Just("- **Status**: [PLANNED]".to_string()),
        Just("- [ ] box 🚀".to_string()),
        Just("  - [x] nested".to_string()),
        Just("> quote".to_string()),
        Just("| A | B |".to_string()),
        Just("|---|---|".to_string()),
        Just("    indented".to_string()),
        Just("Setext".to_string()),
        Just("===".to_string()),
        Just("#".to_string()),
        Just("[a]:".to_string()),
        Just(String::new()),
        "[a-z日本é#`\\-\\[\\] ]{0,12}",
    ]
}

fn document() -> impl Strategy<Value = String> {
    (prop::collection::vec(markdown_line(), 0..40), any::<bool>()).prop_map(|(lines, crlf)| {
        let eol = if crlf { "\r\n" } else { "\n" };
        lines.iter().map(|it| format!("{it}{eol}")).collect()
    })
}

/// An edit: replace the bytes between two (character-boundary-snapped) positions with text.
fn edit() -> impl Strategy<Value = (prop::sample::Index, prop::sample::Index, String)> {
    (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        prop_oneof![
            markdown_line().prop_map(|it| format!("{it}\n")),
            markdown_line().prop_map(|it| format!("\n{it}")),
            Just("x".to_string()),
            Just("é".to_string()),
            Just("```\n".to_string()),
            Just("---\n".to_string()),
            Just("\r\n".to_string()),
            Just(String::new()),
        ],
    )
}

pub(crate) fn apply(text: &str, at: &prop::sample::Index, length: &prop::sample::Index, insert: &str) -> String {
    let mut start = at.index(text.len() + 1);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    // Mostly small deletions: a keystroke, a line, sometimes a bigger block.
    let mut end = (start + length.index(12)).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(text.len() + insert.len());
    out.push_str(&text[..start]);
    out.push_str(insert);
    out.push_str(&text[end.max(start)..]);
    out
}

proptest! {
    /// Parsing in pieces (at any piece size) gives the outline of one parse of the whole text.
    #[test]
    fn parsing_in_pieces_equals_parsing_whole(text in document(), min_piece in 0usize..200) {
        prop_assert_eq!(Outline::new_in_pieces(&text, min_piece), Outline::new_in_pieces(&text, usize::MAX));
    }

    #[test]
    fn reparsed_outlines_equal_full_parses(text in document(), edits in prop::collection::vec(edit(), 1..8)) {
        let mut text = text;
        let mut outline = Outline::new(&text);
        for (at, length, insert) in &edits {
            let edited = apply(&text, at, length, insert);
            let change = Change::between(&text, &edited);
            outline = outline.reparse(&text, &edited, change);
            prop_assert_eq!(&outline, &Outline::new(&edited), "after editing {:?} into {:?}", text, edited);
            text = edited;
        }
    }
}

/// A piece the parser would need gigabytes for (a 30 MB line of `[` took 2 GB) is not parsed:
/// it is reported, and the sections around it are read as usual.
#[test]
fn a_piece_too_big_to_parse_is_skipped_and_named_and_the_rest_is_read() {
    let flood = "[".repeat(crate::markdown::PIECE_NODE_LIMIT + 1);
    let text = format!("# Before\n\n- [ ] one\n\n# Flood\n\n{flood}\n\n# After\n\n- [x] two\n");
    let outline = Outline::new(&text);
    let flood_start = text.find("# Flood").unwrap();
    let after_start = text.find("# After").unwrap();
    assert_eq!(outline.unparsed.len(), 1);
    assert_eq!(
        (usize::from(outline.unparsed[0].start()), usize::from(outline.unparsed[0].end())),
        (flood_start, after_start)
    );
    assert!(outline.in_code(crate::text::size(flood_start + 20)), "nothing is read in it");
    let headings: Vec<&str> = outline.headings.iter().map(|it| &text[it.content]).collect();
    assert_eq!(headings, ["Before", "After"]);
    assert_eq!(outline.items.len(), 2, "the items before and after it are read");
    assert_eq!(crate::markdown::unparsed_pieces(&text), outline.unparsed);
    // Far below the limit nothing changes.
    assert!(Outline::new(&text.replace(&flood, "[[[")).unparsed.is_empty());
}

#[test]
fn a_fence_opened_above_swallows_the_sections_below_and_closing_it_frees_them() {
    let text = "# A\n- [ ] a\n# B\n- [ ] b\n# C\n- [ ] c\n";
    let outline = Outline::new(text);
    let opened = text.replace("- [ ] a\n", "- [ ] a\n```\n");
    let reparsed = outline.reparse(text, &opened, Change::between(text, &opened));
    assert_eq!(reparsed, Outline::new(&opened));
    assert_eq!(reparsed.headings.len(), 1);
    let closed = reparsed.reparse(&opened, text, Change::between(&opened, text));
    assert_eq!(closed, outline);
}

#[test]
fn only_a_leading_metadata_block_is_frontmatter() {
    let text = "---\ntitle: x\n---\n# A\n---\nnot: yaml\n---\n";
    let outline = Outline::new(text);
    assert_eq!(outline.code.len(), 1);
    assert!(outline.in_code(crate::text::size(text.find("title").unwrap_or(0))));
    assert!(!outline.in_code(crate::text::size(text.find("not").unwrap_or(0))));
}

/// Lines of a spec-folder TODO.md, with the structure-changing lines of [`markdown_line`] mixed in.
fn todo_document() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        3 => super::properties::todo_line(),
        1 => markdown_line(),
        1 => Just("## Tasks".to_string()),
        1 => (1u32..6).prop_map(|it| format!("#### {it}. Nested")),
    ];
    (any::<bool>(), prop::collection::vec(line, 0..50), any::<bool>()).prop_map(|(frontmatter, lines, crlf)| {
        let eol = if crlf { "\r\n" } else { "\n" };
        let head = if frontmatter {
            format!("---{eol}next_project_number: 7{eol}task_counts:{eol}  active: 2{eol}---{eol}")
        } else {
            String::new()
        };
        head + &lines.iter().map(|it| format!("{it}{eol}")).collect::<String>()
    })
}

fn todo_edit() -> impl Strategy<Value = (prop::sample::Index, prop::sample::Index, String)> {
    (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        prop_oneof![
            super::properties::todo_line().prop_map(|it| format!("{it}\n")),
            super::properties::todo_line().prop_map(|it| format!("\n{it}")),
            markdown_line().prop_map(|it| format!("{it}\n")),
            Just("x".to_string()),
            Just("é".to_string()),
            Just("```\n".to_string()),
            Just("---\n".to_string()),
            Just("\r\n".to_string()),
            Just(String::new()),
        ],
    )
}

fn with_todo_context<T>(run: impl FnOnce(&crate::parse::ParseContext<'_>) -> T) -> T {
    let mut class = crate::layout::classify("specs/TODO.md");
    class.family = Some(crate::layout::Family::SpecFolder);
    let profile = crate::profiles::builtin(crate::layout::Family::SpecFolder.default_profile())
        .unwrap_or_else(crate::profiles::github);
    run(&crate::parse::ParseContext {
        path: "specs/TODO.md",
        class: &class,
        profile: &profile,
        scope: "specs",
        untagged_tag: None,
    })
}

proptest! {
    #[test]
    fn reparsed_todo_files_equal_full_parses(text in todo_document(), edits in prop::collection::vec(todo_edit(), 1..6)) {
        use crate::parse::todo;
        with_todo_context(|cx| {
            let mut text = text;
            let (mut parsed, mut layout) = todo::parse_with_layout(cx, &text);
            for (at, length, insert) in &edits {
                let edited = apply(&text, at, length, insert);
                let change = Change::between(&text, &edited);
                let reparsed = todo::reparse(cx, &text, &edited, change, &mut parsed, &mut layout);
                let (full, full_layout) = todo::parse_with_layout(cx, &edited);
                prop_assert_eq!(&parsed, &full, "after editing {:?} into {:?} ({:?})", text, edited, reparsed.region);
                prop_assert_eq!(&layout, &full_layout);
                text = edited;
            }
            Ok(())
        })?;
    }
}

/// What an editor is shown of `diagnostics`, by file: each one's message and positions (its
/// own and its related ones) as lines and columns.
fn seen(
    index: &crate::index::WorkspaceIndex,
    diagnostics: &[crate::diagnostic::Diagnostic],
) -> std::collections::BTreeMap<String, Vec<String>> {
    use crate::text::{PositionEncoding, position_range};
    let at = |file, range| {
        let entry = index.entry(file).expect("a diagnostic's file is indexed");
        position_range(&entry.text, entry.line_index(), range, PositionEncoding::Utf16)
    };
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for it in diagnostics {
        let related: Vec<String> = it
            .related
            .iter()
            .map(|r| format!("{} {:?} {}", index.path(r.file), at(r.file, r.range), r.message))
            .collect();
        let line = format!("{:?} {} {} {:?}", at(it.file, it.range), it.code, it.message, related);
        out.entry(index.path(it.file).to_string()).or_default().push(line);
    }
    for lines in out.values_mut() {
        lines.sort();
    }
    out
}

/// Everything the rules report, with the fix hints, for comparing two stores exactly.
fn rendered_with_fixes(
    index: &crate::index::WorkspaceIndex,
    diagnostics: &[crate::diagnostic::Diagnostic],
) -> Vec<String> {
    let mut out: Vec<String> = diagnostics
        .iter()
        .map(|it| {
            let related: Vec<String> =
                it.related.iter().map(|r| format!("{} {:?} {}", index.path(r.file), r.range, r.message)).collect();
            format!(
                "{} {:?} {} {} {:?} {:?} {:?} {:?}",
                index.path(it.file),
                it.range,
                it.code,
                it.message,
                it.task,
                it.severity,
                related,
                it.fix
            )
        })
        .collect();
    out.sort();
    out
}

proptest! {
    #[test]
    fn edits_of_a_todo_file_keep_index_and_diagnostics_equal_to_a_fresh_build(
        files in super::properties::workspace(),
        edits in prop::collection::vec((todo_edit(), 0usize..8), 1..6),
        frontmatter in any::<bool>(),
    ) {
        use std::collections::HashSet;
        use std::sync::Arc;
        use crate::config::Config;
        use crate::rules::DiagnosticStore;
        use super::properties::{build, canonical, check};
        let mut files = files;
        if frontmatter && let Some(todo) = files.iter_mut().find(|it| it.path == "specs/TODO.md") {
            let counted = format!("---\nnext_project_number: 3\ntask_counts:\n  active: 1\n  total: 2\n---\n{}", todo.text);
            todo.text = Arc::from(counted);
        }
        let mut index = build(&files);
        let mut current = files.clone();
        let config = Config::default();
        let paths: HashSet<String> = files.iter().map(|it| it.path.clone()).collect();
        let mut store = DiagnosticStore::new(&index, &config, None, &paths);
        // Copies share their tables (every editor's view of one saved state): the edits below
        // must leave this one as it was.
        let (saved_index, saved_store) = (index.clone(), store.clone());
        let saved = rendered_with_fixes(&saved_index, &saved_store.all(&saved_index));
        let todo = current.iter().position(|it| it.path == "specs/TODO.md").unwrap_or(0);
        for ((at, length, insert), target) in &edits {
            // Mostly the TODO.md; sometimes another file, which takes the general path between
            // two incremental ones.
            let target = if *target < current.len() && *target % 3 == 0 { *target } else { todo };
            let edited = apply(&current[target].text, at, length, insert);
            let seen_before = seen(&index, &store.all(&index));
            // Built before the edit (as sending diagnostics does), it follows the edit.
            for (_, entry) in index.entries() {
                entry.line_index();
            }
            let update = index.set_file(&current[target].path, Some(Arc::from(edited.as_str())));
            for (_, entry) in index.entries() {
                if let Some(built) = entry.built_line_index() {
                    prop_assert_eq!(built, &crate::text::LineIndex::new(&entry.text), "{}", entry.path);
                }
            }
            let touched = store.update(&index, &config, None, &paths, &update);
            // Each file's diagnostics, gathered from the tables that say which tasks have some
            // in it, are those of every diagnostic that lie in it.
            let every = store.all(&index);
            for (file, entry) in index.entries() {
                let listed = |mut list: Vec<String>| { list.sort(); list };
                let gathered = listed(store.file(file).iter().map(|it| format!("{it:?}")).collect());
                let found = listed(every.iter().filter(|it| it.file == file).map(|it| format!("{it:?}")).collect());
                prop_assert_eq!(gathered, found, "{}", entry.path);
            }
            // A file the store does not name shows the same diagnostics as before, in lines
            // and columns (what an editor is sent), with its messages.
            let seen_after = seen(&index, &store.all(&index));
            for file in seen_before.keys().chain(seen_after.keys()) {
                let untouched = index.file_id(file).is_some_and(|it| !touched.contains(&it));
                prop_assert!(
                    !untouched || seen_before.get(file) == seen_after.get(file),
                    "{} shows other diagnostics but is not among those touched", file
                );
            }
            current[target].text = Arc::from(edited);
            let fresh = build(&current);
            let (incremental, full) = (canonical(&index), canonical(&fresh));
            let differing: Vec<(&str, &str)> = incremental.lines().zip(full.lines()).filter(|(a, b)| a != b).collect();
            prop_assert_eq!(&incremental, &full, "first differing lines {:?}", differing.first());
            prop_assert_eq!(rendered_with_fixes(&index, &store.all(&index)), rendered_with_fixes(&fresh, &check(&fresh)));
        }
        prop_assert_eq!(rendered_with_fixes(&saved_index, &saved_store.all(&saved_index)), saved);
        prop_assert_eq!(canonical(&saved_index), canonical(&build(&files)));
    }
}

proptest! {
    /// A TODO.md rewritten in stretches far apart (a change another process wrote, read back
    /// from disk) is taken a stretch at a time, its diagnostics followed at each step and
    /// settled once: the same index and diagnostics as a fresh build.
    #[test]
    fn a_todo_file_rewritten_in_stretches_apart_equals_a_fresh_build(
        files in super::properties::workspace(),
        edits in prop::collection::vec(todo_edit(), 2..4),
    ) {
        use std::collections::HashSet;
        use std::sync::Arc;
        use crate::config::Config;
        use crate::rules::{DiagnosticStore, Pending};
        use super::properties::{build, canonical, check};
        let mut files = files;
        let Some(todo) = files.iter().position(|it| it.path == "specs/TODO.md") else { return Ok(()) };
        // Prose between the sections, so that edits before and after it are thousands of bytes
        // apart.
        let text = files[todo].text.to_string();
        let middle = text.find("\n### ").map_or(text.len(), |it| it + 1);
        let padding: String = (0..120).map(|it| format!("A paragraph of notes, number {it}, about nothing.\n\n")).collect();
        files[todo].text = Arc::from(format!("{}{padding}{}", &text[..middle], &text[middle..]));
        let mut index = build(&files);
        let config = Config::default();
        let paths: HashSet<String> = files.iter().map(|it| it.path.clone()).collect();
        let mut store = DiagnosticStore::new(&index, &config, None, &paths);
        let mut rewritten = files[todo].text.to_string();
        for (at, length, insert) in &edits {
            rewritten = apply(&rewritten, at, length, insert);
        }
        let mut pending = Pending::default();
        index.write_file("specs/TODO.md", Arc::from(rewritten.as_str()), |index, update| {
            store.follow(index, &config, None, &paths, update, &mut pending);
        });
        store.settle(&index, &config, None, &paths, pending);
        files[todo].text = Arc::from(rewritten);
        let fresh = build(&files);
        prop_assert_eq!(canonical(&index), canonical(&fresh));
        prop_assert_eq!(rendered_with_fixes(&index, &store.all(&index)), rendered_with_fixes(&fresh, &check(&fresh)));
    }
}

#[test]
fn an_edit_of_one_task_order_line_reparses_that_line_alone_as_a_full_parse_reads_it() {
    use crate::parse::todo;
    let text = "---\nnext_project_number: 9\n---\n# TODO\n\n## Task Order\n\n- **8** [PLANNED] — Eight\n- **7** [BLOCKED] — Seven\n```\n- **6** [PLANNED] — In a fence\n```\n1. **5** [NOT STARTED] — Five\n\n## Tasks\n\n### 8. Eight\n- **Status**: [PLANNED]\n- [ ] a box\n\n### 7. Seven\n- **Status**: [BLOCKED]\n";
    // Whether only the one place is read again (the general path reads the whole Task Order).
    let edits: [(&str, &str, Option<bool>); 7] = [
        ("[PLANNED] — Eight", "[COMPLETED] — Eight", Some(true)),
        ("[BLOCKED] — Seven", "[IN PROGRES] — Seven", Some(true)),
        ("[NOT STARTED] — Five", "[BLOCKED] — Five", Some(true)),
        ("— Seven", "— Seven, retitled", Some(true)),
        // In a fence, not a place: the general path.
        ("[PLANNED] — In a fence", "[COMPLETED] — In a fence", Some(false)),
        // No longer a Task Order line: the general path.
        ("- **8** [PLANNED]", "- **8** PLANNED", Some(false)),
        // A section's status line: the general path, which reads that section alone.
        ("- **Status**: [BLOCKED]", "- **Status**: [COMPLETED]", None),
    ];
    let crlf = text.replace('\n', "\r\n");
    with_todo_context(|cx| {
        for ((from, to, alone), text) in edits.iter().flat_map(|it| [(*it, text), (*it, crlf.as_str())]) {
            let (mut parsed, mut layout) = todo::parse_with_layout(cx, text);
            let edited = text.replacen(from, to, 1);
            assert_ne!(edited, text, "{from}");
            let reparsed = todo::reparse(cx, text, &edited, Change::between(text, &edited), &mut parsed, &mut layout);
            let (full, full_layout) = todo::parse_with_layout(cx, &edited);
            assert_eq!(parsed, full, "{from} -> {to}");
            assert_eq!(layout, full_layout, "{from} -> {to}");
            let one_place = reparsed.places.old_end - reparsed.places.start == 1
                && reparsed.places.new_end - reparsed.places.start == 1
                && reparsed.old_places.len() == 1;
            if let Some(alone) = alone {
                assert_eq!(one_place, alone, "{from} -> {to}: {reparsed:?}");
            }
        }
    });
}

/// A counter rewritten in a TODO.md's frontmatter (every status change and new task of a
/// tracker that counts its tasks there) re-reads nothing of the body: the region is the
/// counter's, the outline the old one moved, equal to a full parse. It was the whole file: a
/// new task in a 352 KB TODO.md re-parsed every section, three times per agent's change.
#[test]
fn a_frontmatter_counter_edit_moves_the_outline_and_reads_no_section_again() {
    let text = "---\ntask_counts:\n  not_started: 9\n  total: 12\n---\n\n# TODO\n\n## Tasks\n\n### 1. One\n- **Status**: [NOT STARTED]\n\n```sh\n- [ ] not a task\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n### 2. Two\n- [ ] box\n";
    for (from, to) in [
        ("not_started: 9", "not_started: 10"),
        ("total: 12", "total: 1"),
        ("  total: 12\n", "  total: 12\n  done: 3\n"),
    ] {
        let edited = text.replacen(from, to, 1);
        let change = Change::between(text, &edited);
        let (outline, region) = Outline::new(text).reparse_with_region(text, &edited, change);
        assert_eq!(outline, Outline::new(&edited), "{edited}");
        let frontmatter_end = edited.find("\n---\n").expect("the frontmatter") + 4;
        assert!(region.new_end <= frontmatter_end && region.old_end <= text.find("\n---\n").unwrap() + 4, "{region:?}");
    }
    // Closing the block elsewhere, or opening one, still reads everything again.
    let moved_end = text.replacen("  total: 12\n---\n", "---\n  total: 12\n", 1);
    let (outline, region) = Outline::new(text).reparse_with_region(text, &moved_end, Change::between(text, &moved_end));
    assert_eq!(outline, Outline::new(&moved_end));
    assert_eq!((region.start, region.new_end), (0, moved_end.len()));
}

/// Markers a tracker may learn as its own (three places make a convention, an alias counts
/// against its status's own spelling) among ones it knows.
const LEARNABLE: &[&str] = &["[WAITING]", "[WAITING]", "[COMPLETE]", "[COMPLETED]", "[DONE]", "[PLANNED]", "[REVIEW]"];

fn learnable_plan() -> impl Strategy<Value = Option<String>> {
    let line = prop_oneof![
        prop::sample::select(LEARNABLE).prop_map(|it| format!("- **Status**: {it}")),
        (1u32..4, prop::sample::select(LEARNABLE)).prop_map(|(n, it)| format!("### Phase {n}: Work {it}")),
        prop::sample::select(vec![" ", "x", "~", "?"]).prop_map(|it| format!("- [{it}] step")),
    ];
    let text = prop::collection::vec(line, 0..5).prop_map(|lines| lines.iter().map(|it| format!("{it}\n")).collect());
    // Sometimes no file: a plan deleted, or written for the first time.
    prop::option::weighted(0.9, text)
}

proptest! {
    /// A file re-read whole (a plan a status change wrote, a checklist saved) leaves its
    /// tracker's vocabulary, and so every parse and diagnostic, as a fresh build learns it: the
    /// tracker learns again only when the file's share of what it learns from changed, and
    /// skipping it otherwise must never keep a convention or a habit the files no longer make.
    #[test]
    fn files_rewritten_whole_leave_the_vocabulary_a_fresh_build_learns(
        plans in prop::collection::vec(learnable_plan(), 4),
        rewrites in prop::collection::vec((0usize..4, learnable_plan()), 1..8),
    ) {
        use std::collections::HashSet;
        use std::sync::Arc;
        use crate::config::Config;
        use crate::index::SourceFile;
        use crate::rules::DiagnosticStore;
        use super::properties::{build, canonical, check};
        let path = |it: usize| format!("specs/00{it}_t/plans/implementation-001.md");
        let todo: String = (0..4).map(|it| format!("### {it}. Task {it}\n- **Status**: [PLANNED]\n\n")).collect();
        let mut current: Vec<Option<String>> = plans;
        let sources = |current: &[Option<String>]| -> Vec<SourceFile> {
            let mut files = vec![SourceFile { path: "specs/TODO.md".into(), text: Arc::from(todo.as_str()) }];
            files.extend(current.iter().enumerate().filter_map(|(at, text)| {
                Some(SourceFile { path: path(at), text: Arc::from(text.as_deref()?) })
            }));
            files
        };
        let mut index = build(&sources(&current));
        let config = Config::default();
        let paths: HashSet<String> = (0..4).map(path).chain(["specs/TODO.md".to_string()]).collect();
        let mut store = DiagnosticStore::new(&index, &config, None, &paths);
        for (at, text) in rewrites {
            let update = index.set_file(&path(at), text.as_deref().map(Arc::from));
            store.update(&index, &config, None, &paths, &update);
            current[at] = text;
            let fresh = build(&sources(&current));
            let profiles = |index: &crate::index::WorkspaceIndex| format!("{:?}", index.trackers());
            prop_assert_eq!(profiles(&index), profiles(&fresh));
            prop_assert_eq!(canonical(&index), canonical(&fresh));
            prop_assert_eq!(rendered_with_fixes(&index, &store.all(&index)), rendered_with_fixes(&fresh, &check(&fresh)));
        }
    }
}

/// Whether an alias is learnt weighs its places against how often its status is written in
/// its own spelling, in every file of the tracker: a plan that loses two `[COMPLETED]` (and has
/// no odd marker of its own) tips `[COMPLETE]`, written three times elsewhere, into a
/// convention, and back when they return. The tracker must learn again although the plan's own
/// candidates did not change.
#[test]
fn a_status_written_less_often_in_its_own_spelling_tips_an_alias_into_a_convention() {
    use super::properties::{build, canonical};
    use crate::index::SourceFile;
    use std::sync::Arc;
    let todo: String = (0..4).map(|it| format!("### {it}. Task {it}\n- **Status**: [PLANNED]\n\n")).collect();
    let plan = |it: usize| format!("specs/00{it}_t/plans/implementation-001.md");
    let three = "- **Status**: [COMPLETED]\n### Phase 1: Work [COMPLETED]\n### Phase 2: Work [COMPLETED]\n";
    let one = "- **Status**: [COMPLETED]\n### Phase 1: Work [NOT STARTED]\n### Phase 2: Work [NOT STARTED]\n";
    let sources = |last: &str| -> Vec<SourceFile> {
        let mut files = vec![SourceFile { path: "specs/TODO.md".into(), text: Arc::from(todo.as_str()) }];
        files.extend((0..3).map(|it| SourceFile { path: plan(it), text: Arc::from("- **Status**: [COMPLETE]\n") }));
        files.push(SourceFile { path: plan(3), text: Arc::from(last) });
        files
    };
    let learned = |index: &crate::index::WorkspaceIndex| index.trackers()[0].choice.learned.len();
    let mut index = build(&sources(three));
    assert_eq!(learned(&index), 0, "three against three: not learnt");
    for (text, expected) in [(one, 1), (three, 0)] {
        index.set_file(&plan(3), Some(Arc::from(text)));
        let fresh = build(&sources(text));
        assert_eq!(learned(&fresh), expected);
        assert_eq!(format!("{:?}", index.trackers()), format!("{:?}", fresh.trackers()));
        assert_eq!(canonical(&index), canonical(&fresh));
    }
}

/// A TODO.md of one section per status, `[X]` for each `X` of `statuses`.
fn alias_todo(statuses: &[&str]) -> String {
    statuses
        .iter()
        .enumerate()
        .map(|(it, status)| format!("### {it}. Task {it}\n- **Status**: [{status}]\n- **Description**: d\n\n"))
        .collect()
}

/// A spec-folder tracker whose TODO.md is `todo` and whose first `plans` tasks have a plan that
/// writes the alias `[COMPLETE]`.
fn alias_workspace(todo: &str, plans: usize) -> Vec<crate::index::SourceFile> {
    use crate::index::SourceFile;
    let plan = |it: usize| format!("specs/00{it}_t/plans/implementation-001.md");
    let mut files = vec![SourceFile { path: "specs/TODO.md".into(), text: std::sync::Arc::from(todo) }];
    files.extend(
        (0..plans).map(|it| SourceFile { path: plan(it), text: std::sync::Arc::from("- **Status**: [COMPLETE]\n") }),
    );
    files
}

/// The same tipping when the own spellings that weigh against the alias are in TODO.md's
/// sections, which a status change re-reads in part (one section at a time): what the tracker
/// learns must follow there too. It did not: only a region's own candidates were compared.
#[test]
fn a_status_change_in_a_section_tips_an_alias_into_a_convention_too() {
    use super::properties::{build, canonical};
    use std::sync::Arc;
    let (todo, sources) = (alias_todo, |todo: &str| alias_workspace(todo, 4));
    let learned = |index: &crate::index::WorkspaceIndex| index.trackers()[0].choice.learned.len();
    let done = &["COMPLETED"; 4];
    let fewer = &["COMPLETED", "COMPLETED", "PLANNED", "COMPLETED"];
    // Four `[COMPLETE]` in the plans against four `[COMPLETED]` in TODO.md.
    let mut index = build(&sources(&todo(done)));
    assert_eq!(learned(&index), 0, "four against four: not learnt");
    for (text, expected) in [(todo(fewer), 1), (todo(done), 0), (todo(fewer), 1)] {
        index.set_file("specs/TODO.md", Some(Arc::from(text.as_str())));
        let fresh = build(&sources(&text));
        assert_eq!(learned(&fresh), expected, "{text}");
        assert_eq!(format!("{:?}", index.trackers()), format!("{:?}", fresh.trackers()), "{text}");
        assert_eq!(canonical(&index), canonical(&fresh));
    }
}

proptest! {
    /// Status changes of TODO.md's sections one at a time, as an editor types them, around the
    /// point where an alias (`[COMPLETE]`, in plans and sections) outnumbers its status's own
    /// spelling: each change that tips nothing is followed by difference (the tracker keeps
    /// its last learning with the counts moved), each one that tips learns again, and after
    /// every step the vocabulary, the index and the diagnostics are a fresh build's.
    #[test]
    fn section_status_changes_around_an_alias_s_tipping_point_learn_as_a_fresh_build(
        sections in prop::collection::vec(prop::sample::select(vec!["COMPLETED", "COMPLETE", "BLOCKED"]), 2..7),
        plans in 0usize..4,
        changes in prop::collection::vec((0usize..7, prop::sample::select(vec!["COMPLETED", "COMPLETE", "BLOCKED"])), 1..10),
    ) {
        use std::collections::HashSet;
        use std::sync::Arc;
        use crate::config::Config;
        use crate::rules::DiagnosticStore;
        use super::properties::{build, canonical, check};
        let (todo, sources) = (alias_todo, |todo: &str| alias_workspace(todo, plans));
        let mut statuses = sections.clone();
        let mut index = build(&sources(&todo(&statuses)));
        let config = Config::default();
        let paths: HashSet<String> = sources("").into_iter().map(|it| it.path).collect();
        let mut store = DiagnosticStore::new(&index, &config, None, &paths);
        for (at, status) in changes {
            let at = at % statuses.len();
            statuses[at] = status;
            let text = todo(&statuses);
            let update = index.set_file("specs/TODO.md", Some(Arc::from(text.as_str())));
            store.update(&index, &config, None, &paths, &update);
            let fresh = build(&sources(&text));
            prop_assert_eq!(format!("{:?}", index.trackers()), format!("{:?}", fresh.trackers()), "{}", text);
            prop_assert_eq!(canonical(&index), canonical(&fresh));
            prop_assert_eq!(rendered_with_fixes(&index, &store.all(&index)), rendered_with_fixes(&fresh, &check(&fresh)));
        }
    }
}

/// Whether a TODO.md follows a requirement (`**Completed**` on done tasks) is a tally over
/// all of its sections: an edit of one section that tips it (one of two done tasks writes its
/// date, then neither does, then both) leaves the diagnostics a fresh check finds, and an
/// edit that keeps it (a description typed) does too.
#[test]
fn an_edit_that_tips_whether_a_todo_file_follows_a_requirement_is_followed() {
    use super::properties::{build, check};
    use crate::config::Config;
    use crate::index::SourceFile;
    use crate::rules::DiagnosticStore;
    use std::collections::HashSet;
    use std::sync::Arc;
    let todo = |first: &str, second: &str| {
        format!(
            "### 1. One\n- **Status**: [COMPLETED]\n{first}- **Description**: a\n\n### 2. Two\n- **Status**: [COMPLETED]\n{second}\n### 3. Three\n- **Status**: [PLANNED]\n"
        )
    };
    let dated = "- **Completed**: 2026-01-02\n";
    let sources = |text: &str| vec![SourceFile { path: "specs/TODO.md".into(), text: Arc::from(text) }];
    let config = Config::default();
    let first = todo(dated, "");
    let mut index = build(&sources(&first));
    let paths: HashSet<String> = ["specs/TODO.md".to_string()].into();
    let mut store = DiagnosticStore::new(&index, &config, None, &paths);
    let missing = |diagnostics: &[crate::diagnostic::Diagnostic]| {
        diagnostics.iter().filter(|it| it.code.to_string() == "missing-field").count()
    };
    assert_eq!(missing(&store.all(&index)), 1, "one of two writes it: followed, the other is missing it");
    for (text, expected) in [
        (todo("", ""), 0),
        (todo(dated, ""), 1),
        (todo(dated, "").replace("- **Description**: a", "- **Description**: ab"), 1),
        (todo(dated, dated), 0),
    ] {
        let update = index.set_file("specs/TODO.md", Some(Arc::from(text.as_str())));
        assert!(update.edit.is_some(), "re-parsed in part: {text}");
        store.update(&index, &config, None, &paths, &update);
        let fresh = build(&sources(&text));
        assert_eq!(missing(&check(&fresh)), expected, "{text}");
        let render = |index: &crate::index::WorkspaceIndex, list: &[crate::diagnostic::Diagnostic]| {
            list.iter().map(|it| format!("{} {:?} {}", index.path(it.file), it.range, it.message)).collect::<Vec<_>>()
        };
        assert_eq!(render(&index, &store.all(&index)), render(&fresh, &check(&fresh)), "{text}");
    }
}

/// A keystroke in a big TODO.md moves the bytes of every place after it, and thousands of
/// plans' diagnostics point to those places: only those whose lines or columns moved are news
/// to their files (the editor is sent those again).
#[test]
fn a_keystroke_touches_the_files_whose_diagnostics_moved_in_lines_or_columns_only() {
    use super::properties::build;
    use crate::config::Config;
    use crate::index::SourceFile;
    use crate::rules::DiagnosticStore;
    use std::collections::HashSet;
    use std::sync::Arc;
    let todo = "### 4. Four\nSome notes.\n- **Status**: [PLANNED]\n\n### 5. Five\n- **Status**: [PLANNED]\n";
    // The plan says otherwise than the two others: its diagnostic points to TODO.md's marker.
    let plan = "# Plan\n- **Status**: [COMPLETED]\n";
    let state = "{\"active_projects\": [{\"project_number\": 5, \"status\": \"planned\"}]}\n";
    let files = vec![
        SourceFile { path: "specs/TODO.md".into(), text: Arc::from(todo) },
        SourceFile { path: "specs/005_five/plans/implementation-001.md".into(), text: Arc::from(plan) },
        SourceFile { path: "specs/state.json".into(), text: Arc::from(state) },
    ];
    let mut index = build(&files);
    let config = Config::default();
    let paths: HashSet<String> = files.iter().map(|it| it.path.clone()).collect();
    let mut store = DiagnosticStore::new(&index, &config, None, &paths);
    let plan_md = index.file_id("specs/005_five/plans/implementation-001.md").expect("indexed");
    let todo_md = index.file_id("specs/TODO.md").expect("indexed");
    let pointing = |index: &crate::index::WorkspaceIndex, store: &DiagnosticStore| {
        store.all(index).iter().filter(|it| it.file == plan_md && it.related.iter().any(|r| r.file == todo_md)).count()
    };
    assert_eq!(pointing(&index, &store), 1, "{:?}", store.all(&index));
    // TODO.md takes `text`; the files the store names as changed.
    let write = |index: &mut crate::index::WorkspaceIndex, store: &mut DiagnosticStore, text: &str| {
        let update = index.set_file("specs/TODO.md", Some(Arc::from(text)));
        store.update(index, &config, None, &paths, &update)
    };
    // A character in another task's section above: the marker keeps its line and column.
    let above = "### 4. Four\nSome notes!.\n- **Status**: [PLANNED]\n\n### 5. Five\n- **Status**: [PLANNED]\n";
    let touched = write(&mut index, &mut store, above);
    assert!(!touched.contains(&plan_md), "the plan's diagnostic did not move in lines or columns");
    assert_eq!(pointing(&index, &store), 1);
    // A character before the marker on its own line: its column moved.
    let before = "### 4. Four\nSome notes!.\n- **Status**: [PLANNED]\n\n### 5. Five\n- **Status**:  [PLANNED]\n";
    let touched = write(&mut index, &mut store, before);
    assert!(touched.contains(&plan_md), "the plan's diagnostic points to a column that moved");
    // Characters that share their last byte (`ä` and `Ǥ`): the change found by comparing the
    // texts ends at the character's bounds, not inside it.
    let inside = "### 4. Four\nSome notes!ä.\n- **Status**: [PLANNED]\n\n### 5. Five\n- **Status**:  [PLANNED]\n";
    write(&mut index, &mut store, inside);
    let inside = "### 4. Four\nSome notes!Ǥ.\n- **Status**: [PLANNED]\n\n### 5. Five\n- **Status**:  [PLANNED]\n";
    let touched = write(&mut index, &mut store, inside);
    assert!(!touched.contains(&plan_md), "the plan's diagnostic did not move");
    assert_eq!(pointing(&index, &store), 1);
    // A line more above it: its line moved.
    let added = "### 4. Four\nSome notes!Ǥ.\nMore.\n- **Status**: [PLANNED]\n\n### 5. Five\n- **Status**:  [PLANNED]\n";
    let touched = write(&mut index, &mut store, added);
    assert!(touched.contains(&plan_md), "the plan's diagnostic points to a line that moved");
}
