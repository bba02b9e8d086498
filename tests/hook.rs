//! `taskmark hook`: the real binary fed the payloads of `tests/fixtures/hook-payloads/` on stdin,
//! after the edit each one describes was made to a copy of the example workspace (as the agent
//! made it), in a git repository.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use taskmark_test_support::git;

use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a folder");
    for entry in std::fs::read_dir(from).expect("a fixture folder") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("a copied file");
        }
    }
}

/// A copy of the example workspace committed in a fresh git repository, at `<tmp>/ws`.
fn example_repository() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().join("ws");
    copy_dir(&fixtures().join("example"), &root);
    git(&root, &["init", "-q"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "example"]);
    let root = std::fs::canonicalize(&root).expect("a canonical root");
    (dir, root)
}

/// The payload fixture `name` with `{ROOT}` standing for `root`.
fn payload(name: &str, root: &Path) -> String {
    let text = std::fs::read_to_string(fixtures().join("hook-payloads").join(name)).expect("a payload fixture");
    // The root as it appears inside a JSON string.
    let escaped = serde_json::to_string(&root.to_string_lossy()).expect("a JSON string");
    text.replace("{ROOT}", escaped.trim_matches('"'))
}

/// Makes the edit the payload describes, as the agent did before its hook ran.
fn apply(payload: &str) {
    let payload: Value = serde_json::from_str(payload).expect("a JSON payload");
    let input = &payload["tool_input"];
    let cwd = PathBuf::from(payload["cwd"].as_str().expect("a cwd"));
    let path = cwd.join(input["file_path"].as_str().expect("a file path"));
    if let Some(content) = input["content"].as_str() {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folders");
        std::fs::write(&path, content).expect("the written file");
        return;
    }
    let edits = match input["edits"].as_array() {
        Some(edits) => edits.clone(),
        None => vec![input.clone()],
    };
    let mut text = std::fs::read_to_string(&path).expect("the edited file");
    for edit in edits {
        let (old, new) = (edit["old_string"].as_str().expect("old"), edit["new_string"].as_str().expect("new"));
        assert_eq!(text.matches(old).count(), 1, "the payload's old_string is unique in {}", path.display());
        text = text.replacen(old, new, 1);
    }
    std::fs::write(&path, text).expect("the edited file");
}

fn hook(cwd: &Path, args: &[&str], stdin: &str) -> Output {
    hook_within(cwd, args, stdin.to_string(), Duration::from_secs(120)).0
}

/// `taskmark check --no-baseline` in `root`.
fn check_in(root: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["check", "--no-baseline"])
        .current_dir(root)
        .output()
        .expect("check runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs the edit of payload `name` in a fresh example repository and then the hook.
fn edited(name: &str, args: &[&str]) -> (tempfile::TempDir, PathBuf, Output) {
    let (dir, root) = example_repository();
    let payload = payload(name, &root);
    apply(&payload);
    let output = hook(&root, args, &payload);
    (dir, root, output)
}

fn assert_silent(output: &Output) {
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(output));
    assert_eq!(stderr(output), "", "nothing on stderr");
    assert_eq!(stdout(output), "", "nothing on stdout");
}

#[test]
fn an_invalid_marker_is_reported_with_its_code_and_fix_and_exit_status_2() {
    let (_dir, _root, output) = edited("edit-invalid-marker.json", &["claude"]);
    assert_eq!(output.status.code(), Some(2), "Claude Code shows stderr to the model on exit 2");
    let message = stderr(&output);
    assert!(message.starts_with("taskmark: this edit of specs/TODO.md left "), "{message}");
    assert!(message.contains("specs/TODO.md:41: error[unknown-status]: unknown status `[PLANED]`"), "{message}");
    assert!(message.contains("Replace with `[PLANNED]`"), "the exact fix: {message}");
    assert!(message.contains("`taskmark set ID STATUS`"), "the way to change statuses: {message}");
    assert_eq!(stdout(&output), "");
    // Only what the edit added: the example's own problems (task 13's mismatch) are not listed.
    assert!(!message.contains("task 13"), "{message}");
}

