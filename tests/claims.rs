//! Agents' claims on tasks, honoured by every front door and kept across processes: the real
//! binary, a private state folder per test (`TASKMARK_STATE_DIR`, where the claims are kept) and
//! runtime folder (`TASKMARK_RUNTIME_DIR`, where the daemon listens), agents speaking MCP over
//! `taskmark mcp`'s stdio and the command line's `set`, `claim` and `release`.
#![cfg(unix)]

use taskmark_test_support::git;
use taskmark_test_support::mcp_agent::McpAgent;
use taskmark_test_support::scratch::Scratch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);
const REFUSED: i32 = 3;

/// The test's own folders (workspaces, runtime and state); daemons it starts end 1.5 s after
/// their last client.
fn setup() -> Scratch {
    Scratch::new(1500)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn said(output: &Output) -> String {
    format!("exit {:?}\nstdout: {}\nstderr: {}", output.status.code(), text(&output.stdout), text(&output.stderr))
}

/// Every file under `root` (but taskmark's own state), byte for byte.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, found: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
            let path = entry.path();
            if entry.file_name() == ".git" {
                continue;
            }
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.insert(path.clone(), std::fs::read(&path).expect("a readable file"));
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(root, &mut found);
    found
}

fn status_of_14(setup: &Scratch, root: &Path) -> String {
    let output = setup.run_at(root, &["show", "14", "--format", "json"]);
    let view: Value = serde_json::from_slice(&output.stdout).expect("show's JSON");
    view["status"].as_str().unwrap_or_default().to_string()
}

/// An agent: `taskmark mcp` on `root` (with its own language server, or through the daemon).
fn start_agent(setup: &Scratch, root: &Path, no_daemon: bool) -> McpAgent {
    let args: &[&str] = if no_daemon { &["mcp", "--no-daemon"] } else { &["mcp"] };
    McpAgent::start(setup.command_at(root, args), "t")
}

/// The claims tool as these tests call it: for 30 minutes.
trait ClaimTool {
    fn claim(&mut self, task: &str, agent: &str) -> Result<Value, Value>;
}

impl ClaimTool for McpAgent {
    fn claim(&mut self, task: &str, agent: &str) -> Result<Value, Value> {
        self.tool("claim_task", json!({ "task": task, "agent": agent, "minutes": 30 }))
    }
}

/// An agent claims task 14 through MCP: another agent's `taskmark set` is refused (exit 3, the
/// holder and its end named, nothing written), whether it names itself with `--agent` or
/// `TASKMARK_AGENT`; the holder, a person (no agent) and `--force` go through.
#[test]
fn a_claim_binds_another_agents_set_written_directly() {
    let setup = setup();
    let root = setup.workspace("direct");
    let mut holder = start_agent(&setup, &root, true);
    let claim = holder.claim("14", "agent-a").expect("granted");
    assert_eq!(claim["agent"], "agent-a", "{claim}");

    let before = files(&root);
    let refused = setup.run_at(&root, &["set", "14", "implementing", "--agent", "agent-b", "--no-daemon"]);
    assert_eq!(refused.status.code(), Some(REFUSED), "{}", said(&refused));
    let message = text(&refused.stderr);
    assert!(message.contains("agent-a") && message.contains("until"), "{message}");
    assert_eq!(files(&root), before, "nothing written");
    let from_environment = setup
        .command_at(&root, &["set", "14", "implementing", "--no-daemon"])
        .env("TASKMARK_AGENT", "agent-b")
        .output()
        .expect("taskmark runs");
    assert_eq!(from_environment.status.code(), Some(REFUSED), "{}", said(&from_environment));
    // Without a daemon running, `set` writes directly even without --no-daemon.
    let no_daemon_running = setup.run_at(&root, &["set", "14", "implementing", "--agent", "agent-b"]);
    assert_eq!(no_daemon_running.status.code(), Some(REFUSED), "{}", said(&no_daemon_running));
    assert_eq!(files(&root), before, "nothing written");

    let by_holder = setup.run_at(&root, &["set", "14", "implementing", "--agent", "agent-a", "--no-daemon"]);
    assert!(by_holder.status.success(), "{}", said(&by_holder));
    assert_eq!(status_of_14(&setup, &root), "[IMPLEMENTING]");
    let by_person = setup.run_at(&root, &["set", "14", "planned", "--force", "--no-daemon"]);
    assert!(by_person.status.success(), "{}", said(&by_person));
    let by_person = setup.run_at(&root, &["set", "14", "implementing", "--no-daemon"]);
    assert!(by_person.status.success(), "a person is not bound by claims: {}", said(&by_person));
    let forced = setup.run_at(&root, &["set", "14", "planned", "--agent", "agent-b", "--force", "--no-daemon"]);
    assert!(forced.status.success(), "{}", said(&forced));
    assert_eq!(status_of_14(&setup, &root), "[PLANNED]");
    holder.stop();
}

