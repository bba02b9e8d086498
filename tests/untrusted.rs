//! What a repository taskmark did not write can make it do, end to end on the real binary:
//! special files and links where tracker files should be, files it cannot read, a hostile
//! configuration, and a folder another user closed. Each test is a crafted workspace.
#![cfg(unix)]

mod support {
    pub mod state;
    pub mod tracker;
}

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::state::state_home;
use support::tracker::{Style, write_tracker};

fn command(root: &Path, args: &[&str]) -> Command {
    command_of(Path::new(env!("CARGO_BIN_EXE_taskmark")), root, args)
}

fn command_of(binary: &Path, root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command
        .args(args)
        .arg("--root")
        .arg(root)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env_remove("TASKMARK_FOLLOW_OUTSIDE_LINKS")
        .env("TASKMARK_RUNTIME_DIR", root.join(".no-daemon"))
        .env("TASKMARK_STATE_DIR", state_home(root));
    command
}

/// Runs `command`, killing it (and failing) if it takes longer than `limit`: a read that hangs
/// must fail the test, not hang the suite.
fn run_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("taskmark starts");
    let started = Instant::now();
    while child.try_wait().expect("waitable").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("taskmark did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("its output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tracker() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write_tracker(dir.path(), 1, 3, Style::default());
    dir
}

fn files(root: &Path, paths: &[&str]) -> Vec<Vec<u8>> {
    paths.iter().map(|it| std::fs::read(root.join(it)).expect("a file")).collect()
}

