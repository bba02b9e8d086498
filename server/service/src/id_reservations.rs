//! Task ids reserved across the worktrees of one clone: a new task's id is recorded, under a
//! lock, in the repository's common git folder (`git rev-parse --git-common-dir`, the same from
//! every worktree) before the task is written, so that two agents in two worktrees never get the
//! same id, whether or not a daemon runs and whichever front door they use. Another worktree's
//! uncommitted task is invisible to git's trees; its reservation is not.
//!
//! A reservation is only a number kept from others, released ([`IdReservations::release`])
//! once git's trees hold the id (the task is committed) or once its own worktree no longer has
//! the task (a change refused, undone or abandoned, after [`RELEASE_GRACE`]). The others are
//! dropped when their worktree is gone, and after [`KEPT_DAYS`] days.
//!
//! The folder is `taskmark/` in the common git folder, owner-only like the state folder: a
//! repository another user owns gets no reservations from us (its ids are then checked
//! against the other branches and worktrees only, as without this store).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use taskmark_io::private_dir;

use crate::claims::{LOCK_WAIT, take_turn};
use crate::versioned_file;

/// How long a reservation is kept when its worktree is still there: a task not written or
/// committed in that time was abandoned.
pub const KEPT_DAYS: u64 = 30;
/// How long a worktree's own reservation is kept when its checkout does not have the task: long
/// enough for a front door that reserved to write it, and for a daemon to see it written.
pub const RELEASE_GRACE: Duration = Duration::from_secs(10 * 60);
/// The file holds a hundred bytes per reservation: anything near this is not ours.
const MOST_BYTES: u64 = 4 << 20;
const FORMAT: u32 = 1;

/// The reservations file of one clone, or why there is none.
#[derive(Debug, Clone)]
pub struct IdReservations {
    place: Place,
    /// This workspace folder inside its worktree (`""` at the top): trackers are named by their
    /// path from the worktree's top, the same in every worktree.
    inside: String,
    /// The worktree reserving, as people find it (its top folder).
    worktree: String,
}

#[derive(Debug, Clone)]
struct Place {
    folder: PathBuf,
    file: PathBuf,
    lock: PathBuf,
}

/// One id kept from the other worktrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// The tracker's path from the worktree's top (`specs`, `.opencode/specs`).
    pub tracker: String,
    pub number: u64,
    /// The worktree that reserved it (its top folder).
    pub worktree: String,
    /// Seconds since the Unix epoch.
    pub at: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    format: u32,
    reservations: Vec<Reservation>,
}

/// The reservations could not be used: what and why, naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationError {
    pub path: PathBuf,
    pub reason: String,
}

impl fmt::Display for ReservationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot use the task ids reserved in {}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for ReservationError {}

/// What [`IdReservations::reserve`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    /// The number is this worktree's now.
    Granted,
    /// Another worktree reserved it first.
    Taken(Reservation),
}

impl IdReservations {
    /// The reservations of the clone `root` is in; none outside a git repository (there are
    /// no other worktrees).
    pub fn for_workspace(root: &Path) -> Option<IdReservations> {
        let (common, inside) = taskmark_io::git::folder_across_worktrees(root)?;
        let root = std::fs::canonicalize(root).ok()?;
        let top = root.ancestors().nth(inside.components().count())?;
        Some(IdReservations::in_folder(
            &common.join("taskmark"),
            &inside.to_string_lossy().replace('\\', "/"),
            &top.display().to_string(),
        ))
    }

    /// The reservations kept in `folder`, for the workspace `inside` its worktree, reserved by
    /// `worktree` (tests use their own).
    pub fn in_folder(folder: &Path, inside: &str, worktree: &str) -> IdReservations {
        let place =
            Place { folder: folder.to_path_buf(), file: folder.join("ids.json"), lock: folder.join("ids.lock") };
        IdReservations { place, inside: inside.to_string(), worktree: worktree.to_string() }
    }

    /// The tracker `scope` (relative to the workspace root) as every worktree names it.
    fn tracker(&self, scope: &str) -> String {
        match (self.inside.as_str(), scope) {
            ("", scope) => scope.to_string(),
            (inside, "") => inside.to_string(),
            (inside, scope) => format!("{inside}/{scope}"),
        }
    }

    /// The numbers the other worktrees reserved in the tracker `scope`, with who reserved each.
    pub fn reserved_elsewhere(&self, scope: &str, now: SystemTime) -> Result<Vec<Reservation>, ReservationError> {
        let tracker = self.tracker(scope);
        Ok(self.standing(now)?.into_iter().filter(|it| it.tracker == tracker && it.worktree != self.worktree).collect())
    }

    /// Every reservation standing now (for `status --worktrees`).
    pub fn standing(&self, now: SystemTime) -> Result<Vec<Reservation>, ReservationError> {
        let place = &self.place;
        let _turn = place.existing_turn(false)?;
        let mut stored = place.read()?;
        stored.reservations.retain(|it| standing(it, now));
        Ok(stored.reservations)
    }

