//! What a repository taskmark did not write can make it do, end to end on the real binary:
//! special files and links where tracker files should be, files it cannot read, a hostile
//! configuration, and a folder another user closed. Each test is a crafted workspace.
#![cfg(unix)]

use taskmark_test_support as support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::lsp_client::{LspClient, vscode_capabilities};
use support::mcp_agent::McpAgent;
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

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("a path");
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

/// What a file git or taskmark reads besides the trackers can be made into: a named pipe (a
/// reader that opens it waits for a writer forever), a link to `/dev/zero` (a read never ends),
/// a link to a file outside the root (whose text must not come out).
#[derive(Debug, Clone, Copy)]
enum Hostile {
    Fifo,
    DevZero,
    Outside,
}

const HOSTILE: [Hostile; 3] = [Hostile::Fifo, Hostile::DevZero, Hostile::Outside];

/// What the outside file holds: it must appear in no answer.
const SECRET: &str = "hunter2";

impl Hostile {
    /// Makes `root/relative` hostile; the outside file is in `outside`.
    fn plant(self, root: &Path, relative: &str, outside: &Path) {
        let path = root.join(relative);
        let _ = std::fs::remove_file(&path);
        match self {
            Hostile::Fifo => mkfifo(&path),
            Hostile::DevZero => std::os::unix::fs::symlink("/dev/zero", &path).expect("a link"),
            Hostile::Outside => {
                let target = outside.join(relative.replace('/', "_"));
                std::fs::write(&target, format!("{SECRET} = \"x\"\n* merge=taskmark\n")).expect("an outside file");
                std::os::unix::fs::symlink(&target, &path).expect("a link");
            }
        }
    }
}

/// The tracker, committed in a git repository.
fn repository() -> tempfile::TempDir {
    let dir = tracker();
    for args in [&["init", "-q"][..], &["add", "-A"], &["commit", "-qm", "tracker"]] {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    }
    dir
}

fn said(output: &Output) -> String {
    text(&output.stdout) + &text(&output.stderr)
}

#[test]
fn a_gitattributes_that_is_a_pipe_a_device_or_an_outside_link_is_named_and_never_read() {
    let outside = tempfile::tempdir().expect("a temporary folder");
    for hostile in HOSTILE {
        let dir = repository();
        let root = dir.path();
        hostile.plant(root, ".gitattributes", outside.path());
        let why = match hostile {
            Hostile::Fifo => "not a regular file (a named pipe)",
            // Git does not follow a linked .gitattributes in the work tree; neither does taskmark.
            Hostile::DevZero | Hostile::Outside => "a symbolic link, which git does not follow there either",
        };
        let check = run_within(command(root, &["check", "--no-baseline"]), Duration::from_secs(20));
        assert!(
            text(&check.stdout).contains(&format!("warning: .gitattributes was not read ({why}")),
            "{hostile:?}: {}",
            said(&check)
        );
        let setup = run_within(command(root, &["setup", "git", "--command", "taskmark"]), Duration::from_secs(20));
        assert_eq!(setup.status.code(), Some(2), "{hostile:?}: {}", said(&setup));
        assert!(text(&setup.stderr).contains(&format!(".gitattributes: {why}")), "{hostile:?}: {}", said(&setup));
        assert!(text(&setup.stderr).contains("not changing it"), "{hostile:?}: {}", said(&setup));
        let verify = run_within(command(root, &["setup", "git", "--check"]), Duration::from_secs(20));
        assert_eq!(verify.status.code(), Some(1), "{hostile:?}: {}", said(&verify));
        assert!(text(&verify.stdout).contains(why), "{hostile:?}: {}", said(&verify));
        for output in [&check, &setup, &verify] {
            assert!(!said(output).contains(SECRET), "{hostile:?}: {}", said(output));
        }
    }
}

