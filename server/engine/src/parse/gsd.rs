//! GSD (get-shit-done): `.planning/ROADMAP.md` lists the phases with a box each
//! (`- [x] **Phase 13: Quick Fixes** - ...`), repeats each phase's plans under its
//! `### Phase 13: ...` section (`- [x] 13-01-PLAN.md -- ...`) and sums them up in a progress
//! table (`| 13. Quick Fixes | v1.2 | 2/2 | Complete | 2026-04-22 |`); a plan is done when
//! GSD wrote its `.planning/phases/13-quick-fixes/13-01-SUMMARY.md`.
//!
//! A phase is a task (`13`, `4.2`: the number without leading zeros) whose places are its box
//! and its table row, with its plans' boxes under it; a plan is a task (`13-01`) whose places
//! are its box and, once written, its summary file (read only: GSD writes it when the plan is
//! executed). A table status GSD's vocabulary does not know is left unread rather than
//! reported: the table is a summary people reword.

use crate::markdown::Outline;
use crate::model::{Children, ParsedFile, PlaceKind, Subject, TaskKey};
use crate::parse::{ParseContext, item_from_checkbox, location_place, place};
use crate::text::range;
use crate::vocabulary::{Lookup, Scope, Spelling};

/// `.planning/ROADMAP.md`.
pub fn parse_roadmap(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let outline = Outline::new(text);
    let mut out = ParsedFile::default();
    // The phase each `### Phase N:` section is about, by where the section starts.
    let sections: Vec<(usize, Option<String>)> = outline
        .headings
        .iter()
        .map(|it| (usize::from(it.line.start()), phase_named(&text[it.content]).map(|(number, _)| number)))
        .collect();
    let section_at = |offset: usize| -> Option<&str> {
        let after = sections.partition_point(|(start, _)| *start <= offset);
        after.checked_sub(1).and_then(|it| sections[it].1.as_deref())
    };
    // Phase boxes by place index, and each plan box with the section it is under.
    let mut phases: Vec<(usize, String)> = Vec::new();
    let mut plans: Vec<(usize, Option<String>)> = Vec::new();
    for (list_item, line, checkbox) in outline.checkboxes(text, range(0, text.len())) {
        let base = usize::from(line.start());
        let after = &text[line][checkbox.text_start..];
        let marker = range(base + checkbox.char_start, base + checkbox.char_start + checkbox.state.len());
        let (id, title, kind) = if let Some((number, title)) = phase_named(after) {
            (number, title, PlaceKind::IndexLine)
        } else if let Some((id, title)) = plan_named(after) {
            (id.to_string(), title, PlaceKind::ChecklistTask)
        } else {
            if let Some(item) = item_from_checkbox(cx, text, line, &checkbox, list_item.depth) {
                out.items.push(item);
            }
            continue;
        };
        let mut it =
            place(cx, Subject::Task(TaskKey::new(cx.scope, &id)), kind, text, marker, Spelling::Checkbox, Scope::Task);
        it.title = (!title.is_empty()).then(|| title.into());
        it.extent = list_item.range;
        let at = out.places.len();
        if kind == PlaceKind::IndexLine {
            phases.push((at, id));
        } else {
            plans.push((at, section_at(base).map(str::to_string)));
        }
        out.places.push(it);
    }
    // A phase's plans are the plan boxes of its own section, one run of places.
    for (phase_at, number) in &phases {
        let mine: Vec<usize> =
            plans.iter().filter(|(_, section)| section.as_deref() == Some(number)).map(|(at, _)| *at).collect();
        if let (Some(first), Some(last)) = (mine.first(), mine.last())
            && last - first + 1 == mine.len()
        {
            out.places[*phase_at].child_places = Children::new(*first..last + 1);
        }
    }
    progress_table(cx, text, &outline, &mut out);
    out
}

/// The progress table's rows: `| Phase | ... | Status | ... |` with `13. Quick Fixes` in the
/// phase column.
fn progress_table(cx: &ParseContext<'_>, text: &str, outline: &Outline, out: &mut ParsedFile) {
    let mut status_column: Option<usize> = None;
    for row in &outline.table_rows {
        if outline.in_code(row.range.start()) {
            continue;
        }
        let cell = |at: usize| row.cells.get(at).map(|it| text[*it].trim().trim_matches('|').trim());
        if row.is_head {
            let first = cell(0).unwrap_or_default();
            status_column = (first.eq_ignore_ascii_case("phase"))
                .then(|| (0..row.cells.len()).find(|at| cell(*at).is_some_and(|it| it.eq_ignore_ascii_case("status"))))
                .flatten();
            continue;
        }
        let Some(column) = status_column else { continue };
        let (Some(phase), Some(status_cell)) = (cell(0), row.cells.get(column)) else { continue };
        let Some((number, title)) = leading_number(phase) else { continue };
        let raw = &text[*status_cell];
        let inner = raw.trim().trim_matches('|').trim().trim_matches('*').trim();
        let Some(offset) = raw.find(inner).filter(|_| !inner.is_empty()) else { continue };
        let start = usize::from(status_cell.start()) + offset;
        // A status the vocabulary does not know is a remark, not a disagreement.
        if !matches!(cx.profile.lookup(Spelling::Word, inner, Scope::Task), Lookup::Known(_)) {
            continue;
        }
        let mut it = place(
            cx,
            Subject::Task(TaskKey::new(cx.scope, &number)),
            PlaceKind::PhaseTableRow,
            text,
            range(start, start + inner.len()),
            Spelling::Word,
            Scope::Task,
        );
        let title = title.trim_start_matches(['.', ':']).trim();
        it.title = (!title.is_empty()).then(|| title.into());
        it.extent = row.range;
        out.places.push(it);
    }
}

