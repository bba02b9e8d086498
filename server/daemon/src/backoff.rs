//! Failing to accept connections without spinning or flooding the log. When the process has no
//! descriptor left (EMFILE) or the system none (ENFILE), the connection stays in the kernel's
//! backlog and the listener stays readable: accepting again at once fails again, and the daemon
//! spun on it writing a line each time (62 MB of log in 13 s, in the runtime folder, usually a
//! small tmpfs). Instead the listener pauses, longer while it lasts, and each pause is one line.

use std::time::{Duration, Instant};

/// The first pause after a failure; each failure that follows doubles it, up to [`LONGEST`],
/// until none came for [`CALM`] (a connection accepted in between does not end a shortage: the
/// flood that caused it frees a descriptor now and then).
const SHORTEST: Duration = Duration::from_millis(50);
const LONGEST: Duration = Duration::from_secs(1);
const CALM: Duration = Duration::from_secs(10);

/// How often a failure that does not pause the listener (a client that reset the connection
/// before it was accepted) is logged: the first at once, the others counted into the next line.
const QUIET_PERIOD: Duration = Duration::from_secs(10);

/// One listener's failures to accept.
pub struct AcceptBackoff {
    /// Which listener, for the log.
    what: &'static str,
    next_pause: Duration,
    paused_until: Option<Instant>,
    last_shortage: Option<Instant>,
    quiet: Quiet,
}

impl AcceptBackoff {
    pub fn new(what: &'static str) -> AcceptBackoff {
        AcceptBackoff {
            what,
            next_pause: SHORTEST,
            paused_until: None,
            last_shortage: None,
            quiet: Quiet::new(QUIET_PERIOD),
        }
    }

    /// Until when the listener is not to be accepted on (`None`: now).
    pub fn paused_until(&self) -> Option<Instant> {
        self.paused_until
    }

    pub fn accepted(&mut self) {
        self.paused_until = None;
    }

    pub fn failed(&mut self, error: &std::io::Error) {
        if out_of_resources(error) {
            let now = Instant::now();
            if self.last_shortage.is_some_and(|last| now.duration_since(last) >= CALM) {
                self.next_pause = SHORTEST;
            }
            self.last_shortage = Some(now);
            let pause = self.next_pause;
            self.paused_until = Some(now + pause);
            self.next_pause = (pause * 2).min(LONGEST);
            tracing::warn!(
                "accepting a {} connection failed: {error}; not accepting for {} ms",
                self.what,
                pause.as_millis()
            );
        } else if let Some(held) = self.quiet.note() {
            tracing::warn!("accepting a {} connection failed: {error}{}", self.what, Quiet::more(held));
        }
    }
}

/// Whether accepting failed for want of something the whole listener needs (rather than
/// because of the one connection), so that trying again at once would fail again.
fn out_of_resources(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM))
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

/// A log line at most once per period: the first at once, the ones after it counted and said
/// with the next line.
pub struct Quiet {
    period: Duration,
    last: Option<Instant>,
    held: u64,
}

impl Quiet {
    pub fn new(period: Duration) -> Quiet {
        Quiet { period, last: None, held: 0 }
    }

    /// `Some(how many were held back since the last line)` when a line may be written now.
    pub fn note(&mut self) -> Option<u64> {
        let now = Instant::now();
        if self.last.is_some_and(|last| now.duration_since(last) < self.period) {
            self.held += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.held))
    }

    /// The end of a line that was held back `held` times.
    pub fn more(held: u64) -> String {
        match held {
            0 => String::new(),
            held => format!(" (and {held} more like it since the last line)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_for_want_of_descriptors_pauses_longer_up_to_a_second() {
        let mut backoff = AcceptBackoff::new("test");
        let emfile = std::io::Error::from_raw_os_error(libc::EMFILE);
        let mut pauses = Vec::new();
        for _ in 0..8 {
            pauses.push(backoff.next_pause.as_millis());
            backoff.failed(&emfile);
            assert!(backoff.paused_until().is_some());
        }
        assert_eq!(pauses, [50, 100, 200, 400, 800, 1000, 1000, 1000]);
        backoff.accepted();
        assert_eq!(backoff.paused_until(), None);
        backoff.failed(&emfile);
        assert_eq!(backoff.next_pause.as_millis(), 1000, "a connection accepted meanwhile does not end a shortage");
        backoff.last_shortage = backoff.last_shortage.and_then(|it| it.checked_sub(CALM));
        backoff.failed(&emfile);
        assert_eq!(backoff.next_pause.as_millis(), 100, "after a calm, the pauses start short again");
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionAborted);
        let mut backoff = AcceptBackoff::new("test");
        backoff.failed(&reset);
        assert_eq!(backoff.paused_until(), None, "one connection's failure does not pause the listener");
    }

    #[test]
    fn a_quiet_log_says_the_first_at_once_and_counts_the_rest() {
        let mut quiet = Quiet::new(Duration::from_secs(3600));
        assert_eq!(quiet.note(), Some(0));
        assert_eq!((0..5).filter_map(|_| quiet.note()).count(), 0);
        quiet.last = quiet.last.map(|it| it - Duration::from_secs(3600));
        assert_eq!(quiet.note(), Some(5));
        assert_eq!(Quiet::more(5), " (and 5 more like it since the last line)");
    }
}
