//! `taskmark hook`: run by a coding agent after it edits a file (Claude Code's `PostToolUse`
//! hook, or any agent whose hook gets JSON on stdin naming the edited file). When the edit
//! touched a tracker file and left problems the tracker did not have before it, the agent is
//! told which, and how to fix them; otherwise the command says nothing. Run as a `PreToolUse`
//! hook too, it keeps the tracker files a `Write` is about to replace, so that the judgement
//! after it compares with what they held just before rather than with git's `HEAD`.
//!
//! The hook must never get in the agent's way on its own account: a payload it cannot read, a
//! file it cannot find, a git that fails, an input past its limits, a check that takes longer
//! than its time limit all end in a one-line note on stderr and exit status 0, because Claude
//! Code treats exit status 2 as "show stderr to the model" and any other status as a
//! non-blocking error.

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use clap::ValueEnum;
use serde_json::Value;

use crate::cli::render::line_column;
use crate::engine::diagnostic::{Diagnostic, FixHint, RuleCode};
use crate::engine::edit::{fix_titles, is_safe_fix};
use crate::engine::index::WorkspaceIndex;
use crate::engine::layout;
use crate::git::{self, FileAt};
use crate::service::edit_judgement::{EditToJudge, judge_edit, touched_tasks};
use crate::views::Paths;
use crate::workspace::{self, DiskPaths};

/// What Claude Code reads from a hook's stdout in JSON form: `block` puts `reason` before the
/// model.
#[derive(serde::Serialize)]
struct Decision<'a> {
    decision: &'static str,
    reason: &'a str,
}

/// Claude Code shows the model the hook's stderr when it exits with this status.
const BLOCK: u8 = 2;
/// A payload is a tool call's input: a `Write` of a large file is the largest. Past this the
/// payload is not read (and the hook stays quiet) rather than held in memory.
const MAX_PAYLOAD_BYTES: u64 = 64 * 1024 * 1024;
/// More files than this named by one payload are not an edit to check (nothing is checked).
const MAX_FILES: usize = 10_000;
/// The most text the hook reads or rebuilds itself, the edited files' texts before and after
/// the edit together (the tracker around them is loaded within `index_limit_mib`): one tracker
/// file of the largest size taskmark reads, before and after.
const MAX_EDITED_BYTES: u64 = 2 * workspace::MAX_FILE_BYTES;
/// The bytes undoing an edit's replacements may look at before it gives up for git's `HEAD`.
const UNDO_WORK: usize = 1 << 26;
/// Problems listed by name; the rest are counted.
const LISTED: usize = 20;

#[derive(clap::Args, Debug)]
pub struct HookArgs {
    /// The agent whose hook input and protocol to use: `claude` (Claude Code's PostToolUse hook,
    /// and its PreToolUse hook to keep what a Write replaces: only those events of file-editing
    /// tools count) or `generic` (any JSON naming the
    /// edited files: `file_path`, `tool_input.file_path`, `tool_input.path`, `files`).
    #[arg(value_enum, default_value_t = Agent::Claude)]
    agent: Agent,
    /// `text`: the problems on stderr with exit status 2 (Claude Code shows them to the model);
    /// `json`: Claude Code's decision object `{"decision": "block", "reason": ...}` on stdout,
    /// exit status 0.
    #[arg(long, value_enum, default_value_t = HookFormat::Text)]
    format: HookFormat,
    /// The workspace root (default: the nearest folder above the payload's `cwd` holding
    /// .taskmark.toml or .git).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Give up after this long (reading the payload included), with a note on stderr and exit
    /// status 0: a hook must not hold the agent.
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = seconds)]
    time_limit: Duration,
}

