//! `taskmark daemon`: one process per user serving any number of LSP connections over a Unix
//! socket in the user's private runtime folder (and, on request, loopback TCP), and the
//! `taskmark lsp` side that connects an editor's stdio to it, starting it when none runs.
//!
//! The daemon speaks LSP itself on every connection (no message is rewritten in between, but
//! for the token a TCP connection's `initialize` carries), so requests the server sends
//! (`workspace/applyEdit`, progress, refreshes) reach the editor that owns the connection.
//! Exactly one daemon serves a runtime folder: it holds an exclusive lock on `daemon.lock` for
//! its whole life, and only the holder may remove and bind the socket.
//!
//! Who may connect: on the Unix socket, this user only (the folder's and the socket's modes,
//! and the peer's uid checked on every connection); over TCP, whoever shows the token in
//! `daemon.token`, which only this user can read ([`tcp`]). Until it has, a TCP connection is
//! anyone's, and costs the daemon little ([`admission`]); a listener out of descriptors pauses
//! ([`backoff`]).

pub(crate) use taskmark_io::private_dir;
pub(crate) use taskmark_lsp as lsp;

mod admission;
mod backoff;
mod peer;
mod proxy;
mod runtime_dir;
mod tcp;

use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use backoff::AcceptBackoff;

pub use proxy::run as run_proxy;
pub use runtime_dir::connect_trusted;

/// How long the daemon stays up after its last client leaves, unless told otherwise.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(5 * 60);

pub const SOCKET: &str = "daemon.sock";
const LOCK: &str = "daemon.lock";
const PID: &str = "daemon.pid";
/// The TCP address, for clients (and tests) that asked for port 0.
const TCP_ADDRESS: &str = "daemon.tcp";
pub const LOG: &str = "daemon.log";

pub struct Options {
    pub listen: Option<SocketAddr>,
    pub allow_remote: bool,
    pub idle: Duration,
    pub log_level: String,
    pub log_file: Option<PathBuf>,
}

/// What [`run`] did.
pub enum Outcome {
    /// Served until idle.
    Served,
    /// Another daemon holds the lock and serves this runtime folder.
    AlreadyRunning,
}

/// Runs the daemon in the foreground until it has been idle for `options.idle`, or until
/// SIGTERM or SIGINT.
pub fn run(options: Options) -> anyhow::Result<Outcome> {
    if let Some(address) = options.listen
        && !address.ip().is_loopback()
        && !options.allow_remote
    {
        bail!(
            "--listen {address}: not a loopback address; the LSP connection is unencrypted (its token would cross the network in clear), so only 127.0.0.1 or ::1 are allowed unless --allow-remote is given"
        );
    }
    let dir = runtime_dir::location();
    runtime_dir::ensure(&dir).map_err(anyhow::Error::msg)?;
    let lock_path = dir.join(LOCK);
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => return Ok(Outcome::AlreadyRunning),
        Err(fs::TryLockError::Error(error)) => {
            return Err(error).with_context(|| format!("cannot lock {}", lock_path.display()));
        }
    }
    let log_file = options.log_file.clone().unwrap_or_else(|| dir.join(LOG));
    crate::lsp::init_logging(&options.log_level, Some(&log_file))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("taskmark-daemon")
        .build()
        .context("cannot start the async runtime")?;
    // Caught from before the first file is made, so that no signal ends the daemon with its
    // files left behind.
    let stop = {
        let _context = runtime.enter();
        StopSignals::new().context("cannot handle SIGTERM and SIGINT")?
    };
    let pid_path = dir.join(PID);
    let (address_path, token_path) = (dir.join(TCP_ADDRESS), dir.join(tcp::TOKEN));
    let socket_path = dir.join(SOCKET);
    // Only the lock holder gets here: these files are its own, and it removes them however it
    // ends (idle, a signal, an error below). Declared after `lock`, so they are removed before
    // the lock is released and the next daemon may make its own.
    let _files = OwnFiles(vec![socket_path.clone(), pid_path.clone(), address_path.clone(), token_path.clone()]);
    let _ = fs::write(&pid_path, format!("{}\n", std::process::id()));
    // What a daemon that died left.
    let _ = fs::remove_file(&address_path);
    tcp::remove_stale(&token_path)?;
    remove_stale_socket(&socket_path)?;
    let listener = std::os::unix::net::UnixListener::bind(&socket_path)
        .with_context(|| format!("cannot listen on {}", socket_path.display()))?;
    runtime_dir::make_private(&socket_path).with_context(|| format!("cannot restrict {}", socket_path.display()))?;
    listener.set_nonblocking(true).context("cannot make the socket non-blocking")?;
    let tcp = match options.listen {
        Some(address) => {
            let tcp = std::net::TcpListener::bind(address).with_context(|| format!("cannot listen on {address}"))?;
            tcp.set_nonblocking(true).context("cannot make the TCP listener non-blocking")?;
            // Before the address is published: a client that finds the address finds the token.
            let token = tcp::create_token(&dir)?;
            Some(TcpListener { listener: tcp, token: token.into(), token_path: token_path.clone().into() })
        }
        None => None,
    };
    tracing::info!(
        "taskmark {} daemon, process {}, serving {}{}",
        env!("CARGO_PKG_VERSION"),
        std::process::id(),
        socket_path.display(),
        tcp.as_ref()
            .and_then(|it| it.listener.local_addr().ok())
            .map(|it| format!(" and tcp://{it} (token in {})", token_path.display()))
            .unwrap_or_default()
    );
    if let Some(address) = tcp.as_ref().and_then(|it| it.listener.local_addr().ok()) {
        // Tests and scripts that asked for port 0 learn the port here.
        let _ = fs::write(&address_path, format!("{address}\n"));
    }
    // One daemon per user runs: the place to clear the state folders of workspaces that no
    // longer exist, beside serving.
    let _ = std::thread::Builder::new().name("taskmark-state-cleanup".into()).spawn(|| {
        let Ok(home) = taskmark_io::state_dir::home() else { return };
        let removed = taskmark_io::state_dir::remove_stale(&home);
        if !removed.is_empty() {
            tracing::info!("removed {} state folders of workspaces that no longer exist", removed.len());
        }
    });
    let ended = runtime.block_on(serve(listener, tcp, options.idle, stop))?;
    runtime.shutdown_background();
    match ended {
        Ended::Idle => tracing::info!("no client for {} s: the daemon exits", options.idle.as_secs()),
        Ended::Signal(name) => tracing::info!("{name}: the daemon exits"),
    }
    Ok(Outcome::Served)
}

