//! The built-in vocabularies, one per tracker family of `formats.md`.
//!
//! Every one of them can be extended or replaced from `.taskmark.toml`; these are defaults,
//! written down from the standards the projects publish and the files they actually contain.

use crate::vocabulary::{Agreement, Kind, Profile, Requirement, StatusDef, StatusId, TransitionTable, normalize_word};

/// Names of the built-in profiles, for `--profile`, configuration and error messages.
pub const BUILTIN: [&str; 14] = [
    "spec-folder",
    "minsky",
    "github",
    "kiro",
    "xit",
    "spec-kit",
    "backlog",
    "compozy",
    "pidea",
    "taskmaster",
    "openspec",
    "todo-folders",
    "conductor",
    "gsd",
];

pub fn builtin(name: &str) -> Option<Profile> {
    Some(match name {
        "spec-folder" => spec_folder(),
        "minsky" => minsky(),
        "github" => github(),
        "kiro" => kiro(),
        "xit" => xit(),
        "spec-kit" => spec_kit(),
        "backlog" => backlog(&["To Do".to_string(), "In Progress".to_string(), "Done".to_string()]),
        "compozy" => compozy(),
        "pidea" => pidea(),
        "taskmaster" => taskmaster(),
        "openspec" => openspec(),
        "todo-folders" => todo_folders(),
        "conductor" => conductor(),
        "gsd" => gsd(),
        _ => return None,
    })
}

/// A small builder so each vocabulary reads as a table.
struct Status(StatusDef);

impl Status {
    fn new(id: &str, kind: Kind) -> Status {
        Status(StatusDef::new(id, kind))
    }
    fn marker(mut self, marker: &str) -> Status {
        self.0.marker = Some(marker.to_string());
        self
    }
    fn json(mut self, json: &str) -> Status {
        self.0.json = Some(json.to_string());
        self
    }
    fn words(mut self, words: &[&str]) -> Status {
        self.0.words = words.iter().map(|it| it.to_string()).collect();
        self
    }
    fn checkbox(mut self, chars: &[char]) -> Status {
        self.0.checkbox = chars.to_vec();
        self
    }
    fn aliases(mut self, aliases: &[&str]) -> Status {
        self.0.aliases = aliases.iter().map(|it| it.to_string()).collect();
        self
    }
    fn scopes(mut self, task: bool, phase: bool) -> Status {
        self.0.task = task;
        self.0.phase = phase;
        self
    }
    /// An unchecked box says only "not done": it agrees with every open kind.
    fn open_box(self) -> Status {
        self.agrees_with(&[Kind::Todo, Kind::Active, Kind::Blocked])
    }
    /// The kinds a status agrees with besides its own.
    fn agrees_with(mut self, kinds: &[Kind]) -> Status {
        self.0.agrees_with = kinds.to_vec();
        self
    }
    fn requires(mut self, fields: &[&[&str]]) -> Status {
        self.0.requires = fields
            .iter()
            .map(|any_of| Requirement { any_of: any_of.iter().map(|it| it.to_string()).collect() })
            .collect();
        self
    }
    fn stamp(mut self, field: &str) -> Status {
        self.0.stamp = Some(field.to_string());
        self
    }
    fn both_scopes(self) -> Status {
        self.scopes(true, true)
    }
}

fn profile(name: &str, description: &str, statuses: Vec<Status>) -> Profile {
    Profile {
        name: name.to_string(),
        description: description.to_string(),
        statuses: statuses.into_iter().map(|it| it.0).collect(),
        task_transitions: TransitionTable::default(),
        phase_transitions: TransitionTable::default(),
        agreement: Agreement::Kind,
        conventions: Vec::new(),
        numbered_tasks: false,
    }
}

/// Builds a transition table from `(from, [to...])` rows of status ids.
pub fn table(profile: &Profile, rows: &[(&str, &[&str])], from_any_open: &[&str]) -> TransitionTable {
    let id = |name: &str| {
        profile
            .statuses
            .iter()
            .position(|it| it.id == name)
            .map(|it| StatusId(it as u16))
            .unwrap_or_else(|| panic!("built-in transition table names unknown status {name}"))
    };
    let mut edges = vec![Vec::new(); profile.statuses.len()];
    for (from, next) in rows {
        edges[usize::from(id(from).0)] = next.iter().map(|it| id(it)).collect();
    }
    TransitionTable { edges: Some(edges), from_any_open: from_any_open.iter().map(|it| id(it)).collect() }
}

