//! A small LSP client for end-to-end tests: spawns the real `taskmark lsp`, speaks JSON-RPC
//! over its stdin/stdout, answers the server's requests the way an editor would, and keeps
//! the diagnostics it publishes.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What the client does with a `workspace/applyEdit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditMode {
    /// Apply it: change open documents (sending `didChange`), open the others with the new
    /// text (as Neovim loads a buffer), answer `applied: true`.
    Apply,
    /// As [`EditMode::Apply`], but an edit for a version the document has left is declined
    /// (`applied: false`), as VS Code does, where `Apply` fails the test: for clients that
    /// change their documents while the server plans (the benches' busy editors).
    ApplyCurrent,
    /// Answer `applied: true` and change nothing (what Neovim does with an edit older than
    /// its buffer).
    Pretend,
    Refuse,
    /// Never answer (a hung editor).
    Hang,
}

pub struct Document {
    pub version: i64,
    pub text: String,
}

pub struct LspClient {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    pub root: PathBuf,
    pub utf8: bool,
    pub documents: HashMap<String, Document>,
    /// Latest `publishDiagnostics` per URI: (version, diagnostics).
    pub diagnostics: HashMap<String, (Option<i64>, Vec<Value>)>,
    /// Every notification the server sent, in order.
    pub notifications: Vec<Value>,
    /// Every request the server sent, in order.
    pub server_requests: Vec<Value>,
    /// Responses with no request id of ours: the server's answers to frames it could not read.
    pub orphan_responses: Vec<Value>,
    pub edit_mode: EditMode,
    /// Requests from the server this client never answers (an editor that is stuck or buggy).
    pub unanswered: Vec<&'static str>,
    /// The title to pick when the server shows a message request.
    pub pick: Option<String>,
    /// When the last `didChange` went to the server: after the client's own bookkeeping (its
    /// copy of the text), which an editor does its own way, before the server has anything.
    pub last_change_sent: Option<std::time::Instant>,
    stash: HashMap<i64, Value>,
}

/// Capabilities close to VS Code's: UTF-16, versioned document changes, resolve, dynamic
/// file watching.
pub fn vscode_capabilities() -> Value {
    json!({
        "general": { "positionEncodings": ["utf-16"] },
        "window": { "workDoneProgress": true, "showDocument": { "support": true } },
        "workspace": {
            "workspaceEdit": {
                "documentChanges": true,
                "resourceOperations": ["create", "rename", "delete"],
                "changeAnnotationSupport": { "groupsOnLabel": true }
            },
            "didChangeWatchedFiles": { "dynamicRegistration": true },
            "diagnostics": { "refreshSupport": true },
            "codeLens": { "refreshSupport": true }
        },
        "textDocument": {
            "codeAction": { "resolveSupport": { "properties": ["edit"] } },
            "documentSymbol": { "hierarchicalDocumentSymbolSupport": true },
            "publishDiagnostics": { "relatedInformation": true }
        },
        // VS Code is known by its name to run `command:` links; this client is not VS Code.
        "experimental": { "commandLinks": true }
    })
}

/// Capabilities close to Neovim 0.11's: UTF-8 offered, no `documentChanges`, no dynamic file
/// watching (the server watches the disk itself).
pub fn neovim_capabilities() -> Value {
    json!({
        "general": { "positionEncodings": ["utf-8", "utf-16", "utf-32"] },
        "window": { "workDoneProgress": true },
        "workspace": { "workspaceEdit": { "resourceOperations": ["rename", "create", "delete"] } },
        "textDocument": {
            "codeAction": { "resolveSupport": { "properties": ["edit", "command"] } },
            "documentSymbol": { "hierarchicalDocumentSymbolSupport": true }
        }
    })
}

impl LspClient {
    /// Starts the server for `root`, and initializes it.
    pub fn start(root: &Path, capabilities: Value, options: Value) -> LspClient {
        let mut client = LspClient::launch(root, capabilities, options, "debug");
        client.notify("initialized", json!({}));
        client
    }

    /// Starts an in-process server (`taskmark lsp --standalone`) and answers its `initialize`,
    /// but does not send `initialized` yet.
    pub fn launch(root: &Path, capabilities: Value, options: Value, log_level: &str) -> LspClient {
        let mut command = Command::new(crate::taskmark_binary());
        command.args(["lsp", "--standalone", "--log-level", log_level]);
        LspClient::launch_command(root, capabilities, options, command)
    }

    /// Like [`LspClient::launch`], with the server started by `command` (its stdio is the
    /// connection; its stderr goes to the log file).
    pub fn launch_command(root: &Path, capabilities: Value, options: Value, command: Command) -> LspClient {
        LspClient::launch_folders(root, &[""], capabilities, options, command)
    }