/// A number of seconds, as `--time-limit` takes it.
fn seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is not a number of seconds (0 or more)"))
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Agent {
    Claude,
    Generic,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum HookFormat {
    Text,
    Json,
}

pub fn hook(args: HookArgs) -> anyhow::Result<u8> {
    let (limit, format) = (args.time_limit, args.format);
    // The check runs on a thread of its own, watched: past the limit the process ends with a
    // note, whatever the check (or a payload that never ends) is doing.
    let (done, outcome) = std::sync::mpsc::channel();
    let outcome = match std::thread::Builder::new().name("taskmark-hook".into()).spawn(move || {
        let _ = done.send(run(&args));
    }) {
        Err(error) => Err(anyhow::Error::from(error).context("cannot start the check")),
        Ok(_) => match outcome.recv_timeout(limit) {
            Ok(outcome) => outcome,
            Err(RecvTimeoutError::Timeout) => {
                Err(anyhow::format_err!("the check took longer than {} s (--time-limit)", limit.as_secs_f64()))
            }
            Err(RecvTimeoutError::Disconnected) => Err(anyhow::format_err!("the check stopped on an internal error")),
        },
    };
    match outcome {
        Ok(None) => Ok(super::exit::CLEAN),
        Ok(Some(report)) => {
            match format {
                HookFormat::Text => {
                    let _ = write!(std::io::stderr().lock(), "{report}");
                    Ok(BLOCK)
                }
                HookFormat::Json => {
                    // For PostToolUse, "block" does not undo the edit (it already happened):
                    // it puts `reason` before the model.
                    let decision = Decision { decision: "block", reason: &report };
                    writeln!(crate::cli::output::stdout(), "{}", serde_json::to_string(&decision)?)?;
                    Ok(super::exit::CLEAN)
                }
            }
        }
        Err(error) => {
            eprintln!("taskmark hook: note: nothing checked: {error:#}");
            Ok(super::exit::CLEAN)
        }
    }
}

/// The report to show the agent, if the edit left anything new.
fn run(args: &HookArgs) -> anyhow::Result<Option<String>> {
    if std::io::stdin().is_terminal() {
        anyhow::bail!("`taskmark hook` reads the agent's hook payload (JSON) on stdin");
    }
    let mut bytes = Vec::new();
    std::io::stdin().take(MAX_PAYLOAD_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_PAYLOAD_BYTES {
        anyhow::bail!("the payload is over {} MiB", MAX_PAYLOAD_BYTES >> 20);
    }
    let payload: Value =
        serde_json::from_slice(&bytes).map_err(|error| anyhow::format_err!("the payload is not JSON ({error})"))?;
    let Some(request) = Request::of(&payload, args.agent) else { return Ok(None) };
    // The request holds what it needs of them: a payload of a large file is held once, not thrice.
    drop((bytes, payload));
    let cwd = match &request.cwd {
        Some(cwd) => PathBuf::from(cwd),
        None => std::env::current_dir()?,
    };
    if request.files.len() > MAX_FILES {
        anyhow::bail!(
            "the payload names {} files, more than the {MAX_FILES} an edit is checked for",
            request.files.len()
        );
    }
    for file in &request.files {
        if let Undo::Original(Some(text)) = &file.undo
            && text.len() as u64 > workspace::MAX_FILE_BYTES
        {
            anyhow::bail!(
                "the text of {} before the edit (originalFile) is {} MiB, over the {} MiB limit for tracker files",
                file.path,
                text.len() >> 20,
                workspace::MAX_FILE_BYTES >> 20
            );
        }
    }
    let Some(project) = project_root(args.root.as_deref(), &cwd) else { return Ok(None) };
    // The files that are tracker files under the root, grouped by workspace root and tracker:
    // each tracker is loaded once, however many of its files the payload names.
    let mut groups: Vec<(PathBuf, String, Vec<Target>)> = Vec::new();
    let mut group_of: HashMap<(PathBuf, String), usize> = HashMap::new();
    for file in request.files {
        let Some((root, relative)) = locate(&project, &cwd, &file.path) else { continue };
        let class = layout::classify(&relative);
        if !class.role.is_tracker() || !workspace::wanted(&relative) {
            continue;
        }
        let target = Target { relative, undo: file.undo };
        let at = *group_of.entry((root.clone(), class.root.clone())).or_insert_with(|| {
            groups.push((root, class.root, Vec::new()));
            groups.len() - 1
        });
        groups[at].2.push(target);
    }
    if request.before_the_edit {
        // Nothing is judged before the edit: its files are kept for the judgement after it.
        for (root, _, targets) in &groups {
            for target in targets {
                snapshots::keep(request.session.as_deref(), root, &target.relative);
            }
        }
        return Ok(None);
    }
    for (root, _, targets) in &mut groups {
        for target in targets.iter_mut() {
            // A Write says nothing of what the file held: what it held just before, kept by the
            // PreToolUse hook, rather than git's HEAD (changes made since the last commit, by
            // `taskmark set` or by hand, are not this edit's).
            if matches!(target.undo, Undo::Head)
                && let Some(kept) = snapshots::take(request.session.as_deref(), root, &target.relative)
            {
                target.undo = Undo::Original(kept);
            }
        }
    }
    let mut report = String::new();
    let mut budget = MAX_EDITED_BYTES;
    for (root, scope, targets) in groups {
        report.push_str(&check_tracker(&root, &scope, &targets, &cwd, &mut budget)?);
    }
    Ok((!report.is_empty()).then_some(report))
}

/// What the payload says was edited, and how to get each file's text from before the edit.
struct Request {
    cwd: Option<String>,
    files: Vec<EditedFile>,
    /// The agent's session, when the payload names it (Claude Code's `session_id`).
    session: Option<String>,
    /// A `PreToolUse` event: the edit is about to happen; the files are kept as they are, for
    /// the `PostToolUse` that follows to compare with.
    before_the_edit: bool,
}

struct EditedFile {
    path: String,
    undo: Undo,
}

/// How to recover a file's text from before the edit.
#[derive(Debug, Clone)]
enum Undo {
    /// The agent sent it (Claude Code's `tool_response.originalFile`); `None`: it created the
    /// file.
    Original(Option<String>),
    /// Replacements the edit applied, in order: `(old, new, every occurrence)`.
    Replacements(Vec<(String, String, bool)>),
    /// Nothing in the payload: the file as git's HEAD has it.
    Head,
}

impl Request {
    /// `None` when the payload is not about editing files.
    fn of(payload: &Value, agent: Agent) -> Option<Request> {
        let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        let event = payload.get("hook_event_name").and_then(Value::as_str);
        let before_the_edit = event == Some("PreToolUse");
        if agent == Agent::Claude && event.is_some_and(|it| it != "PostToolUse" && it != "PreToolUse") {
            return None;
        }
        // A `Read` names a file too: only tools that change files count.
        if let Some(tool) = payload.get("tool_name").and_then(Value::as_str) {
            let tool = tool.to_ascii_lowercase();
            if !["edit", "write", "patch", "create", "replace"].iter().any(|it| tool.contains(it)) {
                return None;
            }
        }
        let cwd = text(payload, "cwd").or_else(|| {
            // Cursor names its workspace folders instead of a working folder.
            payload.get("workspace_roots").and_then(Value::as_array)?.first()?.as_str().map(str::to_string)
        });
        let input = payload.get("tool_input").filter(|it| it.is_object()).unwrap_or(payload);
        let mut files = Vec::new();
        let single =
            ["file_path", "path", "filePath"].iter().find_map(|key| text(input, key).or_else(|| text(payload, key)));
        let mut named: HashSet<String> = HashSet::new();
        if let Some(path) = single {
            named.insert(path.clone());
            files.push(EditedFile { path, undo: Undo::of(input, payload.get("tool_response")) });
        }
        for list in [input.get("files"), payload.get("files")].into_iter().flatten() {
            for item in list.as_array().into_iter().flatten() {
                let path = item
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| ["file_path", "path", "filePath"].iter().find_map(|key| text(item, key)));
                if let Some(path) = path
                    && named.insert(path.clone())
                {
                    files.push(EditedFile { path, undo: Undo::Head });
                }
            }
        }
        let session = text(payload, "session_id").filter(|it| !it.is_empty() && it.len() <= 200);
        (!files.is_empty()).then_some(Request { cwd, files, session, before_the_edit })
    }
}

impl Undo {
    fn of(input: &Value, response: Option<&Value>) -> Undo {
        let string = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        if let Some(response) = response {
            if let Some(original) = string(response, "originalFile") {
                return Undo::Original(Some(original));
            }
            if response.get("type").and_then(Value::as_str) == Some("create") {
                return Undo::Original(None);
            }
        }
        let replacement = |edit: &Value| {
            Some((
                string(edit, "old_string")?,
                string(edit, "new_string")?,
                edit.get("replace_all").and_then(Value::as_bool).unwrap_or(false),
            ))
        };
        if let Some(edits) = input.get("edits").and_then(Value::as_array) {
            let replacements: Option<Vec<_>> = edits.iter().map(replacement).collect();
            return replacements.map_or(Undo::Head, Undo::Replacements);
        }
        replacement(input).map_or(Undo::Head, |it| Undo::Replacements(vec![it]))
    }
}

/// The text before the edit, given the text after it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Before {
    Text(String),
    /// The edit created the file.
    Absent,
    /// Neither the payload nor git can say: every problem of the file is shown.
    Unknown,
}

