//! `.taskmark/journal`: what a transaction is about to do, durable before it does it.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::transaction::{TransactionError, fault, io_error, sync_directory};

pub(super) const FILE_NAME: &str = "journal";
const FORMAT: u32 = 1;

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub id: String,
    pub label: String,
    pub state: JournalState,
    pub files: Vec<JournalFile>,
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

impl Journal {
    /// Writes the journal durably: a temporary file, synced, renamed over the old one, and the
    /// folder synced. A crash leaves the old journal or the new one, never half of one.
    pub fn store(&self, state_dir: &Path) -> Result<(), TransactionError> {
        let path = state_dir.join(FILE_NAME);
        let temp = state_dir.join(format!("{FILE_NAME}.tmp"));
        let text = serde_json::to_string_pretty(&Stored { format: FORMAT, journal: self.clone() })
            .map_err(|error| io_error(&path, io::Error::other(error)))?;
        let mut file = fs::File::create(&temp).map_err(|error| io_error(&temp, error))?;
        file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|error| io_error(&temp, error))?;
        fs::rename(&temp, &path).map_err(|error| io_error(&path, error))?;
        sync_directory(state_dir)
    }

    /// The journal a transaction left, if any.
    pub fn load(state_dir: &Path) -> Result<Option<Journal>, TransactionError> {
        // A crash while writing the next journal: the previous one (or none) still stands.
        let _ = fs::remove_file(state_dir.join(format!("{FILE_NAME}.tmp")));
        let path = state_dir.join(FILE_NAME);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error(&path, error)),
        };
        let unreadable = |reason: String| TransactionError::Refused {
            path: path.display().to_string(),
            reason: format!(
                "{reason}; an interrupted transaction cannot be finished from it. Check the files it names, then delete it"
            ),
        };
        let stored: Stored = serde_json::from_str(&text)
            .map_err(|error| unreadable(format!("not a journal taskmark can read ({error})")))?;
        if stored.format != FORMAT {
            return Err(unreadable(format!("journal format {} is not the one this taskmark writes", stored.format)));
        }
        Ok(Some(stored.journal))
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

    /// Renames what is still to be renamed and syncs the folders. Safe to run again after a
    /// crash in the middle: a target already renamed holds the new content's hash.
    pub fn roll_forward(&self) -> Result<(), TransactionError> {
        for (number, file) in self.files.iter().enumerate() {
            match fs::rename(&file.temp, &file.target) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    let done = fs::read(&file.target).is_ok_and(|bytes| hash(&bytes) == file.after_hash);
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
                Err(error) => return Err(io_error(&file.target, error)),
            }
            fault::point(&format!("renamed:{number}"));
        }
        let directories: BTreeSet<&Path> = self.files.iter().filter_map(|it| it.target.parent()).collect();
        for directory in directories {
            sync_directory(directory)?;
        }
        fault::point("synced");
        Ok(())
    }
}
