//! `taskmark set` and `taskmark fix` end to end: the real binary on workspaces of our own
//! writing, killed in the middle of commits, raced by concurrent copies of itself.

use taskmark_test_support as support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;
use support::state::{journals, state_home};
use support::tracker::{Style, write_tracker};

const DATE: &str = "2026-11-23";

fn command(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_taskmark"));
    // No daemon serves this private runtime folder: these tests cover the direct write path.
    command
        .args(args)
        .arg("--root")
        .arg(root)
        .current_dir(root)
        .env_remove("TASKMARK_TEST_FAULT")
        .env("TASKMARK_RUNTIME_DIR", root.join(".no-daemon"))
        .env("TASKMARK_STATE_DIR", state_home(root));
    command
}

fn taskmark(root: &Path, args: &[&str]) -> Output {
    command(root, args).output().expect("taskmark runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `root` but taskmark's own state, by relative path.
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a folder").flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
            if relative == ".taskmark" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(relative, std::fs::read(&path).expect("a file"));
            }
        }
    }
    files
}

fn tracker(first: u32, count: u32, style: Style) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write_tracker(dir.path(), first, count, style);
    dir
}

/// The task as `taskmark show --format json` reports it.
fn show(root: &Path, task: &str) -> Value {
    let output = taskmark(root, &["show", task, "--format", "json"]);
    assert!(output.status.success(), "show {task}: {}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("show prints JSON")
}

fn diagnostics_of_task(root: &Path, task: &str) -> Vec<String> {
    let output = taskmark(root, &["check", "--no-baseline", "--format", "json"]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("check prints JSON");
    report["diagnostics"]
        .as_array()
        .expect("a diagnostics array")
        .iter()
        .filter(|it| it["task"].as_str() == Some(task))
        .map(|it| format!("{}: {}", it["code"], it["message"]))
        .collect()
}

fn statuses(view: &Value) -> Vec<String> {
    view["places"].as_array().expect("places").iter().map(|it| it["value"].as_str().unwrap_or("").to_string()).collect()
}

#[test]
fn set_changes_every_place_of_the_task_in_one_go() {
    let dir = tracker(1, 3, Style::default());
    let root = dir.path();
    let output = taskmark(root, &["set", "2", "implementing", "--date", DATE]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "Set status of 2 to [IMPLEMENTING]: wrote specs/002_task/plans/implementation-001.md, specs/TODO.md, specs/state.json\n  specs/002_task/plans/implementation-001.md: header\n  specs/TODO.md: status, Task Order line, started\n  specs/state.json: status, started\n"
    );
    let view = show(root, "2");
    assert_eq!(view["status"], "[IMPLEMENTING]");
    assert_eq!(statuses(&view), ["[IMPLEMENTING]", "implementing", "[IMPLEMENTING]", "[IN PROGRESS]"]);
    assert_eq!(diagnostics_of_task(root, "2"), Vec::<String>::new());
    // The other tasks did not move.
    assert_eq!(show(root, "1")["status"], "[PLANNED]");
    assert_eq!(leftovers(root), Vec::<String>::new());
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let dir = tracker(1, 2, Style::default());
    let before = snapshot(dir.path());
    let output = taskmark(dir.path(), &["set", "1", "implementing", "--date", DATE, "--dry-run"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("--- a/specs/TODO.md\n+++ b/specs/TODO.md\n"), "{stdout}");
    assert!(stdout.contains("-- **Status**: [PLANNED]\n+- **Status**: [IMPLEMENTING]\n"), "{stdout}");
    assert!(stdout.contains(" - **Planned**: 2026-10-02\n+- **Started**: 2026-11-23\n"), "{stdout}");
    assert!(stdout.contains("(dry run: 3 files would change, nothing written)\n  specs/"), "{stdout}");
    assert_eq!(snapshot(dir.path()), before);
}

/// A dry run or a refused change creates nothing at all: no file in the workspace and not even
/// taskmark's own state folder (the lock is taken only once there is something to write).
#[test]
fn dry_runs_and_refusals_create_not_even_the_state_folder() {
    let dir = tracker(1, 2, Style::default());
    let root = dir.path();
    let before = snapshot(root);
    let state = state_home(root);
    let attempts: [&[&str]; 6] = [
        &["set", "1", "implementing", "--date", DATE, "--dry-run"],
        &["set", "1", "completed"],
        &["set", "99", "completed"],
        &["fix", "--dry-run"],
        &["new", "Dry", "--dry-run", "--date", DATE, "--no-branches"],
        &["edit", "1", "--title", "Dry", "--dry-run"],
    ];
    for args in attempts {
        let output = taskmark(root, args);
        assert!(!state.exists(), "`taskmark {}` created {}: {}", args.join(" "), state.display(), text(&output.stderr));
        assert_eq!(snapshot(root), before, "`taskmark {}` wrote in the workspace", args.join(" "));
    }
    // The same change, written, takes the lock in the state folder (and only there).
    let written = taskmark(root, &["set", "1", "implementing", "--date", DATE]);
    assert!(written.status.success(), "{}", text(&written.stderr));
    assert!(state.is_dir());
}

#[test]
fn exit_codes_tell_refusal_conflict_and_write_failure_apart() {
    let dir = tracker(1, 2, Style::default());
    let root = dir.path();
    let before = snapshot(root);
    let refused = taskmark(root, &["set", "1", "completed"]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("not an allowed transition"), "{}", text(&refused.stderr));
    let unknown = taskmark(root, &["set", "99", "completed"]);
    assert_eq!(unknown.status.code(), Some(3));
    assert!(text(&unknown.stderr).contains("no task `99`"));
    let stale = taskmark(root, &["set", "1", "implementing", "--from", "researched"]);
    assert_eq!(stale.status.code(), Some(4));
    assert!(text(&stale.stderr).contains("task 1 is `[PLANNED]` now, not `[RESEARCHED]`"), "{}", text(&stale.stderr));
    assert_eq!(snapshot(root), before);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let state = root.join("specs/state.json");
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o444)).unwrap();
        let read_only = taskmark(root, &["set", "1", "implementing", "--date", DATE]);
        assert_eq!(read_only.status.code(), Some(5), "{}", text(&read_only.stderr));
        assert_eq!(
            text(&read_only.stderr),
            "taskmark: error: refusing to write specs/state.json: the file is read-only\n"
        );
        assert_eq!(snapshot(root), before);
    }
}

