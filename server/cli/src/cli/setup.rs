//! `taskmark setup git`: declares the merge driver for the workspace's tracker files in
//! `.gitattributes` and configures it in the repository's git configuration; `--check` says
//! whether a driver `.gitattributes` names is configured (so does `taskmark check`).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{exit, gitattributes, write};
use crate::engine::layout::{Classification, Role};
use crate::git::{self, ConfigScope};
use crate::transaction::{FileWrite, Transaction};
use crate::workspace;

#[derive(clap::Args, Debug)]
pub struct SetupArgs {
    #[command(subcommand)]
    what: SetupWhat,
}

#[derive(clap::Subcommand, Debug)]
enum SetupWhat {
    /// Merge tracker files task by task: `.gitattributes` entries for the tracker files found,
    /// and `merge.taskmark.driver` in the repository's git configuration.
    Git(GitArgs),
}

#[derive(clap::Args, Debug)]
struct GitArgs {
    /// Only say whether the driver `.gitattributes` names is configured (exit 1 if not).
    #[arg(long, conflicts_with_all = ["global", "dry_run"])]
    check: bool,
    /// Configure the driver in your global git configuration instead of this repository's.
    #[arg(long)]
    global: bool,
    /// Print what would be written and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The command git runs (default: this taskmark binary, by its full path).
    #[arg(long, value_name = "PROGRAM")]
    command: Option<String>,
    /// The workspace root (default: the nearest folder above with .taskmark.toml or .git).
    #[arg(long)]
    root: Option<PathBuf>,
}

const ATTRIBUTE: &str = "merge=taskmark";
const ATTRIBUTES: &str = ".gitattributes";
const HEADER: &str = "# Tracker files are merged task by task by `taskmark merge-driver` (see `taskmark setup git`).";
const NAME: &str = "taskmark: tracker files merged task by task";

pub fn setup(args: SetupArgs) -> anyhow::Result<u8> {
    match args.what {
        SetupWhat::Git(args) => setup_git(args),
    }
}