    /// Like [`LspClient::launch_command`] for a window of several workspace folders (paths
    /// relative to `root`, which holds them; `""` is `root` itself).
    pub fn launch_folders(
        root: &Path,
        folders: &[&str],
        capabilities: Value,
        options: Value,
        mut command: Command,
    ) -> LspClient {
        // Each test's own state folder, unless it chose one.
        if !command.get_envs().any(|(name, _)| name == "TASKMARK_STATE_DIR") {
            command.env("TASKMARK_STATE_DIR", root.join(".taskmark"));
        }
        let mut child = command
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file(root)))
            .spawn()
            .expect("taskmark lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, incoming) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        let utf8 = capabilities["general"]["positionEncodings"]
            .as_array()
            .is_some_and(|it| it.iter().any(|kind| kind == "utf-8"));
        let mut client = LspClient {
            child,
            stdin,
            incoming,
            next_id: 0,
            root: root.to_path_buf(),
            utf8,
            documents: HashMap::new(),
            diagnostics: HashMap::new(),
            notifications: Vec::new(),
            server_requests: Vec::new(),
            orphan_responses: Vec::new(),
            edit_mode: EditMode::Apply,
            unanswered: Vec::new(),
            pick: None,
            last_change_sent: None,
            stash: HashMap::new(),
        };
        let started = Instant::now();
        let result = client
            .request(
                "initialize",
                json!({
                    "processId": std::process::id(),
                    "clientInfo": { "name": "taskmark-tests" },
                    "rootUri": client.uri(folders.first().copied().unwrap_or("")),
                    "workspaceFolders": folders.iter().map(|it| json!({ "uri": client.uri(it), "name": it })).collect::<Vec<_>>(),
                    "capabilities": capabilities,
                    "initializationOptions": options,
                }),
            )
            .expect("initialize succeeds");
        // `initialize` must not wait for indexing.
        assert!(started.elapsed() < Duration::from_secs(2), "initialize took {:?}", started.elapsed());
        let negotiated = result["capabilities"]["positionEncoding"].as_str().unwrap_or("utf-16");
        assert_eq!(negotiated == "utf-8", utf8, "position encoding negotiation");
        client
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The `file:` URI of a workspace path, percent-encoded as editors send it.
    pub fn uri(&self, path: &str) -> String {
        let full = if path.is_empty() { self.root.clone() } else { self.root.join(path) };
        let mut out = String::from("file://");
        for byte in full.to_string_lossy().bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
                out.push(byte as char);
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        out
    }

    pub fn path_of(&self, uri: &str) -> Option<PathBuf> {
        let encoded = uri.strip_prefix("file://")?.as_bytes();
        let mut bytes = Vec::with_capacity(encoded.len());
        let mut at = 0;
        while at < encoded.len() {
            let hex = encoded.get(at + 1..at + 3).and_then(|it| std::str::from_utf8(it).ok());
            match (encoded[at], hex.and_then(|it| u8::from_str_radix(it, 16).ok())) {
                (b'%', Some(byte)) => {
                    bytes.push(byte);
                    at += 3;
                }
                (byte, _) => {
                    bytes.push(byte);
                    at += 1;
                }
            }
        }
        String::from_utf8(bytes).ok().map(PathBuf::from)
    }

    pub fn send(&mut self, message: &Value) {
        let body = message.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).expect("write to the server");
        self.stdin.flush().expect("flush to the server");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its answer, handling whatever the server sends meanwhile.
    /// `Err` carries the JSON-RPC error object.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.start_request(method, params);
        self.response(id)
    }

    pub fn start_request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    pub fn response(&mut self, id: i64) -> Result<Value, Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(response) = self.stash.remove(&id) {
                return match response.get("error") {
                    Some(error) => Err(error.clone()),
                    None => Ok(response.get("result").cloned().unwrap_or(Value::Null)),
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(self.pump(left), "no answer to request {id} in 30 s; see {}", log_path(&self.root).display());
        }
    }

    /// Handles one incoming message; false when none came in `timeout`.
    pub fn pump(&mut self, timeout: Duration) -> bool {
        match self.incoming.recv_timeout(timeout) {
            Ok(message) => {
                self.handle(message);
                true
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => {
                panic!("the server closed its output; see {}", log_path(&self.root).display())
            }
        }
    }

    /// Handles messages until `done` holds, for at most `timeout`.
    pub fn wait_until(&mut self, timeout: Duration, mut done: impl FnMut(&LspClient) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.pump(left.min(Duration::from_millis(50)));
        }
        true
    }

    /// Handles every message that arrives within `quiet` of the previous one.
    pub fn settle(&mut self, quiet: Duration) {
        while self.pump(quiet) {}
    }

    fn handle(&mut self, message: Value) {
        let method = message.get("method").and_then(Value::as_str).map(str::to_string);
        match (method, message.get("id").cloned()) {
            (Some(method), Some(id)) => {
                self.server_requests.push(message.clone());
                if method == "workspace/applyEdit" && matches!(self.edit_mode, EditMode::Hang)
                    || self.unanswered.contains(&method.as_str())
                {
                    return;
                }
                let result = self.answer(&method, &message["params"]);
                self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": result }));
            }
            (Some(method), None) => {
                if method == "textDocument/publishDiagnostics" {
                    let params = &message["params"];
                    let uri = params["uri"].as_str().unwrap_or_default().to_string();
                    let diagnostics = params["diagnostics"].as_array().cloned().unwrap_or_default();
                    self.diagnostics.insert(uri, (params["version"].as_i64(), diagnostics));
                }
                self.notifications.push(message);
            }
            (None, Some(id)) => match id.as_i64() {
                Some(id) => {
                    self.stash.insert(id, message);
                }
                None => self.orphan_responses.push(message),
            },
            (None, None) => panic!("a message that is neither request, response nor notification: {message}"),
        }
    }

    fn answer(&mut self, method: &str, params: &Value) -> Value {
        match method {
            "workspace/applyEdit" => match self.edit_mode {
                EditMode::Apply => {
                    self.apply_workspace_edit(&params["edit"]);
                    json!({ "applied": true })
                }
                EditMode::ApplyCurrent if self.stale_versions(&params["edit"]) => {
                    json!({ "applied": false, "failureReason": "the document changed since the edit was made" })
                }
                EditMode::ApplyCurrent => {
                    self.apply_workspace_edit(&params["edit"]);
                    json!({ "applied": true })
                }
                EditMode::Pretend => json!({ "applied": true }),
                EditMode::Refuse | EditMode::Hang => {
                    json!({ "applied": false, "failureReason": "refused by the test" })
                }
            },
            "window/showMessageRequest" => {
                let actions = params["actions"].as_array().cloned().unwrap_or_default();
                match &self.pick {
                    Some(title) => actions.into_iter().find(|it| it["title"] == *title.as_str()).unwrap_or(Value::Null),
                    None => Value::Null,
                }
            }
            _ => Value::Null,
        }
    }

    /// Whether `edit` names a version of an open document other than the one it has.
    fn stale_versions(&self, edit: &Value) -> bool {
        edit["documentChanges"].as_array().into_iter().flatten().any(|change| {
            let uri = change["textDocument"]["uri"].as_str().unwrap_or_default();
            match (change["textDocument"]["version"].as_i64(), self.documents.get(uri)) {
                (Some(version), Some(document)) => version != document.version,
                _ => false,
            }
        })
    }

    /// Applies a `WorkspaceEdit` as an editor would: to open documents (with `didChange`), and
    /// by opening the other files with the new text.
    pub fn apply_workspace_edit(&mut self, edit: &Value) {
        let mut per_uri: Vec<(String, Vec<Value>)> = Vec::new();
        if let Some(changes) = edit["changes"].as_object() {
            for (uri, edits) in changes {
                per_uri.push((uri.clone(), edits.as_array().cloned().unwrap_or_default()));
            }
        }
        if let Some(changes) = edit["documentChanges"].as_array() {
            for change in changes {
                // Resource operations, as VS Code does them: on disk at once.
                match change["kind"].as_str() {
                    Some("create") => {
                        let path = self.path_of(change["uri"].as_str().unwrap_or_default()).expect("a file URI");
                        assert!(!path.exists(), "asked to create {} which exists", path.display());
                        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create the folder");
                        std::fs::write(&path, "").expect("create the file");
                        continue;
                    }
                    Some("rename") => {
                        let from = self.path_of(change["oldUri"].as_str().unwrap_or_default()).expect("a file URI");
                        let to = self.path_of(change["newUri"].as_str().unwrap_or_default()).expect("a file URI");
                        std::fs::create_dir_all(to.parent().expect("a folder")).expect("create the folder");
                        std::fs::rename(from, to).expect("rename the file");
                        continue;
                    }
                    Some("delete") => {
                        let path = self.path_of(change["uri"].as_str().unwrap_or_default()).expect("a file URI");
                        std::fs::remove_file(path).expect("delete the file");
                        continue;
                    }
                    _ => {}
                }
                let uri = change["textDocument"]["uri"].as_str().unwrap_or_default().to_string();
                if let (Some(version), Some(document)) =
                    (change["textDocument"]["version"].as_i64(), self.documents.get(&uri))
                {
                    assert_eq!(version, document.version, "a versioned edit for {uri} against another version");
                }
                per_uri.push((uri, change["edits"].as_array().cloned().unwrap_or_default()));
            }
        }
        for (uri, edits) in per_uri {
            let text = match self.documents.get(&uri) {
                Some(document) => document.text.clone(),
                None => {
                    std::fs::read_to_string(self.path_of(&uri).expect("a file URI")).expect("the edited file exists")
                }
            };
            let updated = apply_edits(&text, &edits, self.utf8);
            if self.documents.contains_key(&uri) {
                self.change_full(&uri, &updated);
            } else {
                self.documents.insert(uri.clone(), Document { version: 1, text: updated.clone() });
                self.notify(
                    "textDocument/didOpen",
                    json!({ "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": updated } }),
                );
            }
        }
    }

    pub fn open(&mut self, path: &str) -> String {
        let text = std::fs::read_to_string(self.root.join(path)).expect("the opened file exists");
        self.open_with(path, &text)
    }

    pub fn open_with(&mut self, path: &str, text: &str) -> String {
        let uri = self.uri(path);
        self.documents.insert(uri.clone(), Document { version: 1, text: text.to_string() });
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "markdown", "version": 1, "text": text } }),
        );
        uri
    }

    /// Replaces `[start, end)` (line, character in the negotiated encoding) with `text`.
    pub fn change(&mut self, uri: &str, start: (u32, u32), end: (u32, u32), text: &str) {
        let document = self.documents.get_mut(uri).expect("the document is open");
        let from = offset(&document.text, start, self.utf8);
        // A keystroke inserts at one position: the client's own bookkeeping (a walk over the
        // lines of a 1 MB text) is not the server's latency, so it is not done twice.
        let to = if end == start { from } else { offset(&document.text, end, self.utf8) };
        document.text.replace_range(from..to, text);
        document.version += 1;
        let version = document.version;
        self.last_change_sent = Some(std::time::Instant::now());
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{
                    "range": { "start": { "line": start.0, "character": start.1 }, "end": { "line": end.0, "character": end.1 } },
                    "text": text
                }]
            }),
        );
    }

    pub fn change_full(&mut self, uri: &str, text: &str) {
        let document = self.documents.get_mut(uri).expect("the document is open");
        document.text = text.to_string();
        document.version += 1;
        let version = document.version;
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// The position of the first occurrence of `needle` in the open document (or file).
    pub fn position_of(&self, uri: &str, needle: &str) -> (u32, u32) {
        let text = match self.documents.get(uri) {
            Some(document) => document.text.clone(),
            None => std::fs::read_to_string(self.path_of(uri).expect("file URI")).expect("readable"),
        };
        let at = text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {uri}"));
        position(&text, at, self.utf8)
    }

    /// Codes of the diagnostics last published for `path`.
    pub fn codes(&self, path: &str) -> Vec<String> {
        self.diagnostics
            .get(&self.uri(path))
            .map(|(_, list)| list.iter().filter_map(|it| it["code"].as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(log_path(&self.root)).unwrap_or_default()
    }

    /// `shutdown`, `exit`, and the process ends cleanly.
    pub fn stop(mut self) {
        self.request("shutdown", Value::Null).expect("shutdown succeeds");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                assert!(status.success(), "the server exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "the server did not exit after `exit`");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_path(root: &Path) -> PathBuf {
    root.with_extension("server.log")
}

fn log_file(root: &Path) -> std::fs::File {
    std::fs::File::create(log_path(root)).expect("server log file")
}

/// One message, or `None` when the other side closed the connection (or it was unreadable).
pub fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// Byte offset of a (line, character) position; characters past the end clamp to the line end.
pub fn offset(text: &str, (line, character): (u32, u32), utf8: bool) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(at) => start += at + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[start..];
    let line_text = &line_text[..line_text.find('\n').unwrap_or(line_text.len())];
    let mut units = 0;
    for (at, c) in line_text.char_indices() {
        if units >= character as usize {
            return start + at;
        }
        units += if utf8 { c.len_utf8() } else { c.len_utf16() };
    }
    start + line_text.len()
}

pub fn position(text: &str, at: usize, utf8: bool) -> (u32, u32) {
    let before = &text[..at];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |it| it + 1);
    let column = &text[line_start..at];
    let character = if utf8 { column.len() } else { column.encode_utf16().count() };
    (line, character as u32)
}

pub fn apply_edits(text: &str, edits: &[Value], utf8: bool) -> String {
    let mut ranges: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|edit| {
            let at = |point: &Value| {
                let line = point["line"].as_u64().expect("line") as u32;
                let character = point["character"].as_u64().expect("character") as u32;
                offset(text, (line, character), utf8)
            };
            (
                at(&edit["range"]["start"]),
                at(&edit["range"]["end"]),
                edit["newText"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    ranges.sort_by_key(|it| (it.0, it.1));
    let mut out = String::new();
    let mut cursor = 0;
    for (start, end, new_text) in ranges {
        assert!(start >= cursor, "overlapping edits");
        out.push_str(&text[cursor..start]);
        out.push_str(&new_text);
        cursor = end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// Copies a folder tree (a fixture or a corpus snapshot) into `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("readable fixture folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("create folder");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}