/// The lines a diff removed and added, as text.
fn changed_lines(before: &[u8], after: &[u8]) -> (Vec<String>, Vec<String>) {
    let (before, after) = (text(before), text(after));
    let diff = similar::TextDiff::from_lines(&before, &after);
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(change.value().to_string()),
            similar::ChangeTag::Insert => added.push(change.value().to_string()),
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

#[test]
fn every_byte_outside_the_edits_is_kept() {
    for style in [
        Style { crlf: true, bom: true, final_newline: false },
        Style { crlf: false, bom: true, final_newline: true },
        Style { crlf: true, bom: false, final_newline: true },
        Style { crlf: false, bom: false, final_newline: false },
    ] {
        let dir = tracker(1, 3, style);
        let root = dir.path();
        let before = snapshot(root);
        let output = taskmark(root, &["set", "2", "implementing", "--date", DATE]);
        assert!(output.status.success(), "{style:?}: {}", text(&output.stderr));
        let after = snapshot(root);
        let eol = if style.crlf { "\r\n" } else { "\n" };
        let line = |it: &str| format!("{it}{eol}");
        for (path, old) in &before {
            let new = &after[path];
            assert_eq!(new.starts_with("\u{feff}".as_bytes()), style.bom, "{style:?} {path}: the BOM");
            assert_eq!(new.ends_with(b"\n"), old.ends_with(b"\n"), "{style:?} {path}: the final newline");
            if style.crlf {
                assert!(!text(new).replace("\r\n", "").contains('\n'), "{style:?} {path}: a bare LF appeared");
            }
            let (removed, added) = changed_lines(old, new);
            let expected: (Vec<String>, Vec<String>) = match path.as_str() {
                "specs/TODO.md" => (
                    vec![line("- **2** [PLANNED] — Task 2 with ünïcødé — and\ttabs"), line("- **Status**: [PLANNED]")],
                    vec![
                        line("- **2** [IMPLEMENTING] — Task 2 with ünïcødé — and\ttabs"),
                        line("- **Status**: [IMPLEMENTING]"),
                        line("- **Started**: 2026-11-23"),
                    ],
                ),
                "specs/state.json" => (
                    vec![line("      \"status\": \"planned\","), line("      \"planned\": \"2026-10-02T09:00:00Z\"")],
                    vec![
                        line("      \"status\": \"implementing\","),
                        line("      \"planned\": \"2026-10-02T09:00:00Z\","),
                        line("      \"started\": \"2026-11-23T00:00:00Z\""),
                    ],
                ),
                "specs/002_task/plans/implementation-001.md" => {
                    (vec![line("- **Status**: [NOT STARTED]")], vec![line("- **Status**: [IN PROGRESS]")])
                }
                _ => (Vec::new(), Vec::new()),
            };
            assert_eq!((removed, added), expected, "{style:?} {path}");
        }
    }
}

fn leftovers(root: &Path) -> Vec<String> {
    let mut found: Vec<String> = snapshot(root).into_keys().filter(|it| it.contains(".taskmark-")).collect();
    found.extend(journals(&state_home(root)).iter().map(|it| it.display().to_string()));
    found
}

/// Runs `set 2 implementing` until it pauses at `step`. The stderr reader must outlive the
/// child: a closed pipe would fail its next message.
fn paused_set(root: &Path, step: &str) -> (Child, std::io::Lines<BufReader<std::process::ChildStderr>>) {
    let mut child = command(root, &["set", "2", "implementing", "--date", DATE])
        .env("TASKMARK_TEST_FAULT", format!("{step}=pause"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("taskmark starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().expect("a line on stderr").expect("readable stderr");
    assert_eq!(first, format!("taskmark: test fault: paused at {step}"));
    (child, lines)
}

#[test]
fn a_file_changed_between_read_and_commit_is_a_conflict_and_nothing_is_written() {
    let dir = tracker(1, 3, Style::default());
    let root = dir.path();
    let before = snapshot(root);
    let (mut child, mut stderr) = paused_set(root, "prepared");
    // Another tool saves state.json while taskmark is writing its temporary files.
    let edited = text(&before["specs/state.json"]).replace("\"next_project_number\": 4", "\"next_project_number\": 5");
    std::fs::write(root.join("specs/state.json"), &edited).unwrap();
    child.stdin.take().expect("stdin").write_all(b"\n").unwrap();
    let status = child.wait().expect("taskmark ends");
    let message = stderr.next().expect("a message").expect("readable stderr");
    assert_eq!(
        message,
        "taskmark: error: conflict on specs/state.json: the file changed since taskmark read it; nothing was written, run the command again"
    );
    assert_eq!(status.code(), Some(4));
    let mut expected = before.clone();
    expected.insert("specs/state.json".into(), edited.into_bytes());
    assert_eq!(snapshot(root), expected);
    assert_eq!(leftovers(root), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn a_commit_killed_at_any_step_leaves_every_file_old_or_every_file_new() {
    use std::os::unix::process::ExitStatusExt;

    let reference = tracker(1, 3, Style { crlf: true, bom: false, final_newline: true });
    let old = snapshot(reference.path());
    let output = taskmark(reference.path(), &["set", "2", "implementing", "--date", DATE]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let new = snapshot(reference.path());
    let files = old.iter().filter(|(path, bytes)| new[*path] != **bytes).count();
    assert_eq!(files, 3);

    let mut steps = vec!["prepared".to_string()];
    steps.extend((0..files).map(|it| format!("temp:{it}")));
    steps.extend(["checked".to_string(), "committed".to_string()]);
    steps.extend((0..files).map(|it| format!("renamed:{it}")));
    steps.push("synced".into());
    for step in &steps {
        let dir = tracker(1, 3, Style { crlf: true, bom: false, final_newline: true });
        let root = dir.path();
        let killed = command(root, &["set", "2", "implementing", "--date", DATE])
            .env("TASKMARK_TEST_FAULT", step)
            .output()
            .expect("taskmark runs");
        assert_eq!(killed.status.signal(), Some(9), "{step}: not killed: {}", text(&killed.stderr));
        // Killed after the last rename, only the journal is left: the change is whole on disk,
        // nothing is pending, and the next write removes the journal without a word.
        let finished = *step == format!("renamed:{}", files - 1) || step == "synced";
        // A read-only command writes nothing and says what is pending.
        let crashed = snapshot(root);
        let shown = taskmark(root, &["show", "2"]);
        assert!(shown.status.success(), "{step}: {}", text(&shown.stderr));
        let note = text(&shown.stderr);
        let reported = note.contains("interrupted transaction (set 2 implementing") && note.contains("is pending");
        assert_eq!(reported, !finished, "{step}: {note}");
        assert!(snapshot(root) == crashed, "{step}: show wrote something");
        // `taskmark recover` finishes it and says what it did.
        let next = taskmark(root, &["recover"]);
        assert!(next.status.success(), "{step}: {}", text(&next.stderr));
        let committed = steps.iter().position(|it| it == step) >= steps.iter().position(|it| it == "committed");
        let said = text(&next.stdout);
        let files_now = snapshot(root);
        if finished {
            assert!(said.contains("no interrupted transaction is pending"), "{step}: {said}");
            assert!(files_now == new, "{step}: not every file has the new content");
        } else if committed {
            assert!(said.contains("completed an interrupted transaction (set 2 implementing"), "{step}: {said}");
            assert!(files_now == new, "{step}: not every file has the new content");
        } else {
            assert!(said.contains("rolled back an interrupted transaction (set 2 implementing"), "{step}: {said}");
            assert!(files_now == old, "{step}: not every file has the old content");
        }
        assert_eq!(leftovers(root), Vec::<String>::new(), "{step}");
    }
}

#[test]
fn sixteen_processes_setting_different_tasks_all_land() {
    let dir = tracker(1, 16, Style::default());
    let root = dir.path();
    let children: Vec<(u32, Child)> = (1..=16)
        .map(|task| {
            let child = command(root, &["set", &task.to_string(), "implementing", "--date", DATE])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("taskmark starts");
            (task, child)
        })
        .collect();
    for (task, child) in children {
        let output = child.wait_with_output().expect("taskmark ends");
        assert!(output.status.success(), "task {task}: {}", text(&output.stderr));
    }
    for task in 1..=16 {
        let view = show(root, &task.to_string());
        assert_eq!(
            statuses(&view),
            ["[IMPLEMENTING]", "implementing", "[IMPLEMENTING]", "[IN PROGRESS]"],
            "task {task}"
        );
    }
    let report: Value =
        serde_json::from_slice(&taskmark(root, &["check", "--no-baseline", "--format", "json"]).stdout).unwrap();
    let problems: Vec<&Value> =
        report["diagnostics"].as_array().unwrap().iter().filter(|it| it["severity"] == "error").collect();
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn sixteen_processes_racing_for_one_task_leave_one_winner() {
    let dir = tracker(1, 1, Style::default());
    let root = dir.path();
    // The statuses PLANNED may move to (EXPANDED would close a plan with an open item: refused).
    let targets = ["implementing", "revising", "blocked"];
    let children: Vec<(&str, Child)> = (0..16)
        .map(|it| {
            let target = targets[it % targets.len()];
            let child = command(root, &["set", "1", target, "--from", "planned", "--reason", "race", "--date", DATE])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("taskmark starts");
            (target, child)
        })
        .collect();
    let mut winners = Vec::new();
    for (target, child) in children {
        let output = child.wait_with_output().expect("taskmark ends");
        match output.status.code() {
            Some(0) => winners.push(target),
            Some(4) => assert!(text(&output.stderr).contains("as expected (--from)"), "{}", text(&output.stderr)),
            other => panic!("{target}: exit {other:?}: {}", text(&output.stderr)),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let view = show(root, "1");
    let places = statuses(&view);
    assert_eq!(places[1], winners[0], "state.json says the winner's status");
    let agree = view["places"].as_array().unwrap().iter().all(|it| it["agrees"] == true);
    assert!(agree, "{view}");
    assert_eq!(diagnostics_of_task(root, "1").iter().filter(|it| it.contains("status-mismatch")).count(), 0);
}

#[test]
fn fix_applies_the_safe_fixes_in_one_transaction() {
    let dir = tracker(1, 3, Style::default());
    let root = dir.path();
    let todo = root.join("specs/TODO.md");
    let original = std::fs::read_to_string(&todo).unwrap();
    // A legacy spelling and a stale counter: both restate what the files already say.
    let broken =
        original.replacen("- **Status**: [PLANNED]", "- **Status**: [planned]", 1).replace("active: 3", "active: 1");
    std::fs::write(&todo, &broken).unwrap();
    let output = taskmark(root, &["fix", "--dry-run"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(&todo).unwrap(), broken);
    // A dry run fixed nothing, and says so (it said "Fixed ... 1 files").
    let said = text(&output.stdout);
    assert!(
        said.ends_with("Would fix 1 unknown-status, 1 stale-counts (dry run: 1 file would change, nothing written)\n"),
        "{said}"
    );
    let output = taskmark(root, &["fix"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "Fixed 1 unknown-status, 1 stale-counts: wrote specs/TODO.md\n");
    assert_eq!(std::fs::read_to_string(&todo).unwrap(), original);
    assert_eq!(text(&taskmark(root, &["fix"]).stdout), "taskmark: nothing to fix\n");
    let wrong = taskmark(root, &["fix", "--code", "open-children"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong.stderr).contains("unknown-status, stale-counts, plan-status-stale, status-mismatch"));
}

/// The files outside the workspace a hostile repository aims at, and their contents.
fn victims() -> (tempfile::TempDir, Vec<(std::path::PathBuf, &'static str)>) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let files = vec![(dir.path().join("victim.txt"), "precious\n"), (dir.path().join("keep.txt"), "keep me\n")];
    for (path, text) in &files {
        std::fs::write(path, text).expect("a victim file");
    }
    (dir, files)
}

fn untouched(victims: &[(std::path::PathBuf, &str)]) {
    for (path, text) in victims {
        assert_eq!(std::fs::read_to_string(path).ok().as_deref(), Some(*text), "{} changed", path.display());
    }
}

#[test]
fn a_journal_shipped_in_a_repository_is_never_acted_on() {
    let (_outside, targets) = victims();
    let (victim, keep) = (&targets[0].0, &targets[1].0);
    for (state, target, temp) in [
        ("committed", victim.display().to_string(), "payload".to_string()),
        ("prepared", "specs/TODO.md".to_string(), keep.display().to_string()),
    ] {
        let dir = tracker(1, 3, Style::default());
        let root = dir.path();
        std::fs::create_dir_all(root.join(".taskmark")).unwrap();
        std::fs::write(root.join("payload"), "payload").unwrap();
        let journal = serde_json::json!({"format": 1, "id": "1-1", "label": "x", "state": state,
            "files": [{"path": "specs/TODO.md", "target": target, "temp": temp, "after_hash": "00"}]});
        std::fs::write(root.join(".taskmark/journal"), journal.to_string()).unwrap();
        // The commands read-only and writing alike, with the state folder where it belongs: elsewhere.
        let state = tempfile::tempdir().unwrap();
        for args in
            [&["check", "--no-baseline", "."][..], &["show", "2"], &["set", "2", "implementing", "--date", DATE]]
        {
            let output = command(root, args).env("TASKMARK_STATE_DIR", state.path()).output().unwrap();
            let said = text(&output.stderr);
            assert!(
                said.contains(".taskmark/journal: taskmark keeps its journal outside the work tree"),
                "{args:?}: {said}"
            );
            untouched(&targets);
            assert_eq!(std::fs::read_to_string(root.join("payload")).unwrap(), "payload");
        }
        assert_eq!(show(root, "2")["status"], "[IMPLEMENTING]", "the set itself went ahead");
    }
}

#[cfg(unix)]
#[test]
fn taskmark_writes_nothing_through_links_a_repository_plants() {
    let (outside, targets) = victims();
    let victim = &targets[0].0;
    // `.taskmark/lock` and `.taskmark/.gitignore` planted as links, as the old layout used them.
    let dir = tracker(1, 3, Style::default());
    let root = dir.path();
    std::fs::create_dir_all(root.join(".taskmark")).unwrap();
    std::os::unix::fs::symlink(victim, root.join(".taskmark/lock")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("created"), root.join(".taskmark/.gitignore")).unwrap();
    let state = tempfile::tempdir().unwrap();
    // `set`, with taskmark's state where it belongs: outside the work tree.
    let set = |root: &Path| {
        let output = command(root, &["set", "2", "implementing", "--date", DATE])
            .env("TASKMARK_STATE_DIR", state.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
    };
    set(root);
    untouched(&targets);
    assert!(!outside.path().join("created").exists(), "a dangling link was followed");

    // A whole `.taskmark` folder that is a link to a folder outside.
    let dir = tracker(1, 3, Style::default());
    let root = dir.path();
    std::os::unix::fs::symlink(outside.path(), root.join(".taskmark")).unwrap();
    set(root);
    untouched(&targets);
    let mut names: Vec<String> = std::fs::read_dir(outside.path())
        .unwrap()
        .flatten()
        .map(|it| it.file_name().to_string_lossy().into())
        .collect();
    names.sort();
    assert_eq!(names, ["keep.txt", "victim.txt"], "nothing was written in the linked folder");
}

/// Kills `set 2 implementing` at `step` and gives the files' contents right after.
#[cfg(unix)]
fn killed_set(root: &Path, step: &str) -> BTreeMap<String, Vec<u8>> {
    use std::os::unix::process::ExitStatusExt;
    let killed = command(root, &["set", "2", "implementing", "--date", DATE])
        .env("TASKMARK_TEST_FAULT", step)
        .output()
        .expect("taskmark runs");
    assert_eq!(killed.status.signal(), Some(9), "{step}: not killed: {}", text(&killed.stderr));
    snapshot(root)
}

/// Appends a line to a tracker file as an editor, `git pull` or an agent would.
fn edit_by_hand(root: &Path, path: &str) -> Vec<u8> {
    let mut bytes = std::fs::read(root.join(path)).expect("a tracker file");
    bytes.extend_from_slice(b"\nEdited by hand after the crash.\n");
    std::fs::write(root.join(path), &bytes).expect("an edit");
    bytes
}

/// A write killed after its renames (where the README says an agent host may kill the daemon)
/// whose files are then edited is complete: nothing is pending, every later write goes through.
#[cfg(unix)]
#[test]
fn a_write_killed_after_its_renames_and_edited_since_leaves_nothing_stuck() {
    let dir = tracker(1, 3, Style::default());
    let root = dir.path();
    let crashed = killed_set(root, "renamed:2");
    assert!(!journals(&state_home(root)).is_empty(), "the journal is left behind");
    let edited = edit_by_hand(root, "specs/TODO.md");

    let shown = taskmark(root, &["show", "2"]);
    assert!(!text(&shown.stderr).contains("pending"), "{}", text(&shown.stderr));
    let output = taskmark(root, &["set", "3", "implementing", "--date", DATE]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).is_empty(), "a finished transaction goes without a word: {}", text(&output.stderr));
    let now = snapshot(root);
    assert!(text(&now["specs/TODO.md"]).contains("Edited by hand after the crash."), "the edit was kept");
    assert_ne!(now["specs/TODO.md"], edited, "set 3 wrote TODO.md");
    assert_ne!(crashed["specs/state.json"], now["specs/state.json"]);
    let recover = taskmark(root, &["recover"]);
    assert!(text(&recover.stdout).contains("no interrupted transaction is pending"), "{}", text(&recover.stdout));
    assert_eq!(leftovers(root), Vec::<String>::new());
}

/// Killed between its renames, then a renamed file and a file still to be renamed are edited:
/// recovery finishes the rest, keeps both edits (never renaming over a change it did not see),
/// and says which file it left as it found it.
#[cfg(unix)]
#[test]
fn recovery_finishes_what_it_can_and_keeps_edits_made_since_the_crash() {
    let reference = tracker(1, 3, Style::default());
    let old = snapshot(reference.path());
    let after_first = killed_set(reference.path(), "renamed:0");
    let renamed: Vec<&String> = old.keys().filter(|path| after_first[*path] != old[*path]).collect();
    assert_eq!(renamed.len(), 1, "one file renamed before the kill");
    let renamed = renamed[0].clone();

    let dir = tracker(1, 3, Style::default());
    let root = dir.path();
    killed_set(root, "renamed:0");
    let still_old = ["specs/TODO.md", "specs/state.json", "specs/002_task/plans/implementation-001.md"]
        .into_iter()
        .find(|it| **it != renamed)
        .expect("a file not yet renamed");
    let kept_renamed = edit_by_hand(root, &renamed);
    let kept_old = edit_by_hand(root, still_old);

    let recover = taskmark(root, &["recover"]);
    assert!(recover.status.success(), "{}", text(&recover.stderr));
    let said = text(&recover.stdout);
    assert!(said.contains("completed an interrupted transaction (set 2 implementing"), "{said}");
    assert!(said.contains(still_old) && said.contains("changed after the crash"), "{said}");
    let now = snapshot(root);
    assert_eq!(now[&renamed], kept_renamed);
    assert_eq!(now[still_old], kept_old);
    assert_eq!(leftovers(root), Vec::<String>::new());
    let output = taskmark(root, &["set", "3", "implementing", "--date", DATE]);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// A journal recovery cannot act on (here, unreadable) stops writes with a message that names
/// the way out, and `recover --discard` takes it: no file touched, the next write goes through.
#[cfg(unix)]
#[test]
fn a_journal_recovery_refuses_is_discarded_on_request_and_nothing_else_is_touched() {
    let dir = tracker(1, 3, Style::default());
    let root = dir.path();
    killed_set(root, "prepared");
    let journal = journals(&state_home(root)).pop().expect("a journal");
    std::fs::write(&journal, "{ not a journal").expect("a damaged journal");
    let before = snapshot(root);

    let refused = taskmark(root, &["set", "3", "implementing", "--date", DATE]);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("`taskmark recover --discard` forgets"), "{}", text(&refused.stderr));
    let recovered = taskmark(root, &["recover"]);
    assert!(!recovered.status.success(), "plain recover does not act on it: {}", text(&recovered.stdout));

    let discarded = taskmark(root, &["recover", "--discard"]);
    assert!(discarded.status.success(), "{}", text(&discarded.stderr));
    assert!(text(&discarded.stdout).contains("discarded the journal of an interrupted transaction"));
    assert_eq!(snapshot(root), before, "no workspace file was touched");
    assert_eq!(leftovers(root), Vec::<String>::new());
    let output = taskmark(root, &["set", "3", "implementing", "--date", DATE]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let again = taskmark(root, &["recover", "--discard"]);
    assert!(text(&again.stdout).contains("no interrupted transaction is pending"), "{}", text(&again.stdout));
}

/// `taskmark set ... | head -0`: the reader is gone before the report. The files are written,
/// so the exit status is 0 and the report goes to stderr instead.
#[test]
fn a_write_whose_stdout_is_closed_succeeds_and_reports_on_stderr() {
    let dir = tracker(1, 3, Style::default());
    let root = dir.path();
    for args in [
        &["set", "2", "implementing", "--date", DATE][..],
        &["set", "3", "implementing", "--date", DATE, "--format", "json"],
        &["new", "A task written with nobody reading"],
    ] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let output = command(root, args).stdout(writer).stderr(Stdio::piped()).output().expect("taskmark runs");
        let said = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {said}");
        assert!(!said.contains("panicked"), "{args:?}: {said}");
        assert!(said.contains("specs/TODO.md"), "{args:?}: the report is on stderr: {said}");
    }
    assert_eq!(show(root, "2")["status"], "[IMPLEMENTING]");
    assert_eq!(show(root, "3")["status"], "[IMPLEMENTING]");
    let listed = taskmark(root, &["list", "--format", "json"]);
    assert!(text(&listed.stdout).contains("A task written with nobody reading"), "{}", text(&listed.stdout));
}

/// A reason with a line break would forge a field line (a second `**Status**`, a `**Completed**`
/// stamp): refused with nothing written; `check` would not have noticed the forgery.
#[test]
fn a_reason_or_field_that_would_forge_a_tracker_line_is_refused() {
    let dir = tracker(1, 3, Style::default());
    let root = dir.path();
    let before = snapshot(root);
    for args in [
        &["set", "2", "blocked", "--reason", "waiting\n- **Status**: [COMPLETED]"][..],
        &["set", "2", "blocked", "--reason", "waiting\r- **Completed**: 2026-01-01", "--force"],
        &["set", "2", "blocked", "--reason", "waiting\u{2028}- **Plan**: [plan](x.md)"],
        &["new", "Fine", "--priority", "high\n- **Status**: [COMPLETED]"],
        &["edit", "2", "--priority", "high\n- **Status**: [COMPLETED]"],
        &["edit", "2", "--description", "x\n### 9. Forged"],
    ] {
        let output = taskmark(root, args);
        assert!(!output.status.success(), "{args:?}: {}", text(&output.stdout));
        assert!(
            text(&output.stderr).contains("line") || text(&output.stderr).contains("heading"),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert_eq!(snapshot(root), before, "{args:?} wrote something");
    }
    let output = taskmark(root, &["set", "2", "blocked", "--reason", "  waits on the API  "]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let todo = text(&snapshot(root)["specs/TODO.md"]);
    assert!(todo.contains(": waits on the API\n"), "the reason is trimmed: {todo}");
}
