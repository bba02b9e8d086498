//! Claims: an agent says it is working on a task, for a while. A claim is granted only while no
//! other agent holds the task (compare-and-swap), renewed by its holder, ended by its holder or
//! by its lease running out, and a status change by another agent is refused while it stands
//! (unless forced).
//!
//! A claim binds agents, not people: a status change that names no agent (an editor's command,
//! `taskmark set` without `--agent`) goes through, and the claim is shown on hover and in
//! `show` so the person sees whom they overrule.
//!
//! Claims are kept in a file in this user's private state folder ([`ClaimStore`]), not in a
//! process: every front door (the daemon, a `--no-daemon` language server, the command line)
//! and every worktree of one repository reads and writes the same file, so two agents cannot
//! both win a task, whichever way they come in, and a claim outlives the daemon that granted it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use taskmark_io::{private_dir, state_dir};

use crate::engine::model::TaskKey;
use crate::versioned_file;

/// The lease when the request names none, and the longest one granted: a claim outlives a
/// crashed agent by at most a day.
pub const DEFAULT_MINUTES: u64 = 30;
pub const MOST_MINUTES: u64 = 24 * 60;
/// An agent's name is shown in hovers and messages: a line, not a document.
const LONGEST_AGENT_NAME: usize = 100;
/// The file holds a few hundred bytes per standing claim: anything near this is not ours.
const MOST_BYTES: u64 = 1 << 20;
/// The version of the file's format this taskmark reads and writes.
const FORMAT: u32 = 1;
/// How long an operation waits for another process's turn on the file before it says so: each
/// turn is one small read and write, so a lock held this long is held by something stuck.
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub agent: String,
    pub since: SystemTime,
    pub until: SystemTime,
    /// The process that holds the claim for as long as it lives (an agent's MCP server): the
    /// claim ends with it, whatever its lease. `None` for a claim made from the command line,
    /// which lasts its lease.
    pub holder: Option<Holder>,
}

/// A process on this machine, named so that another process given its pid later is not taken
/// for it: its pid and when it started (in the kernel's clock ticks since boot, where the
/// system says; Linux's `/proc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<u64>,
}

impl Holder {
    /// The running process `pid`; `None` when it is not running.
    pub fn process(pid: u32) -> Option<Holder> {
        match process_started(pid) {
            Liveness::Running(started) => Some(Holder { pid, started }),
            Liveness::Gone => None,
        }
    }

    /// This process.
    pub fn this_process() -> Holder {
        let pid = std::process::id();
        Holder::process(pid).unwrap_or(Holder { pid, started: None })
    }

    /// Whether the process still runs (the same one: a pid given to another process since is
    /// gone). Where the system does not say, it runs, and the claim lasts its lease.
    pub fn is_alive(&self) -> bool {
        match process_started(self.pid) {
            Liveness::Gone => false,
            Liveness::Running(started) => self.started.is_none() || started.is_none() || started == self.started,
        }
    }
}

enum Liveness {
    /// Running, started at this tick when the system says.
    Running(Option<u64>),
    Gone,
}

/// Whether `pid` runs, and when it started: `/proc/<pid>/stat`'s 22nd field where there is a
/// `/proc`; elsewhere every process is taken to run.
fn process_started(pid: u32) -> Liveness {
    let proc = Path::new("/proc");
    if !proc.join("self/stat").exists() {
        return Liveness::Running(None);
    }
    let Ok(stat) = fs::read_to_string(proc.join(pid.to_string()).join("stat")) else { return Liveness::Gone };
    // `pid (command) state ppid ...`: the command may hold spaces and parentheses, so fields
    // are counted after its last `)`; the start time is the 20th of those.
    let started = stat.rfind(')').and_then(|end| stat[end + 1..].split_whitespace().nth(19)?.parse().ok());
    // A zombie has exited: its claim is over even before its parent reaps it.
    let state = stat.rfind(')').and_then(|end| stat[end + 1..].split_whitespace().next());
    if state == Some("Z") || state == Some("X") {
        return Liveness::Gone;
    }
    Liveness::Running(started)
}