/// Undoes `replacements` (applied in order) on `after`, last first. Each undo must be the only
/// way the replacement could have produced the text: applying it again to the result must give
/// the text back, and no other place could have been the one. `None` when it cannot be undone
/// that way (the edit was not applied as given, a deletion whose place cannot be found, an edit
/// that wrote what the file already said elsewhere), or not within [`UNDO_WORK`] bytes looked
/// at, or when the text before would be larger than a tracker file taskmark reads.
fn undo_replacements(after: &str, replacements: &[(String, String, bool)]) -> Option<String> {
    let mut work = 0usize;
    let mut text = after.to_string();
    for (old, new, every) in replacements.iter().rev() {
        if new.is_empty() || old.is_empty() || old == new {
            return None;
        }
        work = work.saturating_add(text.len());
        if work > UNDO_WORK {
            return None;
        }
        let undone = if *every {
            // The text before is as long as this: count before building it.
            let count = memchr::memmem::find_iter(text.as_bytes(), new.as_bytes()).count();
            let before = (text.len() - count * new.len()).saturating_add(count.saturating_mul(old.len()));
            if before as u64 > workspace::MAX_FILE_BYTES {
                return None;
            }
            let candidate = text.replace(new.as_str(), old);
            (candidate.replace(old.as_str(), new) == text).then_some(candidate)
        } else {
            undo_one(&text, old, new, &mut work)
        };
        text = undone?;
    }
    Some(text)
}

