//! The language server adapter: `taskmark lsp` over stdio. Converts between LSP and the
//! engine; every answer comes from [`crate::engine`].

pub(crate) use taskmark_engine as engine;
pub(crate) use taskmark_io::{branch_ids, git, workspace, worktrees};
pub(crate) use taskmark_service as service;
pub(crate) use taskmark_service::{claims, views, write_path};
pub(crate) use taskmark_transaction as transaction;

mod analysis;
mod broadcast;
pub mod client;
mod commands;
mod convert;
mod desk;
mod documents;
mod elsewhere;
mod errors;
pub mod ext;
mod folder_events;
mod handlers;
mod host;
mod hub;
mod lifecycle;
mod moves;
mod saved;
mod server;
mod session;
mod settings;
mod transport;
mod unwind;
mod watch;
mod world;

use std::path::PathBuf;

use anyhow::Context;
use tower_lsp_server::{LspService, Server};
use tracing_subscriber::EnvFilter;

// How an editor is told to override a refusal: the command line, given an editor's answer by
// the daemon, says its own flags in their place.
pub use commands::override_in_editor_words;
// A refusal as the editors get it: the command line's tests check it says it in its own words.
pub use commands::refusal as refusal_error;
// The agents' server runs these commands in a session of its own.
pub use commands::{ARCHIVE_TASKS, BOARD, EDIT_TASK, NEW_TASK, OPEN_BOARD, TRACKERS};
pub use commands::{CLAIM_TASK, DIAGNOSTICS, FIX, LIST_TASKS, NEXT_TASKS, RELEASE_TASK, SET_STATUS, TASK_INFO};
pub use hub::{BoardServer, Hub, ServingMode};
pub use settings::{DiagnosticMode, Settings};
pub use transport::{MAX_HEADER_LINE, MAX_MESSAGE_BYTES};
// The daemon reads a TCP connection's first frame itself, to check its token.
#[cfg(unix)]
pub use transport::{Frame, FrameReader, framed};

/// Handlers that may run at once. tower-lsp-server's default of 4 deadlocks when four
/// handlers wait on the client (an `applyEdit`, a message request) while the reader waits for
/// a free slot; ordering does not depend on it (see [`server`]).
const CONCURRENCY: usize = 64;

pub struct Options {
    /// `error`, `warn`, `info`, `debug`, `trace`, or a tracing filter.
    pub log_level: String,
    /// Also log to this file.
    pub log_file: Option<PathBuf>,
}

/// Hands memory freed by closed documents and sessions back to the operating system. glibc
/// keeps freed pages in its arenas for reuse, so after an editor closed many large documents
/// the process would stay at its peak for hours (measured: 1.2 GB with 300 documents of 1 MB
/// open, still 550 to 680 MB after closing them all, 18 MB after a trim).
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim(3) has no preconditions; it only returns free pages to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Serves one client over stdin/stdout until it exits.
pub fn run(options: Options) -> anyhow::Result<()> {
    init_logging(&options.log_level, options.log_file.as_deref())?;
    tracing::info!("taskmark {} language server, process {}", env!("CARGO_PKG_VERSION"), std::process::id());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("taskmark-lsp")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout(), Hub::new(ServingMode::Standalone)));
    // stdin's reader thread may still be parked in read(2): do not wait for it.
    runtime.shutdown_background();
    Ok(())
}

/// Serves one connection, behind a transport that answers malformed messages instead of
/// letting them end the connection. Its sessions share `hub` with every other connection
/// served with it.
pub async fn serve<I, O>(input: I, output: O, hub: std::sync::Arc<Hub>)
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    transport::guarded(input, output, move |input, output| async move {
        let (service, socket) = LspService::build(move |client| server::Server::new(client, hub))
            .custom_method("taskmark/serverInfo", server::Server::server_info)
            .finish();
        // Every request under catch_unwind (see `unwind`).
        let service = unwind::CatchPanic(service);
        Server::new(input, output, socket).concurrency_level(CONCURRENCY).serve(service).await;
    })
    .await;
}

/// Logs to stderr and, when given, appends to `log_file`.
pub fn init_logging(log_level: &str, log_file: Option<&std::path::Path>) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(format!("warn,taskmark={log_level}"))
        .or_else(|_| EnvFilter::try_new(log_level))
        .with_context(|| format!("bad --log-level `{log_level}`"))?;
    let file = match log_file {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open log file {}", path.display()))?,
        ),
        None => None,
    };
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false);
    let file =
        file.map(|file| tracing_subscriber::fmt::layer().with_writer(std::sync::Mutex::new(file)).with_ansi(false));
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::registry().with(filter).with(stderr).with(file).try_init().context("cannot set up logging")?;
    Ok(())
}
