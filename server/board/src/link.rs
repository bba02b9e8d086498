//! The board's own language server session: one more editor on the workspace, with no open
//! documents, served in this process on the hub every other session shares (over an in-memory
//! pipe, so nothing is listening anywhere). Every status change a drag asks for is its
//! `taskmark.setStatus`, planned, re-checked, written and broadcast exactly as an editor's; and
//! every change the session hears of (any editor's, agent's, command's, or a file changed on
//! disk, which its own watcher reads) counts up [`Link::changes`], which the board's pages
//! follow.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::io::{AsyncWriteExt, DuplexStream, WriteHalf};
use tokio::sync::{Mutex, oneshot, watch};

use crate::lsp::{self, Frame, FrameReader, Hub};

/// How long the session may take to index the workspace before its first answer.
const INDEX_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one request may take once the workspace is indexed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An answer's result as the server wrote it: the board's data goes on to the browser as it
/// came, never built into a tree of values here (a 5,000-task board is megabytes of JSON).
pub type Answer = Box<RawValue>;

type Pending = Arc<std::sync::Mutex<HashMap<i64, oneshot::Sender<Result<Answer, Value>>>>>;

pub struct Link {
    writer: Arc<Mutex<WriteHalf<DuplexStream>>>,
    pending: Pending,
    next_id: AtomicI64,
    /// Counts every change the session was told of.
    changes: watch::Receiver<u64>,
    /// Until the session's messages end (the server stopped, or its pipe broke).
    alive: Arc<AtomicBool>,
}

impl Link {
    /// A session for `root` on `hub`, once it has indexed the workspace.
    pub async fn start(hub: Arc<Hub>, root: &Path) -> Result<Link, String> {
        // Told to refresh its diagnostics after every change: the board's signal that the
        // workspace changed, whoever changed it. Diagnostics pulled, not pushed: the board asks
        // for what it shows. A drag is written on disk even where an editor has the file open
        // (its buffer follows), as the command line's change is: the board is looked at, not
        // edited.
        let initialize = lsp::client::initialize_params(
            root,
            "taskmark board",
            json!({ "workspace": { "diagnostics": { "refreshSupport": true } } }),
            json!({ "diagnostics": "pull", "openElsewhere": "disk" }),
        )?;
        let (ours, theirs) = tokio::io::duplex(1 << 16);
        let (their_input, their_output) = tokio::io::split(theirs);
        tokio::spawn(lsp::serve(their_input, their_output, hub));
        let (input, output) = tokio::io::split(ours);
        let writer = Arc::new(Mutex::new(output));
        let pending: Pending = Arc::default();
        let (changed, changes) = watch::channel(0u64);
        let alive = Arc::new(AtomicBool::new(true));
        let reader = read_messages(FrameReader::new(input), writer.clone(), pending.clone(), changed);
        let reading = alive.clone();
        tokio::spawn(async move {
            reader.await;
            reading.store(false, Ordering::SeqCst);
        });
        let link = Link { writer, pending, next_id: AtomicI64::new(0), changes, alive };
        link.request("initialize", initialize, REQUEST_TIMEOUT)
            .await
            .map_err(|error| format!("the language server did not start: {}", message(&error)))?;
        link.notify("initialized", json!({})).await;
        link.command(lsp::DIAGNOSTICS, json!({ "limit": 0 }))
            .await
            .map_err(|error| format!("the workspace was not indexed: {}", message(&error)))?;
        Ok(link)
    }

    /// Whether the session has ended: its answers will not come, and a new one takes its place.
    pub fn ended(&self) -> bool {
        !self.alive.load(Ordering::SeqCst)
    }

    /// Follows the changes the session hears of.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.clone()
    }

    /// Runs `taskmark.*` command `name` with `arguments` (its params object), asking again while
    /// the workspace is being indexed. `Err` is the server's error answer.
    pub async fn command(&self, name: &str, arguments: Value) -> Result<Answer, Value> {
        let started = Instant::now();
        loop {
            let answer = self
                .request(
                    "workspace/executeCommand",
                    json!({ "command": name, "arguments": [arguments] }),
                    REQUEST_TIMEOUT,
                )
                .await;
            match answer {
                Err(error) if lsp::client::still_indexing(&error) && started.elapsed() < INDEX_TIMEOUT => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => return other,
            }
        }
    }

    pub(crate) async fn request(&self, method: &str, params: Value, timeout: Duration) -> Result<Answer, Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (answer, answered) = oneshot::channel();
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id, answer);
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await;
        let outcome = tokio::time::timeout(timeout, answered).await;
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
        match outcome {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(json!({ "message": "the board's language server session ended" })),
            Err(_) => Err(json!({ "message": format!("no answer to `{method}` within {} s", timeout.as_secs()) })),
        }
    }

    pub(crate) async fn notify(&self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params })).await;
    }

    async fn send(&self, message: &Value) {
        send(&self.writer, message).await;
    }
}

impl Drop for Link {
    /// The session ends with the pipe: its analysis thread stops with it.
    fn drop(&mut self) {
        let writer = self.writer.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = writer.lock().await.shutdown().await;
            });
        }
    }
}

/// The words of an error answer.
pub fn message(error: &Value) -> String {
    error["message"].as_str().unwrap_or("an error answer").to_string()
}

async fn send(writer: &Mutex<WriteHalf<DuplexStream>>, message: &Value) {
    let framed = lsp::framed(message.to_string().as_bytes());
    let mut writer = writer.lock().await;
    let _ = writer.write_all(&framed).await;
    let _ = writer.flush().await;
}

/// A message from the server, read only as far as routing it needs.
#[derive(Deserialize)]
struct Incoming {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    result: Option<Answer>,
    #[serde(default)]
    error: Option<Value>,
}

/// Answers go to whoever waits on them; the server's requests get an empty answer, and a
/// refresh or a task's change counts as a change.
async fn read_messages(
    mut reader: FrameReader<tokio::io::ReadHalf<DuplexStream>>,
    writer: Arc<Mutex<WriteHalf<DuplexStream>>>,
    pending: Pending,
    changed: watch::Sender<u64>,
) {
    while let Some(frame) = reader.next().await {
        let Frame::Message(body) = frame else { continue };
        let Ok(message) = serde_json::from_slice::<Incoming>(&body) else { continue };
        match (message.method.as_deref(), message.id) {
            (Some(method), id) => {
                if matches!(method, "workspace/diagnostic/refresh" | "taskmark/taskChanged") {
                    changed.send_modify(|count| *count += 1);
                }
                if let Some(id) = id {
                    send(&writer, &json!({ "jsonrpc": "2.0", "id": id, "result": null })).await;
                }
            }
            (None, Some(id)) => {
                let Some(id) = id.as_i64() else { continue };
                let waiting = pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
                if let Some(waiting) = waiting {
                    let answer = match (message.error, message.result) {
                        (Some(error), _) => Err(error),
                        (None, Some(result)) => Ok(result),
                        (None, None) => Ok(RawValue::NULL.to_owned()),
                    };
                    let _ = waiting.send(answer);
                }
            }
            (None, None) => {}
        }
    }
    // The session ended: whoever waits hears so (their senders drop).
    pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
}
