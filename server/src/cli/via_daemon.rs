//! `taskmark set` and `taskmark fix` through a running daemon, so that the editors it serves update live: the
//! command connects to the daemon's socket as one more LSP client with no open documents and
//! runs `taskmark.setStatus`; the daemon writes the files (the same transaction path) and
//! broadcasts the change. With no daemon running, [`set`] says so and the caller writes the
//! files itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::exit;
use crate::cli::write::SetRequest;

/// How long the daemon may take to index the workspace for this connection.
const INDEX_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection to the daemon, initialized for `root`; `None` when no daemon answers.
fn connect(root: &Path, name: &str) -> Option<Connection> {
    let stream = UnixStream::connect(crate::daemon::socket_path()).ok()?;
    let mut connection = Connection::new(stream)?;
    let uri = tower_lsp_server::ls_types::Uri::from_file_path(root)?;
    connection
        .request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "clientInfo": { "name": name, "version": env!("CARGO_PKG_VERSION") },
                "rootUri": uri.as_str(),
                "workspaceFolders": [{ "uri": uri.as_str(), "name": "workspace" }],
                "capabilities": {},
            }),
        )
        .ok()?;
    connection.notify("initialized", json!({}));
    Some(connection)
}

impl Connection {
    /// Runs a taskmark command, asking again while this connection's index is being built.
    fn command(&mut self, command: &str, arguments: Value) -> Result<Value, Value> {
        let started = Instant::now();
        loop {
            let answer =
                self.request("workspace/executeCommand", json!({ "command": command, "arguments": arguments }));
            match answer {
                Err(error)
                    if error["message"].as_str().is_some_and(|it| it.contains("still being indexed"))
                        && started.elapsed() < INDEX_TIMEOUT =>
                {
                    std::thread::sleep(Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    fn close(mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
    }
}

/// `Some(exit code)` when a daemon took the request (applied or refused), `None` when no
/// daemon answers on the socket.
pub fn set(root: &Path, request: &SetRequest<'_>, date: Option<&str>) -> Option<u8> {
    let mut connection = connect(root, "taskmark set")?;
    let arguments = json!([{
        "task": request.task,
        "status": request.status,
        "force": request.force,
        "reason": request.reason,
        "expectFrom": request.expect_from,
        "date": date,
    }]);
    let outcome = connection.command("taskmark.setStatus", arguments);
    connection.close();
    Some(match outcome {
        Ok(result) if result["unchanged"] == true => {
            println!("{}", result["label"].as_str().unwrap_or("nothing to change"));
            exit::CLEAN
        }
        Ok(result) => {
            println!(
                "{}: wrote {} (through the taskmark daemon; open editors were updated)",
                result["label"].as_str().unwrap_or("status changed"),
                written(&result)
            );
            for warning in result["warnings"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                eprintln!("taskmark: warning: {warning}");
            }
            exit::CLEAN
        }
        Err(error) => report(&error),
    })
}

/// `taskmark fix` through the daemon: passes until one fixes nothing, as the direct path does.
pub fn fix(root: &Path, codes: &[crate::engine::rules::RuleCode]) -> Option<u8> {
    let mut connection = connect(root, "taskmark fix")?;
    let codes: Vec<&str> = codes.iter().map(|it| it.as_str()).collect();
    let mut fixed: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let mut files: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut outcome = Ok(());
    for _pass in 0..8 {
        match connection.command("taskmark.fix", json!([{ "codes": codes }])) {
            Ok(result) => {
                let counts = result["fixed"].as_object().cloned().unwrap_or_default();
                if counts.is_empty() {
                    break;
                }
                for (code, count) in counts {
                    *fixed.entry(code).or_default() += count.as_u64().unwrap_or(0);
                }
                let wrote: Vec<String> = result["written"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                // A pass that only edited editors' buffers changed nothing this connection
                // reads (it sees saved files): another pass would find the same fixes.
                if wrote.is_empty() {
                    break;
                }
                files.extend(wrote);
            }
            Err(error) => {
                outcome = Err(error);
                break;
            }
        }
    }
    connection.close();
    Some(match outcome {
        Err(error) => report(&error),
        Ok(()) if fixed.is_empty() => {
            println!("taskmark: nothing to fix");
            exit::CLEAN
        }
        Ok(()) => {
            let summary: Vec<String> = fixed.iter().map(|(code, count)| format!("{count} {code}")).collect();
            let wrote = if files.is_empty() {
                "nothing on disk".to_string()
            } else {
                files.into_iter().collect::<Vec<_>>().join(", ")
            };
            println!(
                "Fixed {}: wrote {wrote} (through the taskmark daemon; open editors were updated)",
                summary.join(", ")
            );
            exit::CLEAN
        }
    })
}

fn written(result: &Value) -> String {
    let written: Vec<&str> = result["written"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if written.is_empty() { "nothing on disk".to_string() } else { written.join(", ") }
}

/// The daemon's error, with the exit code the direct path would give.
fn report(error: &Value) -> u8 {
    let message = error["message"].as_str().unwrap_or("the daemon refused the change");
    match error["code"].as_i64().unwrap_or(0) {
        -32801 => {
            eprintln!("taskmark: conflict: {message}");
            exit::CONFLICT
        }
        -32803 => {
            eprintln!("taskmark: error: {message}");
            exit::WRITE_FAILED
        }
        -32602 => {
            eprintln!("taskmark: refused: {message}; nothing was written");
            exit::REFUSED
        }
        _ => {
            eprintln!("taskmark: error: {message}");
            exit::FAILURE
        }
    }
}

/// A minimal JSON-RPC client over the socket: answers what the server asks with "nothing"
/// (this client has no documents, no UI), skips notifications.
struct Connection {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    next_id: i64,
}

impl Connection {
    fn new(stream: UnixStream) -> Option<Connection> {
        stream.set_read_timeout(Some(INDEX_TIMEOUT)).ok()?;
        let writer = stream.try_clone().ok()?;
        Some(Connection { reader: BufReader::new(stream), writer, next_id: 0 })
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        let _ = write!(self.writer, "Content-Length: {}\r\n\r\n{body}", body.len());
        let _ = self.writer.flush();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The result, or the error object (a lost connection is an error too).
    fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let Some(message) = self.receive() else {
                return Err(json!({ "message": "the daemon closed the connection" }));
            };
            if message.get("method").is_some() {
                if let Some(request_id) = message.get("id") {
                    // A request from the server (progress, registration): nothing to offer.
                    self.send(&json!({ "jsonrpc": "2.0", "id": request_id, "result": null }));
                }
                continue;
            }
            if message["id"] != id {
                continue;
            }
            if let Some(error) = message.get("error") {
                return Err(error.clone());
            }
            return Ok(message["result"].clone());
        }
    }

    fn receive(&mut self) -> Option<Value> {
        let mut length = None;
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).ok()? == 0 {
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
        self.reader.read_exact(&mut body).ok()?;
        serde_json::from_slice(&body).ok()
    }
}