/// Who asks to claim or release a task: the agent's name, the process holding the claim when
/// there is one (see [`Claim::holder`]), and whether to take the task over from another
/// agent or another session.
#[derive(Debug, Clone, Copy)]
pub struct Claimant<'a> {
    pub agent: &'a str,
    pub holder: Option<Holder>,
    pub force: bool,
}

impl<'a> Claimant<'a> {
    /// An agent on the command line: no holder process, not forced.
    pub fn named(agent: &'a str) -> Claimant<'a> {
        Claimant { agent, holder: None, force: false }
    }

    /// Whether `claim` is this claimant's own: the same agent and the same session (a claim a
    /// session holds is not another session's to renew or release, even under the same name).
    fn owns(&self, claim: &StoredClaim) -> bool {
        claim.agent == self.agent && (claim.holder.is_none() || claim.holder == self.holder)
    }
}

impl Claim {
    /// `` `agent-7` until 14:05 UTC `` for hovers and messages (`or until its session ends`
    /// when a process holds it).
    pub fn describe(&self) -> String {
        let until = jiff::Timestamp::try_from(self.until)
            .map(|it| it.strftime("%H:%M UTC").to_string())
            .unwrap_or_else(|_| "later".to_string());
        match self.holder {
            Some(holder) => format!("`{}` until {until} or until its process {} ends", self.agent, holder.pid),
            None => format!("`{}` until {until}", self.agent),
        }
    }

    /// When the claim began, as an RFC 3339 instant to the second.
    pub fn since_text(&self) -> Option<String> {
        instant_text(self.since)
    }

    /// When the claim ends, as an RFC 3339 instant to the second.
    pub fn until_text(&self) -> Option<String> {
        instant_text(self.until)
    }
}

fn instant_text(time: SystemTime) -> Option<String> {
    jiff::Timestamp::try_from(time).ok().map(|it| it.round(jiff::Unit::Second).unwrap_or(it).to_string())
}

/// What a claim request got.
#[derive(Debug, PartialEq, Eq)]
pub enum Granted {
    New(Claim),
    /// The holder asked again: the lease now runs from this request.
    Renewed(Claim),
}

/// The claims file could not be used: what and why, naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub path: PathBuf,
    pub reason: String,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot use the agents' claims in {}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for StoreError {}

/// Why a claim, a release or a status change was not allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimError {
    /// Another agent holds the task.
    Held(Claim),
    /// The claims file could not be read or written: nothing was decided.
    Store(StoreError),
}

impl From<StoreError> for ClaimError {
    fn from(error: StoreError) -> ClaimError {
        ClaimError::Store(error)
    }
}

/// A task as claims name it: `SCOPE:ID`, or the id alone for a tracker at the workspace root
/// (how the language server's commands name it too).
pub fn task_name(task: &TaskKey) -> String {
    if task.scope.is_empty() { task.id.to_string() } else { format!("{}:{}", task.scope, task.id) }
}

/// An agent's name as a request gives it: trimmed, one line, not empty, not too long.
pub fn agent_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the agent's name is empty".to_string());
    }
    if name.chars().any(char::is_control) {
        return Err("the agent's name must be one line of text".to_string());
    }
    if name.chars().count() > LONGEST_AGENT_NAME {
        return Err(format!("the agent's name is longer than {LONGEST_AGENT_NAME} characters"));
    }
    Ok(name.to_string())
}

/// The file as written: its format's version and the claims by task.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    format: u32,
    claims: BTreeMap<String, StoredClaim>,
}

/// A claim as written: instants in seconds since the Unix epoch.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredClaim {
    agent: String,
    since: u64,
    until: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    holder: Option<Holder>,
}

impl StoredClaim {
    fn claim(&self) -> Claim {
        Claim {
            agent: self.agent.clone(),
            since: at_second(self.since),
            until: at_second(self.until),
            holder: self.holder,
        }
    }

    /// Whether the claim still stands at `now` (seconds): its lease runs and its holder lives.
    fn stands(&self, now: u64) -> bool {
        self.until > now && self.holder.is_none_or(|it| it.is_alive())
    }
}

fn at_second(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

/// `time` in whole seconds since the epoch (what the file keeps; before it counts as the epoch).
fn seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |it| it.as_secs())
}

