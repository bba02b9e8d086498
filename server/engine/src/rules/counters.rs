//! `stale-counts`: TODO.md's `task_counts` and `next_project_number`, and state.json's.

use crate::diagnostic::{FixHint, RuleCode, diagnostic};
use crate::index::{FileId, WorkspaceIndex};
use crate::layout::Role;
use crate::model::{Counter, PlaceKind, TagCounted};
use crate::rules::Sink;
use crate::vocabulary::{Kind, Scope};

/// A counter and the value it should have. `at_least` counters count archived tasks too, which
/// this workspace may not hold, so only a value below what is visible is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expectation {
    pub counter: Counter,
    pub expected: u64,
    pub at_least: bool,
    /// Another value the counter's name may mean, where trackers differ: state.json's
    /// `task_counts.active` counts its open entries in some, every entry of `active_projects`
    /// in others (finished ones until they are archived). Either is right; a counter that says
    /// neither has no safe value to be set to.
    pub alternative: Option<u64>,
    pub reason: String,
}

impl Expectation {
    pub(crate) fn is_stale(&self) -> bool {
        if self.at_least {
            self.counter.value < self.expected
        } else {
            self.counter.value != self.expected && self.alternative != Some(self.counter.value)
        }
    }

    /// Whether a stale counter has one value to be set to: not when two readings of its name
    /// give two values.
    pub(crate) fn has_one_value(&self) -> bool {
        self.alternative.is_none_or(|it| it == self.expected)
    }

    /// The reading of its name the counter keeps now: the alternative when it says that and not
    /// the expected value (an edit that moves what is counted moves it by that reading).
    pub(crate) fn kept(&self) -> u64 {
        match self.alternative {
            Some(other) if self.counter.value == other && self.counter.value != self.expected => other,
            _ => self.expected,
        }
    }
}

pub(super) fn file(index: &WorkspaceIndex, file: FileId, sink: &mut Sink<'_>) {
    if !sink.enabled(RuleCode::StaleCounts) {
        return;
    }
    for expectation in expectations(index, file) {
        if expectation.is_stale() {
            let mut it = diagnostic(RuleCode::StaleCounts, file, expectation.counter.range, expectation.reason.clone());
            // Two readings, two values: the user's to choose, not a fix to apply.
            it.fix = expectation.has_one_value().then_some(FixHint::RecomputeCounters);
            sink.push(it);
        }
    }
}

/// What `next_project_number` should say, as one expectation however many things it must be
/// above: a counter gets one diagnostic and one fix, never two edits of the same number.
///
/// TODO.md and state.json keep the same number. A wrap seen from either counter is real (the
/// counter sitting in the gap after the young block is the tracker's own evidence), so a
/// counter that only makes sense before the wrap (999 where tasks 1 to 80 came after 998) is
/// wrong whatever the other says, and the number both should hold is the larger safe one: never
/// a pre-wrap number, and never below the newest id since the wrap. (An old `fix` left TODO.md
/// at 999 and state.json at 82; `new` then refused and `fix` found nothing to do.)
fn next_project_number(index: &WorkspaceIndex, scope: &str, role: Role, counter: &Counter) -> Option<Expectation> {
    let ids = SortedIds::of(index.tasks_in(scope).filter_map(|(key, _)| key.id.parse::<u64>().ok()));
    let (mirror_role, mirror_name) = match role {
        Role::Todo => (Role::StateJson, "state.json"),
        _ => (Role::Todo, "TODO.md"),
    };
    let counter_of = |other: &crate::index::FileEntry| {
        (other.class.role == mirror_role && other.class.root == scope)
            .then(|| other.parsed.counters.as_ref()?.next_project_number.clone())
            .flatten()
    };
    let mirror = match mirror_role {
        // A tracker's state.json is only ever `<root>/state.json` (`layout::classify`): one
        // lookup, where a look at every file cost a keystroke in a 50,000-file workspace 2 ms.
        Role::StateJson => {
            index.file_id(&format!("{scope}/state.json")).and_then(|id| index.entry(id)).and_then(counter_of)
        }
        // A TODO.md may be named several ways and sit beside its `specs/` folder: one of the
        // files so named.
        _ => index.todo_files().find_map(|(_, other)| counter_of(other)),
    };
    let newest = |value: u64| newest_id(&ids, value);
    let since_wrap =
        [Some(counter.value), mirror.as_ref().map(|it| it.value)].into_iter().flatten().filter_map(newest).min();
    let pre_wrap = |value: u64| since_wrap.is_some_and(|since| newest(value).is_some_and(|it| it > since));
    let stale_wrap = pre_wrap(counter.value);
    let mut expected = 0;
    let mut reasons = Vec::new();
    if let Some(since) = since_wrap {
        expected = since + 1;
        if stale_wrap {
            reasons.push(format!("the ids wrapped: task {since} is the newest since"));
        } else if counter.value < expected {
            reasons.push(format!("task {since} already exists"));
        }
    }
    if let Some(mirror) = mirror
        && !pre_wrap(mirror.value)
        && ((role == Role::Todo && mirror.value > counter.value)
            || (stale_wrap && mirror.value > since_wrap.unwrap_or(0)))
    {
        expected = expected.max(mirror.value);
        reasons.push(format!("{mirror_name} says {}", mirror.value));
    }
    (expected > 0).then(|| Expectation {
        counter: counter.clone(),
        expected,
        // A pre-wrap number is wrong however high it is.
        at_least: !stale_wrap,
        alternative: None,
        reason: if reasons.is_empty() {
            String::new()
        } else {
            format!("next_project_number is {} but {}", counter.value, reasons.join(" and "))
        },
    })
}