#[test]
fn special_files_where_trackers_should_be_are_named_and_never_hang_or_flood() {
    let dir = tracker();
    let root = dir.path();
    let fifo = root.join("pipe");
    let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("a path");
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    std::os::unix::fs::symlink(&fifo, root.join("TODO.md")).expect("a link");
    std::fs::create_dir_all(root.join("docs")).expect("a folder");
    std::os::unix::fs::symlink("/dev/zero", root.join("docs/TODO.md")).expect("a link");
    let output = run_within(command(root, &["check", "--no-baseline"]), Duration::from_secs(20));
    let said = text(&output.stdout);
    assert!(said.contains("note: skipped TODO.md: not a regular file (a named pipe)"), "{said}");
    assert!(
        said.contains("note: skipped docs/TODO.md: a link to /dev/zero, outside the workspace root: not read"),
        "{said}"
    );

    // Asked to follow links out of the root, a device is still not read.
    let mut following = command(root, &["check", "--no-baseline"]);
    following.env("TASKMARK_FOLLOW_OUTSIDE_LINKS", "1");
    let output = run_within(following, Duration::from_secs(20));
    assert!(
        text(&output.stdout).contains("note: skipped docs/TODO.md: not a regular file (a device)"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn a_tracker_file_linked_from_outside_the_root_is_noted_and_read_only_when_the_user_says_so() {
    let outside = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(outside.path().join("secret.md"), "- [ ] the secret is hunter2\n").expect("a file");
    let dir = tracker();
    let root = dir.path();
    std::os::unix::fs::symlink(outside.path().join("secret.md"), root.join("TODO.md")).expect("a link");
    let output = command(root, &["check", "--no-baseline", "--format", "json"]).output().expect("check runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let skipped = report["summary"]["skipped"].as_array().expect("skipped files");
    assert!(
        skipped
            .iter()
            .any(|it| it["file"] == "TODO.md"
                && it["reason"].as_str().unwrap_or("").contains("outside the workspace root")),
        "{report}"
    );
    assert!(!report.to_string().contains("hunter2"));
    let followed = command(root, &["check", "--no-baseline", "--format", "json"])
        .env("TASKMARK_FOLLOW_OUTSIDE_LINKS", "1")
        .output()
        .expect("check runs");
    let report: serde_json::Value = serde_json::from_slice(&followed.stdout).expect("JSON");
    assert_eq!(report["summary"]["skipped"].as_array().map(Vec::len), Some(0), "{report}");
}

/// The tracker `set` and `fix` write to, with `specs/state.json` replaced by `bytes`, and the
/// files they would write, as they are.
fn tracker_with_state(bytes: &[u8]) -> (tempfile::TempDir, Vec<Vec<u8>>) {
    let dir = tracker();
    let root = dir.path();
    std::fs::write(root.join("specs/state.json"), bytes).expect("state.json");
    // A counter `fix` would recompute, in the same tracker.
    let todo = std::fs::read_to_string(root.join("specs/TODO.md")).expect("TODO.md");
    std::fs::write(root.join("specs/TODO.md"), todo.replace("next_project_number: 4", "next_project_number: 2"))
        .expect("a stale counter");
    let before = files(root, &WRITTEN);
    (dir, before)
}

const WRITTEN: [&str; 3] = ["specs/TODO.md", "specs/state.json", "specs/002_task/plans/implementation-001.md"];

const SET: &[&str] = &["set", "2", "implementing", "--no-daemon"];
const FIX: &[&str] = &["fix", "--no-daemon"];

/// Runs each command, which must refuse (exit 5) saying `why`, and write nothing.
fn writes_are_refused(root: &Path, commands: &[&[&str]], before: &[Vec<u8>], why: &str) {
    for args in commands {
        let output = command(root, args).output().expect("taskmark runs");
        let said = text(&output.stderr);
        assert_eq!(output.status.code(), Some(5), "{args:?}: {said}{}", text(&output.stdout));
        assert!(said.contains(why) && said.contains("nothing was written"), "{args:?}: {said}");
        assert_eq!(files(root, &WRITTEN), before, "{args:?} wrote something");
    }
}

#[test]
fn set_and_fix_refuse_while_a_file_of_the_tracker_cannot_be_read() {
    // Binary (NUL bytes): not read at all.
    let mut state = b"{\"next_project_number\": 4}\n".to_vec();
    state.extend_from_slice(&[0; 64]);
    let (dir, before) = tracker_with_state(&state);
    let root = dir.path();
    writes_are_refused(
        root,
        &[SET, FIX],
        &before,
        "specs/state.json, a file of its tracker, cannot be read (binary file",
    );
    let show = command(root, &["show", "2"]).output().expect("show runs");
    assert!(text(&show.stderr).contains("note: specs/state.json could not be read"), "{}", text(&show.stderr));
}

#[test]
fn a_file_that_is_not_utf8_is_read_with_a_note_and_never_written() {
    let dir = tracker();
    // A stray Latin-1 byte in a name: still JSON, but not UTF-8.
    let state = std::fs::read(dir.path().join("specs/state.json")).expect("state.json");
    let name = b"\"project_name\": \"task\"";
    let at = state.windows(name.len()).position(|it| it == name).expect("a project name") + name.len() - 3;
    let mut bytes = state.clone();
    bytes[at] = 0xe4;
    let (dir, before) = tracker_with_state(&bytes);
    let root = dir.path();
    // `set` must write state.json; `fix` only has TODO.md's counter to fix, and does.
    writes_are_refused(
        root,
        &[SET],
        &before,
        "refusing to write specs/state.json: not valid UTF-8 (first bad byte at offset",
    );
    let fixed = command(root, FIX).output().expect("fix runs");
    assert!(fixed.status.success(), "{}", text(&fixed.stderr));
    assert_eq!(std::fs::read(root.join("specs/state.json")).expect("state.json"), before[1]);
    let check = command(root, &["check", "--no-baseline"]).output().expect("check runs");
    let said = text(&check.stdout);
    assert!(said.contains("note: specs/state.json: not valid UTF-8 (first bad byte at offset"), "{said}");
    assert!(said.contains("read with replacement characters, and never written"), "{said}");
    // Its places are still read: task 2 shows its state.json entry.
    let show = command(root, &["show", "2", "--format", "json"]).output().expect("show runs");
    let view: serde_json::Value = serde_json::from_slice(&show.stdout).expect("JSON");
    assert!(view["places"].as_array().expect("places").iter().any(|it| it["file"] == "specs/state.json"), "{view}");
    assert!(text(&show.stderr).contains("note: specs/state.json: not valid UTF-8"), "{}", text(&show.stderr));
}

/// A markdown file with a few stray control bytes (as real plans have, from a mangled box
/// drawing) is still a tracker file; one that is mostly NUL bytes is binary.
#[test]
fn stray_nul_bytes_are_text_a_file_full_of_them_is_binary() {
    let dir = tracker();
    let root = dir.path();
    let plan = root.join("specs/002_task/plans/implementation-001.md");
    let mut bytes = std::fs::read(&plan).expect("a plan");
    bytes.extend_from_slice(b"\n## Project structure\n\n```text\nspecs/002_task/\n\x1c\x00\x00 plan.md   # this file, the implementation plan\n\x1c\x00\x00 research.md   # what was found before planning\n```\n");
    std::fs::write(&plan, &bytes).expect("a plan with stray NULs");
    std::fs::create_dir_all(root.join("docs")).expect("a folder");
    std::fs::write(root.join("docs/TODO.md"), [b'-', 0, b' ', 0].repeat(64)).expect("a binary file");
    let output = command(root, &["check", "--no-baseline", "--format", "json"]).output().expect("check runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let skipped: Vec<&str> =
        report["summary"]["skipped"].as_array().expect("skipped").iter().filter_map(|it| it["file"].as_str()).collect();
    assert_eq!(skipped, ["docs/TODO.md"], "{report}");
}

#[test]
fn classic_mac_line_breaks_are_a_note_not_a_silent_loss() {
    let dir = tracker();
    let root = dir.path();
    std::fs::write(root.join("TODO.md"), "# TODO\r- [ ] one\r- [x] two\r").expect("a CR-only file");
    let output = command(root, &["check", "--no-baseline"]).output().expect("check runs");
    let said = text(&output.stdout);
    assert!(said.contains("note: skipped TODO.md: a carriage return without a line feed at line 1"), "{said}");
}

#[test]
fn a_tracker_root_outside_the_workspace_is_a_configuration_error() {
    let dir = tracker();
    let root = dir.path();
    for bad in ["/etc", "../../.."] {
        std::fs::write(root.join(".taskmark.toml"), format!("[[trackers]]\nroot = {bad:?}\nprofile = \"minsky\"\n"))
            .expect("a configuration");
        let output = command(root, &["check", "--no-baseline"]).output().expect("check runs");
        assert_eq!(output.status.code(), Some(2), "{bad}: {}", text(&output.stdout));
        assert!(
            text(&output.stderr).contains("`trackers[0].root`: must be a folder inside the workspace"),
            "{}",
            text(&output.stderr)
        );
    }
}

/// A folder only its owner can read, checked by another user: its files are unknown, not
/// missing. Needs root to act as another user; as anyone else it says so and checks less.
#[test]
fn a_folder_taskmark_cannot_list_is_noted_and_its_files_are_not_called_missing() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tracker();
    let root = dir.path();
    // SAFETY: getuid(2) has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        println!("not root: cannot run taskmark as another user; the unreadable-folder case was not run");
        return;
    }
    // The workspace readable by everyone but one folder; its owner is root.
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(path) = stack.pop() {
        let mode = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).expect("a folder").flatten().map(|it| it.path()));
        }
    }
    std::fs::set_permissions(root.join("specs/002_task"), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let nobody = tempfile::tempdir().expect("a folder for nobody's state");
    std::os::unix::fs::chown(nobody.path(), Some(65534), Some(65534)).expect("chown");
    // A copy of the binary nobody can run, wherever the checkout is (root's home is closed).
    let programs = tempfile::tempdir().expect("a folder for the binary");
    std::fs::set_permissions(programs.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let binary = programs.path().join("taskmark");
    std::fs::copy(env!("CARGO_BIN_EXE_taskmark"), &binary).expect("a copy of the binary");
    let output = command_of(&binary, root, &["check", "--no-baseline"])
        .env("TASKMARK_STATE_DIR", nobody.path())
        .env("TASKMARK_RUNTIME_DIR", nobody.path().join("run"))
        .uid(65534)
        .gid(65534)
        .output()
        .expect("check runs as nobody");
    let said = text(&output.stdout);
    assert!(
        said.contains("note: skipped specs/002_task: cannot list the folder: "),
        "{said}\n{}",
        text(&output.stderr)
    );
    assert!(!said.contains("broken-link"), "a file in an unreadable folder is not missing: {said}");
}