/// Where the claims of one workspace folder live: `<state>/claims/<key>.json`, with the lock
/// `<key>.lock` next to it (the file itself is replaced on every write, so it cannot carry the
/// lock).
#[derive(Debug, Clone)]
struct Place {
    /// The state folder, which must be closed to other users' writes.
    home: Option<PathBuf>,
    folder: PathBuf,
    file: PathBuf,
    lock: PathBuf,
}

/// The agents' claims on one workspace folder's tasks, shared by every process of this user and
/// by the same folder in every worktree of its repository. Each operation reads the file afresh
/// under an advisory lock (shared to read, exclusive to change it), so what one process decides
/// the next one sees; a change is written to a temporary file, synced and renamed over the old
/// one, and drops the claims whose lease ran out. Reading creates nothing: a workspace nobody
/// claimed in has no file.
#[derive(Debug, Clone)]
pub struct ClaimStore {
    /// The workspace folder whose claims these are, placed on first use: finding the key runs
    /// git, which a person's change (no agent, so no claim is read) never needs.
    root: PathBuf,
    place: std::sync::OnceLock<Result<Place, StoreError>>,
    lock_wait: Duration,
}

impl ClaimStore {
    /// The store of the workspace folder at `root`, in this user's state folder
    /// ([`state_dir::home`]), keyed by [`state_dir::key_across_worktrees`]. When neither can be
    /// found, every operation says why.
    pub fn for_workspace(root: &Path) -> ClaimStore {
        ClaimStore { root: root.to_path_buf(), place: std::sync::OnceLock::new(), lock_wait: LOCK_WAIT }
    }

    /// The store named `key` in `folder` (tests use their own).
    pub fn in_folder(folder: &Path, key: &str) -> ClaimStore {
        let place = std::sync::OnceLock::from(Ok(Place::new(None, folder, key)));
        ClaimStore { root: folder.to_path_buf(), place, lock_wait: LOCK_WAIT }
    }

    /// Where the claims file is, found the first time it is needed.
    fn place(&self) -> Result<&Place, StoreError> {
        let placed = self.place.get_or_init(|| {
            state_dir::home()
                .and_then(|home| Ok((state_dir::key_across_worktrees(&self.root)?, home)))
                .map(|(key, home)| Place::new(Some(home.clone()), &home.join("claims"), &key))
                .map_err(|reason| StoreError { path: self.root.clone(), reason })
        });
        placed.as_ref().map_err(Clone::clone)
    }

    /// The claims file, when it could be placed.
    pub fn path(&self) -> Option<&Path> {
        self.place().ok().map(|it| it.file.as_path())
    }

    /// Claims `task` for `agent` for `minutes` (at least one, at most [`MOST_MINUTES`]):
    /// [`ClaimError::Held`] while another agent holds it.
    pub fn claim(&self, task: &str, agent: &str, minutes: u64, now: SystemTime) -> Result<Granted, ClaimError> {
        self.claim_for(task, &Claimant::named(agent), minutes, now)
    }

    /// Claims `task` for `claimant` for `minutes`: [`ClaimError::Held`] while another agent or
    /// another session holds it, unless forced (the claim is then the claimant's).
    pub fn claim_for(
        &self,
        task: &str,
        claimant: &Claimant<'_>,
        minutes: u64,
        now: SystemTime,
    ) -> Result<Granted, ClaimError> {
        let now = at_second(seconds(now));
        let until = now + Duration::from_secs(minutes.clamp(1, MOST_MINUTES) * 60);
        self.change(now, |claims| {
            let since = match claims.get(task) {
                Some(holder) if !claimant.force && !claimant.owns(holder) => {
                    return Err(ClaimError::Held(holder.claim()));
                }
                Some(holder) if claimant.owns(holder) => Some(at_second(holder.since)),
                _ => None,
            };
            let claim = Claim {
                agent: claimant.agent.to_string(),
                since: since.unwrap_or(now),
                until,
                holder: claimant.holder,
            };
            claims.insert(task.to_string(), stored(&claim));
            Ok(if since.is_some() { Granted::Renewed(claim) } else { Granted::New(claim) })
        })
    }

