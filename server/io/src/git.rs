//! The baseline for `invalid-transition`: the workspace's tracker files as committed at a
//! revision, read in bulk with one `git ls-tree` and one `git cat-file --batch`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::engine::index::SourceFile;
use crate::engine::layout;

/// `git -C dir rev-parse ARGS`, its output trimmed; `None` when git fails or cannot run.
fn rev_parse(dir: &Path, args: &[&str]) -> Option<String> {
    let output =
        Command::new("git").arg("-C").arg(dir).arg("rev-parse").args(args).stderr(Stdio::null()).output().ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8(output.stdout).ok()?.trim().to_string())
}

/// Whether `root` is inside a git work tree, and where its top is.
pub fn toplevel(root: &Path) -> Option<std::path::PathBuf> {
    std::fs::canonicalize(rev_parse(root, &["--show-toplevel"])?).ok()
}

/// The repository `root` is in, the same from each of its worktrees (the common git folder),
/// and where `root` is inside its worktree: what names one workspace folder across worktrees.
pub fn folder_across_worktrees(root: &Path) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let common = rev_parse(root, &["--path-format=absolute", "--git-common-dir"])?;
    let common = std::fs::canonicalize(common).ok()?;
    let top = toplevel(root)?;
    let inside = std::fs::canonicalize(root).ok()?.strip_prefix(&top).ok()?.to_path_buf();
    Some((common, inside))
}

/// The commit `revision` names (`HEAD`, a branch, a tag), as a full object id.
pub fn commit_of(root: &Path, revision: &str) -> Option<String> {
    rev_parse(root, &["--verify", "--quiet", &format!("{revision}^{{commit}}")])
}

/// The tracker files of the workspace at `revision`. Paths are relative to the workspace root.
pub fn files_at(root: &Path, revision: &str) -> anyhow::Result<Vec<SourceFile>> {
    let Some(top) = toplevel(root) else { bail!("{} is not in a git repository", root.display()) };
    let prefix = root.strip_prefix(&top).ok().and_then(crate::workspace::slash_path).unwrap_or_default();
    if commit_of(&top, revision).is_none() {
        bail!("unknown git revision `{revision}`");
    }
    let mut list = Command::new("git");
    list.arg("-C").arg(&top).args(["ls-tree", "-r", "-z", "--full-tree", revision]);
    if !prefix.is_empty() {
        list.arg("--").arg(&prefix);
    }
    let listing = list.output().context("cannot run git ls-tree")?;
    if !listing.status.success() {
        bail!("git ls-tree failed: {}", String::from_utf8_lossy(&listing.stderr).trim());
    }
    // `<mode> blob <oid>\t<path>` entries of tracker files under the workspace root.
    let mut wanted: Vec<(String, String)> = Vec::new();
    for (path, oid) in blobs(&listing.stdout) {
        let relative = if prefix.is_empty() {
            path
        } else {
            match path.strip_prefix(&prefix).and_then(|it| it.strip_prefix('/')) {
                Some(it) => it,
                None => continue,
            }
        };
        let class = layout::classify(relative);
        if class.role.is_tracker() || matches!(class.role, layout::Role::BacklogConfig | layout::Role::TaskMasterState)
        {
            wanted.push((relative.to_string(), oid.to_string()));
        }
    }
    let oids: Vec<String> = wanted.iter().map(|(_, oid)| oid.clone()).collect();
    let texts = read_blobs(&top, oids)?;
    let files = wanted
        .into_iter()
        .zip(texts)
        .filter_map(|((path, _), text)| Some(SourceFile { path, text: Arc::from(text?) }))
        .collect();
    Ok(files)
}

/// What one file held at a revision (for `taskmark hook`, which needs a single file's earlier
/// text, not the whole baseline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileAt {
    Text(String),
    /// The revision exists and does not have the file.
    Absent,
    /// No git repository, no such revision, or content that is not UTF-8: nothing to compare.
    Unknown,
}

