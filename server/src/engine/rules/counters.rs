//! `stale-counts`: TODO.md's `task_counts` and `next_project_number`, and state.json's.

use crate::engine::index::{FileId, WorkspaceIndex};
use crate::engine::layout::Role;
use crate::engine::model::{Counter, PlaceKind};
use crate::engine::rules::{FixHint, RuleCode, Sink, diagnostic};
use crate::engine::vocabulary::Scope;

/// A counter and the value it should have. `at_least` counters count archived tasks too, which
/// this workspace may not hold, so only a value below what is visible is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expectation {
    pub counter: Counter,
    pub expected: u64,
    pub at_least: bool,
    pub reason: String,
}

impl Expectation {
    pub(crate) fn is_stale(&self) -> bool {
        if self.at_least { self.counter.value < self.expected } else { self.counter.value != self.expected }
    }
}

pub(super) fn file(index: &WorkspaceIndex, file: FileId, sink: &mut Sink<'_>) {
    if !sink.enabled(RuleCode::StaleCounts) {
        return;
    }
    for expectation in expectations(index, file) {
        if expectation.is_stale() {
            let mut it = diagnostic(RuleCode::StaleCounts, file, expectation.counter.range, expectation.reason.clone());
            it.fix = Some(FixHint::RecomputeCounters);
            sink.push(it);
        }
    }
}

/// What each counter of `file` should say.
pub(crate) fn expectations(index: &WorkspaceIndex, file: FileId) -> Vec<Expectation> {
    let Some(entry) = index.entry(file) else { return Vec::new() };
    let Some(counters) = &entry.parsed.counters else { return Vec::new() };
    let Some(profile) = index.profile(file) else { return Vec::new() };
    let scope = entry.class.root.as_str();
    let mut out = Vec::new();

    if let Some(counter) = &counters.next_project_number {
        let highest =
            index.tasks().keys().filter(|key| key.scope == scope).filter_map(|key| key.id.parse::<u64>().ok()).max();
        if let Some(highest) = highest {
            out.push(Expectation {
                counter: counter.clone(),
                expected: highest + 1,
                at_least: true,
                reason: format!("next_project_number is {} but task {highest} already exists", counter.value),
            });
        }
        // TODO.md and state.json keep the same number.
        if entry.class.role == Role::Todo {
            let mirror = index.entries().find_map(|(_, other)| {
                (other.class.role == Role::StateJson && other.class.root == scope)
                    .then(|| other.parsed.counters.as_ref()?.next_project_number.clone())
                    .flatten()
            });
            if let Some(mirror) = mirror
                && mirror.value > counter.value
            {
                out.push(Expectation {
                    counter: counter.clone(),
                    expected: mirror.value,
                    at_least: true,
                    reason: format!("next_project_number is {} here but {} in state.json", counter.value, mirror.value),
                });
            }
        }
    }

    if counters.task_counts.is_empty() {
        return out;
    }
    let statuses: Vec<_> =
        entry.parsed.places.iter().filter(|it| it.kind == PlaceKind::TodoSection).filter_map(|it| it.status).collect();
    for counter in &counters.task_counts {
        let key = counter.key.as_str();
        let (expected, at_least, what) = if key == "active" {
            (statuses.iter().filter(|it| !profile.kind(**it).is_closed()).count(), false, "open".to_string())
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
        let reason = if at_least {
            format!("task_counts.{key} is {} but TODO.md alone has {expected} {what}", counter.value)
        } else {
            format!("task_counts.{key} is {} but TODO.md has {expected} {what}", counter.value)
        };
        out.push(Expectation { counter: counter.clone(), expected: expected as u64, at_least, reason });
    }
    out
}