#[test]
fn the_json_format_is_claude_codes_decision_object() {
    let (_dir, _root, output) = edited("edit-invalid-marker.json", &["claude", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "the decision is in the JSON, not the status");
    let decision: Value = serde_json::from_str(&stdout(&output)).expect("one JSON object");
    assert_eq!(decision["decision"], "block");
    let reason = decision["reason"].as_str().expect("a reason");
    assert!(reason.contains("error[unknown-status]") && reason.contains("Replace with `[PLANNED]`"), "{reason}");
    assert_eq!(stderr(&output), "");
}

#[test]
fn an_edit_that_leaves_the_old_problems_alone_is_silent() {
    let (_dir, root, output) = edited("edit-leaves-old-problems.json", &["claude"]);
    // The edit moved every line below it down by two: the old problems' lines changed, and
    // they are still the old problems.
    assert_silent(&output);
    let check = check_in(&root);
    assert_eq!(check.status.code(), Some(1), "the workspace does have errors, from before the edit");
    assert!(stdout(&check).contains("status-mismatch"));
}

#[test]
fn a_file_that_is_not_a_tracker_file_is_silent() {
    let (_dir, _root, output) = edited("edit-not-a-tracker.json", &["claude"]);
    assert_silent(&output);
}

#[test]
fn a_write_that_creates_a_plan_is_compared_with_no_file() {
    let (_dir, _root, output) = edited("write-creates-plan.json", &["claude"]);
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("this edit of specs/015_export_csv/plans/implementation-001.md"), "{message}");
    assert!(message.contains("error[status-mismatch]: task 15"), "a plan done for a task not started: {message}");
    assert!(message.contains("`taskmark set 15 STATUS`"), "{message}");
}

#[test]
fn a_multiedit_is_undone_edit_by_edit_and_problems_in_other_files_count() {
    let (_dir, _root, output) = edited("multiedit-status.json", &["claude"]);
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    let message = stderr(&output);
    // TODO.md agrees with itself; state.json, which the edit did not touch, now disagrees.
    assert!(message.contains("specs/state.json:"), "{message}");
    assert!(message.contains("status-mismatch]: task 14"), "{message}");
    assert!(!message.contains("invalid-transition"), "[PLANNED] -> [IMPLEMENTING] is allowed: {message}");
    // The second edit wrote what task 12's section already said, so the payload cannot say
    // which section it changed: the text before comes from git HEAD, and task 12's old
    // problems stay old.
    assert!(!message.contains("task 12"), "{message}");
    // Task 14's plan, which the edit did not touch but now disagrees with, is read and named.
    assert!(
        message.contains("specs/014_conflict_ui/plans/implementation-001.md:4: error[status-mismatch]"),
        "{message}"
    );
}

#[test]
fn a_broken_payload_never_blocks_the_agent() {
    let (dir, root) = example_repository();
    let broken = payload("broken.json", &root);
    let output = hook(&root, &["claude"], &broken);
    assert_eq!(output.status.code(), Some(0));
    let note = stderr(&output);
    assert!(note.starts_with("taskmark hook: note: ") && note.contains("not JSON"), "{note}");
    assert_eq!(note.lines().count(), 1, "one line: {note}");
    let output = hook(&root, &["generic"], "");
    assert_eq!(output.status.code(), Some(0), "an empty payload: {}", stderr(&output));
    drop(dir);
}

#[test]
fn a_path_outside_the_root_is_never_read() {
    let (dir, root) = example_repository();
    // A tracker beside the workspace with an edit that would be a new error there.
    let outside = dir.path().join("outside");
    copy_dir(&fixtures().join("example"), &outside);
    let payload = payload("edit-outside-root.json", &root);
    apply(&payload);
    let check = check_in(&outside);
    assert!(stdout(&check).contains("[PLANED]"), "the outside tracker does have the problem");
    assert_silent(&hook(&root, &["claude"], &payload));
    // The same through a symlinked folder inside the root.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, root.join("linked")).expect("a link");
        let through_link = payload.replace("/specs/../../outside/specs/TODO.md", "/linked/specs/TODO.md");
        assert_ne!(through_link, payload);
        assert_silent(&hook(&root, &["claude"], &through_link));
    }
}