#[test]
fn ignore_files_that_are_pipes_devices_or_outside_links_are_named_and_never_read() {
    let outside = tempfile::tempdir().expect("a temporary folder");
    for hostile in HOSTILE {
        for (file, at_root) in [(".gitignore", true), ("specs/.gitignore", false), ("specs/.ignore", false)] {
            let dir = repository();
            let root = dir.path();
            hostile.plant(root, file, outside.path());
            let output = run_within(command(root, &["check", "--no-baseline"]), Duration::from_secs(20));
            let why = match hostile {
                Hostile::Fifo => "not a regular file (a named pipe)".to_string(),
                Hostile::DevZero => "not a regular file (a device)".to_string(),
                Hostile::Outside => format!("a link to {}", outside.path().canonicalize().expect("a path").display()),
            };
            let named = format!("{} is {why}", root.join(file).display());
            if at_root {
                assert_eq!(output.status.code(), Some(2), "{hostile:?} {file}: {}", said(&output));
                assert!(text(&output.stderr).contains(&format!("cannot walk {}: {named}", root.display())));
            } else {
                // The folder is not walked: its files are unknown, and nothing is written there.
                assert!(
                    text(&output.stdout).contains(&format!("note: skipped specs: not walked: {named}")),
                    "{hostile:?} {file}: {}",
                    said(&output)
                );
                let before = files(root, &WRITTEN);
                let set = run_within(command(root, SET), Duration::from_secs(20));
                assert!(text(&set.stderr).contains("nothing was written"), "{hostile:?} {file}: {}", said(&set));
                assert_eq!(files(root, &WRITTEN), before);
            }
            assert!(!said(&output).contains(SECRET), "{hostile:?} {file}: {}", said(&output));
        }
    }
}

#[test]
fn the_command_line_names_a_configuration_that_is_a_pipe_or_an_outside_link() {
    let outside = tempfile::tempdir().expect("a temporary folder");
    for hostile in HOSTILE {
        let dir = tracker();
        let root = dir.path();
        hostile.plant(root, ".taskmark.toml", outside.path());
        let output = run_within(command(root, &["check", "--no-baseline"]), Duration::from_secs(20));
        assert_eq!(output.status.code(), Some(2), "{hostile:?}: {}", said(&output));
        assert!(text(&output.stderr).contains("cannot read"), "{hostile:?}: {}", said(&output));
        assert!(!said(&output).contains(SECRET), "{hostile:?}: {}", said(&output));
    }
}

/// The language server started on `root` with nothing open, as an editor starts it.
fn language_server(root: &Path) -> LspClient {
    let mut command = Command::new(env!("CARGO_BIN_EXE_taskmark"));
    command
        .args(["lsp", "--standalone", "--log-level", "info"])
        .env_remove("TASKMARK_FOLLOW_OUTSIDE_LINKS")
        .env("TASKMARK_STATE_DIR", state_home(root));
    let mut client = LspClient::launch_command(root, vscode_capabilities(), json!({}), command);
    client.notify("initialized", json!({}));
    client
}

/// A hostile `.taskmark.toml` or `.gitattributes`: `taskmark.listTasks` is answered within
/// `LIMIT` with every task (the defaults read them), the configuration's diagnostic names the
/// file, and no published diagnostic holds the outside file's text.
#[test]
fn the_language_server_answers_with_a_configuration_or_attributes_that_are_pipes_or_outside_links() {
    const LIMIT: Duration = Duration::from_secs(20);
    let outside = tempfile::tempdir().expect("a temporary folder");
    for file in [".taskmark.toml", ".gitattributes"] {
        for hostile in HOSTILE {
            let dir = repository();
            let root = dir.path();
            hostile.plant(root, file, outside.path());
            let mut client = language_server(root);
            let asked = Instant::now();
            let listed = client
                .request("workspace/executeCommand", json!({ "command": "taskmark.listTasks", "arguments": [{}] }))
                .expect("listTasks is answered");
            assert!(asked.elapsed() < LIMIT, "{file} {hostile:?}: answered in {:?}", asked.elapsed());
            assert_eq!(listed.as_array().map(Vec::len), Some(3), "{file} {hostile:?}: {listed}");
            client.settle(Duration::from_millis(300));
            let everything = serde_json::to_string(&client.diagnostics).expect("JSON")
                + &serde_json::to_string(&client.notifications).expect("JSON");
            assert!(!everything.contains(SECRET), "{file} {hostile:?}: {everything}");
            if file == ".taskmark.toml" {
                let config = client.diagnostics.get(&client.uri(file)).map(|(_, it)| it.clone()).unwrap_or_default();
                let message = config.first().and_then(|it| it["message"].as_str()).unwrap_or_default().to_string();
                let why = match hostile {
                    Hostile::Fifo => "not a regular file (a named pipe)",
                    Hostile::DevZero | Hostile::Outside => "outside the workspace root: not read",
                };
                assert!(message.starts_with("cannot read ") && message.contains(why), "{hostile:?}: {config:?}");
            }
        }
    }
}

