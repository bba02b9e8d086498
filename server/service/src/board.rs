//! `board`: where everything stands, as the board's columns and dependency graph show it, for
//! every front door that draws one (the daemon's web board, through the language server's
//! `taskmark.board`). One answer holds every tracker's statuses (the columns, each with its
//! kind), every task as a card (its places and whether they agree, the statuses it may move to,
//! its claim, other worktrees' work on it, its dependencies and the dead chains among them) and
//! the critical path of the open tasks.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::claims::{Claim, task_name};
use crate::engine::edit::Refusal;
use crate::engine::index::{WorkspaceIndex, longest_chain};
use crate::engine::lifecycle::{ListFilter, across, check_filter, family_of, listed_keys, task_row};
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
    /// The [`BoardAnswer::generation`] the asker holds: when it is the last answer's, only the
    /// cards that changed since come back.
    #[serde(default)]
    pub since: Option<String>,
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
    /// Names the board this answer describes (its trackers, cards and critical path): the same
    /// board has the same one, whenever it is computed.
    pub generation: String,
    /// When set, `cards` holds only the cards that differ from those of the board of this
    /// generation (the request's `since`); every other card, and their order, is as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// What the last board was computed from and what it held, kept by the front door between
/// answers: the next board computes again only the cards of the trackers that changed since
/// (a status change touches one tracker of a workspace's several), and answers with only the
/// cards that differ when the asker holds this one.
#[derive(Debug, Clone)]
pub struct BoardMemo {
    tracker: Option<String>,
    index: WorkspaceIndex,
    generation: String,
    cards: Arc<Vec<Card>>,
    /// The boards before it, newest first, [`BOARDS_KEPT`] at most: two pages on one board
    /// (two tabs, two people) each hold their own, and each gets what changed since.
    earlier: Vec<(String, Arc<Vec<Card>>)>,
}

/// How many boards a memo can answer a change since: a few pages open at once.
const BOARDS_KEPT: usize = 4;

impl BoardMemo {
    /// The cards of the board of `generation`, when this memo still holds it.
    fn cards_of(&self, generation: &str) -> Option<&[Card]> {
        if self.generation == generation {
            return Some(&self.cards);
        }
        self.earlier.iter().find(|(it, _)| it == generation).map(|(_, cards)| cards.as_slice())
    }
}

/// A tracker and its task statuses, in its vocabulary's order: the board's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardTracker {
    /// Its folder (`specs`, `.kiro/specs/auth`), empty at the workspace root.
    pub root: String,
    pub family: String,
    pub statuses: Vec<BoardStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardPlace {
    pub file: String,
    /// From 1.
    pub line: u32,
    pub value: String,
    pub agrees: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    board_after(workspace, request, now, None).map(|(answer, _)| answer)
}

