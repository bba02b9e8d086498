//! A private JSON file of taskmark's own with a format number (the agents' claims, the id
//! reservations): read with a size bound from a folder only this user can write, refused by
//! reason when it is not one this taskmark reads (never read as empty: writing over it would
//! lose what it holds), and replaced atomically and durably (a temporary file beside it,
//! synced and renamed). The caller holds the file's lock and names the file in its errors.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use taskmark_io::private_dir;

/// The file's contents; `None` when there is no file. `what` names the file in the reason
/// (`claims`, `reservations`); `format` reads the number from the contents, which must be
/// `expected`.
pub(crate) fn read<T: DeserializeOwned>(
    path: &Path,
    most_bytes: u64,
    what: &str,
    expected: u32,
    format: impl FnOnce(&T) -> u32,
) -> Result<Option<T>, String> {
    let bytes = match private_dir::read_file(path, most_bytes) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(None),
        Err(error) => return Err(error.to_string()),
    };
    let stored: T = serde_json::from_slice(&bytes)
        .map_err(|error| format!("not a {what} file taskmark can read ({error}); move it away to start over"))?;
    let found = format(&stored);
    if found != expected {
        return Err(format!("its format {found} is not the one this taskmark reads ({expected})"));
    }
    Ok(Some(stored))
}

/// Replaces the file with `value`, under the caller's exclusive lock (so it is the only writer):
/// a crash leaves the old contents or the new ones.
pub(crate) fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    let text = serde_json::to_vec_pretty(value).map_err(|error| error.to_string())?;
    private_dir::replace_file(path, &text).map_err(|error| error.to_string())
}