/// The file at `relative` (to the workspace `root`) as `revision` has it, with one `git cat-file`
/// (and one `rev-parse` only when that fails, to tell a missing file from a missing revision).
/// A file larger than a tracker file taskmark reads is not read past that size: `Unknown`.
pub fn file_at(root: &Path, revision: &str, relative: &str) -> FileAt {
    // `REV:./PATH` is relative to the folder git runs in: the workspace root, wherever it is in
    // the repository.
    let object = format!("{revision}:./{relative}");
    let Ok(mut child) = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "blob", &object])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return FileAt::Unknown;
    };
    let limit = crate::workspace::MAX_FILE_BYTES;
    let mut bytes = Vec::new();
    let read = child.stdout.take().map(|it| it.take(limit + 1).read_to_end(&mut bytes));
    if bytes.len() as u64 > limit {
        let _ = child.kill();
        let _ = child.wait();
        return FileAt::Unknown;
    }
    let Ok(status) = child.wait() else { return FileAt::Unknown };
    if status.success() && matches!(read, Some(Ok(_))) {
        return String::from_utf8(bytes).map_or(FileAt::Unknown, FileAt::Text);
    }
    if commit_of(root, revision).is_some() { FileAt::Absent } else { FileAt::Unknown }
}

/// The contents of `oids`, read with one `git cat-file --batch`; `None` for a missing object or
/// one that is not UTF-8 (it has no statuses to read).
fn read_blobs(top: &Path, oids: Vec<String>) -> anyhow::Result<Vec<Option<String>>> {
    if oids.is_empty() {
        return Ok(Vec::new());
    }
    let count = oids.len();
    let (mut batch, feeder) = cat_file(top, "--batch", oids)?;
    let mut stdout = BufReader::new(batch.stdout.take().context("git cat-file has no stdout")?);
    let mut texts = Vec::with_capacity(count);
    let mut header = String::new();
    for _ in 0..count {
        header.clear();
        stdout.read_line(&mut header).context("git cat-file ended early")?;
        if header.trim_end().ends_with("missing") {
            texts.push(None);
            continue;
        }
        let size: usize = header.split(' ').nth(2).and_then(|it| it.trim().parse().ok()).unwrap_or(0);
        let mut content = vec![0; size];
        stdout.read_exact(&mut content).context("git cat-file ended early")?;
        let mut newline = [0u8; 1];
        stdout.read_exact(&mut newline).context("git cat-file ended early")?;
        texts.push(String::from_utf8(content).ok());
    }
    joined(feeder)?;
    let _ = batch.wait();
    Ok(texts)
}

/// `git cat-file MODE` with `lines` written to its input from another thread, so that a full
/// output pipe never blocks the writer: the caller reads the output, then [`joined`]s the feeder.
fn cat_file(
    top: &Path,
    mode: &str,
    lines: Vec<String>,
) -> anyhow::Result<(std::process::Child, std::thread::JoinHandle<std::io::Result<()>>)> {
    fed(top, &["cat-file", mode], lines, b'\n')
}

/// `git ARGS` with `items` written to its input, each ended by `end`, from another thread.
fn fed(
    top: &Path,
    args: &[&str],
    items: Vec<String>,
    end: u8,
) -> anyhow::Result<(std::process::Child, std::thread::JoinHandle<std::io::Result<()>>)> {
    let name = args.first().copied().unwrap_or_default();
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run git {name}"))?;
    let mut stdin = child.stdin.take().with_context(|| format!("git {name} has no stdin"))?;
    let feeder = std::thread::spawn(move || -> std::io::Result<()> {
        let mut stdin = std::io::BufWriter::new(&mut stdin);
        for item in items {
            stdin.write_all(item.as_bytes())?;
            stdin.write_all(&[end])?;
        }
        stdin.flush()
    });
    Ok((child, feeder))
}

fn joined(feeder: std::thread::JoinHandle<std::io::Result<()>>) -> anyhow::Result<()> {
    feeder.join().map_err(|_| anyhow::format_err!("a git feeder panicked"))?.context("cannot write to git")
}

