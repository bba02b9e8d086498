//! Status changes reach every editor this process serves on the same workspace: each gets a
//! `taskmark/taskChanged` notification, and each other editor that has one of the changed
//! documents open gets a `workspace/applyEdit` computed against its own buffers, so the
//! editors show the same text without anyone saving. Files no editor has open were already
//! written by the session that made the change.
//!
//! Every delivery runs on its own task under a timeout: a hung or slow editor never holds up
//! the others or the one that made the change. Each session takes its deliveries in the order
//! the changes were written ([`Lane`]), and a change a session plans waits for those announced
//! to it before ([`Registration::settled`]): the workspace's next change, planned in another
//! session, does not wait for this one's editor.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{self as lsp, notification::Notification};

use crate::analysis::{Hold, Job};
use crate::convert::{self, ClientProfile};
use crate::engine::edit::{StatusChangeOptions, WorkspaceChange, plan_status_change};
use crate::engine::timestamp::Now;
use crate::ext;
use crate::world::Shared;

/// How long one editor has to take a broadcast edit.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// `taskmark/taskChanged`, whose parameters are [`ext::TaskChanged`].
pub enum TaskChanged {}

impl Notification for TaskChanged {
    type Params = ext::TaskChanged;
    const METHOD: &'static str = "taskmark/taskChanged";
}

/// One connected editor, as the others see it.
struct Peer {
    id: u64,
    root: PathBuf,
    name: String,
    client: Client,
    shared: Arc<Shared>,
    /// The session's analysis thread, told of files written for everyone.
    jobs: Sender<Job>,
    profile: ClientProfile,
    lane: Arc<Lane>,
}

/// The changes announced to one session, delivered one after the other in the order they were
/// written: a later change's edit is planned against the buffers the earlier one left, and its
/// editor hears of them in order.
struct Lane {
    /// How many changes were announced to the session (numbered from 1, under the turn, so in
    /// the order they were written).
    announced: AtomicU64,
    /// The number of the last change delivered (or whose delivery timed out or was dropped).
    delivered: tokio::sync::watch::Sender<u64>,
}

impl Lane {
    fn new() -> Lane {
        Lane { announced: AtomicU64::new(0), delivered: tokio::sync::watch::Sender::new(0) }
    }

    /// Numbers a change announced to the session: its delivery waits for `number - 1`.
    fn next(self: &Arc<Self>) -> InLane {
        let number = self.announced.fetch_add(1, Ordering::SeqCst) + 1;
        InLane { lane: self.clone(), number }
    }

    /// Waits until every change numbered up to `number` was delivered.
    async fn delivered(&self, number: u64) {
        let mut delivered = self.delivered.subscribe();
        // An error is the sender gone, which `self` holds: not possible.
        let _ = delivered.wait_for(|it| *it >= number).await;
    }
}

/// A change's place in a session's lane: its delivery marks it delivered when it ends, however
/// it ends (delivered, timed out, or dropped), so the next one never waits for nothing.
struct InLane {
    lane: Arc<Lane>,
    number: u64,
}

impl InLane {
    /// Waits until the change announced before this one was delivered.
    async fn turn(&self) {
        self.lane.delivered(self.number - 1).await;
    }
}

impl Drop for InLane {
    fn drop(&mut self) {
        let number = self.number;
        self.lane.delivered.send_modify(|it| *it = (*it).max(number));
    }
}

/// The editors one process serves (one [`crate::Hub`]'s), which hear of each other's changes.
#[derive(Default)]
pub struct Peers {
    list: Mutex<Vec<Peer>>,
    next_id: AtomicU64,
}

/// An editor's place in the broadcast list, which it leaves when the session ends.
pub struct Registration {
    id: u64,
    peers: Arc<Peers>,
}

impl Registration {
    /// How this session is named to the others: the editor's name and the session number.
    pub fn name(&self) -> String {
        name_in(&self.peers.lock(), self.id)
    }

    /// The documents the other editors on `root` have open (workspace-relative paths): a
    /// status change leaves those to the broadcast, which edits each editor's own buffer,
    /// instead of writing them on disk under the editor's feet.
    pub fn open_elsewhere(&self, root: &std::path::Path) -> std::collections::HashSet<String> {
        let peers = self.peers.lock();
        peers
            .iter()
            .filter(|it| it.id != self.id && it.root == root)
            .flat_map(|it| it.shared.read().versions.keys().cloned().collect::<Vec<_>>())
            .collect()
    }

