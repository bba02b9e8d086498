//! The baseline for `invalid-transition`: the workspace's tracker files as committed at a
//! revision, read in bulk with one `git ls-tree` and one `git cat-file --batch`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
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

/// The commit `revision` names (`HEAD`, a branch, a tag), as a full object id.
pub fn commit_of(root: &Path, revision: &str) -> Option<String> {
    rev_parse(root, &["--verify", "--quiet", &format!("{revision}^{{commit}}")])
}

/// The tracker files of the workspace at `revision`. Paths are relative to the workspace root.
pub fn files_at(root: &Path, revision: &str) -> anyhow::Result<Vec<SourceFile>> {
    let Some(top) = toplevel(root) else { bail!("{} is not in a git repository", root.display()) };
    let prefix =
        root.strip_prefix(&top).ok().and_then(|it| it.to_str()).map(|it| it.replace('\\', "/")).unwrap_or_default();
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
    for record in listing.stdout.split(|it| *it == 0) {
        let Ok(record) = std::str::from_utf8(record) else { continue };
        let Some((meta, path)) = record.split_once('\t') else { continue };
        let mut meta = meta.split(' ');
        let (_, kind, oid) = (meta.next(), meta.next(), meta.next());
        if kind != Some("blob") {
            continue;
        }
        let relative = if prefix.is_empty() {
            path
        } else {
            match path.strip_prefix(&prefix).and_then(|it| it.strip_prefix('/')) {
                Some(it) => it,
                None => continue,
            }
        };
        let class = layout::classify(relative);
        if class.role.is_tracker() || class.role == layout::Role::BacklogConfig {
            wanted.push((relative.to_string(), oid.unwrap_or_default().to_string()));
        }
    }
    let mut batch = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot run git cat-file")?;
    let mut stdin = batch.stdin.take().context("git cat-file has no stdin")?;
    let oids: Vec<String> = wanted.iter().map(|(_, oid)| oid.clone()).collect();
    // Feed object ids from another thread so a full stdout pipe never blocks us.
    let feeder = std::thread::spawn(move || -> std::io::Result<()> {
        for oid in oids {
            writeln!(stdin, "{oid}")?;
        }
        Ok(())
    });
    let mut stdout = BufReader::new(batch.stdout.take().context("git cat-file has no stdout")?);
    let mut files = Vec::with_capacity(wanted.len());
    let mut header = String::new();
    for (path, _) in wanted {
        header.clear();
        stdout.read_line(&mut header).context("git cat-file ended early")?;
        let size: usize = header.split(' ').nth(2).and_then(|it| it.trim().parse().ok()).unwrap_or(0);
        if header.trim_end().ends_with("missing") {
            continue;
        }
        let mut content = vec![0; size];
        stdout.read_exact(&mut content).context("git cat-file ended early")?;
        let mut newline = [0u8; 1];
        stdout.read_exact(&mut newline).context("git cat-file ended early")?;
        // A file that is not UTF-8 at the baseline has no statuses to compare.
        if let Ok(text) = String::from_utf8(content) {
            files.push(SourceFile { path, text: Arc::from(text) });
        }
    }
    feeder
        .join()
        .map_err(|_| anyhow::format_err!("git cat-file feeder panicked"))?
        .context("cannot write to git cat-file")?;
    let _ = batch.wait();
    Ok(files)
}
