//! The journal: what a transaction is about to do, durable before it does it. It lives in the
//! workspace's private state folder (never in the work tree), and recovery still trusts none of
//! it: every path must be a temporary file this taskmark would have named, beside a target
//! inside the workspace root, and a regular file this user owns, before anything is renamed or
//! removed.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::private_dir;
use crate::{MAX_FILES, TransactionError, fault, io_error, sync_directories, sync_directory};

pub(super) const FILE_NAME: &str = "journal";
const FORMAT: u32 = 5;
/// Format 2 journals (before files could be created), format 3 ones (before moves) and format 4
/// ones (before the replaced content's hash) read as format 5 ones without those.
const OLDEST_FORMAT: u32 = 2;
/// Far more than a 512-file journal takes; a bigger one is not ours.
const MAX_JOURNAL_BYTES: u64 = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JournalState {
    /// Temporary files may exist; no target has been replaced.
    Prepared,
    /// Every temporary file is complete and synced; the renames may have begun.
    Committed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalFile {
    /// The path the plan named, for messages.
    pub path: String,
    /// The file replaced (the symlink's target for a symlink), absolute.
    pub target: PathBuf,
    pub temp: PathBuf,
    /// BLAKE3 of the new content: how recovery knows a target was already renamed.
    pub after_hash: String,
    /// BLAKE3 of the content replaced (none for a created file, or in an older journal): how
    /// recovery knows a target still to be renamed was not changed since the crash, so that it
    /// never renames over an edit it did not see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_hash: Option<String>,
    /// A file the transaction creates: moved into place only if nothing is there.
    #[serde(default)]
    pub created: bool,
}

/// A path recovery left as it found it, and why (in words that name it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    /// As the plan named it (a move's source, by absolute path).
    pub path: String,
    pub note: String,
}

/// A file or folder moved after the files are written, by absolute path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalMove {
    pub from: PathBuf,
    pub to: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub id: String,
    pub label: String,
    /// The canonical workspace root every target lies in.
    pub root: PathBuf,
    pub state: JournalState,
    pub files: Vec<JournalFile>,
    /// Folders the transaction creates for new files, parents first: removed again (when
    /// empty) if it rolls back.
    #[serde(default)]
    pub folders: Vec<PathBuf>,
    /// Moves done after the files are written, in order.
    #[serde(default)]
    pub moves: Vec<JournalMove>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    #[serde(flatten)]
    journal: Journal,
}

pub fn hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// The temporary file for the `number`th target of transaction `id`: beside its target (a
/// rename across file systems is not atomic), hidden, under a name that stays within the
/// 255-byte limit however long the target's is. `None` for a path without a file name.
pub fn temp_path(target: &Path, id: &str, number: usize) -> Option<PathBuf> {
    let (directory, name) = (target.parent()?, target.file_name()?);
    let name = name.to_string_lossy();
    let mut keep = name.len().min(120);
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    Some(directory.join(format!(".{}.taskmark-{id}-{number}.tmp", &name[..keep])))
}