/// Family 1: TODO.md, state.json and plan files (ProofChecker, ModelChecker and adopters).
pub fn spec_folder() -> Profile {
    let mut profile = profile(
        "spec-folder",
        "spec-folder workflow: TODO.md task sections, specs/state.json, plans with phases",
        vec![
            Status::new("not_started", Kind::Todo)
                .marker("NOT STARTED")
                .json("not_started")
                .checkbox(&[' '])
                .aliases(&["Not Started", "NOT_STARTED", "TODO"])
                .both_scopes(),
            Status::new("researching", Kind::Active).marker("RESEARCHING").json("researching"),
            Status::new("researched", Kind::Todo).marker("RESEARCHED").json("researched").stamp("Researched"),
            Status::new("planning", Kind::Active).marker("PLANNING").json("planning"),
            Status::new("planned", Kind::Todo).marker("PLANNED").json("planned").stamp("Planned"),
            Status::new("revising", Kind::Active).marker("REVISING").json("revising"),
            Status::new("revised", Kind::Todo).marker("REVISED").json("revised").stamp("Revised"),
            Status::new("implementing", Kind::Active)
                .marker("IMPLEMENTING")
                .json("implementing")
                .aliases(&["IN PROGRESS"])
                .stamp("Started"),
            Status::new("in_progress", Kind::Active)
                .marker("IN PROGRESS")
                .json("in_progress")
                .aliases(&["In Progress"])
                .scopes(false, true),
            Status::new("partial", Kind::Active).marker("PARTIAL").json("partial").both_scopes(),
            Status::new("blocked", Kind::Blocked)
                .marker("BLOCKED")
                .json("blocked")
                .aliases(&["FAILED"])
                .requires(&[&["Blocked"], &["Blocking Reason", "Blocked by", "Blocker"]])
                .stamp("Blocked")
                .both_scopes(),
            Status::new("abandoned", Kind::Cancelled)
                .marker("ABANDONED")
                .json("abandoned")
                .aliases(&["FAILED", "CANCELLED", "CANCELED"])
                .requires(&[&["Abandoned"], &["Abandonment Reason", "Abandoned Reason", "Reason"]])
                .stamp("Abandoned")
                .both_scopes(),
            Status::new("completed", Kind::Done)
                .marker("COMPLETED")
                .json("completed")
                .checkbox(&['x', 'X'])
                .aliases(&["COMPLETE", "Complete", "DONE", "Finished", "IMPLEMENTED"])
                .requires(&[&["Completed"]])
                .stamp("Completed")
                .both_scopes(),
            // A task split into subtasks: closed, the work goes on in its children.
            Status::new("expanded", Kind::Done).marker("EXPANDED").json("expanded").stamp("Expanded"),
        ],
    );
    profile.task_transitions = table(
        &profile,
        &[
            ("not_started", &["researching", "planning", "implementing", "blocked"]),
            ("researching", &["researched", "blocked", "abandoned"]),
            ("researched", &["planning", "implementing", "blocked"]),
            ("planning", &["planned", "blocked", "abandoned"]),
            ("planned", &["revising", "implementing", "blocked"]),
            ("revising", &["revised", "blocked", "abandoned"]),
            ("revised", &["implementing", "revising", "blocked"]),
            ("implementing", &["completed", "partial", "blocked", "abandoned"]),
            ("partial", &["implementing", "completed", "abandoned"]),
            ("blocked", &["researching", "planning", "implementing", "abandoned"]),
        ],
        &["expanded"],
    );
    profile.phase_transitions = table(
        &profile,
        &[
            ("not_started", &["in_progress", "blocked"]),
            ("in_progress", &["completed", "partial", "blocked", "abandoned"]),
            ("partial", &["in_progress", "completed", "abandoned"]),
            ("blocked", &["in_progress", "abandoned"]),
            ("abandoned", &["not_started"]),
        ],
        &[],
    );
    profile
}