/// [`board`], computing again only what may have changed since `memo`'s board (and answering
/// with the cards that differ from it when the request holds its generation); the memo of this
/// answer comes back with it.
pub fn board_after(
    workspace: &TaskWorkspace<'_>,
    request: &BoardRequest,
    now: SystemTime,
    memo: Option<&BoardMemo>,
) -> Result<(BoardAnswer, BoardMemo), Refusal> {
    let index = workspace.index;
    // Archived tasks too: a dependency's card, and the history a person may ask to see.
    let filter = ListFilter { tracker: request.tracker.clone(), archived: true, ..ListFilter::default() };
    check_filter(index, &filter)?;
    let mut warnings = Vec::new();
    let claims: HashMap<String, Claim> = workspace.claims.standing(now).unwrap_or_else(|error| {
        warnings.push(format!("{error}; claims are not shown"));
        HashMap::new()
    });
    let memo = memo.filter(|it| it.tracker == request.tracker);
    // The trackers whose cards are computed again; every tracker's when the memo cannot tell.
    let changed = memo.and_then(|it| index.trackers_changed_since(&it.index));
    let kept: HashMap<&str, &Card> = match (memo, &changed) {
        (Some(memo), Some(_)) => memo.cards.iter().map(|it| (it.task.as_str(), it)).collect(),
        _ => HashMap::new(),
    };
    let mut selected: Vec<TaskKey> = Vec::new();
    let mut cards: Vec<Card> = Vec::new();
    let mut computed = 0usize;
    for task in listed_keys(index, &filter) {
        let mut card = match &changed {
            // A tracker that did not change: its tasks read as before, selected or not.
            Some(changed) if !changed.contains(task.scope.as_str()) => match kept.get(task_name(task).as_str()) {
                Some(card) => (*card).clone(),
                None => continue,
            },
            _ => match task_row(index, task, &filter) {
                Some(row) => {
                    computed += 1;
                    card_of(index, &row)
                }
                None => continue,
            },
        };
        // What lives outside the index is read afresh for every card.
        card.claim = claims.get(&card.task).map(Claim::describe);
        card.elsewhere = across::taken_up_elsewhere(task, workspace.elsewhere)
            .into_iter()
            .map(|it| format!("{}: {}", it.worktree, it.status.as_deref().unwrap_or("no status")))
            .collect();
        selected.push(task.clone());
        cards.push(card);
    }
    let card_count = cards.len();
    tracing::debug!(
        "board: {computed} of {card_count} cards computed, the others kept (changed trackers: {:?})",
        changed.as_ref().map(|it| it.len())
    );
    let critical_path = critical_path(&cards);
    let mut trackers: Vec<BoardTracker> = Vec::new();
    for task in &selected {
        if trackers.last().is_some_and(|it| it.root == task.scope.as_str()) {
            continue;
        }
        let Some(profile) = index.task_profile(task) else { continue };
        let family = family_of(index, task);
        trackers.push(BoardTracker {
            root: task.scope.to_string(),
            family: family.map(|it| it.as_str().to_string()).unwrap_or_default(),
            statuses: task_statuses(profile),
        });
    }
    let generation = generation_of(&trackers, &cards, &critical_path, card_count);
    // Only what changed, for an asker that holds a board the memo kept, of the same tasks in
    // the same order.
    let held = match (memo, request.since.as_deref()) {
        (Some(memo), Some(since)) => memo.cards_of(since).map(|it| (since, it)),
        _ => None,
    };
    let held = held.filter(|(_, held)| {
        held.len() == cards.len() && held.iter().zip(&cards).all(|(before, now)| before.task == now.task)
    });
    let answered = match held {
        // The asker holds the first MOST_CARDS; the memo keeps them all, so that the cards of
        // the trackers that did not change are all there to keep next time.
        Some((_, held)) => held
            .iter()
            .zip(&cards)
            .take(MOST_CARDS)
            .filter(|(before, now)| before != now)
            .map(|(_, it)| it.clone())
            .collect(),
        None => cards.iter().take(MOST_CARDS).cloned().collect(),
    };
    let answer = BoardAnswer {
        trackers,
        cards: answered,
        card_count,
        critical_path,
        warnings,
        generation: generation.clone(),
        since: held.map(|(since, _)| since.to_string()),
    };
    let mut earlier = Vec::new();
    if let Some(memo) = memo {
        let boards = std::iter::once((&memo.generation, &memo.cards))
            .chain(memo.earlier.iter().map(|(generation, cards)| (generation, cards)));
        for (kept, cards) in boards.filter(|(kept, _)| **kept != generation).take(BOARDS_KEPT - 1) {
            earlier.push((kept.clone(), Arc::clone(cards)));
        }
    }
    let memo = BoardMemo {
        tracker: request.tracker.clone(),
        index: index.clone(),
        generation,
        cards: Arc::new(cards),
        earlier,
    };
    Ok((answer, memo))
}

/// The longest chain of open tasks each waiting on the next, read from the cards (which hold
/// each task's kind and its dependencies as resolved): what
/// [`WorkspaceIndex::critical_path`] gives, without asking the index each task's status again.
fn critical_path(cards: &[Card]) -> Vec<String> {
    let open: Vec<&Card> =
        cards.iter().filter(|it| matches!(it.kind.as_deref(), Some("todo" | "active" | "blocked"))).collect();
    let members: HashMap<&str, usize> = open.iter().enumerate().map(|(at, it)| (it.task.as_str(), at)).collect();
    let waits_on: Vec<Vec<usize>> = open
        .iter()
        .map(|card| {
            card.dependencies
                .iter()
                .filter(|it| it.exists)
                .filter_map(|it| members.get(it.task.as_str()).copied())
                .collect()
        })
        .collect();
    longest_chain(&waits_on).into_iter().map(|it| open[it].task.clone()).collect()
}

