//! A blocking language-server client: how the command line talks to the daemon, and how the
//! agents' server talks to the language server it runs. Answers are read within bounds, so a
//! broken or hostile server is an error, never a crash or an unbounded allocation.

use std::io::{BufRead, BufReader, Read, Write};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{MAX_HEADER_LINE, MAX_MESSAGE_BYTES};

/// How long the server may take to index the workspace for this connection.
pub const INDEX_TIMEOUT: Duration = Duration::from_secs(60);

/// The `initialize` parameters of taskmark's own clients of its language server (the command
/// line through the daemon, the agents' server, the web board): a session on the one folder
/// `root`, named `name`, with the client's `capabilities` and taskmark's own `options`.
pub fn initialize_params(
    root: &std::path::Path,
    name: &str,
    capabilities: Value,
    options: Value,
) -> Result<Value, String> {
    let uri = tower_lsp_server::ls_types::Uri::from_file_path(root)
        .ok_or_else(|| format!("{} is not a path a language server can be given", root.display()))?;
    Ok(json!({
        "processId": std::process::id(),
        "clientInfo": { "name": name, "version": env!("CARGO_PKG_VERSION") },
        "rootUri": uri.as_str(),
        "workspaceFolders": [{ "uri": uri.as_str(), "name": "workspace" }],
        "capabilities": capabilities,
        "initializationOptions": options,
    }))
}

/// Whether an error answer says the session is still indexing its workspace: the command is
/// asked again (within [`INDEX_TIMEOUT`] or the caller's own bound), not failed.
pub fn still_indexing(error: &Value) -> bool {
    error["message"].as_str().is_some_and(|it| it.contains("still being indexed"))
}

/// Why a request got no result.
pub enum Failure {
    /// The daemon's error answer.
    Refused(Value),
    /// No readable answer: the connection broke or the answer was malformed.
    Lost(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused(error) => write!(out, "{}", error["message"].as_str().unwrap_or("an error answer")),
            Failure::Lost(reason) => write!(out, "{reason}"),
        }
    }
}

impl<R: Read, W: Write> Connection<R, W> {
    /// Runs a taskmark command, asking again while this connection's index is being built.
    pub fn command(&mut self, command: &str, arguments: Value) -> Result<Value, Failure> {
        let started = Instant::now();
        loop {
            let answer =
                self.request("workspace/executeCommand", json!({ "command": command, "arguments": arguments }));
            match answer {
                Err(Failure::Refused(error)) if still_indexing(&error) && started.elapsed() < INDEX_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    pub fn close(mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
    }
}

/// A JSON-RPC connection to a language server, as its client: requests answered in order,
/// the server's own requests answered with `null`, its notifications skipped.
pub struct Connection<R, W> {
    reader: BufReader<R>,
    writer: W,
    next_id: i64,
}

#[cfg(unix)]
impl Connection<UnixStream, UnixStream> {
    /// A connection over the daemon's socket, giving up on an answer after [`INDEX_TIMEOUT`].
    pub fn over_socket(stream: UnixStream) -> std::io::Result<Self> {
        stream.set_read_timeout(Some(INDEX_TIMEOUT))?;
        let writer = stream.try_clone()?;
        Ok(Connection::new(stream, writer))
    }
}

impl<R: Read, W: Write> Connection<R, W> {
    pub fn new(reader: R, writer: W) -> Self {
        Connection { reader: BufReader::new(reader), writer, next_id: 0 }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        let _ = write!(self.writer, "Content-Length: {}\r\n\r\n{body}", body.len());
        let _ = self.writer.flush();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The result, the daemon's error answer, or why there is no answer to read.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.receive().map_err(Failure::Lost)?;
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
                return Err(Failure::Refused(error.clone()));
            }
            return Ok(message["result"].clone());
        }
    }

    /// The next message, read within bounds: a header line over [`MAX_HEADER_LINE`] or a body
    /// over [`MAX_MESSAGE_BYTES`] is an error, and a body is never allocated before it arrives.
    fn receive(&mut self) -> Result<Value, String> {
        let mut length = None;
        loop {
            let mut line = Vec::new();
            (&mut self.reader)
                .take(MAX_HEADER_LINE as u64 + 1)
                .read_until(b'\n', &mut line)
                .map_err(|error| format!("cannot read its answer: {error}"))?;
            if !line.ends_with(b"\n") {
                return Err(if line.len() > MAX_HEADER_LINE {
                    format!("an answer with a header line over {MAX_HEADER_LINE} bytes")
                } else {
                    "the daemon closed the connection".into()
                });
            }
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                let value = value.trim();
                let parsed = value.parse::<usize>().map_err(|_| format!("an answer with Content-Length `{value}`"))?;
                length = Some(parsed);
            }
        }
        let length = length.ok_or("an answer without a Content-Length")?;
        if length > MAX_MESSAGE_BYTES {
            return Err(format!("a {length}-byte answer is over the {MAX_MESSAGE_BYTES}-byte limit"));
        }
        let mut body = Vec::new();
        (&mut self.reader)
            .take(length as u64)
            .read_to_end(&mut body)
            .map_err(|error| format!("cannot read its answer: {error}"))?;
        if body.len() < length {
            return Err("the daemon closed the connection in the middle of an answer".into());
        }
        serde_json::from_slice(&body).map_err(|error| format!("an answer that is not JSON: {error}"))
    }
}
