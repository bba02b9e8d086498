//! Runs the independent-client suite (`tests/pytest`: pytest-lsp, the MCP Python SDK and real
//! headless Neovim) against the binary this `cargo test` built, so the README's one test
//! command covers it too, and reports each pytest test as a test of its own (`cargo test`
//! prints pytest's count, not "1 passed"). It needs python3 (3.10+) and PyPI for the first run;
//! without them the suite fails and says why instead of skipping.
//!
//! pytest runs once, before the results are handed to the harness: its tests share one venv and
//! run in one process.

use std::path::Path;
use std::process::Command;

use libtest_mimic::{Arguments, Failed, Trial};

/// One line of pytest's `-rA` short summary: `PASSED test_mcp.py::test_tools_list`,
/// `FAILED test_x.py::test_y - AssertionError: ...`, `SKIPPED [1] test_mcp.py:325: reason`.
#[derive(Debug, PartialEq)]
enum Outcome {
    Passed(String),
    Failed(String, String),
    Skipped(String, String),
}

fn outcomes(stdout: &str) -> Vec<Outcome> {
    let summary = stdout.split("short test summary info").nth(1).unwrap_or_default();
    summary
        .lines()
        .filter_map(|line| {
            if let Some(test) = line.strip_prefix("PASSED ") {
                return Some(Outcome::Passed(test.trim().to_string()));
            }
            if let Some(rest) = line.strip_prefix("FAILED ").or_else(|| line.strip_prefix("ERROR ")) {
                let (test, reason) = rest.split_once(" - ").unwrap_or((rest, ""));
                return Some(Outcome::Failed(test.trim().to_string(), reason.to_string()));
            }
            let rest = line.strip_prefix("SKIPPED ")?;
            // `[count] file:line: reason`
            let rest = rest.split_once("] ").map_or(rest, |(_, after)| after);
            let (place, reason) = rest.split_once(": ").unwrap_or((rest, ""));
            Some(Outcome::Skipped(place.trim().to_string(), reason.to_string()))
        })
        .collect()
}

fn main() {
    let arguments = Arguments::from_args();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the command line's crate lives two folders below the repository root (server/cli)");
    let script = repo.join("tests/pytest/run.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg("-rA")
        .env("TASKMARK_BIN", env!("CARGO_BIN_EXE_taskmark"))
        .current_dir(repo)
        .output();
    let trials = match output {
        Err(error) => {
            let message = format!("cannot run bash {}: {error}", script.display());
            vec![Trial::test("pytest_suite_runs", move || Err(Failed::from(message)))]
        }
        Ok(output) => {
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            let found = outcomes(&stdout);
            let mut trials: Vec<Trial> = found
                .into_iter()
                .map(|outcome| match outcome {
                    Outcome::Passed(test) => Trial::test(test, || Ok(())),
                    Outcome::Failed(test, reason) => {
                        let shown = format!("{reason}\n(pytest's whole output is printed by `pytest_suite_runs`)");
                        Trial::test(test, move || Err(Failed::from(shown)))
                    }
                    // Only the corpus part skips, and only without TASKMARK_CORPUS (which
                    // .ci/run sets): shown as ignored with pytest's reason.
                    Outcome::Skipped(place, reason) => {
                        Trial::test(format!("{place} (skipped: {reason})"), || Ok(())).with_ignored_flag(true)
                    }
                })
                .collect();
            // The run as a whole: it must succeed and have run something (a venv that could
            // not be made fails here, with everything pytest and run.sh said).
            let succeeded = output.status.success() && !trials.is_empty();
            let status = output.status;
            trials.push(Trial::test("pytest_suite_runs", move || {
                if succeeded {
                    Ok(())
                } else {
                    Err(Failed::from(format!(
                        "tests/pytest/run.sh failed ({status}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
                    )))
                }
            }));
            trials
        }
    };
    let mut trials = trials;
    trials.push(Trial::test("pytest_summary_lines_are_read", summary_lines_are_read));
    libtest_mimic::run(&arguments, trials).exit();
}

/// The reader of pytest's summary, on every kind of line it gives.
fn summary_lines_are_read() -> Result<(), Failed> {
    let stdout = "....\n=== short test summary info ===\nPASSED test_mcp.py::test_a\nFAILED test_x.py::test_b - AssertionError: no\nSKIPPED [1] test_mcp.py:325: TASKMARK_CORPUS is not set\n=== 1 failed, 1 passed ===\n";
    let expected = [
        Outcome::Passed("test_mcp.py::test_a".into()),
        Outcome::Failed("test_x.py::test_b".into(), "AssertionError: no".into()),
        Outcome::Skipped("test_mcp.py:325".into(), "TASKMARK_CORPUS is not set".into()),
    ];
    let read = outcomes(stdout);
    if read == expected { Ok(()) } else { Err(Failed::from(format!("read {read:?}"))) }
}