/// The text before one replacement of the first `old` by `new` that gave `text`: the one place
/// where `new` stands such that the first `old` of the text with it put back is there (so that
/// the replacement gives `text` again). `None` when no place is, or two are (the edit wrote
/// what another line already said: the payload cannot tell which), or past [`UNDO_WORK`].
/// Each place costs the length of `old`, not of the text.
fn undo_one(text: &str, old: &str, new: &str, work: &mut usize) -> Option<String> {
    if text.len().saturating_sub(new.len()).saturating_add(old.len()) as u64 > workspace::MAX_FILE_BYTES {
        return None;
    }
    let bytes = text.as_bytes();
    let first_old = memchr::memmem::find(bytes, old.as_bytes());
    let mut found = None;
    let mut window: Vec<u8> = Vec::with_capacity(2 * old.len());
    for at in memchr::memmem::find_iter(bytes, new.as_bytes()) {
        // An `old` wholly before this place would be the first: not here, nor further on.
        if first_old.is_some_and(|first| first + old.len() <= at) {
            break;
        }
        *work = work.saturating_add(2 * old.len());
        if *work > UNDO_WORK {
            return None;
        }
        // Nor here if an `old` starts just before and runs into the one put back.
        let from = at.saturating_sub(old.len() - 1);
        window.clear();
        window.extend_from_slice(&bytes[from..at]);
        window.extend_from_slice(old.as_bytes());
        if memchr::memmem::find(&window, old.as_bytes()) != Some(at - from) {
            continue;
        }
        if found.replace(at).is_some() {
            return None;
        }
    }
    let at = found?;
    Some(format!("{}{old}{}", &text[..at], &text[at + new.len()..]))
}

fn before_text(root: &Path, relative: &str, after: Option<&str>, undo: &Undo) -> Before {
    let from_head = || match git::file_at(root, "HEAD", relative) {
        FileAt::Text(text) => Before::Text(text),
        FileAt::Absent => Before::Absent,
        FileAt::Unknown => Before::Unknown,
    };
    match (undo, after) {
        (Undo::Original(Some(text)), _) => Before::Text(text.clone()),
        (Undo::Original(None), _) => Before::Absent,
        (Undo::Replacements(replacements), Some(after)) => {
            undo_replacements(after, replacements).map_or_else(from_head, Before::Text)
        }
        _ => from_head(),
    }
}

/// What a `PreToolUse` hook keeps of a tracker file about to be edited, for the `PostToolUse`
/// hook of the same session to compare with: in this user's state folder (owner-only, never
/// in the work tree), one file per session and path, taken (and removed) by the first judgement
/// that reads it, and dropped after a day if none does.
mod snapshots {
    use std::hash::{Hash, Hasher};
    use std::path::{Path, PathBuf};
    use std::time::{Duration, SystemTime};

    use crate::private_dir;

    /// A snapshot not taken back within this long belongs to an edit that never finished.
    const KEPT: Duration = Duration::from_secs(24 * 60 * 60);
    /// What a file that did not exist is kept as (a real text never starts with a NUL).
    const ABSENT: &[u8] = b"\0absent";

    fn folder() -> Option<PathBuf> {
        Some(taskmark_io::state_dir::home().ok()?.join("hook-snapshots"))
    }