#[test]
fn a_relative_path_is_read_from_the_payloads_cwd() {
    let (_dir, root, _) = edited("edit-relative-path.json", &["claude"]);
    let payload = payload("edit-relative-path.json", &root);
    // The hook runs elsewhere: only the payload says where the agent was.
    let elsewhere = tempfile::tempdir().expect("a temporary folder");
    let output = hook(elsewhere.path(), &["claude"], &payload);
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    let message = stderr(&output);
    // The root is above the agent's folder: paths are absolute, never ambiguous.
    assert!(message.contains(&format!("this edit of {}/specs/state.json", root.display())), "{message}");
    assert!(message.contains("unknown-status") && message.contains("in_review"), "{message}");
}

#[test]
fn a_generic_payload_naming_files_is_compared_with_git_head() {
    let (_dir, root) = example_repository();
    let state = root.join("specs/state.json");
    let text = std::fs::read_to_string(&state).expect("state.json");
    std::fs::write(&state, text.replacen("\"status\": \"implementing\"", "\"status\": \"completed\"", 1))
        .expect("an edit");
    let output = hook(&root, &["generic"], &payload("generic-files.json", &root));
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("status-mismatch]: task 12"), "{message}");
    assert!(!message.contains("task 13"), "task 13's mismatch was there at HEAD: {message}");
    // With the file as HEAD has it, nothing is new.
    std::fs::write(&state, text).expect("the edit undone");
    assert_silent(&hook(&root, &["generic"], &payload("generic-files.json", &root)));
}

#[test]
fn a_deletion_outside_git_cannot_be_compared_and_says_so() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().join("ws");
    copy_dir(&fixtures().join("example"), &root);
    let root = std::fs::canonicalize(&root).expect("a canonical root");
    let payload = payload("edit-deletion.json", &root);
    apply(&payload);
    // A deleted line leaves no trace to undo, and there is no git HEAD to read.
    let output = hook(&root, &["claude"], &payload);
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("cannot tell what the file held before this edit"), "{message}");
    assert!(message.contains("missing-field"), "the file's old problems are all listed: {message}");
    assert!(!message.contains("specs/state.json:"), "only the edited file's: {message}");
    // In a repository, HEAD is the text before: nothing is new.
    git(&root, &["init", "-q"]);
    std::fs::write(
        root.join("specs/TODO.md"),
        std::fs::read(fixtures().join("example/specs/TODO.md")).expect("the fixture"),
    )
    .expect("the edit undone");
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "example"]);
    apply(&payload);
    assert_silent(&hook(&root, &["claude"], &payload));
}

#[test]
fn an_edit_that_fixes_a_phase_marker_is_not_blocked() {
    // The phase's `[IN PROGRES]` counted for nothing: fixing it turns the plan's stale-header
    // warning from "2 of 3 phases" into "3 of 3", the same problem with new words.
    let (_dir, root, output) = edited("edit-fixes-phase-marker.json", &["claude"]);
    assert_silent(&output);
    let check = check_in(&root);
    assert!(stdout(&check).contains("3 of 3 phases are under way or done"), "the warning is still there, reworded");
}

/// Runs the hook with `stdin` (written from another thread, so a hook that does not read it all
/// still ends), killing it and failing past `limit`: the old hook took minutes on these inputs.
fn hook_within(cwd: &Path, args: &[&str], stdin: String, limit: Duration) -> (Output, Duration) {
    // Its own time limit (5 s) is not what these tests measure: a loaded machine must not turn
    // the answer into a note.
    let mut child = spawn_hook(cwd, &[args, &["--time-limit", "600"]].concat());
    let mut input = child.stdin.take().expect("stdin");
    std::thread::spawn(move || {
        let _ = input.write_all(stdin.as_bytes());
    });
    finished_within(child, limit)
}