fn setup_git(args: GitArgs) -> anyhow::Result<u8> {
    let root = crate::cli::find_root(args.root.as_deref(), &[])?.path;
    let root = std::fs::canonicalize(&root).with_context(|| format!("cannot open {}", root.display()))?;
    let top = git::toplevel(&root).with_context(|| format!("{} is not in a git repository", root.display()))?;
    if args.check {
        return check_git(&top, &root);
    }
    let mut stdout = crate::cli::output::stdout();
    let trackers = TrackerFiles::of(&root, &top)?;
    let (wanted, inexpressible) = trackers.lines();
    let nothing_to_declare = wanted.is_empty() && inexpressible.is_empty();
    let attributes_path = top.join(ATTRIBUTES);
    let before = workspace::read_git_file(&top, ATTRIBUTES)
        .map_err(|reason| anyhow::format_err!("{}: {reason}; not changing it", attributes_path.display()))?;
    let declared = declared_patterns(before.as_deref().unwrap_or_default());
    let missing: Vec<&Line> = wanted.iter().filter(|it| !declared.contains(&it.pattern)).collect();
    let after = (!missing.is_empty()).then(|| {
        let mut text = before.clone().unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !text.contains(HEADER) {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(HEADER);
            text.push('\n');
        }
        for line in &missing {
            text.push_str(&line.text);
            text.push('\n');
        }
        text
    });
    let scope = if args.global { ConfigScope::Global } else { ConfigScope::Local };
    let program = match &args.command {
        Some(it) => it.clone(),
        None => shell_word(&std::env::current_exe().context("cannot tell where this taskmark is")?.to_string_lossy()),
    };
    let driver = format!("{program} merge-driver %O %A %B %P --marker-size %L");
    let config = [("merge.taskmark.name", NAME.to_string()), ("merge.taskmark.driver", driver)];
    let config_changes: Vec<&(&str, String)> = config
        .iter()
        .filter(|(key, value)| git::config_get(&top, key, Some(scope)).as_deref() != Some(value))
        .collect();
    let where_config = if args.global { "global git configuration" } else { "repository's git configuration" };
    for refused in &inexpressible {
        eprintln!("taskmark: cannot declare the merge driver for {refused}");
    }
    if nothing_to_declare && args.dry_run {
        writeln!(stdout, "no tracker files under {}: nothing to declare", root.display())?;
    }
    if args.dry_run {
        if after.is_some() {
            writeln!(stdout, "would add to {}:", attributes_path.display())?;
            for line in &missing {
                writeln!(stdout, "  {}", line.text)?;
            }
        }
        for (key, value) in &config_changes {
            writeln!(stdout, "would set in the {where_config}: {key} = {value}")?;
        }
        if after.is_none() && config_changes.is_empty() {
            writeln!(stdout, "already set up: nothing to do")?;
        }
        writeln!(stdout, "(dry run: nothing written)")?;
        return Ok(exit::CLEAN);
    }
    if let Some(after) = &after {
        let lock = match write::lock(&top, "taskmark setup git") {
            Ok(lock) => lock,
            Err(code) => return Ok(code),
        };
        let change = match &before {
            Some(before) => FileWrite::replace(".gitattributes", before.clone(), after.clone()),
            None => FileWrite::create(".gitattributes", after.clone()),
        };
        if let Err(error) = Transaction::new("taskmark setup git", vec![change]).commit(&lock) {
            return Ok(write::report_write_error(error));
        }
    }
    // Everything is written before anything is printed: a closed stdout must not leave the
    // driver declared and not configured.
    for (key, value) in &config_changes {
        git::config_set(&top, key, value, scope)?;
    }
    // What git makes of the file now: a later line, or a `.gitattributes` further down, can
    // still give a tracker file another merge.
    let not_merged = trackers.not_merged_by_the_driver(&top);
    if nothing_to_declare {
        writeln!(stdout, "no tracker files under {}: nothing to declare", root.display())?;
    }
    if after.is_some() {
        writeln!(stdout, "{}: declared the taskmark merge driver for:", attributes_path.display())?;
        for line in &missing {
            writeln!(stdout, "  {}", gitattributes::shown(&line.pattern))?;
        }
    }
    for (key, value) in &config_changes {
        writeln!(stdout, "set in the {where_config}: {key} = {value}")?;
    }
    if after.is_none() && config_changes.is_empty() && inexpressible.is_empty() {
        writeln!(stdout, "already set up: nothing to do")?;
    }
    for problem in &not_merged {
        eprintln!("taskmark: {problem}");
    }
    Ok(if !inexpressible.is_empty() {
        exit::REFUSED
    } else if !not_merged.is_empty() {
        exit::FINDINGS
    } else {
        exit::CLEAN
    })
}

/// `--check`: whether git really merges every tracker file with the driver (asked of git
/// itself, `git check-attr`), and the driver is configured and there.
fn check_git(top: &Path, root: &Path) -> anyhow::Result<u8> {
    let mut stdout = crate::cli::output::stdout();
    let text = match workspace::read_git_file(top, ATTRIBUTES) {
        Ok(text) => text.unwrap_or_default(),
        Err(reason) => {
            writeln!(stdout, "error: {}: {reason}", top.join(ATTRIBUTES).display())?;
            return Ok(exit::FINDINGS);
        }
    };
    let declared = declared_patterns(&text);
    if declared.is_empty() {
        writeln!(stdout, "no .gitattributes line names the taskmark merge driver (`taskmark setup git` adds them)")?;
        return Ok(exit::CLEAN);
    }
    if let Some(problem) = driver_problem(top) {
        writeln!(stdout, "error: {problem}")?;
        return Ok(exit::FINDINGS);
    }
    let trackers = TrackerFiles::of(root, top)?;
    let not_merged = trackers.not_merged_by_the_driver(top);
    for problem in &not_merged {
        writeln!(stdout, "error: {problem}")?;
    }
    if !not_merged.is_empty() {
        return Ok(exit::FINDINGS);
    }
    writeln!(
        stdout,
        "the taskmark merge driver is configured, and git merges all {} tracker files with it",
        trackers.files.len()
    )?;
    Ok(exit::CLEAN)
}

/// Why a merge driver `.gitattributes` names would not run: not configured, or its program
/// missing. `None` when it would (or when no line names it).
pub(crate) fn driver_problem(top: &Path) -> Option<String> {
    let Some(driver) = git::config_get(top, "merge.taskmark.driver", None) else {
        return Some(
            ".gitattributes names the taskmark merge driver (merge=taskmark) but git has no merge.taskmark.driver: git merges those files as plain text; run `taskmark setup git`".into(),
        );
    };
    let program = first_word(&driver);
    let found = if program.contains('/') {
        Path::new(&program).is_file()
    } else {
        std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(&program).is_file()))
    };
    (!found)
        .then(|| format!("merge.taskmark.driver runs `{program}`, which is not there: run `taskmark setup git` again"))
}