/// The same through a running daemon: `taskmark set --agent` is refused by the language server
/// the daemon runs, with the command line's exit code.
#[test]
fn a_claim_binds_another_agents_set_through_the_daemon() {
    let setup = setup();
    let root = setup.workspace("daemon");
    let mut holder = start_agent(&setup, &root, false);
    holder.claim("14", "agent-a").expect("granted");
    assert!(setup.daemon_pid().is_some(), "a daemon serves the agent");

    let before = files(&root);
    let refused = setup.run_at(&root, &["set", "14", "implementing", "--agent", "agent-b"]);
    assert_eq!(refused.status.code(), Some(REFUSED), "{}", said(&refused));
    let message = text(&refused.stderr);
    assert!(message.contains("agent-a") && message.contains("until"), "{message}");
    assert!(!message.contains("not using the taskmark daemon"), "{message}");
    assert_eq!(files(&root), before, "nothing written");

    let by_holder = setup.run_at(&root, &["set", "14", "implementing", "--agent", "agent-a"]);
    assert!(by_holder.status.success(), "{}", said(&by_holder));
    assert!(text(&by_holder.stdout).contains("through the taskmark daemon"), "{}", said(&by_holder));
    let forced = setup.run_at(&root, &["set", "14", "planned", "--agent", "agent-b", "--force"]);
    assert!(forced.status.success(), "{}", said(&forced));
    let by_person = setup.run_at(&root, &["set", "14", "implementing"]);
    assert!(by_person.status.success(), "{}", said(&by_person));
    assert!(text(&by_person.stdout).contains("through the taskmark daemon"), "{}", said(&by_person));
    holder.stop();
}

/// Two agents, each with a language server of its own (`--no-daemon`): the second claim of one
/// task is refused, naming the first agent.
#[test]
fn two_servers_of_their_own_cannot_both_claim_a_task() {
    let setup = setup();
    let root = setup.workspace("two");
    let mut first = start_agent(&setup, &root, true);
    let mut second = start_agent(&setup, &root, true);
    first.claim("14", "agent-a").expect("granted");
    let refused = second.claim("14", "agent-b").expect_err("held by agent-a");
    assert_eq!(refused["data"]["kind"], "claimed", "{refused}");
    assert_eq!(refused["data"]["agent"], "agent-a", "{refused}");
    // The second one sees the claim in show_task too, with the task named as agents often do,
    // by a JSON number.
    let shown = second.tool("show_task", json!({ "task": 14 })).expect("shown");
    assert_eq!(shown["claim"]["agent"], "agent-a", "{shown}");
    first.stop();
    second.stop();
}