/// A transaction id as [`super::transaction_id`] makes them: `pid-nanoseconds`.
fn is_transaction_id(id: &str) -> bool {
    let mut parts = id.split('-');
    let digits = |part: Option<&str>| {
        part.is_some_and(|it| !it.is_empty() && it.len() <= 24 && it.bytes().all(|b| b.is_ascii_digit()))
    };
    digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

impl Journal {
    /// Writes the journal durably: a temporary file, synced, renamed over the old one, and the
    /// folder synced. A crash leaves the old journal or the new one, never half of one.
    pub fn store(&self, state_dir: &Path) -> Result<(), TransactionError> {
        let path = state_dir.join(FILE_NAME);
        let temp = state_dir.join(format!("{FILE_NAME}.tmp"));
        let text = serde_json::to_string_pretty(&Stored { format: FORMAT, journal: self.clone() })
            .map_err(|error| io_error(&path, io::Error::other(error)))?;
        remove_if_present(&temp)?;
        let mut file = private_dir::create_new_file(&temp).map_err(|error| io_error(&temp, error))?;
        file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|error| io_error(&temp, error))?;
        fs::rename(&temp, &path).map_err(|error| io_error(&path, error))?;
        sync_directory(state_dir)
    }

    /// Marks the stored journal committed by appending one line to it and syncing the file:
    /// one sync where storing it again would take two (the file, then its folder). A crash in
    /// the middle leaves at most part of the line, which [`Journal::load`] reads as not
    /// committed.
    pub fn mark_committed(&self, state_dir: &Path) -> Result<(), TransactionError> {
        let path = state_dir.join(FILE_NAME);
        let mut options = fs::OpenOptions::new();
        options.append(true);
        // Never through a link, as everything in the state folder.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW | libc::O_CLOEXEC);
        let mut file = options.open(&path).map_err(|error| io_error(&path, error))?;
        file.write_all(self.committed_line().as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|error| io_error(&path, error))
    }

    fn committed_line(&self) -> String {
        format!("\ncommitted {}\n", self.id)
    }

    /// The journal a transaction left, if any, as written: [`Journal::check`] says whether it
    /// can be acted on.
    pub fn load(state_dir: &Path) -> Result<Option<Journal>, TransactionError> {
        let path = state_dir.join(FILE_NAME);
        let bytes = match private_dir::read_file(&path, MAX_JOURNAL_BYTES) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(error) => return Err(untrusted(&path, error.to_string())),
        };
        let unreadable =
            |error: serde_json::Error| untrusted(&path, format!("not a journal taskmark can read ({error})"));
        let mut values = serde_json::Deserializer::from_slice(&bytes).into_iter::<Stored>();
        let stored = match values.next() {
            Some(stored) => stored.map_err(unreadable)?,
            None => return Err(untrusted(&path, "not a journal taskmark can read (it is empty)".into())),
        };
        if !(OLDEST_FORMAT..=FORMAT).contains(&stored.format) {
            return Err(untrusted(
                &path,
                format!("journal format {} is not the one this taskmark writes ({FORMAT})", stored.format),
            ));
        }
        let mut journal = stored.journal;
        // After the journal, nothing, its commit line, or the part of it a crash left.
        let rest = &bytes[values.byte_offset()..];
        let committed = journal.committed_line();
        if rest == committed.as_bytes() {
            journal.state = JournalState::Committed;
        } else if !committed.as_bytes().starts_with(rest) {
            return Err(untrusted(&path, "not a journal taskmark can read (something follows it)".into()));
        }
        Ok(Some(journal))
    }

    /// Whether recovery may act on this journal for the workspace at `canonical_root`: every
    /// target inside the root, every temporary file named as this taskmark names them.
    pub fn check(&self, canonical_root: &Path) -> Result<(), String> {
        if self.root != canonical_root {
            return Err(format!(
                "it belongs to the workspace {}, not {}",
                self.root.display(),
                canonical_root.display()
            ));
        }
        if !is_transaction_id(&self.id) {
            return Err(format!("`{}` is not a transaction id taskmark makes", self.id.escape_debug()));
        }
        if self.files.len() > MAX_FILES {
            return Err(format!("it names {} files, over the limit of {MAX_FILES}", self.files.len()));
        }
        let inside = |path: &Path| {
            path.is_absolute()
                && path.strip_prefix(canonical_root).is_ok_and(|rest| {
                    rest.components().count() > 0 && rest.components().all(|it| matches!(it, Component::Normal(_)))
                })
        };
        if self.folders.len() > MAX_FILES * 8 {
            return Err(format!("it names {} folders to create, far more than taskmark creates", self.folders.len()));
        }
        if let Some(folder) = self.folders.iter().find(|it| !inside(it)) {
            return Err(format!("the folder {} it would create is not inside the workspace root", folder.display()));
        }
        if self.moves.len() > MAX_FILES {
            return Err(format!("it names {} moves, over the limit of {MAX_FILES}", self.moves.len()));
        }
        if let Some(moved) = self.moves.iter().find(|it| !inside(&it.from) || !inside(&it.to)) {
            return Err(format!(
                "its move of {} to {} leaves the workspace root",
                moved.from.display(),
                moved.to.display()
            ));
        }
        for (number, file) in self.files.iter().enumerate() {
            let target = &file.target;
            if !inside(target) {
                return Err(format!("its target {} is not a file inside the workspace root", target.display()));
            }
            if temp_path(target, &self.id, number).as_ref() != Some(&file.temp) {
                return Err(format!(
                    "{} is not the temporary file taskmark would have written for {}",
                    file.temp.display(),
                    target.display()
                ));
            }
            let is_hash = |hash: &str| hash.len() == 64 && hash.bytes().all(|it| it.is_ascii_hexdigit());
            if !is_hash(&file.after_hash) || file.before_hash.as_deref().is_some_and(|it| !is_hash(it)) {
                return Err(format!("the hash for {} is not a BLAKE3 hash", target.display()));
            }
        }
        Ok(())
    }

    pub fn remove(state_dir: &Path) -> Result<(), TransactionError> {
        let path = state_dir.join(FILE_NAME);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(io_error(&path, error)),
        }
        sync_directory(state_dir)
    }

    /// Creates the folders new files need, parents first. A folder that appeared meanwhile
    /// is used only if it is a real folder (never a symlink someone planted).
    pub fn create_folders(&self) -> Result<(), TransactionError> {
        for folder in &self.folders {
            match fs::create_dir(folder) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    let real = fs::symlink_metadata(folder).is_ok_and(|it| it.file_type().is_dir());
                    if !real {
                        return Err(TransactionError::Refused {
                            path: folder.display().to_string(),
                            reason: "something other than a folder appeared there".into(),
                        });
                    }
                }
                Err(error) => return Err(io_error(folder, error)),
            }
        }
        Ok(())
    }

    /// Removes the temporary files a prepared transaction wrote, and the folders it created
    /// that are still empty: no target has changed. Gives what it left as it found it, and why:
    /// something at a temporary file's name that is not the file taskmark wrote is never
    /// touched, and never keeps the workspace from moving on either.
    pub fn roll_back(&self) -> Result<Vec<String>, TransactionError> {
        let mut left = Vec::new();
        for file in &self.files {
            match own_temp_file(&file.temp) {
                Ok(true) => fs::remove_file(&file.temp).map_err(|error| io_error(&file.temp, error))?,
                Ok(false) => {}
                Err(reason) => left.push(format!("left {} as it is: it {reason}", file.temp.display())),
            }
        }
        for folder in self.folders.iter().rev() {
            // Only an empty real folder goes: remove_dir refuses anything else, and a folder
            // someone filled meanwhile is theirs now.
            if fs::symlink_metadata(folder).is_ok_and(|it| it.file_type().is_dir()) {
                let _ = fs::remove_dir(folder);
            }
        }
        Ok(left)
    }

    /// Finishes a committed transaction a crash interrupted: renames what is still to be
    /// renamed, does the moves still to do, and syncs the folders. Its renames are the
    /// transaction: a temporary file that is gone was renamed (nothing else removes it once the
    /// journal says committed), so the file is done, whatever happened to it since. A file
    /// still to be renamed is renamed only over the content the transaction replaced: one
    /// changed since the crash (an editor, `git pull`, an agent) is kept, and so is whatever
    /// appeared where a file was to be created or a path moved. Gives those, each with why:
    /// recovery always ends, and never writes over a change it did not see.
    pub fn roll_forward(&self) -> Result<Vec<Left>, TransactionError> {
        let mut kept = Vec::new();
        for file in &self.files {
            if let Some(note) = self.finish_file(file)? {
                kept.push(Left { path: file.path.clone(), note });
            }
        }
        for moved in &self.moves {
            match self.move_once(moved) {
                Ok(()) => {}
                Err(TransactionError::Conflict { path, reason }) => {
                    kept.push(Left { note: format!("left {path} as it is: {reason}"), path })
                }
                Err(error) => return Err(error),
            }
        }
        sync_directories(&self.directories())?;
        Ok(kept)
    }

    /// One file of [`Journal::roll_forward`]: `Some(why)` when it was left as it is now.
    fn finish_file(&self, file: &JournalFile) -> Result<Option<String>, TransactionError> {
        let path = &file.path;
        if file.created && linked_into_place(file) {
            // A crash between the hard link and the removal of the temporary name.
            fs::remove_file(&file.temp).map_err(|error| io_error(&file.temp, error))?;
            return Ok(None);
        }
        match own_temp_file(&file.temp) {
            Err(reason) => return Ok(Some(format!("left {path} as it is: {} {reason}", file.temp.display()))),
            Ok(false) => {
                let now = content_hash(&file.target);
                return Ok(match &file.before_hash {
                    Some(before) if now.as_ref() == Some(before) && !file.created => Some(format!(
                        "{path} still holds its content from before: its temporary file was removed before it could be renamed into place"
                    )),
                    _ => None,
                });
            }
            Ok(true) => {}
        }
        // A folder swapped for a symlink since the plan would move the rename elsewhere.
        let folder = file.target.parent().map(fs::canonicalize);
        if !matches!(&folder, Some(Ok(real)) if Some(real.as_path()) == file.target.parent()) {
            return Ok(Some(format!(
                "left {path} as it is: its folder is no longer the one the transaction checked (its new text stays in {})",
                file.temp.display()
            )));
        }
        let remove_temp = || fs::remove_file(&file.temp).map_err(|error| io_error(&file.temp, error));
        if file.created {
            return match rename_no_replace(&file.temp, &file.target) {
                Ok(()) => Ok(None),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    remove_temp()?;
                    Ok(Some(format!(
                        "kept the {path} that appeared after the crash, without the file `{}` was to create",
                        self.label
                    )))
                }
                Err(error) => Err(io_error(&file.target, error)),
            };
        }
        let now = content_hash(&file.target);
        if now.as_ref() == Some(&file.after_hash) {
            // Someone made the same change meanwhile.
            remove_temp()?;
            return Ok(None);
        }
        let unchanged = match &file.before_hash {
            Some(before) => now.as_ref() == Some(before),
            // An older journal did not keep the replaced content's hash: as before, renamed.
            None => true,
        };
        if !unchanged {
            remove_temp()?;
            return Ok(Some(format!(
                "kept {path} as it is: it changed after the crash, so it does not have `{}`'s change",
                self.label
            )));
        }
        fs::rename(&file.temp, &file.target).map_err(|error| io_error(&file.target, error))?;
        Ok(None)
    }

    /// [`Journal::roll_forward`] but the sync: gives the folders whose renames
    /// [`sync_directories`] must make durable before the journal may go.
    pub fn move_into_place(&self) -> Result<Vec<PathBuf>, TransactionError> {
        for (number, file) in self.files.iter().enumerate() {
            if file.created && linked_into_place(file) {
                // A crash between the hard link and the removal of the temporary name.
                fs::remove_file(&file.temp).map_err(|error| io_error(&file.temp, error))?;
            } else if own_temp_file(&file.temp).map_err(|reason| self.refuse(file, reason))? {
                // A folder swapped for a symlink since the plan would move the rename elsewhere.
                let folder = file.target.parent().map(fs::canonicalize);
                if !matches!(&folder, Some(Ok(real)) if Some(real.as_path()) == file.target.parent()) {
                    return Err(self.refuse(file, "its folder is no longer the one the transaction checked".into()));
                }
                if file.created {
                    rename_no_replace(&file.temp, &file.target).map_err(|error| match error.kind() {
                        io::ErrorKind::AlreadyExists => TransactionError::Conflict {
                            path: file.path.clone(),
                            reason: format!(
                                "a file appeared there before `{}` could create it; it was left as it is and the new text stays in {}",
                                self.label,
                                file.temp.display()
                            ),
                        },
                        _ => io_error(&file.target, error),
                    })?;
                } else {
                    fs::rename(&file.temp, &file.target).map_err(|error| io_error(&file.target, error))?;
                }
            } else {
                let done = content_hash(&file.target).is_some_and(|it| it == file.after_hash);
                if !done {
                    return Err(TransactionError::Conflict {
                        path: file.path.clone(),
                        reason: format!(
                            "the transaction `{}` committed, but neither its new content nor its temporary file {} is there",
                            self.label,
                            file.temp.display()
                        ),
                    });
                }
            }
            fault::point(&format!("renamed:{number}"));
        }
        for (number, moved) in self.moves.iter().enumerate() {
            self.move_once(moved)?;
            fault::point(&format!("moved:{number}"));
        }
        Ok(self.directories())
    }

    /// The folders the transaction renames into and moves between, once each.
    pub fn directories(&self) -> Vec<PathBuf> {
        let directories: BTreeSet<&Path> = self
            .files
            .iter()
            .filter_map(|it| it.target.parent())
            .chain(self.moves.iter().flat_map(|it| [it.from.parent(), it.to.parent()]).flatten())
            .collect();
        directories.into_iter().map(Path::to_path_buf).collect()
    }

    /// Whether a committed transaction is complete and only its journal is left: every
    /// temporary file is gone (renamed: nothing else removes one once the journal says
    /// committed) and every move's source is gone. A process killed after its renames
    /// (between answering and removing the journal) leaves this, and the files may have been
    /// edited since (an editor, `git pull`): it is nothing to warn about or recover. A target
    /// that still holds the content it replaced was not renamed (its temporary file was
    /// removed by someone else): that one is reported.
    pub fn finished(&self) -> bool {
        let gone =
            |path: &Path| matches!(fs::symlink_metadata(path), Err(error) if error.kind() == io::ErrorKind::NotFound);
        self.state == JournalState::Committed
            && self.files.iter().all(|file| {
                gone(&file.temp)
                    && (file.created
                        || file
                            .before_hash
                            .as_ref()
                            .is_none_or(|before| content_hash(&file.target).as_ref() != Some(before)))
            })
            && self.moves.iter().all(|moved| gone(&moved.from))
    }

    /// Does a move unless it is done: the source there and nothing at the destination moves;
    /// the source gone and the destination there was moved before a crash.
    fn move_once(&self, moved: &JournalMove) -> Result<(), TransactionError> {
        let exists = |path: &Path| fs::symlink_metadata(path).is_ok();
        let conflict = |reason: String| TransactionError::Conflict { path: moved.from.display().to_string(), reason };
        match (exists(&moved.from), exists(&moved.to)) {
            (true, false) => {
                // A folder swapped for a symlink since the checks would move the rename elsewhere.
                for path in [&moved.from, &moved.to] {
                    let folder = path.parent().map(fs::canonicalize);
                    if !matches!(&folder, Some(Ok(real)) if Some(real.as_path()) == path.parent()) {
                        return Err(conflict(format!(
                            "the folder of {} is no longer the one `{}` checked",
                            path.display(),
                            self.label
                        )));
                    }
                }
                rename_no_replace(&moved.from, &moved.to).map_err(|error| io_error(&moved.to, error))
            }
            (false, true) => Ok(()),
            (true, true) => Err(conflict(format!(
                "`{}` was to move it to {}, where something appeared; both were left as they are",
                self.label,
                moved.to.display()
            ))),
            (false, false) => Err(conflict(format!(
                "`{}` was to move it to {}, but it is in neither place",
                self.label,
                moved.to.display()
            ))),
        }
    }

    fn refuse(&self, file: &JournalFile, reason: String) -> TransactionError {
        TransactionError::Refused {
            path: file.path.clone(),
            reason: format!("recovering `{}`: {} {reason}; nothing was changed", self.label, file.temp.display()),
        }
    }
}