#[test]
fn an_agent_is_answered_with_a_configuration_or_attributes_that_are_pipes_or_outside_links() {
    let outside = tempfile::tempdir().expect("a temporary folder");
    for file in [".taskmark.toml", ".gitattributes"] {
        for hostile in HOSTILE {
            let dir = repository();
            let root = dir.path();
            hostile.plant(root, file, outside.path());
            let mut agent = McpAgent::start(command(root, &["mcp", "--no-daemon"]), "t");
            let listed = agent.call_tool("list_tasks", json!({}));
            assert_eq!(listed["result"]["structuredContent"]["count"], 3, "{file} {hostile:?}: {listed}");
            let checked = agent.call_tool("check", json!({}));
            // Arguments that do not fit a tool's schema are a structured refusal too.
            let misfit = agent.tool("set_status", json!({ "task": [14], "status": 3 })).expect_err("refused");
            assert_eq!(misfit["data"]["kind"], "badArguments", "{misfit}");
            assert_eq!(misfit["code"], -32602, "{misfit}");
            assert!(misfit["error"].as_str().is_some_and(|it| !it.is_empty()), "{misfit}");
            assert!(checked.get("result").is_some(), "{file} {hostile:?}: {checked}");
            for answer in [&listed, &checked] {
                assert!(!answer.to_string().contains(SECRET), "{file} {hostile:?}: {answer}");
            }
        }
    }
}

/// A `.gitignore` the walk cannot read safely: the language server still answers.
#[test]
fn the_language_server_answers_with_an_ignore_file_that_is_a_pipe() {
    let dir = repository();
    let root: PathBuf = dir.path().to_path_buf();
    mkfifo(&root.join("specs/.gitignore"));
    let mut client = language_server(&root);
    let asked = Instant::now();
    let listed = client
        .request("workspace/executeCommand", json!({ "command": "taskmark.listTasks", "arguments": [{}] }))
        .expect("listTasks is answered");
    assert!(asked.elapsed() < Duration::from_secs(20), "answered in {:?}", asked.elapsed());
    assert_eq!(listed, json!([]), "the tracker's folder is not walked");
}

/// Folder names that mean something in a `.gitattributes` line: a line break, glob characters,
/// a comment's `#`, a negation's `!`, an escaping backslash, blanks and quotes.
const AWKWARD_FOLDERS: [&str; 12] = [
    "new\nline",
    "[ab]",
    "#hash",
    "!bang",
    "back\\slash",
    "sp ace",
    "q\"uote",
    "tab\tx",
    " lead",
    "trail ",
    "star*",
    "é",
];

fn git_in(root: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs")
}

/// What git says `path`'s merge attribute is.
fn merge_attribute(root: &Path, path: &str) -> String {
    let output = git_in(root, &["check-attr", "-z", "merge", "--", path]);
    assert!(output.status.success(), "{}", said(&output));
    text(&output.stdout).split('\0').nth(2).unwrap_or_default().to_string()
}