    /// Ends `agent`'s claim on `task`: `Ok(true)` when it held one, `Ok(false)` when nobody
    /// did, [`ClaimError::Held`] when another agent holds it.
    pub fn release(&self, task: &str, agent: &str, now: SystemTime) -> Result<bool, ClaimError> {
        self.release_for(task, &Claimant::named(agent), now)
    }

    /// Ends the claim on `task` of `claimant`, or of anyone when forced: `Ok(false)` when
    /// nobody held it, [`ClaimError::Held`] when another agent or session holds it.
    pub fn release_for(&self, task: &str, claimant: &Claimant<'_>, now: SystemTime) -> Result<bool, ClaimError> {
        self.change(now, |claims| match claims.get(task) {
            Some(holder) if !claimant.force && !claimant.owns(holder) => Err(ClaimError::Held(holder.claim())),
            Some(_) => Ok(claims.remove(task).is_some()),
            None => Ok(false),
        })
    }

    /// The claim standing on `task` now, if any.
    pub fn holder(&self, task: &str, now: SystemTime) -> Result<Option<Claim>, StoreError> {
        Ok(self.standing(now)?.remove(task))
    }

    /// Whether a status change by `agent` may go ahead: [`ClaimError::Held`] when another agent
    /// holds the task. A change that names no agent is a person's, and claims do not bind
    /// people: the file is not even read.
    pub fn allows(&self, task: &str, agent: Option<&str>, now: SystemTime) -> Result<(), ClaimError> {
        self.allows_for(task, agent, None, now)
    }

    /// [`ClaimStore::allows`] for an agent's session: a claim `session` holds is its own,
    /// whatever name it was made under.
    pub fn allows_for(
        &self,
        task: &str,
        agent: Option<&str>,
        session: Option<Holder>,
        now: SystemTime,
    ) -> Result<(), ClaimError> {
        let Some(agent) = agent else { return Ok(()) };
        match self.holder(task, now)? {
            Some(claim) if claim.agent != agent && (session.is_none() || claim.holder != session) => {
                Err(ClaimError::Held(claim))
            }
            _ => Ok(()),
        }
    }

    /// The claims standing now, by task (for lists).
    pub fn standing(&self, now: SystemTime) -> Result<HashMap<String, Claim>, StoreError> {
        let place = self.place()?;
        let now = seconds(now);
        // A writer replaces the file whole (rename), so a reader sees the old one or the new
        // one; the shared lock only keeps it from reading while a writer decides. No lock
        // file yet means nobody ever wrote, and reading creates nothing.
        let _turn = match private_dir::open_file(&place.lock, false) {
            Ok(file) => Some(place.turn(file, false, self.lock_wait)?),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(place.error(&place.lock, error.to_string())),
        };
        let stored = place.read()?;
        Ok(stored.claims.iter().filter(|(_, it)| it.stands(now)).map(|(task, it)| (task.clone(), it.claim())).collect())
    }

    /// Runs `decide` on the standing claims under the exclusive lock, and writes them back
    /// (without the expired ones) when it succeeds.
    fn change<T>(
        &self,
        now: SystemTime,
        decide: impl FnOnce(&mut BTreeMap<String, StoredClaim>) -> Result<T, ClaimError>,
    ) -> Result<T, ClaimError> {
        let place = self.place()?;
        place.ensure_folder()?;
        let file = private_dir::open_file(&place.lock, true).map_err(|it| place.error(&place.lock, it.to_string()))?;
        let _turn = place.turn(file, true, self.lock_wait)?;
        let mut stored = place.read()?;
        let now = seconds(now);
        stored.claims.retain(|_, it| it.stands(now));
        let answer = decide(&mut stored.claims)?;
        place.write(&Stored { format: FORMAT, claims: stored.claims })?;
        Ok(answer)
    }
}

/// The lock on `file` (the lock file at `path`), exclusive or shared, waited for at most
/// `wait`: a process stuck holding it makes the operation fail with a message, never hang.
pub(crate) fn take_turn(file: File, exclusive: bool, wait: Duration, path: &Path) -> Result<File, StoreError> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        let tried = if exclusive { file.try_lock() } else { file.try_lock_shared() };
        match tried {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
                let reason = format!("another process held its lock for {:.1} s", wait.as_secs_f64());
                return Err(StoreError { path: path.to_path_buf(), reason });
            }
            Err(fs::TryLockError::Error(error)) => {
                return Err(StoreError { path: path.to_path_buf(), reason: error.to_string() });
            }
        }
    }
}

