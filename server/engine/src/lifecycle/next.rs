//! `taskmark next`: the tasks ready to start, ranked, and for the tasks that are not, what holds
//! each back. Ready means what `list --ready` means (not started, every dependency done) and
//! nothing the front door knows of (a claim, work under way in another worktree) keeping it.
//!
//! The rank follows what people and the peers' `next` commands weigh, in this order: the task's
//! priority as its tracker writes it, how many open tasks wait on it (directly or through
//! others), then age (the lower id was filed first). Each candidate carries the reasons for its
//! place, in words, so that an agent told to take the first can say why.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::index::{WorkspaceIndex, natural_cmp};
use crate::lifecycle::list::{ListFilter, TaskRow, list_tasks};
use crate::markdown;
use crate::model::TaskKey;
use crate::vocabulary::Kind;

/// Which tasks to rank.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NextFilter {
    /// A tracker root or family, as `list --tracker` takes it.
    pub tracker: Option<String>,
}

/// A task ready to start, with its place in the ranking explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub row: TaskRow,
    /// The priority as the tracker writes it (`High`, `p1`), when it does.
    pub priority: Option<String>,
    /// The open tasks that wait on this one, directly first, then through others.
    pub unblocks: Vec<String>,
    /// Why it is where it is, in order of weight.
    pub reasons: Vec<String>,
}

/// A task not started (or blocked) that is not ready, and what holds it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub row: TaskRow,
    pub priority: Option<String>,
    pub why: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NextTasks {
    /// Best first.
    pub ready: Vec<Candidate>,
    /// In the same order as the ready ones would be.
    pub held: Vec<Held>,
}

/// Ranks the tasks `filter` selects. `kept` names what the front door knows keeps a task from
/// being started here (`claimed by agent-7 until 14:05`, `under way in worktree ../agent-2`).
pub fn next_tasks(index: &WorkspaceIndex, filter: &NextFilter, kept: &dyn Fn(&TaskKey) -> Vec<String>) -> NextTasks {
    let rows = list_tasks(index, &ListFilter { tracker: filter.tracker.clone(), ..ListFilter::default() });
    let waiting_on = waiting_on(&rows);
    let mut ready = Vec::new();
    let mut held = Vec::new();
    for row in rows {
        if !matches!(row.kind, Some(Kind::Todo | Kind::Blocked)) {
            continue;
        }
        let priority = priority_of(index, &row.summary.task);
        let mut why: Vec<String> = row
            .summary
            .dependencies
            .iter()
            .filter(|it| !it.done)
            .map(|it| match (index.dead_end(&row.summary.task, &it.id), &it.status) {
                // Waiting on it is waiting for ever: say which chain (`dependency-dead`).
                (Some(dead_end), _) => {
                    format!("depends on {}, and can never be done as planned: {}", it.id, dead_end.words(index, false))
                }
                (None, Some(status)) => format!("depends on {}, which is `{status}`", it.id),
                (None, None) => format!("depends on {}, which no task of this tracker is", it.id),
            })
            .collect();
        if row.kind == Some(Kind::Blocked) {
            let status = row.summary.status.clone().unwrap_or_default();
            why.insert(0, format!("it is `{status}`"));
        }
        why.extend(kept(&row.summary.task));
        if !why.is_empty() {
            held.push(Held { row, priority, why });
            continue;
        }
        let unblocks = unblocked_by(&waiting_on, &row.summary.task);
        ready.push(Candidate { row, priority, unblocks, reasons: Vec::new() });
    }
    ready.sort_by(|a, b| {
        rank(a.priority.as_deref())
            .cmp(&rank(b.priority.as_deref()))
            .then_with(|| b.unblocks.len().cmp(&a.unblocks.len()))
            .then_with(|| by_age(&a.row, &b.row))
    });
    for candidate in &mut ready {
        candidate.reasons = reasons(candidate);
    }
    held.sort_by(|a, b| {
        rank(a.priority.as_deref()).cmp(&rank(b.priority.as_deref())).then_with(|| by_age(&a.row, &b.row))
    });
    NextTasks { ready, held }
}

fn by_age(a: &TaskRow, b: &TaskRow) -> std::cmp::Ordering {
    a.summary.task.scope.cmp(&b.summary.task.scope).then_with(|| natural_cmp(&a.summary.task.id, &b.summary.task.id))
}