/// Family 2: minsky's `process/tasks.md` index and its spec files.
pub fn minsky() -> Profile {
    profile(
        "minsky",
        "minsky: process/tasks.md checkbox index and process/tasks/NNN-slug.md specs",
        vec![
            Status::new("todo", Kind::Todo).checkbox(&[' ']).words(&["TODO", "NEW"]),
            Status::new("in_progress", Kind::Active).checkbox(&['+']).words(&["IN-PROGRESS"]),
            Status::new("in_review", Kind::Active).checkbox(&['-']).words(&["IN-REVIEW"]),
            Status::new("done", Kind::Done).checkbox(&['x', 'X']).words(&["DONE", "CLOSED"]),
            Status::new("blocked", Kind::Blocked).checkbox(&['~']).words(&["BLOCKED", "ON HOLD"]),
        ],
    )
}

/// GitHub task lists with Obsidian Tasks' in-progress and cancelled boxes.
pub fn github() -> Profile {
    profile(
        "github",
        "GitHub task lists ([ ], [x]) with Obsidian's [/] in progress and [-] cancelled",
        vec![
            Status::new("open", Kind::Todo).checkbox(&[' ']).words(&["open", "todo"]).open_box(),
            Status::new("in_progress", Kind::Active).checkbox(&['/']).words(&["in progress"]),
            Status::new("done", Kind::Done).checkbox(&['x', 'X']).words(&["done"]),
            Status::new("cancelled", Kind::Cancelled).checkbox(&['-']).words(&["cancelled"]),
        ],
    )
}

/// Kiro's spec `tasks.md`: `[ ]` not started, `[~]` queued (Kiro writes it when a task waits
/// in its run queue: kirodotdev/Kiro#5723, #3451), `[-]` in progress (Kiro writes it when a task
/// starts; it is no cancellation there), `[x]` done.
pub fn kiro() -> Profile {
    let mut kiro = profile(
        "kiro",
        "Kiro specs' tasks.md: [ ] not started, [~] queued, [-] in progress, [x] done",
        vec![
            // Kiro writes `[-]` when a task starts: its `[ ]` says not started, not only "not done".
            Status::new("not_started", Kind::Todo).checkbox(&[' ']).words(&["not started", "open"]),
            // Queued to run, not begun: another open status, after `not_started`.
            Status::new("queued", Kind::Todo).checkbox(&['~']).words(&["queued"]),
            Status::new("in_progress", Kind::Active).checkbox(&['-']).words(&["in progress"]),
            Status::new("done", Kind::Done).checkbox(&['x', 'X']).words(&["done"]),
        ],
    );
    kiro.numbered_tasks = true;
    kiro
}

/// [x]it!: open, checked, ongoing, obsolete, in question.
pub fn xit() -> Profile {
    profile(
        "xit",
        "[x]it! checkboxes: [ ] open, [x] checked, [@] ongoing, [~] obsolete, [?] in question",
        vec![
            Status::new("open", Kind::Todo).checkbox(&[' ']).words(&["open"]).open_box(),
            Status::new("ongoing", Kind::Active).checkbox(&['@']).words(&["ongoing"]),
            Status::new("checked", Kind::Done).checkbox(&['x']).words(&["checked"]),
            Status::new("obsolete", Kind::Cancelled).checkbox(&['~']).words(&["obsolete"]),
            Status::new("in_question", Kind::Todo).checkbox(&['?']).words(&["in question"]),
        ],
    )
}

/// spec-kit `tasks.md`: `- [X] T001 [P] ...` under `## Phase N:` headings.
pub fn spec_kit() -> Profile {
    profile(
        "spec-kit",
        "spec-kit tasks.md: - [ ] / - [X] T001 items under ## Phase N: headings",
        vec![
            Status::new("open", Kind::Todo).checkbox(&[' ']).words(&["open"]).open_box(),
            Status::new("done", Kind::Done).checkbox(&['x', 'X']).words(&["done"]),
        ],
    )
}

