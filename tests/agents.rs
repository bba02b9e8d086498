//! Issue 32's scenario, end to end: four agents, each an MCP client of its own `taskmark mcp`
//! (through the user's daemon), or each on the command line writing the files itself, in four
//! git worktrees of one clone of an agent team's tracker
//! (`tests/fixtures/agent-team`, modelled on ProofChecker's `.opencode/specs/`). Each claims a
//! task and takes it through research, plan, implementation (its plan's phases and its
//! acceptance criteria ticked through the tools) to completion, releases it, and creates two
//! tasks with the fields the tracker's standard asks for; one agent abandons a task, another
//! archives the one it finished. After every step `taskmark check` in its worktree must report
//! nothing that was not there at the start; every step must be accepted. Each worktree is then
//! committed and merged back into `main` with taskmark's merge driver: no conflict, no id used
//! twice, no update lost.
#![cfg(unix)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taskmark_test_support::mcp_agent::McpAgent;
use taskmark_test_support::scratch::Scratch;
use taskmark_test_support::{git, lsp_client::copy_tree};

const AGENTS: usize = 4;
const SPECS: &str = ".opencode/specs";

/// The fixture committed on `main`, with taskmark's merge driver set up, and one worktree per
/// agent on a branch of its own: main's folder, then the agents'.
fn repository(setup: &Scratch) -> (PathBuf, Vec<PathBuf>) {
    let main = setup.base.join("main");
    std::fs::create_dir_all(&main).expect("the repository's folder");
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/agent-team"), &main);
    git(&main, &["init", "-q", "-b", "main"]);
    git(&main, &["config", "user.email", "agents@example.com"]);
    git(&main, &["config", "user.name", "agents"]);
    let set_up = setup.run_at(&main, &["setup", "git"]);
    assert!(set_up.status.success(), "{set_up:?}");
    git(&main, &["add", "-A"]);
    git(&main, &["commit", "-q", "-m", "tracker"]);
    let worktrees = (1..=AGENTS)
        .map(|n| {
            let folder = setup.base.join(format!("agent-{n}"));
            git(&main, &["worktree", "add", "-q", "-b", &format!("agent-{n}"), folder.to_str().expect("a path")]);
            folder
        })
        .collect();
    (main, worktrees)
}

/// The problems `taskmark check` reports in `root` (errors and warnings: a hint that a status
/// could follow its ticked boxes is the next step's, not a problem), as `code file: message`.
fn diagnostics(setup: &Scratch, root: &Path) -> BTreeSet<String> {
    let output = setup.run_at(root, &["check", "--format", "json"]);
    let answer: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("check's JSON in {}: {output:?}", root.display()));
    let found = answer["diagnostics"].as_array().cloned().unwrap_or_default();
    found
        .iter()
        .filter(|it| it["severity"] == "error" || it["severity"] == "warning")
        .map(|it| format!("{} {}: {}", it["code"], it["file"], it["message"]))
        .collect()
}

/// How an agent reaches taskmark: an MCP session of its own, or the command line writing the
/// files itself (`--no-daemon`), as a script or a person in that worktree would.
enum Door {
    Mcp(McpAgent),
    CommandLine,
}

/// One agent: its door, its worktree, and what `check` said at the start there.
struct Agent<'s> {
    name: String,
    root: PathBuf,
    door: Door,
    setup: &'s Scratch,
    start: BTreeSet<String>,
    /// Every step, for the failure messages.
    steps: Vec<String>,
}

