//! End-to-end tests of `taskmark lsp`: the real binary, JSON-RPC over its stdin/stdout, a
//! copy of the example workspace on disk.

use taskmark_test_support::git;
use taskmark_test_support::lsp_client;
use taskmark_test_support::state;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lsp_client::{EditMode, LspClient, copy_tree, neovim_capabilities, vscode_capabilities};
use serde_json::{Value, json};

const PLAN: &str = "specs/012_sync_engine/plans/implementation-001.md";
const TODO: &str = "specs/TODO.md";
const STATE: &str = "specs/state.json";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example")
}

/// A copy of the example workspace in a fresh temporary folder.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path().join("ws");
    std::fs::create_dir_all(&root).expect("workspace folder");
    copy_tree(&example(), &root);
    (dir, root)
}

const WAIT: Duration = Duration::from_secs(20);

/// Starts a client and waits for the diagnostics of the whole workspace.
fn started(root: &Path, capabilities: Value, options: Value) -> LspClient {
    let mut client = LspClient::start(root, capabilities, options);
    let indexed = client.wait_until(WAIT, |it| {
        it.diagnostics.contains_key(&it.uri(PLAN)) && it.diagnostics.contains_key(&it.uri(STATE))
    });
    assert!(indexed, "no diagnostics after indexing; log:\n{}", client.log());
    client
}

fn check_json(root: &Path) -> Value {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["check", ".", "--no-baseline", "--format", "json"])
        .current_dir(root)
        .output()
        .expect("taskmark check runs");
    serde_json::from_slice(&output.stdout).expect("check prints JSON")
}

/// `(file, line, character, code)` of every diagnostic, sorted.
fn published(client: &LspClient) -> Vec<(String, u64, u64, String)> {
    let prefix = client.uri("");
    let mut out: Vec<(String, u64, u64, String)> = client
        .diagnostics
        .iter()
        .flat_map(|(uri, (_, list))| {
            let file = uri.strip_prefix(&prefix).unwrap_or(uri).trim_start_matches('/').to_string();
            list.iter().map(move |it| {
                (
                    file.clone(),
                    it["range"]["start"]["line"].as_u64().unwrap_or(0),
                    it["range"]["start"]["character"].as_u64().unwrap_or(0),
                    it["code"].as_str().unwrap_or("").to_string(),
                )
            })
        })
        .collect();
    out.sort();
    out
}

/// What `check` finds in the workspace at `root`, as [`published`] lists it.
fn checked(root: &Path) -> Vec<(String, u64, u64, String)> {
    let report = check_json(root);
    let mut out: Vec<(String, u64, u64, String)> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|it| {
            (
                it["file"].as_str().unwrap_or("").to_string(),
                it["range"]["start"]["line"].as_u64().unwrap_or(0),
                it["range"]["start"]["character"].as_u64().unwrap_or(0),
                it["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn publishes_the_same_diagnostics_as_check_for_every_file() {
    let (_dir, root) = workspace();
    let guide = "https://guide.example/taskmark/";
    let mut client = started(&root, vscode_capabilities(), json!({ "docsUrl": guide }));
    client.settle(Duration::from_millis(300));
    assert_eq!(published(&client), checked(&root));
    // Related places point at the other files of the task; codes link to the rule's docs.
    let (_, plan) = &client.diagnostics[&client.uri(PLAN)];
    let mismatch = plan.iter().find(|it| it["code"] == "status-mismatch").expect("the plan header mismatch");
    let related: Vec<&str> = mismatch["relatedInformation"]
        .as_array()
        .expect("related")
        .iter()
        .filter_map(|it| it["location"]["uri"].as_str())
        .collect();
    assert!(
        related.contains(&client.uri(TODO).as_str()) && related.contains(&client.uri(STATE).as_str()),
        "{related:?}"
    );
    assert_eq!(mismatch["codeDescription"]["href"], format!("{guide}rules/status-mismatch.html"));
    // Indexing reported its progress.
    let progress: Vec<&Value> = client.notifications.iter().filter(|it| it["method"] == "$/progress").collect();
    assert!(progress.iter().any(|it| it["params"]["value"]["kind"] == "begin"), "{progress:?}");
    assert!(progress.iter().any(|it| it["params"]["value"]["kind"] == "end"), "{progress:?}");
    client.stop();
}

#[test]
fn hover_shows_the_task_across_files() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let uri = client.open(TODO);
    let (line, character) = client.position_of(&uri, "12. Sync engine");
    let hover = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character + 2 } }),
        )
        .expect("hover answers");
    let markdown = hover["contents"]["value"].as_str().expect("markdown hover");
    assert!(markdown.starts_with("**Task 12 — Sync engine with retry queue** · `[IMPLEMENTING]`"), "{markdown}");
    assert!(markdown.contains("⚠ **The places of this task disagree.**"), "{markdown}");
    assert!(markdown.contains("| plan header |"), "{markdown}");
    assert!(markdown.contains("`[NOT STARTED]` | ✗ |"), "{markdown}");
    assert!(markdown.contains("**Progress**: 2/3 phases"), "{markdown}");
    assert!(markdown.contains("command:taskmark.setStatus?"), "{markdown}");
    assert_eq!(hover["range"]["start"]["line"], line);
    // Nothing to say on a line that names no task.
    let (line, _) = client.position_of(&uri, "## High Priority");
    let none = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": 3 } }),
        )
        .expect("hover answers");
    assert_eq!(none, Value::Null);
    client.stop();

    // A client that shows `command:` links as text (Neovim) gets the statuses as plain code,
    // and still the links to the files.
    let mut neovim = started(&root, neovim_capabilities(), json!({}));
    let uri = neovim.open(TODO);
    let (line, character) = neovim.position_of(&uri, "12. Sync engine");
    let hover = neovim
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character + 2 } }),
        )
        .expect("hover answers");
    let markdown = hover["contents"]["value"].as_str().expect("markdown hover");
    assert!(!markdown.contains("command:"), "{markdown}");
    assert!(markdown.contains("`[COMPLETED]`") || markdown.contains("`[REVISING]`"), "{markdown}");
    assert!(markdown.contains("](file://"), "{markdown}");
    // And the places as a list: its float shows a table's pipes raw, broken across lines.
    assert!(!markdown.contains('|'), "{markdown}");
    assert!(markdown.contains("- `[NOT STARTED]` ✗ plan header: ["), "{markdown}");
    neovim.stop();
}

/// Asks for code actions at `needle` in `uri` and returns them.
fn actions_at(client: &mut LspClient, uri: &str, needle: &str) -> Vec<Value> {
    let (line, character) = client.position_of(uri, needle);
    let position = json!({ "line": line, "character": character + 1 });
    client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": position, "end": position }, "context": { "diagnostics": [] } }),
        )
        .expect("code actions")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_code_action_at_a_stale_plan_header_settles_it_and_its_disagreement() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let uri = client.open(PLAN);
    let actions = actions_at(&mut client, &uri, "[NOT STARTED]");
    let titles: Vec<&str> = actions.iter().filter_map(|it| it["title"].as_str()).collect();
    // One help at the position: the header is behind its own phases (plan-status-stale), and
    // the disagreement with the task's other places offers no second, different help.
    let catch_up = actions
        .iter()
        .find(|it| it["title"] == "Set the plan header to `[IN PROGRESS]` from its phases")
        .unwrap_or_else(|| panic!("no catch-up action in {titles:?}"));
    assert!(!titles.iter().any(|it| it.starts_with("Make every place")), "{titles:?}");
    assert_eq!(catch_up["kind"], "quickfix");
    assert!(catch_up.get("edit").is_none(), "the edit is computed on resolve");
    assert!(titles.iter().any(|it| it.starts_with("Set status of 12 to ")), "{titles:?}");
    assert!(!titles.iter().any(|it| it.starts_with("Force")), "only allowed transitions: {titles:?}");
    let resolved = client.request("codeAction/resolve", catch_up.clone()).expect("resolves");
    let edit = resolved["edit"].clone();
    let changes = edit["documentChanges"].as_array().expect("versioned document changes for this client");
    let plan_change = changes.iter().find(|it| it["textDocument"]["uri"] == uri.as_str()).expect("edits the open plan");
    assert_eq!(plan_change["textDocument"]["version"], 1);
    client.apply_workspace_edit(&edit);
    // Save what the editor changed, as a user would.
    let edited: Vec<(String, String)> =
        client.documents.iter().map(|(uri, doc)| (uri.clone(), doc.text.clone())).collect();
    for (uri, text) in edited {
        std::fs::write(client.path_of(&uri).expect("file"), text).expect("save");
    }
    let settled = ["status-mismatch", "plan-status-stale"];
    let fixed = client.wait_until(WAIT, |it| !it.codes(PLAN).iter().any(|code| settled.contains(&code.as_str())));
    assert!(fixed, "still {:?}", client.codes(PLAN));
    let check = check_json(&root);
    let left: Vec<&Value> = check["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|it| settled.contains(&it["code"].as_str().unwrap_or("")) && it["task"] == "12")
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // An action offered against an older version is refused, not applied somewhere else.
    let stale = actions_at(&mut client, &uri, "[IN PROGRES]");
    let replace = stale.iter().find(|it| it["title"] == "Replace with `[IN PROGRESS]`").expect("typo fix").clone();
    let end = client.position_of(&uri, "# Implementation");
    client.change(&uri, end, end, "<!-- edited -->\n");
    let refused = client.request("codeAction/resolve", replace).expect_err("refused");
    assert_eq!(refused["code"], -32801, "{refused}");
    client.stop();
}

/// A client that cannot resolve gets every edit with the list; an action that cannot be
/// planned (a blocked status without its reason) is shown disabled with the reason, or left out
/// for a client that cannot show that, and never takes the line's other actions down with it.
#[test]
fn code_actions_for_clients_that_cannot_resolve_leave_out_only_what_cannot_be_planned() {
    let (_dir, root) = workspace();
    for disabled_support in [true, false] {
        let capabilities = json!({ "textDocument": { "codeAction": { "disabledSupport": disabled_support } } });
        let mut client = started(&root, capabilities, json!({}));
        let uri = client.open(PLAN);
        let actions = actions_at(&mut client, &uri, "[NOT STARTED]");
        let titles: Vec<&str> = actions.iter().filter_map(|it| it["title"].as_str()).collect();
        let catch_up = actions
            .iter()
            .find(|it| it["title"] == "Set the plan header to `[IN PROGRESS]` from its phases")
            .unwrap_or_else(|| panic!("no catch-up action in {titles:?}"));
        assert!(catch_up["edit"].is_object(), "the edit comes with the list: {catch_up}");
        let blocked: Vec<&Value> =
            actions.iter().filter(|it| it["title"].as_str().is_some_and(|title| title.contains("[BLOCKED]"))).collect();
        if disabled_support {
            assert!(!blocked.is_empty(), "{titles:?}");
            for action in blocked {
                let reason = action["disabled"]["reason"].as_str().unwrap_or_else(|| panic!("not disabled: {action}"));
                assert!(reason.contains("Blocking Reason"), "{reason}");
                assert!(action.get("edit").is_none(), "{action}");
            }
        } else {
            assert!(blocked.is_empty(), "{titles:?}");
            assert!(actions.iter().all(|it| it["edit"].is_object()), "{titles:?}");
        }
        client.stop();
    }
}

