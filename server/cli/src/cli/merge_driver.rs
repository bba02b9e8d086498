//! `taskmark merge-driver %O %A %B %P`: git's merge driver for tracker files. Git calls it with
//! the common ancestor's, our and their versions in temporary files and the file's path; the
//! result goes to the second file (ours), and the exit status says whether conflicts are left.
//! The merge itself is the engine's (`engine::merge`); this reads the three files, the
//! configuration that decides the file's vocabulary, writes the result and reports.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::exit;
use crate::engine::config::{FILE_NAME, Vocabularies};
use crate::engine::index::SourceFile;
use crate::engine::layout::{self, Family};
use crate::engine::merge::{self, Decision, Markers, MergeInput, MergeOutcome};
use crate::transaction::fault;
use crate::workspace;

#[derive(clap::Args, Debug)]
pub struct MergeDriverArgs {
    /// The common ancestor's version (git's %O).
    base: PathBuf,
    /// Our version (%A): the merged file is written here.
    ours: PathBuf,
    /// Their version (%B).
    theirs: PathBuf,
    /// The file's path in the repository (%P): it decides how the file is read.
    path: String,
    /// The size of the conflict markers (%L).
    #[arg(long, value_name = "N", default_value_t = 7)]
    marker_size: usize,
    /// The label after `<<<<<<<` (%X in git 2.44 and later).
    #[arg(long, value_name = "TEXT", default_value = "ours")]
    ours_label: String,
    /// The label after `>>>>>>>` (%Y).
    #[arg(long, value_name = "TEXT", default_value = "theirs")]
    theirs_label: String,
}

pub fn merge_driver(args: MergeDriverArgs) -> anyhow::Result<u8> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|error| anyhow::format_err!("cannot read {}: {error}", path.display()))
    };
    // Git leaves ours in place when the driver fails: whatever goes wrong before the write,
    // nothing is lost, and git reports the file as conflicted.
    let base = read(&args.base)?;
    let ours = read(&args.ours)?;
    let theirs = read(&args.theirs)?;
    let path = args.path.replace('\\', "/");
    let (relative, vocabularies, context) = reading_context(&path);
    let markers = Markers {
        size: args.marker_size.clamp(1, 64),
        ours: args.ours_label.clone(),
        theirs: args.theirs_label.clone(),
    };
    let input = MergeInput {
        path: &relative,
        base: &base,
        ours: &ours,
        theirs: &theirs,
        vocabularies: &vocabularies,
        context: &context,
        markers: markers.clone(),
    };
    // The engine never panics on purpose; should it all the same, ours stays as it was and the
    // file is a conflict, as for a file git cannot merge.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| merge::merge(&input)))
        .unwrap_or_else(|_| MergeOutcome::kept_ours(&ours, "the task-by-task merge failed".into()));
    if !outcome.kept_ours {
        replace_whole(&args.ours, &outcome.text)?;
    }
    report(&path, &outcome);
    Ok(if outcome.resolved() { exit::CLEAN } else { exit::FINDINGS })
}

/// Writes the merge over %A whole or not at all: into a new file beside it, flushed to disk,
/// given %A's permissions and renamed over it. Killed at any point, the driver leaves %A as git
/// wrote it (git then reports the file as conflicted) or as merged, never cut short.
fn replace_whole(target: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let failed = |error: std::io::Error| anyhow::format_err!("cannot write {}: {error}", target.display());
    let folder = match target.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    let name = target.file_name().map(|it| it.to_string_lossy()).unwrap_or_default();
    let temp = folder.join(format!(".{name}.taskmark-{}.tmp", std::process::id()));
    let permissions = std::fs::metadata(target).map_err(failed)?.permissions();
    // A file of that name is what a driver of the same process id left when it was killed.
    let _ = std::fs::remove_file(&temp);
    let written = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.set_permissions(permissions)?;
        file.sync_all()
    });
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(failed(error));
    }
    fault::point("merge:temp");
    if let Err(error) = std::fs::rename(&temp, target) {
        let _ = std::fs::remove_file(&temp);
        return Err(failed(error));
    }
    fault::point("merge:renamed");
    // The rename itself made durable; a merge already in place is not undone when this fails.
    if let Ok(folder) = std::fs::File::open(folder) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// The file's path as the configuration that applies to it sees it, its vocabularies and the