    /// Tells every session on `root` of this session's status change (see [`announce`]).
    pub fn announce(&self, root: &std::path::Path, change: StatusChange) {
        announce(&self.peers.lock(), self.id, root, change)
    }

    /// Sends this session's edits to the others on `root` (see [`announce_edits`]).
    pub fn announce_edits(&self, root: &std::path::Path, change: Announcement) {
        announce_edits(&self.peers.lock(), self.id, root, change)
    }

    /// Waits until every change announced to this session so far was delivered to it: its
    /// editor's buffers edited, the written files read. What it plans next sees those changes.
    /// Bounded: each delivery has its own timeout.
    pub fn settled(&self) -> impl Future<Output = ()> + Send + 'static {
        let lane = self.peers.lock().iter().find(|it| it.id == self.id).map(|it| it.lane.clone());
        async move {
            if let Some(lane) = lane {
                let announced = lane.announced.load(Ordering::SeqCst);
                lane.delivered(announced).await;
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.peers.lock().retain(|it| it.id != self.id);
    }
}

impl Peers {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Peer>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an editor's session to the list; it stays there while the registration lives.
    pub fn register(
        self: &Arc<Self>,
        root: PathBuf,
        client: Client,
        shared: Arc<Shared>,
        jobs: Sender<Job>,
        profile: ClientProfile,
    ) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let name = format!("{} (session {id})", profile.name);
        self.lock().push(Peer { id, root, name, client, shared, jobs, profile, lane: Arc::new(Lane::new()) });
        Registration { id, peers: self.clone() }
    }
}

fn name_in(peers: &[Peer], session: u64) -> String {
    peers.iter().find(|it| it.id == session).map_or_else(|| "an editor".to_string(), |it| it.name.clone())
}

/// A status change one editor made, to repeat in the others.
#[derive(Debug, Clone)]
pub struct StatusChange {
    /// As commands name it: `221` or `SCOPE:ID`.
    pub task: String,
    pub from: Option<String>,
    pub to: String,
    /// The vocabulary id of the new status, for planning it again.
    pub status: String,
    /// Workspace-relative paths of every file the change touched.
    pub files: Vec<String>,
    /// The clock the origin planned with: the same timestamps everywhere, so texts converge.
    pub now: Now,
    pub reason: Option<String>,
    /// The files open in other editors the origin wrote on disk, with the text they had.
    pub under_editors: Vec<(String, Arc<str>)>,
}

/// Tells every session on `root` of a status change, each in a task of its own, in its lane,
/// with its own timeout.
fn announce(peers: &[Peer], origin: u64, root: &std::path::Path, change: StatusChange) {
    let origin_name = name_in(peers, origin);
    for peer in peers.iter().filter(|it| it.root == root) {
        let is_origin = peer.id == origin;
        let target = Target::of(peer);
        let (change, origin_name, name) = (change.clone(), origin_name.clone(), peer.name.clone());
        let files_only = !is_origin && target.reads_files_only(&change.files);
        let in_lane = peer.lane.next();
        tokio::spawn(async move {
            in_lane.turn().await;
            let delivery = deliver(target, change, origin_name, is_origin, files_only);
            if tokio::time::timeout(DELIVERY_TIMEOUT, delivery).await.is_err() {
                tracing::warn!(
                    "{name} did not take a status change within {} s; it is left as it is",
                    DELIVERY_TIMEOUT.as_secs()
                );
            }
            drop(in_lane);
        });
    }
}

/// One session a broadcast goes to.
struct Target {
    client: Client,
    shared: Arc<Shared>,
    jobs: Sender<Job>,
    profile: ClientProfile,
}

impl Target {
    fn of(peer: &Peer) -> Target {
        Target {
            client: peer.client.clone(),
            shared: peer.shared.clone(),
            jobs: peer.jobs.clone(),
            profile: peer.profile.clone(),
        }
    }