#[test]
fn set_status_edits_open_documents_in_the_editor_and_writes_closed_files_itself() {
    let (_dir, root) = workspace();
    let mut client = started(&root, neovim_capabilities(), json!({}));
    let todo = client.open(TODO);
    let result = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "14", "status": "researching" }] }),
        )
        .expect_err("PLANNED -> RESEARCHING is not allowed");
    let message = result["message"].as_str().unwrap_or("");
    assert!(message.contains("is not an allowed transition") && message.contains("[IMPLEMENTING]"), "{message}");
    // The same for pickers, without reading the message.
    let data = &result["data"];
    assert_eq!(
        (&data["kind"], &data["from"], &data["to"]),
        (&json!("invalidTransition"), &json!("[PLANNED]"), &json!("[RESEARCHING]")),
        "{result}"
    );
    assert!(data["allowed"].as_array().is_some_and(|it| it.contains(&json!("implementing"))), "{result}");
    let needs = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "14", "status": "blocked" }] }),
        )
        .expect_err("blocked needs a reason");
    assert_eq!(
        needs["data"],
        json!({ "kind": "needsReason", "status": "[BLOCKED]", "field": "Blocking Reason", "override": "reason" }),
        "{needs}"
    );

    let result = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "14", "status": "implementing" }] }),
        )
        .expect("the change is applied");
    assert_eq!(result["applied"], true, "{result}");
    assert_eq!(result["written"], json!(["specs/014_conflict_ui/plans/implementation-001.md", STATE]), "{result}");
    // Neovim gets plain `changes`, not versioned ones, and only for the document it has open.
    let apply =
        client.server_requests.iter().rev().find(|it| it["method"] == "workspace/applyEdit").expect("applyEdit");
    let changed: Vec<&String> = apply["params"]["edit"]["changes"].as_object().expect("changes").keys().collect();
    assert_eq!(changed, [&todo], "{apply}");
    let text = &client.documents[&todo].text;
    assert!(text.contains("- **14** [IMPLEMENTING] — Conflict resolution UI"), "{text}");
    assert!(!client.documents.contains_key(&client.uri(STATE)), "no buffer is opened for a closed file");
    let state = std::fs::read_to_string(root.join(STATE)).expect("state.json");
    assert!(state.contains("\"status\": \"implementing\""), "{state}");

    // An editor that says `applied: true` but skipped the edit is caught, and the closed files
    // it was prepared with are left as they were.
    client.edit_mode = EditMode::Pretend;
    let caught = client
        .request("workspace/executeCommand", json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "14", "status": "blocked", "reason": "waiting" }] }))
        .expect_err("the skipped edit is reported");
    assert!(caught["message"].as_str().unwrap_or("").contains("does not hold it; nothing was changed"), "{caught}");
    client.edit_mode = EditMode::Refuse;
    let refused = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "14", "status": "completed", "force": true }] }),
        )
        .expect_err("refused by the editor");
    assert!(refused["message"].as_str().unwrap_or("").contains("refused by the test"), "{refused}");
    assert_eq!(std::fs::read_to_string(root.join(STATE)).expect("state.json"), state, "rolled back");
    let leftovers: Vec<_> = std::fs::read_dir(root.join("specs"))
        .expect("specs")
        .flatten()
        .filter(|it| it.file_name().to_string_lossy().contains(".taskmark-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(state::journals(&state::state_home(&root)), Vec::<std::path::PathBuf>::new());
    client.stop();

    // `closedFiles: "editor"`: everything goes through the editor, which opens what it must.
    let (_dir, root) = workspace();
    let on_disk = std::fs::read_to_string(root.join(STATE)).expect("state.json");
    let mut client = started(&root, neovim_capabilities(), json!({ "closedFiles": "editor" }));
    client.open(TODO);
    let result = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "14", "status": "implementing" }] }),
        )
        .expect("the change is applied");
    assert_eq!(result["written"], json!([]), "the server wrote nothing itself: {result}");
    let state = client.documents.get(&client.uri(STATE)).expect("state.json was opened by the edit");
    assert!(state.text.contains("\"implementing\""), "{}", state.text);
    assert_eq!(std::fs::read_to_string(root.join(STATE)).expect("state.json"), on_disk, "the editor saves it, not us");
    client.stop();
}

#[test]
fn pick_status_asks_and_applies() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    client.pick = Some("[COMPLETED] (forced)".into());
    let picked = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.pickStatus", "arguments": [{ "task": "15" }] }),
        )
        .expect("picked");
    assert_eq!(picked["applied"], true, "{picked}");
    let asked = client.server_requests.iter().find(|it| it["method"] == "window/showMessageRequest").expect("asked");
    let offered: Vec<&str> =
        asked["params"]["actions"].as_array().expect("actions").iter().filter_map(|it| it["title"].as_str()).collect();
    assert_eq!(offered.first(), Some(&"[RESEARCHING]"), "{offered:?}");
    // Nothing was open: the server wrote every file itself, and asked the editor for nothing.
    assert!(!client.server_requests.iter().any(|it| it["method"] == "workspace/applyEdit"));
    let todo = std::fs::read_to_string(root.join(TODO)).expect("TODO.md");
    assert!(todo.contains("- **15** [COMPLETED] — CSV export"), "{todo}");
    // The index follows the files it wrote.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let info = client
            .request(
                "workspace/executeCommand",
                json!({ "command": "taskmark.taskInfo", "arguments": [{ "task": "15" }] }),
            )
            .expect("taskInfo answers");
        if info["status"] == "[COMPLETED]" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the index still says {}", info["status"]);
        std::thread::sleep(Duration::from_millis(20));
    }
    client.stop();
}

#[test]
fn list_and_info_commands_feed_pickers() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let listed = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.listTasks", "arguments": [{ "filter": "sync" }] }),
        )
        .expect("list");
    let first = &listed[0];
    assert_eq!(first["id"], "12", "{listed}");
    assert!(first["places"].as_array().is_some_and(|it| it.len() >= 3), "{first}");
    let info = client
        .request("workspace/executeCommand", json!({ "command": "taskmark.taskInfo", "arguments": [{ "task": "12" }] }))
        .expect("info");
    assert_eq!(info["title"], "Sync engine with retry queue");
    assert_eq!((&info["task"], &info["id"]), (&first["task"], &first["id"]), "named as listTasks names it: {info}");
    assert!(info["choices"].as_array().is_some_and(|it| it.iter().any(|c| c["status"] == "completed")), "{info}");
    let unknown = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.taskInfo", "arguments": [{ "task": "999" }] }),
        )
        .expect_err("unknown task");
    assert!(unknown["message"].as_str().unwrap_or("").contains("no task `999`"), "{unknown}");

    // The task under the cursor, where the editors' pickers start.
    let todo = client.open(TODO);
    let (line, character) = client.position_of(&todo, "13. Background upload");
    let at = |client: &mut LspClient, line: u32, character: u32| {
        client
            .request(
                "workspace/executeCommand",
                json!({ "command": "taskmark.taskAt", "arguments": [{ "uri": todo, "position": { "line": line, "character": character } }] }),
            )
            .expect("taskAt answers")
    };
    let found = at(&mut client, line, character + 4);
    assert_eq!((found["task"].as_str(), found["status"].as_str()), (Some("specs:13"), Some("[RESEARCHED]")), "{found}");
    assert_eq!(at(&mut client, 0, 0), Value::Null, "the frontmatter names no task");
    client.stop();
}

#[test]
fn incremental_edits_with_multibyte_text_keep_positions_right() {
    for capabilities in [vscode_capabilities(), neovim_capabilities()] {
        let (_dir, root) = workspace();
        let mut client = started(&root, capabilities, json!({}));
        let uri = client.open(PLAN);
        // Put wide characters before the typo on its line, then check the diagnostic still
        // points at the marker in the client's encoding.
        let (line, character) = client.position_of(&uri, "Progress reporting");
        client.change(&uri, (line, character), (line, character), "🚀 Ré ");
        let document = client.documents[&uri].text.clone();
        let expected = lsp_client::position(&document, document.find("[IN PROGRES]").expect("typo"), client.utf8);
        let version = client.documents[&uri].version;
        let seen = client.wait_until(WAIT, |it| it.diagnostics.get(&uri).is_some_and(|(v, _)| *v == Some(version)));
        assert!(seen, "no diagnostics for version {version}");
        let (_, list) = &client.diagnostics[&uri];
        let typo = list.iter().find(|it| it["code"] == "unknown-status").expect("typo diagnostic");
        assert_eq!(
            (typo["range"]["start"]["line"].as_u64(), typo["range"]["start"]["character"].as_u64()),
            (Some(expected.0 as u64), Some(expected.1 as u64))
        );
        // Fix the typo by typing one character inside it.
        let inside = client.position_of(&uri, "PROGRES]");
        let after = (inside.0, inside.1 + "PROGRES".len() as u32);
        client.change(&uri, after, after, "S");
        let fixed = client.wait_until(WAIT, |it| !it.codes(PLAN).contains(&"unknown-status".to_string()));
        assert!(fixed, "{:?}", client.codes(PLAN));
        client.stop();
    }
}

#[test]
fn a_burst_of_rapid_changes_ends_at_the_right_text() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let uri = client.open(TODO);
    // Type a new title for task 15 one character at a time, without waiting.
    let title = "Export to CSV, JSON and Ünïcödé 🚀 sheets";
    let (line, character) = client.position_of(&uri, "CSV export\n- **Effort**: 1 hour");
    let end = (line, character + "CSV export".len() as u32);
    client.change(&uri, (line, character), end, "");
    let mut at = (line, character);
    for c in title.chars() {
        client.change(&uri, at, at, &c.to_string());
        at.1 += if client.utf8 { c.len_utf8() } else { c.len_utf16() } as u32;
    }
    let symbols =
        client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).expect("symbols");
    let names: Vec<&str> = symbols.as_array().expect("symbols").iter().filter_map(|it| it["name"].as_str()).collect();
    assert!(names.contains(&format!("15. {title}").as_str()), "{names:?}");
    let version = client.documents[&uri].version;
    assert!(client.wait_until(WAIT, |it| it.diagnostics.get(&uri).is_some_and(|(v, _)| *v == Some(version))));
    client.stop();
}

/// Sends `count` edits all over the open `uri` without waiting, from `seed`: status markers
/// replaced, lines removed and added, characters typed, and (at `whole`) the whole text sent
/// once with a status changed.
fn burst_of_edits(client: &mut LspClient, uri: &str, seed: u64, count: usize, whole: Option<usize>) {
    let mut seed = seed;
    let mut next = |bound: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize % bound.max(1)
    };
    for step in 0..count {
        let text = client.documents[uri].text.clone();
        if Some(step) == whole {
            // An editor that sends the whole text now and then (a reload, a format).
            client.change_full(uri, &text.replacen("[NOT STARTED]", "[RESEARCHED]", 1));
            continue;
        }
        let boundaries: Vec<usize> = (0..=text.len()).filter(|it| text.is_char_boundary(*it)).collect();
        let markers: Vec<usize> = text.match_indices("**Status**: [").map(|(at, _)| at + 13).collect();
        let (start, end, new) = match next(4) {
            // A status marker replaced (a task's status changes).
            0 if !markers.is_empty() => {
                let at = markers[next(markers.len())];
                let end = at + text[at..].find(']').unwrap_or(0);
                (at, end, ["COMPLETED", "BLOCKED", "PLANNED", "IMPLEMENTING"][next(4)].to_string())
            }
            // A line removed.
            1 => {
                let at = boundaries[next(boundaries.len())];
                let line_start = text[..at].rfind('\n').map_or(0, |it| it + 1);
                let line_end = text[at..].find('\n').map_or(text.len(), |it| at + it + 1);
                (line_start, line_end, String::new())
            }
            // A line added.
            2 => {
                let at = text[..boundaries[next(boundaries.len())]].rfind('\n').map_or(0, |it| it + 1);
                (at, at, "- **Note**: é 🚀 added\n".to_string())
            }
            // A character typed.
            _ => {
                let at = boundaries[next(boundaries.len())];
                (at, at, "x".to_string())
            }
        };
        let utf8 = client.utf8;
        let (from, to) = (lsp_client::position(&text, start, utf8), lsp_client::position(&text, end, utf8));
        client.change(uri, from, to, &new);
    }
}

/// Waits for the diagnostics of the open `uri`'s last version, writes its text to disk, and
/// compares every published diagnostic with `check` of that text.
fn assert_published_as_check_of_the_document(client: &mut LspClient, root: &Path, uri: &str) {
    let version = client.documents[uri].version;
    let seen = client.wait_until(WAIT, |it| it.diagnostics.get(uri).is_some_and(|(v, _)| *v == Some(version)));
    assert!(seen, "no diagnostics for version {version}");
    // The same text on disk, for `check` (the open document still decides for the server).
    std::fs::write(root.join(TODO), &client.documents[uri].text).expect("written");
    client.settle(Duration::from_millis(500));
    assert_eq!(published(client), checked(root));
}

/// Edits all over TODO.md sent without waiting (the analysis takes several at once, as one
/// change found from the edits rather than by comparing the texts), a whole-text replacement
/// among them: the diagnostics end where `check` of the same text does, in every file.
#[test]
fn a_burst_of_edits_all_over_a_document_ends_where_check_of_its_text_does() {
    for capabilities in [vscode_capabilities(), neovim_capabilities()] {
        let (_dir, root) = workspace();
        let mut client = started(&root, capabilities, json!({}));
        let uri = client.open(TODO);
        burst_of_edits(&mut client, &uri, 0x5eed, 60, Some(30));
        assert_published_as_check_of_the_document(&mut client, &root, &uri);
        client.stop();
    }
}

/// A document opened and edited before the workspace is read, then edited again once it is:
/// the load puts the document as it then is in its index, and the later edits apply to that.
#[test]
fn edits_made_while_the_workspace_loads_and_after_end_where_check_of_the_text_does() {
    let (_dir, root) = workspace();
    let mut client = LspClient::start(&root, vscode_capabilities(), json!({}));
    let uri = client.open(TODO);
    burst_of_edits(&mut client, &uri, 0x10ad, 12, None);
    let indexed = client.wait_until(WAIT, |it| it.notifications.iter().any(|n| n["params"]["value"]["kind"] == "end"));
    assert!(indexed, "the workspace was not read; log:\n{}", client.log());
    burst_of_edits(&mut client, &uri, 0xaf7e, 12, None);
    assert_published_as_check_of_the_document(&mut client, &root, &uri);
    client.stop();
}