/// `Phase 13: Quick Fixes** - ...` (bold or not): the phase number without leading zeros, and
/// the title.
fn phase_named(text: &str) -> Option<(String, &str)> {
    let rest = text.trim_start_matches('*').trim_start().strip_prefix("Phase ")?;
    let (number, after) = leading_number(rest)?;
    let after = after.strip_prefix(':')?;
    let title = after.split(" - ").next().unwrap_or(after).split(" -- ").next().unwrap_or(after);
    Some((number, title.trim().trim_matches('*').trim()))
}

/// `13-01-PLAN.md -- title`, `42-01: TBD`, `01.2-01a-PLAN.md`: the plan's id and its title.
fn plan_named(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start().trim_start_matches('*');
    let phase = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).filter(|it| *it > 0)?;
    let rest = text[phase..].strip_prefix('-')?;
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    if digits == 0 {
        return None;
    }
    let letters = rest[digits..].find(|c: char| !c.is_ascii_lowercase()).unwrap_or(rest.len() - digits);
    let end = phase + 1 + digits + letters;
    let after = &text[end..];
    let after = after.strip_prefix("-PLAN.md").unwrap_or(after).trim_start_matches('*');
    if !(after.is_empty() || after.starts_with([' ', ':'])) {
        return None;
    }
    let title = after.trim_start_matches([':', ' ']).trim_start_matches(['-', '—', '–']).trim();
    Some((&text[..end], title))
}

/// A phase number at the start (`13`, `04.2`, `38.1`) without leading zeros, and what follows.
fn leading_number(text: &str) -> Option<(String, &str)> {
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let written = text[..end].trim_end_matches('.');
    if written.is_empty() || !written.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let number = written
        .split('.')
        .map(|part| {
            let trimmed = part.trim_start_matches('0');
            if trimmed.is_empty() { "0" } else { trimmed }
        })
        .collect::<Vec<_>>()
        .join(".");
    Some((number, &text[written.len()..]))
}