/// Whether a created file's temporary name and its target are one file holding the new text.
fn linked_into_place(file: &JournalFile) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (Ok(temp), Ok(target)) = (fs::symlink_metadata(&file.temp), fs::symlink_metadata(&file.target)) else {
            return false;
        };
        temp.file_type().is_file()
            && temp.dev() == target.dev()
            && temp.ino() == target.ino()
            && content_hash(&file.target).is_some_and(|it| it == file.after_hash)
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        false
    }
}

/// The BLAKE3 hash of a regular file's content, read through no link and in pieces (a file
/// swapped for a FIFO, a device or a huge file never blocks or fills memory); `None` when no
/// regular file is there.
fn content_hash(path: &Path) -> Option<String> {
    let metadata = fs::symlink_metadata(path).ok()?;
    if !metadata.file_type().is_file() {
        return None;
    }
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC,
    );
    let file = options.open(path).ok()?;
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(file).ok()?;
    Some(hasher.finalize().to_hex().to_string())
}

/// Whether the temporary file is there: `Err` when something is there that is not a regular
/// file of this user's with one link (a symlink, a folder, a hard link to another file).
fn own_temp_file(path: &Path) -> Result<bool, String> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(format!("cannot be inspected: {error}")),
    };
    if !metadata.file_type().is_file() {
        return Err("is not a regular file".into());
    }
    private_dir::check_owner(path, &metadata).map_err(|_| "belongs to another user".to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if metadata.nlink() != 1 {
            return Err("has other names (hard links)".into());
        }
    }
    Ok(true)
}