fn stored(claim: &Claim) -> StoredClaim {
    StoredClaim {
        agent: claim.agent.clone(),
        since: seconds(claim.since),
        until: seconds(claim.until),
        holder: claim.holder,
    }
}

impl Place {
    fn new(home: Option<PathBuf>, folder: &Path, key: &str) -> Place {
        Place {
            home,
            folder: folder.to_path_buf(),
            file: folder.join(format!("{key}.json")),
            lock: folder.join(format!("{key}.lock")),
        }
    }

    fn error(&self, path: &Path, reason: String) -> StoreError {
        StoreError { path: path.to_path_buf(), reason }
    }

    /// The folders, made private (or checked to be) before anything is written in them.
    fn ensure_folder(&self) -> Result<(), StoreError> {
        if let Some(home) = &self.home {
            private_dir::ensure_unwritable(home).map_err(|reason| self.error(home, reason))?;
        }
        private_dir::ensure(&self.folder).map_err(|reason| self.error(&self.folder, reason))
    }

    fn turn(&self, file: File, exclusive: bool, wait: Duration) -> Result<File, StoreError> {
        take_turn(file, exclusive, wait, &self.lock)
    }

    /// The claims as written; none when there is no file. A file that is not ours to trust
    /// (another user's, a link, too large) or not one this taskmark can read is refused.
    fn read(&self) -> Result<Stored, StoreError> {
        let read = versioned_file::read(&self.file, MOST_BYTES, "claims", FORMAT, |it: &Stored| it.format);
        let stored = read.map_err(|reason| self.error(&self.file, reason))?;
        Ok(stored.unwrap_or(Stored { format: FORMAT, claims: BTreeMap::new() }))
    }

    /// Replaces the file durably, under the exclusive lock.
    fn write(&self, stored: &Stored) -> Result<(), StoreError> {
        versioned_file::write(&self.file, stored).map_err(|reason| self.error(&self.file, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + minutes * 60)
    }

    fn store() -> (tempfile::TempDir, ClaimStore) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = ClaimStore::in_folder(&dir.path().join("claims"), "workspace");
        (dir, store)
    }

    fn held_by(error: ClaimError) -> String {
        match error {
            ClaimError::Held(holder) => holder.agent,
            ClaimError::Store(error) => panic!("not a refusal: {error}"),
        }
    }

    #[test]
    fn a_claim_is_refused_while_another_agent_holds_the_task_and_granted_when_its_lease_ends() {
        let (_dir, claims) = store();
        assert!(matches!(claims.claim("12", "a", 10, at(0)), Ok(Granted::New(_))));
        let Err(ClaimError::Held(holder)) = claims.claim("12", "b", 10, at(5)) else { panic!("not refused") };
        assert_eq!(holder.agent, "a");
        assert_eq!(holder.until, at(10));
        assert!(matches!(claims.claim("12", "b", 10, at(10)), Ok(Granted::New(claim)) if claim.agent == "b"));
        assert_eq!(claims.holder("12", at(11)).unwrap().map(|it| it.agent), Some("b".to_string()));
        assert_eq!(claims.holder("12", at(20)).unwrap(), None);
    }

    #[test]
    fn the_holder_renews_its_claim_from_the_new_request_and_keeps_its_start() {
        let (_dir, claims) = store();
        claims.claim("12", "a", 10, at(0)).unwrap();
        let Ok(Granted::Renewed(claim)) = claims.claim("12", "a", 30, at(8)) else { panic!("not renewed") };
        assert_eq!((claim.since, claim.until), (at(0), at(38)));
        assert_eq!(claims.holder("12", at(37)).unwrap(), Some(claim), "as written");
    }