/// The value git gives `attribute` for each of `paths` (relative to the work tree's top `top`),
/// in order, as `git check-attr` says it: the value (`taskmark`), or `set`, `unset`,
/// `unspecified`. Git reads the `.gitattributes` of every folder on the way to each path: the
/// caller makes sure none of them is a special file that would hang it.
pub fn check_attr(top: &Path, attribute: &str, paths: &[String]) -> anyhow::Result<Vec<String>> {
    let count = paths.len();
    let (child, feeder) = fed(top, &["check-attr", "--stdin", "-z", attribute], paths.to_vec(), 0)?;
    let output = child.wait_with_output().context("git check-attr failed")?;
    joined(feeder)?;
    if !output.status.success() {
        bail!("git check-attr failed");
    }
    // `path NUL attribute NUL value NUL` for each path, in order.
    let fields: Vec<&[u8]> = output.stdout.split(|it| *it == 0).collect();
    let values: Vec<String> = fields.chunks_exact(3).map(|it| String::from_utf8_lossy(it[2]).into_owned()).collect();
    if values.len() != count {
        bail!("git check-attr answered for {} of {count} paths", values.len());
    }
    Ok(values)
}

/// Where git keeps `what` (`info/attributes`) for the repository `top` is in, as `git rev-parse
/// --git-path` says (the common folder of a worktree's repository).
pub fn git_path(top: &Path, what: &str) -> Option<PathBuf> {
    let path = PathBuf::from(rev_parse(top, &["--git-path", what])?);
    Some(if path.is_absolute() { path } else { top.join(path) })
}

/// The `(path, object id)` of each blob in `git ls-tree -r -z` output.
fn blobs(listing: &[u8]) -> impl Iterator<Item = (&str, &str)> {
    listing.split(|it| *it == 0).filter_map(|record| {
        let (meta, path) = std::str::from_utf8(record).ok()?.split_once('\t')?;
        let mut meta = meta.split(' ');
        let (_, kind, oid) = (meta.next(), meta.next(), meta.next()?);
        (kind == Some("blob")).then_some((path, oid))
    })
}

/// `git -C top ARGS`, its standard output; an error naming the command when it fails.
fn git_output(top: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let output = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("cannot run git {}", args.join(" ")))?;
    if !output.status.success() {
        bail!("git {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(output.stdout)
}

/// One worktree of the repository, as `git worktree list --porcelain` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    pub path: PathBuf,
    /// The branch checked out (`feature-x`), `None` when detached or bare.
    pub branch: Option<String>,
    /// The commit checked out.
    pub head: Option<String>,
}