impl Agent<'_> {
    /// Calls tool `name` (or its command); the step must be accepted, and leave nothing new for
    /// `check`.
    fn step(&mut self, name: &str, arguments: Value) -> Value {
        let answer = match &mut self.door {
            Door::Mcp(mcp) => {
                let started = Instant::now();
                loop {
                    match mcp.tool(name, arguments.clone()) {
                        Ok(answer) => break answer,
                        // The session asked before its language server read the worktree.
                        Err(error)
                            if error["error"].as_str().is_some_and(|it| it.contains("still being indexed"))
                                && started.elapsed() < Duration::from_secs(30) =>
                        {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Err(error) => {
                            panic!("{}: {name} {arguments} was refused: {error}\nsteps: {:#?}", self.name, self.steps)
                        }
                    }
                }
            }
            Door::CommandLine => {
                let args = command_line(name, &arguments);
                let mut command =
                    self.setup.command_at(&self.root, &args.iter().map(String::as_str).collect::<Vec<_>>());
                let output = command.env("TASKMARK_AGENT", &self.name).output().expect("taskmark runs");
                assert!(
                    output.status.success(),
                    "{}: taskmark {args:?} was refused: {}{}\nsteps: {:#?}",
                    self.name,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr),
                    self.steps
                );
                serde_json::from_slice(&output.stdout).unwrap_or(json!({ "applied": true, "agent": self.name }))
            }
        };
        self.steps.push(format!("{name} {arguments}"));
        self.checked();
        answer
    }

    /// `check` reports nothing that was not there at the start.
    fn checked(&self) {
        let now = diagnostics(self.setup, &self.root);
        let new: Vec<&String> = now.difference(&self.start).collect();
        assert!(new.is_empty(), "{} after {:?}: new diagnostics {new:#?}", self.name, self.steps.last());
    }

    /// Writes a file of the agent's own work (a report), as its tools would.
    fn write(&mut self, path: &str, text: &str) {
        let file = self.root.join(path);
        std::fs::create_dir_all(file.parent().expect("a folder")).expect("the report's folder");
        std::fs::write(&file, text).expect("the report");
        self.steps.push(format!("wrote {path}"));
        self.checked();
    }

    /// The task's way through the workflow from where it stands (a task already planned goes
    /// straight to its implementation), claimed while it runs.
    fn work_on(&mut self, task: u64, folder: &str, phases: &[&str]) {
        let claimed = self.step("claim_task", json!({ "task": task, "agent": self.name, "minutes": 30 }));
        assert_eq!(claimed["agent"], self.name.as_str(), "{claimed}");
        if phases.is_empty() {
            self.step("set_status", json!({ "task": task, "status": "researching" }));
            let report = format!("{SPECS}/{folder}/reports/research-001.md");
            self.write(&report, "# Research\n\nFindings.\n");
            // Linked from the task the tracker's way, in TODO.md and state.json at once.
            self.step("edit_task", json!({ "task": task, "artifacts": [{ "kind": "research", "path": report }] }));
            let todo = std::fs::read_to_string(self.root.join(format!("{SPECS}/TODO.md"))).expect("TODO.md");
            // Written as the tracker writes its links (this one: `[path]` from the root).
            let linked = format!("{folder}/reports/research-001.md");
            let section = todo.split(&format!("### {task}.")).nth(1).unwrap_or_default();
            let section = section.split("\n### ").next().unwrap_or_default();
            assert!(section.contains(&linked), "{} not linked from task {task}:\n{section}", report);
            let state = std::fs::read_to_string(self.root.join(format!("{SPECS}/state.json"))).expect("state.json");
            assert!(state.contains(&format!("\"path\": \"{report}\"")), "{report} not in state.json:\n{state}");
            self.step("set_status", json!({ "task": task, "status": "researched" }));
            self.step("set_status", json!({ "task": task, "status": "planning" }));
            self.step("set_status", json!({ "task": task, "status": "planned" }));
        }
        self.step("set_status", json!({ "task": task, "status": "implementing" }));
        for phase in phases {
            let done = self.step(
                "edit_task",
                json!({ "task": task, "phase": phase, "tick": ["all"], "phase_status": "completed" }),
            );
            // Stamped under its heading, as the standard writes a finished phase.
            let plans: Vec<PathBuf> = std::fs::read_dir(self.root.join(format!("{SPECS}/{folder}/plans")))
                .expect("the task's plans")
                .flatten()
                .map(|it| it.path())
                .collect();
            assert!(!plans.is_empty(), "the task has a plan: {done}");
            for plan in plans {
                let text = std::fs::read_to_string(&plan).expect("the plan");
                let heading = format!("### Phase {phase}:");
                let after = text.split_once(&heading).map(|(_, rest)| rest).unwrap_or_default();
                let stamp = after.lines().nth(1).unwrap_or_default();
                assert!(stamp.starts_with("- **Completed**: 20"), "phase {phase} of {task} unstamped:\n{text}");
            }
        }
        self.step("edit_task", json!({ "task": task, "tick": ["all"] }));
        let done = self.step("set_status", json!({ "task": task, "status": "completed" }));
        assert_eq!(done["applied"], true, "{done}");
        self.step("release_task", json!({ "task": task, "agent": self.name }));
    }

    /// Two new tasks with the tracker's standard fields: their ids.
    fn new_tasks(&mut self) -> Vec<String> {
        (1..=2)
            .map(|n| {
                let title = format!("Follow-up {n} of {}", self.name);
                let made = self.step(
                    "new_task",
                    json!({
                        "title": title, "priority": "medium",
                        "fields": { "Language": "lean", "Effort": "1 hour" },
                        "acceptance_criteria": ["Done as described"],
                    }),
                );
                made["id"].as_str().unwrap_or_else(|| panic!("an id: {made}")).to_string()
            })
            .collect()
    }
}