/// `taskmark hook ARGS` started in `cwd`, its stdin, stdout and stderr piped.
fn spawn_hook(cwd: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .arg("hook")
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("TASKMARK_STATE_DIR", cwd.join(".state"))
        .env("TASKMARK_RUNTIME_DIR", cwd.join(".runtime"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the taskmark binary runs")
}

/// The hook's output once it exits, and how long that took; killed, and the test failed, past
/// `limit`.
fn finished_within(mut child: std::process::Child, limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    while child.try_wait().expect("waitable").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("taskmark hook did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (child.wait_with_output().expect("its output"), started.elapsed())
}

/// A generous limit for inputs the hook must get through in well under a second (a debug
/// build, on a loaded machine); the quadratic hook took 219 s and more than 90 s on them.
const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn a_payload_naming_a_hundred_thousand_files_is_answered_at_once() {
    let (_dir, root) = example_repository();
    let named = |count: usize| -> Vec<String> {
        (0..count).map(|it| format!("{}/specs/{it:06}_task/plans/implementation-001.md", root.display())).collect()
    };
    let payload = json!({ "cwd": root, "files": named(100_000) }).to_string();
    let (output, took) = hook_within(&root, &["generic"], payload, LIMIT);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let note = stderr(&output);
    assert!(
        note.starts_with("taskmark hook: note: nothing checked: the payload names 100000 files, more than the 10000"),
        "{note}"
    );
    eprintln!("100,000 files named: {took:?}");
    // At the limit, each one is still looked at: the real edit among them is reported.
    let todo = root.join("specs/TODO.md");
    let text = std::fs::read_to_string(&todo).expect("TODO.md");
    std::fs::write(&todo, text.replacen("[PLANNED]", "[PLANED]", 1)).expect("an edit");
    let mut files = named(9_999);
    files.push(todo.display().to_string());
    let payload = json!({ "cwd": root, "files": files }).to_string();
    let (output, took) = hook_within(&root, &["generic"], payload, LIMIT);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("unknown status `[PLANED]`"), "{}", stderr(&output));
    eprintln!("10,000 files named, one edited: {took:?}");
}

/// A spec-folder TODO.md of `count` tasks (about 220 bytes each), committed at `<tmp>/ws`.
fn large_repository(count: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().join("ws");
    std::fs::create_dir_all(root.join("specs")).expect("a folder");
    let mut todo = format!("---\nnext_project_number: {}\n---\n\n# TODO\n\n## Tasks\n", count + 1);
    for task in 1..=count {
        todo.push_str(&format!(
            "\n### {task}. Task {task}\n- **Effort**: 1 hour\n- **Status**: [PLANNED]\n- **Priority**: Medium\n- **Created**: 2026-10-01\n\n**Description**: Task {task} does one thing, and this sentence makes it about as long as a real one.\n\n---\n"
        ));
    }
    std::fs::write(root.join("specs/TODO.md"), todo).expect("TODO.md");
    git(&root, &["init", "-q"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "tracker"]);
    let root = std::fs::canonicalize(&root).expect("a canonical root");
    (dir, root)
}

#[test]
fn undoing_a_replacement_that_does_not_match_a_large_tracker_takes_no_time() {
    let (_dir, root) = large_repository(15_000);
    let path = root.join("specs/TODO.md");
    let size = std::fs::metadata(&path).expect("TODO.md").len();
    assert!(size > 3_200_000, "{size} bytes");
    let todo = path.display().to_string();
    // `new_string` stands at 15,000 places, and at none of them does putting `old_string` back
    // give a text the replacement turns into this one (the first `# TODO` would be replaced):
    // the text before comes from git HEAD, the same as now.
    let single = json!({
        "hook_event_name": "PostToolUse", "cwd": root, "tool_name": "Edit",
        "tool_input": { "file_path": todo, "old_string": "# TODO", "new_string": "- **Status**: [PLANNED]" },
    });
    let (output, took) = hook_within(&root, &["claude"], single.to_string(), LIMIT);
    assert_silent(&output);
    eprintln!("one replacement that does not match a {size}-byte TODO.md: {took:?}");
    // A MultiEdit of 2,000 replacements, each undone over the whole text: past a bounded amount
    // of work the text before comes from git HEAD (where it is the same).
    let edits: Vec<Value> = (1..=2_000)
        .map(|it| json!({ "old_string": format!("### {it}. Task {it}\n"), "new_string": format!("### {it}. Task {it} (renamed)\n") }))
        .collect();
    let mut text = std::fs::read_to_string(&path).expect("TODO.md");
    for edit in &edits {
        text = text.replacen(edit["old_string"].as_str().expect("old"), edit["new_string"].as_str().expect("new"), 1);
    }
    std::fs::write(&path, text).expect("the edits made");
    let multi = json!({
        "hook_event_name": "PostToolUse", "cwd": root, "tool_name": "MultiEdit",
        "tool_input": { "file_path": todo, "edits": edits },
    });
    let (output, took) = hook_within(&root, &["claude"], multi.to_string(), LIMIT);
    assert_silent(&output);
    eprintln!("2,000 replacements over a {size}-byte TODO.md: {took:?}");
}

#[test]
fn an_original_file_over_the_tracker_file_limit_is_refused_with_a_note() {
    let (_dir, root) = example_repository();
    let todo = format!("{}/specs/TODO.md", root.display());
    let original = "- [ ] a task that is not there\n".repeat((60 << 20) / 31 + 1);
    let payload = json!({
        "hook_event_name": "PostToolUse", "cwd": root, "tool_name": "Write",
        "tool_input": { "file_path": todo, "content": "" },
        "tool_response": { "type": "update", "filePath": todo, "originalFile": original },
    });
    let (output, took) = hook_within(&root, &["claude"], payload.to_string(), LIMIT);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let note = stderr(&output);
    assert!(
        note.starts_with("taskmark hook: note: nothing checked: the text of ")
            && note.contains("before the edit (originalFile) is 60 MiB, over the 32 MiB limit for tracker files"),
        "{note}"
    );
    eprintln!("a 60 MiB originalFile: {took:?}");
}

#[test]
fn a_hook_past_its_time_limit_says_so_and_lets_the_agent_go_on() {
    let (_dir, root) = example_repository();
    // An agent that never ends its payload: the hook reads stdin until the limit.
    let mut child = spawn_hook(&root, &["claude", "--time-limit", "1"]);
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(b"{\"cwd\": ").expect("a payload begun");
    let (output, _) = finished_within(child, LIMIT);
    drop(input);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "taskmark hook: note: nothing checked: the check took longer than 1 s (--time-limit)\n"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["hook", "claude", "--time-limit=-1"])
        .stdin(Stdio::null())
        .output()
        .expect("the taskmark binary runs");
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("`-1` is not a number of seconds (0 or more)"), "{}", stderr(&bad));
}