/// A task's card, but for its claim and the other worktrees (read afresh on every answer).
fn card_of(index: &WorkspaceIndex, row: &crate::engine::lifecycle::TaskRow) -> Card {
    let task = &row.summary.task;
    let open = matches!(row.kind, Some(Kind::Todo | Kind::Active | Kind::Blocked));
    let dependencies = index
        .dependency_ids(task)
        .into_iter()
        .map(|(id, _, _)| {
            let resolved = index.resolve_dependency(task, id);
            let done = resolved.as_ref().and_then(|it| index.task_kind(it)).is_some_and(|(_, kind)| kind == Kind::Done);
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
            .map(|it| CardPlace { file: it.path.clone(), line: it.line, value: it.value.clone(), agrees: it.agrees })
            .collect(),
        allowed: row.summary.next.iter().filter(|it| it.allowed).map(|it| it.id.clone()).collect(),
        settable: row.summary.settable,
        archived: row.summary.archived,
        dependencies,
        claim: None,
        elsewhere: Vec::new(),
    }
}

/// The name of a board's content: a hash of what the page draws, in hex (a JSON number would
/// lose its low bits in a browser).
fn generation_of(trackers: &[BoardTracker], cards: &[Card], critical_path: &[String], card_count: usize) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (trackers, cards, critical_path, card_count).hash(&mut hasher);
    format!("{:016x}", hasher.finish())
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Duration;

    use super::*;
    use crate::claims::ClaimStore;
    use crate::engine::config::Config;
    use crate::engine::index::SourceFile;

    const SPECS: &str = "\
## Tasks

### 1. Base
- **Status**: [COMPLETED]

### 2. Built on base
- **Status**: [NOT STARTED]
- **Dependencies**: 1

### 3. Needs two
- **Status**: [NOT STARTED]
- **Dependencies**: 2
";
    const OTHER: &str = "\
## Tasks

### 7. Elsewhere
- **Status**: [NOT STARTED]
";

    /// `specs/TODO.md` written `specs`, beside `docs/specs/TODO.md` written `OTHER`.
    fn index(specs: &str) -> WorkspaceIndex {
        let files = [("specs/TODO.md", specs), ("docs/specs/TODO.md", OTHER)]
            .into_iter()
            .map(|(path, text)| SourceFile { path: path.to_string(), text: Arc::from(text) });
        WorkspaceIndex::build(files.collect(), &Config::default().vocabularies)
    }

    /// What a board's workspace holds besides its index: the configuration, an empty claims
    /// file of its own, no other file listed.
    struct Held {
        config: Config,
        _folder: tempfile::TempDir,
        claims: ClaimStore,
        listed: HashSet<String>,
    }

    impl Held {
        fn new() -> Held {
            let folder = tempfile::tempdir().expect("a temporary folder");
            let claims = ClaimStore::in_folder(&folder.path().join("claims"), "workspace");
            Held { config: Config::default(), _folder: folder, claims, listed: HashSet::new() }
        }

        fn workspace<'a>(&'a self, index: &'a WorkspaceIndex) -> TaskWorkspace<'a> {
            TaskWorkspace {
                index,
                config: &self.config,
                paths: &self.listed,
                store: None,
                baseline: None,
                unreadable: Vec::new(),
                claims: &self.claims,
                elsewhere: &[],
                listed: &self.listed,
            }
        }
    }

    fn at(minutes: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + minutes * 60)
    }

    fn tasks(cards: &[Card]) -> Vec<&str> {
        cards.iter().map(|it| it.task.as_str()).collect()
    }

    /// A board after a change computes again only what the change may reach, and a page that
    /// holds the last board gets only the cards that changed: the status change's card and the
    /// card that waits on it, then a claim's card, then none.
    #[test]
    fn a_board_asked_since_the_last_one_answers_with_the_cards_that_changed() {
        let held = Held::new();
        let workspace = |index| held.workspace(index);
        let before = index(SPECS);
        let (first, memo) = board_after(&workspace(&before), &BoardRequest::default(), at(0), None).expect("a board");
        assert_eq!(first.since, None);
        assert_eq!(tasks(&first.cards), ["docs/specs:7", "specs:1", "specs:2", "specs:3"]);
        assert_eq!(first.critical_path, ["specs:3", "specs:2"]);

        let mut after = before.clone();
        after.set_file("specs/TODO.md", Some(Arc::from(SPECS.replacen("[NOT STARTED]", "[ABANDONED]", 1))));
        let since = BoardRequest { since: Some(first.generation.clone()), ..BoardRequest::default() };
        let (changed, memo) = board_after(&workspace(&after), &since, at(0), Some(&memo)).expect("a board");
        let fresh = board(&workspace(&after), &BoardRequest::default(), at(0)).expect("a board");
        assert_eq!(changed.since.as_deref(), Some(first.generation.as_str()));
        assert_eq!(tasks(&changed.cards), ["specs:2", "specs:3"], "the abandoned task, and the one its chain kills");
        assert!(changed.cards[1].dependencies[0].dead.is_some());
        assert_eq!((&changed.generation, &changed.critical_path), (&fresh.generation, &fresh.critical_path));
        assert!(changed.critical_path.is_empty());

        held.claims.claim("docs/specs:7", "agent-a", 30, at(1)).expect("claimed");
        let since = BoardRequest { since: Some(changed.generation.clone()), ..BoardRequest::default() };
        let (claimed, memo) = board_after(&workspace(&after), &since, at(1), Some(&memo)).expect("a board");
        assert_eq!(tasks(&claimed.cards), ["docs/specs:7"], "the index did not change, the claims did");
        assert!(claimed.cards[0].claim.as_deref().is_some_and(|it| it.contains("agent-a")));

        let since = BoardRequest { since: Some(claimed.generation.clone()), ..BoardRequest::default() };
        let (same, memo) = board_after(&workspace(&after), &since, at(2), Some(&memo)).expect("a board");
        assert!(same.cards.is_empty() && same.since.is_some());
        assert_eq!(same.generation, claimed.generation);

        // A page that held the first board (another tab) gets what changed since that one.
        let older = BoardRequest { since: Some(first.generation.clone()), ..BoardRequest::default() };
        let (from_first, memo) = board_after(&workspace(&after), &older, at(2), Some(&memo)).expect("a board");
        assert_eq!(from_first.since.as_deref(), Some(first.generation.as_str()));
        assert_eq!(tasks(&from_first.cards), ["docs/specs:7", "specs:2", "specs:3"]);

        // A page holding a board the memo does not know (another daemon's) gets all of it.
        let unknown = BoardRequest { since: Some("0123456789abcdef".into()), ..BoardRequest::default() };
        let (whole, _) = board_after(&workspace(&after), &unknown, at(2), Some(&memo)).expect("a board");
        assert_eq!((whole.since, whole.cards.len()), (None, 4));
    }

    /// A board of more than MOST_CARDS cards answers with the first MOST_CARDS, and keeps them
    /// all: after a change to another tracker, the cards past the limit are still there (their
    /// count, and the critical path through them).
    #[test]
    fn a_board_past_the_card_limit_keeps_every_card_between_answers() {
        let held = Held::new();
        let workspace = |index| held.workspace(index);
        // The last four wait on each other, across the limit.
        let big: String = (1..=MOST_CARDS + 2)
            .map(|id| match id > MOST_CARDS - 2 {
                true => format!("### {id}. Task {id}\n- **Status**: [NOT STARTED]\n- **Dependencies**: {}\n\n", id - 1),
                false => format!("### {id}. Task {id}\n- **Status**: [NOT STARTED]\n\n"),
            })
            .collect();
        let before = index(&format!("## Tasks\n\n{big}"));
        let (first, memo) = board_after(&workspace(&before), &BoardRequest::default(), at(0), None).expect("a board");
        assert_eq!((first.cards.len(), first.card_count), (MOST_CARDS, MOST_CARDS + 3));
        let mut after = before.clone();
        after.set_file("docs/specs/TODO.md", Some(Arc::from(OTHER.replace("[NOT STARTED]", "[RESEARCHING]"))));
        let since = BoardRequest { since: Some(first.generation.clone()), ..BoardRequest::default() };
        let (changed, _) = board_after(&workspace(&after), &since, at(0), Some(&memo)).expect("a board");
        let fresh = board(&workspace(&after), &BoardRequest::default(), at(0)).expect("a board");
        assert_eq!(tasks(&changed.cards), ["docs/specs:7"]);
        assert_eq!((changed.card_count, &changed.critical_path), (fresh.card_count, &fresh.critical_path));
        let last = format!("specs:{}", MOST_CARDS + 2);
        assert_eq!(changed.critical_path.first(), Some(&last), "the chain starts past the limit");
        assert_eq!(changed.critical_path.len(), 5);
        assert_eq!(changed.generation, fresh.generation);
    }
}