/// For `taskmark check`: the problem with a merge driver the repository's `.gitattributes`
/// names, if it names one.
pub(crate) fn declared_driver_problem(root: &Path) -> Option<String> {
    // The work tree's top is the nearest folder with `.git`: found without starting git, which
    // is asked only when `.gitattributes` there names the driver.
    let top = root.ancestors().find(|it| it.join(".git").exists())?;
    let text = match workspace::read_git_file(top, ATTRIBUTES) {
        Ok(text) => text?,
        Err(reason) => {
            return Some(format!(
                "{ATTRIBUTES} was not read ({reason}): whether git merges the tracker files with taskmark is not known"
            ));
        }
    };
    if declared_patterns(&text).is_empty() {
        return None;
    }
    driver_problem(top)
}

/// The first word of a shell command, unquoted.
fn first_word(command: &str) -> String {
    let command = command.trim_start();
    if let Some(rest) = command.strip_prefix('\'') {
        return rest.split('\'').next().unwrap_or_default().to_string();
    }
    if let Some(rest) = command.strip_prefix('"') {
        return rest.split('"').next().unwrap_or_default().to_string();
    }
    command.split_whitespace().next().unwrap_or_default().to_string()
}

/// A path as one shell word.
fn shell_word(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|it| it.is_ascii_alphanumeric() || "/._-+=:,@".contains(it)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The patterns `.gitattributes` gives `merge=taskmark` to, as globs (unquoted).
fn declared_patterns(text: &str) -> BTreeSet<String> {
    gitattributes::entries(text)
        .filter(|(_, attributes)| attributes.contains(&ATTRIBUTE))
        .map(|(pattern, _)| pattern)
        .collect()
}

/// A line `setup git` adds, and the glob it declares the driver for.
struct Line {
    pattern: String,
    text: String,
}

/// The workspace's tracker files, and the patterns (globs relative to the repository's top)
/// that cover them: only what it holds.
struct TrackerFiles {
    /// Relative to the repository's top.
    files: Vec<String>,
    patterns: BTreeSet<String>,
}

/// Past this many, the tracker files git does not merge with the driver are counted, not named.
const NAMED: usize = 20;

impl TrackerFiles {
    fn of(root: &Path, top: &Path) -> anyhow::Result<TrackerFiles> {
        let workspace = crate::cli::load(root)?;
        let prefix = root.strip_prefix(top).ok().and_then(workspace::slash_path).unwrap_or_default();
        let mut files = Vec::new();
        let mut patterns = BTreeSet::new();
        for (_, entry) in workspace.index.entries() {
            if !entry.class.role.is_tracker() {
                continue;
            }
            let under_top = |path: &str| if prefix.is_empty() { path.to_string() } else { format!("{prefix}/{path}") };
            files.push(under_top(&entry.path));
            let pattern = pattern_for(&entry.path, &entry.class);
            let full =
                if prefix.is_empty() { pattern } else { format!("{}/{pattern}", gitattributes::literal(&prefix)) };
            // A pattern without a slash would match the name in every folder: anchor it.
            let anchored = if full.contains('/') { full } else { format!("/{full}") };
            patterns.insert(gitattributes::line_start(anchored));
        }
        Ok(TrackerFiles { files, patterns })
    }

    /// The lines declaring the driver for each pattern, and the patterns no line can declare
    /// (with why).
    fn lines(&self) -> (Vec<Line>, Vec<String>) {
        let mut lines = Vec::new();
        let mut refused = Vec::new();
        for pattern in &self.patterns {
            match gitattributes::line(pattern, ATTRIBUTE) {
                Ok(text) => lines.push(Line { pattern: pattern.clone(), text }),
                Err(reason) => refused.push(format!("{pattern:?}: {reason}")),
            }
        }
        (lines, refused)
    }

    /// What keeps git from merging each tracker file with the driver, as git itself says
    /// (`git check-attr merge`), at most [`NAMED`] of them and a count of the rest; or why git
    /// could not be asked.
    fn not_merged_by_the_driver(&self, top: &Path) -> Vec<String> {
        if self.files.is_empty() {
            return Vec::new();
        }
        if let Some(problem) = special_attributes_file(top, &self.files) {
            return vec![problem];
        }
        let values = match git::check_attr(top, "merge", &self.files) {
            Ok(values) => values,
            Err(error) => return vec![format!("cannot ask git what it merges with the driver: {error:#}")],
        };
        let wanted = ATTRIBUTE.trim_start_matches("merge=");
        let other: Vec<String> = self
            .files
            .iter()
            .zip(&values)
            .filter(|(_, value)| *value != wanted)
            .map(|(file, value)| {
                format!("git does not merge {file:?} with the taskmark driver: its merge attribute is `{value}`")
            })
            .collect();
        let mut out: Vec<String> = other.iter().take(NAMED).cloned().collect();
        if other.len() > NAMED {
            out.push(format!("and {} more tracker files", other.len() - NAMED));
        }
        out
    }
}

/// A `.gitattributes` git would read on the way to one of `files` (or its `info/attributes`)
/// that is a named pipe, a device or a socket: git opens such a file as it is and waits, or
/// reads without end, so it is not asked.
fn special_attributes_file(top: &Path, files: &[String]) -> Option<String> {
    let mut folders: BTreeSet<&str> = BTreeSet::from([""]);
    for file in files {
        let mut rest = file.as_str();
        while let Some((folder, _)) = rest.rsplit_once('/') {
            if !folders.insert(folder) {
                break;
            }
            rest = folder;
        }
    }
    let in_tree = folders.into_iter().map(|folder| top.join(folder).join(ATTRIBUTES));
    // In the work tree git opens the file without following a link; `info/attributes` it follows.
    let special = |path: &Path, metadata: std::io::Result<std::fs::Metadata>| {
        let kind = metadata.ok()?.file_type();
        (!(kind.is_file() || kind.is_dir() || kind.is_symlink()))
            .then(|| format!("{} is not a regular file: git was not asked what it merges", path.display()))
    };
    in_tree
        .into_iter()
        .find_map(|path| special(&path, std::fs::symlink_metadata(&path)))
        .or_else(|| git::git_path(top, "info/attributes").and_then(|path| special(&path, std::fs::metadata(&path))))
}

/// One pattern per kind of tracker file: a file's own path where the tracker has one such file,
/// a glob over the folder where it has many. Every name in it is escaped ([`gitattributes::literal`]).
fn pattern_for(path: &str, class: &Classification) -> String {
    let root = gitattributes::literal(&class.root);
    let at = |rest: &str| if root.is_empty() { rest.to_string() } else { format!("{root}/{rest}") };
    let folder = path.rsplit_once('/').map_or("", |it| it.0);
    let name = path.rsplit('/').next().unwrap_or(path);
    match class.role {
        Role::TaskStateJson { archived: false } => at("*/state.json"),
        Role::TaskStateJson { archived: true } => at("archive/*/state.json"),
        Role::Plan { archived: false } => at("*/plans/*.md"),
        Role::Plan { archived: true } => at("archive/*/plans/*.md"),
        Role::MinskySpec => at("tasks/*.md"),
        Role::CompozyTask => at("*_task.md"),
        Role::BacklogTask => format!("{}/*.md", gitattributes::literal(folder)),
        // PIDEA moves a task's folder between status folders: its files by name.
        Role::PideaIndex | Role::PideaPhase => at(&format!("**/{}", gitattributes::literal(name))),
        _ => gitattributes::literal(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_patterns_are_read_back() {
        let text = "*.png binary\nspecs/TODO.md merge=taskmark\n\"my notes/TODO.md\" merge=taskmark\n# specs/x merge=taskmark\nother merge=union\n";
        let found: Vec<String> = declared_patterns(text).into_iter().collect();
        assert_eq!(found, vec!["my notes/TODO.md", "specs/TODO.md"]);
    }

    #[test]
    fn commands_are_read_as_a_shell_reads_them() {
        assert_eq!(first_word("'/opt/my tools/taskmark' merge-driver %O"), "/opt/my tools/taskmark");
        assert_eq!(first_word("taskmark merge-driver"), "taskmark");
        assert_eq!(shell_word("/usr/bin/taskmark"), "/usr/bin/taskmark");
        assert_eq!(shell_word("/opt/my tools/it's"), "'/opt/my tools/it'\\''s'");
    }
}
