//! `board`: where everything stands, as the board's columns and dependency graph show it, for
//! every front door that draws one (the daemon's web board, through the language server's
//! `taskmark.board`). One answer holds every tracker's statuses (the columns, each with its
//! kind), every task as a card (its places and whether they agree, the statuses it may move to,
//! its claim, other worktrees' work on it, its dependencies and the dead chains among them) and
//! the critical path of the open tasks.

use std::collections::HashMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::claims::{Claim, task_name};
use crate::engine::edit::Refusal;
use crate::engine::lifecycle::{ListFilter, across, check_filter, list_tasks};
use crate::engine::model::TaskKey;
use crate::engine::vocabulary::{Kind, Profile};
use crate::guards::TaskWorkspace;

/// How many cards one answer holds at most: a board of more is not one a person reads, and
/// the answer stays a few megabytes at worst.
pub const MOST_CARDS: usize = 20_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardRequest {
    /// A tracker's folder or family, as `list --tracker` takes it; every tracker when `None`.
    #[serde(default)]
    pub tracker: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardAnswer {
    pub trackers: Vec<BoardTracker>,
    /// In tracker order, then by id as people count.
    pub cards: Vec<Card>,
    /// How many cards there were before [`MOST_CARDS`].
    pub card_count: usize,
    /// The longest chain of open tasks each waiting on the next (`SCOPE:ID`), the one that
    /// waits first.
    pub critical_path: Vec<String>,
    /// What could not be taken into account (the claims file could not be read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A tracker and its task statuses, in its vocabulary's order: the board's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardTracker {
    /// Its folder (`specs`, `.kiro/specs/auth`), empty at the workspace root.
    pub root: String,
    pub family: String,
    pub statuses: Vec<BoardStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardStatus {
    /// What `taskmark.setStatus` takes (`in_progress`).
    pub id: String,
    /// As the tracker shows it (`[IN PROGRESS]`).
    pub display: String,
    /// `todo`, `active`, `blocked`, `done` or `cancelled`: the column it falls in.
    pub kind: String,
}

/// A task as a card.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    /// `SCOPE:ID` (the id alone at the workspace root), as every command takes it.
    pub task: String,
    pub id: String,
    pub tracker: String,
    pub title: Option<String>,
    /// As the tracker shows it; `None` when no place states one.
    pub status: Option<String>,
    pub kind: Option<String>,
    /// Whether every place that has to agree does.
    pub agrees: bool,
    /// How many places state its status.
    pub place_count: usize,
    /// Each place, when they do not all agree (what the card shows then); none when they do,
    /// which keeps a board of thousands of tasks small.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<CardPlace>,
    /// The statuses (ids) its vocabulary allows from its status; its tracker's `statuses` say
    /// how each is shown and its kind.
    pub allowed: Vec<String>,
    /// Whether taskmark may write its status (an OpenSpec change's is where its folder is).
    pub settable: bool,
    /// Moved to the tracker's archive (or its done section) on purpose: history.
    pub archived: bool,
    pub dependencies: Vec<CardDependency>,
    /// Who holds a claim on it, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    /// Other worktrees that have taken it up, with the status there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub elsewhere: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardPlace {
    pub file: String,
    /// From 1.
    pub line: u32,
    pub value: String,
    pub agrees: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardDependency {
    /// The task it names (`SCOPE:ID`), or the id as written when it names none.
    pub task: String,
    pub exists: bool,
    pub done: bool,
    /// When it can never be done as planned: the chain to the abandoned or cancelled task, in
    /// words (`dependency-dead`'s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead: Option<String>,
    /// That chain's tasks (`SCOPE:ID`), the dependency first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dead_chain: Vec<String>,
}

/// The board of `workspace`; refused when `tracker` names none of its trackers.
pub fn board(workspace: &TaskWorkspace<'_>, request: &BoardRequest, now: SystemTime) -> Result<BoardAnswer, Refusal> {
    let index = workspace.index;
    // Archived tasks too: a dependency's card, and the history a person may ask to see.
    let filter = ListFilter { tracker: request.tracker.clone(), archived: true, ..ListFilter::default() };
    check_filter(index, &filter)?;
    let mut warnings = Vec::new();
    let claims: HashMap<String, Claim> = workspace.claims.standing(now).unwrap_or_else(|error| {
        warnings.push(format!("{error}; claims are not shown"));
        HashMap::new()
    });
    let rows = list_tasks(index, &filter);
    let card_count = rows.len();
    let mut seen_trackers: Vec<&str> = Vec::new();
    let mut trackers = Vec::new();
    for row in &rows {
        let scope = row.summary.task.scope.as_str();
        if seen_trackers.contains(&scope) {
            continue;
        }
        seen_trackers.push(scope);
        let Some(profile) = index.task_profile(&row.summary.task) else { continue };
        trackers.push(BoardTracker {
            root: scope.to_string(),
            family: row.family.map(|it| it.as_str().to_string()).unwrap_or_default(),
            statuses: task_statuses(profile),
        });
    }
    let keys: Vec<TaskKey> = rows.iter().map(|it| it.summary.task.clone()).collect();
    let critical_path = index.critical_path(&keys).iter().map(task_name).collect();
    let cards = rows
        .iter()
        .take(MOST_CARDS)
        .map(|row| {
            let task = &row.summary.task;
            let dependencies = index
                .dependency_ids(task)
                .into_iter()
                .map(|(id, _, _)| {
                    let resolved = index.resolve_dependency(task, id);
                    let done = resolved
                        .as_ref()
                        .and_then(|it| index.task_kind(it))
                        .is_some_and(|(_, kind)| kind == Kind::Done);
                    let open = matches!(row.kind, Some(Kind::Todo | Kind::Active | Kind::Blocked));
                    let dead = if open { index.dead_end(task, id) } else { None };
                    CardDependency {
                        task: resolved.as_ref().map_or_else(|| id.to_string(), task_name),
                        exists: resolved.is_some(),
                        done,
                        dead: dead.as_ref().map(|it| it.words(index, true)),
                        dead_chain: dead.map(|it| it.chain.iter().map(task_name).collect()).unwrap_or_default(),
                    }
                })
                .collect();
            let agrees = row.summary.agrees();
            Card {
                task: task_name(task),
                id: task.id.to_string(),
                tracker: task.scope.to_string(),
                title: row.summary.title.clone(),
                status: row.shown_status.clone(),
                kind: row.kind.map(|it| it.as_str().to_string()),
                agrees,
                place_count: row.summary.places.len(),
                places: row
                    .summary
                    .places
                    .iter()
                    .filter(|_| !agrees)
                    .map(|it| CardPlace {
                        file: it.path.clone(),
                        line: it.line,
                        value: it.value.clone(),
                        agrees: it.agrees,
                    })
                    .collect(),
                allowed: row.summary.next.iter().filter(|it| it.allowed).map(|it| it.id.clone()).collect(),
                settable: row.summary.settable,
                archived: row.summary.archived,
                dependencies,
                claim: claims.get(&task_name(task)).map(Claim::describe),
                elsewhere: across::taken_up_elsewhere(task, workspace.elsewhere)
                    .into_iter()
                    .map(|it| format!("{}: {}", it.worktree, it.status.as_deref().unwrap_or("no status")))
                    .collect(),
            }
        })
        .collect();
    Ok(BoardAnswer { trackers, cards, card_count, critical_path, warnings })
}

/// A vocabulary's task statuses in order, each with the kind that places it in a column.
fn task_statuses(profile: &Profile) -> Vec<BoardStatus> {
    profile
        .statuses
        .iter()
        .filter(|it| it.task)
        .map(|it| BoardStatus { id: it.id.clone(), display: it.display(), kind: it.kind.as_str().to_string() })
        .collect()
}