#[test]
fn files_changed_on_disk_update_diagnostics() {
    // VS Code-like: the client watches and notifies.
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let registered = client.server_requests.iter().any(|it| it["method"] == "client/registerCapability");
    assert!(registered, "asked the client to watch files");
    // A file reported with the text the server already has (one it wrote and read back, a save
    // that changed nothing) is not analysed again: nothing is published for it.
    client.settle(Duration::from_millis(300));
    let published_for_state = |client: &LspClient| {
        let uri = client.uri(STATE);
        client
            .notifications
            .iter()
            .filter(|it| it["method"] == "textDocument/publishDiagnostics" && it["params"]["uri"] == uri.as_str())
            .count()
    };
    let before = published_for_state(&client);
    assert!(before > 0 && client.codes(STATE).contains(&"status-mismatch".to_string()), "{:?}", client.codes(STATE));
    client.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": client.uri(STATE), "type": 2 }] }));
    client.settle(Duration::from_millis(500));
    assert_eq!(published_for_state(&client), before);
    fix_state_json(&root);
    client.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": client.uri(STATE), "type": 2 }] }));
    let updated = client.wait_until(WAIT, |it| !it.codes(STATE).contains(&"status-mismatch".to_string()));
    assert!(updated, "{:?}", client.codes(STATE));
    client.stop();

    // Neovim-like: no dynamic registration, so the server watches the disk itself.
    let (_dir, root) = workspace();
    let mut client = started(&root, neovim_capabilities(), json!({}));
    std::thread::sleep(Duration::from_millis(200));
    fix_state_json(&root);
    let updated = client.wait_until(WAIT, |it| !it.codes(STATE).contains(&"status-mismatch".to_string()));
    assert!(updated, "{:?}\n{}", client.codes(STATE), client.log());
    // A new plan file in a new task folder is picked up too.
    let folder = root.join("specs/016_audit_log/plans");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(
        folder.join("implementation-001.md"),
        "# Plan\n- **Task**: 16 - Audit log\n- **Status**: [NOT STRTED]\n",
    )
    .expect("plan");
    let uri = client.uri("specs/016_audit_log/plans/implementation-001.md");
    let seen = client.wait_until(WAIT, |it| {
        it.diagnostics.get(&uri).is_some_and(|(_, list)| list.iter().any(|d| d["code"] == "unknown-status"))
    });
    assert!(seen, "{}", client.log());
    // In a git repository, a nested .gitignore that now ignores that folder takes it out of the
    // workspace: its diagnostics go, and later changes in it are not read.
    std::fs::create_dir_all(root.join(".git")).expect("a repository");
    std::fs::write(root.join("specs/016_audit_log/.gitignore"), "plans/\n").expect("ignore file");
    let gone = client.wait_until(WAIT, |it| it.diagnostics.get(&uri).is_some_and(|(_, list)| list.is_empty()));
    assert!(gone, "{:?}\n{}", client.diagnostics.get(&uri), client.log());
    std::fs::write(folder.join("implementation-001.md"), "# Plan\n- **Task**: 16 - Audit log\n- **Status**: [NOPE]\n")
        .expect("plan");
    client.settle(Duration::from_millis(500));
    assert!(
        client.diagnostics.get(&uri).is_some_and(|(_, list)| list.is_empty()),
        "{:?}",
        client.diagnostics.get(&uri)
    );
    client.stop();
}

/// An editor that never answers `window/workDoneProgress/create` gets no progress bar, but
/// its diagnostics all the same (they wait behind that request otherwise).
#[test]
fn an_editor_that_never_answers_the_progress_request_still_gets_diagnostics() {
    let (_dir, root) = workspace();
    let mut client = LspClient::launch(&root, vscode_capabilities(), json!({}), "debug");
    client.unanswered.push("window/workDoneProgress/create");
    client.notify("initialized", json!({}));
    let indexed = client.wait_until(WAIT, |it| it.diagnostics.contains_key(&it.uri(PLAN)));
    assert!(indexed, "{}", client.log());
    assert!(client.server_requests.iter().any(|it| it["method"] == "window/workDoneProgress/create"));
    assert!(!client.notifications.iter().any(|it| it["method"] == "$/progress"));
    assert!(client.log().contains("indexing without a progress bar"));
    client.stop();
}

/// How many times diagnostics were published for `path`.
fn times_published(client: &LspClient, path: &str) -> usize {
    let uri = client.uri(path);
    client
        .notifications
        .iter()
        .filter(|it| it["method"] == "textDocument/publishDiagnostics" && it["params"]["uri"] == uri.as_str())
        .count()
}

/// A file's diagnostics are sent again only when they change: typing in one task's description
/// leaves another task's plan as it was published, while a line added above that task moves the
/// TODO.md places its disagreement points at, and so sends it again. The edited document gets
/// its diagnostics at every version.
#[test]
fn diagnostics_are_sent_again_only_when_they_change() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    client.settle(Duration::from_millis(300));
    let todo = client.open(TODO);
    let at = client.position_of(&todo, "Show both versions");
    let plan_before = times_published(&client, PLAN);
    let related_line = |client: &LspClient| {
        let (_, plan) = &client.diagnostics[&client.uri(PLAN)];
        let mismatch = plan.iter().find(|it| it["code"] == "status-mismatch").expect("the plan header mismatch");
        mismatch["relatedInformation"]
            .as_array()
            .expect("related")
            .iter()
            .find(|it| it["location"]["uri"] == client.uri(TODO).as_str())
            .and_then(|it| it["location"]["range"]["start"]["line"].as_u64())
            .expect("a related place in TODO.md")
    };
    let line_before = related_line(&client);
    for version in 2..=4 {
        client.change(&todo, at, at, "x");
        let published =
            client.wait_until(WAIT, |it| it.diagnostics.get(&todo).is_some_and(|(v, _)| *v == Some(version)));
        assert!(published, "no diagnostics for version {version}");
    }
    client.settle(Duration::from_millis(300));
    assert_eq!(times_published(&client, PLAN), plan_before, "the plan's diagnostics did not change");
    let top = client.position_of(&todo, "## Task Order");
    client.change(&todo, top, top, "Notes.\n\n");
    let sent = client.wait_until(WAIT, |it| times_published(it, PLAN) > plan_before);
    assert!(sent, "the plan's related place moved: its diagnostics are sent again");
    assert_eq!(related_line(&client), line_before + 2);
    client.stop();
}

/// An editor typing while the server starts: the open document is written over the files as
/// saved by the loader or, when it comes later, by the analysis thread, which writes what it
/// wrote since the load again once the git baseline's recheck (done off that thread, on the
/// loaded files) lands. Either way the diagnostics end where a fresh start on the edited text
/// does.
#[test]
fn edits_made_before_the_baseline_arrives_end_where_a_fresh_start_does() {
    let (_dir, root) = workspace();
    commit_everything(&root);
    let on_disk = std::fs::read_to_string(root.join(TODO)).expect("TODO.md");
    // Task 11 leaves a terminal status (not an allowed transition since HEAD), task 14's
    // description changes.
    let edited = on_disk
        .replacen(
            "- **Status**: [COMPLETED]\n- **Created**: 2026-09-20",
            "- **Status**: [NOT STARTED]\n- **Created**: 2026-09-20",
            1,
        )
        .replacen("Show both versions", "Show both versions (and a merge)", 1);
    assert_ne!(edited, on_disk);
    let mut client = LspClient::start(&root, vscode_capabilities(), json!({}));
    let todo = client.open_with(TODO, &edited);
    let at = client.position_of(&todo, "Cache the last synced state");
    client.change(&todo, at, at, "Always ");
    let since_head = |client: &LspClient| client.codes(TODO).contains(&"invalid-transition".to_string());
    assert!(client.wait_until(WAIT, since_head), "{:?}\n{}", client.codes(TODO), client.log());
    client.settle(Duration::from_millis(500));
    let log = client.log();
    let written_since_load = log
        .split("baseline rechecked off the analysis thread; ")
        .nth(1)
        .and_then(|it| it.split(' ').next())
        .and_then(|it| it.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("the baseline was rechecked off the analysis thread\n{log}"));
    assert!(
        written_since_load > 0 || log.contains("the loader wrote the open documents over the files as saved"),
        "{log}"
    );
    let typed = published(&client);
    let text = client.documents[&todo].text.clone();
    client.stop();
    assert_a_fresh_start_agrees(&root, &text, &typed, since_head);
}

/// Edits made after the load and before the git baseline lands (made late here) are written
/// again over the baseline's recheck, which was computed without them, and the diagnostics end
/// where a fresh start on the edited text does.
#[test]
fn edits_made_while_the_baseline_is_read_are_written_again_over_its_recheck() {
    let (_dir, root) = workspace();
    commit_everything(&root);
    let mut client = with_a_late_loader(&root);
    let indexed = client.wait_until(WAIT, |it| it.diagnostics.contains_key(&it.uri(PLAN)));
    assert!(indexed, "{}", client.log());
    let todo = client.open(TODO);
    let status = client.position_of(&todo, "[COMPLETED]\n- **Created**: 2026-09-20");
    client.change(&todo, status, (status.0, status.1 + "[COMPLETED]".len() as u32), "[NOT STARTED]");
    let at = client.position_of(&todo, "Cache the last synced state");
    client.change(&todo, at, at, "Always ");
    let before_baseline = client.wait_until(WAIT, |it| it.diagnostics.get(&todo).is_some_and(|(v, _)| *v == Some(3)));
    assert!(
        before_baseline && !client.codes(TODO).contains(&"invalid-transition".to_string()),
        "{:?}",
        client.codes(TODO)
    );
    let since_head = |client: &LspClient| client.codes(TODO).contains(&"invalid-transition".to_string());
    assert!(client.wait_until(WAIT, since_head), "{:?}\n{}", client.codes(TODO), client.log());
    client.settle(Duration::from_millis(300));
    let log = client.log();
    assert!(log.contains("baseline rechecked off the analysis thread; 1 files written since the load"), "{log}");
    let typed = published(&client);
    let text = client.documents[&todo].text.clone();
    client.stop();
    assert_a_fresh_start_agrees(&root, &text, &typed, since_head);
}

/// A document opened while the workspace loads is written over the files as saved by the
/// loader, its diagnostics followed there: they end where a fresh start on that text does.
#[test]
fn documents_opened_while_the_workspace_loads_are_written_in_by_the_loader() {
    let (_dir, root) = workspace();
    let on_disk = std::fs::read_to_string(root.join(TODO)).expect("TODO.md");
    let edited = on_disk.replacen("- **Status**: [PLANNED]", "- **Status**: [PLANED]", 1);
    assert_ne!(edited, on_disk);
    let mut client = with_a_late_loader(&root);
    client.open_with(TODO, &edited);
    let indexed = client.wait_until(WAIT, |it| it.diagnostics.contains_key(&it.uri(PLAN)));
    assert!(indexed, "{}", client.log());
    client.settle(Duration::from_millis(300));
    assert!(client.codes(TODO).contains(&"unknown-status".to_string()), "{:?}", client.codes(TODO));
    assert!(client.log().contains("the loader wrote the open documents over the files as saved"), "{}", client.log());
    let typed = published(&client);
    client.stop();
    assert_a_fresh_start_agrees(&root, &edited, &typed, |_| true);
}

/// Commits the whole workspace, as the git baseline to check transitions against.
fn commit_everything(root: &Path) {
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "example"]);
}

/// A client on a server whose loader waits a second before loading and again before reading
/// the git baseline (`TASKMARK_TEST_LOADER_DELAY_MS`), initialized.
fn with_a_late_loader(root: &Path) -> LspClient {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_taskmark"));
    command.args(["lsp", "--standalone", "--log-level", "debug"]).env("TASKMARK_TEST_LOADER_DELAY_MS", "1000");
    let mut client = LspClient::launch_command(root, vscode_capabilities(), json!({}), command);
    client.notify("initialized", json!({}));
    client
}

/// With `todo` saved as TODO.md, a server started afresh publishes `typed`, once `ready`.
fn assert_a_fresh_start_agrees(
    root: &Path,
    todo: &str,
    typed: &[(String, u64, u64, String)],
    ready: impl Fn(&LspClient) -> bool,
) {
    std::fs::write(root.join(TODO), todo).expect("write TODO.md");
    let mut fresh = started(root, vscode_capabilities(), json!({}));
    assert!(fresh.wait_until(WAIT, ready), "{:?}", fresh.codes(TODO));
    fresh.settle(Duration::from_millis(500));
    assert_eq!(published(&fresh), typed);
    fresh.stop();
}

/// Makes task 13's state.json entry agree with TODO.md.
fn fix_state_json(root: &Path) {
    let path = root.join(STATE);
    let text = std::fs::read_to_string(&path).expect("state.json");
    let entry = "\"status\": \"planned\",\n      \"created\": \"2026-10-03T10:05:00Z\"";
    let fixed = text.replacen(entry, &entry.replace("planned", "researched"), 1);
    assert_ne!(text, fixed);
    std::fs::write(&path, fixed).expect("write state.json");
}

