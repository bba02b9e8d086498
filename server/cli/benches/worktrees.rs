//! The daemon's memory with several worktrees of one repository: an editor on the generated
//! 10,000-file workspace, committed to git, first alone and then with two more worktrees of the
//! repository (each on a branch of its own, a few statuses changed there) that the daemon
//! follows for its hovers and `*-elsewhere` diagnostics. The target: three worktrees under 1.5
//! times one, which holds only when the other worktrees share the files they have in common
//! with this one.
//!
//! `cargo bench --bench worktrees`; `-- --quick` is CI's smoke run (1,000 files).

use taskmark_test_support::generate;
use taskmark_test_support::lsp_client;
use taskmark_test_support::measure;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use measure::resident_kb;
use serde_json::json;

use lsp_client::{LspClient, copy_tree, vscode_capabilities};

const USAGE: &str = "usage: worktrees [--quick]   (run through `cargo bench --bench worktrees -- ...`)";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|it| it != "--bench").collect();
    let quick = args.iter().any(|it| it == "--quick");
    if let Some(unknown) = args.iter().find(|it| it.as_str() != "--quick") {
        bail!("unknown option {unknown}\n{USAGE}");
    }
    let files = if quick { 1_000 } else { 10_000 };
    let target = generate::target_dir();
    let generated_at = target.join("bench-workspace").join(format!("synthetic-{files}"));
    std::fs::create_dir_all(generated_at.parent().context("a parent")?)?;
    let generated = generate::ensure(&generated_at, files)?;

    let place = target.join("bench-worktrees");
    let _ = std::fs::remove_dir_all(&place);
    let main = place.join("main");
    std::fs::create_dir_all(&main)?;
    copy_tree(&generated_at, &main);
    git(&main, &["init", "-q", "-b", "main"])?;
    git(&main, &["add", "-A"])?;
    git(&main, &["commit", "-q", "-m", "the workspace"])?;

    let runtime = target.join("bench-runtime").join("worktrees");
    let (one, _) = daemon_memory(&main, &runtime, 0)?;

    // Two more worktrees, each on its own branch with a few statuses changed.
    for (name, from, to) in [("b", "[PLANNED]", "[IMPLEMENTING]"), ("c", "[NOT STARTED]", "[RESEARCHING]")] {
        let path = place.join(name);
        git(&main, &["worktree", "add", "-q", "-b", name, path.to_str().context("a UTF-8 path")?])?;
        let todo = path.join("proj-0/specs/TODO.md");
        let text = std::fs::read_to_string(&todo)?;
        ensure!(text.contains(from), "no {from} in {}", todo.display());
        std::fs::write(&todo, text.replacen(from, to, 3))?;
        git(&path, &["commit", "-q", "-am", "statuses moved on"])?;
    }
    let (three, followed_ms) = daemon_memory(&main, &runtime, 2)?;

    let megabytes = |kb: u64| kb as f64 / 1024.0;
    println!(
        "\nThe daemon on {files} files ({:.1} MB) in git, an editor on the main worktree:",
        generated.bytes as f64 / 1e6
    );
    println!("  one worktree: resident {:.1} MB (peak {:.1} MB)", megabytes(one.rss_kb), megabytes(one.peak_kb));
    println!(
        "  three worktrees (two followed, read in {followed_ms:.0} ms): resident {:.1} MB (peak {:.1} MB), {:.2}x one",
        megabytes(three.rss_kb),
        megabytes(three.peak_kb),
        three.rss_kb as f64 / one.rss_kb as f64
    );
    Ok(())
}

struct Memory {
    rss_kb: u64,
    peak_kb: u64,
}

/// The daemon's memory once an editor on `root` has indexed it and the daemon follows `others`
/// other worktrees (their view has reached the editor's `taskmark.taskInfo`), and how long
/// that following took from the end of indexing.
fn daemon_memory(root: &Path, runtime: &Path, others: usize) -> anyhow::Result<(Memory, f64)> {
    let _ = std::fs::remove_dir_all(runtime);
    std::fs::create_dir_all(runtime.parent().context("a parent")?)?;
    let mut command = Command::new(env!("CARGO_BIN_EXE_taskmark"));
    command
        .args(["lsp", "--log-level", "warn"])
        .env("TASKMARK_RUNTIME_DIR", runtime)
        .env("TASKMARK_DAEMON_IDLE_MS", "1000");
    let mut client = LspClient::launch_command(root, vscode_capabilities(), json!({}), command);
    client.notify("initialized", json!({}));
    let indexed = |client: &LspClient| {
        client.notifications.iter().any(|it| it["method"] == "$/progress" && it["params"]["value"]["kind"] == "end")
    };
    if !client.wait_until(Duration::from_secs(300), indexed) {
        bail!("the editor did not finish indexing");
    }
    let started = Instant::now();
    let task = a_task(&mut client)?;
    loop {
        let info = client
            .request(
                "workspace/executeCommand",
                json!({ "command": "taskmark.taskInfo", "arguments": [{ "task": task }] }),
            )
            .map_err(|error| anyhow::anyhow!("taskInfo: {error}"))?;
        let seen = info["elsewhere"].as_array().map_or(0, Vec::len);
        if seen >= others {
            break;
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("the daemon did not follow {others} other worktrees (it sees {seen})");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let followed_ms = started.elapsed().as_secs_f64() * 1e3;
    // Let what the reading let go of be let go of.
    std::thread::sleep(Duration::from_secs(2));
    let pid: u32 = std::fs::read_to_string(runtime.join("daemon.pid"))?.trim().parse()?;
    let memory = Memory { rss_kb: resident_kb(pid)?, peak_kb: peak_kb(pid)? };
    client.stop();
    wait_exit(pid);
    Ok((memory, followed_ms))
}

/// A spec-folder task of the first project, which every worktree has.
fn a_task(client: &mut LspClient) -> anyhow::Result<String> {
    let listed = client
        .request("workspace/executeCommand", json!({ "command": "taskmark.listTasks", "arguments": [{}] }))
        .map_err(|error| anyhow::anyhow!("listTasks: {error}"))?;
    listed
        .as_array()
        .into_iter()
        .flatten()
        .filter(|it| it["family"] == "spec-folder")
        .filter_map(|it| it["task"].as_str().map(str::to_string))
        .find(|it| it.starts_with("proj-0/"))
        .context("no spec-folder task in proj-0")
}

fn peak_kb(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|it| it.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/PID/status")
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.invalid")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.invalid")
        .output()
        .with_context(|| format!("git {}", args.join(" ")))?;
    ensure!(output.status.success(), "git {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
    Ok(())
}

fn wait_exit(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
    };
    while alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}