/// Task ids, sorted and without repeats: sorted once however many counters are read against
/// them (a tracker of 25,000 tasks sorted four times per keystroke before).
pub(crate) struct SortedIds(Vec<u64>);

impl SortedIds {
    pub(crate) fn of(ids: impl Iterator<Item = u64>) -> SortedIds {
        let mut sorted: Vec<u64> = ids.collect();
        sorted.sort_unstable();
        sorted.dedup();
        SortedIds(sorted)
    }

    pub(crate) fn as_slice(&self) -> &[u64] {
        &self.0
    }
}

/// The newest task id: the highest, unless the tracker allocates ids modulo a power of ten and
/// has wrapped (tasks 953 to 998 written before tasks 1 to 68, `next_project_number: 69`). A wrap
/// shows in the ids and the counter together: an old block that reaches up to the modulus, a
/// young block from 1, and the counter in the gap between them: anywhere in a gap of more than
/// half the modulus, or right above the young block with no id for a tenth of the modulus above
/// it. (The gap is the one the counter sits in, not the widest one: a stray id in the middle,
/// task 350 among 1 to 80 and 953 to 998, must not turn a wrapped counter of 81 into 999.)
///
/// Found by binary search in ids sorted once, not by a walk over every id.
pub(crate) fn newest_id(ids: &SortedIds, counter: u64) -> Option<u64> {
    let sorted = &ids.0;
    let highest = *sorted.last()?;
    let modulus = 10u64.checked_pow(highest.checked_ilog10()? + 1)?;
    let tenth = modulus / 10;
    let split = sorted.partition_point(|it| *it < counter);
    let below = split.checked_sub(1).map(|it| sorted[it]);
    let above = sorted.get(split).copied();
    let wrapped = match (below, above) {
        (Some(below), Some(above)) => {
            modulus - highest <= tenth
                && sorted.first().is_some_and(|it| *it <= tenth)
                && (above - below > modulus / 2 || (counter - below <= tenth && above - counter > tenth))
        }
        _ => false,
    };
    Some(match (wrapped, below) {
        (true, Some(below)) => below,
        _ => highest,
    })
}

