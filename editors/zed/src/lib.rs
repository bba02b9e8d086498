//! taskmark's Zed extension: runs the `taskmark` on the worktree's PATH as the language server.

use zed_extension_api::{self as zed, LanguageServerId, Result};

struct Taskmark;

impl zed::Extension for Taskmark {
    fn new() -> Self {
        Taskmark
    }

    fn language_server_command(&mut self, _id: &LanguageServerId, worktree: &zed::Worktree) -> Result<zed::Command> {
        let path = worktree.which("taskmark").ok_or_else(|| {
            "taskmark is not on PATH: install it (pipx install taskmark, npm install -g taskmark, or cargo install)"
                .to_string()
        })?;
        Ok(zed::Command { command: path, args: vec!["lsp".into()], env: Vec::new() })
    }
}

zed::register_extension!(Taskmark);
