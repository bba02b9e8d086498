//! `taskmark mcp`: the agents' front door, a Model Context Protocol server over stdio (the
//! official Rust SDK, `rmcp`).
//!
//! It adds no write path of its own. It runs `taskmark lsp` (which reaches the daemon serving
//! the workspace's editors, starting it if needed) or, with `--no-daemon`, `taskmark lsp
//! --standalone`, and speaks to it as one more editor with no open documents: every tool is a
//! `taskmark.*` command there. So an agent's change is planned, re-checked, written and
//! broadcast exactly as an editor's, takes its turn with the editors' changes, and every open
//! editor follows it live. The session lives as long as the agent's connection, so the
//! workspace is indexed once, not per call.

#[cfg(unix)]
pub(crate) use taskmark_daemon as daemon;
pub(crate) use taskmark_lsp as lsp;
pub(crate) use taskmark_lsp::client as lsp_client;

mod link;
mod resources;
mod stdio;
mod tools;

use std::path::PathBuf;

use anyhow::Context;
use rmcp::ServiceExt;

pub use link::LanguageServer;
pub use tools::Taskmark;

pub struct Options {
    pub root: PathBuf,
    /// Work on disk alone: a language server of its own instead of the daemon.
    pub no_daemon: bool,
}

/// Serves MCP on stdin/stdout until the client closes the connection.
pub fn run(options: Options) -> anyhow::Result<()> {
    let server = LanguageServer::start(&options.root, options.no_daemon)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the MCP server's runtime")?;
    let served =
        runtime.block_on(stdio::guarded(tokio::io::stdin(), tokio::io::stdout(), |input, output| async move {
            // The bound is the guard's, which answers a request over it; rmcp would drop it silently.
            let transport = rmcp::transport::async_rw::AsyncRwTransport::new_server(input, output)
                .with_max_line_length(stdio::MAX_REQUEST_BYTES);
            let service =
                Taskmark::new(server).serve(transport).await.context("the MCP client's initialization failed")?;
            service.waiting().await.context("the MCP connection failed")?;
            anyhow::Ok(())
        }));
    // stdin's reader thread may still be parked in read(2): do not wait for it.
    runtime.shutdown_background();
    served
}