    /// A session with no document open (an agent's, a command line's) has nothing of its own to
    /// bring in step: it is told to read the written `paths` now, before the workspace's next
    /// change may start (which, planned in this session, then waits until it has), and the
    /// workspace does not wait for it to hear of the change. Returns whether it was such a
    /// session: nothing more to deliver to it but the notice.
    fn reads_files_only(&self, paths: &[String]) -> bool {
        if !self.shared.documents().is_empty() {
            return false;
        }
        let sequence = self.shared.submit();
        let _ = self.jobs.send(Job::Written { paths: paths.to_vec(), sequence, after_write: crate::host::writes() });
        true
    }

    /// Has the session read `paths` from disk again (the daemon wrote them). Not waited for:
    /// the session's own requests and deliveries wait until it is caught up, so whatever it
    /// answers or plans next sees the files; the workspace's next change, planned in another
    /// session, does not need this one's view of the disk.
    fn reread(&self, paths: &[String]) {
        // Its open documents are its editor's: the disk does not count for them.
        let paths: Vec<String> = {
            let world = self.shared.read();
            paths.iter().filter(|it| !world.versions.contains_key(*it)).cloned().collect()
        };
        if paths.is_empty() {
            return;
        }
        let sequence = self.shared.submit();
        let _ = self.jobs.send(Job::Written { paths, sequence, after_write: crate::host::writes() });
    }