/// Backlog.md: the statuses are whatever `backlog/config.yml` lists. The first is where work
/// starts, the last is done (Backlog.md treats the last as terminal); words naming a block or
/// a cancellation get those kinds.
pub fn backlog(statuses: &[String]) -> Profile {
    let count = statuses.len();
    let mut defs: Vec<Status> = statuses
        .iter()
        .enumerate()
        .map(|(position, name)| {
            let folded = normalize_word(name);
            let kind = if folded.contains("block") || folded.contains("hold") || folded.contains("wait") {
                Kind::Blocked
            } else if folded.contains("cancel") || folded.contains("abandon") || folded.contains("wont") {
                Kind::Cancelled
            } else if position + 1 == count && count > 1 {
                Kind::Done
            } else if position == 0 {
                Kind::Todo
            } else {
                Kind::Active
            };
            let id = folded.replace(' ', "_");
            let mut status = Status::new(&id, kind).words(&[name.as_str()]);
            if kind == Kind::Done {
                status = status.checkbox(&['x', 'X']);
            }
            status
        })
        .collect();
    if !defs.iter().any(|it| it.0.checkbox.contains(&'x')) {
        defs.push(Status::new("checked", Kind::Done).checkbox(&['x', 'X']));
    }
    // Backlog.md writes `status: Draft` on the drafts it keeps in backlog/drafts/, whether or
    // not its config lists it (its built-in defaults do).
    if !statuses.iter().any(|it| normalize_word(it) == "draft") {
        defs.push(Status::new("draft", Kind::Todo).words(&["Draft"]));
    }
    defs.push(Status::new("unchecked", Kind::Todo).checkbox(&[' ']).open_box());
    profile("backlog", "Backlog.md: YAML frontmatter status from backlog/config.yml", defs)
}

/// compozy: `tasks/prd-x/_tasks.md` checkboxes and `N_task.md` frontmatter.
pub fn compozy() -> Profile {
    profile(
        "compozy",
        "compozy: _tasks.md checkbox index and N_task.md frontmatter status",
        vec![
            Status::new("pending", Kind::Todo).words(&["pending"]).marker("PENDING"),
            Status::new("in_progress", Kind::Active).words(&["in-progress"]).marker("IN PROGRESS"),
            Status::new("completed", Kind::Done).words(&["completed"]).marker("COMPLETED").checkbox(&['x', 'X']),
            Status::new("excluded", Kind::Cancelled).words(&["excluded"]).marker("EXCLUDED"),
            Status::new("deferred", Kind::Todo).words(&["deferred"]).marker("DEFERRED"),
            Status::new("open", Kind::Todo).checkbox(&[' ']).open_box(),
        ],
    )
}

/// Family 4: PIDEA's roadmap folders with `**Status**: Completed` words.
pub fn pidea() -> Profile {
    profile(
        "pidea",
        "PIDEA roadmap: index/phase files with free-word **Status** and status folders",
        vec![
            Status::new("planning", Kind::Todo).words(&["Planning", "Pending", "Ready", "Not Started", "Planned"]),
            Status::new("in_progress", Kind::Active).words(&["In Progress", "Active", "In-Progress"]),
            Status::new("blocked", Kind::Blocked).words(&["Blocked"]),
            Status::new("completed", Kind::Done).words(&["Completed", "Complete", "Done"]).checkbox(&['x', 'X']),
            Status::new("cancelled", Kind::Cancelled).words(&["Cancelled", "Canceled"]),
            Status::new("unchecked", Kind::Todo).checkbox(&[' ']).open_box(),
        ],
    )
}

/// Task Master: the `status` of a task or subtask in `tasks.json`, repeated in its generated
/// `task_NNN.txt` (`# Status: done`, `## 1. Title [done]`) or `task_NNN.md` (`**Status:** done`),
/// read as words in all. `completed`
/// is not Task Master's word but real files write it beside `done` (subtasks an agent filled
/// in): it reads as done, and a change writes `done`.
pub fn taskmaster() -> Profile {
    profile(
        "taskmaster",
        "Task Master: tasks.json status and the generated task_NNN.txt or task_NNN.md files",
        vec![
            Status::new("pending", Kind::Todo).words(&["pending"]),
            Status::new("in-progress", Kind::Active).words(&["in-progress"]),
            Status::new("review", Kind::Active).words(&["review"]),
            Status::new("blocked", Kind::Blocked).words(&["blocked"]),
            Status::new("deferred", Kind::Todo).words(&["deferred"]),
            Status::new("done", Kind::Done).words(&["done", "completed"]),
            Status::new("cancelled", Kind::Cancelled).words(&["cancelled"]),
        ],
    )
}

