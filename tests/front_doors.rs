//! One status change, every front door: the command line writing the files itself
//! (`--no-daemon`), the command line through a running daemon, an editor's
//! `taskmark.setStatus` and an agent's MCP `set_status`. For each kind of refusal the same
//! request goes through all four; each must refuse it the same way (one kind, one class of
//! outcome), say it in its own words only (no `--force` shown to an editor or agent, no
//! `force` argument shown on the command line), and leave every file as it was, byte for byte.
//! Kinds: a compare-and-swap that lost, a forbidden transition, a missing reason, an unknown
//! status, new drift, a file of the task that cannot be read (binary) or written back (bytes
//! that are not UTF-8), a task another agent claims (tests/claims.rs tests the claims further).
#![cfg(unix)]

use taskmark_test_support::lsp_client;
use taskmark_test_support::mcp_agent::McpAgent;
use taskmark_test_support::scratch::Scratch;
use taskmark_test_support::tracker;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use lsp_client::{LspClient, vscode_capabilities};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

/// One status change, as every front door takes it.
struct Request {
    task: &'static str,
    status: &'static str,
    /// The compare-and-swap: the status the task must have now.
    from: Option<&'static str>,
    /// The agent asking (`--agent`, `agent`); none: a person.
    agent: Option<&'static str>,
}

/// How a front door answered, in one vocabulary for all of them: the class of outcome (the
/// command line's exit status and the JSON-RPC error code say the same thing:
/// `refused` is exit 3 and -32602, `conflict` exit 4 and -32801, `notWritten` exit 5 and
/// -32803) and the kind of refusal (the command line's `--format json` `error.kind`, the
/// editors' and agents' `data.kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refused {
    class: &'static str,
    kind: String,
}

/// What a front door said, for the words check.
struct Answer {
    refused: Refused,
    message: String,
}

fn class_of_exit(code: Option<i32>) -> &'static str {
    match code {
        Some(0) => "done",
        Some(3) => "refused",
        Some(4) => "conflict",
        Some(5) => "notWritten",
        _ => "other",
    }
}

fn class_of_error_code(code: i64) -> &'static str {
    match code {
        -32602 => "refused",
        -32801 => "conflict",
        -32803 => "notWritten",
        _ => "other",
    }
}

/// The test's folders (`Scratch`) and the daemon it starts.
struct Setup {
    scratch: Scratch,
    daemon: Option<Child>,
}

impl Setup {
    fn new() -> Setup {
        // The daemon lives as long as the test; it is ended at the end.
        Setup { scratch: Scratch::new(600_000), daemon: None }
    }