/// Several `taskmark claim` processes at once: exactly one is granted, the others refused.
#[test]
fn of_many_claimers_at_once_exactly_one_wins() {
    let setup = setup();
    let root = setup.workspace("many");
    let claimers: Vec<std::process::Child> = (0..6)
        .map(|it| {
            setup
                .command_at(&root, &["claim", "14", "--agent", &format!("agent-{it}")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("taskmark claim starts")
        })
        .collect();
    let outputs: Vec<Output> = claimers.into_iter().map(|it| it.wait_with_output().expect("an exit")).collect();
    let granted = outputs.iter().filter(|it| it.status.success()).count();
    let refused = outputs.iter().filter(|it| it.status.code() == Some(REFUSED)).count();
    assert_eq!((granted, refused), (1, 5), "{:#?}", outputs.iter().map(said).collect::<Vec<_>>());
}

/// `taskmark claim` and `release`: granted, renewed, refused for another agent (exit 3, naming
/// the holder), released only by the holder; JSON on request.
#[test]
fn claim_and_release_from_the_command_line() {
    let setup = setup();
    let root = setup.workspace("cli");
    let granted = setup.run_at(&root, &["claim", "14", "--agent", "agent-a", "--minutes", "10", "--format", "json"]);
    assert!(granted.status.success(), "{}", said(&granted));
    let answer: Value = serde_json::from_slice(&granted.stdout).expect("JSON");
    assert_eq!((answer["agent"].as_str(), answer["renewed"].as_bool()), (Some("agent-a"), Some(false)), "{answer}");
    let renewed = setup
        .command_at(&root, &["claim", "14", "--format", "json"])
        .env("TASKMARK_AGENT", "agent-a")
        .output()
        .expect("taskmark runs");
    assert!(renewed.status.success(), "{}", said(&renewed));
    let answer: Value = serde_json::from_slice(&renewed.stdout).expect("JSON");
    assert_eq!(answer["renewed"], true, "{answer}");
    let refused = setup.run_at(&root, &["claim", "14", "--agent", "agent-b"]);
    assert_eq!(refused.status.code(), Some(REFUSED), "{}", said(&refused));
    assert!(text(&refused.stderr).contains("agent-a"), "{}", said(&refused));
    let not_yours = setup.run_at(&root, &["release", "14", "--agent", "agent-b"]);
    assert_eq!(not_yours.status.code(), Some(REFUSED), "{}", said(&not_yours));
    let released = setup.run_at(&root, &["release", "14", "--agent", "agent-a"]);
    assert!(released.status.success(), "{}", said(&released));
    let now_b = setup.run_at(&root, &["claim", "14", "--agent", "agent-b"]);
    assert!(now_b.status.success(), "{}", said(&now_b));
    let unknown = setup.run_at(&root, &["claim", "9999", "--agent", "agent-b"]);
    assert_eq!(unknown.status.code(), Some(REFUSED), "{}", said(&unknown));
    // With `--format json`, a refusal is an `{"error"}` object on stdout too, as for `set`.
    let refused = setup.run_at(&root, &["claim", "14", "--agent", "agent-c", "--format", "json"]);
    assert_eq!(refused.status.code(), Some(REFUSED), "{}", said(&refused));
    let answer: Value = serde_json::from_slice(&refused.stdout).expect("an error object");
    assert_eq!(answer["error"]["kind"], "claimed", "{answer}");
    let refused = setup.run_at(&root, &["new", "", "--format", "json", "--no-daemon"]);
    let answer: Value = serde_json::from_slice(&refused.stdout).expect("an error object");
    assert!(answer["error"]["message"].as_str().is_some_and(|it| it.contains("title")), "{answer}");
    let nobody = setup.run_at(&root, &["claim", "14"]);
    assert_eq!(nobody.status.code(), Some(2), "an agent must be named: {}", said(&nobody));
}

/// A claim made through the daemon outlives it: killed and started again, the next daemon
/// refuses another agent while the holder's session lives.
#[test]
fn claims_survive_a_daemon_restart() {
    let setup = setup();
    let root = setup.workspace("restart");
    let mut holder = start_agent(&setup, &root, false);
    holder.claim("14", "agent-a").expect("granted");
    let pid = setup.daemon_pid().expect("a daemon");
    let killed = Command::new("kill").args(["-9", &pid.to_string()]).status().expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + WAIT;
    while std::path::Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }

    let mut other = start_agent(&setup, &root, false);
    let next = setup.daemon_pid().expect("a new daemon");
    assert_ne!(next, pid, "another daemon");
    let refused = other.claim("14", "agent-b").expect_err("still held by agent-a");
    assert_eq!(refused["data"]["agent"], "agent-a", "{refused}");
    let set = other.tool("set_status", json!({ "task": "14", "status": "implementing", "agent": "agent-b" }));
    assert_eq!(set.expect_err("claimed")["data"]["kind"], "claimed");
    other.stop();
    holder.stop();
}

/// Issue 32, item 5: a SIGKILLed holder blocked everyone for its whole lease. A claim an agent's
/// session holds ends with its process: another agent claims at once, through the daemon and
/// directly; a claim from the command line (no session) lasts its lease.
#[test]
fn a_killed_holder_s_claim_ends_at_once() {
    let setup = setup();
    let root = setup.workspace("killed");
    let mut holder = start_agent(&setup, &root, false);
    let claim = holder.claim("14", "agent-a").expect("granted");
    assert_eq!(claim["holderPid"], holder.child.id(), "held by the agent's session: {claim}");
    holder.claim("13", "agent-a").expect("granted");
    let mut other = start_agent(&setup, &root, false);
    other.claim("14", "agent-b").expect_err("held while the holder lives");
    let killed = Command::new("kill").args(["-9", &holder.child.id().to_string()]).status().expect("kill runs");
    assert!(killed.success());
    holder.child.wait().expect("reaped");
    let granted = other.claim("14", "agent-b").expect("its holder is gone");
    assert_eq!(granted["agent"], "agent-b", "{granted}");
    let direct = setup.run_at(&root, &["claim", "13", "--agent", "agent-c"]);
    assert!(direct.status.success(), "{}", said(&direct));
    let refused = setup.run_at(&root, &["claim", "13", "--agent", "agent-d"]);
    assert_eq!(refused.status.code(), Some(REFUSED), "a command line claim lasts its lease: {}", said(&refused));
    other.stop();
}

/// Issue 32, item 5: any session could release another agent's claim by naming it. A session's
/// claim is renewed and released by that session only, unless forced.
#[test]
fn a_session_s_claim_is_released_by_that_session_only_unless_forced() {
    let setup = setup();
    let root = setup.workspace("sessions");
    let mut holder = start_agent(&setup, &root, true);
    holder.claim("14", "agent-a").expect("granted");
    let mut other = start_agent(&setup, &root, true);
    let refused = other.tool("release_task", json!({ "task": "14", "agent": "agent-a" })).expect_err("not its claim");
    assert_eq!(refused["data"]["kind"], "claimed", "{refused}");
    assert_eq!(refused["data"]["override"], "force", "{refused}");
    other.claim("14", "agent-a").expect_err("nor to renew under the same name");
    let by_hand = setup.run_at(&root, &["release", "14", "--agent", "agent-a"]);
    assert_eq!(by_hand.status.code(), Some(REFUSED), "{}", said(&by_hand));
    assert!(text(&by_hand.stderr).contains("--force"), "{}", said(&by_hand));
    let renewed = holder.claim("14", "agent-a").expect("its own session renews");
    assert_eq!(renewed["renewed"], true, "{renewed}");
    let forced = other.tool("release_task", json!({ "task": "14", "agent": "agent-a", "force": true }));
    assert_eq!(forced.expect("forced")["released"], true);
    holder.stop();
    other.stop();
}

/// Two worktrees of one repository share their claims: claimed in one, refused in the other, by
/// the command line and by an agent's language server there.
#[test]
fn two_worktrees_share_a_claim() {
    let setup = setup();
    let main = setup.workspace("main");
    git(&main, &["init", "-q", "-b", "main"]);
    git(&main, &["add", "-A"]);
    git(&main, &["commit", "-q", "-m", "tracker"]);
    let other = setup.base.join("agent-b");
    git(&main, &["worktree", "add", "-q", "-b", "agent-b", other.to_str().expect("a path")]);

    let granted = setup.run_at(&main, &["claim", "14", "--agent", "agent-a"]);
    assert!(granted.status.success(), "{}", said(&granted));
    // Issue 32, item 5: `status --worktrees` shows the claims every worktree shares.
    let status = setup.run_at(&other, &["status", "--worktrees"]);
    assert!(text(&status.stdout).contains("task specs:14 is claimed by `agent-a`"), "{}", said(&status));
    let before = files(&other);
    let refused = setup.run_at(&other, &["set", "14", "implementing", "--agent", "agent-b", "--no-daemon"]);
    assert_eq!(refused.status.code(), Some(REFUSED), "{}", said(&refused));
    assert_eq!(files(&other), before, "nothing written");
    let refused = setup.run_at(&other, &["claim", "14", "--agent", "agent-b"]);
    assert_eq!(refused.status.code(), Some(REFUSED), "{}", said(&refused));
    let mut agent = start_agent(&setup, &other, true);
    let refused = agent.claim("14", "agent-b").expect_err("held in main");
    assert_eq!(refused["data"]["agent"], "agent-a", "{refused}");
    agent.stop();
    // A folder outside the repository has claims of its own.
    let elsewhere = setup.workspace("elsewhere");
    let granted = setup.run_at(&elsewhere, &["claim", "14", "--agent", "agent-b"]);
    assert!(granted.status.success(), "{}", said(&granted));
}

/// A claims file taskmark cannot read is never taken for "no claims": an agent's change and
/// claim are refused naming the file (exit 5), through the command line and through an agent's
/// language server, and the file is left as it was; a person's change does not read it.
#[test]
fn a_corrupt_claims_file_stops_agents_but_not_people() {
    let setup = setup();
    let root = setup.workspace("corrupt");
    let granted = setup.run_at(&root, &["claim", "14", "--agent", "agent-a"]);
    assert!(granted.status.success(), "{}", said(&granted));
    let folder = setup.state.join("claims");
    let file = std::fs::read_dir(&folder)
        .expect("the claims folder")
        .flatten()
        .map(|it| it.path())
        .find(|it| it.extension().is_some_and(|extension| extension == "json"))
        .expect("the claims file");
    std::fs::write(&file, "{ not json").expect("corrupted");

    let before = files(&root);
    let refused = setup.run_at(&root, &["set", "14", "implementing", "--agent", "agent-b", "--no-daemon"]);
    assert_eq!(refused.status.code(), Some(5), "{}", said(&refused));
    assert!(text(&refused.stderr).contains(&file.display().to_string()), "{}", said(&refused));
    assert_eq!(files(&root), before, "nothing written");
    let refused = setup.run_at(&root, &["claim", "13", "--agent", "agent-b"]);
    assert_eq!(refused.status.code(), Some(5), "{}", said(&refused));
    let mut agent = start_agent(&setup, &root, true);
    let refused = agent.claim("13", "agent-b").expect_err("the claims are unknown");
    assert!(refused["error"].as_str().is_some_and(|it| it.contains("claims")), "{refused}");
    agent.stop();
    assert_eq!(std::fs::read_to_string(&file).expect("the claims file"), "{ not json", "left as it was");

    let by_person = setup.run_at(&root, &["set", "14", "implementing", "--no-daemon"]);
    assert!(by_person.status.success(), "{}", said(&by_person));
}

/// A repository with the example tracker committed on `main` and `count` more worktrees, each on
/// a branch of its own: the folders, main's first.
fn worktrees(setup: &Scratch, count: usize) -> Vec<PathBuf> {
    let main = setup.workspace("main");
    git(&main, &["init", "-q", "-b", "main"]);
    git(&main, &["add", "-A"]);
    git(&main, &["commit", "-q", "-m", "tracker"]);
    let mut folders = vec![main.clone()];
    for n in 1..=count {
        let folder = setup.base.join(format!("agent-{n}"));
        git(&main, &["worktree", "add", "-q", "-b", &format!("agent-{n}"), folder.to_str().expect("a path")]);
        folders.push(folder);
    }
    folders
}

/// The id `taskmark new TITLE --format json` gave, after checking it succeeded.
fn new_task(setup: &Scratch, root: &Path, title: &str, extra: &[&str]) -> String {
    let mut args = vec!["new", title, "--format", "json"];
    args.extend_from_slice(extra);
    let output = setup.run_at(root, &args);
    assert!(output.status.success(), "{}", said(&output));
    let answer: Value = serde_json::from_slice(&output.stdout).expect("new's JSON");
    answer["id"].as_str().expect("an id").to_string()
}

/// Issue 32, item 1: a task made in one worktree and not committed is invisible to git's
/// trees, and a second worktree gave the same id again. The id is reserved in the common git
/// folder, so the second gets the next one, with and without the daemon; a dry run reserves
/// nothing.
#[test]
fn new_tasks_in_two_worktrees_get_different_ids_before_any_commit() {
    let setup = setup();
    let folders = worktrees(&setup, 2);
    let first = new_task(&setup, &folders[1], "A", &["--no-daemon"]);
    let dry = setup.run_at(&folders[2], &["new", "B", "--dry-run", "--format", "json"]);
    assert!(dry.status.success(), "{}", said(&dry));
    let second = new_task(&setup, &folders[2], "B", &["--no-daemon"]);
    assert_ne!(first, second, "the second worktree reused the first one's uncommitted id");
    let third = new_task(&setup, &folders[0], "C", &[]);
    assert!(![&first, &second].contains(&&third), "{first} {second} {third}");
    let reserved = std::fs::read_to_string(folders[0].join(".git/taskmark/ids.json")).expect("the reservations");
    let reserved: Value = serde_json::from_str(&reserved).expect("JSON");
    let numbers: Vec<u64> =
        reserved["reservations"].as_array().expect("a list").iter().filter_map(|it| it["number"].as_u64()).collect();
    assert_eq!(numbers.len(), 3, "one per task written, none for the dry run: {reserved}");
    // `status --worktrees` shows them, with the worktree of each.
    let status = setup.run_at(&folders[0], &["status", "--worktrees", "--format", "json"]);
    assert!(status.status.success(), "{}", said(&status));
    let status: Value = serde_json::from_slice(&status.stdout).expect("status's JSON");
    let shown: Vec<(u64, bool)> = status["reserved"]
        .as_array()
        .expect("the reserved ids")
        .iter()
        .map(|it| (it["number"].as_u64().unwrap_or(0), it["worktree"].as_str().unwrap_or("").ends_with("agent-1")))
        .collect();
    assert_eq!(shown.len(), 3, "{status}");
    assert!(shown.contains(&(first.parse().expect("a number"), true)), "{status}");
    let human = setup.run_at(&folders[0], &["status", "--worktrees"]);
    assert!(text(&human.stdout).contains(&format!("{first} (agent-1)")), "{}", said(&human));

    // Once the first worktree commits its task, git's trees hold the id: the next new task
    // releases the reservation, and still does not take the number.
    git(&folders[1], &["add", "-A"]);
    git(&folders[1], &["commit", "-q", "-m", "task A"]);
    let fourth = new_task(&setup, &folders[2], "D", &["--no-daemon"]);
    assert!(![&first, &second, &third].contains(&&fourth), "{first} {second} {third} {fourth}");
    let reserved = std::fs::read_to_string(folders[0].join(".git/taskmark/ids.json")).expect("the reservations");
    let reserved: Value = serde_json::from_str(&reserved).expect("JSON");
    let mut numbers: Vec<String> = reserved["reservations"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|it| it["number"].as_u64().map(|it| it.to_string()))
        .collect();
    numbers.sort();
    let mut expected = vec![second, third, fourth];
    expected.sort();
    assert_eq!(numbers, expected, "the committed task's reservation is released: {reserved}");
}

/// Issue 32, item 1, as the agents met it: four agents in four worktrees, each making two tasks
/// at once, got 2 distinct ids for 8 tasks. Every one is distinct now.
#[test]
fn four_agents_in_four_worktrees_making_tasks_at_once_never_share_an_id() {
    let setup = setup();
    let folders = worktrees(&setup, 4);
    let agents: Vec<std::process::Child> = folders[1..]
        .iter()
        .map(|folder| {
            let script =
                "set -e; for title in one two; do taskmark_binary new \"$title\" --no-daemon --format json; done";
            let mut command = Command::new("sh");
            command
                .args(["-c", &script.replace("taskmark_binary", "\"$TASKMARK\"")])
                .env("TASKMARK", taskmark_test_support::taskmark_binary())
                .env("TASKMARK_STATE_DIR", &setup.state)
                .env("TASKMARK_RUNTIME_DIR", &setup.runtime)
                .current_dir(folder)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            command.spawn().expect("an agent")
        })
        .collect();
    let mut ids = Vec::new();
    for agent in agents {
        let output = agent.wait_with_output().expect("the agent finished");
        assert!(output.status.success(), "{}", said(&output));
        let answers = serde_json::Deserializer::from_slice(&output.stdout).into_iter::<Value>();
        ids.extend(answers.map(|it| it.expect("new's JSON")["id"].as_str().expect("an id").to_string()));
    }
    assert_eq!(ids.len(), 8, "{ids:?}");
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 8, "ids shared between worktrees: {ids:?}");
}