    /// Drops the tracker `scope`'s reservations that keep a number from nobody any more: those
    /// `committed` says a git tree holds (every worktree sees those ids in git), and this
    /// worktree's own that `in_checkout` says its files do not hold, once [`RELEASE_GRACE`] has
    /// passed (the task was never written, or was undone). Another worktree's uncommitted task
    /// keeps its reservation. Answers how many were released; creates nothing.
    pub fn release(
        &self,
        scope: &str,
        committed: impl Fn(u64) -> bool,
        in_checkout: impl Fn(u64) -> bool,
        now: SystemTime,
    ) -> Result<usize, ReservationError> {
        let place = &self.place;
        let Some(_turn) = place.existing_turn(true)? else { return Ok(0) };
        let mut stored = place.read()?;
        let before = stored.reservations.len();
        let tracker = self.tracker(scope);
        let grace = RELEASE_GRACE.as_secs();
        stored.reservations.retain(|it| {
            let released = it.tracker == tracker
                && (committed(it.number)
                    || (it.worktree == self.worktree
                        && !in_checkout(it.number)
                        && seconds(now).saturating_sub(it.at) >= grace));
            standing(it, now) && !released
        });
        let released = before - stored.reservations.len();
        if released > 0 {
            place.write(&Stored { format: FORMAT, reservations: stored.reservations })?;
        }
        Ok(released)
    }

    /// Reserves `number` in the tracker `scope` for this worktree, unless another worktree did
    /// first (then [`Reserved::Taken`] names it, and the caller picks another number).
    pub fn reserve(&self, scope: &str, number: u64, now: SystemTime) -> Result<Reserved, ReservationError> {
        let place = &self.place;
        private_dir::ensure(&place.folder).map_err(|reason| place.error(reason))?;
        let file = private_dir::open_file(&place.lock, true).map_err(|it| place.error(it.to_string()))?;
        let _turn = take_turn(file, true, LOCK_WAIT, &place.lock).map_err(|it| place.error(it.reason))?;
        let mut stored = place.read()?;
        stored.reservations.retain(|it| standing(it, now));
        let tracker = self.tracker(scope);
        if let Some(taken) = stored.reservations.iter().find(|it| it.tracker == tracker && it.number == number) {
            if taken.worktree != self.worktree {
                return Ok(Reserved::Taken(taken.clone()));
            }
            return Ok(Reserved::Granted);
        }
        stored.reservations.push(Reservation { tracker, number, worktree: self.worktree.clone(), at: seconds(now) });
        place.write(&Stored { format: FORMAT, reservations: stored.reservations })?;
        Ok(Reserved::Granted)
    }
}

/// Whether a reservation still keeps its number: its worktree is there, and it is recent.
fn standing(reservation: &Reservation, now: SystemTime) -> bool {
    let young = seconds(now).saturating_sub(reservation.at) < KEPT_DAYS * 24 * 60 * 60;
    young && Path::new(&reservation.worktree).is_dir()
}

fn seconds(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs()
}

impl Place {
    fn error(&self, reason: String) -> ReservationError {
        ReservationError { path: self.file.clone(), reason }
    }

    /// A turn on the store (`exclusive` to write it) when it exists. Creates nothing: no lock
    /// file yet means nobody ever reserved.
    fn existing_turn(&self, exclusive: bool) -> Result<Option<std::fs::File>, ReservationError> {
        match private_dir::open_file(&self.lock, false) {
            Ok(file) => {
                Ok(Some(take_turn(file, exclusive, LOCK_WAIT, &self.lock).map_err(|it| self.error(it.reason))?))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(self.error(error.to_string())),
        }
    }

    /// The reservations as written; none when there is no file. A file that is not ours to
    /// trust or not one this taskmark reads is refused.
    fn read(&self) -> Result<Stored, ReservationError> {
        let read = versioned_file::read(&self.file, MOST_BYTES, "reservations", FORMAT, |it: &Stored| it.format);
        let stored = read.map_err(|reason| self.error(reason))?;
        Ok(stored.unwrap_or(Stored { format: FORMAT, reservations: Vec::new() }))
    }

    /// Replaces the file durably, under the exclusive lock.
    fn write(&self, stored: &Stored) -> Result<(), ReservationError> {
        versioned_file::write(&self.file, stored).map_err(|reason| self.error(reason))
    }
}

/// Reservations by tracker, for lists.
pub fn by_tracker(reservations: &[Reservation]) -> BTreeMap<&str, Vec<&Reservation>> {
    let mut out: BTreeMap<&str, Vec<&Reservation>> = BTreeMap::new();
    for reservation in reservations {
        out.entry(reservation.tracker.as_str()).or_default().push(reservation);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + minutes * 60)
    }