/// A tool call as the command that does the same.
fn command_line(tool: &str, arguments: &Value) -> Vec<String> {
    let text = |value: &Value| value.as_str().map_or_else(|| value.to_string(), str::to_string);
    let task = text(&arguments["task"]);
    let mut args: Vec<String> = match tool {
        "claim_task" => vec!["claim".into(), task, "--minutes".into(), text(&arguments["minutes"])],
        "release_task" => vec!["release".into(), task],
        "set_status" => vec!["set".into(), task, text(&arguments["status"])],
        "edit_task" => vec!["edit".into(), task],
        "new_task" => vec!["new".into(), text(&arguments["title"]), "--format".into(), "json".into()],
        "archive_tasks" => {
            let tasks = arguments["tasks"].as_array().cloned().unwrap_or_default();
            std::iter::once("archive".to_string()).chain(tasks.iter().map(text)).collect()
        }
        _ => panic!("no command for the tool {tool}"),
    };
    let flags =
        [("reason", "--reason"), ("priority", "--priority"), ("phase", "--phase"), ("phase_status", "--phase-status")];
    for (key, flag) in flags {
        if let Some(value) = arguments.get(key) {
            args.extend([flag.to_string(), text(value)]);
        }
    }
    for (key, flag) in [("tick", "--tick"), ("acceptance_criteria", "--criterion")] {
        for value in arguments[key].as_array().into_iter().flatten() {
            args.extend([flag.to_string(), text(value)]);
        }
    }
    for artifact in arguments["artifacts"].as_array().into_iter().flatten() {
        args.extend(["--artifact".to_string(), format!("{}={}", text(&artifact["kind"]), text(&artifact["path"]))]);
    }
    for (name, value) in arguments["fields"].as_object().into_iter().flatten() {
        args.extend(["--field".to_string(), format!("{name}={}", text(value))]);
    }
    // The writing commands write the files themselves (claims have one store, daemon or not).
    if !tool.ends_with("_task") || tool == "new_task" || tool == "edit_task" {
        args.push("--no-daemon".into());
    }
    args
}

/// The status `list --format json` gives each task of `root` (archived ones included).
fn statuses(setup: &Scratch, root: &Path) -> BTreeMap<String, (String, bool)> {
    let mut found = BTreeMap::new();
    for archived in [false, true] {
        let mut args = vec!["list", "--format", "json"];
        if archived {
            args.push("--archived");
        }
        let output = setup.run_at(root, &args);
        assert!(output.status.success(), "{output:?}");
        let tasks: Value = serde_json::from_slice(&output.stdout).expect("list's JSON");
        for task in tasks.as_array().into_iter().flatten() {
            let id = task["id"].as_str().unwrap_or_default().to_string();
            let status = task["status"].as_str().unwrap_or_default().to_string();
            found.entry(id).or_insert((status, task["archived"] == true));
        }
    }
    found
}

#[test]
fn four_agents_in_four_worktrees_work_the_whole_flow_and_merge_back() {
    the_whole_flow(true);
}

/// The same scenario with the command line only, each writing the files itself.
#[test]
fn four_people_on_the_command_line_work_the_whole_flow_and_merge_back() {
    the_whole_flow(false);
}

