//! The language server an MCP session runs its commands in: `taskmark lsp` as a child process
//! (through the daemon, or standalone), initialized for the workspace as an editor with no
//! open documents.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

use crate::lsp_client::{Connection, Failure};

type Stream = Connection<Box<dyn Read + Send>, Box<dyn Write + Send>>;

pub struct LanguageServer {
    connection: Mutex<Option<Stream>>,
    /// `taskmark lsp`, when the session runs through one (no daemon was running yet, or
    /// `--no-daemon`).
    child: Mutex<Option<Child>>,
}

impl LanguageServer {
    /// Connects to the daemon serving the workspace's editors (the one process hop fewer than
    /// going through `taskmark lsp`), or starts `taskmark lsp` for `root` (which starts the
    /// daemon when none runs; `--standalone` for `--no-daemon`), and initializes it.
    pub fn start(root: &Path, standalone: bool) -> anyhow::Result<LanguageServer> {
        #[cfg(unix)]
        if !standalone {
            match crate::daemon::connect_trusted() {
                Ok(Some(stream)) => {
                    stream.set_read_timeout(None).context("cannot set up the daemon's connection")?;
                    let writer = stream.try_clone().context("cannot set up the daemon's connection")?;
                    let connection: Stream = Connection::new(Box::new(stream), Box::new(writer));
                    return LanguageServer::initialize(root, connection, None);
                }
                Ok(None) => {}
                Err(reason) => {
                    tracing::warn!("not connecting to the daemon directly ({reason}); through `taskmark lsp`")
                }
            }
        }
        LanguageServer::spawn(root, standalone)
    }

    fn spawn(root: &Path, standalone: bool) -> anyhow::Result<LanguageServer> {
        let program = std::env::current_exe().context("cannot find the taskmark binary")?;
        let mut command = Command::new(program);
        command.args(["lsp", "--log-level", "warn"]);
        if standalone {
            command.arg("--standalone");
        }
        let mut child = command
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start `taskmark lsp`")?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            anyhow::bail!("`taskmark lsp` started without pipes");
        };
        let connection: Stream = Connection::new(Box::new(stdout), Box::new(stdin));
        LanguageServer::initialize(root, connection, Some(child))
    }

    fn initialize(root: &Path, mut connection: Stream, mut child: Option<Child>) -> anyhow::Result<LanguageServer> {
        let stop = |child: &mut Option<Child>| {
            if let Some(child) = child {
                let _ = child.kill();
            }
        };
        // An agent asks for diagnostics (the `check` tool); pushed ones would only pile up
        // unread on the connection after every change, for the next call to parse first. An
        // agent's next step (a commit) reads the disk: files editors have open are written
        // there too, and their buffers follow.
        let params = crate::lsp::client::initialize_params(
            root,
            "taskmark mcp",
            json!({}),
            json!({ "diagnostics": "pull", "openElsewhere": "disk" }),
        );
        let params = match params {
            Ok(params) => params,
            Err(reason) => {
                stop(&mut child);
                anyhow::bail!(reason);
            }
        };
        let initialized = connection.request("initialize", params);
        if let Err(failure) = initialized {
            stop(&mut child);
            anyhow::bail!("the language server did not start: {failure}");
        }
        connection.notify("initialized", json!({}));
        // Answers are about the whole workspace only once it is indexed: wait for that here
        // (the diagnostics command refuses until then, and `command` asks again).
        if let Err(failure) = connection.command(crate::lsp::DIAGNOSTICS, json!([{ "limit": 0 }])) {
            stop(&mut child);
            anyhow::bail!("the language server did not index the workspace: {failure}");
        }
        Ok(LanguageServer { connection: Mutex::new(Some(connection)), child: Mutex::new(child) })
    }

    /// Runs `taskmark.*` command `name`, waiting while the session indexes the workspace. One
    /// command at a time: the connection is a sequence of requests and answers.
    pub fn command(&self, name: &str, arguments: Value) -> Result<Value, Failure> {
        let mut guard = self.connection.lock().map_err(|_| Failure::Lost("the connection broke earlier".into()))?;
        let connection = guard.as_mut().ok_or_else(|| Failure::Lost("the language server has stopped".into()))?;
        let outcome = connection.command(name, json!([arguments]));
        if matches!(outcome, Err(Failure::Lost(_))) {
            // A connection that lost its place in the stream cannot be trusted again.
            *guard = None;
        }
        outcome
    }
}

impl Drop for LanguageServer {
    fn drop(&mut self) {
        if let Ok(mut guard) = self.connection.lock()
            && let Some(connection) = guard.take()
        {
            connection.close();
        }
        if let Ok(mut guard) = self.child.lock()
            && let Some(child) = guard.as_mut()
        {
            // `exit` ends it at once; a server that does not is not waited for long.
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