/// A Claude Code `Write` of `relative` with `content`, as the event `event` sends it (no
/// `originalFile`: the agent's payload says nothing of what the file held).
fn write_payload(root: &Path, event: &str, relative: &str, content: &str) -> String {
    serde_json::json!({
        "hook_event_name": event, "session_id": "session-1", "cwd": root, "tool_name": "Write",
        "tool_input": { "file_path": relative, "content": content }, "tool_response": {},
    })
    .to_string()
}

/// Issue 32, item 8: a Write was judged against git's HEAD, so what changed since the last
/// commit (a problem already there, `taskmark set`s not committed) was blamed on it. With the
/// PreToolUse hook, the file as it was just before the Write is the baseline: a harmless Write
/// is silent, and a Write that adds a problem is still reported. Without the PreToolUse hook
/// the judgement falls back to HEAD, as before.
#[test]
fn a_write_is_judged_against_the_file_just_before_it_when_the_pre_tool_use_hook_kept_it() {
    let (_dir, root) = example_repository();
    let todo = root.join("specs/TODO.md");
    // A problem made since the last commit, by hand: not this Write's doing.
    let before = std::fs::read_to_string(&todo).expect("TODO.md").replace("[RESEARCHED]", "[RESERCHED]");
    std::fs::write(&todo, &before).expect("written");
    let harmless = before.replace("Show both versions side by side", "Show both versions next to each other");

    let pre = hook(&root, &["claude"], &write_payload(&root, "PreToolUse", "specs/TODO.md", &harmless));
    assert_silent(&pre);
    std::fs::write(&todo, &harmless).expect("the Write");
    let post = hook(&root, &["claude"], &write_payload(&root, "PostToolUse", "specs/TODO.md", &harmless));
    assert_silent(&post);

    // The same Write with no PreToolUse before it is judged against HEAD, which lacks the
    // problem.
    std::fs::write(&todo, &before).expect("restored");
    std::fs::write(&todo, &harmless).expect("the Write");
    let post = hook(&root, &["claude"], &write_payload(&root, "PostToolUse", "specs/TODO.md", &harmless));
    assert_eq!(post.status.code(), Some(2), "{}", stderr(&post));
    assert!(stderr(&post).contains("RESERCHED"), "{}", stderr(&post));

    // A Write that adds a problem of its own is reported against the kept file.
    std::fs::write(&todo, &before).expect("restored");
    let harmful = before.replace("[PLANNED]", "[PLANED]");
    let pre = hook(&root, &["claude"], &write_payload(&root, "PreToolUse", "specs/TODO.md", &harmful));
    assert_silent(&pre);
    std::fs::write(&todo, &harmful).expect("the Write");
    let post = hook(&root, &["claude"], &write_payload(&root, "PostToolUse", "specs/TODO.md", &harmful));
    assert_eq!(post.status.code(), Some(2), "{}", stderr(&post));
    let said = stderr(&post);
    assert!(said.contains("PLANED") && !said.contains("RESERCHED"), "only the Write's own problem: {said}");
}