#[test]
fn setup_git_declares_every_awkward_folder_so_that_git_merges_exactly_its_files() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    for folder in AWKWARD_FOLDERS {
        std::fs::create_dir_all(root.join(folder)).expect("a folder");
        std::fs::write(root.join(folder).join("TODO.md"), "# TODO\n\n- [ ] one\n- [x] two\n").expect("a tracker");
    }
    assert!(git_in(root, &["init", "-q"]).status.success());
    let check = command(root, &["check", "--no-baseline"]).output().expect("check runs");
    assert!(!text(&check.stdout).contains("skipped"), "every tracker is read: {}", said(&check));

    let first = command(root, &["setup", "git"]).output().expect("setup runs");
    assert_eq!(first.status.code(), Some(0), "{}", said(&first));
    let attributes = std::fs::read_to_string(root.join(".gitattributes")).expect("written");
    for folder in AWKWARD_FOLDERS {
        let file = format!("{folder}/TODO.md");
        assert_eq!(merge_attribute(root, &file), "taskmark", "{file:?}:\n{attributes}");
    }
    // A pattern matches its folder only: `[ab]` is not a class, `*` not a wildcard.
    for other in ["a/TODO.md", "b/TODO.md", "starry/TODO.md", "back/slash/TODO.md", "new/TODO.md"] {
        assert_eq!(merge_attribute(root, other), "unspecified", "{other}:\n{attributes}");
    }
    assert!(!text(&git_in(root, &["check-attr", "merge", "--", "a"]).stderr).contains("warning"), "no negation");

    let second = command(root, &["setup", "git"]).output().expect("setup runs");
    assert!(text(&second.stdout).contains("already set up"), "{}", said(&second));
    assert_eq!(std::fs::read_to_string(root.join(".gitattributes")).expect("read"), attributes, "nothing appended");
    let verify = command(root, &["setup", "git", "--check"]).output().expect("setup runs");
    assert_eq!(verify.status.code(), Some(0), "{}", said(&verify));

    // A later line takes the driver away from every file: `--check` says so, and names them.
    std::fs::write(root.join(".gitattributes"), format!("{attributes}* -merge\n")).expect("a later line");
    let verify = command(root, &["setup", "git", "--check"]).output().expect("setup runs");
    assert_eq!(verify.status.code(), Some(1), "{}", said(&verify));
    assert!(
        text(&verify.stdout).contains("git does not merge \"[ab]/TODO.md\" with the taskmark driver"),
        "{}",
        said(&verify)
    );
}

/// The lines an earlier `setup git` wrote, unescaped: git reads them as a class, a comment, a
/// negation, two lines; `--check` must not call them configured.
#[test]
fn setup_git_check_is_true_only_when_git_really_merges_the_tracker_files_with_the_driver() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    for folder in ["[ab]", "#hash", "!bang", "new\nline"] {
        std::fs::create_dir_all(root.join(folder)).expect("a folder");
        std::fs::write(root.join(folder).join("TODO.md"), "# TODO\n\n- [ ] one\n").expect("a tracker");
        assert!(git_in(root, &["init", "-q"]).status.success());
        std::fs::write(root.join(".gitattributes"), format!("{folder}/TODO.md merge=taskmark\n")).expect("a line");
        let setup = command(root, &["setup", "git"]).output().expect("setup runs");
        assert_eq!(setup.status.code(), Some(0), "{folder:?}: {}", said(&setup));
        std::fs::write(root.join(".gitattributes"), format!("{folder}/TODO.md merge=taskmark\n")).expect("a line");
        let verify = command(root, &["setup", "git", "--check"]).output().expect("setup runs");
        if folder != "#hash" {
            // (A comment names nothing: the driver is not declared at all, which is not an error.)
            assert_eq!(verify.status.code(), Some(1), "{folder:?}: {}", said(&verify));
        }
        assert!(!text(&verify.stdout).contains("and configured"), "{folder:?}: {}", said(&verify));
        std::fs::remove_dir_all(root.join(folder)).expect("removed");
    }
}