/// Four agents (MCP sessions when `mcp`, else the command line) in four worktrees.
fn the_whole_flow(mcp: bool) {
    let setup = Scratch::new(60_000);
    let (main, worktrees) = repository(&setup);
    let start_on_main = diagnostics(&setup, &main);
    // Task 302 is planned already, with a plan of two phases; the others are not started.
    let work: [(u64, &str, &[&str]); AGENTS] = [
        (301, "301_formalize_the_soundness_lemma_for_the_modal_fragment", &[]),
        (302, "302_truth_lemma", &["1", "2"]),
        (303, "303_add_a_decision_procedure_for_the_propositional_fragment", &[]),
        (304, "304_write_the_tutorial_chapter_on_derivations", &[]),
    ];
    let made: Vec<Vec<String>> = std::thread::scope(|scope| {
        let runs: Vec<_> = worktrees
            .iter()
            .zip(work)
            .enumerate()
            .map(|(at, (root, (task, folder, phases)))| {
                let setup = &setup;
                scope.spawn(move || {
                    let name = format!("agent-{}", at + 1);
                    let door = if mcp {
                        let mut command = setup.command(&["mcp", "--root"]);
                        command.arg(root);
                        Door::Mcp(McpAgent::start(command, &name))
                    } else {
                        Door::CommandLine
                    };
                    let mut agent = Agent {
                        door,
                        start: diagnostics(setup, root),
                        name,
                        root: root.clone(),
                        setup,
                        steps: Vec::new(),
                    };
                    agent.work_on(task, folder, phases);
                    let made = agent.new_tasks();
                    match at {
                        0 => {
                            // Researched, then dropped (the strict table abandons only work
                            // under way).
                            agent.step("set_status", json!({ "task": 305, "status": "researching" }));
                            agent.step(
                                "set_status",
                                json!({ "task": 305, "status": "abandoned", "reason": "superseded by the new search" }),
                            );
                        }
                        1 => {
                            let archived = agent.step("archive_tasks", json!({ "tasks": [302] }));
                            assert_eq!(archived["applied"], true, "{archived}");
                        }
                        _ => {}
                    }
                    if let Door::Mcp(mcp) = agent.door {
                        mcp.stop();
                    }
                    made
                })
            })
            .collect();
        runs.into_iter().map(|it| it.join().expect("an agent's run")).collect()
    });

    // No id was given twice, before any merge.
    let ids: Vec<&String> = made.iter().flatten().collect();
    let distinct: BTreeSet<&&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 2 * AGENTS, "ids shared between worktrees: {ids:?}");

    // Every worktree committed and merged back with the driver, one after the other.
    for (at, root) in worktrees.iter().enumerate() {
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", &format!("agent-{} work", at + 1)]);
    }
    for at in 1..=AGENTS {
        let merged = Command::new("git")
            .args(["merge", "--no-edit", "-q", &format!("agent-{at}")])
            .current_dir(&main)
            .output()
            .expect("git merge runs");
        assert!(
            merged.status.success(),
            "merging agent-{at}: {}{}",
            String::from_utf8_lossy(&merged.stdout),
            String::from_utf8_lossy(&merged.stderr)
        );
    }
    let todo = std::fs::read_to_string(main.join(SPECS).join("TODO.md")).expect("TODO.md");
    assert!(!todo.contains("<<<<<<<") && !todo.contains(">>>>>>>"), "{todo}");

    // Nothing lost: every status the agents set, every task they made, once each.
    let tasks = statuses(&setup, &main);
    for task in ["301", "303", "304"] {
        assert_eq!(tasks.get(task).map(|it| it.0.as_str()), Some("[COMPLETED]"), "task {task}: {tasks:?}");
    }
    assert_eq!(tasks.get("302").map(|it| it.1), Some(true), "302 archived: {tasks:?}");
    assert_eq!(tasks.get("305").map(|it| it.0.as_str()), Some("[ABANDONED]"), "{tasks:?}");
    for id in &ids {
        assert_eq!(tasks.get(*id).map(|it| it.0.as_str()), Some("[NOT STARTED]"), "new task {id}: {tasks:?}");
        assert_eq!(todo.matches(&format!("### {id}. ")).count(), 1, "task {id} once in TODO.md:\n{todo}");
    }
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(main.join(SPECS).join("state.json")).expect("state.json"))
            .expect("state.json parses after the merges");
    // Each new task's entry is among the open ones, not moved along with an archived entry.
    let active: Vec<String> =
        state["active_projects"].as_array().into_iter().flatten().map(|it| it["project_number"].to_string()).collect();
    for id in &ids {
        assert!(active.contains(id), "task {id} not in active_projects: {state:#}");
    }
    let highest = ids.iter().filter_map(|it| it.parse::<u64>().ok()).max().unwrap_or(0);
    assert_eq!(state["next_project_number"], highest + 1, "{state}");
    // And `check` on main reports nothing that was not there at the start.
    let now = diagnostics(&setup, &main);
    let new: Vec<&String> = now.difference(&start_on_main).collect();
    assert!(new.is_empty(), "after the merges: {new:#?}\n{todo}");
}
