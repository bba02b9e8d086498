//! Runs the independent-client suite (`tests/pytest`, pytest-lsp) against the binary this
//! `cargo test` built, so the README's one test command covers it too. It needs python3 (3.10+)
//! and PyPI for the first run; without them this test fails and says why instead of skipping.

use std::path::Path;
use std::process::Command;

#[test]
fn pytest_lsp_suite_passes_against_the_built_server() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate lives one folder below the repository root");
    let script = repo.join("tests/pytest/run.sh");
    let output = Command::new("bash")
        .arg(&script)
        .env("TASKMARK_BIN", env!("CARGO_BIN_EXE_taskmark"))
        .current_dir(repo)
        .output()
        .unwrap_or_else(|error| panic!("cannot run bash {}: {error}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The summary line is the useful part of a passing run; a failing one shows everything.
    if let Some(summary) = stdout.lines().rev().find(|line| line.contains(" passed")) {
        println!("{summary}");
    }
    assert!(
        output.status.success(),
        "tests/pytest/run.sh failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        output.status
    );
}