/// What each counter of `file` should say.
pub(crate) fn expectations(index: &WorkspaceIndex, file: FileId) -> Vec<Expectation> {
    let Some(entry) = index.entry(file) else { return Vec::new() };
    let Some(counters) = &entry.parsed.counters else { return Vec::new() };
    let Some(profile) = index.profile(file) else { return Vec::new() };
    let scope = entry.class.root.as_str();
    let mut out = Vec::new();

    if let Some(counter) = &counters.next_project_number {
        out.extend(next_project_number(index, scope, entry.class.role, counter));
    }

    for count in &counters.tag_counts {
        let tasks: Vec<_> = entry
            .parsed
            .places
            .iter()
            .filter(|it| it.kind == PlaceKind::TaskJson)
            .filter(|it| it.task().is_some_and(|task| crate::parse::taskmaster::is_tag_task(&count.tag, task)))
            .collect();
        let (expected, what) = match count.counted {
            TagCounted::Tasks => (tasks.len(), "tasks"),
            TagCounted::Completed => (
                tasks.iter().filter(|it| it.status.is_some_and(|status| profile.kind(status) == Kind::Done)).count(),
                "tasks done",
            ),
        };
        out.push(Expectation {
            counter: count.counter.clone(),
            expected: expected as u64,
            at_least: false,
            alternative: None,
            reason: format!(
                "{}'s {} is {} but tasks.json holds {expected} {what} in {}",
                count.tag, count.counter.key, count.counter.value, count.tag
            ),
        });
    }
    out.extend(folder_counts(index, entry, profile, &counters.folder_counts));
    if counters.task_counts.is_empty() {
        return out;
    }
    // What each store counts: TODO.md its sections; state.json its entries, the live ones and
    // `completed_projects` (the counts of closed statuses are at least what is listed).
    let (counted, store): (&[PlaceKind], &str) = match entry.class.role {
        Role::StateJson => (&[PlaceKind::StateJson, PlaceKind::ArchivedStateJson], "state.json"),
        _ => (&[PlaceKind::TodoSection], "TODO.md"),
    };
    let statuses: Vec<_> =
        entry.parsed.places.iter().filter(|it| counted.contains(&it.kind)).filter_map(|it| it.status).collect();
    // state.json's `active_projects`, finished entries too (see `Expectation::alternative`).
    let live_entries = match entry.class.role {
        Role::StateJson => {
            Some(entry.parsed.places.iter().filter(|it| it.kind == PlaceKind::StateJson && it.status.is_some()).count())
        }
        _ => None,
    };
    for counter in &counters.task_counts {
        let key = counter.key.as_str();
        let mut alternative = None;
        let (expected, at_least, what) = if key == "active" {
            let open = statuses.iter().filter(|it| profile.counts_as_active(**it)).count();
            alternative = live_entries.filter(|it| *it != open).map(|it| it as u64);
            (open, false, "open".to_string())
        } else if key == "total" {
            (statuses.len(), true, String::new())
        } else if let Some(status) = profile.ids().find(|it| {
            let def = profile.status(*it);
            def.in_scope(Scope::Task) && (def.json.as_deref() == Some(key) || def.id == key)
        }) {
            let count = statuses.iter().filter(|it| **it == status).count();
            (count, profile.kind(status).is_closed(), format!("`{}`", profile.display(status)))
        } else {
            continue;
        };
        let tasks = if expected == 1 { "task" } else { "tasks" };
        let what = if what.is_empty() {
            tasks.to_string()
        } else if what == "open" {
            format!("open {tasks}")
        } else {
            format!("{tasks} {what}")
        };
        let reason = match (at_least, alternative) {
            (true, _) => format!("task_counts.{key} is {} but {store} alone has {expected} {what}", counter.value),
            (false, Some(entries)) => format!(
                "task_counts.{key} is {} but {store} has {expected} {what} and {entries} entries in active_projects (trackers count either; set it to the one this tracker means)",
                counter.value
            ),
            (false, None) => format!("task_counts.{key} is {} but {store} has {expected} {what}", counter.value),
        };
        out.push(Expectation { counter: counter.clone(), expected: expected as u64, at_least, alternative, reason });
    }
    out
}

/// What compozy's `_meta.md` counts: the task files of its feature's folder, those done, those
/// not begun.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FolderTally {
    pub total: usize,
    pub done: usize,
    pub not_begun: usize,
}

impl FolderTally {
    /// What a `_meta.md` count should say under this tally; `None` where it is not judged:
    /// `Pending` only while every task is pending or completed (whether compozy counts a task
    /// in progress as pending is not its files' to say).
    pub(crate) fn expected(&self, counted: crate::model::FolderCounted) -> Option<usize> {
        use crate::model::FolderCounted;
        match counted {
            FolderCounted::Tasks => Some(self.total),
            FolderCounted::Done => Some(self.done),
            FolderCounted::NotBegun => (self.done + self.not_begun == self.total).then_some(self.not_begun),
        }
    }
}