/// Files the daemon made, removed when it ends. (The lock file stays: removing it while
/// another daemon opens it would let two hold "the" lock.)
struct OwnFiles(Vec<PathBuf>);

impl Drop for OwnFiles {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = fs::remove_file(path);
        }
    }
}

/// SIGTERM and SIGINT, which end the daemon as idleness does: files removed, exit status 0.
struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Needs a Tokio runtime's context.
    fn new() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(StopSignals { terminate: signal(SignalKind::terminate())?, interrupt: signal(SignalKind::interrupt())? })
    }

    async fn received(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }
}

/// Why [`serve`] returned.
enum Ended {
    Idle,
    Signal(&'static str),
}

/// A socket file left by a daemon that died: remove it, but never someone else's file.
fn remove_stale_socket(path: &Path) -> anyhow::Result<()> {
    let Ok(metadata) = fs::symlink_metadata(path) else { return Ok(()) };
    runtime_dir::check_owner(path, &metadata).map_err(anyhow::Error::msg)?;
    if !metadata.file_type().is_socket() {
        bail!("refusing to replace {}: it is not a socket", path.display());
    }
    fs::remove_file(path).with_context(|| format!("cannot remove the stale socket {}", path.display()))
}

/// The TCP listener and the secret its connections must show.
struct TcpListener {
    listener: std::net::TcpListener,
    token: Arc<str>,
    token_path: Arc<Path>,
}

async fn serve(
    unix: std::os::unix::net::UnixListener,
    tcp: Option<TcpListener>,
    idle: Duration,
    mut stop: StopSignals,
) -> anyhow::Result<Ended> {
    let unix = tokio::net::UnixListener::from_std(unix).context("cannot register the socket")?;
    let tcp = match tcp {
        Some(TcpListener { listener, token, token_path }) => {
            let listener = tokio::net::TcpListener::from_std(listener).context("cannot register the TCP listener")?;
            Some((listener, token, token_path))
        }
        None => None,
    };
    let clients = Clients::default();
    // Every editor and agent this daemon serves shares one hub: one saved state per root, and
    // each hears of the others' changes.
    let hub = crate::lsp::Hub::new(crate::lsp::ServingMode::Daemon);
    // The web boards (`taskmark board`), one more session each on the same hub.
    let boards = taskmark_board::Boards::install(&hub).inspect_err(|reason| tracing::warn!("no boards: {reason}")).ok();
    let viewers = || boards.as_ref().map_or(0, taskmark_board::Boards::viewers);
    let gate = admission::Gate::new();
    let (mut unix_backoff, mut tcp_backoff) = (AcceptBackoff::new("unix socket"), AcceptBackoff::new("TCP"));
    let mut served: u64 = 0;
    // Since when no client has been connected (connections still to show their token are not
    // clients: anyone can open them).
    let mut idle_since = Some(Instant::now());
    loop {
        // A page following a board is a client too: its person is looking.
        match clients.open() + viewers() {
            0 => idle_since = idle_since.or_else(|| Some(Instant::now())),
            _ => idle_since = None,
        }
        let idle_timer = async {
            match idle_since {
                Some(since) => tokio::time::sleep_until((since + idle).into()).await,
                None => std::future::pending::<()>().await,
            }
        };
        let unix_paused = unix_backoff.paused_until();
        let unix_accept = async {
            if let Some(until) = unix_paused {
                tokio::time::sleep_until(until.into()).await;
            }
            unix.accept().await
        };
        let tcp_paused = tcp_backoff.paused_until().max(gate.paused_until());
        let tcp_accept = async {
            match &tcp {
                Some((listener, ..)) => {
                    if let Some(until) = tcp_paused {
                        tokio::time::sleep_until(until.into()).await;
                    }
                    listener.accept().await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            accepted = unix_accept => match accepted {
                Ok((stream, _)) => {
                    unix_backoff.accepted();
                    // The folder and socket modes keep others out; this holds even if someone
                    // loosened them.
                    let ours = runtime_dir::current_uid();
                    match peer::peer_uid(stream.as_fd()) {
                        Ok(uid) if uid == ours => {
                            served += 1;
                            let client = clients.client(served, "unix socket");
                            let (read, write) = stream.into_split();
                            let hub = hub.clone();
                            tokio::spawn(async move {
                                crate::lsp::serve(read, write, hub).await;
                                drop(client);
                            });
                        }
                        Ok(uid) => tracing::warn!("refused a connection from user {uid} on the socket: only user {ours} is served"),
                        Err(error) => tracing::warn!("refused a connection on the socket: cannot tell who made it ({error})"),
                    }
                }
                Err(error) => unix_backoff.failed(&error),
            },
            accepted = tcp_accept => match (accepted, &tcp) {
                (Ok((stream, peer)), Some((_, token, token_path))) => {
                    tcp_backoff.accepted();
                    served += 1;
                    let _ = stream.set_nodelay(true);
                    let mut waiting = gate.enter();
                    let (read, mut write) = stream.into_split();
                    let (token, token_path, number) = (token.clone(), token_path.clone(), served);
                    let (gate, clients, hub) = (gate.clone(), clients.clone(), hub.clone());
                    tokio::spawn(async move {
                        let admitted = tokio::select! {
                            admitted = tcp::admit(read, &mut write, &token, &token_path) => admitted,
                            _ = &mut waiting.pushed_out => Err(format!(
                                "newer connections pushed it out ({} were waiting to show the token)",
                                admission::MAX_WAITING
                            )),
                        };
                        drop(waiting);
                        match admitted {
                            Ok(read) => {
                                let client = clients.client(number, &format!("tcp {peer}"));
                                crate::lsp::serve(read, write, hub).await;
                                drop(client);
                            }
                            Err(reason) => gate.refused(number, &peer.to_string(), &reason),
                        }
                    });
                }
                (Ok(_), None) => {}
                (Err(error), _) => tcp_backoff.failed(&error),
            },
            () = idle_timer => if clients.open() + viewers() == 0 {
                return Ok(Ended::Idle);
            },
            () = async {
                match &boards {
                    Some(boards) => boards.viewers_changed().await,
                    None => std::future::pending().await,
                }
            } => {}
            name = stop.received() => return Ok(Ended::Signal(name)),
            () = clients.changed.notified() => {}
        }
    }
}

/// The connections being served (a TCP connection once it showed the token): while one is, the
/// daemon does not exit for idleness.
#[derive(Clone, Default)]
struct Clients {
    open: Arc<AtomicUsize>,
    /// Told when one closes.
    changed: Arc<tokio::sync::Notify>,
}

impl Clients {
    fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Counts connection `number` from `peer` until the guard is dropped.
    fn client(&self, number: u64, peer: &str) -> Client {
        let count = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        tracing::info!("connection {number} from {peer} ({count} open)");
        self.changed.notify_one();
        Client { number, clients: self.clone() }
    }
}

/// One connection being served.
struct Client {
    number: u64,
    clients: Clients,
}

impl Drop for Client {
    fn drop(&mut self) {
        crate::lsp::release_freed_memory();
        let left = self.clients.open.fetch_sub(1, Ordering::SeqCst) - 1;
        tracing::info!("connection {} closed ({left} open)", self.number);
        self.clients.changed.notify_one();
    }
}

/// A connection to this user's daemon, started if none runs, for a command that needs the
/// daemon itself (`taskmark board`). `Err` says why there is none.
pub fn connect_or_start() -> Result<std::os::unix::net::UnixStream, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    let stream = runtime.block_on(proxy::connect_or_start())?;
    let stream = stream.into_std().map_err(|error| format!("cannot set up the daemon's connection: {error}"))?;
    stream.set_nonblocking(false).map_err(|error| format!("cannot set up the daemon's connection: {error}"))?;
    Ok(stream)
}

/// Where the daemon of this user listens (for `taskmark daemon --status` and the editors).
pub fn socket_path() -> PathBuf {
    runtime_dir::location().join(SOCKET)
}

/// Prints what `taskmark daemon` found when another one already serves.
pub fn report_already_running(out: &mut impl Write) -> std::io::Result<()> {
    let dir = runtime_dir::location();
    let pid = fs::read_to_string(dir.join(PID)).unwrap_or_default();
    writeln!(
        out,
        "taskmark: a daemon{} already serves {}",
        if pid.trim().is_empty() { String::new() } else { format!(" (process {})", pid.trim()) },
        dir.join(SOCKET).display()
    )
}