    /// Sends an edit of the session's open buffers, then waits until the editor's changes are
    /// in its world (an editor answers before or after sending its didChange) and checks that
    /// its buffers say what they should: an editor without versioned edits (Neovim) applies a
    /// plain edit to whatever its buffer holds by then.
    async fn apply(&self, planned: BufferEdit) -> Applied {
        let BufferEdit { label, edit, expected } = planned;
        let uris = edited_uris(&edit);
        let versions_before: Vec<Option<i32>> = {
            let documents = self.shared.documents();
            uris.iter().map(|uri| documents.get(uri).map(|it| it.version)).collect()
        };
        let params = lsp::ApplyWorkspaceEditParams { label: Some(label.clone()), edit };
        match self.client.send_request::<lsp::request::ApplyWorkspaceEdit>(params).await {
            Ok(response) if response.applied => {}
            Ok(response) => {
                let reason = response.failure_reason.unwrap_or_else(|| "no reason given".into());
                tracing::info!("{label}: an editor declined the broadcast edit ({reason})");
                return Applied::Declined(reason);
            }
            Err(error) => {
                tracing::info!("{label}: the broadcast edit failed: {error}");
                return Applied::Declined(error.to_string());
            }
        }
        let deadline = std::time::Instant::now() + FOLLOW_TIMEOUT;
        while std::time::Instant::now() < deadline {
            let changed = {
                let documents = self.shared.documents();
                uris.iter()
                    .zip(&versions_before)
                    .all(|(uri, before)| documents.get(uri).map(|it| it.version) != *before)
            };
            if changed {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        self.shared.caught_up().await;
        let documents = self.shared.documents();
        let diverged: Vec<String> = expected
            .iter()
            .filter(|(uri, text)| {
                documents.get(uri).is_some_and(|it| !crate::engine::text::same_but_final_line_break(&it.text, text))
            })
            .map(|(uri, _)| uri.clone())
            .collect();
        if diverged.is_empty() { Applied::Done } else { Applied::Diverged(diverged) }
    }

    /// Says to the editor's user what could not be done to their buffers.
    async fn tell(&self, message: String) {
        tracing::warn!("{message}");
        self.client.show_message(lsp::MessageType::WARNING, format!("taskmark: {message}")).await;
    }
}

/// An edit of one session's open buffers, and the texts they must hold afterwards (by URI).
struct BufferEdit {
    label: String,
    edit: lsp::WorkspaceEdit,
    expected: Vec<(String, String)>,
}

enum Applied {
    Done,
    /// The editor refused it (a versioned edit older than its buffer): why.
    Declined(String),
    /// Applied, but these buffers do not hold the planned text (they changed meanwhile).
    Diverged(Vec<String>),
}

fn file_names(uris: &[String]) -> String {
    uris.iter().map(|it| it.rsplit('/').next().unwrap_or(it)).collect::<Vec<_>>().join(", ")
}

/// How long an editor that applied an edit may take to send the didChange it caused.
const FOLLOW_TIMEOUT: Duration = Duration::from_secs(1);

fn edited_uris(edit: &lsp::WorkspaceEdit) -> Vec<String> {
    let mut uris: Vec<String> =
        edit.changes.iter().flat_map(|it| it.keys().map(|uri| uri.as_str().to_string())).collect();
    if let Some(lsp::DocumentChanges::Edits(edits)) = &edit.document_changes {
        uris.extend(edits.iter().map(|it| it.text_document.uri.as_str().to_string()));
    }
    uris
}

/// Delivers a status change to one session: the notice, then (unless it is the origin's, or
/// one that reads the files only, see [`Target::reads_files_only`]) the change to its buffers.
async fn deliver(target: Target, change: StatusChange, origin: String, is_origin: bool, files_only: bool) {
    // Decided once: the editor reads these again itself, so no edit may race that read.
    let reload = match is_origin || files_only {
        true => Vec::new(),
        false => reloading_from_disk(&target.shared.read(), &change.under_editors),
    };
    let params = ext::TaskChanged {
        task: change.task.clone(),
        action: None,
        from: change.from.clone(),
        to: Some(change.to.clone()),
        title: None,
        tasks: None,
        files: change.files.clone(),
        reload: reload.clone(),
        origin,
        // The editor that made the change already said so to its user.
        mine: is_origin,
    };
    let origin = params.origin.clone();
    target.client.send_notification::<TaskChanged>(params).await;
    if is_origin || files_only {
        return;
    }
    target.shared.caught_up().await;
    // Its open buffers first (what its user sees), computed against them alone; then the files
    // the daemon wrote, so that this session's next plan sees them. Its diagnostics wait for
    // both.
    let _hold = Hold::new(&target.jobs);
    // A buffer that moved since the edit was planned gets a fresh one, planned against it.
    let mut outcome = Applied::Done;
    let unsaved = unsaved_under_disk(&target.shared.read(), &change.under_editors, &reload);
    for _ in 0..2 {
        let Some(planned) = follow(&target.shared, &target.profile, &change, &reload) else { break };
        outcome = target.apply(planned).await;
        if !matches!(outcome, Applied::Declined(_)) {
            break;
        }
        target.shared.caught_up().await;
    }
    let what = format!("task {} set to {} by {origin}", change.task, change.to);
    match outcome {
        Applied::Done if !unsaved.is_empty() => {
            target
                .tell(format!(
                    "{what} and written on disk; your unsaved {} got the same change (save to keep both)",
                    unsaved.join(", ")
                ))
                .await
        }
        Applied::Done => {}
        Applied::Declined(reason) => {
            target
                .tell(format!("{what}: your open buffers were left as they are ({reason}); the files on disk have it"))
                .await
        }
        Applied::Diverged(uris) => target
            .tell(format!(
                "{what}: {} changed while the change was applied to it; check it against the other places of the task",
                file_names(&uris)
            ))
            .await,
    }
    target.reread(&change.files);
}

/// The same change planned against this editor's own buffers, for the documents it has open.
fn follow(shared: &Shared, profile: &ClientProfile, change: &StatusChange, reload: &[String]) -> Option<BufferEdit> {
    let world = shared.read();
    // No document open (an agent's session): nothing to plan.
    if world.versions.is_empty() {
        return None;
    }
    let task = world.index.find_tasks(&change.task).into_iter().next()?;
    // The origin validated the transition; here only the texts must follow.
    let options = StatusChangeOptions {
        force: true,
        reason: change.reason.clone(),
        restamp: true,
        ..StatusChangeOptions::new(change.now.clone())
    };
    let mut planned = plan_status_change(&world.index, &task, &change.status, &options).ok()?;
    planned
        .files
        .retain(|it| !it.edits.is_empty() && world.versions.contains_key(&it.path) && !reload.contains(&it.path));
    if planned.files.is_empty() {
        return None;
    }
    let edit = convert::workspace_edit(&world, &planned, profile, false).ok()?;
    let expected = expected_texts(&world, &planned);
    Some(BufferEdit { label: planned.label, edit, expected })
}

/// The files the origin wrote on disk ([`StatusChange::under_editors`]) that this session's
/// editor has open as they were on disk (no unsaved change): the editor reads those again
/// itself (VS Code on its own, the Neovim plugin those the notice names in
/// [`ext::TaskChanged::reload`]), and they get no edit, which would only leave the buffer
/// modified with what the disk already says.
fn reloading_from_disk(world: &crate::world::World, under_editors: &[(String, Arc<str>)]) -> Vec<String> {
    under_editors
        .iter()
        .filter(|(path, before)| {
            world.versions.contains_key(path) && world.index.text_at(path).is_some_and(|it| **it == **before)
        })
        .map(|(path, _)| path.clone())
        .collect()
}

/// The files the origin wrote on disk that this session's editor has open with unsaved
/// changes: its user is told that the disk has the change too.
fn unsaved_under_disk(
    world: &crate::world::World,
    under_editors: &[(String, Arc<str>)],
    reload: &[String],
) -> Vec<String> {
    under_editors
        .iter()
        .map(|(path, _)| path)
        .filter(|path| world.versions.contains_key(*path) && !reload.contains(path))
        .cloned()
        .collect()
}

fn expected_texts(world: &crate::world::World, change: &WorkspaceChange) -> Vec<(String, String)> {
    change
        .apply(&world.index)
        .into_iter()
        .filter_map(|(path, text)| Some((world.uri(&path)?.as_str().to_string(), text)))
        .collect()
}

/// A change to repeat in the other editors as the edits it made (a fix, a new task; not a
/// status change, which each editor plans again against its own buffers, see [`announce`]).
#[derive(Debug, Clone, Default)]
pub struct Announcement {
    pub label: String,
    /// The files it edited, as they were before.
    pub files: Vec<EditedFile>,
    /// The files it created (written on disk, or by the editor that made the change).
    pub created: Vec<String>,
    /// The paths it moved (files or folders): every file under them is read again, at its old
    /// place and its new one.
    pub moved: Vec<(String, String)>,
    /// The `taskmark/taskChanged` notification every editor on the root gets (`origin`,
    /// `mine` and `files` are set per editor), or none (a fix tells no one).
    pub notice: Option<ext::TaskChanged>,
    /// The files open in other editors the origin wrote on disk, with the text they had.
    pub under_editors: Vec<(String, Arc<str>)>,
}

/// Sends the edits of a change to the other sessions on `root` that have the files open
/// (against the text they were planned on; a buffer that differs is left alone), has every
/// session read the files written on disk, and tells each the notice. Like [`announce`].
fn announce_edits(peers: &[Peer], origin: u64, root: &std::path::Path, change: Announcement) {
    let origin_name = name_in(peers, origin);
    for peer in peers.iter().filter(|it| it.root == root) {
        let is_origin = peer.id == origin;
        let target = Target::of(peer);
        let name = peer.name.clone();
        let change = change.clone();
        let origin_name = origin_name.clone();
        let root = root.to_path_buf();
        let files_only = !is_origin && {
            let mut paths: Vec<String> = change.files.iter().map(|it| it.path.clone()).collect();
            paths.extend(change.created.iter().cloned());
            paths.extend(crate::write_path::moved_files(&root, &change.moved));
            target.reads_files_only(&paths)
        };
        let in_lane = peer.lane.next();
        tokio::spawn(async move {
            in_lane.turn().await;
            let Announcement { label, files, created, moved, notice, under_editors } = change;
            let delivery = async {
                let mut paths: Vec<String> = files.iter().map(|it| it.path.clone()).collect();
                // Decided once: the editor reads these again itself, so no edit may race that read.
                let reload = match is_origin || files_only {
                    true => Vec::new(),
                    false => reloading_from_disk(&target.shared.read(), &under_editors),
                };
                if let Some(mut notice) = notice {
                    let mut all = paths.clone();
                    all.extend(created.iter().cloned());
                    all.extend(moved.iter().flat_map(|(from, to)| [from.clone(), to.clone()]));
                    notice.files = all;
                    notice.origin = origin_name.clone();
                    notice.mine = is_origin;
                    notice.reload = reload.clone();
                    target.client.send_notification::<TaskChanged>(notice).await;
                }
                if is_origin || files_only {
                    return;
                }
                paths.extend(created);
                paths.extend(crate::write_path::moved_files(&root, &moved));
                target.shared.caught_up().await;
                let _hold = Hold::new(&target.jobs);
                let (planned, left_alone) = {
                    let world = target.shared.read();
                    let mut change = WorkspaceChange { label: label.clone(), ..Default::default() };
                    let mut left_alone = Vec::new();
                    for file in &files {
                        if !world.versions.contains_key(&file.path) || reload.contains(&file.path) {
                            continue;
                        }
                        let Some(id) = world.index.file_id(&file.path) else { continue };
                        if *world.index.text(id) != *file.before {
                            left_alone.push(file.path.clone());
                            continue;
                        }
                        change.files.push(crate::engine::edit::FileChange {
                            file: id,
                            path: file.path.clone(),
                            edits: file.edits.clone(),
                        });
                    }
                    let planned = (!change.files.is_empty())
                        .then(|| convert::workspace_edit(&world, &change, &target.profile, false).ok())
                        .flatten()
                        .map(|edit| BufferEdit {
                            label: label.clone(),
                            expected: expected_texts(&world, &change),
                            edit,
                        });
                    (planned, left_alone)
                };
                if !left_alone.is_empty() {
                    let on_disk = left_alone.iter().all(|path| under_editors.iter().any(|(it, _)| it == path));
                    let written = if on_disk { format!(" (written on disk by {origin_name})") } else { String::new() };
                    target
                        .tell(format!(
                            "{label}{written}: your unsaved {} differ from the files changed, so they were left as they are",
                            left_alone.join(", ")
                        ))
                        .await;
                }
                if let Some(planned) = planned {
                    match target.apply(planned).await {
                        Applied::Done => {}
                        Applied::Declined(reason) => {
                            target.tell(format!("{label}: your open buffers were left as they are ({reason})")).await
                        }
                        Applied::Diverged(uris) => {
                            target
                                .tell(format!(
                                    "{label}: {} changed while the change was applied to it",
                                    file_names(&uris)
                                ))
                                .await
                        }
                    }
                }
                target.reread(&paths);
            };
            if tokio::time::timeout(DELIVERY_TIMEOUT, delivery).await.is_err() {
                tracing::warn!("{name} did not take the edits within {} s", DELIVERY_TIMEOUT.as_secs());
            }
            drop(in_lane);
        });
    }
}

/// One file's part of a change, as [`announce_edits`] repeats it.
#[derive(Debug, Clone)]
pub struct EditedFile {
    pub path: String,
    pub before: Arc<str>,
    pub edits: Vec<crate::engine::text::TextEdit>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_session_takes_its_changes_in_the_order_they_were_announced() {
        let lane = Arc::new(Lane::new());
        let order = Arc::new(Mutex::new(Vec::new()));
        let (first, second, third) = (lane.next(), lane.next(), lane.next());
        let deliver = |in_lane: InLane, name: &'static str, takes: u64| {
            let order = order.clone();
            tokio::spawn(async move {
                in_lane.turn().await;
                tokio::time::sleep(Duration::from_millis(takes)).await;
                order.lock().expect("order").push(name);
                drop(in_lane);
            })
        };
        // Spawned last first, and the first is the slowest: each still waits for the one before.
        let third = deliver(third, "third", 0);
        let second = deliver(second, "second", 0);
        let settled = tokio::spawn({
            let lane = lane.clone();
            let order = order.clone();
            async move {
                lane.delivered(lane.announced.load(Ordering::SeqCst)).await;
                order.lock().expect("order").len()
            }
        });
        let first = deliver(first, "first", 50);
        for delivery in [first, second, third] {
            delivery.await.expect("delivered");
        }
        assert_eq!(*order.lock().expect("order"), ["first", "second", "third"]);
        assert_eq!(settled.await.expect("settled"), 3, "settled before every change was delivered");
    }

    #[tokio::test]
    async fn a_delivery_dropped_unfinished_lets_the_next_one_go() {
        let lane = Arc::new(Lane::new());
        let (first, second) = (lane.next(), lane.next());
        let dropped = tokio::spawn(async move {
            first.turn().await;
            std::future::pending::<()>().await;
            drop(first);
        });
        dropped.abort();
        let _ = dropped.await;
        tokio::time::timeout(Duration::from_secs(5), second.turn()).await.expect("the next one went");
    }
}
