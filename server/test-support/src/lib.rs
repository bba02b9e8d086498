//! What taskmark's end-to-end tests (`tests/*.rs`) and benchmarks (`server/cli/benches`) share,
//! as one crate instead of files each test binary includes by path: a client that drives the
//! real `taskmark` binary over LSP, workspaces of our own writing, generated trackers at scale,
//! and the measurements the benchmarks report.

pub mod generate;
pub mod lsp_client;
pub mod mcp_agent;
pub mod measure;
pub mod scratch;
pub mod state;
pub mod tracker;

use std::path::{Path, PathBuf};

/// The `taskmark` binary cargo built beside the running test or benchmark: cargo puts those in
/// `<target>/<profile>/deps/` and the package's binary in `<target>/<profile>/`, and builds the
/// binary before any integration test or benchmark of its package runs.
/// `CARGO_BIN_EXE_taskmark` (set by cargo while building those) is only known at compile time
/// of the test itself, which a shared crate is not.
pub fn taskmark_binary() -> PathBuf {
    let beside = std::env::current_exe().ok().and_then(|exe| {
        let profile = exe.parent().filter(|it| it.ends_with("deps")).and_then(Path::parent)?;
        let binary = profile.join(format!("taskmark{}", std::env::consts::EXE_SUFFIX));
        binary.is_file().then_some(binary)
    });
    beside.unwrap_or_else(|| {
        panic!("no taskmark binary beside {:?}: run through cargo test or cargo bench", std::env::current_exe())
    })
}

/// Runs `git ARGS` in `dir` as a test needs it: the user's and the system's configuration
/// ignored (no hooks, signing or templates of the machine), a fixed author and committer,
/// `main` as the first branch; panics with git's own words when it fails.
pub fn git(dir: &Path, args: &[&str]) {
    let output = std::process::Command::new("git")
        .args(["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?} in {}: {}", dir.display(), String::from_utf8_lossy(&output.stderr));
}