#[test]
fn a_broken_configuration_is_shown_in_its_file_and_recovers() {
    let (_dir, root) = workspace();
    std::fs::write(root.join(".taskmark.toml"), "[rules]\nopen-children = \"loud\"\n").expect("write config");
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let config = client.uri(".taskmark.toml");
    assert!(client.wait_until(WAIT, |it| it.diagnostics.get(&config).is_some_and(|(_, list)| !list.is_empty())));
    let (_, list) = &client.diagnostics[&config];
    assert_eq!(list[0]["range"]["start"]["line"], 1, "{list:?}");
    assert!(client.notifications.iter().any(|it| it["method"] == "window/showMessage"), "the user is told");
    std::fs::write(root.join(".taskmark.toml"), "[rules]\nopen-children = \"off\"\n").expect("fix config");
    client.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": config, "type": 2 }] }));
    let recovered = client.wait_until(WAIT, |it| {
        it.diagnostics.get(&config).is_some_and(|(_, list)| list.is_empty())
            && !it.codes(PLAN).contains(&"open-children".to_string())
    });
    assert!(recovered, "{:?} {:?}", client.diagnostics.get(&config), client.codes(PLAN));
    client.stop();
}

#[test]
fn pull_mode_answers_diagnostic_requests_and_never_pushes() {
    let (_dir, root) = workspace();
    let mut client = LspClient::start(&root, vscode_capabilities(), json!({ "diagnostics": "pull" }));
    let uri = client.open(PLAN);
    client.settle(Duration::from_millis(500));
    let report = client.request("textDocument/diagnostic", json!({ "textDocument": { "uri": uri } })).expect("report");
    assert_eq!(report["kind"], "full");
    let codes: Vec<&str> =
        report["items"].as_array().expect("items").iter().filter_map(|it| it["code"].as_str()).collect();
    assert!(codes.contains(&"unknown-status"), "{codes:?}");
    let again = client
        .request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": uri }, "previousResultId": report["resultId"] }),
        )
        .expect("report");
    assert_eq!(again["kind"], "unchanged");
    let workspace =
        client.request("workspace/diagnostic", json!({ "previousResultIds": [] })).expect("workspace report");
    let files = workspace["items"].as_array().expect("items").len();
    assert!(files >= 3, "{workspace}");
    assert!(client.diagnostics.is_empty(), "pushed in pull mode: {:?}", client.diagnostics.keys());
    client.stop();
}

#[test]
fn navigation_completion_symbols_links_and_lenses() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({ "inlayHints": true }));
    let todo = client.open(TODO);
    let (line, character) = client.position_of(&todo, "12\n- **Plan**");
    let position = json!({ "line": line, "character": character });
    let definition = client
        .request("textDocument/definition", json!({ "textDocument": { "uri": todo }, "position": position }))
        .expect("definition");
    assert_eq!(definition[0]["uri"], todo.as_str());
    let references = client
        .request(
            "textDocument/references",
            json!({ "textDocument": { "uri": todo }, "position": position, "context": { "includeDeclaration": true } }),
        )
        .expect("references");
    let files: Vec<&str> =
        references.as_array().expect("locations").iter().filter_map(|it| it["uri"].as_str()).collect();
    assert!(files.contains(&client.uri(STATE).as_str()) && files.contains(&client.uri(PLAN).as_str()), "{files:?}");

    let symbols = client.request("workspace/symbol", json!({ "query": "conflict" })).expect("symbols");
    assert_eq!(symbols[0]["name"], "14. Conflict resolution UI", "{symbols}");

    let links = client.request("textDocument/documentLink", json!({ "textDocument": { "uri": todo } })).expect("links");
    let targets: Vec<&str> = links.as_array().expect("links").iter().filter_map(|it| it["target"].as_str()).collect();
    assert!(targets.contains(&client.uri(PLAN).as_str()), "{targets:?}");

    let lenses = client.request("textDocument/codeLens", json!({ "textDocument": { "uri": todo } })).expect("lenses");
    let lens = lenses
        .as_array()
        .expect("lenses")
        .iter()
        .find(|it| it["command"]["title"].as_str().is_some_and(|t| t.starts_with("2/3 phases")))
        .expect("a progress lens");
    assert_eq!(lens["command"]["command"], "taskmark.pickStatus");
    let hints = client
        .request("textDocument/inlayHint", json!({ "textDocument": { "uri": todo }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 999, "character": 0 } } }))
        .expect("hints");
    assert!(hints.as_array().is_some_and(|it| !it.is_empty()), "{hints}");

    // Editor settings change rule severities without a restart.
    assert!(client.codes(PLAN).contains(&"open-children".to_string()));
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "taskmark": { "rules": { "open-children": "off" } } } }),
    );
    let off = client.wait_until(WAIT, |it| !it.codes(PLAN).contains(&"open-children".to_string()));
    assert!(off, "{:?}", client.codes(PLAN));

    // Completion right after typing `[` on an empty status.
    let (line, character) = client.position_of(&todo, "[NOT STARTED]\n- **Priority**: Medium");
    client.change(&todo, (line, character), (line, character + "[NOT STARTED]".len() as u32), "[");
    let items = client
        .request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": todo }, "position": { "line": line, "character": character + 1 } }),
        )
        .expect("completion");
    let labels: Vec<&str> =
        items["items"].as_array().expect("items").iter().filter_map(|it| it["label"].as_str()).collect();
    assert!(labels.contains(&"[RESEARCHING]") && labels.contains(&"[COMPLETED]"), "{labels:?}");
    client.stop();
}

#[test]
fn bad_input_gets_an_answer_and_the_server_lives_on() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    // Malformed JSON inside a valid frame, then a frame with a broken header.
    client.send_raw(b"Content-Length: 12\r\n\r\n{not json!!}");
    client.send_raw(b"Content-Length: nope\r\n\r\n");
    // Unknown methods.
    let unknown = client.request("taskmark/noSuchMethod", json!({})).expect_err("unknown method");
    assert_eq!(unknown["code"], -32601);
    client.notify("taskmark/noSuchNotification", json!({}));
    // Bad URIs and files nobody indexed.
    for uri in ["not a uri", "https://example.com/TODO.md", "file:///nowhere/at/all.md"] {
        let answer = client.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 0 } }),
        );
        assert!(matches!(answer, Ok(Value::Null) | Err(_)), "{uri}: {answer:?}");
    }
    // Positions far out of range are clamped.
    let uri = client.open(TODO);
    for position in [
        json!({ "line": 99999, "character": 0 }),
        json!({ "line": 3, "character": 99999 }),
        json!({ "line": 4294967295u64, "character": 4294967295u64 }),
    ] {
        let answer =
            client.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": position }));
        assert!(answer.is_ok(), "{answer:?}");
        let answer =
            client.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": position }));
        assert!(answer.is_ok(), "{answer:?}");
    }
    client.change(&uri, (99999, 0), (99999, 5), "\nappended\n");
    // Wrong parameter shapes.
    let wrong = client.request("textDocument/hover", json!({ "position": "here" })).expect_err("invalid params");
    assert_eq!(wrong["code"], -32602);
    let wrong = client
        .request("workspace/executeCommand", json!({ "command": "taskmark.setStatus", "arguments": [42] }))
        .expect_err("bad arguments");
    assert_eq!(wrong["code"], -32602);
    let forged = json!({ "title": "x", "data": { "uri": uri, "version": 1, "target": { "fix": "unknown-status", "start": 9, "end": 1, "choice": 0 } } });
    assert!(client.request("codeAction/resolve", forged).is_err());
    // A document too large to be a tracker is not parsed, and says why.
    let huge = "- [ ] x\n".repeat(33 * 1024 * 1024 / 8 + 1);
    let uri = client.open_with("specs/huge/TODO.md", &huge);
    // 33 MiB through a debug build's transport takes seconds on a loaded machine: a longer
    // wait for this one answer (it still fails if the answer never comes).
    let told = client.wait_until(WAIT * 3, |it| {
        it.diagnostics.get(&uri).is_some_and(|(_, list)| {
            list.iter().any(|d| d["message"].as_str().is_some_and(|m| m.contains("over the 32 MiB limit")))
        })
    });
    assert!(told, "{:?}", client.diagnostics.get(&uri));
    // Still serving.
    let symbols = client.request("workspace/symbol", json!({ "query": "12" })).expect("still answering");
    assert!(symbols.as_array().is_some_and(|it| !it.is_empty()));
    client.stop();
}

#[test]
fn a_malformed_frame_does_not_swallow_the_requests_after_it() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let lost = r#"{"jsonrpc":"2.0","id":900,"method":"workspace/symbol","params":{"query":"x"}}"#;
    // A length that is not a number, with its body: the next request is still answered.
    client.send_raw(format!("Content-Length: nope\r\n\r\n{lost}").as_bytes());
    let symbols = client.request("workspace/symbol", json!({ "query": "12" })).expect("answered after a bad length");
    assert!(symbols.as_array().is_some_and(|it| !it.is_empty()), "{symbols}");
    // A length too short: the rest of its body is skipped up to the next header.
    client.send_raw(format!("Content-Length: 9\r\n\r\n{lost}").as_bytes());
    let symbols = client.request("workspace/symbol", json!({ "query": "12" })).expect("answered after a short length");
    assert!(symbols.as_array().is_some_and(|it| !it.is_empty()), "{symbols}");
    // Noise with no line break at all.
    client.send_raw(b"\x00\x01 binary noise {{{ ");
    let symbols = client.request("workspace/symbol", json!({ "query": "12" })).expect("answered after noise");
    assert!(symbols.as_array().is_some_and(|it| !it.is_empty()), "{symbols}");
    // The bad frames were answered with parse errors (with a null id: they had none to give).
    let parse_errors = client.wait_until(WAIT, |it| {
        it.orphan_responses.iter().filter(|error| error["error"]["code"] == -32700).count() >= 3
    });
    assert!(parse_errors, "{:?}", client.orphan_responses);
    // A request for a `$/` method the server does not know gets MethodNotFound, not silence;
    // `$/` notifications still pass.
    client.notify("$/setTrace", json!({ "value": "off" }));
    let unknown = client.request("$/unknown", json!({})).expect_err("no such method");
    assert_eq!(unknown["code"], -32601, "{unknown}");
    assert!(unknown["message"].as_str().is_some_and(|it| it.contains("$/unknown")), "{unknown}");
    client.notify("$/cancelRequest", json!({ "id": 12345 }));
    assert!(client.request("workspace/symbol", json!({ "query": "12" })).is_ok());
    client.stop();
}

#[test]
fn logs_go_to_the_requested_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let log = dir.path().join("server.log");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["lsp", "--standalone", "--log-level", "info", "--log-file"])
        .arg(&log)
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("taskmark lsp runs");
    assert!(output.status.success(), "{output:?}");
    let written = std::fs::read_to_string(&log).expect("the log file");
    assert!(written.contains("language server, process"), "{written}");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["lsp", "--standalone", "--log-level", "loud=="])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("taskmark lsp runs");
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}

/// Runs `taskmark set 13 planned` directly and kills it at the commit's `step`, leaving its
/// journal behind in `home`.
#[cfg(unix)]
fn kill_set_13_at(root: &std::path::Path, home: &std::path::Path, step: &str) {
    use std::os::unix::process::ExitStatusExt;
    let killed = std::process::Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["set", "13", "planned", "--force", "--no-daemon", "--date", "2026-11-23", "--root"])
        .arg(root)
        .env("TASKMARK_TEST_FAULT", step)
        .env("TASKMARK_STATE_DIR", home)
        .output()
        .expect("taskmark set runs");
    assert_eq!(killed.status.signal(), Some(9), "{}", String::from_utf8_lossy(&killed.stderr));
    assert_eq!(state::journals(home).len(), 1);
}

#[cfg(unix)]
#[test]
fn the_server_reports_a_transaction_a_crash_left_and_its_next_change_finishes_it() {
    let (_dir, root) = workspace();
    let home = state::state_home(&root);
    // `taskmark set` killed between committing its journal and renaming its files.
    kill_set_13_at(&root, &home, "committed");
    let todo_before = std::fs::read_to_string(root.join(TODO)).expect("TODO.md");
    let mut client = LspClient::start(&root, vscode_capabilities(), json!({}));
    let indexed = client.wait_until(WAIT, |it| it.diagnostics.contains_key(&it.uri(PLAN)));
    assert!(indexed, "no diagnostics after indexing; log:\n{}", client.log());
    let shown = |client: &LspClient| -> Vec<String> {
        client
            .notifications
            .iter()
            .filter(|it| it["method"] == "window/showMessage")
            .map(|it| it["params"]["message"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    // Opening the folder writes nothing: the user is told what is pending and what finishes it.
    let told = shown(&client);
    assert!(
        told.iter().any(|it| it.contains("interrupted transaction (set 13 planned") && it.contains("is pending")),
        "{told:?}"
    );
    assert_eq!(state::journals(&home).len(), 1);
    assert_eq!(std::fs::read_to_string(root.join(TODO)).expect("TODO.md"), todo_before);
    // The next status change finishes it first, and says so.
    client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "12", "status": "blocked", "reason": "waiting", "force": true }] }),
        )
        .expect("the status change goes ahead");
    // The message is sent before the answer, but the two travel apart to the client.
    let completed = |client: &LspClient| {
        shown(client).iter().any(|it| it.starts_with("taskmark: completed an interrupted transaction (set 13 planned"))
    };
    assert!(client.wait_until(WAIT, completed), "{:?}", shown(&client));
    // The server answers once the files are renamed and removes the new change's own journal
    // just after, so the folder is empty soon, not at once.
    assert_eq!(state::journals_left_after(&home, WAIT), Vec::<std::path::PathBuf>::new());
    // The index read the completed files: task 13 says `[PLANNED]` everywhere, no drift left.
    let todo = std::fs::read_to_string(root.join(TODO)).expect("TODO.md");
    assert!(todo.contains("- **13** [PLANNED]"), "{todo}");
    let settled = client.wait_until(WAIT, |it| !it.codes(STATE).contains(&"status-mismatch".to_string()));
    assert!(settled, "{:?}", client.codes(STATE));
    client.stop();
}