/// A repository at `<dir>/repo` with one real worktree (`<dir>/legit`, where task 2 is under
/// way) and two entries forged in its git folder (`.git/worktrees/X/gitdir`, as a repository
/// copied as it is may hold) naming folders outside it, each a copy of the tracker where task 3
/// is under way: `outside-gone` (no `.git`: git marks it prunable) and `outside-repo` (a
/// repository of its own, whose `.git` leads elsewhere).
fn forged_worktrees() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let base = dir.path().canonicalize().expect("a path");
    let main = base.join("repo");
    write_tracker(&main, 1, 3, Style::default());
    for args in [&["init", "-q", "-b", "main"][..], &["add", "-A"], &["commit", "-qm", "tracker"]] {
        assert!(git_in(&main, args).status.success(), "git {args:?}");
    }
    let legit = base.join("legit");
    assert!(git_in(&main, &["worktree", "add", "-q", "-b", "legit", legit.to_str().expect("a path")]).status.success());
    let set = command(&legit, &["set", "2", "implementing", "--no-daemon"]).output().expect("set runs");
    assert!(set.status.success(), "{}", said(&set));
    for (entry, folder) in [("evil-gone", "outside-gone"), ("evil-other", "outside-repo")] {
        let outside = base.join(folder);
        write_tracker(&outside, 1, 3, Style::default());
        let set = command(&outside, &["set", "3", "implementing", "--no-daemon"]).output().expect("set runs");
        assert!(set.status.success(), "{}", said(&set));
        let forged = main.join(".git/worktrees").join(entry);
        std::fs::create_dir_all(&forged).expect("an entry");
        std::fs::copy(main.join(".git/worktrees/legit/HEAD"), forged.join("HEAD")).expect("HEAD");
        std::fs::write(forged.join("commondir"), "../..\n").expect("commondir");
        std::fs::write(forged.join("gitdir"), format!("{}\n", outside.join(".git").display())).expect("gitdir");
    }
    assert!(git_in(&base.join("outside-repo"), &["init", "-q"]).status.success());
    let listed = text(&git_in(&main, &["worktree", "list", "--porcelain"]).stdout);
    assert_eq!(listed.matches("\nworktree ").count(), 3, "git lists all four: {listed}");
    assert_eq!(listed.matches("prunable").count(), 1, "git marks one prunable: {listed}");
    (dir, main)
}

#[test]
fn status_across_worktrees_reads_only_the_worktrees_that_lead_back_to_the_repository() {
    let (dir, main) = forged_worktrees();
    let output = run_within(command(&main, &["status", "--worktrees"]), Duration::from_secs(20));
    let said = said(&output);
    assert!(output.status.success(), "{said}");
    assert!(said.starts_with("2 worktrees: here (main), legit (legit)\n"), "{said}");
    let base = dir.path().canonicalize().expect("a path");
    let gone = format!("not compared: {} (git marks it prunable (", base.join("outside-gone").display());
    assert!(said.contains(&gone), "{said}");
    let other = format!("not compared: {} (its .git is another repository's", base.join("outside-repo").display());
    assert!(said.contains(&other), "{said}");
    assert!(said.contains("specs:2 ") && !said.contains("specs:3 "), "only the real worktree's change: {said}");
}

#[test]
fn the_language_server_follows_only_the_worktrees_that_lead_back_to_the_repository() {
    let (_dir, main) = forged_worktrees();
    let mut client = language_server(&main);
    let following = "taskmark_lsp::elsewhere: following ";
    let followed = client.wait_until(Duration::from_secs(20), |it| it.log().contains(following));
    let log = client.log();
    assert!(followed, "{log}");
    assert!(log.contains(&format!("{following}1 other worktrees: legit\n")), "{log}");
    assert!(log.contains("not following the worktree") && log.contains("outside-repo: its .git is another"), "{log}");
}

/// A backslash is a character of a folder's name, not a separator, everywhere but Windows: the
/// tracker in it is read, its problems reported under its own name, and an editor's document
/// there is that file.
#[test]
fn a_tracker_in_a_folder_named_with_a_backslash_is_read_under_its_name() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    std::fs::create_dir_all(root.join("back\\slash")).expect("a folder");
    std::fs::write(root.join("back\\slash/TODO.md"), "# TODO\n\n- [ ] one\n- [?] two\n").expect("a tracker");
    assert!(git_in(root, &["init", "-q"]).status.success());
    let check = command(root, &["check", "--no-baseline", "back\\slash"]).output().expect("check runs");
    assert!(text(&check.stdout).contains("back\\slash/TODO.md:4:"), "{}", said(&check));
    assert!(!text(&check.stdout).contains("skipped"), "{}", said(&check));
    let mut client = language_server(root);
    let uri = client.open("back\\slash/TODO.md");
    let published = client
        .wait_until(Duration::from_secs(20), |it| it.diagnostics.get(&uri).is_some_and(|(_, list)| !list.is_empty()));
    assert!(published, "{:?}\n{}", client.diagnostics, client.log());
    // The editor's text is that file's: fixing the box there clears its problem.
    client.change_full(&uri, "# TODO\n\n- [ ] one\n- [x] two\n");
    let cleared = client
        .wait_until(Duration::from_secs(20), |it| it.diagnostics.get(&uri).is_some_and(|(_, list)| list.is_empty()));
    assert!(cleared, "{:?}\n{}", client.diagnostics, client.log());
}