/// Issue 32, item 8: after a Write that broke state.json, `malformed-file` came 15th, after 14
/// problems that follow from it and whose fixes mislead. It comes alone, first, with a count
/// of what follows.
#[test]
fn a_file_the_edit_broke_is_reported_alone_before_what_follows_from_it() {
    let (_dir, root) = example_repository();
    let state = root.join("specs/state.json");
    let broken = std::fs::read_to_string(&state).expect("state.json").replacen(
        "\"active_projects\": [",
        "\"active_projects\": [[",
        1,
    );
    std::fs::write(&state, &broken).expect("the Write");
    let post = hook(&root, &["claude"], &write_payload(&root, "PostToolUse", "specs/state.json", &broken));
    assert_eq!(post.status.code(), Some(2), "{}", stderr(&post));
    let said = stderr(&post);
    let first = said.lines().nth(1).unwrap_or_default();
    assert!(first.contains("[malformed-file]"), "the root cause first: {said}");
    assert!(!said.contains("[orphan-task]") && !said.contains("[status-mismatch]"), "{said}");
    assert!(said.contains("Fix that first:") && said.contains("follow"), "what follows is counted: {said}");
}

/// GSD's debug workflow (and claude-todo's): the agent writes `status: resolved`, then moves
/// the file to `debug/resolved/`. The Write leaves the file saying resolved in `debug/` for a
/// moment; blocking it left the agent nowhere to go (`taskmark set` moves no file). The Write
/// is let through, `check` still reports a file never moved, and a Write that breaks the status
/// itself is still blocked.
#[test]
fn a_status_written_before_its_file_is_moved_is_not_blocked() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().to_path_buf();
    let session = root.join(".planning/debug/login-fails.md");
    std::fs::create_dir_all(session.parent().expect("a folder")).expect("created");
    let text = |status: &str| format!("---\nstatus: {status}\ntrigger: \"login fails\"\n---\n\n## Current Focus\n");
    std::fs::write(&session, text("investigating")).expect("written");
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.email=a@example.com", "-c", "user.name=a"])
            .args(args)
            .current_dir(&root)
            .output()
            .expect("git runs")
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "a debug session"]);

    let resolved = text("resolved");
    std::fs::write(&session, &resolved).expect("the Write");
    let post =
        hook(&root, &["claude"], &write_payload(&root, "PostToolUse", ".planning/debug/login-fails.md", &resolved));
    assert_silent(&post);
    let checked = check_in(&root);
    assert!(
        stdout(&checked).contains("status-mismatch") || stderr(&checked).contains("status-mismatch"),
        "{}",
        stderr(&checked)
    );

    let broken = text("resolvd");
    std::fs::write(&session, &broken).expect("the Write");
    let post =
        hook(&root, &["claude"], &write_payload(&root, "PostToolUse", ".planning/debug/login-fails.md", &broken));
    assert_eq!(post.status.code(), Some(2), "{}", stderr(&post));
    assert!(stderr(&post).contains("resolvd"), "{}", stderr(&post));
}