/// A write killed after its renames, before it removed its journal (where agent hosts kill
/// the daemon), then one of its files edited: the transaction is complete, so the editor is
/// told of nothing pending and its next change goes through (it used to be refused forever).
#[cfg(unix)]
#[test]
fn a_finished_transaction_whose_files_were_edited_since_never_blocks_the_next_change() {
    let (_dir, root) = workspace();
    let home = state::state_home(&root);
    kill_set_13_at(&root, &home, "synced");
    let mut todo = std::fs::read_to_string(root.join(TODO)).expect("TODO.md");
    todo.push_str("\nA line a person added after the crash.\n");
    std::fs::write(root.join(TODO), &todo).expect("an edit");

    let mut client = LspClient::start(&root, vscode_capabilities(), json!({}));
    let indexed = client.wait_until(WAIT, |it| it.diagnostics.contains_key(&it.uri(PLAN)));
    assert!(indexed, "no diagnostics after indexing; log:\n{}", client.log());
    client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "12", "status": "blocked", "reason": "waiting", "force": true }] }),
        )
        .expect("the status change goes ahead");
    let told: Vec<String> = client
        .notifications
        .iter()
        .filter(|it| it["method"] == "window/showMessage")
        .map(|it| it["params"]["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(!told.iter().any(|it| it.contains("interrupted transaction")), "{told:?}");
    assert_eq!(state::journals_left_after(&home, WAIT), Vec::<std::path::PathBuf>::new());
    let todo = std::fs::read_to_string(root.join(TODO)).expect("TODO.md");
    assert!(todo.contains("A line a person added after the crash."), "the edit was kept: {todo}");
    assert!(todo.contains("- **12** [BLOCKED]"), "{todo}");
    client.stop();
}

#[test]
fn every_folder_of_a_multi_root_window_is_served_and_folders_can_come_later() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let window = dir.path().join("window");
    std::fs::create_dir_all(window.join("app")).expect("folder");
    copy_tree(&example(), &window.join("app"));
    // A second tracker of its own: task 21, whose Task Order line and section disagree.
    let tracker = |id: &str, listed: &str, section: &str| {
        format!(
            "# TODO\n\n## Task Order\n\n- **{id}** {listed} — Offline banner\n\n## Tasks\n\n### {id}. Offline banner\n- **Status**: {section}\n- **Created**: 2026-11-01\n"
        )
    };
    std::fs::create_dir_all(window.join("web/specs")).expect("folder");
    std::fs::write(window.join("web/specs/TODO.md"), tracker("21", "[PLANNED]", "[RESEARCHED]")).expect("TODO.md");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_taskmark"));
    command.args(["lsp", "--standalone", "--log-level", "debug"]);
    let mut client = LspClient::launch_folders(&window, &["app", "web"], vscode_capabilities(), json!({}), command);
    client.notify("initialized", json!({}));
    let (app_plan, web_todo) = (client.uri(&format!("app/{PLAN}")), client.uri("web/specs/TODO.md"));
    let both = client.wait_until(WAIT, |it| {
        it.diagnostics.get(&app_plan).is_some_and(|(_, list)| !list.is_empty())
            && it
                .diagnostics
                .get(&web_todo)
                .is_some_and(|(_, list)| list.iter().any(|d| d["code"] == "status-mismatch"))
    });
    assert!(
        both,
        "diagnostics for both folders: {:?}\n{}",
        client.diagnostics.keys().collect::<Vec<_>>(),
        client.log()
    );

    // Requests go to the folder that holds the document; lists span every folder.
    let todo = client.open("web/specs/TODO.md");
    let at = client.position_of(&todo, "[RESEARCHED]");
    let hover = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": todo }, "position": { "line": at.0, "character": at.1 } }),
        )
        .expect("hover");
    assert!(hover.to_string().contains("Offline banner"), "{hover}");
    let listed = client
        .request("workspace/executeCommand", json!({ "command": "taskmark.listTasks", "arguments": [{}] }))
        .expect("listTasks");
    let ids: Vec<&str> = listed.as_array().expect("a list").iter().filter_map(|it| it["id"].as_str()).collect();
    assert!(ids.contains(&"21") && ids.contains(&"12"), "{ids:?}");

    // A status change goes to the folder whose tracker has the task.
    let result = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "21", "status": "implementing", "force": true }] }),
        )
        .expect("set in the second folder");
    assert_eq!(result["applied"], true, "{result}");
    let text = &client.documents[&todo].text;
    assert!(text.contains("- **21** [IMPLEMENTING]") && text.contains("- **Status**: [IMPLEMENTING]"), "{text}");

    // A folder added later is indexed and served too.
    std::fs::create_dir_all(window.join("docs/specs")).expect("folder");
    std::fs::write(window.join("docs/specs/TODO.md"), tracker("31", "[PLANED]", "[PLANNED]")).expect("TODO.md");
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({ "event": { "added": [{ "uri": client.uri("docs"), "name": "docs" }], "removed": [] } }),
    );
    let docs_todo = client.uri("docs/specs/TODO.md");
    let seen = client.wait_until(WAIT, |it| {
        it.diagnostics.get(&docs_todo).is_some_and(|(_, list)| list.iter().any(|d| d["code"] == "unknown-status"))
    });
    assert!(seen, "{}", client.log());
    // A folder removed from the window takes its diagnostics with it.
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({ "event": { "added": [], "removed": [{ "uri": client.uri("docs"), "name": "docs" }] } }),
    );
    let cleared = client.wait_until(WAIT, |it| it.diagnostics.get(&docs_todo).is_some_and(|(_, list)| list.is_empty()));
    assert!(cleared, "{:?}", client.diagnostics.get(&docs_todo));
    client.stop();
}

/// The server's resident memory, in bytes.
#[cfg(target_os = "linux")]
fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status.lines().find(|it| it.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|it| it.parse::<u64>().ok()).expect("a number") * 1024
}

/// Documents an editor closed leave the server's memory: it was 400 to 680 MB after 300 large
/// documents were opened and closed, because the allocator kept the freed pages.
#[cfg(target_os = "linux")]
#[test]
fn memory_of_closed_documents_goes_back_to_the_system() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let settle = |client: &mut LspClient| {
        // Answered once the analysis has applied every change sent before it.
        client.request("workspace/symbol", json!({ "query": "12" })).expect("symbols");
    };
    settle(&mut client);
    let before = resident_bytes(client.pid());
    let text = "- [ ] an item with some words and a [x] in it\n".repeat(24_000);
    let uris: Vec<String> = (0..24).map(|it| format!("file://{}/notes/{it}/TODO.md", root.display())).collect();
    for uri in &uris {
        client.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": text } }),
        );
    }
    settle(&mut client);
    let open = resident_bytes(client.pid());
    for uri in &uris {
        client.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    }
    settle(&mut client);
    let limit = before + (open - before) / 4;
    // The last frees (the published diagnostics on their way out) may come a moment later.
    let deadline = std::time::Instant::now() + WAIT;
    let mut closed = resident_bytes(client.pid());
    while closed >= limit && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        closed = resident_bytes(client.pid());
    }
    let mb = |bytes: u64| bytes >> 20;
    assert!(open > before + (24 << 20), "24 MB of documents open: {} MB -> {} MB", mb(before), mb(open));
    assert!(
        closed < limit,
        "closing them gave back too little: {} MB before, {} MB open, {} MB closed",
        mb(before),
        mb(open),
        mb(closed)
    );
    client.stop();
}

/// A status change from an editor is refused, with the file and the reason, while a file of the
/// task's tracker cannot be read: it used to write the other files and leave that one stale.
#[test]
fn a_status_change_is_refused_while_a_file_of_its_tracker_cannot_be_read() {
    let (_dir, root) = workspace();
    let mut bytes = std::fs::read(root.join(STATE)).expect("state.json");
    bytes.extend_from_slice(&[0; 8192]);
    std::fs::write(root.join(STATE), &bytes).expect("state.json, now binary");
    let todo = std::fs::read(root.join(TODO)).expect("TODO.md");
    let mut client = LspClient::start(&root, vscode_capabilities(), json!({}));
    assert!(client.wait_until(WAIT, |it| it.diagnostics.contains_key(&it.uri(PLAN))), "{}", client.log());
    let refused = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "12", "status": "blocked", "reason": "x" }] }),
        )
        .expect_err("refused");
    assert_eq!(refused["code"], -32803, "{refused}");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(message.contains("specs/state.json, a file of its tracker, cannot be read (binary file"), "{message}");
    assert_eq!(std::fs::read(root.join(TODO)).expect("TODO.md"), todo);
    assert_eq!(std::fs::read(root.join(STATE)).expect("state.json"), bytes);
    client.stop();
}

/// Issue 35's `dependency-dead`, as a user meets it: an editor open on TODO.md, whose user
/// abandons task 10 in the buffer. Task 11 (on 10) and task 12 (on 11) can never be done, and
/// say so at once; taking 10 out of 11's dependencies clears 12 too, through the chain, and
/// putting it back brings both again. Saved, `check` says what the editor shows, and `next
/// --explain` holds both back naming the chain.
#[test]
fn abandoning_a_task_shows_every_task_waiting_on_it_through_others() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path().join("ws");
    std::fs::create_dir_all(root.join("specs")).expect("specs");
    let todo = "# TODO

### 10. Legacy importer
- **Status**: [NOT STARTED]

### 11. Importer tests
- **Status**: [NOT STARTED]
- **Dependencies**: 10

### 12. Release
- **Status**: [NOT STARTED]
- **Dependencies**: 11