fn reasons(candidate: &Candidate) -> Vec<String> {
    let mut reasons = Vec::new();
    match &candidate.priority {
        Some(priority) => reasons.push(format!("priority {priority}")),
        None => reasons.push("no priority written (taken as medium)".to_string()),
    }
    match candidate.unblocks.as_slice() {
        [] => reasons.push("no open task waits on it".to_string()),
        [one] => reasons.push(format!("task {one} waits on it")),
        many => reasons.push(format!("{} open tasks wait on it: {}", many.len(), shown(many))),
    }
    let dependencies: Vec<&str> = candidate.row.summary.dependencies.iter().map(|it| it.id.as_str()).collect();
    if dependencies.is_empty() {
        reasons.push("no dependencies".to_string());
    } else {
        reasons.push(format!("its dependencies are done: {}", dependencies.join(", ")));
    }
    reasons
}

/// At most eight ids, then how many more.
fn shown(ids: &[String]) -> String {
    const MOST: usize = 8;
    let mut out = ids.iter().take(MOST).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > MOST {
        out.push_str(&format!(" and {} more", ids.len() - MOST));
    }
    out
}

/// For each task, the open tasks of its tracker that name it as a dependency not done.
fn waiting_on(rows: &[TaskRow]) -> HashMap<(String, String), Vec<String>> {
    let mut out: HashMap<(String, String), Vec<String>> = HashMap::new();
    for row in rows {
        if matches!(row.kind, Some(Kind::Done | Kind::Cancelled)) {
            continue;
        }
        let task = &row.summary.task;
        for dependency in row.summary.dependencies.iter().filter(|it| !it.done) {
            out.entry((task.scope.to_string(), dependency.id.clone())).or_default().push(task.id.to_string());
        }
    }
    out
}

/// The open tasks waiting on `task`, directly (in id order) and then through others.
fn unblocked_by(waiting_on: &HashMap<(String, String), Vec<String>>, task: &TaskKey) -> Vec<String> {
    let scope = task.scope.to_string();
    let mut seen: BTreeSet<String> = BTreeSet::from([task.id.to_string()]);
    let mut out = Vec::new();
    let mut frontier = vec![task.id.to_string()];
    while !frontier.is_empty() {
        let mut next: Vec<String> = Vec::new();
        for id in &frontier {
            for waiting in waiting_on.get(&(scope.clone(), id.clone())).into_iter().flatten() {
                if seen.insert(waiting.clone()) {
                    next.push(waiting.clone());
                }
            }
        }
        next.sort_by(|a, b| natural_cmp(a, b));
        out.extend(next.iter().cloned());
        frontier = next;
    }
    out
}

/// Lower is more urgent; a priority no scale knows, or none, counts as medium.
pub fn rank(priority: Option<&str>) -> u8 {
    let Some(priority) = priority else { return 2 };
    let word = priority.trim().trim_matches(|it: char| !it.is_alphanumeric()).to_ascii_lowercase();
    match word.as_str() {
        "critical" | "urgent" | "blocker" | "highest" | "p0" => 0,
        "high" | "p1" => 1,
        "medium" | "normal" | "moderate" | "p2" => 2,
        "low" | "p3" | "minor" => 3,
        "lowest" | "trivial" | "p4" => 4,
        _ => 2,
    }
}

/// The priority the task's places write: a `**Priority**:` field of a markdown place, a
/// `"priority"` key of a JSON entry, a `priority:` line of front matter. The first place that
/// writes one, in the order the index keeps them.
pub fn priority_of(index: &WorkspaceIndex, task: &TaskKey) -> Option<String> {
    let entry = index.task(task)?;
    let mut found: BTreeMap<usize, String> = BTreeMap::new();
    for (order, place_id) in entry.places.iter().enumerate() {
        let place = index.place(*place_id);
        let text = index.text(place_id.file);
        let Some(extent) = text.get(place.extent.start().into()..place.extent.end().into()) else { continue };
        if let Some(priority) = extent.lines().find_map(priority_in_line) {
            found.insert(order, priority.to_string());
        }
    }
    found.into_values().next()
}

