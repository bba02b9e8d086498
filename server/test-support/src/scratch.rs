//! A test's own folders for what taskmark keeps per user (the daemon's runtime folder, the state
//! folder with its locks, journals and claims) and for its workspaces, all in one temporary
//! folder: no test touches the user's own daemon or state, and each sees only its own.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Scratch {
    _dir: tempfile::TempDir,
    /// `TASKMARK_RUNTIME_DIR`: the daemon's socket, pid and log.
    pub runtime: PathBuf,
    /// `TASKMARK_STATE_DIR`: locks, journals and claims of every workspace of the test.
    pub state: PathBuf,
    /// Where the test's workspaces go.
    pub base: PathBuf,
    /// `TASKMARK_DAEMON_IDLE_MS` for the daemons the test's commands start.
    daemon_idle_ms: String,
}

impl Scratch {
    /// Fresh folders; a daemon started by the test's commands exits `daemon_idle_ms` after its
    /// last client left.
    pub fn new(daemon_idle_ms: u64) -> Scratch {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let runtime = dir.path().join("run");
        let state = dir.path().join("state");
        let base = dir.path().join("workspaces");
        std::fs::create_dir_all(&base).expect("a folder");
        Scratch { runtime, state, base, daemon_idle_ms: daemon_idle_ms.to_string(), _dir: dir }
    }

    /// `taskmark ARGS` on the test's folders, with no agent named by the environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(crate::taskmark_binary());
        command
            .args(args)
            .env("TASKMARK_RUNTIME_DIR", &self.runtime)
            .env("TASKMARK_STATE_DIR", &self.state)
            .env("TASKMARK_DAEMON_IDLE_MS", &self.daemon_idle_ms)
            .env_remove("TASKMARK_AGENT");
        command
    }

    /// `taskmark ARGS --root ROOT` on the test's folders.
    pub fn command_at(&self, root: &Path, args: &[&str]) -> Command {
        let mut command = self.command(args);
        command.arg("--root").arg(root);
        command
    }

    /// [`Scratch::command_at`] run to its end.
    pub fn run_at(&self, root: &Path, args: &[&str]) -> std::process::Output {
        self.command_at(root, args).output().expect("taskmark runs")
    }

    /// An editor (VS Code's capabilities) that starts `taskmark lsp` as editors do, through
    /// the test's daemon, initialized.
    pub fn editor(&self, root: &Path) -> crate::lsp_client::LspClient {
        self.editor_with(root, crate::lsp_client::vscode_capabilities())
    }

    /// [`Scratch::editor`] with other capabilities (Neovim's, say).
    pub fn editor_with(&self, root: &Path, capabilities: serde_json::Value) -> crate::lsp_client::LspClient {
        let command = self.command(&["lsp", "--log-level", "debug"]);
        let mut client =
            crate::lsp_client::LspClient::launch_command(root, capabilities, serde_json::json!({}), command);
        client.notify("initialized", serde_json::json!({}));
        client
    }

    /// A fresh copy of the example workspace (`tests/fixtures/example`; task 14 is `[PLANNED]`).
    pub fn workspace(&self, name: &str) -> PathBuf {
        let root = self.base.join(name);
        std::fs::create_dir_all(&root).expect("a workspace folder");
        crate::lsp_client::copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example"),
            &root,
        );
        root
    }

    /// The daemon serving the test's runtime folder, by the pid file it keeps there.
    pub fn daemon_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.runtime.join("daemon.pid")).ok()?.trim().parse().ok()
    }
}
