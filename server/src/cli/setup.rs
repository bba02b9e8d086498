//! `taskmark setup git`: declares the merge driver for the workspace's tracker files in
//! `.gitattributes` and configures it in the repository's git configuration; `--check` says
//! whether a driver `.gitattributes` names is configured (so does `taskmark check`).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{exit, write};
use crate::engine::layout::{Classification, Role};
use crate::git::{self, ConfigScope};
use crate::transaction::{FileWrite, Transaction};

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
    let wanted = patterns(&root, &top)?;
    let nothing_to_declare = wanted.is_empty();
    let attributes_path = top.join(".gitattributes");
    let before = match std::fs::read(&attributes_path) {
        Ok(bytes) => Some(String::from_utf8(bytes).context(".gitattributes is not UTF-8 text: not changing it")?),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error).context("cannot read .gitattributes"),
    };
    let declared = declared_patterns(before.as_deref().unwrap_or_default());
    let missing: Vec<&String> = wanted.iter().filter(|it| !declared.contains(*it)).collect();
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
        for pattern in &missing {
            text.push_str(&format!("{} {ATTRIBUTE}\n", quoted_pattern(pattern)));
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
    if nothing_to_declare && args.dry_run {
        writeln!(stdout, "no tracker files under {}: nothing to declare", root.display())?;
    }
    if args.dry_run {
        if let Some(after) = &after {
            writeln!(stdout, "would add to {}:", attributes_path.display())?;
            for pattern in &missing {
                writeln!(stdout, "  {} {ATTRIBUTE}", quoted_pattern(pattern))?;
            }
            let _ = after;
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
    if nothing_to_declare {
        writeln!(stdout, "no tracker files under {}: nothing to declare", root.display())?;
    }
    if after.is_some() {
        writeln!(stdout, "{}: declared the taskmark merge driver for:", attributes_path.display())?;
        for pattern in &missing {
            writeln!(stdout, "  {}", quoted_pattern(pattern))?;
        }
    }
    for (key, value) in &config_changes {
        writeln!(stdout, "set in the {where_config}: {key} = {value}")?;
    }
    if after.is_none() && config_changes.is_empty() {
        writeln!(stdout, "already set up: nothing to do")?;
    }
    Ok(exit::CLEAN)
}

fn check_git(top: &Path, root: &Path) -> anyhow::Result<u8> {
    let mut stdout = crate::cli::output::stdout();
    let text = std::fs::read_to_string(top.join(".gitattributes")).unwrap_or_default();
    let declared = declared_patterns(&text);
    if declared.is_empty() {
        writeln!(stdout, "no .gitattributes line names the taskmark merge driver (`taskmark setup git` adds them)")?;
        return Ok(exit::CLEAN);
    }
    if let Some(problem) = driver_problem(top) {
        writeln!(stdout, "error: {problem}")?;
        return Ok(exit::FINDINGS);
    }
    let wanted = patterns(root, top)?;
    let undeclared: Vec<&String> = wanted.iter().filter(|it| !declared.contains(*it)).collect();
    for pattern in &undeclared {
        writeln!(stdout, "note: {pattern} holds tracker files the driver is not declared for")?;
    }
    writeln!(stdout, "the taskmark merge driver is declared for {} pattern(s) and configured", declared.len())?;
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
    let text = std::fs::read_to_string(top.join(".gitattributes")).ok()?;
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

/// The patterns `.gitattributes` gives `merge=taskmark` to, unquoted.
fn declared_patterns(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| {
            let line = line.trim();
            let (pattern, rest) = if let Some(quoted) = line.strip_prefix('"') {
                let end = quoted.find('"')?;
                (quoted[..end].replace("\\\"", "\""), &quoted[end + 1..])
            } else {
                let mut parts = line.splitn(2, char::is_whitespace);
                (parts.next()?.to_string(), parts.next().unwrap_or_default())
            };
            rest.split_whitespace().any(|it| it == ATTRIBUTE).then_some(pattern)
        })
        .collect()
}

fn quoted_pattern(pattern: &str) -> String {
    if pattern.contains([' ', '\t', '"']) {
        format!("\"{}\"", pattern.replace('"', "\\\""))
    } else {
        pattern.to_string()
    }
}

/// The `.gitattributes` patterns (relative to the repository's top) that cover the tracker
/// files of the workspace: only what it holds.
fn patterns(root: &Path, top: &Path) -> anyhow::Result<BTreeSet<String>> {
    let workspace = crate::cli::load(root)?;
    let prefix = root.strip_prefix(top).ok().map(|it| it.to_string_lossy().replace('\\', "/")).unwrap_or_default();
    let mut out = BTreeSet::new();
    for (_, entry) in workspace.index.entries() {
        if !entry.class.role.is_tracker() {
            continue;
        }
        let pattern = pattern_for(&entry.path, &entry.class);
        let full = if prefix.is_empty() { pattern } else { format!("{prefix}/{pattern}") };
        // A pattern without a slash would match the name in every folder: anchor it.
        out.insert(if full.contains('/') { full } else { format!("/{full}") });
    }
    Ok(out)
}

/// One pattern per kind of tracker file: a file's own path where the tracker has one such file,
/// a glob over the folder where it has many.
fn pattern_for(path: &str, class: &Classification) -> String {
    let at = |rest: &str| if class.root.is_empty() { rest.to_string() } else { format!("{}/{rest}", class.root) };
    let folder = path.rsplit_once('/').map_or("", |it| it.0);
    let name = path.rsplit('/').next().unwrap_or(path);
    match class.role {
        Role::TaskStateJson { archived: false } => at("*/state.json"),
        Role::TaskStateJson { archived: true } => at("archive/*/state.json"),
        Role::Plan { archived: false } => at("*/plans/*.md"),
        Role::Plan { archived: true } => at("archive/*/plans/*.md"),
        Role::MinskySpec => at("tasks/*.md"),
        Role::CompozyTask => at("*_task.md"),
        Role::BacklogTask => format!("{folder}/*.md"),
        // PIDEA moves a task's folder between status folders: its files by name.
        Role::PideaIndex | Role::PideaPhase => at(&format!("**/{name}")),
        _ => path.to_string(),
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
        assert_eq!(quoted_pattern("my notes/TODO.md"), "\"my notes/TODO.md\"");
    }

    #[test]
    fn commands_are_read_as_a_shell_reads_them() {
        assert_eq!(first_word("'/opt/my tools/taskmark' merge-driver %O"), "/opt/my tools/taskmark");
        assert_eq!(first_word("taskmark merge-driver"), "taskmark");
        assert_eq!(shell_word("/usr/bin/taskmark"), "/usr/bin/taskmark");
        assert_eq!(shell_word("/opt/my tools/it's"), "'/opt/my tools/it'\\''s'");
    }
}