    /// Two worktrees (`one`, `two`) of a clone whose common folder is `common/`, and the
    /// reservations each makes.
    fn two_worktrees() -> (tempfile::TempDir, IdReservations, IdReservations) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let folder = dir.path().join("common/taskmark");
        let stores = ["one", "two"].map(|name| {
            let worktree = dir.path().join(name);
            std::fs::create_dir_all(&worktree).expect("folder");
            IdReservations::in_folder(&folder, "", &worktree.display().to_string())
        });
        let [first, second] = stores;
        (dir, first, second)
    }

    #[test]
    fn a_number_reserved_by_one_worktree_is_taken_for_the_others_and_kept_for_it() {
        let (dir, first, second) = two_worktrees();
        let one = dir.path().join("one");
        assert_eq!(first.reserve("specs", 230, at(0)), Ok(Reserved::Granted));
        assert_eq!(first.reserve("specs", 230, at(1)), Ok(Reserved::Granted), "its own, again");
        let Ok(Reserved::Taken(taken)) = second.reserve("specs", 230, at(2)) else { panic!("not taken") };
        assert_eq!(taken.worktree, one.display().to_string());
        assert_eq!(second.reserve("other", 230, at(2)), Ok(Reserved::Granted), "another tracker");
        let seen: Vec<u64> =
            second.reserved_elsewhere("specs", at(3)).expect("read").iter().map(|it| it.number).collect();
        assert_eq!(seen, vec![230]);
        assert!(first.reserved_elsewhere("specs", at(3)).expect("read").is_empty(), "its own are not elsewhere");
        // Gone with its worktree, and after the days it is kept.
        assert!(second.reserved_elsewhere("specs", at(KEPT_DAYS * 24 * 60 + 1)).expect("read").is_empty());
        std::fs::remove_dir_all(&one).expect("removed");
        assert!(second.reserved_elsewhere("specs", at(4)).expect("read").is_empty());
    }

    #[test]
    fn committed_numbers_and_this_worktrees_undone_tasks_are_released() {
        let (dir, first, second) = two_worktrees();
        let folder = dir.path().join("common/taskmark");
        let nowhere = |_: u64| false;
        assert_eq!(first.release("specs", nowhere, nowhere, at(0)), Ok(0), "no store yet");
        assert!(!folder.exists(), "releasing creates nothing");
        for (store, number) in [(&first, 230), (&first, 231), (&second, 232), (&second, 233)] {
            assert_eq!(store.reserve("specs", number, at(0)), Ok(Reserved::Granted));
        }
        assert_eq!(first.reserve("other", 230, at(0)), Ok(Reserved::Granted));
        let numbers = |store: &IdReservations| -> Vec<(String, u64)> {
            let mut all: Vec<(String, u64)> =
                store.standing(at(1)).expect("read").into_iter().map(|it| (it.tracker, it.number)).collect();
            all.sort();
            all
        };
        // 230 is committed: released, whoever reserved it, in this tracker only.
        assert_eq!(first.release("specs", |it| it == 230, nowhere, at(1)), Ok(1));
        assert_eq!(
            numbers(&first),
            [("other", 230), ("specs", 231), ("specs", 232), ("specs", 233)].map(|(t, n)| (t.to_string(), n))
        );
        // 231 is this worktree's and not in its checkout: kept while it may still be written,
        // released after the grace; the other worktree's uncommitted 232 and 233 are kept.
        assert_eq!(first.release("specs", nowhere, nowhere, at(1)), Ok(0), "within the grace");
        let later = at(RELEASE_GRACE.as_secs() / 60 + 1);
        assert_eq!(first.release("specs", nowhere, |it| it == 231, later), Ok(0), "written, so kept");
        assert_eq!(first.release("specs", nowhere, nowhere, later), Ok(1));
        assert_eq!(numbers(&second), [("other", 230), ("specs", 232), ("specs", 233)].map(|(t, n)| (t.to_string(), n)));
        assert_eq!(second.release("specs", |it| it == 233, |it| it == 232, later), Ok(1));
        assert_eq!(numbers(&second), [("other", 230), ("specs", 232)].map(|(t, n)| (t.to_string(), n)));
    }

    #[test]
    fn a_file_that_is_not_ours_is_refused_by_name_and_left_alone() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let folder = dir.path().join("taskmark");
        private_dir::ensure(&folder).expect("folder");
        std::fs::write(folder.join("ids.json"), "not json").expect("written");
        let store = IdReservations::in_folder(&folder, "", &dir.path().display().to_string());
        let error = store.reserve("specs", 1, at(0)).expect_err("refused");
        assert!(error.to_string().contains("ids.json"), "{error}");
        assert_eq!(std::fs::read_to_string(folder.join("ids.json")).expect("read"), "not json");
    }

    #[test]
    fn trackers_are_named_from_the_worktree_top() {
        let store = IdReservations::in_folder(Path::new("/nowhere"), "docs", "/w");
        assert_eq!(store.tracker("specs"), "docs/specs");
        assert_eq!(store.tracker(""), "docs");
        assert_eq!(IdReservations::in_folder(Path::new("/nowhere"), "", "/w").tracker("specs"), "specs");
    }
}