    #[test]
    fn only_the_holder_releases_and_releasing_nothing_is_not_an_error() {
        let (_dir, claims) = store();
        claims.claim("12", "a", 10, at(0)).unwrap();
        assert_eq!(claims.release("12", "b", at(1)).map_err(held_by), Err("a".to_string()));
        assert_eq!(claims.release("12", "a", at(1)), Ok(true));
        assert_eq!(claims.release("12", "a", at(2)), Ok(false));
        assert!(claims.claim("12", "b", 10, at(3)).is_ok());
    }

    #[test]
    fn status_changes_by_other_agents_are_refused_but_people_and_the_holder_go_ahead() {
        let (_dir, claims) = store();
        claims.claim("12", "a", 10, at(0)).unwrap();
        assert_eq!(claims.allows("12", Some("b"), at(1)).map_err(held_by), Err("a".to_string()));
        assert_eq!(claims.allows("12", Some("a"), at(1)), Ok(()));
        assert_eq!(claims.allows("12", None, at(1)), Ok(()));
        assert_eq!(claims.allows("12", Some("b"), at(10)), Ok(()));
        assert_eq!(claims.allows("13", Some("b"), at(1)), Ok(()));
    }

    #[test]
    fn leases_are_at_least_a_minute_and_at_most_a_day() {
        let (_dir, claims) = store();
        let Ok(Granted::New(short)) = claims.claim("1", "a", 0, at(0)) else { panic!() };
        assert_eq!(short.until, at(1));
        let Ok(Granted::New(long)) = claims.claim("2", "a", u64::MAX, at(0)) else { panic!() };
        assert_eq!(long.until, at(MOST_MINUTES));
    }

    #[test]
    fn expired_claims_are_dropped_when_the_file_is_written_and_reading_creates_nothing() {
        let (dir, claims) = store();
        assert_eq!(claims.standing(at(0)).unwrap(), HashMap::new());
        assert!(!dir.path().join("claims").exists(), "reading made no folder");
        claims.claim("1", "a", 5, at(0)).unwrap();
        claims.claim("2", "b", 60, at(0)).unwrap();
        assert_eq!(claims.standing(at(6)).unwrap().len(), 1, "the lease of 1 ran out");
        let written = std::fs::read_to_string(claims.path().unwrap()).unwrap();
        assert!(written.contains("\"1\""), "{written}");
        claims.claim("3", "c", 5, at(6)).unwrap();
        let written = std::fs::read_to_string(claims.path().unwrap()).unwrap();
        assert!(
            !written.contains("\"1\"") && written.contains("\"2\"") && written.contains("\"format\": 1"),
            "{written}"
        );
    }

    #[test]
    fn another_store_on_the_same_file_sees_every_claim() {
        let (dir, claims) = store();
        let other = ClaimStore::in_folder(&dir.path().join("claims"), "workspace");
        claims.claim("12", "a", 10, at(0)).unwrap();
        assert_eq!(other.claim("12", "b", 10, at(1)).map_err(held_by), Err("a".to_string()));
    }