### 13. Unrelated
- **Status**: [NOT STARTED]
";
    std::fs::write(root.join(TODO), todo).expect("TODO.md");
    let mut client = LspClient::start(&root, neovim_capabilities(), json!({}));
    let uri = client.open(TODO);
    // Nothing to say of it yet: nothing is published for it.
    client.settle(Duration::from_millis(500));
    let dead = |client: &LspClient| -> Vec<String> {
        let list = client.diagnostics.get(&client.uri(TODO)).map(|(_, list)| list.clone()).unwrap_or_default();
        list.iter()
            .filter(|it| it["code"] == "dependency-dead")
            .map(|it| it["message"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert!(dead(&client).is_empty(), "{:?}", dead(&client));

    let abandoned = todo.replacen("[NOT STARTED]", "[ABANDONED]", 1);
    client.change_full(&uri, &abandoned);
    assert!(client.wait_until(WAIT, |it| dead(it).len() == 2), "{:?}\n{}", dead(&client), client.log());
    let messages = dead(&client);
    assert!(
        messages[0].starts_with("task 11 can never be done as planned: it depends on task 10, which is `[ABANDONED]`"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains(
            "task 12 can never be done as planned: it depends on task 11 (`[NOT STARTED]`), which waits on task 10"
        ),
        "{messages:?}"
    );

    // 11 no longer waits on 10: 12, two steps away, is clear too.
    let dropped = abandoned.replacen("- **Dependencies**: 10\n", "", 1);
    client.change_full(&uri, &dropped);
    assert!(client.wait_until(WAIT, |it| dead(it).is_empty()), "{:?}", dead(&client));
    client.change_full(&uri, &abandoned);
    assert!(client.wait_until(WAIT, |it| dead(it).len() == 2), "{:?}", dead(&client));

    std::fs::write(root.join(TODO), &abandoned).expect("saved");
    client.stop();
    let checked = check_json(&root);
    let from_check: Vec<&str> = checked["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|it| it["code"] == "dependency-dead")
        .filter_map(|it| it["message"].as_str())
        .collect();
    assert_eq!(from_check, messages, "{checked}");
    let next = std::process::Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["next", "--explain", "--no-daemon", "--format", "json"])
        .current_dir(&root)
        .env("TASKMARK_STATE_DIR", state::state_home(&root))
        .output()
        .expect("taskmark next runs");
    let answer: Value = serde_json::from_slice(&next.stdout).expect("next's JSON");
    let ready: Vec<&str> =
        answer["ready"].as_array().expect("ready").iter().filter_map(|it| it["id"].as_str()).collect();
    assert_eq!(ready, ["13"], "{answer}");
    let held: Vec<(&str, &str)> = answer["held"]
        .as_array()
        .expect("held")
        .iter()
        .map(|it| (it["id"].as_str().unwrap_or_default(), it["why"][0].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(
        held,
        [
            ("11", "depends on 10, and can never be done as planned: task 10, which is `[ABANDONED]`"),
            (
                "12",
                "depends on 11, and can never be done as planned: task 11 (`[NOT STARTED]`), which waits on task 10, which is `[ABANDONED]`"
            ),
        ],
        "{answer}"
    );
}

fn execute(client: &mut LspClient, command: &str, arguments: Value) -> Result<Value, Value> {
    client.request("workspace/executeCommand", json!({ "command": command, "arguments": [arguments] }))
}

/// Every file of the workspace with a hash of its bytes, for "nothing was written" checks
/// (taskmark's own state folder, which the tests keep in the workspace, left out).
fn snapshot(root: &Path) -> std::collections::BTreeMap<PathBuf, u64> {
    fn walk(dir: &Path, out: &mut std::collections::BTreeMap<PathBuf, u64>) {
        for entry in std::fs::read_dir(dir).expect("a folder").flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|it| it == ".taskmark") {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else {
                use std::hash::{Hash, Hasher};
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                std::fs::read(&path).expect("a file").hash(&mut hasher);
                out.insert(path.clone(), hasher.finish());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(root, &mut out);
    out
}

/// `(file, code)` of every diagnostic `taskmark check` finds, with how often.
fn findings(root: &Path) -> std::collections::BTreeMap<(String, String), usize> {
    let mut out = std::collections::BTreeMap::new();
    for it in check_json(root)["diagnostics"].as_array().expect("diagnostics") {
        let key = (it["file"].as_str().unwrap_or("").to_string(), it["code"].as_str().unwrap_or("").to_string());
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

#[test]
fn new_task_writes_every_store_with_an_id_no_branch_used_open_buffers_through_the_editor() {
    let (_dir, root) = workspace();
    // Another branch already handed out 17: the editor's new task must not take it.
    commit_everything(&root);
    git(&root, &["checkout", "-qb", "other"]);
    let other = std::process::Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["new", "Taken on another branch", "--no-branches"])
        .current_dir(&root)
        .env("TASKMARK_STATE_DIR", root.join("../state"))
        .output()
        .expect("taskmark new runs");
    assert!(other.status.success(), "{}", String::from_utf8_lossy(&other.stderr));
    git(&root, &["commit", "-qam", "task 17 on another branch"]);
    git(&root, &["checkout", "-q", "main"]);
    let before = findings(&root);

    let mut client = started(&root, neovim_capabilities(), json!({}));
    let todo = client.open(TODO);
    let todo_on_disk = std::fs::read_to_string(root.join(TODO)).expect("TODO.md");
    let result = execute(
        &mut client,
        "taskmark.newTask",
        json!({ "title": "Webhooks for status changes", "priority": "high", "dependsOn": ["12"], "plan": true }),
    )
    .expect("the task is created");
    let plan = "specs/018_webhooks_for_status_changes/plans/implementation-001.md";
    assert_eq!((result["id"].as_str(), result["task"].as_str()), (Some("18"), Some("specs:18")), "{result}");
    assert_eq!(result["tracker"], "specs");
    assert_eq!(result["files"], json!([TODO, STATE, plan]), "{result}");
    assert_eq!(result["created"], json!([plan]), "{result}");
    assert_eq!(result["written"], json!([STATE, plan]), "the closed and new files, written by the server: {result}");
    assert_eq!(result["applied"], true);
    // The open TODO.md changed in the editor (plain `changes` for Neovim), not on disk.
    let apply =
        client.server_requests.iter().rev().find(|it| it["method"] == "workspace/applyEdit").expect("applyEdit");
    let changed: Vec<&String> = apply["params"]["edit"]["changes"].as_object().expect("changes").keys().collect();
    assert_eq!(changed, [&todo], "{apply}");
    let text = client.documents[&todo].text.clone();
    assert!(text.contains("### 18. Webhooks for status changes\n- **Status**: [NOT STARTED]"), "{text}");
    assert!(text.contains("- **18** [NOT STARTED] — Webhooks for status changes"), "{text}");
    assert!(text.contains("next_project_number: 19"), "{text}");
    assert_eq!(
        std::fs::read_to_string(root.join(TODO)).expect("TODO.md"),
        todo_on_disk,
        "the buffer is the editor's to save"
    );
    let state = std::fs::read_to_string(root.join(STATE)).expect("state.json");
    assert!(state.contains("\"project_number\": 18") && state.contains("\"next_project_number\": 19"), "{state}");
    let skeleton = std::fs::read_to_string(root.join(plan)).expect("the plan skeleton is on disk");
    assert!(skeleton.contains("Webhooks for status changes"), "{skeleton}");
    assert!(!client.documents.contains_key(&client.uri(plan)), "no buffer is opened for a new file");
    // The editor was told as every editor on the workspace is, as its own change.
    let told = client.wait_until(WAIT, |it| it.notifications.iter().any(|n| n["method"] == "taskmark/taskChanged"));
    assert!(told);
    let notice = client.notifications.iter().find(|it| it["method"] == "taskmark/taskChanged").expect("notice");
    assert_eq!(
        (&notice["params"]["action"], &notice["params"]["task"], &notice["params"]["mine"]),
        (&json!("created"), &json!("specs:18"), &json!(true)),
        "{notice}"
    );
    // The server's index has the new task (its closed files re-read, the buffer analysed).
    let found = client.wait_until(WAIT, |_| true)
        && (0..200).any(|_| {
            let info = execute(&mut client, "taskmark.taskInfo", json!({ "task": "18" }));
            let done = info.as_ref().is_ok_and(|it| {
                it["status"] == "[NOT STARTED]" && it["places"].as_array().is_some_and(|p| p.len() >= 4)
            });
            if !done {
                std::thread::sleep(Duration::from_millis(20));
            }
            done
        });
    assert!(found, "taskInfo 18 after the change");
    // Saved, the workspace has no diagnostic it did not have before.
    std::fs::write(root.join(TODO), &text).expect("save TODO.md");
    let after = findings(&root);
    let new: Vec<_> = after.iter().filter(|(key, count)| before.get(key).is_none_or(|it| *it < **count)).collect();
    assert!(new.is_empty(), "new diagnostics after newTask: {new:?}");
    // The next one takes the next id, planned against the buffer that now holds 18.
    let next =
        execute(&mut client, "taskmark.newTask", json!({ "title": "Second", "noBranches": true })).expect("created");
    assert_eq!(next["id"], "19", "{next}");
    client.stop();
}

#[test]
fn new_task_creates_files_through_the_editor_when_it_takes_closed_files_and_can_create_them() {
    let (_dir, root) = workspace();
    let state_before = std::fs::read_to_string(root.join(STATE)).expect("state.json");
    let mut client = started(&root, vscode_capabilities(), json!({ "closedFiles": "editor" }));
    let result = execute(&mut client, "taskmark.newTask", json!({ "title": "Webhooks", "plan": true }))
        .expect("the task is created");
    let plan = "specs/017_webhooks/plans/implementation-001.md";
    assert_eq!(result["id"], "17", "{result}");
    assert_eq!(result["written"], json!([]), "the server wrote nothing itself: {result}");
    let apply =
        client.server_requests.iter().rev().find(|it| it["method"] == "workspace/applyEdit").expect("applyEdit");
    let operations = apply["params"]["edit"]["documentChanges"].as_array().expect("documentChanges");
    assert_eq!(operations[0]["kind"], "create", "the new file is created first: {apply}");
    assert_eq!(operations[0]["uri"], client.uri(plan));
    assert_eq!(operations[0]["options"], json!({ "overwrite": false, "ignoreIfExists": false }));
    let edited: Vec<&str> = operations[1..].iter().filter_map(|it| it["textDocument"]["uri"].as_str()).collect();
    assert!(edited.contains(&client.uri(plan).as_str()) && edited.contains(&client.uri(TODO).as_str()), "{edited:?}");
    let created = &client.documents[&client.uri(plan)].text;
    assert!(created.contains("Webhooks"), "{created}");
    assert!(client.documents[&client.uri(STATE)].text.contains("\"project_number\": 17"));
    assert_eq!(std::fs::read_to_string(root.join(STATE)).expect("state.json"), state_before, "the editor saves it");
    client.stop();

    // An editor that cannot create files (Neovim 0.11) gets the edits of existing files; the
    // new ones are written on disk.
    let (_dir, root) = workspace();
    let mut client = started(&root, neovim_capabilities(), json!({ "closedFiles": "editor" }));
    let result = execute(&mut client, "taskmark.newTask", json!({ "title": "Webhooks", "plan": true }))
        .expect("the task is created");
    assert_eq!(result["written"], json!([plan]), "{result}");
    assert!(root.join(plan).is_file());
    assert!(client.documents[&client.uri(STATE)].text.contains("\"project_number\": 17"));
    client.stop();
}

#[test]
fn new_task_refusals_and_dry_runs_write_nothing() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    client.open(TODO);
    let untouched = snapshot(&root);
    let refusals = [
        (json!({ "title": "Two\nlines" }), "line break"),
        (json!({ "title": "   " }), "is empty"),
        (json!({ "title": "Has [brackets]" }), "markdown"),
        (json!({ "title": "Fine", "dependsOn": ["99"] }), "unknown dependency `99`"),
        (json!({ "title": "Fine", "status": "nonsense" }), "nonsense"),
        (json!({ "title": "Fine", "tracker": "backlog" }), "no tracker `backlog`"),
    ];
    for (arguments, expected) in refusals {
        let refused = execute(&mut client, "taskmark.newTask", arguments.clone()).expect_err("refused");
        let message = refused["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{arguments}: {refused}");
        assert_eq!(refused["code"], -32602, "{refused}");
        assert!(refused["data"]["kind"].is_string(), "{refused}");
    }
    let unknown = execute(&mut client, "taskmark.newTask", json!({ "title": "Fine", "status": "nonsense" }))
        .expect_err("an unknown status");
    assert_eq!(unknown["data"]["kind"], "unknownStatus", "{unknown}");
    assert!(unknown["data"]["known"].as_array().is_some_and(|it| it.contains(&json!("not_started"))), "{unknown}");
    let usage = execute(&mut client, "taskmark.newTask", json!({ "tracker": "specs" })).expect_err("no title");
    assert!(usage["message"].as_str().unwrap_or_default().contains("taskmark.newTask takes"), "{usage}");

    let dry = execute(&mut client, "taskmark.newTask", json!({ "title": "Webhooks", "plan": true, "dryRun": true }))
        .expect("a dry run answers");
    assert_eq!((dry["id"].as_str(), dry["dryRun"].as_bool()), (Some("17"), Some(true)), "{dry}");
    let diff = dry["diff"].as_str().unwrap_or_default();
    assert!(
        diff.contains("+### 17. Webhooks") && diff.contains("+++ b/specs/017_webhooks/plans/implementation-001.md"),
        "{diff}"
    );
    assert!(
        !client.server_requests.iter().any(|it| it["method"] == "workspace/applyEdit"),
        "the editor was asked nothing"
    );
    assert_eq!(snapshot(&root), untouched, "nothing was written");
    client.stop();
}

#[test]
fn list_tasks_takes_the_filters_of_taskmark_list_and_says_where_each_task_is() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let ids = |value: &Value| -> Vec<String> {
        value.as_array().expect("a list").iter().filter_map(|it| it["id"].as_str().map(String::from)).collect()
    };
    let all = execute(&mut client, "taskmark.listTasks", json!({})).expect("list");
    assert_eq!(ids(&all), ["12", "13", "14", "15", "16"], "archived tasks are left out: {all}");
    let archived = execute(&mut client, "taskmark.listTasks", json!({ "archived": true })).expect("list");
    assert_eq!(ids(&archived).len(), 7);
    let ready = execute(&mut client, "taskmark.listTasks", json!({ "ready": true })).expect("list");
    assert_eq!(ids(&ready), ["13", "15", "16"]);
    let active = execute(&mut client, "taskmark.listTasks", json!({ "kind": "active" })).expect("list");
    assert_eq!(ids(&active), ["12"]);
    let planned =
        execute(&mut client, "taskmark.listTasks", json!({ "status": "[PLANNED]", "tracker": "specs" })).expect("list");
    assert_eq!(ids(&planned), ["14"]);
    // A tracker or status the workspace lacks is refused with what it has, not an empty list.
    let none = execute(&mut client, "taskmark.listTasks", json!({ "tracker": "backlog" })).expect_err("refused");
    assert!(none["message"].as_str().is_some_and(|it| it.contains("its trackers are specs")), "{none}");
    let typo = execute(&mut client, "taskmark.listTasks", json!({ "status": "plannedd" })).expect_err("refused");
    assert_eq!(typo["data"]["kind"], "unknownStatus", "{typo}");
    // The arguments it took before still work: a fuzzy filter, best match first, and a status.
    let sync = execute(&mut client, "taskmark.listTasks", json!({ "filter": "sync" })).expect("list");
    assert_eq!(ids(&sync).first().map(String::as_str), Some("12"));
    let status = execute(&mut client, "taskmark.listTasks", json!({ "status": "not_started" })).expect("list");
    assert_eq!(ids(&status), ["15", "16"]);
    let waiting = &all.as_array().expect("a list")[2];
    assert_eq!((waiting["id"].as_str(), waiting["kind"].as_str()), (Some("14"), Some("todo")), "{waiting}");
    assert_eq!(waiting["dependencies"][0]["id"], "12");
    assert_eq!(waiting["dependencies"][0]["done"], false);
    assert_eq!(waiting["progress"]["phases"], 2, "{waiting}");
    // Where to jump: the task's heading.
    assert_eq!(waiting["uri"], client.uri(TODO));
    let line = waiting["range"]["start"]["line"].as_u64().expect("a line") as usize;
    let todo = std::fs::read_to_string(root.join(TODO)).expect("TODO.md");
    assert!(todo.lines().nth(line).is_some_and(|it| it.starts_with("### 14.")), "line {line}");
    let bad = execute(&mut client, "taskmark.listTasks", json!({ "kind": "sideways" })).expect_err("unknown kind");
    assert!(bad["message"].as_str().unwrap_or_default().contains("the kinds are todo"), "{bad}");
    client.stop();
}

#[test]
fn trackers_feed_the_new_task_pickers_and_a_workspace_of_several_asks_which() {
    let (_dir, root) = workspace();
    std::fs::create_dir_all(root.join("notes")).expect("a folder");
    std::fs::write(root.join("notes/TODO.md"), "# Notes\n\n## Next\n\n- [ ] Tidy the wiki\n").expect("a checklist");
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let trackers = execute(&mut client, "taskmark.trackers", json!({})).expect("trackers");
    let specs = trackers.as_array().expect("a list").iter().find(|it| it["tracker"] == "specs").expect("specs");
    assert_eq!((specs["family"].as_str(), specs["writable"].as_bool()), (Some("spec-folder"), Some(true)), "{specs}");
    let statuses = specs["statuses"].as_array().expect("statuses");
    let default: Vec<&Value> = statuses.iter().filter(|it| it["default"] == true).collect();
    assert_eq!(default.len(), 1, "{statuses:?}");
    assert_eq!(default[0]["display"], "[NOT STARTED]");
    assert_eq!(specs["folder"], client.uri(""));
    let asked = execute(&mut client, "taskmark.newTask", json!({ "title": "Webhooks" })).expect_err("which tracker?");
    assert_eq!(asked["data"]["kind"], "chooseTracker", "{asked}");
    let offered: Vec<&str> =
        asked["data"]["trackers"].as_array().expect("trackers").iter().filter_map(Value::as_str).collect();
    assert!(offered.contains(&"specs") && offered.contains(&"notes"), "{offered:?}");
    let created = execute(&mut client, "taskmark.newTask", json!({ "title": "Webhooks", "tracker": "specs" }))
        .expect("created in the tracker named");
    assert_eq!(created["task"], "specs:17", "{created}");
    client.stop();
}

#[test]
fn edit_task_changes_the_fields_named_in_every_store_through_the_same_write_path() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let todo = client.open(TODO);
    let before = findings(&root);
    let untouched = snapshot(&root);
    for (arguments, expected) in [
        (json!({ "task": "999", "title": "Nothing" }), "no task `999`"),
        (json!({ "task": "12", "addDependencies": ["14"] }), "cycle"),
        (json!({ "task": "14", "title": "Two\nlines" }), "line"),
        (json!({ "title": "No task" }), "taskmark.editTask takes"),
    ] {
        let refused = execute(&mut client, "taskmark.editTask", arguments.clone()).expect_err("refused");
        assert!(refused["message"].as_str().unwrap_or_default().contains(expected), "{arguments}: {refused}");
    }
    assert_eq!(snapshot(&root), untouched, "a refusal writes nothing");
    let result = execute(
        &mut client,
        "taskmark.editTask",
        json!({ "task": "14", "title": "Conflict resolution screen", "addDependencies": ["13"] }),
    )
    .expect("edited");
    assert_eq!((result["task"].as_str(), result["applied"].as_bool()), (Some("specs:14"), Some(true)), "{result}");
    let files: Vec<&str> = result["files"].as_array().expect("files").iter().filter_map(Value::as_str).collect();
    assert!(files.contains(&TODO), "{result}");
    let text = client.documents[&todo].text.clone();
    assert!(text.contains("### 14. Conflict resolution screen"), "{text}");
    assert!(text.contains("- **14** [PLANNED] — Conflict resolution screen"), "{text}");
    assert!(text.contains("- **Dependencies**: 12, 13"), "{text}");
    if files.contains(&STATE) {
        let state = std::fs::read_to_string(root.join(STATE)).expect("state.json");
        assert!(state.contains("\"dependencies\": [12, 13]"), "{state}");
    }
    let notice = client.wait_until(WAIT, |it| {
        it.notifications.iter().any(|n| n["method"] == "taskmark/taskChanged" && n["params"]["action"] == "edited")
    });
    assert!(notice, "the edit is announced");
    std::fs::write(root.join(TODO), &text).expect("save TODO.md");
    let after = findings(&root);
    let new: Vec<_> = after.iter().filter(|(key, count)| before.get(key).is_none_or(|it| *it < **count)).collect();
    assert!(new.is_empty(), "new diagnostics after editTask: {new:?}");
    client.stop();
}

/// The example workspace with task 16 finished and a tracker that keeps archived task folders
/// under `specs/archive/`, so archiving 16 moves its folder.
fn archiving_workspace() -> (tempfile::TempDir, PathBuf) {
    let (dir, root) = workspace();
    let archived = root.join("specs/archive/010_settings_screen/plans");
    std::fs::create_dir_all(&archived).expect("a folder");
    std::fs::write(archived.join("implementation-001.md"), "# Plan\n\n- **Status**: [COMPLETED]\n").expect("a plan");
    let set = std::process::Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["set", "16", "completed", "--force", "--no-daemon"])
        .current_dir(&root)
        .env("TASKMARK_STATE_DIR", root.join("../state"))
        .output()
        .expect("taskmark set runs");
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    (dir, root)
}

#[test]
fn archive_done_in_a_window_of_two_folders_archives_in_each() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let window = dir.path().join("window");
    for folder in ["app", "web"] {
        let (_source_dir, source) = archiving_workspace();
        std::fs::create_dir_all(window.join(folder)).expect("folder");
        copy_tree(&source, &window.join(folder));
    }
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_taskmark"));
    command.args(["lsp", "--standalone"]);
    let mut client = LspClient::launch_folders(&window, &["app", "web"], vscode_capabilities(), json!({}), command);
    client.notify("initialized", json!({}));
    let (app_state, web_state) = (client.uri(&format!("app/{STATE}")), client.uri(&format!("web/{STATE}")));
    let indexed = client
        .wait_until(WAIT, |it| it.diagnostics.contains_key(&app_state) && it.diagnostics.contains_key(&web_state));
    assert!(indexed, "{}", client.log());
    let result = execute(&mut client, "taskmark.archiveTasks", json!({ "done": true })).expect("archived");
    let finished = ["specs:10", "specs:11", "specs:16"];
    assert_eq!(result["tasks"], json!([finished, finished].concat()), "each folder's finished tasks: {result}");
    let uris = result["uris"].as_array().expect("uris");
    assert!(
        ["app", "web"].iter().all(|folder| uris
            .iter()
            .any(|it| it.as_str().unwrap_or_default().contains(&format!("/window/{folder}/specs/TODO.md")))),
        "{result}"
    );
    for folder in ["app", "web"] {
        let moved = window.join(folder).join("specs/archive/016_audit_log");
        assert!(moved.is_dir() && !window.join(folder).join("specs/016_audit_log").exists(), "{folder}: {result}");
    }
    // Nothing finished is left anywhere: the refusal of each folder, as an error.
    let refused = execute(&mut client, "taskmark.archiveTasks", json!({ "done": true })).expect_err("nothing left");
    assert!(refused["message"].as_str().unwrap_or_default().contains("no finished task"), "{refused}");
    client.stop();
}

#[test]
fn archive_tasks_moves_folders_on_disk_or_through_an_editor_that_has_them_open() {
    let plan_16 = "specs/016_audit_log/plans/implementation-001.md";
    let archived_16 = "specs/archive/016_audit_log/plans/implementation-001.md";
    // Nothing of the folder open: the server moves it, with the closed files, in one transaction.
    let (_dir, root) = archiving_workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let todo = client.open(TODO);
    let dry =
        execute(&mut client, "taskmark.archiveTasks", json!({ "tasks": ["16"], "dryRun": true })).expect("a dry run");
    assert!(
        dry["diff"]
            .as_str()
            .unwrap_or_default()
            .contains("rename from specs/016_audit_log\nrename to specs/archive/016_audit_log"),
        "{dry}"
    );
    assert!(root.join(plan_16).is_file(), "a dry run moves nothing");
    let result = execute(&mut client, "taskmark.archiveTasks", json!({ "tasks": ["16"] })).expect("archived");
    assert_eq!(result["tasks"], json!(["specs:16"]), "{result}");
    assert_eq!(
        result["moved"],
        json!([{ "from": "specs/016_audit_log", "to": "specs/archive/016_audit_log" }]),
        "{result}"
    );
    assert!(root.join(archived_16).is_file() && !root.join("specs/016_audit_log").exists(), "the folder moved");
    assert!(!client.documents[&todo].text.contains("16. Audit log"), "the open TODO.md lost the section in the editor");
    let state = std::fs::read_to_string(root.join(STATE)).expect("state.json");
    assert!(!state.contains("\"project_name\": \"audit_log\",\n      \"status\": \"not_started\""), "{state}");
    // The index follows the move: the task is archived, its plan at the new place.
    let moved = (0..200).any(|_| {
        let listed = execute(&mut client, "taskmark.listTasks", json!({ "archived": true })).expect("list");
        let found = listed.as_array().expect("a list").iter().any(|it| {
            it["id"] == "16"
                && it["places"].as_array().is_some_and(|places| places.iter().any(|p| p["path"] == archived_16))
        });
        if !found {
            std::thread::sleep(Duration::from_millis(20));
        }
        found
    });
    assert!(moved, "task 16's plan at its new place in the index");
    client.stop();

    // Its plan open in an editor that cannot move files (Neovim 0.11): refused, nothing written.
    let (_dir, root) = archiving_workspace();
    let untouched = snapshot(&root);
    let mut client = started(&root, neovim_capabilities(), json!({}));
    client.open(plan_16);
    let refused = execute(&mut client, "taskmark.archiveTasks", json!({ "tasks": ["16"] })).expect_err("refused");
    assert_eq!(refused["data"]["kind"], "openMoved", "{refused}");
    assert!(refused["message"].as_str().unwrap_or_default().contains("close it first"), "{refused}");
    assert_eq!(snapshot(&root), untouched, "nothing was written");
    client.stop();

    // Open in an editor that can: the editor moves it (its buffer goes along), the server the rest.
    let (_dir, root) = archiving_workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    client.open(plan_16);
    let result = execute(&mut client, "taskmark.archiveTasks", json!({ "tasks": ["16"] })).expect("archived");
    assert_eq!(result["tasks"], json!(["specs:16"]), "{result}");
    let apply =
        client.server_requests.iter().rev().find(|it| it["method"] == "workspace/applyEdit").expect("applyEdit");
    let operations = apply["params"]["edit"]["documentChanges"].as_array().expect("documentChanges");
    let rename = operations.iter().find(|it| it["kind"] == "rename").expect("a rename");
    assert_eq!(
        (&rename["oldUri"], &rename["newUri"]),
        (&json!(client.uri("specs/016_audit_log")), &json!(client.uri("specs/archive/016_audit_log"))),
        "{apply}"
    );
    assert!(root.join(archived_16).is_file(), "moved by the editor");
    assert_eq!(result["written"], json!([TODO, STATE]), "{result}");
    client.stop();
}

/// The VS Code extension's unit tests (editors/vscode/test) run its logic on answers of the
/// server recorded in `editors/vscode/test/fixtures`. They are regenerated here from the real
/// server on the example workspace, so that the extension's types and the server's answers
/// cannot drift apart unseen: a difference fails this test, and `TASKMARK_UPDATE_FIXTURES=1`
/// rewrites the fixtures (then run `bash editors/vscode/ci.sh` and review the diff).
#[test]
fn the_vscode_extensions_recorded_answers_are_the_servers() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let root_uri = client.uri("");
    let error = |error: Value| json!({ "code": error["code"], "message": error["message"], "data": error["data"] });
    let mut answers: Vec<(&str, Value)> = Vec::new();
    answers.push(("listTasks.json", execute(&mut client, "taskmark.listTasks", json!({})).expect("listTasks")));
    let ready = execute(&mut client, "taskmark.listTasks", json!({ "ready": true })).expect("listTasks ready");
    answers.push(("listTasks-ready.json", ready));
    let todo = client.open(TODO);
    let (line, character) = client.position_of(&todo, "12. Sync engine");
    let at = json!({ "uri": todo, "position": { "line": line, "character": character } });
    answers.push(("taskAt.json", execute(&mut client, "taskmark.taskAt", at).expect("taskAt")));
    for task in ["10", "12"] {
        let info = execute(&mut client, "taskmark.taskInfo", json!({ "task": task })).expect("taskInfo");
        answers.push((if task == "10" { "taskInfo-10.json" } else { "taskInfo-12.json" }, info));
    }
    answers.push(("trackers.json", execute(&mut client, "taskmark.trackers", json!({})).expect("trackers")));
    let refused = execute(&mut client, "taskmark.setStatus", json!({ "task": "14", "status": "completed" }));
    answers.push(("refusal.json", error(refused.expect_err("an invalid transition"))));
    let blocked = execute(&mut client, "taskmark.setStatus", json!({ "task": "14", "status": "blocked" }));
    answers.push(("needsReason.json", error(blocked.expect_err("a status that needs a reason"))));
    let set = execute(&mut client, "taskmark.setStatus", json!({ "task": "14", "status": "implementing" }));
    answers.push(("setStatus.json", set.expect("setStatus")));
    let told = |client: &LspClient, nth: usize| {
        client
            .notifications
            .iter()
            .filter(|it| it["method"] == "taskmark/taskChanged")
            .nth(nth)
            .map(|it| it["params"].clone())
    };
    assert!(client.wait_until(WAIT, |it| told(it, 0).is_some()), "no taskmark/taskChanged");
    answers.push(("taskChanged.json", told(&client, 0).unwrap_or_default()));
    let created = execute(&mut client, "taskmark.newTask", json!({ "title": "Webhooks for status changes" }));
    answers.push(("newTask.json", created.expect("newTask")));
    assert!(client.wait_until(WAIT, |it| told(it, 1).is_some()), "no taskmark/taskChanged for the new task");
    answers.push(("taskCreated.json", told(&client, 1).unwrap_or_default()));

    // The other commands, for the types only (the extension has no recording of them).
    let mut more: Vec<(&str, Value)> = Vec::new();
    let ok = |answer: Result<Value, Value>| answer.unwrap_or_else(|error| panic!("refused: {error}"));
    more.push(("diagnostics", ok(execute(&mut client, "taskmark.diagnostics", json!({ "limit": 3 })))));
    more.push(("claimTask", ok(execute(&mut client, "taskmark.claimTask", json!({ "task": "12", "agent": "a" })))));
    let claimed = execute(&mut client, "taskmark.claimTask", json!({ "task": "12", "agent": "b" }));
    more.push(("claimed", error(claimed.expect_err("claimed by a"))));
    let swap = json!({ "task": "13", "status": "planned", "expectFrom": "implementing" });
    let lost = execute(&mut client, "taskmark.setStatus", swap).expect_err("13 is researched, not implementing");
    more.push(("conflict", error(lost)));
    more.push(("taskInfo claimed", ok(execute(&mut client, "taskmark.taskInfo", json!({ "task": "12" })))));
    more.push(("listTasks claimed", ok(execute(&mut client, "taskmark.listTasks", json!({ "filter": "12" })))));
    more.push(("releaseTask", ok(execute(&mut client, "taskmark.releaseTask", json!({ "task": "12", "agent": "a" })))));
    let edit = json!({ "task": "14", "title": "Conflict dialog", "dryRun": true });
    more.push(("editTask dry", ok(execute(&mut client, "taskmark.editTask", edit))));
    more.push((
        "editTask",
        ok(execute(&mut client, "taskmark.editTask", json!({ "task": "14", "title": "Conflict dialog" }))),
    ));
    more.push((
        "archive dry",
        ok(execute(&mut client, "taskmark.archiveTasks", json!({ "done": true, "dryRun": true }))),
    ));
    more.push(("archive", ok(execute(&mut client, "taskmark.archiveTasks", json!({ "done": true })))));
    more.push(("fix", ok(execute(&mut client, "taskmark.fix", json!({})))));
    assert!(client.wait_until(WAIT, |it| told(it, 3).is_some()), "no notices of the edit and the archive");
    more.push(("edited", told(&client, 2).unwrap_or_default()));
    more.push(("archived", told(&client, 3).unwrap_or_default()));
    client.stop();

    // Every answer is what taskmark::lsp::ext (server/lsp/src/ext.rs) says it is: read into its type and written back,
    // it is the same JSON (a field the type lacks or names otherwise would not survive).
    use taskmark::lsp::ext;
    fn same_as<T: serde::Serialize + serde::de::DeserializeOwned>(name: &str, answer: &Value) {
        let typed: T =
            serde_json::from_value(answer.clone()).unwrap_or_else(|error| panic!("{name}: {error}\n{answer}"));
        let back = serde_json::to_value(&typed).expect("JSON");
        assert_eq!(&back, answer, "{name} is not what its type in lsp/ext.rs says");
    }
    for (name, answer) in answers.iter().chain(&more) {
        let data = &answer["data"];
        match *name {
            "listTasks.json" | "listTasks-ready.json" | "listTasks claimed" => {
                same_as::<Vec<ext::ListedTask>>(name, answer)
            }
            "taskAt.json" => same_as::<ext::TaskAt>(name, answer),
            "taskInfo-10.json" | "taskInfo-12.json" | "taskInfo claimed" => same_as::<ext::TaskInfo>(name, answer),
            "trackers.json" => same_as::<Vec<ext::TrackerInfo>>(name, answer),
            "refusal.json" | "needsReason.json" | "claimed" | "conflict" => same_as::<ext::Refusal>(name, data),
            "setStatus.json" | "fix" => same_as::<ext::ChangeResult>(name, answer),
            "taskChanged.json" | "taskCreated.json" | "edited" | "archived" => {
                same_as::<ext::TaskChanged>(name, answer)
            }
            "newTask.json" | "editTask dry" | "editTask" | "archive dry" | "archive" => {
                same_as::<ext::LifecycleResult>(name, answer)
            }
            "claimTask" | "releaseTask" => same_as::<ext::ClaimResult>(name, answer),
            "diagnostics" => same_as::<ext::DiagnosticsResult>(name, answer),
            other => panic!("no type for {other}"),
        }
    }
    assert!(more.iter().any(|(name, it)| *name == "taskInfo claimed" && !it["claim"].is_null()), "a claim is shown");

    // Paths differ per machine: the workspace is `/workspace` in the recordings.
    let root_path = root.display().to_string();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../editors/vscode/test/fixtures");
    let update = std::env::var_os("TASKMARK_UPDATE_FIXTURES").is_some();
    let mut drifted = Vec::new();
    for (name, answer) in answers {
        let text = serde_json::to_string_pretty(&answer).expect("JSON") + "\n";
        let text = text.replace(&root_uri, "file:///workspace").replace(&root_path, "/workspace");
        let path = fixtures.join(name);
        let recorded = std::fs::read_to_string(&path).unwrap_or_default();
        if recorded != text {
            if update {
                std::fs::write(&path, &text).expect("fixture written");
            } else {
                drifted.push(name);
            }
        }
    }
    assert!(
        drifted.is_empty(),
        "the server's answers differ from the VS Code extension's recorded ones: {drifted:?}; rerun with TASKMARK_UPDATE_FIXTURES=1, then `bash editors/vscode/ci.sh`, and review the diff"
    );
}

/// Arguments are read into the protocol's types (lsp/ext.rs): a wrong type is refused with the
/// command's usage, not ignored; the positional form still works.
#[test]
fn command_arguments_of_the_wrong_type_are_refused_with_the_usage() {
    let (_dir, root) = workspace();
    let mut client = started(&root, vscode_capabilities(), json!({}));
    let files = snapshot(&root);
    let wrong =
        execute(&mut client, "taskmark.setStatus", json!({ "task": "14", "status": "implementing", "force": "yes" }));
    let error = wrong.expect_err("force must be a boolean");
    assert_eq!(error["code"], -32602, "{error}");
    assert!(
        error["message"].as_str().is_some_and(|it| it.contains("taskmark.setStatus takes") && it.contains("force")),
        "{error}"
    );
    for arguments in [json!({ "task": "12", "agent": "a", "minutes": 0 }), json!({ "task": "12", "agent": 7 })] {
        let refused = execute(&mut client, "taskmark.claimTask", arguments).expect_err("bad claim arguments");
        assert!(refused["message"].as_str().is_some_and(|it| it.contains("taskmark.claimTask takes")), "{refused}");
    }
    assert_eq!(snapshot(&root), files, "nothing was written");
    // Neovim sends an empty Lua table as `[]`: no arguments, not a wrong type.
    let listed = execute(&mut client, "taskmark.listTasks", json!([])).expect("[] is no arguments");
    assert!(listed.as_array().is_some_and(|it| !it.is_empty()), "{listed}");
    let wrong = execute(&mut client, "taskmark.newTask", json!({ "title": "X", "dependsOn": [true] }));
    assert!(
        wrong.expect_err("ids are text or numbers")["message"]
            .as_str()
            .is_some_and(|it| it.contains("taskmark.newTask takes"))
    );
    let positional = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": ["14", "implementing"] }),
        )
        .expect("[task, status] still works");
    assert_eq!(positional["applied"], true, "{positional}");
    client.stop();
}

/// A command answers from the whole workspace, never from the documents opened before it was
/// read: `listTasks` right after opening TODO.md listed the tasks that only state.json archives
/// as live.
#[test]
fn commands_wait_for_the_workspace_to_be_read() {
    for _ in 0..3 {
        let (_dir, root) = workspace();
        let mut client = LspClient::start(&root, neovim_capabilities(), json!({}));
        let _ = client.open(TODO);
        let listed = client
            .request("workspace/executeCommand", json!({ "command": "taskmark.listTasks", "arguments": [{}] }))
            .expect("listTasks answers");
        let ids: Vec<&str> = listed.as_array().expect("a list").iter().filter_map(|it| it["id"].as_str()).collect();
        assert_eq!(ids, ["12", "13", "14", "15", "16"]);
        client.stop();
    }
}

/// A Task Master workspace in VS Code: the server asks to be told of tasks.json and the task
/// files, shows a task file behind tasks.json, hovers a task with both places, sets a status in
/// both files at once, and follows `task-master` writing tasks.json on disk.
#[test]
fn a_task_master_workspace_is_diagnosed_set_and_followed_on_disk() {
    const TASKS: &str = ".taskmaster/tasks/tasks.json";
    const FILE: &str = ".taskmaster/tasks/task_002.txt";
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path().join("ws");
    std::fs::create_dir_all(root.join(".taskmaster/tasks")).expect("the tasks folder");
    let tasks = |second: &str| {
        format!(
            "{{\n  \"master\": {{\n    \"tasks\": [\n      {{\"id\": 1, \"title\": \"Parse\", \"status\": \"done\", \"dependencies\": []}},\n      {{\"id\": 2, \"title\": \"Check\", \"status\": \"{second}\", \"dependencies\": [1]}}\n    ]\n  }}\n}}\n"
        )
    };
    std::fs::write(root.join(TASKS), tasks("in-progress")).expect("tasks.json");
    std::fs::write(root.join(FILE), "# Task ID: 2\n# Title: Check\n# Status: pending\n").expect("task file");
    let mut client = LspClient::start(&root, vscode_capabilities(), json!({}));
    let behind = client.wait_until(WAIT, |it| it.codes(FILE).contains(&"status-mismatch".to_string()));
    assert!(behind, "the task file behind tasks.json is reported: {:?}", client.codes(FILE));
    let globs: Vec<String> = client
        .server_requests
        .iter()
        .filter(|it| it["method"] == "client/registerCapability")
        .flat_map(|it| it["params"]["registrations"].as_array().cloned().unwrap_or_default())
        .flat_map(|it| it["registerOptions"]["watchers"].as_array().cloned().unwrap_or_default())
        .filter_map(|it| it["globPattern"].as_str().map(str::to_string))
        .collect();
    assert!(globs.iter().any(|it| it == "**/.taskmaster/tasks/tasks.json"), "{globs:?}");
    assert!(globs.iter().any(|it| it == "**/.taskmaster/tasks/task_*.txt"), "{globs:?}");

    // Hover on the task file's status names both places.
    let hover = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": client.uri(FILE) }, "position": { "line": 2, "character": 11 } }),
        )
        .expect("hover answers");
    let text = hover["contents"]["value"].as_str().unwrap_or_default().to_string();
    assert!(text.contains("tasks.json") && text.contains("task_002.txt"), "{text}");

    // One status change writes tasks.json and the task file (both closed: on disk).
    let result = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "2", "status": "review" }] }),
        )
        .expect("the status is set");
    assert_eq!(result["applied"], true, "{result}");
    let on_disk = |path: &str| std::fs::read_to_string(root.join(path)).unwrap_or_default();
    assert!(on_disk(TASKS).contains("\"status\": \"review\""), "{}", on_disk(TASKS));
    assert!(on_disk(FILE).contains("# Status: review"), "{}", on_disk(FILE));
    let agreed = client.wait_until(WAIT, |it| it.codes(FILE).is_empty());
    assert!(agreed, "{:?}", client.codes(FILE));

    // Task Master marks it done in tasks.json alone: the editor reports the change, and the task
    // file is behind again.
    std::fs::write(root.join(TASKS), tasks("done")).expect("tasks.json");
    client.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": client.uri(TASKS), "type": 2 }] }));
    let behind = client.wait_until(WAIT, |it| it.codes(FILE).contains(&"status-mismatch".to_string()));
    assert!(behind, "{:?}", client.codes(FILE));
    client.stop();
}