/// files that shape them. Git runs the driver at the top of the work tree; the nearest
/// `.taskmark.toml` at or above the file (up to there) is the workspace's configuration.
fn reading_context(path: &str) -> (String, Vocabularies, Vec<SourceFile>) {
    let top = std::env::current_dir().unwrap_or_default();
    let mut folders: Vec<&str> = path.rmatch_indices('/').map(|(at, _)| &path[..at]).collect();
    folders.push("");
    let config_folder = folders.into_iter().find(|folder| top.join(folder).join(FILE_NAME).is_file());
    let (root, prefix) = match config_folder {
        Some(folder) => (top.join(folder), if folder.is_empty() { String::new() } else { format!("{folder}/") }),
        None => (top.clone(), String::new()),
    };
    let relative = path.strip_prefix(&prefix).unwrap_or(path).to_string();
    let vocabularies = match workspace::load_config(&root) {
        Ok(config) => config.vocabularies,
        Err(error) => {
            eprintln!("taskmark: note: {error:#}; {path} is read with the built-in vocabularies");
            Vocabularies::default()
        }
    };
    let mut context = Vec::new();
    let class = layout::classify(&relative);
    if class.family == Some(Family::Backlog) {
        let config =
            if class.root.is_empty() { "config.yml".to_string() } else { format!("{}/config.yml", class.root) };
        if let Ok(file) = crate::workspace::read_workspace_file(&root, &config)
            && file.lossy.is_none()
        {
            context.push(SourceFile { path: config, text: file.text.clone() });
        }
    }
    (relative, vocabularies, context)
}

/// What git's output shows under `Auto-merging PATH`: what the semantics decided, what they
/// could not, ids both sides allocated, and last whether the file is left as a conflict (what
/// the exit status says).
fn report(path: &str, outcome: &MergeOutcome) {
    let mut stderr = std::io::stderr().lock();
    match &outcome.fallback {
        Some(reason) if outcome.kept_ours => {
            let _ = writeln!(
                stderr,
                "taskmark: {path}: {reason}: not merged; ours is left as it was and the file as a conflict (`git checkout --theirs -- {path}` takes theirs)"
            );
        }
        Some(reason) => {
            let _ = writeln!(stderr, "taskmark: {path}: {reason}");
        }
        None => {}
    }
    if outcome.cost_limited {
        let _ = writeln!(
            stderr,
            "taskmark: {path}: the sides differ too much to be lined up line by line within the merge's cost limit: the stretches left over are merged whole (a conflict where both sides changed one)"
        );
    }
    for status in &outcome.statuses {
        let what = match status.decision {
            Decision::Ours => format!("kept ours, {}", status.ours),
            Decision::Theirs => format!("kept theirs, {}", status.theirs),
            Decision::Agreed => format!("both say {}", status.ours),
            Decision::Conflict => "left as a conflict: neither is further along".to_string(),
        };
        let _ = writeln!(
            stderr,
            "taskmark: {path}: {} was {} here and {} there: {what}",
            status.subject, status.ours, status.theirs
        );
    }
    for collision in &outcome.collisions {
        let _ = writeln!(
            stderr,
            "taskmark: {path}: id {} was allocated on both sides, for `{}` (ours) and `{}` (theirs): both tasks are kept; give one of them a new id (`taskmark check` reports it as duplicate-task)",
            collision.id, collision.ours, collision.theirs
        );
    }
    if outcome.kept_ours || outcome.resolved() {
        return;
    }
    let _ = if outcome.conflicts > 0 {
        writeln!(
            stderr,
            "taskmark: {path}: {} conflict(s) left with markers: resolve them, then `git add {path}`",
            outcome.conflicts
        )
    } else {
        writeln!(stderr, "taskmark: {path}: a status is left undecided: the file is left as a conflict")
    };
}