/// The repository's worktrees that taskmark reads: those git lists, and why it leaves out the
/// others.
#[derive(Debug, Default)]
pub struct Worktrees {
    /// The main one first, each checked out where git says, and leading back to this repository.
    pub found: Vec<Worktree>,
    /// `(path, why)` of each one left out.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Every worktree of the repository `root` is in, as git itself lists them (the main one
/// first), with those it is not safe to read left out: bare ones, those git marks prunable, and
/// those whose `.git` does not lead back to this repository. A worktree's entry is a file in
/// the repository's git folder (`worktrees/X/gitdir`), which a repository copied as it is can
/// forge to name any folder (the home folder, `/`): only a checkout whose own `.git` names
/// that entry, and whose entry names it, is one.
pub fn worktrees(root: &Path) -> anyhow::Result<Worktrees> {
    // `-z` (git 2.36) keeps a path with a line break whole.
    let listed = match git_output(root, &["worktree", "list", "--porcelain", "-z"]) {
        Ok(listed) => parse_worktrees(&String::from_utf8_lossy(&listed), '\0'),
        Err(_) => {
            parse_worktrees(&String::from_utf8_lossy(&git_output(root, &["worktree", "list", "--porcelain"])?), '\n')
        }
    };
    let common = rev_parse(root, &["--path-format=absolute", "--git-common-dir"])
        .and_then(|it| std::fs::canonicalize(it).ok())
        .context("git names no common folder for the repository")?;
    let mut out = Worktrees::default();
    for listed in listed {
        match listed.unusable.or_else(|| leads_elsewhere(&listed.worktree.path, &common)) {
            Some(why) => out.skipped.push((listed.worktree.path, why)),
            None => out.found.push(listed.worktree),
        }
    }
    Ok(out)
}

/// A worktree as listed, and why it is not to be read when git says so (bare, prunable).
struct Listed {
    worktree: Worktree,
    unusable: Option<String>,
}

/// The records of `git worktree list --porcelain`, whose lines end with `end` (`-z`: NUL).
fn parse_worktrees(listed: &str, end: char) -> Vec<Listed> {
    let mut out: Vec<Listed> = Vec::new();
    for line in listed.split(end) {
        if let Some(path) = line.strip_prefix("worktree ") {
            let worktree = Worktree { path: PathBuf::from(path), branch: None, head: None };
            out.push(Listed { worktree, unusable: None });
            continue;
        }
        let Some(Listed { worktree, unusable }) = out.last_mut() else { continue };
        if let Some(head) = line.strip_prefix("HEAD ") {
            worktree.head = Some(head.to_string());
        } else if let Some(branch) = line.strip_prefix("branch ") {
            worktree.branch = Some(branch.strip_prefix("refs/heads/").unwrap_or(branch).to_string());
        } else if line == "bare" {
            // A bare repository has no files to read.
            *unusable = Some("a bare repository".into());
        } else if line == "prunable" || line.starts_with("prunable ") {
            let reason = line.strip_prefix("prunable ").unwrap_or("no reason given");
            *unusable = Some(format!("git marks it prunable ({reason}); `git worktree prune` forgets it"));
        }
    }
    out
}

/// Why the checkout at `path` is not a worktree of the repository whose common git folder is
/// `common`: it is gone, or its `.git` leads elsewhere (a folder, or a `gitdir:` file, naming
/// another repository or another entry), or the entry it names does not name it back.
fn leads_elsewhere(path: &Path, common: &Path) -> Option<String> {
    let Ok(path) = std::fs::canonicalize(path) else {
        return Some("gone; `git worktree prune` forgets it".into());
    };
    let dot_git = path.join(".git");
    let Ok(metadata) = std::fs::symlink_metadata(&dot_git) else { return Some("it has no .git".into()) };
    if metadata.is_dir() {
        // The main worktree: its `.git` is the repository's git folder.
        let same = std::fs::canonicalize(&dot_git).is_ok_and(|it| it == common);
        return (!same).then(|| format!("its .git is another repository's, not {}", common.display()));
    }
    let Some(git_dir) = small_text(&dot_git)
        .and_then(|text| text.lines().next()?.strip_prefix("gitdir: ").map(str::to_string))
        .and_then(|it| std::fs::canonicalize(path.join(it.trim())).ok())
    else {
        return Some("its .git file names no git folder".into());
    };
    // A main worktree whose git folder lives elsewhere (`git init --separate-git-dir`).
    if git_dir == common {
        return None;
    }
    if git_dir.parent() != Some(common.join("worktrees").as_path()) {
        return Some(format!("its .git leads to {}, not to {}", git_dir.display(), common.join("worktrees").display()));
    }
    // The entry must name this checkout back (relative to the entry, as git 2.48 may write it).
    let named = small_text(&git_dir.join("gitdir"))
        .and_then(|text| std::fs::canonicalize(git_dir.join(text.trim_end_matches(['\n', '\r']))).ok());
    (named.as_deref() != Some(dot_git.as_path()))
        .then(|| format!("its .git leads to {}, which names another checkout", git_dir.display()))
}

/// A small file of git's own (`.git`, `gitdir`), read as any other: a regular file, bounded.
fn small_text(path: &Path) -> Option<String> {
    let (_, bytes) = crate::read::regular_file(path, 64 * 1024, true).ok()?;
    String::from_utf8(bytes).ok()
}

/// One version of a tracker's folder that some branch or worktree holds.
#[derive(Debug, Clone)]
pub struct TrackerVersion {
    /// Where it was found: `branch feature-x`, `worktree /path (HEAD)`, and how many more.
    pub label: String,
    /// The commit it was read from (the first of those holding this version).
    pub commit: String,
    /// Every file of the tracker's folder: the stores that hold ids with their text, the rest
    /// (task folders' files, Backlog.md task files, whose names carry ids) with none.
    pub files: Vec<SourceFile>,
}

/// The versions of the tracker at `scope` (relative to the workspace `root`) that the local
/// branches, the remote-tracking branches and every worktree's checked-out commit hold, each
/// distinct folder once, read from git objects (never from the other checkouts, whose
/// unsaved state is theirs). Empty outside a git repository.
pub fn tracker_versions(root: &Path, scope: &str) -> anyhow::Result<Vec<TrackerVersion>> {
    let Some((top, trees)) = tracker_trees(root, scope)? else { return Ok(Vec::new()) };
    let mut versions = Vec::new();
    for tree in trees {
        let files = tree.files(&top, scope)?;
        versions.push(TrackerVersion { label: tree.label, commit: tree.commit, files });
    }
    Ok(versions)
}

/// The distinct trees of the tracker's folder on the branches and in the worktrees, and the
/// repository's top folder; `None` outside a git repository.
pub(crate) fn tracker_trees(root: &Path, scope: &str) -> anyhow::Result<Option<(PathBuf, Vec<TrackerTree>)>> {
    let Some(top) = toplevel(root) else { return Ok(None) };
    let prefix = root.strip_prefix(&top).ok().and_then(crate::workspace::slash_path).unwrap_or_default();
    let folder = [prefix.as_str(), scope].iter().filter(|it| !it.is_empty()).copied().collect::<Vec<_>>().join("/");
    let mut revisions: Vec<(String, String)> = Vec::new();
    let refs =
        git_output(&top, &["for-each-ref", "--format=%(objectname) %(refname:short)", "refs/heads", "refs/remotes"])?;
    for line in String::from_utf8_lossy(&refs).lines() {
        if let Some((commit, name)) = line.split_once(' ')
            && !name.ends_with("/HEAD")
        {
            revisions.push((commit.to_string(), format!("branch {name}")));
        }
    }
    for worktree in worktrees(&top).map(|it| it.found).unwrap_or_default() {
        if let Some(commit) = worktree.head {
            revisions.push((commit, format!("worktree {}", worktree.path.display())));
        }
    }
    // The folder's tree in each revision, each distinct tree once.
    let names: Vec<String> = revisions.iter().map(|(commit, _)| format!("{commit}:{folder}")).collect();
    let (check, feeder) = cat_file(&top, "--batch-check", names)?;
    let checked = check.wait_with_output().context("git cat-file --batch-check failed")?;
    joined(feeder)?;
    let mut trees: Vec<(String, String, usize, String)> = Vec::new();
    for ((commit, label), line) in revisions.iter().zip(String::from_utf8_lossy(&checked.stdout).lines()) {
        let mut parts = line.split(' ');
        let (Some(oid), Some("tree")) = (parts.next(), parts.next()) else { continue };
        match trees.iter_mut().find(|(tree, _, _, _)| tree == oid) {
            Some((_, _, more, _)) => *more += 1,
            None => trees.push((oid.to_string(), label.clone(), 0, commit.clone())),
        }
    }
    let trees = trees
        .into_iter()
        .map(|(oid, label, more, commit)| TrackerTree {
            oid,
            label: if more > 0 { format!("{label} (and {more} more)") } else { label },
            commit,
        })
        .collect();
    Ok(Some((top, trees)))
}

/// One distinct tree of a tracker's folder among the branches and worktrees, not read yet.
pub(crate) struct TrackerTree {
    /// The git tree id: the same id is the same content.
    pub oid: String,
    pub label: String,
    pub commit: String,
}

impl TrackerTree {
    /// Every file of the tree that names a tracker path: the stores that hold ids with their
    /// text, the rest (whose names carry ids) with none.
    pub(crate) fn files(&self, top: &Path, scope: &str) -> anyhow::Result<Vec<SourceFile>> {
        let listing = git_output(top, &["ls-tree", "-r", "-z", &self.oid])?;
        let mut files: Vec<(String, Option<String>)> = Vec::new();
        for (path, oid) in blobs(&listing) {
            let relative = if scope.is_empty() { path.to_string() } else { format!("{scope}/{path}") };
            let role = layout::classify(&relative).role;
            let holds_ids = matches!(
                role,
                layout::Role::Todo
                    | layout::Role::StateJson
                    | layout::Role::ArchiveStateJson
                    | layout::Role::SpecKitTasks
                    | layout::Role::MinskyIndex
                    | layout::Role::CompozyIndex
                    | layout::Role::BacklogConfig
                    | layout::Role::TaskMasterTasks
            );
            if holds_ids || role.is_tracker() {
                files.push((relative, holds_ids.then(|| oid.to_string())));
            }
        }
        let oids: Vec<String> = files.iter().filter_map(|(_, oid)| oid.clone()).collect();
        let mut texts = read_blobs(top, oids)?.into_iter();
        Ok(files
            .into_iter()
            .map(|(path, oid)| {
                let text = if oid.is_some() { texts.next().flatten().unwrap_or_default() } else { String::new() };
                SourceFile { path, text: Arc::from(text) }
            })
            .collect())
    }
}

/// The commit where `a` and `b` parted, if they share history.
pub fn merge_base(root: &Path, a: &str, b: &str) -> Option<String> {
    let output = git_output(&toplevel(root)?, &["merge-base", a, b]).ok()?;
    let commit = String::from_utf8_lossy(&output).trim().to_string();
    (!commit.is_empty()).then_some(commit)
}

#[cfg(test)]
mod tests {
    #[test]
    fn worktree_lists_give_path_branch_and_head_and_mark_bare_and_prunable_ones() {
        let listed = "worktree /r\0HEAD aaa\0branch refs/heads/main\0\0worktree /r-b\0HEAD bbb\0detached\0\0worktree /bare\0bare\0\0worktree /gone\nx\0HEAD ccc\0prunable gitdir file points to non-existent location\0\0";
        let found = super::parse_worktrees(listed, '\0');
        assert_eq!(found.len(), 4);
        let worktree = |at: usize| &found[at].worktree;
        assert_eq!((worktree(0).path.to_str(), worktree(0).branch.as_deref()), (Some("/r"), Some("main")));
        assert_eq!((worktree(1).head.as_deref(), worktree(1).branch.as_deref()), (Some("bbb"), None));
        assert!(found[0].unusable.is_none() && found[1].unusable.is_none());
        assert_eq!(found[2].unusable.as_deref(), Some("a bare repository"));
        assert_eq!(worktree(3).path.to_str(), Some("/gone\nx"), "a line break in a path");
        assert!(found[3].unusable.as_deref().is_some_and(|it| it.contains("prunable (gitdir file points")));
    }
}

/// Where `git config` reads or writes: this repository's own configuration, or the user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigScope {
    Local,
    Global,
}

impl ConfigScope {
    fn flag(self) -> &'static str {
        match self {
            ConfigScope::Local => "--local",
            ConfigScope::Global => "--global",
        }
    }
}

/// `git config --get KEY` in `scope` (any scope when `None`): the value git would use.
pub fn config_get(top: &Path, key: &str, scope: Option<ConfigScope>) -> Option<String> {
    let mut command = Command::new("git");
    command.arg("-C").arg(top).arg("config");
    if let Some(scope) = scope {
        command.arg(scope.flag());
    }
    let output = command.args(["--get", key]).stderr(Stdio::null()).output().ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8(output.stdout).ok()?.trim_end_matches(['\n', '\r']).to_string())
}

/// `git config SCOPE KEY VALUE`: only `taskmark setup git` writes git's configuration, when the
/// user runs it.
pub fn config_set(top: &Path, key: &str, value: &str, scope: ConfigScope) -> anyhow::Result<()> {
    let output = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["config", scope.flag(), key, value])
        .output()
        .context("cannot run git config")?;
    if !output.status.success() {
        bail!("git config {key} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}