/// `.planning/phases/13-quick-fixes/13-01-SUMMARY.md`: GSD wrote it when it executed plan
/// `13-01`, which is then done.
pub fn parse_summary(cx: &ParseContext<'_>, text: &str) -> ParsedFile {
    let mut out = ParsedFile::default();
    let name = cx.path.rsplit('/').next().unwrap_or_default();
    let Some(plan) = name.strip_suffix("-SUMMARY.md").filter(|it| plan_named(it).is_some()) else { return out };
    let mut it = location_place(
        cx,
        TaskKey::new(cx.scope, plan),
        text,
        "complete",
        "GSD writes a plan's summary when it executes the plan",
    );
    it.kind = PlaceKind::SummaryFile;
    out.places.push(it);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{RuleCode, Severity};
    use crate::fixture::diagnostics;

    const ROADMAP: &str = "%! .planning/ROADMAP.md\n# Roadmap\n\n## Phases\n\n- [x] **Phase 1: Foundation** - Scaffold\n- [ ] **Phase 2: Import** - Wizard\n- [x] **Phase 3: Export** - CSV\n\n## Phase Details\n\n### Phase 1: Foundation\nPlans:\n- [x] 01-01-PLAN.md -- Scaffold\n\n### Phase 2: Import\nPlans:\n- [x] 02-01-PLAN.md -- Parser\n- [x] 02-02-PLAN.md -- Wizard\n\n### Phase 3: Export\nPlans:\n- [x] 03-01-PLAN.md -- Writer\n- [ ] 03-02-PLAN.md -- Dialog\n\n## Progress\n\n| Phase | Milestone | Plans Complete | Status | Completed |\n|---|---|---|---|---|\n| 1. Foundation | v1.0 | 1/1 | Complete | 2026-04-19 |\n| 2. Import | v1.0 | 2/2 | Complete | 2026-04-22 |\n| 3. Export | v1.0 | 1/2 | In Progress | - |\n%! .planning/phases/03-export/03-02-SUMMARY.md\n# Summary\n";

    /// The drift of get-shit-done #956, each kind once: a phase box behind its table row and
    /// its plans, a phase done with a plan open, a plan box behind its summary file.
    #[test]
    fn phases_and_plans_of_a_roadmap() {
        let (index, found) = diagnostics(ROADMAP, None);
        let expected = [
            (RuleCode::StatusMismatch, Severity::Error, "2"),
            (RuleCode::OpenChildren, Severity::Hint, "2"),
            (RuleCode::StatusMismatch, Severity::Error, "3"),
            (RuleCode::OpenChildren, Severity::Warning, "3"),
            (RuleCode::StatusMismatch, Severity::Error, "03-02"),
        ];
        crate::fixture::assert_diagnostics(&found, &expected);
        // The summary says the plan was executed: the box is the place behind.
        let behind = found.iter().find(|it| it.task.as_ref().is_some_and(|task| &*task.id == "03-02"));
        assert!(behind.is_some_and(|it| it.message.contains("GSD wrote its summary")), "{behind:?}");
        let plan = crate::ide::task_summary(&index, &TaskKey::new(".planning", "03-02"));
        assert_eq!(plan.title.as_deref(), Some("Dialog"));
        assert!(!plan.agrees());
        let phase = crate::ide::task_summary(&index, &TaskKey::new(".planning", "1"));
        assert!(phase.agrees(), "{phase:?}");
        assert_eq!(phase.places.len(), 2);
    }

    /// agent-workforce's phase 37: its table row says `4/4 | Complete` while its box and every
    /// plan line are open. The row is held to the plans (its box does not answer for them, as
    /// it does not say done): reported at the row, besides the box and row disagreeing.
    #[test]
    fn a_table_row_done_over_open_plans() {
        let roadmap = "%! .planning/ROADMAP.md\n# Roadmap\n\n- [ ] **Phase 37: HITL Approval** - Gates\n- [x] **Phase 38: Audit** - Log\n\n### Phase 37: HITL Approval\nPlans:\n- [ ] 37-01-PLAN.md -- Gate\n- [ ] 37-02-PLAN.md -- Inbox\n\n### Phase 38: Audit\nPlans:\n- [x] 38-01-PLAN.md -- Log\n\n## Progress\n\n| Phase | Milestone | Plans Complete | Status | Completed |\n|---|---|---|---|---|\n| 37. HITL Approval | V3.0 | 2/2 | Complete | 2026-03-23 |\n| 38. Audit | V3.0 | 1/1 | Complete | 2026-03-24 |\n";
        let (_, found) = diagnostics(roadmap, None);
        let expected =
            [(RuleCode::StatusMismatch, Severity::Error, "37"), (RuleCode::OpenChildren, Severity::Warning, "37")];
        crate::fixture::assert_diagnostics(&found, &expected);
        let open = found.iter().find(|it| it.code == RuleCode::OpenChildren).expect("open-children");
        assert!(open.message.contains("`Complete` but 2 of the 2"), "{}", open.message);
        assert_eq!(open.related.len(), 2);
    }

    /// `set` ticks a plan's box and writes a phase's box and table row in GSD's words; the
    /// summary file is never touched.
    #[test]
    fn set_writes_the_boxes_and_the_table() {
        let index = crate::fixture::index(ROADMAP);
        let options = crate::fixture::options_at("2026-11-27T10:00:00Z");
        let plan = crate::edit::plan_status_change(&index, &TaskKey::new(".planning", "03-02"), "complete", &options)
            .expect("a plan");
        let after = crate::fixture::apply(ROADMAP, &index, &plan);
        assert!(after.contains("- [x] 03-02-PLAN.md -- Dialog"), "{after}");
        let index = crate::fixture::index(&after);
        let phase = crate::edit::plan_status_change(&index, &TaskKey::new(".planning", "3"), "complete", &options)
            .expect("a plan");
        let after = crate::fixture::apply(&after, &index, &phase);
        assert!(after.contains("| 3. Export | v1.0 | 1/2 | Complete | - |"), "{after}");
        let (_, found) = diagnostics(&after, None);
        let left: Vec<String> =
            found.iter().filter_map(|it| it.task.as_ref().map(|task| task.id.to_string())).collect();
        assert_eq!(left, ["2", "2"], "{found:#?}");
    }

    #[test]
    fn phases_plans_and_numbers() {
        assert_eq!(phase_named("**Phase 13: Quick Fixes** - Certificate skip"), Some(("13".into(), "Quick Fixes")));
        assert_eq!(phase_named("Phase 04.2: Tool Selection -- resolver"), Some(("4.2".into(), "Tool Selection")));
        assert_eq!(phase_named("Phase one"), None);
        assert_eq!(plan_named("13-01-PLAN.md -- Connection reliability"), Some(("13-01", "Connection reliability")));
        assert_eq!(plan_named("42-01: TBD"), Some(("42-01", "TBD")));
        assert_eq!(plan_named("01.2-01a-PLAN.md -- Install"), Some(("01.2-01a", "Install")));
        assert_eq!(plan_named("13-01"), Some(("13-01", "")));
        assert_eq!(plan_named("2026-04-22 release"), None);
        assert_eq!(plan_named("GitHub Actions CI"), None);
        assert_eq!(leading_number("13. Quick Fixes"), Some(("13".into(), ". Quick Fixes")));
        assert_eq!(leading_number("38.1 Full Pipeline"), Some(("38.1".into(), " Full Pipeline")));
        assert_eq!(leading_number("01.10"), Some(("1.10".into(), "")));
    }
}