/// The tally of the task files of the compozy feature at `root` (the folder is its tracker:
/// its task files are its tasks with a frontmatter place).
pub(crate) fn folder_tally(index: &WorkspaceIndex, root: &str, profile: &crate::vocabulary::Profile) -> FolderTally {
    let mut tally = FolderTally { total: 0, done: 0, not_begun: 0 };
    for (_, task) in index.tasks_in(root) {
        let Some(place) = task.places.iter().map(|it| index.place(*it)).find(|it| it.kind == PlaceKind::Frontmatter)
        else {
            continue;
        };
        tally.total += 1;
        match place.status.map(|status| profile.kind(status)) {
            Some(Kind::Done) => tally.done += 1,
            Some(Kind::Todo) => tally.not_begun += 1,
            _ => {}
        }
    }
    tally
}

/// compozy's `_meta.md` against the task files of its folder (`task_01.md`: one task each, its
/// frontmatter `status:`). `Pending` is checked only where every task is pending or completed:
/// whether compozy counts a task in progress as pending is not its files' to say.
fn folder_counts(
    index: &WorkspaceIndex,
    entry: &crate::index::FileEntry,
    profile: &crate::vocabulary::Profile,
    counts: &[crate::model::FolderCount],
) -> Vec<Expectation> {
    use crate::model::FolderCounted;
    if counts.is_empty() {
        return Vec::new();
    }
    let tally = folder_tally(index, &entry.class.root, profile);
    let FolderTally { total, done, not_begun } = tally;
    counts
        .iter()
        .filter_map(|count| {
            let of = |count: usize, what: &str| {
                let verb = if count == 1 { "is" } else { "are" };
                format!("{count} of the folder's {total} task files {verb} {what}")
            };
            let expected = tally.expected(count.counted)?;
            let found = match count.counted {
                FolderCounted::Tasks => format!("the folder has {total} task files"),
                FolderCounted::Done => of(done, "completed"),
                FolderCounted::NotBegun => of(not_begun, "pending"),
            };
            Some(Expectation {
                counter: count.counter.clone(),
                expected: expected as u64,
                at_least: false,
                alternative: None,
                reason: format!("_meta.md says {} {} but {found}", count.counter.key, count.counter.value),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{SortedIds, newest_id};
    use crate::diagnostic::RuleCode;
    use crate::fixture::diagnostics;

    fn newest_among(ids: &[u64], counter: u64) -> Option<u64> {
        newest_id(&SortedIds::of(ids.iter().copied()), counter)
    }

    #[test]
    fn ids_that_wrapped_at_a_power_of_ten_are_read_as_such() {
        let wrapped: Vec<u64> = (953..=998).chain(1..=68).collect();
        assert_eq!(newest_among(&wrapped, 69), Some(68), "69 is right after the young block");
        assert_eq!(newest_among(&wrapped, 82), Some(68), "a counter further into the gap is above it too");
        // Without a counter in the gap, or without the blocks at both ends, nothing wrapped.
        assert_eq!(newest_among(&wrapped, 999), Some(998));
        assert_eq!(newest_among(&[1, 2, 3, 800], 4), Some(800), "an old outlier far from the modulus' end");
        assert_eq!(newest_among(&[1, 2, 3, 995], 4), Some(3));
        assert_eq!(newest_among(&[1, 2, 3, 4], 2), Some(4));
        assert_eq!(newest_among(&[], 2), None);
        // A stray id between the blocks (issue 33: `fix` made a wrapped 81 into 999, "task 998
        // already exists").
        let stray: Vec<u64> = (953..=998).chain(1..=80).chain([350]).collect();
        assert_eq!(newest_among(&stray, 81), Some(80));
        assert_eq!(newest_among(&stray, 82), Some(80));
        assert_eq!(newest_among(&stray, 351), Some(350), "right above the stray id: the newest since the wrap");
        assert_eq!(newest_among(&stray, 999), Some(998), "no wrap once the counter is past the old block");
        assert_eq!(newest_among(&(1..=80).chain([350]).collect::<Vec<_>>(), 81), Some(350), "no old block: no wrap");
        assert_eq!(newest_among(&[0], 1), None);
    }

    /// `[EXPANDED]`: the work goes on in subtasks. The parent counts as active (the tracker's
    /// total is active + completed + abandoned) and its open boxes are its subtasks', not drift.
    #[test]
    fn an_expanded_task_is_active_and_leaves_its_boxes_to_its_subtasks() {
        let fixture = "%! specs/TODO.md\n---\ntask_counts:\n  active: 2\n  completed: 1\n  total: 3\n---\n### 1. Parent\n- **Status**: [EXPANDED]\n- **Subtasks**: 2, 3\n- **Acceptance Criteria**:\n  - [x] First part\n  - [ ] Second part\n\n### 2. First part\n- **Status**: [COMPLETED]\n- **Completed**: 2026-01-02\n\n### 3. Second part\n- **Status**: [NOT STARTED]\n";
        let (_, found) = diagnostics(fixture, None);
        let codes: Vec<RuleCode> = found.iter().map(|it| it.code).collect();
        assert!(!codes.contains(&RuleCode::StaleCounts), "{found:#?}");
        assert!(!codes.contains(&RuleCode::OpenChildren), "{found:#?}");
        // Were the parent done, its open box would be drift, and the count one too many.
        let (_, found) = diagnostics(&fixture.replace("[EXPANDED]", "[COMPLETED]\n- **Completed**: 2026-01-03"), None);
        let codes: Vec<RuleCode> = found.iter().map(|it| it.code).collect();
        assert!(codes.contains(&RuleCode::OpenChildren) && codes.contains(&RuleCode::StaleCounts), "{found:#?}");
    }

    /// compozy's `_meta.md` counts the task files beside it. Completed behind (one file done
    /// since), Pending with it: both reported, and the fix writes what the files say. With a
    /// task in progress, Pending is left alone (compozy's own count may or may not include it).
    #[test]
    fn compozy_meta_counts_its_task_files() {
        let task = |number: &str, status: &str| {
            format!(
                "%! .compozy/tasks/chat/task_0{number}.md\n---\nstatus: {status}\ntitle: Task {number}\n---\n# Task {number}\n"
            )
        };
        let meta = "%! .compozy/tasks/chat/_meta.md\n---\ncreated_at: 2026-04-11T16:14:17Z\n---\n\n## Summary\n- Total: 3\n- Completed: 1\n- Pending: 2\n";
        let fixture = format!("{meta}{}{}{}", task("1", "completed"), task("2", "completed"), task("3", "pending"));
        let (index, found) = diagnostics(&fixture, None);
        let stale: Vec<&str> =
            found.iter().filter(|it| it.code == RuleCode::StaleCounts).map(|it| it.message.as_str()).collect();
        assert_eq!(
            stale,
            [
                "_meta.md says Completed 1 but 2 of the folder's 3 task files are completed",
                "_meta.md says Pending 2 but 1 of the folder's 3 task files is pending"
            ]
        );
        let diagnostic = found.iter().find(|it| it.code == RuleCode::StaleCounts).expect("stale");
        let change = crate::edit::plan_fix(&index, diagnostic, 0, &crate::fixture::options_at("2026-11-27T10:00:00Z"))
            .unwrap_or_else(|it| panic!("{it}"));
        let fixed = crate::fixture::apply(&fixture, &index, &change);
        assert!(fixed.contains("- Total: 3\n- Completed: 2\n- Pending: 1\n"), "{fixed}");
        assert!(!diagnostics(&fixed, None).1.iter().any(|it| it.code == RuleCode::StaleCounts));
        // A task in progress: Total and Completed are still held, Pending is not.
        let fixture = format!("{meta}{}{}{}", task("1", "completed"), task("2", "in_progress"), task("3", "pending"));
        let (_, found) = diagnostics(&fixture, None);
        let stale: Vec<&str> =
            found.iter().filter(|it| it.code == RuleCode::StaleCounts).map(|it| it.message.as_str()).collect();
        assert_eq!(stale, Vec::<&str>::new(), "1 of 3 completed, and Pending not judged");
        // `set` moves the counts with the task: in progress to completed makes every task
        // pending or completed again, and Pending is then written too.
        let index = crate::fixture::index(&fixture);
        let key = crate::model::TaskKey::new(".compozy/tasks/chat", "2");
        let change = crate::edit::plan_status_change(
            &index,
            &key,
            "completed",
            &crate::fixture::options_at("2026-11-27T10:00:00Z"),
        )
        .unwrap_or_else(|it| panic!("{it}"));
        let after = crate::fixture::apply(&fixture, &index, &change);
        assert!(after.contains("- Total: 3\n- Completed: 2\n- Pending: 1\n"), "{after}");
        assert!(!diagnostics(&after, None).1.iter().any(|it| it.code == RuleCode::StaleCounts));
    }
}