    #[test]
    fn a_corrupt_or_foreign_file_is_refused_by_name_and_left_as_it_was() {
        let (dir, claims) = store();
        claims.claim("12", "a", 10, at(0)).unwrap();
        let path = claims.path().unwrap().to_path_buf();
        for corrupt in ["{\"format\": 1, \"claims\": {\"12\": ", "[]", "{\"format\": 99, \"claims\": {}}"] {
            std::fs::write(&path, corrupt).unwrap();
            let Err(ClaimError::Store(error)) = claims.claim("13", "b", 10, at(1)) else { panic!("not refused") };
            assert!(error.to_string().contains(&path.display().to_string()), "{error}");
            assert!(claims.standing(at(1)).is_err());
            assert!(matches!(claims.allows("12", Some("b"), at(1)), Err(ClaimError::Store(_))));
            assert_eq!(claims.allows("12", None, at(1)), Ok(()), "people are not bound, even then");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), corrupt, "never written over");
        }
        std::fs::write(&path, vec![b' '; (MOST_BYTES + 1) as usize]).unwrap();
        let error = claims.standing(at(1)).expect_err("too large");
        assert!(error.to_string().contains("limit"), "{error}");
        #[cfg(unix)]
        {
            std::fs::remove_file(&path).unwrap();
            let elsewhere = dir.path().join("elsewhere.json");
            std::fs::write(&elsewhere, "{\"format\": 1, \"claims\": {}}").unwrap();
            std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
            let error = claims.claim("13", "b", 10, at(1)).expect_err("a link");
            assert!(format!("{error:?}").contains("symlink"), "{error:?}");
        }
    }

    #[test]
    fn a_lock_held_too_long_is_an_error_not_a_hang() {
        let (_dir, mut claims) = store();
        claims.claim("12", "a", 10, at(0)).unwrap();
        claims.lock_wait = Duration::from_millis(50);
        let place = claims.place().unwrap().clone();
        let held = private_dir::open_file(&place.lock, false).unwrap();
        held.lock().unwrap();
        let started = Instant::now();
        let Err(ClaimError::Store(error)) = claims.claim("13", "b", 10, at(1)) else { panic!("not refused") };
        assert!(error.reason.contains("held its lock"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn of_many_threads_claiming_one_task_exactly_one_wins() {
        let (dir, _) = store();
        let folder = dir.path().join("claims");
        let granted: Vec<bool> = std::thread::scope(|scope| {
            let claimers: Vec<_> = (0..8)
                .map(|it| {
                    let folder = &folder;
                    scope.spawn(move || {
                        let claims = ClaimStore::in_folder(folder, "workspace");
                        match claims.claim("12", &format!("agent-{it}"), 10, at(0)) {
                            Ok(_) => true,
                            Err(ClaimError::Held(_)) => false,
                            Err(ClaimError::Store(error)) => panic!("{error}"),
                        }
                    })
                })
                .collect();
            claimers.into_iter().map(|it| it.join().expect("a claimer")).collect()
        });
        assert_eq!(granted.iter().filter(|it| **it).count(), 1, "{granted:?}");
    }

    /// A process that has exited (reaped), for a holder that is gone.
    fn gone_process() -> Holder {
        let mut child = std::process::Command::new("true").spawn().expect("a process");
        let pid = child.id();
        let holder = Holder::process(pid).unwrap_or(Holder { pid, started: None });
        child.wait().expect("it ends");
        holder
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_claim_ends_with_its_holder_process_and_stands_while_it_lives() {
        let (_dir, claims) = store();
        let now = SystemTime::now();
        let alive = Claimant { agent: "a", holder: Some(Holder::this_process()), force: false };
        assert!(matches!(claims.claim_for("12", &alive, 60, now), Ok(Granted::New(_))));
        assert_eq!(claims.allows("12", Some("b"), now).map_err(held_by), Err("a".to_string()), "it lives");
        let dead = Claimant { agent: "a", holder: Some(gone_process()), force: false };
        claims.claim_for("13", &dead, 60, now).expect("granted");
        assert_eq!(claims.holder("13", now).unwrap(), None, "its process is gone: the claim with it");
        assert!(matches!(claims.claim("13", "b", 10, now), Ok(Granted::New(_))), "another agent gets it at once");
    }

    #[test]
    fn a_session_s_claim_is_not_another_session_s_to_renew_or_release_unless_forced() {
        let (_dir, claims) = store();
        let now = SystemTime::now();
        let mine = Claimant { agent: "claude", holder: Some(Holder::this_process()), force: false };
        claims.claim_for("12", &mine, 60, now).expect("granted");
        let same_name = Claimant::named("claude");
        assert!(matches!(claims.claim_for("12", &same_name, 60, now), Err(ClaimError::Held(_))), "renewal");
        assert!(matches!(claims.release_for("12", &same_name, now), Err(ClaimError::Held(_))), "release");
        assert!(matches!(claims.claim_for("12", &mine, 90, now), Ok(Granted::Renewed(_))), "its own session");
        let forced = Claimant { force: true, ..Claimant::named("person") };
        assert_eq!(claims.release_for("12", &forced, now), Ok(true), "forced");
        assert_eq!(claims.holder("12", now).unwrap(), None);
    }

    #[test]
    fn agent_names_are_one_short_line() {
        assert_eq!(agent_name("  claude-1 "), Ok("claude-1".to_string()));
        assert!(agent_name("").is_err());
        assert!(agent_name("a\nb").is_err());
        assert!(agent_name(&"x".repeat(101)).is_err());
    }
}