/// Issue 32, item 6: four agents all started task 14 and each got `warnings: []`. An agent
/// whose change (or claim) touches a task another worktree's session has taken up since they
/// parted is told so, naming the worktree.
#[test]
fn an_agent_is_told_of_a_task_taken_up_in_another_worktree() {
    let setup = setup();
    let folders = worktrees(&setup, 2);
    let mut first = start_agent(&setup, &folders[1], false);
    let started = first.tool("set_status", json!({ "task": "14", "status": "implementing" })).expect("started");
    assert!(!started["warnings"].to_string().contains("worktree"), "nobody else has it: {started}");
    let mut second = start_agent(&setup, &folders[2], false);
    // The daemon follows the other worktrees: wait until it has read the first one's change.
    let deadline = Instant::now() + WAIT;
    loop {
        let shown = second.tool("show_task", json!({ "task": "14" })).expect("shown");
        let seen = shown["elsewhere"].as_array().cloned().unwrap_or_default();
        if seen.iter().any(|it| it["worktree"] == "agent-1" && it["status"] == "[IMPLEMENTING]") {
            break;
        }
        assert!(Instant::now() < deadline, "the other worktree's change was never seen: {shown}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let claimed = second.claim("14", "agent-b").expect("no claim stands");
    let warned = claimed["warnings"].to_string();
    assert!(warned.contains("agent-1") && warned.contains("[IMPLEMENTING]"), "{claimed}");
    // Its own session's claim, made under another name, does not stop it.
    let set = second.tool("set_status", json!({ "task": "14", "status": "implementing" })).expect("set");
    let warned = set["warnings"].to_string();
    assert!(warned.contains("`agent-1` ([IMPLEMENTING])"), "{set}");
    first.stop();
    second.stop();
}

/// The ids of a `next_tasks` answer's ready (or held) tasks, in order.
fn ranked(answer: &Value, list: &str) -> Vec<String> {
    answer[list].as_array().into_iter().flatten().filter_map(|it| it["id"].as_str().map(str::to_string)).collect()
}

/// The reasons a `next_tasks` answer gives for `id` in `list`.
fn why(answer: &Value, list: &str, id: &str) -> String {
    answer[list]
        .as_array()
        .into_iter()
        .flatten()
        .find(|it| it["id"] == id)
        .map(|it| it["why"].to_string())
        .unwrap_or_default()
}

/// Issue 32, item 7 (`next_tasks`), as a team of agents uses it: each asks for the next task,
/// claims the first one offered and starts it. The next agent is never offered a task another
/// agent claimed or another worktree took up, and is told why each held task is held; the
/// command line (through the daemon, and without it) says the same.
#[test]
fn next_tasks_offers_each_agent_what_nobody_else_took() {
    let setup = setup();
    let folders = worktrees(&setup, 1);
    let mut first = start_agent(&setup, &folders[0], false);
    let offered = first.tool("next_tasks", json!({})).expect("ranked");
    // The example: 13 and 15 (medium), then 16 (low); 14 waits on 12, which is under way.
    assert_eq!(ranked(&offered, "ready"), ["13", "15", "16"], "{offered}");
    assert_eq!(ranked(&offered, "held"), ["14"], "{offered}");
    assert!(why(&offered, "held", "14").contains("depends on 12"), "{offered}");
    assert!(why(&offered, "ready", "13").contains("priority Medium"), "{offered}");
    // Two agents at once: two ready tasks, best first, that name no file in common.
    let paired = first.tool("next_tasks", json!({ "parallel": 2 })).expect("paired");
    let picked = paired["parallel"]["tasks"].as_array().expect("parallel tasks").clone();
    assert_eq!(paired["parallel"]["asked"], 2, "{paired}");
    assert_eq!(picked.len(), 2, "{paired}");
    assert_eq!(picked[0]["task"], "specs:13", "{paired}");
    // Its research report, linked from the repository root as the tracker writes it.
    assert_eq!(picked[0]["files"], json!(["specs/013_upload_throttling/reports/research-001.md"]), "{paired}");
    let files = |task: &Value| -> Vec<String> {
        task["files"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
    };
    assert!(files(&picked[0]).iter().all(|it| !files(&picked[1]).contains(it)), "{paired}");

    // Another worktree's agent takes up 15 there (not committed).
    let mut elsewhere = start_agent(&setup, &folders[1], false);
    elsewhere.tool("set_status", json!({ "task": "15", "status": "researching" })).expect("started there");
    // The first agent claims the first task offered.
    first.claim("13", "agent-a").expect("claimed");
    let mut second = start_agent(&setup, &folders[0], false);
    let deadline = Instant::now() + WAIT;
    let offered = loop {
        let offered = second.tool("next_tasks", json!({ "limit": 5 })).expect("ranked");
        if ranked(&offered, "ready") == ["16"] {
            break offered;
        }
        assert!(Instant::now() < deadline, "still offered what others took: {offered}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(why(&offered, "held", "13").contains("claimed by `agent-a`"), "{offered}");
    assert!(why(&offered, "held", "15").contains("taken up in the worktree `agent-1`"), "{offered}");
    assert_eq!((offered["readyCount"].as_u64(), offered["heldCount"].as_u64()), (Some(1), Some(3)), "{offered}");
    second.claim("16", "agent-b").expect("claimed");

    // The command line through the daemon says the same, and without it too (the claims are
    // kept on disk, the other worktree is read for the command).
    let through = setup.run_at(&folders[0], &["next", "--explain"]);
    assert!(through.status.success(), "{}", said(&through));
    let shown = text(&through.stdout);
    assert!(shown.starts_with("No task is ready to start.\n"), "{}", said(&through));
    assert!(shown.contains("claimed by `agent-b`") && shown.contains("taken up in the worktree `agent-1`"), "{shown}");
    let alone = setup.run_at(&folders[0], &["next", "--explain", "--no-daemon"]);
    assert!(alone.status.success(), "{}", said(&alone));
    assert_eq!(text(&alone.stdout), shown, "the same without the daemon");
    let json = setup.run_at(&folders[0], &["next", "--format", "json", "--no-daemon", "--limit", "1"]);
    let answer: Value = serde_json::from_slice(&json.stdout).expect("next's JSON");
    assert_eq!(
        (answer["readyCount"].as_u64(), answer["held"].as_array().map(Vec::len)),
        (Some(0), Some(1)),
        "{answer}"
    );
    for agent in [first, second, elsewhere] {
        agent.stop();
    }
}

/// Issue 32, item 6, without a daemon: `set --no-daemon` and `claim` read the other worktrees
/// for the command and warn about a task one of them has taken up, naming it, as the daemon's
/// answers do.
#[test]
fn the_command_line_alone_warns_of_a_task_taken_up_in_another_worktree() {
    let setup = setup();
    let folders = worktrees(&setup, 1);
    let started = setup.run_at(&folders[1], &["set", "14", "implementing", "--no-daemon"]);
    assert!(started.status.success(), "{}", said(&started));
    assert!(!text(&started.stderr).contains("another worktree"), "nobody else has it: {}", said(&started));
    let claimed = setup.run_at(&folders[0], &["claim", "14", "--agent", "agent-b"]);
    assert!(claimed.status.success(), "{}", said(&claimed));
    assert!(text(&claimed.stderr).contains("`agent-1` ([IMPLEMENTING])"), "{}", said(&claimed));
    let set = setup.run_at(&folders[0], &["set", "14", "implementing", "--no-daemon", "--agent", "agent-b"]);
    assert!(set.status.success(), "{}", said(&set));
    assert!(text(&set.stderr).contains("`agent-1` ([IMPLEMENTING])"), "{}", said(&set));
}