/// `- **Priority**: High`, `"priority": "high",`, `priority: high`.
fn priority_in_line(line: &str) -> Option<&str> {
    if let Some(field) = markdown::field_line(line)
        && field.name.eq_ignore_ascii_case("Priority")
    {
        return Some(field.value.trim()).filter(|it| !it.is_empty());
    }
    let bare = line.trim().trim_start_matches("- ");
    let (key, value) = bare.split_once(':')?;
    if !key.trim().trim_matches('"').eq_ignore_ascii_case("priority") {
        return None;
    }
    let value = value.trim().trim_end_matches(',').trim().trim_matches('"').trim();
    Some(value).filter(|it| !it.is_empty() && !it.starts_with(['{', '[']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    const TODO: &str = "\
## Tasks

### 1. Base
- **Status**: [COMPLETED]

### 2. Small thing
- **Status**: [NOT STARTED]
- **Priority**: Low

### 3. Keystone
- **Status**: [NOT STARTED]
- **Dependencies**: 1

### 4. Waits on the keystone
- **Status**: [NOT STARTED]
- **Dependencies**: 3

### 5. Waits on four
- **Status**: [NOT STARTED]
- **Dependencies**: 4

### 6. Urgent
- **Status**: [NOT STARTED]
- **Priority**: High

### 7. Claimed
- **Status**: [NOT STARTED]
- **Priority**: High

### 8. Stuck
- **Status**: [BLOCKED]
- **Blocking Reason**: waiting on a vendor

### 9. Started
- **Status**: [IMPLEMENTING]
";

    fn ids(tasks: &NextTasks) -> (Vec<&str>, Vec<&str>) {
        (
            tasks.ready.iter().map(|it| it.row.summary.task.id.as_str()).collect(),
            tasks.held.iter().map(|it| it.row.summary.task.id.as_str()).collect(),
        )
    }

    #[test]
    fn ready_tasks_rank_by_priority_then_what_waits_on_them_then_age() {
        let index = fixture::index(&format!("%! specs/TODO.md\n{TODO}"));
        let kept = |task: &TaskKey| {
            if task.id.as_str() == "7" { vec!["claimed by agent-7".to_string()] } else { Vec::new() }
        };
        let tasks = next_tasks(&index, &NextFilter::default(), &kept);
        assert_eq!(ids(&tasks), (vec!["6", "3", "2"], vec!["7", "4", "5", "8"]));
        let keystone = &tasks.ready[1];
        assert_eq!(keystone.unblocks, ["4", "5"]);
        assert_eq!(
            keystone.reasons,
            ["no priority written (taken as medium)", "2 open tasks wait on it: 4, 5", "its dependencies are done: 1"]
        );
        assert_eq!(tasks.ready[0].reasons[0], "priority High");
        let why: Vec<&[String]> = tasks.held.iter().map(|it| it.why.as_slice()).collect();
        assert_eq!(why[0], ["claimed by agent-7"]);
        assert_eq!(why[1], ["depends on 3, which is `[NOT STARTED]`"]);
        assert_eq!(why[3], ["it is `[BLOCKED]`"]);
    }

    #[test]
    fn a_task_waiting_on_an_abandoned_one_is_held_with_the_chain() {
        let index = fixture::index(
            "%! specs/TODO.md
### 1. Dropped
- **Status**: [ABANDONED]

### 2. Middle
- **Status**: [NOT STARTED]
- **Dependencies**: 1

### 3. Last
- **Status**: [NOT STARTED]
- **Dependencies**: 2
",
        );
        let tasks = next_tasks(&index, &NextFilter::default(), &|_| Vec::new());
        assert_eq!(ids(&tasks), (vec![], vec!["2", "3"]));
        let why: Vec<&[String]> = tasks.held.iter().map(|it| it.why.as_slice()).collect();
        assert_eq!(why[0], ["depends on 1, and can never be done as planned: task 1, which is `[ABANDONED]`"]);
        assert_eq!(
            why[1],
            [
                "depends on 2, and can never be done as planned: task 2 (`[NOT STARTED]`), which waits on task 1, which is `[ABANDONED]`"
            ]
        );
    }

    #[test]
    fn priorities_are_read_as_each_store_writes_them() {
        assert_eq!(priority_in_line("- **Priority**: High"), Some("High"));
        assert_eq!(priority_in_line("**Priority**: p1"), Some("p1"));
        assert_eq!(priority_in_line("      \"priority\": \"high\","), Some("high"));
        assert_eq!(priority_in_line("priority: medium"), Some("medium"));
        assert_eq!(priority_in_line("- **Status**: [PLANNED]"), None);
        assert_eq!(priority_in_line("\"priority\": {"), None);
        assert_eq!(rank(Some("Critical")), 0);
        assert_eq!(rank(Some("P3")), 3);
        assert_eq!(rank(Some("whenever")), 2);
        assert_eq!(rank(None), 2);
    }
}