/// OpenSpec: a change is active while its folder is in `openspec/changes/` and archived once
/// `openspec archive` moved it to `openspec/changes/archive/`; the boxes of its tasks.md are
/// its children (`- [x] 1.1 ...`).
pub fn openspec() -> Profile {
    profile(
        "openspec",
        "OpenSpec changes: active or archived by where the change's folder is, tasks.md boxes under each",
        vec![
            Status::new("active", Kind::Active).words(&["active"]),
            Status::new("archived", Kind::Done).words(&["archived"]),
            Status::new("checked", Kind::Done).checkbox(&['x', 'X']),
            Status::new("unchecked", Kind::Todo).checkbox(&[' ']).open_box(),
        ],
    )
}

/// Todo folders: one file per task, whose folder or file name says where it stands
/// (`todos/work/`, `todos/pending/`, `todos/done/`; `DONE-slug.md`) beside the file's own `**Status:** Done` or
/// frontmatter `status: open`. A file name without `DONE-` says only "not done", so `open`
/// agrees with every open kind.
pub fn todo_folders() -> Profile {
    profile(
        "todo-folders",
        "Todo folders: a file per task, its folder or name and its own status line",
        vec![
            Status::new("open", Kind::Todo)
                .words(&["open", "todo", "pending", "ready", "not started", "idea", "backlog", "planned"])
                .open_box(),
            // GSD's debug sessions: gathering, investigating, fixing, verifying, waiting for a
            // person's check, or diagnosed (the cause found, not yet fixed). The Claude Code
            // `todo` workflow (`todos/work/<stamp>-<slug>/task.md` with `**Agent PID:**`) moves a
            // task through `Refining`, `InProgress` and `AwaitingCommit` before `Done`.
            Status::new("in-progress", Kind::Active).words(&[
                "in-progress",
                "in progress",
                "inprogress",
                "refining",
                "awaitingcommit",
                "doing",
                "wip",
                "gathering",
                "investigating",
                "fixing",
                "verifying",
                "awaiting_human_verify",
                "diagnosed",
            ]),
            Status::new("blocked", Kind::Blocked).words(&["blocked"]),
            Status::new("done", Kind::Done)
                .words(&["done", "completed", "complete", "resolved", "fixed"])
                .checkbox(&['x', 'X']),
            Status::new("cancelled", Kind::Cancelled).words(&["cancelled", "canceled", "wontfix"]),
            Status::new("unchecked", Kind::Todo).checkbox(&[' ']).open_box(),
        ],
    )
}

/// What a counted plan agrees with while its boxes are open: any task not done (a task is
/// started before its first box is ticked).
const OPEN_OR_CANCELLED: [Kind; 4] = [Kind::Todo, Kind::Active, Kind::Blocked, Kind::Cancelled];

/// The ids of the statuses a counted plan's boxes can say (Conductor's plan.md, a GSD phase's
/// deliverables): none of them checked, some, all.
pub const PLAN_NOT_BEGUN: &str = "plan_not_begun";
pub const PLAN_UNDER_WAY: &str = "plan_under_way";
pub const PLAN_ALL_DONE: &str = "plan_all_done";