    /// A daemon on this test's runtime folder, for the command line to go through.
    fn start_daemon(&mut self) {
        let daemon = self
            .scratch
            .command(&["daemon"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("taskmark daemon starts");
        self.daemon = Some(daemon);
        let socket = self.scratch.runtime.join("daemon.sock");
        let started = Instant::now();
        while !socket.exists() {
            assert!(started.elapsed() < WAIT, "the daemon's socket never appeared");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A fresh spec-folder tracker of tasks 1 to 3, all `[PLANNED]`, each scenario its own (so
    /// that no session of the daemon has read it before).
    fn workspace(&self, name: &str) -> PathBuf {
        let root = self.scratch.base.join(name);
        tracker::write_tracker(&root, 1, 3, tracker::Style::default());
        root
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
    }
}

/// Every file under `root`, path and bytes.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, folder: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(folder).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            let kind = std::fs::symlink_metadata(&path).expect("metadata").file_type();
            if kind.is_dir() {
                walk(root, &path, out);
            } else {
                let bytes = if kind.is_file() { std::fs::read(&path).expect("a readable file") } else { Vec::new() };
                out.insert(path.strip_prefix(root).expect("under the root").to_path_buf(), bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// `taskmark set` as a script runs it: `--format json`, through the daemon or not.
fn command_line(setup: &Setup, root: &Path, request: &Request, through_daemon: bool) -> Answer {
    let mut command = setup.scratch.command(&["set", request.task, request.status, "--format", "json", "--root"]);
    command.arg(root);
    if let Some(from) = request.from {
        command.args(["--from", from]);
    }
    if let Some(agent) = request.agent {
        command.args(["--agent", agent]);
    }
    if !through_daemon {
        command.arg("--no-daemon");
    }
    let output = command.output().expect("taskmark set runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!stderr.contains("not using the taskmark daemon"), "{stderr}");
    let answer: Value = serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{error}: {stdout}\n{stderr}"));
    let error = &answer["error"];
    assert_eq!(error["message"].as_str().map(|it| stderr.contains(it)), Some(true), "{answer}\n{stderr}");
    Answer {
        refused: Refused {
            class: class_of_exit(output.status.code()),
            kind: error["kind"].as_str().unwrap_or("none").to_string(),
        },
        message: stderr,
    }
}

/// A JSON-RPC error as an answer.
fn from_error(error: &Value) -> Answer {
    Answer {
        refused: Refused {
            class: class_of_error_code(error["code"].as_i64().unwrap_or(0)),
            kind: error["data"]["kind"].as_str().unwrap_or("none").to_string(),
        },
        message: error["message"].as_str().unwrap_or_default().to_string(),
    }
}

/// An editor's `taskmark.setStatus`, through a language server of its own.
fn editor(setup: &Setup, root: &Path, request: &Request) -> Answer {
    let mut command = setup.scratch.command(&["lsp", "--standalone"]);
    command.env("TASKMARK_STATE_DIR", &setup.scratch.state);
    let mut client = LspClient::launch_command(root, vscode_capabilities(), json!({}), command);
    client.notify("initialized", json!({}));
    let mut arguments = json!({ "task": request.task, "status": request.status });
    if let Some(from) = request.from {
        arguments["expectFrom"] = json!(from);
    }
    if let Some(agent) = request.agent {
        arguments["agent"] = json!(agent);
    }
    let started = Instant::now();
    let error = loop {
        let answer = client.request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": [arguments.clone()] }),
        );
        match answer {
            Ok(result) => panic!("the editor's change went through: {result}"),
            // Asked before the workspace is read: ask again.
            Err(error)
                if error["message"].as_str().is_some_and(|it| it.contains("still being indexed"))
                    && started.elapsed() < WAIT =>
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(error) => break error,
        }
    };
    client.stop();
    from_error(&error)
}

/// An agent's MCP `set_status`, through `taskmark mcp` and its own language server.
fn agent(setup: &Setup, root: &Path, request: &Request) -> Answer {
    let mut command = setup.scratch.command(&["mcp", "--no-daemon", "--root"]);
    command.arg(root);
    let mut agent = McpAgent::start(command, "doors");
    let mut arguments = json!({ "task": request.task, "status": request.status });
    if let Some(from) = request.from {
        arguments["expect_from"] = json!(from);
    }
    if let Some(agent) = request.agent {
        arguments["agent"] = json!(agent);
    }
    let started = Instant::now();
    let refused = loop {
        let answer = agent.call_tool("set_status", arguments.clone());
        assert_eq!(answer["result"]["isError"], true, "the agent's change went through: {answer}");
        let content = answer["result"]["structuredContent"].clone();
        let indexing = content["error"].as_str().is_some_and(|it| it.contains("still being indexed"));
        if !indexing || started.elapsed() > WAIT {
            break content;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    agent.stop();
    from_error(&json!({ "code": refused["code"], "message": refused["error"], "data": refused["data"] }))
}

/// An agent's tool call, asked again while the workspace is still being indexed; it must
/// succeed. Its structured content.
fn done_once_indexed(agent: &mut McpAgent, tool: &str, arguments: Value) -> Value {
    let started = Instant::now();
    loop {
        let answer = agent.call_tool(tool, arguments.clone());
        let content = answer["result"]["structuredContent"].clone();
        if content["error"].as_str().is_some_and(|it| it.contains("still being indexed")) && started.elapsed() < WAIT {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        assert_eq!(answer["result"]["isError"], false, "{answer}");
        return content;
    }
}

/// Sends `request` through every front door on `root` and checks they agree on `expected`,
/// speak their own words, and leave every file as it was.
fn every_door_refuses(setup: &Setup, root: &Path, request: &Request, expected: (&'static str, &str)) {
    let before = files(root);
    let doors = [
        ("command line", command_line(setup, root, request, false)),
        ("command line through the daemon", command_line(setup, root, request, true)),
        ("editor", editor(setup, root, request)),
        ("agent", agent(setup, root, request)),
    ];
    let expected = Refused { class: expected.0, kind: expected.1.to_string() };
    for (door, answer) in &doors {
        assert_eq!(answer.refused, expected, "{door}: {}", answer.message);
        let foreign: &[&str] = match *door {
            "command line" | "command line through the daemon" => &["`force`", "`reason`", "expectFrom", "expect_from"],
            _ => &["--force", "--reason", "--from", "--no-"],
        };
        for word in foreign {
            assert!(!answer.message.contains(word), "{door} says {word}: {}", answer.message);
        }
        assert_eq!(files(root), before, "{door} changed a file");
    }
    // Both command lines say it in the same words, and so do the editor and the agent.
    assert_eq!(doors[0].1.message, doors[1].1.message, "the command line through the daemon says it otherwise");
    assert_eq!(doors[2].1.message, doors[3].1.message, "the agent is told otherwise than the editor");
}

#[test]
fn every_front_door_refuses_the_same_way_and_writes_nothing() {
    let mut setup = Setup::new();
    setup.start_daemon();

    // A compare-and-swap that lost: task 1 is planned, not completed.
    let root = setup.workspace("conflict");
    every_door_refuses(
        &setup,
        &root,
        &Request { task: "1", status: "implementing", from: Some("completed"), agent: None },
        ("conflict", "conflict"),
    );

    // A transition the vocabulary forbids: from planned, not straight to researching.
    let root = setup.workspace("forbidden");
    every_door_refuses(
        &setup,
        &root,
        &Request { task: "1", status: "researching", from: None, agent: None },
        ("refused", "invalidTransition"),
    );

    // A status that asks for a reason, given none.
    let root = setup.workspace("reason");
    every_door_refuses(
        &setup,
        &root,
        &Request { task: "1", status: "blocked", from: None, agent: None },
        ("refused", "needsReason"),
    );

    // A status the tracker does not have.
    let root = setup.workspace("unknown");
    every_door_refuses(
        &setup,
        &root,
        &Request { task: "1", status: "bogus", from: None, agent: None },
        ("refused", "unknownStatus"),
    );

    // Completing a task whose plan still has a phase not started would leave new drift.
    let root = setup.workspace("drift");
    let started = setup
        .scratch
        .command(&["set", "2", "implementing", "--no-daemon", "--root"])
        .arg(&root)
        .output()
        .expect("taskmark set runs");
    assert!(started.status.success(), "{started:?}");
    every_door_refuses(
        &setup,
        &root,
        &Request { task: "2", status: "completed", from: None, agent: None },
        ("refused", "leavesDrift"),
    );

    // A plan of the task that is not text (binary): its place cannot be read, nor written.
    let root = setup.workspace("binary");
    std::fs::write(
        root.join("specs/003_task/plans/implementation-001.md"),
        [0xff_u8, 0xfe, 0, 0, 0xff, 0, 1, 2].repeat(64),
    )
    .expect("a binary plan");
    every_door_refuses(
        &setup,
        &root,
        &Request { task: "3", status: "implementing", from: None, agent: None },
        ("notWritten", "unreadable"),
    );

    // Another agent claims the task (`taskmark claim`; the claims are kept where every door
    // reads them).
    let root = setup.workspace("claimed");
    let claimed = setup
        .scratch
        .command(&["claim", "1", "--agent", "holder", "--root"])
        .arg(&root)
        .output()
        .expect("taskmark claim runs");
    assert!(claimed.status.success(), "{claimed:?}");
    every_door_refuses(
        &setup,
        &root,
        &Request { task: "1", status: "implementing", from: None, agent: Some("other") },
        ("refused", "claimed"),
    );

    // A plan of the task with a stray byte that is not UTF-8: read, but never written back.
    let root = setup.workspace("lossy");
    let plan = root.join("specs/003_task/plans/implementation-001.md");
    let mut bytes = std::fs::read(&plan).expect("the plan");
    bytes.extend_from_slice(b"\nA stray \xff byte.\n");
    std::fs::write(&plan, bytes).expect("a plan with a stray byte");
    every_door_refuses(
        &setup,
        &root,
        &Request { task: "3", status: "implementing", from: None, agent: None },
        ("notWritten", "unreadable"),
    );

    // The command line did go through the daemon: a change it allows is written there.
    let root = setup.workspace("allowed");
    let output =
        setup.scratch.command(&["set", "1", "implementing", "--root"]).arg(&root).output().expect("taskmark set runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && stdout.contains("through the taskmark daemon"), "{output:?}");
}

/// The section `new` with fields and acceptance criteria wrote in `root`'s TODO.md (task 4),
/// from its heading to the line before the next blank one.
fn section_of_4(root: &Path) -> String {
    let todo = std::fs::read_to_string(root.join("specs/TODO.md")).expect("TODO.md");
    let start = todo.find("### 4. ").unwrap_or_else(|| panic!("no task 4 in {todo}"));
    todo[start..].split("\n\n").next().unwrap_or_default().to_string()
}

/// Issue 32, item 10: a new task with the fields the tracker's standard asks for and its
/// acceptance criteria, through the command line (writing itself, and through the daemon) and
/// an agent's MCP `new_task`: every door writes the same section, in the tracker's style.
#[test]
fn every_front_door_writes_a_new_task_s_fields_and_criteria_the_same_way() {
    let mut setup = Setup::new();
    let mut sections = Vec::new();
    let cli = [
        "new",
        "Prove it",
        "--field",
        "Language=lean",
        "--field",
        "Effort=3 hours",
        "--criterion",
        "`lake build` passes",
        "--criterion",
        "no sorry left",
        "--root",
    ];
    let root = setup.workspace("new-direct");
    let output = setup.scratch.command(&cli).arg(&root).arg("--no-daemon").output().expect("taskmark new runs");
    assert!(output.status.success(), "{output:?}");
    sections.push(("command line", section_of_4(&root)));

    setup.start_daemon();
    let root = setup.workspace("new-daemon");
    let output = setup.scratch.command(&cli).arg(&root).output().expect("taskmark new runs");
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("through the taskmark daemon"),
        "{output:?}"
    );
    sections.push(("daemon", section_of_4(&root)));

    let root = setup.workspace("new-agent");
    let mut command = setup.scratch.command(&["mcp", "--no-daemon", "--root"]);
    command.arg(&root);
    let mut agent = McpAgent::start(command, "doors");
    let arguments = json!({
        "title": "Prove it", "fields": { "Effort": "3 hours", "Language": "lean" },
        "acceptance_criteria": ["`lake build` passes", "no sorry left"],
    });
    done_once_indexed(&mut agent, "new_task", arguments);
    agent.stop();
    sections.push(("agent", section_of_4(&root)));

    let (_, first) = &sections[0];
    for wanted in [
        "- **Effort**: 3 hours\n",
        "- **Language**: lean\n",
        "- **Acceptance Criteria**:\n  - [ ] `lake build` passes\n  - [ ] no sorry left",
    ] {
        assert!(first.contains(wanted), "{wanted:?} in {first}");
    }
    for (door, section) in &sections {
        assert_eq!(section, first, "{door} wrote another section");
    }

    // A field taskmark writes from its own option is refused by name, writing nothing.
    let root = setup.workspace("new-refused");
    let before = files(&root);
    let output =
        setup.scratch.command(&["new", "X", "--field", "Status=done", "--root"]).arg(&root).output().expect("runs");
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("use status"), "{output:?}");
    assert_eq!(files(&root), before);
}

/// Issue 32, item 7: completing a task with open acceptance criteria is refused (open-children),
/// and no tool ticked them: agents hand-edited TODO.md or forced. `edit --tick` (MCP `edit_task`
/// `tick`) ticks them, through every door, and the task then completes without force.
#[test]
fn a_task_s_criteria_ticked_through_any_door_let_it_complete() {
    let mut setup = Setup::new();
    setup.start_daemon();
    for door in ["command line", "daemon", "agent"] {
        let root = setup.workspace(&format!("tick-{}", door.replace(' ', "-")));
        let run = |args: &[&str]| {
            let mut command = setup.scratch.command(args);
            command.arg("--root").arg(&root);
            if door == "command line" {
                command.arg("--no-daemon");
            }
            command.output().expect("taskmark runs")
        };
        let made = run(&["new", "Prove it", "--criterion", "lemma proven", "--criterion", "no sorry, anywhere"]);
        assert!(made.status.success(), "{made:?}");
        for status in ["researching", "researched", "planning", "planned", "implementing"] {
            let set = run(&["set", "4", status]);
            assert!(set.status.success(), "{door}: {status}: {set:?}");
        }
        let refused = run(&["set", "4", "completed"]);
        assert_eq!(refused.status.code(), Some(3), "{door}: {refused:?}");
        assert!(String::from_utf8_lossy(&refused.stderr).contains("open-children"), "{refused:?}");
        if door == "agent" {
            let mut command = setup.scratch.command(&["mcp", "--root"]);
            command.arg(&root);
            let mut agent = McpAgent::start(command, "ticker");
            let answer = agent.call_tool("edit_task", json!({ "task": 4, "tick": [1, "no sorry, anywhere"] }));
            assert_eq!(answer["result"]["isError"], false, "{answer}");
            agent.stop();
        } else {
            let ticked = run(&["edit", "4", "--tick", "1", "--tick", "no sorry, anywhere"]);
            assert!(ticked.status.success(), "{door}: {ticked:?}");
        }
        let todo = std::fs::read_to_string(root.join("specs/TODO.md")).expect("TODO.md");
        assert!(todo.contains("  - [x] lemma proven\n  - [x] no sorry, anywhere\n"), "{door}: {todo}");
        let done = run(&["set", "4", "completed"]);
        assert!(done.status.success(), "{door}: {done:?}");
    }
}

/// A tracker with a fix that takes two passes (task 1's marker respelled, then the counters
/// counting it) and one that must be held back (task 2's plan header would say its phase is
/// done while TODO.md and state.json say planned: new drift).
fn to_fix(setup: &Setup, name: &str) -> PathBuf {
    let root = setup.workspace(name);
    let todo = root.join("specs/TODO.md");
    let text = std::fs::read_to_string(&todo).expect("TODO.md");
    let text = text.replacen("- **Status**: [PLANNED]", "- **Status**: [planned]", 1).replace("active: 3", "active: 1");
    std::fs::write(&todo, text).expect("TODO.md written");
    let plan = root.join("specs/002_task/plans/implementation-001.md");
    let text = std::fs::read_to_string(&plan).expect("the plan");
    std::fs::write(&plan, text.replace("### Phase 1: Do it [NOT STARTED]", "### Phase 1: Do it [COMPLETED]"))
        .expect("the plan written");
    root
}

/// Issue 31: `taskmark fix` once in the service. Every front door (the command line writing
/// itself and through the daemon, an editor's `taskmark.fix`, an agent's MCP `fix`) writes the
/// same files, fixes the same problems (all its passes: the editor and the agent made one pass a
/// call before) and names the same fix held back, with why.
#[test]
fn every_front_door_fixes_the_same_way_and_names_what_it_held_back() {
    let mut setup = Setup::new();
    let held_plan = "specs/002_task/plans/implementation-001.md";
    let mut results = Vec::new();
    let fixed_said = "Fixed 1 unknown-status, 1 stale-counts: wrote specs/TODO.md";
    let held_said =
        format!("1 safe fix held back:\n  {held_plan}:4: plan-status-stale held back: it would leave status-mismatch");

    let root = to_fix(&setup, "fix-direct");
    let output = setup.scratch.command(&["fix", "--no-daemon", "--root"]).arg(&root).output().expect("fix runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success() && stdout.starts_with(fixed_said) && stdout.contains(&held_said), "{output:?}");
    results.push(("command line", files(&root)));

    setup.start_daemon();
    let root = to_fix(&setup, "fix-daemon");
    let output = setup.scratch.command(&["fix", "--root"]).arg(&root).output().expect("fix runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(stdout.contains("through the taskmark daemon"), "{output:?}");
    assert!(output.status.success() && stdout.starts_with(fixed_said) && stdout.contains(&held_said), "{output:?}");
    results.push(("command line through the daemon", files(&root)));

    let expected_fixed = json!({ "unknown-status": 1, "stale-counts": 1 });
    let root = to_fix(&setup, "fix-editor");
    let mut command = setup.scratch.command(&["lsp", "--standalone"]);
    command.env("TASKMARK_STATE_DIR", &setup.scratch.state);
    let mut client = LspClient::launch_command(&root, vscode_capabilities(), json!({}), command);
    client.notify("initialized", json!({}));
    let started = Instant::now();
    let answer = loop {
        match client.request("workspace/executeCommand", json!({ "command": "taskmark.fix", "arguments": [{}] })) {
            Err(error)
                if error["message"].as_str().is_some_and(|it| it.contains("still being indexed"))
                    && started.elapsed() < WAIT =>
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            other => break other.unwrap_or_else(|error| panic!("the editor's fix failed: {error}")),
        }
    };
    client.stop();
    assert_eq!(answer["fixed"], expected_fixed, "{answer}");
    assert_eq!(answer["heldBack"][0]["file"], held_plan, "{answer}");
    assert!(answer["heldBack"][0]["why"].as_str().is_some_and(|it| it.contains("status-mismatch")), "{answer}");
    results.push(("editor", files(&root)));

    let root = to_fix(&setup, "fix-agent");
    let mut command = setup.scratch.command(&["mcp", "--no-daemon", "--root"]);
    command.arg(&root);
    let mut agent = McpAgent::start(command, "doors");
    // A dry run says what the fix will say, with the diff, and writes nothing.
    let untouched = files(&root);
    let dry = done_once_indexed(&mut agent, "fix", json!({ "dry_run": true }));
    assert_eq!(dry["fixed"], expected_fixed, "{dry}");
    assert_eq!(dry["heldBack"], answer["heldBack"], "{dry}");
    assert_eq!(dry["applied"], false, "{dry}");
    let diff = dry["diff"].as_str().unwrap_or_default();
    assert!(diff.contains("+  active: 3") && diff.contains("+- **Status**: [PLANNED]"), "{diff}");
    assert_eq!(files(&root), untouched, "a dry run wrote");
    let content = done_once_indexed(&mut agent, "fix", json!({}));
    agent.stop();
    assert_eq!(content["fixed"], expected_fixed, "{content}");
    assert_eq!(content["heldBack"], answer["heldBack"], "the agent is told what the editor is");
    results.push(("agent", files(&root)));

    let (_, first) = &results[0];
    let todo = String::from_utf8_lossy(&first[Path::new("specs/TODO.md")]).to_string();
    assert!(todo.contains("active: 3\n") && !todo.contains("[planned]"), "{todo}");
    let plan = String::from_utf8_lossy(&first[Path::new(held_plan)]).to_string();
    assert!(plan.contains("- **Status**: [NOT STARTED]"), "the held-back fix is not written: {plan}");
    for (door, written) in &results {
        assert_eq!(written, first, "{door} wrote otherwise than the command line");
    }
}
