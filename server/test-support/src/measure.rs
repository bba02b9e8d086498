//! What the benchmarks share for reporting: percentiles, a process's resident memory, and the
//! `taskmark` binary's own `check` timed and measured.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};

/// The `at`-th percentile (0 to 100) of `samples`, nearest rank.
pub fn percentile(samples: &[f64], at: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((at / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// A process's resident set in KiB, from `/proc/PID/status`.
pub fn resident_kb(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|it| it.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc/PID/status")
}

/// One run of the `taskmark` binary's `check --no-baseline` (its report thrown away).
pub struct BinaryCheck {
    pub elapsed: Duration,
    /// The process's peak resident set in KiB (wait4's `ru_maxrss`): with the code the binary
    /// maps for its other commands, which a check run inside a benchmark does not have.
    pub peak_kb: u64,
}

/// Runs the `taskmark` binary's `check --no-baseline` on `root`: exit 0 (nothing found) or 1
/// (diagnostics found); anything else is a failure.
pub fn binary_check(root: &Path) -> anyhow::Result<BinaryCheck> {
    use std::os::unix::process::CommandExt;
    let started = Instant::now();
    let mut command = std::process::Command::new(crate::taskmark_binary());
    command
        .args(["check", "--no-baseline", "--format", "json", "--root"])
        .arg(root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // A child started by vfork (posix_spawn, what `spawn` uses when it can) borrows this
    // process's memory until it execs, and the kernel counts that memory's high-water mark in
    // the child's ru_maxrss: a check measured after a large workspace's floors reported the
    // benchmark's peak, not its own (the corpus: 64 MB, against 31 MB measured alone). A
    // pre_exec hook makes std fork instead, and a forked child's count starts from this
    // process's current resident set, which is far below any check's peak.
    // SAFETY: the hook does nothing, so it is trivially async-signal-safe.
    unsafe {
        command.pre_exec(|| Ok(()));
    }
    let child = command.spawn().context("cannot run taskmark check")?;
    let pid = libc::pid_t::try_from(child.id()).context("a process id")?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is this process's child, not yet waited for; both pointers are valid.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    ensure!(waited == pid, "cannot wait for taskmark check: {}", std::io::Error::last_os_error());
    ensure!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) <= 1,
        "taskmark check of {} failed (wait status {status})",
        root.display()
    );
    Ok(BinaryCheck { elapsed, peak_kb: u64::try_from(usage.ru_maxrss).unwrap_or(0) })
}