/// Moves `from` to `to` unless something is at `to` (`AlreadyExists` then): a new file never
/// replaces one that appeared after the checks. Linux does it in one step; elsewhere (or on a
/// file system without `RENAME_NOREPLACE`) a hard link fails the same way, and the temporary
/// name is removed after it.
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = |path: &Path| std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(io::Error::other);
        let (source, destination) = (c(from)?, c(to)?);
        // SAFETY: both are valid NUL-terminated paths that outlive the call.
        let result = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                source.as_ptr(),
                libc::AT_FDCWD,
                destination.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if result == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if !matches!(error.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)) {
            return Err(error);
        }
    }
    if fs::symlink_metadata(from)?.is_dir() {
        // No hard links for folders: the caller checked that nothing is at `to`.
        if fs::symlink_metadata(to).is_ok() {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        return fs::rename(from, to);
    }
    fs::hard_link(from, to)?;
    fs::remove_file(from)
}

fn remove_if_present(path: &Path) -> Result<(), TransactionError> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(io_error(path, error)),
        _ => Ok(()),
    }
}

pub(super) fn untrusted(path: &Path, reason: String) -> TransactionError {
    TransactionError::Refused {
        path: path.display().to_string(),
        reason: format!("{reason}; taskmark will not act on this journal. Check the files it names"),
    }
}
