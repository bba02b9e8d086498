//! Fault injection for the crash and conflict tests: `TASKMARK_TEST_FAULT=STEP` kills the
//! process with SIGKILL when the commit reaches STEP (`prepared`, `temp:N`, `checked`,
//! `committed`, `renamed:N`, `synced`; the merge driver's `merge:temp`, `merge:renamed`);
//! `STEP=pause` instead prints `paused at STEP` to stderr and waits for a line on stdin, so a
//! test can change a file in the middle of a commit.
//! Unset, a point costs one load of a cached value. Compiled only with the `test-hooks` feature
//! (the tests' builds): in a shipped binary a point is nothing, and no environment a process
//! inherits can kill or pause its commits.

#[cfg(feature = "test-hooks")]
use std::sync::OnceLock;

#[cfg(feature = "test-hooks")]
enum Action {
    Kill,
    Pause,
}

#[cfg(feature = "test-hooks")]
fn configured() -> Option<&'static (String, Action)> {
    static FAULT: OnceLock<Option<(String, Action)>> = OnceLock::new();
    FAULT
        .get_or_init(|| {
            let value = std::env::var("TASKMARK_TEST_FAULT").ok()?;
            Some(match value.split_once('=') {
                Some((step, "pause")) => (step.to_string(), Action::Pause),
                Some((step, _)) => (step.to_string(), Action::Kill),
                None => (value, Action::Kill),
            })
        })
        .as_ref()
}

#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub fn point(_step: &str) {}

#[cfg(feature = "test-hooks")]
pub fn point(step: &str) {
    let Some((wanted, action)) = configured() else { return };
    if wanted != step {
        return;
    }
    match action {
        Action::Kill => kill_self(),
        Action::Pause => {
            eprintln!("taskmark: test fault: paused at {step}");
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        }
    }
}

#[cfg(feature = "test-hooks")]
fn kill_self() {
    #[cfg(unix)]
    {
        // SIGKILL, as a power cut or the OOM killer would: no destructors, no flushing.
        // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
    std::process::abort();
}
