//! `taskmark board`: a web page on loopback, served by the daemon, where a person sees every
//! tracker's tasks in columns by status kind and their dependency graph, and drags a card to
//! change its status. It adds no write path: each workspace's board is one more language
//! server session on the daemon's hub ([`link`]), so a drag is that session's
//! `taskmark.setStatus` (the same guards, refusals, re-check, transaction and broadcast as
//! every other front door), and the page follows every change that session hears of.
//!
//! Who may use it ([`http`]): the server listens on 127.0.0.1 only; every request must name it
//! by its own address in `Host` (so a DNS name rebound to 127.0.0.1 cannot reach it), carry no
//! foreign `Origin` and no cross-site fetch metadata, and, but for the page's static code, show
//! the token this process drew at random (in the address `taskmark.openBoard` answers, which
//! only this user's sessions can ask for). A change must come as JSON with the token in a header,
//! which no other site's page can send without a preflight this server never answers.

pub(crate) use taskmark_lsp as lsp;

mod assets;
mod http;
mod link;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use lsp::Hub;

pub use link::Link;

/// The boards one process serves, one per workspace root, all on one loopback port.
#[derive(Clone)]
pub struct Boards {
    inner: Arc<Inner>,
}

struct Inner {
    hub: Weak<Hub>,
    token: String,
    /// The port, once the server listens.
    port: Mutex<Option<u16>>,
    boards: Mutex<Vec<Arc<Board>>>,
    /// Pages following a board's changes now: while one does, the daemon is in use.
    viewers: AtomicUsize,
    viewers_changed: tokio::sync::Notify,
}

/// One workspace's board.
struct Board {
    /// Its place in the address: `/board/1/`.
    number: usize,
    root: PathBuf,
    /// Started on first use; a session that failed to start is tried again on the next.
    link: tokio::sync::Mutex<Option<Arc<Link>>>,
}

impl Boards {
    /// Boards for the sessions of `hub`, which `taskmark.openBoard` then opens.
    pub fn install(hub: &Arc<Hub>) -> Result<Boards, String> {
        let boards = Boards {
            inner: Arc::new(Inner {
                hub: Arc::downgrade(hub),
                token: random_token()?,
                port: Mutex::new(None),
                boards: Mutex::default(),
                viewers: AtomicUsize::new(0),
                viewers_changed: tokio::sync::Notify::new(),
            }),
        };
        hub.serve_boards(Arc::new(boards.clone()));
        Ok(boards)
    }

    /// How many pages follow a board now.
    pub fn viewers(&self) -> usize {
        self.inner.viewers.load(Ordering::SeqCst)
    }

    /// Waits until a page starts or stops following a board.
    pub async fn viewers_changed(&self) {
        self.inner.viewers_changed.notified().await
    }

    fn port(&self) -> Option<u16> {
        *self.inner.port.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn board(&self, number: usize) -> Option<Arc<Board>> {
        self.inner.boards.lock().unwrap_or_else(PoisonError::into_inner).iter().find(|it| it.number == number).cloned()
    }

    /// The session of board `number`, started if it is not.
    async fn link(&self, number: usize) -> Result<Arc<Link>, String> {
        let board = self.board(number).ok_or_else(|| format!("no board {number}"))?;
        let mut link = board.link.lock().await;
        match link.as_ref() {
            Some(link) if !link.ended() => return Ok(link.clone()),
            // Its pages' event streams have ended with it: they come back to this one.
            Some(_) => tracing::warn!("board {number}: its language server session ended; starting another"),
            None => {}
        }
        let hub = self.inner.hub.upgrade().ok_or("the server is stopping")?;
        let started = Arc::new(Link::start(hub, &board.root).await?);
        *link = Some(started.clone());
        Ok(started)
    }

    fn root(&self, number: usize) -> Option<PathBuf> {
        self.board(number).map(|it| it.root.clone())
    }

    /// Listens on loopback if not yet; the port.
    fn listen(&self) -> Result<u16, String> {
        let mut port = self.inner.port.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(port) = *port {
            return Ok(port);
        }
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .map_err(|error| format!("cannot listen on 127.0.0.1: {error}"))?;
        listener.set_nonblocking(true).map_err(|error| format!("cannot set up the board's listener: {error}"))?;
        let bound = listener.local_addr().map_err(|error| format!("cannot read the board's port: {error}"))?.port();
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| "no runtime to serve the board on")?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .map_err(|error| format!("cannot set up the board's listener: {error}"))?
        };
        let router = http::router(self.clone());
        runtime.spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!("the board's server stopped: {error}");
            }
        });
        tracing::info!("serving boards on http://127.0.0.1:{bound}");
        *port = Some(bound);
        Ok(bound)
    }

    fn viewer(&self) -> Viewer {
        self.inner.viewers.fetch_add(1, Ordering::SeqCst);
        self.inner.viewers_changed.notify_one();
        Viewer { boards: self.clone() }
    }
}

