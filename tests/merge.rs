//! The merge driver with real git: repositories with two and three branches and worktrees,
//! changed with taskmark's own commands, merged by `git merge` through the driver `taskmark
//! setup git` configured (this build's binary). Where the semantics decide there is no conflict
//! marker, `taskmark check` on the merged tree reports nothing the parents did not, and nothing
//! either side added is lost.

use taskmark_test_support::tracker;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A repository in a temporary folder, with taskmark's state, git's home and every worktree
/// inside it.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new(style: tracker::Style) -> Repo {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let repo = Repo { dir };
        std::fs::create_dir_all(repo.home()).expect("a home folder");
        std::fs::create_dir_all(repo.main()).expect("the repository folder");
        repo.git(&repo.main(), &["init", "-q", "-b", "main"]);
        tracker::write_tracker(&repo.main(), 1, 6, style);
        repo.commit(&repo.main(), "six planned tasks");
        repo
    }

    fn main(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn env(&self, command: &mut Command) {
        command
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("TASKMARK_STATE_DIR", self.dir.path().join("state"))
            .env("TASKMARK_RUNTIME_DIR", self.dir.path().join("runtime"))
            .env("NO_COLOR", "1");
    }

    fn git_output(&self, cwd: &Path, args: &[&str]) -> Output {
        let mut command = Command::new("git");
        command
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(cwd);
        self.env(&mut command);
        command.output().expect("git runs")
    }

    fn git(&self, cwd: &Path, args: &[&str]) -> String {
        let output = self.git_output(cwd, args);
        assert!(output.status.success(), "git {args:?} failed: {}", text(&output.stderr));
        text(&output.stdout)
    }

    fn commit(&self, cwd: &Path, message: &str) {
        self.git(cwd, &["add", "-A"]);
        self.git(cwd, &["commit", "-q", "-m", message]);
    }

    fn taskmark(&self, cwd: &Path, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_taskmark"));
        command.args(args).current_dir(cwd);
        self.env(&mut command);
        command.output().expect("the taskmark binary runs")
    }

    /// A writing command, without a daemon; it must succeed.
    fn write(&self, cwd: &Path, args: &[&str]) {
        let mut all: Vec<&str> = args.to_vec();
        all.push("--no-daemon");
        let output = self.taskmark(cwd, &all);
        assert_eq!(
            output.status.code(),
            Some(0),
            "taskmark {args:?}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
    }

    fn setup_git(&self) {
        let output = self.taskmark(&self.main(), &["setup", "git"]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        self.commit(&self.main(), "merge tracker files with taskmark");
    }

    fn read(&self, cwd: &Path, path: &str) -> String {
        std::fs::read_to_string(cwd.join(path)).expect("a tracker file")
    }

    fn show(&self, revision: &str, path: &str) -> String {
        self.git(&self.main(), &["show", &format!("{revision}:{path}")])
    }

    /// `taskmark check`'s findings (code, file, task), without the git baseline.
    fn findings(&self, cwd: &Path) -> BTreeSet<(String, String, String)> {
        let output = self.taskmark(cwd, &["check", "--no-baseline", "--format", "json", "--root", "."]);
        let json: Value = serde_json::from_slice(&output.stdout).expect("check's JSON");
        json["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|it| {
                (
                    it["code"].as_str().unwrap_or_default().to_string(),
                    it["file"].as_str().unwrap_or_default().to_string(),
                    it["task"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The findings of the tree at `revision`, checked out in a worktree of its own.
    fn findings_at(&self, revision: &str) -> BTreeSet<(String, String, String)> {
        let folder = self.dir.path().join(format!("at-{}", revision.replace(['/', '~', '^'], "-")));
        self.git(&self.main(), &["worktree", "add", "-q", "--detach", &folder.to_string_lossy(), revision]);
        let found = self.findings(&folder);
        self.git(&self.main(), &["worktree", "remove", "--force", &folder.to_string_lossy()]);
        found
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const TRACKER_FILES: [&str; 2] = ["specs/TODO.md", "specs/state.json"];

/// Lines a status decision may replace: markers, the timestamps and reasons statuses bring, the
/// counters the merge recounts.
fn decided(line: &str) -> bool {
    let trimmed = line.trim();
    let field = |name: &str| {
        trimmed.contains(&format!("**{name}**")) || trimmed.starts_with(&format!("\"{}\"", name.to_lowercase()))
    };
    ["Status", "Started", "Completed", "Blocked", "Blocking Reason", "Researched", "Planned", "Implemented", "Partial"]
        .iter()
        .any(|it| field(it))
        || trimmed.starts_with("- **") && trimmed.contains("] —")
        || trimmed.starts_with("### ✓")
        || ["next_project_number", "active:", "completed:", "not_started:", "total:", "\"_last_updated\""]
            .iter()
            .any(|it| trimmed.contains(it))
}

/// Every line `side` added to `base` is in `merged`, but for what a status decision replaces.
fn assert_nothing_lost(base: &str, side: &str, merged: &str, what: &str) {
    let base_lines: Vec<&str> = base.lines().collect();
    let side_lines: Vec<&str> = side.lines().collect();
    let merged_lines: BTreeSet<&str> = merged.lines().map(|it| it.trim_end_matches(',')).collect();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &base_lines, &side_lines) {
        let (tag, _, added) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            continue;
        }
        for line in &side_lines[added] {
            let line = line.trim_end_matches(['\r', ',']);
            if line.trim().is_empty() || decided(line) {
                continue;
            }
            assert!(merged_lines.contains(line), "{what}: the line `{line}` it added is in the merge:\n{merged}");
        }
    }
}

fn assert_no_markers(merged: &str, what: &str) {
    for marker in ["<<<<<<<", "=======\n", ">>>>>>>"] {
        assert!(!merged.contains(marker), "{what} has no conflict marker:\n{merged}");
    }
}

/// The merged tree reports nothing its parents did not.
fn assert_nothing_new(repo: &Repo, merged: &Path, parents: &[&str]) {
    let mut before = BTreeSet::new();
    for parent in parents {
        before.extend(repo.findings_at(parent));
    }
    let after = repo.findings(merged);
    let new: Vec<_> = after.difference(&before).collect();
    assert!(new.is_empty(), "the merge added findings {new:?}");
}

/// Merges `branch` into the current branch of `cwd` and checks it: clean, no markers, nothing
/// lost from either side, nothing new for `check`.
fn merge_cleanly(repo: &Repo, cwd: &Path, branch: &str) {
    let ours = repo.git(cwd, &["rev-parse", "HEAD"]).trim().to_string();
    let theirs = repo.git(cwd, &["rev-parse", branch]).trim().to_string();
    let base = repo.git(cwd, &["merge-base", &ours, &theirs]).trim().to_string();
    let output = repo.git_output(cwd, &["merge", "--no-edit", branch]);
    assert!(
        output.status.success(),
        "git merge {branch}: {}{}\n{}",
        text(&output.stdout),
        text(&output.stderr),
        TRACKER_FILES.map(|path| repo.read(cwd, path)).join("\n")
    );
    for path in TRACKER_FILES {
        let merged = repo.read(cwd, path);
        assert_no_markers(&merged, path);
        let at = |revision: &str| repo.show(revision, path);
        assert_nothing_lost(&at(&base), &at(&ours), &merged, &format!("{path} ours"));
        assert_nothing_lost(&at(&base), &at(&theirs), &merged, &format!("{path} theirs"));
    }
    assert!(serde_json::from_str::<Value>(&repo.read(cwd, "specs/state.json")).is_ok(), "state.json is JSON");
    assert_nothing_new(repo, cwd, &[&ours, &theirs]);
}

#[test]
fn two_branches_changing_the_same_and_different_tasks_merge_without_markers() {
    let repo = Repo::new(tracker::Style::default());
    repo.setup_git();
    let main = repo.main();
    repo.git(&main, &["checkout", "-q", "-b", "feature"]);
    repo.write(&main, &["set", "1", "implementing", "--date", "2026-11-01"]);
    repo.write(&main, &["set", "2", "researching", "--force", "--date", "2026-11-01"]);
    repo.write(&main, &["new", "Importer", "--no-branches", "--date", "2026-11-01"]);
    repo.commit(&main, "feature: 1 and 2 under way, a new task");
    repo.git(&main, &["checkout", "-q", "main"]);
    repo.write(&main, &["set", "1", "implementing", "--date", "2026-11-02"]);
    repo.write(&main, &["set", "1", "completed", "--force", "--date", "2026-11-03"]);
    repo.write(&main, &["set", "3", "blocked", "--reason", "waits for the parser", "--date", "2026-11-02"]);
    // `new` reads the other branches: this id is above the feature's.
    repo.write(&main, &["new", "Search", "--date", "2026-11-02"]);
    repo.commit(&main, "main: 1 done, 3 blocked, a new task");
    merge_cleanly(&repo, &main, "feature");
    let todo = repo.read(&main, "specs/TODO.md");
    for wanted in [
        "- **1** [COMPLETED]",
        "- **2** [RESEARCHING]",
        "- **3** [BLOCKED]",
        "- **7** [NOT STARTED] — Importer",
        "- **8** [NOT STARTED] — Search",
        "### 7. Importer",
        "### 8. Search",
        "next_project_number: 9",
    ] {
        assert!(todo.contains(wanted), "{wanted} in\n{todo}");
    }
    let state = repo.read(&main, "specs/state.json");
    assert!(state.contains("\"next_project_number\": 9"), "{state}");
    let list = text(&repo.taskmark(&main, &["list", "--format", "json", "--root", "."]).stdout);
    let tasks: Value = serde_json::from_str(&list).expect("list's JSON");
    assert_eq!(tasks.as_array().map(Vec::len).or(tasks["tasks"].as_array().map(Vec::len)), Some(8), "{list}");
}

#[test]
fn three_worktrees_with_an_archive_move_merge_in_turn() {
    let repo = Repo::new(tracker::Style::default());
    let main = repo.main();
    repo.write(&main, &["set", "6", "implementing", "--date", "2026-11-01"]);
    repo.write(&main, &["set", "6", "completed", "--force", "--date", "2026-11-02"]);
    repo.commit(&main, "6 done");
    repo.setup_git();
    let (b, c) = (repo.dir.path().join("wt-b"), repo.dir.path().join("wt-c"));
    repo.git(&main, &["worktree", "add", "-q", "-b", "agent-b", &b.to_string_lossy()]);
    repo.git(&main, &["worktree", "add", "-q", "-b", "agent-c", &c.to_string_lossy()]);
    repo.write(&b, &["set", "4", "researching", "--force", "--date", "2026-11-03"]);
    repo.write(&b, &["new", "Telemetry", "--date", "2026-11-03"]);
    repo.commit(&b, "agent b");
    repo.write(&c, &["archive", "6", "--date", "2026-11-04"]);
    repo.write(&c, &["set", "5", "implementing", "--date", "2026-11-04"]);
    repo.write(&c, &["new", "Backups", "--date", "2026-11-04"]);
    repo.commit(&c, "agent c");
    repo.write(&main, &["set", "4", "implementing", "--date", "2026-11-05"]);
    repo.commit(&main, "main: 4 under way");
    merge_cleanly(&repo, &main, "agent-b");
    merge_cleanly(&repo, &main, "agent-c");
    let todo = repo.read(&main, "specs/TODO.md");
    assert!(!todo.contains("### 6."), "task 6 was archived:\n{todo}");
    assert!(todo.contains("- **4** [IMPLEMENTING]"), "implementing is further along than researching:\n{todo}");
    assert!(todo.contains("- **5** [IMPLEMENTING]"), "{todo}");
    assert!(todo.contains("Telemetry") && todo.contains("Backups"), "{todo}");
    let state: Value = serde_json::from_str(&repo.read(&main, "specs/state.json")).expect("JSON");
    let numbers = |key: &str| -> Vec<i64> {
        state[key].as_array().into_iter().flatten().filter_map(|it| it["project_number"].as_i64()).collect()
    };
    assert!(!numbers("active_projects").contains(&6), "{state}");
    assert!(numbers("completed_projects").contains(&6), "{state}");
}

/// Issue 32: two tasks created on one branch and three on the other, all ids distinct: git
/// merges the tracker through the driver without a conflict, and every task is there once, in
/// TODO.md's sections and Task Order list and in state.json, ours (the branch merged into)
/// before theirs.
#[test]
fn tasks_created_on_two_branches_in_unequal_numbers_all_merge() {
    let repo = Repo::new(tracker::Style::default());
    repo.setup_git();
    let main = repo.main();
    repo.git(&main, &["checkout", "-q", "-b", "feature"]);
    for title in ["Importer", "Uploader"] {
        repo.write(&main, &["new", title, "--no-branches", "--date", "2026-11-01"]);
    }
    repo.commit(&main, "feature: two new tasks");
    repo.git(&main, &["checkout", "-q", "main"]);
    repo.write(&main, &["set", "1", "implementing", "--date", "2026-11-02"]);
    // `new` reads the other branches: these ids are above the feature's.
    for title in ["Search", "Cache", "Audit"] {
        repo.write(&main, &["new", title, "--date", "2026-11-02"]);
    }
    repo.commit(&main, "main: task 1 started, three new tasks");
    merge_cleanly(&repo, &main, "feature");
    let added = [(9, "Search"), (10, "Cache"), (11, "Audit"), (7, "Importer"), (8, "Uploader")];
    let todo = repo.read(&main, "specs/TODO.md");
    let mut at = [0, 0];
    for (id, title) in added {
        for (n, wanted) in
            [format!("\n### {id}. {title}\n"), format!("\n- **{id}** [NOT STARTED] — {title}")].iter().enumerate()
        {
            assert_eq!(todo.matches(wanted.as_str()).count(), 1, "`{wanted}` once in\n{todo}");
            let found = todo.find(wanted.as_str()).unwrap_or_default();
            assert!(found > at[n], "`{wanted}` after the tasks before it in\n{todo}");
            at[n] = found;
        }
    }
    assert!(todo.contains("- **1** [IMPLEMENTING]") && todo.contains("next_project_number: 12"), "{todo}");
    let state: Value = serde_json::from_str(&repo.read(&main, "specs/state.json")).expect("state.json is JSON");
    let numbers: Vec<u64> = state["active_projects"]
        .as_array()
        .map(|it| it.iter().filter_map(|entry| entry["project_number"].as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 9, 10, 11, 7, 8], "{state}");
    assert_eq!(state["next_project_number"].as_u64(), Some(12), "{state}");
}

/// Tasks created in unequal numbers on two branches do not hide a real conflict: one field of
/// one task written two ways is left with markers (the driver exits 1, git stops), and around
/// it every new task is kept.
#[test]
fn a_field_written_two_ways_stays_a_conflict_beside_tasks_created_in_unequal_numbers() {
    let repo = Repo::new(tracker::Style::default());
    repo.setup_git();
    let main = repo.main();
    let effort = |cwd: &Path, value: &str| {
        let todo = repo.read(cwd, "specs/TODO.md");
        let section = todo.find("\n### 2. ").expect("task 2's section");
        let (before, after) = todo.split_at(section);
        let after = after.replacen("- **Effort**: 1 hour", &format!("- **Effort**: {value}"), 1);
        std::fs::write(cwd.join("specs/TODO.md"), format!("{before}{after}")).expect("TODO.md written");
    };
    repo.git(&main, &["checkout", "-q", "-b", "feature"]);
    repo.write(&main, &["new", "Importer", "--no-branches", "--date", "2026-11-01"]);
    effort(&main, "3 hours");
    repo.commit(&main, "feature");
    repo.git(&main, &["checkout", "-q", "main"]);
    for title in ["Search", "Cache", "Audit"] {
        repo.write(&main, &["new", title, "--date", "2026-11-02"]);
    }
    effort(&main, "2 hours");
    repo.commit(&main, "main");
    let output = repo.git_output(&main, &["merge", "--no-edit", "feature"]);
    assert!(!output.status.success(), "task 2's effort is a conflict");
    let said = text(&output.stderr);
    assert!(said.contains("specs/TODO.md: 1 conflict(s) left with markers"), "{said}");
    let unmerged = repo.git(&main, &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(unmerged.trim(), "specs/TODO.md", "state.json merged: {unmerged}");
    let todo = repo.read(&main, "specs/TODO.md");
    assert!(
        todo.contains("<<<<<<< ours\n- **Effort**: 2 hours\n=======\n- **Effort**: 3 hours\n>>>>>>> theirs\n"),
        "{todo}"
    );
    assert_eq!(todo.matches("<<<<<<<").count(), 1, "{todo}");
    for (id, title) in [(8, "Search"), (9, "Cache"), (10, "Audit"), (7, "Importer")] {
        assert_eq!(todo.matches(&format!("\n### {id}. {title}\n")).count(), 1, "{todo}");
        assert_eq!(todo.matches(&format!("\n- **{id}** [NOT STARTED] — {title}")).count(), 1, "{todo}");
    }
}

#[test]
fn crlf_trackers_stay_crlf() {
    let repo = Repo::new(tracker::Style { crlf: true, ..tracker::Style::default() });
    repo.setup_git();
    let main = repo.main();
    repo.git(&main, &["checkout", "-q", "-b", "feature"]);
    repo.write(&main, &["set", "2", "implementing", "--date", "2026-11-01"]);
    repo.write(&main, &["new", "Importer", "--no-branches", "--date", "2026-11-01"]);
    repo.commit(&main, "feature");
    repo.git(&main, &["checkout", "-q", "main"]);
    repo.write(&main, &["set", "5", "implementing", "--date", "2026-11-02"]);
    repo.write(&main, &["new", "Search", "--date", "2026-11-02"]);
    repo.commit(&main, "main");
    merge_cleanly(&repo, &main, "feature");
    for path in TRACKER_FILES {
        let merged = repo.read(&main, path);
        assert_eq!(merged.matches('\n').count(), merged.matches("\r\n").count(), "{path} is CRLF throughout");
    }
    let todo = repo.read(&main, "specs/TODO.md");
    assert!(todo.contains("- **2** [IMPLEMENTING]") && todo.contains("- **5** [IMPLEMENTING]"), "{todo}");
}

#[test]
fn statuses_neither_side_is_further_along_in_are_left_as_conflicts_and_the_rest_merges() {
    let repo = Repo::new(tracker::Style::default());
    repo.setup_git();
    let main = repo.main();
    repo.git(&main, &["checkout", "-q", "-b", "feature"]);
    repo.write(&main, &["set", "1", "implementing", "--date", "2026-11-01"]);
    repo.write(&main, &["set", "2", "implementing", "--date", "2026-11-01"]);
    repo.commit(&main, "feature");
    repo.git(&main, &["checkout", "-q", "main"]);
    repo.write(&main, &["set", "1", "blocked", "--reason", "no parser yet", "--date", "2026-11-02"]);
    repo.write(&main, &["set", "3", "implementing", "--date", "2026-11-02"]);
    repo.commit(&main, "main");
    let output = repo.git_output(&main, &["merge", "--no-edit", "feature"]);
    assert!(!output.status.success(), "task 1 is a conflict");
    let unmerged = repo.git(&main, &["diff", "--name-only", "--diff-filter=U"]);
    assert!(unmerged.contains("specs/TODO.md"), "{unmerged}");
    let todo = repo.read(&main, "specs/TODO.md");
    assert!(todo.contains("<<<<<<< ours\n- **1** [BLOCKED]"), "{todo}");
    assert!(
        todo.contains("- **2** [IMPLEMENTING]") && todo.contains("- **3** [IMPLEMENTING]"),
        "the other tasks merged:\n{todo}"
    );
    // Every conflict is about task 1.
    let conflicts: Vec<&str> =
        todo.split("<<<<<<< ").skip(1).map(|it| it.split(">>>>>>>").next().unwrap_or_default()).collect();
    assert!(!conflicts.is_empty());
    for conflict in conflicts {
        assert!(
            conflict.contains("[BLOCKED]")
                || conflict.contains("Blocked")
                || conflict.contains("Started")
                || conflict.contains("Blocking"),
            "{conflict}"
        );
    }
}

#[test]
fn one_id_allocated_on_two_branches_keeps_both_tasks_and_fix_renumbers_the_newer() {
    let repo = Repo::new(tracker::Style::default());
    repo.setup_git();
    let main = repo.main();
    repo.git(&main, &["checkout", "-q", "-b", "feature"]);
    repo.write(&main, &["new", "Importer", "--plan", "--no-branches", "--date", "2026-11-01"]);
    repo.commit(&main, "feature");
    repo.git(&main, &["checkout", "-q", "main"]);
    repo.write(&main, &["new", "Search", "--plan", "--no-branches", "--date", "2026-11-02"]);
    repo.commit(&main, "main");
    let parents = [
        repo.git(&main, &["rev-parse", "HEAD"]).trim().to_string(),
        repo.git(&main, &["rev-parse", "feature"]).trim().to_string(),
    ];
    let output = repo.git_output(&main, &["merge", "--no-edit", "feature"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("id 7 was allocated on both sides"), "{}", text(&output.stderr));
    let todo = repo.read(&main, "specs/TODO.md");
    assert!(todo.contains("### 7. Importer") && todo.contains("### 7. Search"), "{todo}");
    let findings = repo.findings(&main);
    assert!(findings.iter().any(|(code, _, task)| code == "duplicate-task" && task.ends_with('7')), "{findings:?}");
    // `fix --code duplicate-task` gives the newer task (Search, created later) the next id, in
    // its section, Task Order line, state.json entry, folder and links.
    let dry = repo.taskmark(&main, &["fix", "--code", "duplicate-task", "--dry-run", "--root", "."]);
    assert_eq!(dry.status.code(), Some(0), "{}{}", text(&dry.stdout), text(&dry.stderr));
    assert!(main.join("specs/007_search").is_dir(), "a dry run moves nothing");
    repo.write(&main, &["fix", "--code", "duplicate-task", "--root", "."]);
    let todo = repo.read(&main, "specs/TODO.md");
    assert!(todo.contains("### 7. Importer") && todo.contains("### 8. Search"), "{todo}");
    assert!(
        todo.contains("- **8** [NOT STARTED] — Search") && todo.contains("- **7** [NOT STARTED] — Importer"),
        "{todo}"
    );
    assert!(todo.contains("specs/008_search/"), "{todo}");
    assert!(main.join("specs/008_search").is_dir() && !main.join("specs/007_search").exists());
    assert!(main.join("specs/007_importer").is_dir());
    let plan = std::fs::read_dir(main.join("specs/008_search/plans"))
        .expect("its plans")
        .flatten()
        .next()
        .expect("a plan")
        .path();
    let plan = std::fs::read_to_string(plan).expect("a plan");
    assert!(plan.contains("Task #8: Search") && plan.contains("- **Task**: 8 - Search"), "{plan}");
    let state = repo.read(&main, "specs/state.json");
    assert!(state.contains("\"next_project_number\": 9"), "{state}");
    let findings = repo.findings(&main);
    assert!(!findings.iter().any(|(code, _, _)| code == "duplicate-task"), "{findings:?}");
    repo.commit(&main, "renumbered");
    let mut before = BTreeSet::new();
    for parent in &parents {
        before.extend(repo.findings_at(parent));
    }
    let new: Vec<_> = findings.difference(&before).collect();
    assert!(new.is_empty(), "nothing new after the merge and the renumbering: {new:?}");
    let again = repo.taskmark(&main, &["fix", "--code", "duplicate-task", "--root", ".", "--no-daemon"]);
    assert!(text(&again.stdout).contains("nothing to renumber"), "{}", text(&again.stdout));
}

#[test]
fn setup_git_is_idempotent_keeps_what_is_there_and_dry_run_writes_nothing() {
    let repo = Repo::new(tracker::Style::default());
    let main = repo.main();
    std::fs::write(main.join(".gitattributes"), "*.png binary").expect("an attributes file");
    repo.commit(&main, "attributes");
    let dry = repo.taskmark(&main, &["setup", "git", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0));
    assert!(text(&dry.stdout).contains("specs/TODO.md merge=taskmark"), "{}", text(&dry.stdout));
    assert_eq!(repo.read(&main, ".gitattributes"), "*.png binary", "a dry run writes nothing");
    assert!(repo.git_output(&main, &["config", "--get", "merge.taskmark.driver"]).stdout.is_empty());
    let first = repo.taskmark(&main, &["setup", "git"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let attributes = repo.read(&main, ".gitattributes");
    assert!(attributes.starts_with("*.png binary\n"), "{attributes}");
    let declared: Vec<&str> = attributes.lines().filter(|it| it.ends_with(" merge=taskmark")).collect();
    assert_eq!(
        declared,
        ["specs/*/plans/*.md merge=taskmark", "specs/TODO.md merge=taskmark", "specs/state.json merge=taskmark"]
    );
    let driver = repo.git(&main, &["config", "--local", "--get", "merge.taskmark.driver"]);
    assert!(
        driver.starts_with(env!("CARGO_BIN_EXE_taskmark")) && driver.contains("merge-driver %O %A %B %P"),
        "{driver}"
    );
    assert!(!repo.home().join(".gitconfig").exists(), "nothing global without --global");
    let second = repo.taskmark(&main, &["setup", "git"]);
    assert!(text(&second.stdout).contains("already set up"), "{}", text(&second.stdout));
    assert_eq!(repo.read(&main, ".gitattributes"), attributes);
    let check = repo.taskmark(&main, &["setup", "git", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    // Declared but no longer configured: --check fails and `check` says so.
    repo.git(&main, &["config", "--unset", "merge.taskmark.driver"]);
    let check = repo.taskmark(&main, &["setup", "git", "--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stdout));
    assert!(
        text(&check.stdout).contains("declared") || text(&check.stdout).contains("no merge.taskmark.driver"),
        "{}",
        text(&check.stdout)
    );
    let report = repo.taskmark(&main, &["check", "--no-baseline", "--root", "."]);
    assert!(
        text(&report.stdout).contains("warning: .gitattributes names the taskmark merge driver"),
        "{}",
        text(&report.stdout)
    );
    // --global: the user's configuration, and nothing in the repository's.
    let global = repo.taskmark(&main, &["setup", "git", "--global", "--command", "taskmark"]);
    assert_eq!(global.status.code(), Some(0), "{}", text(&global.stderr));
    let user = std::fs::read_to_string(repo.home().join(".gitconfig"))
        .or_else(|_| std::fs::read_to_string(repo.home().join(".config/git/config")))
        .expect("the user's git configuration");
    assert!(user.contains("driver = taskmark merge-driver %O %A %B %P"), "{user}");
    assert!(repo.git_output(&main, &["config", "--local", "--get", "merge.taskmark.driver"]).stdout.is_empty());
}

/// A side the file's parser cannot read is not merged, as git does not merge a binary file: ours
/// stays as it was, git is told the file is a conflict, and the driver says why.
#[test]
fn a_side_that_does_not_parse_leaves_ours_as_it_was_and_the_file_a_conflict() {
    let repo = Repo::new(tracker::Style::default());
    repo.setup_git();
    let main = repo.main();
    let state = repo.read(&main, "specs/state.json");
    let broken = std::path::Path::new("specs/state.json");
    repo.git(&main, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(main.join(broken), state.replacen("\"status\": \"planned\",", "\"status\": \"planned\",,", 1))
        .expect("write");
    repo.commit(&main, "feature breaks state.json");
    repo.git(&main, &["checkout", "-q", "main"]);
    let ours = state.replace("\"next_project_number\": 7", "\"next_project_number\": 8");
    std::fs::write(main.join(broken), &ours).expect("write");
    repo.commit(&main, "main");
    let output = repo.git_output(&main, &["merge", "--no-edit", "feature"]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "git merge stops: {stderr}");
    assert!(stderr.contains("theirs does not parse") && stderr.contains("not merged"), "{stderr}");
    let unmerged = repo.git(&main, &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(unmerged.trim(), "specs/state.json");
    assert_eq!(repo.read(&main, "specs/state.json"), ours, "ours as it was");
}

/// The driver run by hand as git runs it, on files that are not text: git's way with a binary
/// file (ours as it was, exit 1, a conflict), said on stderr; never a line merge of bytes.
#[test]
fn the_driver_on_binary_input_keeps_ours_and_reports_a_conflict() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    };
    let run = |args: &[&Path]| {
        Command::new(env!("CARGO_BIN_EXE_taskmark"))
            .arg("merge-driver")
            .args(args)
            .arg("TODO.md")
            .current_dir(dir.path())
            .output()
            .expect("the driver runs")
    };
    let base = write("base", b"# TODO\n- [ ] one\n");
    let theirs = write("theirs", b"# TODO\n- [ ] two\n- [ ] one\n");
    for (what, ours_bytes) in [
        ("NUL bytes", b"# TODO\n\xff\x00\xfe binary\n- [x] one\n".as_slice()),
        ("not UTF-8", b"# TODO\n- [x] \xc3\x28 one\n".as_slice()),
    ] {
        let ours = write("ours", ours_bytes);
        let output = run(&[&base, &ours, &theirs]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{what}: {stderr}");
        assert!(stderr.contains(what) && stderr.contains("not merged; ours is left as it was"), "{what}: {stderr}");
        assert!(!stderr.contains("with markers"), "{what}: no markers were written: {stderr}");
        assert_eq!(std::fs::read(&ours).expect("read"), ours_bytes, "{what}: ours as it was");
    }
    // A side git could not give: an error, and ours as it was (git then reports a conflict).
    let ours = write("ours", b"# TODO\n- [x] one\n");
    let output = run(&[&dir.path().join("missing"), &ours, &theirs]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read(&ours).expect("read"), b"# TODO\n- [x] one\n");
}

/// The lines of a merged text outside its conflict blocks, and the conflict blocks themselves.
fn outside_and_conflicts(merged: &str) -> (Vec<&str>, Vec<String>) {
    let (mut outside, mut conflicts) = (Vec::new(), Vec::new());
    let mut current: Option<String> = None;
    for line in merged.lines() {
        if line.starts_with("<<<<<<<") {
            current = Some(String::new());
        } else if line.starts_with(">>>>>>>") {
            conflicts.extend(current.take());
        } else if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
        } else {
            outside.push(line);
        }
    }
    (outside, conflicts)
}

/// Both branches add the same task (same id, same title) with fields that differ: a status
/// neither is further along in, or a single-valued field such as the priority. Those are not
/// lists: writing both lines would say two things of one task, so each is a conflict with
/// markers, and git is told (the merge stops).
#[test]
fn the_same_task_added_on_both_sides_with_different_fields_is_a_conflict_git_sees() {
    let repo = Repo::new(tracker::Style::default());
    repo.setup_git();
    let main = repo.main();
    repo.git(&main, &["checkout", "-q", "-b", "feature"]);
    repo.write(&main, &["new", "Importer", "--priority", "High", "--no-branches", "--date", "2026-11-01"]);
    repo.write(&main, &["set", "7", "implementing", "--date", "2026-11-01"]);
    repo.write(&main, &["new", "Exporter", "--priority", "High", "--no-branches", "--date", "2026-11-01"]);
    repo.write(&main, &["set", "8", "implementing", "--date", "2026-11-01"]);
    repo.commit(&main, "feature");
    repo.git(&main, &["checkout", "-q", "main"]);
    repo.write(&main, &["new", "Importer", "--priority", "High", "--no-branches", "--date", "2026-11-01"]);
    repo.write(&main, &["set", "7", "blocked", "--reason", "no parser", "--date", "2026-11-02"]);
    repo.write(&main, &["new", "Exporter", "--priority", "Low", "--no-branches", "--date", "2026-11-01"]);
    repo.write(&main, &["set", "8", "implementing", "--date", "2026-11-01"]);
    repo.commit(&main, "main");
    let output = repo.git_output(&main, &["merge", "--no-edit", "feature"]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "git merge stops: {stderr}");
    let unmerged = repo.git(&main, &["diff", "--name-only", "--diff-filter=U"]);
    assert!(unmerged.contains("specs/TODO.md") && unmerged.contains("specs/state.json"), "{unmerged}\n{stderr}");
    let todo = repo.read(&main, "specs/TODO.md");
    let (outside, conflicts) = outside_and_conflicts(&todo);
    // Task 7: [BLOCKED] here, [IMPLEMENTING] there, each a status line only inside a conflict.
    for status in ["[BLOCKED]", "[IMPLEMENTING]"] {
        assert!(
            !outside.iter().any(|it| it.contains("**7**") && it.contains(status)),
            "7's Task Order line with {status} is inside a conflict:\n{todo}"
        );
        assert!(
            conflicts.iter().any(|it| it.contains(&format!("- **Status**: {status}"))),
            "7's {status} is inside a conflict:\n{todo}"
        );
    }
    let section = |id: &str| -> Vec<&str> {
        let heading = format!("### {id}. ");
        outside
            .iter()
            .skip_while(|it| !it.starts_with(&heading))
            .skip(1)
            .take_while(|it| !it.starts_with("### "))
            .copied()
            .collect()
    };
    assert!(outside.contains(&"### 7. Importer") && outside.contains(&"### 8. Exporter"), "each task once:\n{todo}");
    assert!(!section("7").iter().any(|it| it.starts_with("- **Status**:")), "7's status is undecided:\n{todo}");
    // Task 8: the same status on both sides (kept once), a priority on each: a conflict.
    let eight = section("8");
    assert_eq!(eight.iter().filter(|it| it.starts_with("- **Status**:")).count(), 1, "{todo}");
    assert!(!eight.iter().any(|it| it.starts_with("- **Priority**:")), "8's priority is not written twice:\n{todo}");
    assert!(
        conflicts.iter().any(|it| it.contains("- **Priority**: Low") && it.contains("- **Priority**: High")),
        "8's priority is a conflict:\n{todo}"
    );
    assert!(stderr.contains("specs/TODO.md") && stderr.contains("conflict"), "{stderr}");
}

/// The driver run by hand, as git runs it, on three files of `dir` (`base`, `ours`, `theirs`);
/// killed (and the test failed) past `limit`, so that a merge that stalls fails the suite
/// instead of hanging it.
fn driver_within(dir: &Path, path: &str, fault: Option<&str>, limit: Duration) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_taskmark"));
    command
        .arg("merge-driver")
        .args(["base", "ours", "theirs", path])
        .current_dir(dir)
        .env_remove("TASKMARK_TEST_FAULT");
    if let Some(step) = fault {
        command.env("TASKMARK_TEST_FAULT", step);
    }
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the driver starts");
    let started = Instant::now();
    while child.try_wait().expect("the driver can be waited for").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the merge driver ran for more than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("the driver's output")
}

/// The merge is written over %A whole or not at all: killed once its temporary file is on disk,
/// the driver leaves %A as git wrote it; killed right after the rename, %A is the merge; and %A
/// keeps its permissions.
#[test]
fn the_driver_replaces_ours_whole_or_not_at_all() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::ExitStatusExt;

    let dir = tempfile::tempdir().expect("a temporary folder");
    let (ours_before, merged) = ("A\nb\nc\nd\n".repeat(2000), "A\nb\nC\nd\n".repeat(2000));
    std::fs::write(dir.path().join("base"), "a\nb\nc\nd\n".repeat(2000)).expect("write");
    std::fs::write(dir.path().join("theirs"), "a\nb\nC\nd\n".repeat(2000)).expect("write");
    let ours = dir.path().join("ours");
    let fresh_ours = || {
        std::fs::write(&ours, &ours_before).expect("write");
        std::fs::set_permissions(&ours, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    };
    for (step, expected) in [("merge:temp", &ours_before), ("merge:renamed", &merged)] {
        fresh_ours();
        let output = driver_within(dir.path(), "notes.md", Some(step), Duration::from_secs(60));
        assert_eq!(output.status.signal(), Some(9), "killed at {step}: {}", text(&output.stderr));
        assert_eq!(&std::fs::read_to_string(&ours).expect("read"), expected, "killed at {step}");
    }
    fresh_ours();
    let output = driver_within(dir.path(), "notes.md", None, Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(&ours).expect("read"), merged);
    assert_eq!(std::fs::metadata(&ours).expect("metadata").permissions().mode() & 0o777, 0o640);
    let temporary: Vec<_> = std::fs::read_dir(dir.path())
        .expect("the folder")
        .flatten()
        .map(|it| it.file_name().to_string_lossy().into_owned())
        .filter(|it| it.contains(".tmp") && !it.contains(&std::process::id().to_string()))
        .collect();
    // The killed runs left theirs; the clean run left none of its own.
    assert_eq!(temporary.len(), 1, "{temporary:?}");
}

/// Every diff the driver runs has a cost limit. Sides that differ in each of 100,000 lines, or
/// that reorder them all, took a quadratic diff minutes (more than 300 s in a release build);
/// now they are merged in bounded time, as conflicts where both sides changed the same lines,
/// and nothing either side wrote is lost. The limit is generous, for a debug build on a busy
/// machine.
#[test]
fn a_hostile_merge_of_many_differing_lines_finishes_in_bounded_time() {
    let lines = |make: &dyn Fn(usize) -> String| -> String { (0..100_000).map(|it| make(it) + "\n").collect() };
    let base_items: Vec<String> = (0..100_000).map(|it| format!("- item {}\n", it % 1000)).collect();
    let cases = [
        (
            "differing",
            lines(&|it| format!("base line {it}")),
            lines(&|it| format!("ours line {it}")),
            lines(&|it| format!("theirs line {it}")),
        ),
        (
            "reordered",
            base_items.concat(),
            base_items.iter().rev().cloned().collect::<String>(),
            lines(&|it| format!("- item {}", it * 7 % 1000)),
        ),
    ];
    for (what, base, ours, theirs) in cases {
        let dir = tempfile::tempdir().expect("a temporary folder");
        for (name, content) in [("base", &base), ("ours", &ours), ("theirs", &theirs)] {
            std::fs::write(dir.path().join(name), content).expect("write");
        }
        let output = driver_within(dir.path(), "specs/TODO.md", None, Duration::from_secs(20));
        assert_eq!(output.status.code(), Some(1), "{what}: {}", text(&output.stderr));
        let merged = std::fs::read_to_string(dir.path().join("ours")).expect("read");
        let (_, conflicts) = outside_and_conflicts(&merged);
        assert!(!conflicts.is_empty(), "{what}: both sides changed the same lines");
        let present: BTreeSet<&str> = merged.lines().collect();
        for line in ours.lines().chain(theirs.lines()) {
            assert!(present.contains(line), "{what}: `{line}` is in the merge");
        }
    }
}