    /// The snapshot's file: by session, workspace and path, hashed (a name of fixed length
    /// that no payload can steer out of the folder).
    fn file(session: &str, root: &Path, relative: &str) -> Option<PathBuf> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (session, root, relative).hash(&mut hasher);
        Some(folder()?.join(format!("{:016x}", hasher.finish())))
    }

    /// Keeps `relative` as it is now (or that it is absent), for the session's next judgement.
    pub(super) fn keep(session: Option<&str>, root: &Path, relative: &str) {
        let (Some(session), Some(folder)) = (session, folder()) else { return };
        let Some(path) = file(session, root, relative) else { return };
        // The state folder must be closed to other users' writes, as for locks and claims.
        let home_is_ours = folder.parent().is_some_and(|home| private_dir::ensure_unwritable(home).is_ok());
        if !home_is_ours || private_dir::ensure(&folder).is_err() {
            return;
        }
        let bytes = match crate::workspace::read_workspace_file(root, relative) {
            Ok(file) if file.lossy.is_none() => file.text.as_bytes().to_vec(),
            Err(_) if std::fs::symlink_metadata(root.join(relative)).is_err() => ABSENT.to_vec(),
            // Not text taskmark reads: nothing to compare with later.
            _ => return,
        };
        let _ = private_dir::replace_file(&path, &bytes);
        prune(&folder);
    }

    /// The text kept for `relative` (`Some(None)`: it did not exist), removed as it is read.
    pub(super) fn take(session: Option<&str>, root: &Path, relative: &str) -> Option<Option<String>> {
        let path = file(session?, root, relative)?;
        let bytes = private_dir::read_file(&path, crate::workspace::MAX_FILE_BYTES).ok()??;
        let _ = std::fs::remove_file(&path);
        if bytes == ABSENT {
            return Some(None);
        }
        String::from_utf8(bytes).ok().map(Some)
    }

    /// Drops the snapshots no judgement took back.
    fn prune(folder: &Path) {
        let Ok(entries) = std::fs::read_dir(folder) else { return };
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|it| it.modified())
                .is_ok_and(|it| SystemTime::now().duration_since(it).unwrap_or_default() > KEPT);
            if old {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// The folder hooks work in: `--root`, else the nearest folder at or above `cwd` holding
/// `.taskmark.toml` or `.git`, else `cwd`; canonical. `None` when it does not exist.
fn project_root(explicit: Option<&Path>, cwd: &Path) -> Option<PathBuf> {
    if let Some(root) = explicit {
        return std::fs::canonicalize(root).ok();
    }
    let cwd = std::fs::canonicalize(cwd).ok()?;
    let found =
        cwd.ancestors().find(|dir| dir.join(crate::engine::config::FILE_NAME).is_file() || dir.join(".git").exists());
    Some(found.unwrap_or(&cwd).to_path_buf())
}

/// `path` with `.` and `..` resolved by their names, as the agent meant them.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The workspace root and root-relative path of an edited file, if it lies inside `project`:
/// its folder is resolved on disk (a symlinked folder that leads out of the project does not
/// count), and a `.taskmark.toml` between the project and the file makes that folder the root,
/// as `taskmark check FILE` would. Nothing outside the project is read.
fn locate(project: &Path, cwd: &Path, path: &str) -> Option<(PathBuf, String)> {
    let path = lexical(&cwd.join(path));
    let folder = std::fs::canonicalize(path.parent()?).ok()?;
    let real = folder.join(path.file_name()?);
    if !real.starts_with(project) {
        return None;
    }
    let root = folder
        .ancestors()
        .take_while(|dir| dir.starts_with(project) && *dir != project)
        .find(|dir| dir.join(crate::engine::config::FILE_NAME).is_file())
        .unwrap_or(project)
        .to_path_buf();
    let relative = workspace::slash_path(real.strip_prefix(&root).ok()?)?;
    Some((root, relative))
}

/// One edited file of a tracker.
struct Target {
    relative: String,
    undo: Undo,
}

/// The problems of one tracker that its edited files' new text has and their old text had
/// not, as the report's lines (empty when there are none).
fn check_tracker(root: &Path, scope: &str, targets: &[Target], cwd: &Path, budget: &mut u64) -> anyhow::Result<String> {
    let mut versions: Vec<(&str, Option<Arc<str>>, Before)> = Vec::new();
    for target in targets {
        let after = match workspace::read_workspace_file(root, &target.relative) {
            Ok(file) if file.lossy.is_none() => Some(file.text),
            // Gone (the agent deleted it): what it held before still counts.
            Err(_) if std::fs::symlink_metadata(root.join(&target.relative)).is_err() => None,
            // A file taskmark does not read (binary, a link out of the root, not UTF-8): `check`
            // says so; the hook has nothing to compare.
            _ => continue,
        };
        let before = before_text(root, &target.relative, after.as_deref(), &target.undo);
        let size = after.as_ref().map_or(0, |it| it.len()) + if let Before::Text(it) = &before { it.len() } else { 0 };
        *budget = budget.checked_sub(size as u64).ok_or_else(|| {
            anyhow::format_err!(
                "the edited files hold more than {} MiB of text before and after the edit",
                MAX_EDITED_BYTES >> 20
            )
        })?;
        versions.push((&target.relative, after, before));
    }
    if versions.is_empty() {
        return Ok(String::new());
    }
    // Of the tracker's plans only the edited files' own are read first, then those of the tasks
    // the edit touched: an edit changes what the rules say about other files only through the
    // tasks whose places it changed. The others are listed, so their folders still hold ids.
    let plans_of: Vec<String> = versions.iter().filter_map(|(relative, ..)| layout::task_folder_id(relative)).collect();
    let workspace = super::load_tracker(root, Some(scope), &plans_of)?;
    let mut after_index = workspace.index.clone();
    let mut before_index = workspace.index;
    let mut unknown: HashSet<&str> = HashSet::new();
    let mut edited: Vec<&str> = Vec::new();
    for (relative, after, before) in &versions {
        if after.is_some() && !workspace.known.contains(*relative) {
            // Ignored by .gitignore or the configured globs: `check` does not read it either.
            continue;
        }
        edited.push(relative);
        if after_index.text_at(relative) != after.as_ref() {
            after_index.set_file(relative, after.clone());
        }
        match before {
            Before::Text(text) => {
                before_index.set_file(relative, Some(Arc::from(text.as_str())));
            }
            Before::Absent => {
                before_index.set_file(relative, None);
            }
            Before::Unknown => {
                // Both sides hold the file as it is now; its problems are all listed below.
                if before_index.text_at(relative) != after.as_ref() {
                    before_index.set_file(relative, after.clone());
                }
                unknown.insert(relative);
            }
        }
    }
    let touched: HashSet<String> =
        edited.iter().flat_map(|relative| touched_tasks(&before_index, &after_index, relative)).collect();
    let plans: Vec<String> = after_index
        .tracker_paths(scope)
        .filter(|path| {
            matches!(layout::classify(path).role, layout::Role::Plan { .. })
                && after_index.file_id(path).is_none()
                && layout::task_folder_id(path).is_some_and(|id| touched.contains(&id))
        })
        .map(str::to_string)
        .collect();
    for path in plans {
        // A plan that cannot be read is left out of both sides alike.
        if let Ok(file) = workspace::read_workspace_file(root, &path) {
            after_index.set_file(&path, Some(Arc::clone(&file.text)));
            before_index.set_file(&path, Some(file.text));
        }
    }
    let oracle = DiskPaths { root: &workspace.root, known: &workspace.known };
    let judged = judge_edit(&EditToJudge {
        before: &before_index,
        after: &after_index,
        config: &workspace.config,
        paths: &oracle,
        edited: &edited,
        unknown: &unknown,
    });
    if judged.new.is_empty() {
        return Ok(String::new());
    }
    let followers = judged.followers;
    let new: Vec<&Diagnostic> = judged.new.iter().collect();
    let paths = display_paths(root, cwd);
    let shown: Vec<String> = edited.iter().map(|relative| paths.show(relative)).collect();
    let mut said = report(&after_index, &paths, &shown.join(", "), &new, !unknown.is_empty());
    if followers > 0 {
        said.push_str(&format!(
            "Fix that first: {followers} other problem{} follow{} from it and will be checked again then.\n",
            if followers == 1 { "" } else { "s" },
            if followers == 1 { "s" } else { "" }
        ));
    }
    Ok(said)
}

/// Paths relative to the agent's working folder when the root is under it.
fn display_paths(root: &Path, cwd: &Path) -> Paths {
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    let prefix = match root.strip_prefix(&cwd) {
        Ok(inside) if inside.as_os_str().is_empty() => String::new(),
        Ok(inside) => format!("{}/", workspace::slash_path_lossy(inside)),
        Err(_) => format!("{}/", root.display()),
    };
    Paths { prefix }
}

fn report(index: &WorkspaceIndex, paths: &Paths, edited: &str, new: &[&Diagnostic], unknown: bool) -> String {
    let count = |n: usize| format!("{n} problem{}", if n == 1 { "" } else { "s" });
    let mut out = if unknown {
        format!(
            "taskmark: {edited} has {} (taskmark cannot tell what the file held before this edit, so all are listed):\n",
            count(new.len())
        )
    } else {
        format!("taskmark: this edit of {edited} left {} the tracker did not have before:\n", count(new.len()))
    };
    for it in new.iter().take(LISTED) {
        let (line, _) = line_column(index, it.file, it.range.start());
        out.push_str(&format!(
            "{}:{line}: {}[{}]: {}\n",
            paths.show(index.path(it.file)),
            it.severity.as_str(),
            it.code,
            it.message
        ));
        if let Some(fix) = fix_of(index, it) {
            out.push_str(&format!("  fix: {fix}\n"));
        }
    }
    if new.len() > LISTED {
        out.push_str(&format!("and {} more (`taskmark check` lists them all)\n", new.len() - LISTED));
    }
    out.push_str(
        "Change a task's status with `taskmark set ID STATUS` (or taskmark's MCP tools) rather than by editing the files: it updates every file that states it, with the fields the status needs.\n",
    );
    out
}

/// The exact fix: the command that makes it, else what to change.
fn fix_of(index: &WorkspaceIndex, it: &Diagnostic) -> Option<String> {
    let titles = fix_titles(index, it);
    let described = (!titles.is_empty()).then(|| titles.join("; or "));
    if is_safe_fix(it) {
        let command = format!("`taskmark fix --code {}`", it.code);
        return Some(described.map_or(command.clone(), |what| format!("{what} (or run {command})")));
    }
    if let Some(FixHint::AlignTask { task, .. }) = &it.fix {
        // Which status the task should have is the agent's call; the command writes it to
        // every place at once (and refuses a transition the vocabulary forbids).
        let command = format!("undo this edit, then run `taskmark set {} STATUS`", task.id);
        return Some(described.map_or(command.clone(), |what| format!("{what}: {command}")));
    }
    if it.code == RuleCode::InvalidTransition
        && let Some(task) = &it.task
    {
        return Some(format!(
            "undo the edit; `taskmark show {}` lists the statuses it may move to, and `taskmark set {} STATUS` moves it in every file",
            task.id, task.id
        ));
    }
    described
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;

    fn edit(old: &str, new: &str, every: bool) -> (String, String, bool) {
        (old.to_string(), new.to_string(), every)
    }

    #[test]
    fn replacements_are_undone_only_where_they_could_have_been_made() {
        let after = "- **Status**: [DONE]\n- **Status**: [PLANNED]\n";
        assert_eq!(
            undo_replacements(after, &[edit("[IMPLEMENTING]", "[DONE]", false)]).as_deref(),
            Some("- **Status**: [IMPLEMENTING]\n- **Status**: [PLANNED]\n")
        );
        assert_eq!(undo_replacements("a x a x", &[edit("b", "a", true)]).as_deref(), Some("b x b x"));
        // Two edits in order: the second changed what the first wrote.
        assert_eq!(
            undo_replacements("one three", &[edit("zero", "one two", false), edit("two", "three", false)]).as_deref(),
            Some("zero")
        );
        assert_eq!(undo_replacements("text", &[edit("gone", "", false)]), None, "a deletion has no place");
        // Task 14 now says what task 12 said: either line may be the one edited.
        let twice = "12: [IMPLEMENTING]\n14: [IMPLEMENTING]\n";
        assert_eq!(undo_replacements(twice, &[edit(": [PLANNED]", ": [IMPLEMENTING]", false)]), None);
        assert_eq!(
            undo_replacements(twice, &[edit("14: [PLANNED]", "14: [IMPLEMENTING]", false)]).as_deref(),
            Some("12: [IMPLEMENTING]\n14: [PLANNED]\n")
        );
        assert_eq!(undo_replacements("text", &[edit("a", "missing", false)]), None, "not applied as given");
    }

    /// Undoing one replacement place by place (each place costs `old`'s length) finds the text
    /// before when it is the only one, as rebuilding the text at every place and replacing
    /// again finds it, on every short text.
    #[test]
    fn a_replacement_is_undone_only_where_rebuilding_at_every_place_agrees() {
        // Every text before that gives `text` again, and those whose first `old` is the one put back.
        fn candidates(text: &str, old: &str, new: &str) -> (BTreeSet<String>, BTreeSet<String>) {
            let (mut every, mut first) = (BTreeSet::new(), BTreeSet::new());
            for (at, _) in text.match_indices(new) {
                let candidate = format!("{}{old}{}", &text[..at], &text[at + new.len()..]);
                if candidate.replacen(old, new, 1) == text {
                    if candidate.find(old) == Some(at) {
                        first.insert(candidate.clone());
                    }
                    every.insert(candidate);
                }
            }
            (every, first)
        }
        let strings = |lengths: std::ops::RangeInclusive<u32>| -> Vec<String> {
            lengths
                .flat_map(|length| {
                    (0..1u32 << length)
                        .map(move |bits| (0..length).map(|i| if bits >> i & 1 == 1 { 'a' } else { 'b' }).collect())
                })
                .collect()
        };
        let (words, texts) = (strings(1..=3), strings(0..=7));
        let mut undone = 0;
        for text in &texts {
            for old in &words {
                for new in words.iter().filter(|it| *it != old) {
                    let (every, first) = candidates(text, old, new);
                    let found = undo_one(text, old, new, &mut 0);
                    let only = (first.len() == 1).then(|| first.first().cloned()).flatten();
                    assert_eq!(found, only, "{text} {old} {new}");
                    if let Some(found) = found {
                        assert_eq!(every, BTreeSet::from([found]), "no other text before: {text} {old} {new}");
                        undone += 1;
                    }
                }
            }
        }
        assert!(undone > 1000, "{undone}");
    }

    #[test]
    fn payloads_name_their_files_and_how_to_undo() {
        let claude = json!({
            "hook_event_name": "PostToolUse", "cwd": "/w", "tool_name": "Edit",
            "tool_input": {"file_path": "/w/specs/TODO.md", "old_string": "a", "new_string": "b"},
        });
        let request = Request::of(&claude, Agent::Claude).expect("an edit");
        assert_eq!(request.cwd.as_deref(), Some("/w"));
        assert_eq!(request.files[0].path, "/w/specs/TODO.md");
        assert!(matches!(&request.files[0].undo, Undo::Replacements(it) if it.len() == 1));
        let read =
            json!({"hook_event_name": "PostToolUse", "tool_name": "Read", "tool_input": {"file_path": "/w/a.md"}});
        assert!(Request::of(&read, Agent::Claude).is_none(), "reading changes nothing");
        let pre =
            json!({"hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": {"file_path": "/w/a.md"}});
        let before = Request::of(&pre, Agent::Claude).expect("a Write about to happen");
        assert!(before.before_the_edit, "its files are kept, not judged");
        let other = json!({"hook_event_name": "Stop", "tool_name": "Write", "tool_input": {"file_path": "/w/a.md"}});
        assert!(Request::of(&other, Agent::Claude).is_none(), "only the events around a tool count");
        let generic = json!({"files": ["specs/TODO.md", {"path": "specs/state.json"}]});
        let request = Request::of(&generic, Agent::Generic).expect("files");
        assert_eq!(
            request.files.iter().map(|it| it.path.as_str()).collect::<Vec<_>>(),
            ["specs/TODO.md", "specs/state.json"]
        );
        assert!(request.files.iter().all(|it| matches!(it.undo, Undo::Head)));
        assert!(Request::of(&json!({"tool_name": "Bash"}), Agent::Generic).is_none());
        // Cursor's afterFileEdit: the file and its edits at the top, the workspace as a list.
        let cursor = json!({
            "hook_event_name": "afterFileEdit", "workspace_roots": ["/w"], "file_path": "/w/specs/TODO.md",
            "edits": [{"old_string": "[PLANNED]", "new_string": "[IMPLEMENTING]"}],
        });
        let request = Request::of(&cursor, Agent::Generic).expect("an edit");
        assert_eq!(request.cwd.as_deref(), Some("/w"));
        assert!(matches!(&request.files[0].undo, Undo::Replacements(it) if it[0].1 == "[IMPLEMENTING]"));
        assert!(Request::of(&cursor, Agent::Claude).is_none(), "not a PostToolUse event");
    }

    #[test]
    fn dot_dot_is_resolved_before_the_root_is_asked() {
        assert_eq!(lexical(Path::new("/w/specs/../../etc/passwd")), Path::new("/etc/passwd"));
        assert_eq!(lexical(Path::new("/w/./specs/TODO.md")), Path::new("/w/specs/TODO.md"));
    }
}