impl lsp::BoardServer for Boards {
    fn open(&self, root: &Path) -> Result<String, String> {
        let port = self.listen()?;
        let number = {
            let mut boards = self.inner.boards.lock().unwrap_or_else(PoisonError::into_inner);
            match boards.iter().find(|it| it.root == root) {
                Some(board) => board.number,
                None => {
                    let number = boards.len() + 1;
                    boards.push(Arc::new(Board {
                        number,
                        root: root.to_path_buf(),
                        link: tokio::sync::Mutex::new(None),
                    }));
                    number
                }
            }
        };
        // Indexed while the browser starts: the page's first answer does not wait for it.
        let boards = self.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(reason) = boards.link(number).await {
                    tracing::warn!("board {number}: {reason}");
                }
            });
        }
        Ok(format!("http://127.0.0.1:{port}/board/{number}/?token={}", self.inner.token))
    }
}

/// A page following a board's changes, counted until it goes.
struct Viewer {
    boards: Boards,
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.boards.inner.viewers.fetch_sub(1, Ordering::SeqCst);
        self.boards.inner.viewers_changed.notify_one();
    }
}

/// 32 random bytes, as hex.
fn random_token() -> Result<String, String> {
    let mut random = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut it| it.read_exact(&mut random))
        .map_err(|error| format!("cannot read random bytes from /dev/urandom: {error}"))?;
    Ok(random.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp::BoardServer;
    use std::time::Duration;

    /// A board whose session ended (its server stopped) gets a new one on the next request,
    /// instead of answering "the session ended" until the daemon restarts.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_board_whose_session_ended_starts_another() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let specs = folder.path().join("specs");
        std::fs::create_dir_all(&specs).expect("specs/");
        std::fs::write(specs.join("TODO.md"), "## Tasks\n\n### 1. One\n- **Status**: [NOT STARTED]\n")
            .expect("TODO.md");
        let hub = lsp::Hub::new(lsp::ServingMode::Daemon);
        let boards = Boards::install(&hub).expect("boards");
        let address = boards.open(folder.path()).expect("an address");
        assert!(address.contains("/board/1/?token="), "{address}");
        let first = boards.link(1).await.expect("a session");
        let board = first.command(lsp::BOARD, serde_json::json!({})).await.expect("the board");
        assert!(board.get().contains("\"specs:1\""), "{}", board.get());

        let _ = first.request("shutdown", serde_json::Value::Null, Duration::from_secs(10)).await;
        first.notify("exit", serde_json::Value::Null).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !first.ended() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(first.ended(), "the session ends with its server");

        let second = boards.link(1).await.expect("another session");
        assert!(!Arc::ptr_eq(&first, &second) && !second.ended());
        let board = second.command(lsp::BOARD, serde_json::json!({})).await.expect("the board again");
        assert!(board.get().contains("\"specs:1\""), "{}", board.get());
    }
}