/// Conductor: a track is `[ ]` new, `[~]` under way or `[x]` done in tracks.md, and says so
/// in its metadata.json (`new`, `in_progress`, `completed`; real files also write `not
/// started` and `complete`) and its index.md. The plan's boxes say how far the work is, as
/// three statuses no place spells: a plan with boxes open agrees with any track not done (a
/// track is started before its first box is ticked), one checked all through with a done one.
pub fn conductor() -> Profile {
    profile(
        "conductor",
        "Conductor tracks: tracks.md boxes ([ ] [~] [x]), metadata.json and index.md status, plan.md boxes",
        vec![
            Status::new("new", Kind::Todo).checkbox(&[' ']).words(&[
                "new",
                "not started",
                "pending",
                "planning",
                "planned",
                "todo",
            ]),
            Status::new("in_progress", Kind::Active).checkbox(&['~']).words(&[
                "in_progress",
                "active",
                "started",
                "review",
                "in review",
                "testing",
            ]),
            Status::new("paused", Kind::Blocked).words(&["paused", "blocked", "on hold", "deferred"]),
            Status::new("completed", Kind::Done).checkbox(&['x', 'X']).words(&["completed", "complete", "done"]),
            // The archive holds finished tracks, completed or cancelled alike.
            Status::new("archived", Kind::Done).words(&["archived"]).agrees_with(&[Kind::Done, Kind::Cancelled]),
            Status::new("cancelled", Kind::Cancelled).words(&["cancelled", "canceled", "abandoned", "skipped"]),
            Status::new(PLAN_NOT_BEGUN, Kind::Todo).scopes(false, false).agrees_with(&OPEN_OR_CANCELLED),
            Status::new(PLAN_UNDER_WAY, Kind::Active).scopes(false, false).agrees_with(&OPEN_OR_CANCELLED),
            Status::new(PLAN_ALL_DONE, Kind::Done).scopes(false, false).agrees_with(&[Kind::Done, Kind::Cancelled]),
        ],
    )
}

/// GSD: a phase's or a plan's box in ROADMAP.md (`[ ]` says only "not done"), the progress
/// table's words (`Not started`, `In Progress`, `Complete`), a plan's summary file, which GSD
/// writes when the plan is done, and an older phase's deliverable boxes, counted.
pub fn gsd() -> Profile {
    profile(
        "gsd",
        "GSD: ROADMAP.md phase and plan boxes, the progress table, plans' SUMMARY files, STATE.md's position",
        vec![
            Status::new("unchecked", Kind::Todo).checkbox(&[' ']).open_box(),
            Status::new("not_started", Kind::Todo).words(&["Not started", "Planned", "Pending", "Deferred"]),
            Status::new("in_progress", Kind::Active).words(&["In Progress", "Executing", "Partially Complete"]),
            Status::new("blocked", Kind::Blocked).words(&["Blocked"]),
            Status::new("complete", Kind::Done).checkbox(&['x', 'X']).words(&[
                "Complete",
                "Completed",
                "Done",
                "Shipped",
                "Verified",
            ]),
            Status::new("cancelled", Kind::Cancelled).words(&["Cancelled", "Canceled", "Dropped"]),
            Status::new(PLAN_NOT_BEGUN, Kind::Todo).scopes(false, false).agrees_with(&OPEN_OR_CANCELLED),
            Status::new(PLAN_UNDER_WAY, Kind::Active).scopes(false, false).agrees_with(&OPEN_OR_CANCELLED),
            Status::new(PLAN_ALL_DONE, Kind::Done).scopes(false, false).agrees_with(&[Kind::Done, Kind::Cancelled]),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_has_unique_ids_and_spellings() {
        for name in BUILTIN {
            let profile = builtin(name).unwrap();
            assert_eq!(profile.name, name);
            let mut ids: Vec<&str> = profile.statuses.iter().map(|it| it.id.as_str()).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), profile.statuses.len(), "{name}: duplicate ids");
            let mut boxes: Vec<char> = profile.statuses.iter().flat_map(|it| it.checkbox.clone()).collect();
            let n = boxes.len();
            boxes.sort();
            boxes.dedup();
            assert_eq!(boxes.len(), n, "{name}: a checkbox character maps to two statuses");
        }
    }

    #[test]
    fn backlog_kinds_follow_the_configured_order() {
        let profile = backlog(&["To Do".into(), "In Progress".into(), "Blocked".into(), "Done".into()]);
        let kinds: Vec<Kind> = profile.statuses.iter().take(4).map(|it| it.kind).collect();
        assert_eq!(kinds, vec![Kind::Todo, Kind::Active, Kind::Blocked, Kind::Done]);
    }
}
