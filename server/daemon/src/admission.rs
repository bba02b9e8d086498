//! The TCP connections that have not shown the token yet. Any local user can open them, so what
//! they may cost is bounded whatever they do:
//! - each holds only what it sent, up to [`super::tcp::MAX_FIRST_MESSAGE`], for at most the
//!   first message's timeout ([`super::tcp::admit`]);
//! - at most [`MAX_WAITING`] wait at once: one more drops the one that has waited longest. A
//!   client that has the token sends `initialize` as soon as it connects, so it is through
//!   long before a flood pushes it out (a flood of new connections is paced, so each one waits
//!   at least `MAX_WAITING / PER_SECOND` seconds before it can be pushed out);
//! - at most [`PER_SECOND`] are accepted each second; the others wait in the kernel's backlog;
//! - they are not clients: the daemon exits when idle whatever they do;
//! - their refusals are logged once per [`REFUSAL_LOG_PERIOD`], with how many there were.
//!
//! (Before: a connection declaring a 1 MiB body cost 1 MiB until its 10 s timeout, 900 of
//! them 944 MB, and they kept the daemon from ever exiting when idle.)

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::backoff::Quiet;

/// TCP connections waiting to show the token at once.
pub const MAX_WAITING: usize = 32;

/// TCP connections accepted per second.
pub const PER_SECOND: u32 = 64;

const REFUSAL_LOG_PERIOD: Duration = Duration::from_secs(10);

/// The TCP connections waiting to show the token.
#[derive(Clone)]
pub struct Gate {
    state: Arc<Mutex<State>>,
}

struct State {
    next_id: u64,
    /// Oldest first; dropping a sender tells its connection to go.
    waiting: VecDeque<(u64, oneshot::Sender<()>)>,
    /// The second being counted, and the connections accepted in it.
    second: Instant,
    accepted: u32,
    refusals: Quiet,
}

/// A connection waiting to show the token; it leaves the gate when dropped.
pub struct Waiting {
    id: u64,
    state: Arc<Mutex<State>>,
    /// Resolves when the connection is pushed out by newer ones.
    pub pushed_out: oneshot::Receiver<()>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        lock(&self.state).waiting.retain(|(id, _)| *id != self.id);
    }
}

impl Gate {
    pub fn new() -> Gate {
        let state = State {
            next_id: 0,
            waiting: VecDeque::new(),
            second: Instant::now(),
            accepted: 0,
            refusals: Quiet::new(REFUSAL_LOG_PERIOD),
        };
        Gate { state: Arc::new(Mutex::new(state)) }
    }

    /// When the next connection may be accepted: `None` now, else once this second is over.
    pub fn paused_until(&self) -> Option<Instant> {
        let state = lock(&self.state);
        let next_second = state.second + Duration::from_secs(1);
        (state.accepted >= PER_SECOND && Instant::now() < next_second).then_some(next_second)
    }

    /// Takes in a connection just accepted; the one that has waited longest is pushed out when
    /// too many wait.
    pub fn enter(&self) -> Waiting {
        let mut state = lock(&self.state);
        let now = Instant::now();
        if now.duration_since(state.second) >= Duration::from_secs(1) {
            state.second = now;
            state.accepted = 0;
        }
        state.accepted += 1;
        if state.waiting.len() >= MAX_WAITING {
            // Dropping its sender tells it.
            state.waiting.pop_front();
        }
        let id = state.next_id;
        state.next_id += 1;
        let (sender, pushed_out) = oneshot::channel();
        state.waiting.push_back((id, sender));
        Waiting { id, state: self.state.clone(), pushed_out }
    }

    /// Logs a refused connection (boundedly: a flood of them is one line per period).
    pub fn refused(&self, number: u64, peer: &str, reason: &str) {
        let held = lock(&self.state).refusals.note();
        if let Some(held) = held {
            tracing::warn!("connection {number} from tcp {peer} refused: {reason}{}", Quiet::more(held));
        }
    }

    /// How many connections wait now.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        lock(&self.state).waiting.len()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_too_many_pushes_out_the_one_that_waited_longest() {
        let gate = Gate::new();
        let mut first = gate.enter();
        let mut others: Vec<Waiting> = (1..MAX_WAITING).map(|_| gate.enter()).collect();
        assert_eq!(gate.waiting(), MAX_WAITING);
        assert!(first.pushed_out.try_recv().is_err_and(|it| it == oneshot::error::TryRecvError::Empty));
        let last = gate.enter();
        assert!(first.pushed_out.try_recv().is_err_and(|it| it == oneshot::error::TryRecvError::Closed));
        assert!(others[0].pushed_out.try_recv().is_err_and(|it| it == oneshot::error::TryRecvError::Empty));
        assert_eq!(gate.waiting(), MAX_WAITING);
        drop(first);
        drop(last);
        others.truncate(3);
        assert_eq!(gate.waiting(), 3, "a connection that leaves frees its place");
    }

    #[test]
    fn accepting_pauses_once_a_seconds_share_was_taken() {
        let gate = Gate::new();
        let waiting: Vec<Waiting> = (0..PER_SECOND).map(|_| gate.enter()).collect();
        drop(waiting);
        let until = gate.paused_until().expect("paused");
        assert!(until <= Instant::now() + Duration::from_secs(1));
        let mut state = lock(&gate.state);
        state.second = state.second.checked_sub(Duration::from_secs(1)).expect("a second ago");
        drop(state);
        assert_eq!(gate.paused_until(), None, "the next second has its own share");
    }
}
