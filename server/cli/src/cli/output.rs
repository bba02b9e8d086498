//! The command line's standard output. A reader that goes away (`taskmark set ... | head -0`, a
//! pager quit early) is not a failure of the command: a write that happened is reported with
//! exit 0, never a panic (`println!` panics on a closed pipe) or an error after the files
//! changed. Once stdout is closed, what follows is dropped, except in a command that wrote
//! files ([`reports_a_write`]), whose report goes to stderr so it is said somewhere.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);
static REPORTS_A_WRITE: AtomicBool = AtomicBool::new(false);
static FAILED: AtomicBool = AtomicBool::new(false);
static ERRORS_IN_JSON: AtomicBool = AtomicBool::new(false);

/// Declares that this command writes files: its report goes to stderr if stdout is closed.
pub fn reports_a_write() {
    REPORTS_A_WRITE.store(true, Ordering::Relaxed);
}

/// Standard output, as every command prints to it: whole lines, each flushed (as the standard
/// library's line buffering does), so that what a closed reader did not take is known and can
/// go to stderr. A last line without a newline goes when the value is dropped.
pub fn stdout() -> Stdout {
    Stdout { pending: Vec::new() }
}

pub struct Stdout {
    pending: Vec<u8>,
}

impl Stdout {
    fn emit(&mut self, upto: usize) -> io::Result<()> {
        let lines: Vec<u8> = if upto == self.pending.len() {
            std::mem::take(&mut self.pending)
        } else {
            self.pending.drain(..upto).collect()
        };
        if !CLOSED.load(Ordering::Relaxed) {
            let mut out = io::stdout().lock();
            match out.write_all(&lines).and_then(|()| out.flush()) {
                Err(error) if error.kind() == io::ErrorKind::BrokenPipe => CLOSED.store(true, Ordering::Relaxed),
                other => return other,
            }
        }
        if REPORTS_A_WRITE.load(Ordering::Relaxed) {
            // Best effort: with stderr closed too, there is nobody left to tell.
            let _ = io::stderr().lock().write_all(&lines);
        }
        Ok(())
    }
}

impl Write for Stdout {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        if let Some(last) = memchr::memrchr(b'\n', &self.pending) {
            self.emit(last + 1)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit(self.pending.len())
    }
}

impl Drop for Stdout {
    fn drop(&mut self) {
        if !self.pending.is_empty() && self.flush().is_err() {
            FAILED.store(true, Ordering::Relaxed);
        }
    }
}

/// `print!` to [`stdout`]: a closed reader is not an error; any other failure to write (a full
/// disk behind a redirection) is said once on stderr, and [`exit_status`] makes it count.
pub fn print(arguments: std::fmt::Arguments<'_>) {
    if let Err(error) = stdout().write_fmt(arguments)
        && !FAILED.swap(true, Ordering::Relaxed)
    {
        eprintln!("taskmark: error: cannot write to standard output: {error}");
    }
}

/// The exit status once the command is done: a command that only reads and could not write
/// its output (other than to a reader that left) failed; one that wrote files keeps its own
/// status, since the files are written.
pub fn exit_status(code: u8) -> u8 {
    if FAILED.load(Ordering::Relaxed) && !REPORTS_A_WRITE.load(Ordering::Relaxed) && code == super::exit::CLEAN {
        return super::exit::FAILURE;
    }
    code
}

/// Declares that this command answers in JSON (`set --format json`): a refusal or failure
/// ([`refusal`]) is then also its answer on stdout, so that a script tells one refusal from
/// another by the JSON it parses rather than by the words on stderr.
pub fn errors_in_json() {
    ERRORS_IN_JSON.store(true, Ordering::Relaxed);
}

/// Says why a command did not do what it was asked: on stderr as `taskmark: LABEL: MESSAGE`
/// (`refused`, `conflict`, `error`), and, in a command that answers in JSON
/// ([`errors_in_json`]), on stdout as `{"error": {"kind": KIND, "message": MESSAGE}}`, `KIND`
/// being what the editors' and agents' refusals call it (`data.kind`: `conflict`,
/// `invalidTransition`, `unknownStatus`, `leavesDrift`, `unreadable`, ...).
pub fn refusal(label: &str, kind: &str, message: &str) {
    // The same words on stderr and in JSON: a script matches either.
    let message = plain(message);
    eprintln!("taskmark: {label}: {message}");
    if ERRORS_IN_JSON.load(Ordering::Relaxed) {
        let answer = serde_json::json!({ "error": { "kind": kind, "message": message } });
        print(format_args!("{}\n", serde_json::to_string_pretty(&answer).unwrap_or_default()));
    }
}

/// A message of the engine's (written for editors, which render markdown) as a terminal shows
/// it: `**Blocking Reason**` loses its stars, while what is quoted in backticks (a line of a
/// file, `- **Status**: [X]`) stays exactly as written.
pub(crate) fn plain(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (at, piece) in message.split('`').enumerate() {
        if at > 0 {
            out.push('`');
        }
        // Even pieces are outside backticks.
        if at % 2 == 0 { out.push_str(&piece.replace("**", "")) } else { out.push_str(piece) }
    }
    out
}

/// `taskmark: warning: ...` (or `note`) on stderr, in terminal words ([`plain`]).
pub(crate) fn say(label: &str, message: &str) {
    eprintln!("taskmark: {label}: {}", plain(message));
}

/// `1 file`, `2 files`: a count with its noun (a regular plural).
pub(crate) fn plural(count: usize, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
}

/// `println!` for the command line, through [`print`].
macro_rules! outln {
    () => {
        $crate::cli::output::print(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for the command line, through [`print`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::print(format_args!($($arg)*))
    };
}

pub(crate) use {out, outln};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_go_outside_backticks_and_stay_inside() {
        assert_eq!(plain("`[BLOCKED]` needs a **Blocking Reason**"), "`[BLOCKED]` needs a Blocking Reason");
        assert_eq!(plain("write `- **Status**: [X]` as **that**"), "write `- **Status**: [X]` as that");
        assert_eq!(plain("no stars"), "no stars");
    }
}
