//! `taskmark lsp` as editors start it: connects stdin/stdout to the user's daemon, starting one
//! when none answers, and copies bytes both ways without reading them. When no daemon can be
//! reached, or the socket found is not this user's daemon's (the same checks as `taskmark
//! set`'s), it serves the editor in-process and logs why, so the editor always gets a server.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;

use crate::{SOCKET, runtime_dir};

/// How long a freshly started daemon has to open its socket.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times a daemon that left without listening is started again within that time.
const MAX_RESTARTS: u32 = 8;

pub fn run(log_level: &str, log_file: Option<&Path>) -> anyhow::Result<()> {
    crate::lsp::init_logging(log_level, log_file)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("taskmark-lsp")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        match connect_or_start().await {
            Ok(stream) => {
                tracing::info!("connected to the taskmark daemon");
                pipe(stream).await;
            }
            Err(reason) => {
                tracing::warn!("serving in this process: {reason}");
                let hub = crate::lsp::Hub::new(crate::lsp::ServingMode::Standalone);
                crate::lsp::serve(tokio::io::stdin(), tokio::io::stdout(), hub).await;
            }
        }
    });
    // stdin's reader thread may still be parked in read(2): do not wait for it.
    runtime.shutdown_background();
    Ok(())
}

/// A connection to this user's daemon, started if none runs. `Err` says why the editor is
/// served in this process instead: the runtime folder or the socket found in it is not to be
/// trusted (see [`runtime_dir::connect_trusted_async`]), or no daemon came up in time.
pub(crate) async fn connect_or_start() -> Result<UnixStream, String> {
    let dir = runtime_dir::location();
    runtime_dir::ensure(&dir)?;
    if let Some(stream) = runtime_dir::connect_trusted_async().await? {
        return Ok(stream);
    }
    let executable = std::env::current_exe().map_err(|error| format!("cannot find this executable: {error}"))?;
    // Its own process group, so the editor's Ctrl-C or a closed terminal does not reach it;
    // every editor shares it and it exits on its own once idle.
    let start = || {
        Command::new(&executable)
            .arg("daemon")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|error| format!("cannot start the daemon: {error}"))
    };
    let mut daemon = start()?;
    let mut restarts = 0;
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    // The daemon started is reaped when it exits, never waited for here.
    let reap = |mut daemon: std::process::Child| drop(std::thread::spawn(move || daemon.wait()));
    loop {
        // Connected (to the daemon started or to another), or a socket that cannot be trusted.
        if let Some(outcome) = runtime_dir::connect_trusted_async().await.transpose() {
            reap(daemon);
            return outcome;
        }
        // The one started left without a socket: it found the lock held, by a daemon that was
        // ending (idle) as this editor came, or by one another editor started a moment ago.
        // Started again (a few times at most) until one holds the lock and listens.
        if restarts < MAX_RESTARTS && matches!(daemon.try_wait(), Ok(Some(_))) {
            daemon = start()?;
            restarts += 1;
        }
        if started.elapsed() >= START_TIMEOUT {
            reap(daemon);
            return Err(format!(
                "the daemon did not open {} within {} s; see {}",
                dir.join(SOCKET).display(),
                START_TIMEOUT.as_secs(),
                dir.join(super::LOG).display()
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Editor to daemon and back, until the daemon closes the connection (after `exit`, or if it
/// dies: then the editor sees its server end and can start a new one).
async fn pipe(stream: UnixStream) {
    let (mut from_daemon, mut to_daemon) = stream.into_split();
    let upstream = async move {
        let mut stdin = tokio::io::stdin();
        let _ = tokio::io::copy(&mut stdin, &mut to_daemon).await;
        // The editor closed our stdin: let the daemon see the end of this connection.
        let _ = to_daemon.shutdown().await;
        std::future::pending::<()>().await;
    };
    let downstream = async move {
        let mut stdout = tokio::io::stdout();
        let _ = tokio::io::copy(&mut from_daemon, &mut stdout).await;
        let _ = stdout.flush().await;
    };
    tokio::select! {
        () = upstream => {}
        () = downstream => {}
    }
}
