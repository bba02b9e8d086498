//! Shared-daemon benchmarks: 20 editors, each a `taskmark lsp` proxy connected to one daemon
//! with a private runtime folder.
//!
//! - broadcast: from one editor's `taskmark.setStatus` to the last of the other 19 having both
//!   the `taskmark/taskChanged` notification and the buffer edit, on the example workspace with
//!   TODO.md open everywhere (arrival is seen when the benchmark polls each client, so the
//!   figure is an upper bound);
//! - memory: the daemon's resident set once all 20 have indexed a 5,000-file workspace, and how
//!   long each editor took from launch to indexed (the first reads the workspace, the others
//!   fork what the daemon holds).
//!
//! `cargo bench --bench daemon` runs both; `-- --quick` is CI's smoke run (5 editors, a
//! 1,000-file workspace, a few changes).

use taskmark_test_support::generate;
use taskmark_test_support::lsp_client;
use taskmark_test_support::measure;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use measure::{percentile, resident_kb};
use serde_json::json;

use lsp_client::{LspClient, copy_tree, vscode_capabilities};

const USAGE: &str = "usage: daemon [--quick] [--dense N,N,...]   (run through `cargo bench --bench daemon -- ...`)

--dense 5000,10000 also measures the daemon's resident set once one editor, then all of them, have
indexed a task-dense workspace of each size (the one `cargo bench --bench check -- --dense` uses).";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|it| it != "--bench").collect();
    let mut quick = false;
    let mut dense: Vec<usize> = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--dense" => {
                let sizes = rest.next().context("--dense needs sizes, as 5000,10000")?;
                for size in sizes.split(',') {
                    dense.push(size.trim().parse().with_context(|| format!("--dense {size}: not a number"))?);
                }
            }
            unknown => bail!("unknown option {unknown}\n{USAGE}"),
        }
    }
    let started = Instant::now();
    let target = generate::target_dir();
    let (editors, changes, files) = if quick { (5, 6, 1_000) } else { (20, 100, 5_000) };

    let latencies = broadcast(&target, editors, changes)?;
    println!(
        "\nsetStatus in 1 editor to taskChanged + buffer edit in the last of {} others ({} changes): median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        editors - 1,
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0),
    );

    let workspace = target.join("bench-workspace").join(format!("synthetic-{files}"));
    std::fs::create_dir_all(workspace.parent().context("a parent")?)?;
    let generated = generate::ensure(&workspace, files)?;
    let joined = memory(&target, &workspace, editors)?;
    println!(
        "daemon resident set with {editors} editors on {files} files ({:.1} MB): {:.1} MB ({:.1} MB with one editor)",
        generated.bytes as f64 / 1e6,
        joined.rss_kb as f64 * 1024.0 / 1e6,
        joined.single_kb as f64 * 1024.0 / 1e6,
    );
    println!(
        "launch to indexed: first editor {:.0} ms (starts the daemon, which reads the workspace); the other {}: median {:.0} ms, max {:.0} ms (they fork it)",
        joined.first_ms,
        joined.others_ms.len(),
        percentile(&joined.others_ms, 50.0),
        percentile(&joined.others_ms, 100.0),
    );
    for size in dense {
        let workspace = target.join("bench-workspace").join(format!("dense-{size}"));
        let generated = generate::ensure_dense(&workspace, size)?;
        let joined = memory(&target, &workspace, editors)?;
        let ratio = |kb: u64| (kb * 1024) as f64 / generated.bytes.max(1) as f64;
        println!(
            "daemon resident set on the task-dense {size}-file workspace ({:.1} MB): {:.1} MB with one editor ({:.2}x the bytes), {:.1} MB with {editors} ({:.2}x); first editor indexed in {:.0} ms",
            generated.bytes as f64 / 1e6,
            joined.single_kb as f64 * 1024.0 / 1e6,
            ratio(joined.single_kb),
            joined.rss_kb as f64 * 1024.0 / 1e6,
            ratio(joined.rss_kb),
            joined.first_ms,
        );
    }
    println!("\ntotal bench time: {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// A private runtime folder, so the benchmark's daemon is its own.
fn runtime(target: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let dir = target.join("bench-runtime").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().context("a parent")?)?;
    Ok(dir)
}

fn editor(root: &Path, runtime: &Path) -> LspClient {
    let mut command = Command::new(env!("CARGO_BIN_EXE_taskmark"));
    command
        .args(["lsp", "--log-level", "warn"])
        .env("TASKMARK_RUNTIME_DIR", runtime)
        .env("TASKMARK_DAEMON_IDLE_MS", "1000");
    let mut client = LspClient::launch_command(root, vscode_capabilities(), json!({}), command);
    client.notify("initialized", json!({}));
    client
}

fn indexed(client: &LspClient) -> bool {
    client.notifications.iter().any(|it| it["method"] == "$/progress" && it["params"]["value"]["kind"] == "end")
}

fn daemon_pid(runtime: &Path) -> anyhow::Result<u32> {
    Ok(std::fs::read_to_string(runtime.join("daemon.pid"))?.trim().parse()?)
}

fn broadcast(target: &Path, editors: usize, changes: usize) -> anyhow::Result<Vec<f64>> {
    let runtime = runtime(target, "broadcast")?;
    let root = target.join("bench-workspace").join("daemon-example");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root)?;
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example"), &root);
    let mut clients: Vec<LspClient> = (0..editors).map(|_| editor(&root, &runtime)).collect();
    let mut todos = Vec::new();
    for client in &mut clients {
        if !client.wait_until(Duration::from_secs(60), indexed) {
            bail!("an editor's workspace was not indexed");
        }
        todos.push(client.open("specs/TODO.md"));
    }
    let mut samples = Vec::with_capacity(changes);
    for change in 0..changes {
        let status = if change % 2 == 0 { "implementing" } else { "planned" };
        let heard_before: Vec<usize> = clients.iter().map(told).collect();
        let started = Instant::now();
        clients[0]
            .request(
                "workspace/executeCommand",
                json!({ "command": "taskmark.setStatus", "arguments": [{ "task": "14", "status": status, "force": true }] }),
            )
            .map_err(|error| anyhow::anyhow!("setStatus failed: {error}"))?;
        let expected = clients[0].documents[&todos[0]].text.clone();
        // Round-robin, so no editor waits behind another's backlog.
        let mut pending: Vec<usize> = (1..clients.len()).collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !pending.is_empty() {
            if Instant::now() > deadline {
                bail!("{} editors did not follow change {change}", pending.len());
            }
            pending.retain(|&at| {
                let client = &mut clients[at];
                while client.pump(Duration::ZERO) {}
                !(told(client) > heard_before[at] && client.documents[&todos[at]].text == expected)
            });
            if !pending.is_empty() {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        samples.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let pid = daemon_pid(&runtime)?;
    for client in clients {
        client.stop();
    }
    wait_exit(pid);
    Ok(samples)
}

fn told(client: &LspClient) -> usize {
    client.notifications.iter().filter(|it| it["method"] == "taskmark/taskChanged").count()
}

/// What `memory` measured: resident sets, and how long each editor took from its launch to the
/// end of its indexing progress.
struct Joined {
    rss_kb: u64,
    single_kb: u64,
    /// The first editor (starting the daemon, which walks and parses the workspace).
    first_ms: f64,
    /// The others, which fork the workspace the daemon already holds.
    others_ms: Vec<f64>,
}

fn memory(target: &Path, workspace: &Path, editors: usize) -> anyhow::Result<Joined> {
    let runtime = runtime(target, "memory")?;
    let mut clients = Vec::new();
    let (mut single_kb, mut first_ms, mut others_ms) = (0, 0.0, Vec::new());
    for at in 0..editors {
        let launched = Instant::now();
        let mut client = editor(workspace, &runtime);
        if !client.wait_until(Duration::from_secs(120), indexed) {
            bail!("editor {at} did not finish indexing");
        }
        let took = launched.elapsed().as_secs_f64() * 1000.0;
        if at == 0 {
            first_ms = took;
            // The diagnostics of the end of indexing computed and sent.
            client.settle(Duration::from_millis(300));
            single_kb = resident_kb(daemon_pid(&runtime)?)?;
        } else {
            others_ms.push(took);
        }
        clients.push(client);
    }
    let pid = daemon_pid(&runtime)?;
    let rss_kb = resident_kb(pid)?;
    for client in clients {
        client.stop();
    }
    wait_exit(pid);
    Ok(Joined { rss_kb, single_kb, first_ms, others_ms })
}

fn wait_exit(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    // A zombie has exited: only its entry is left until something reaps it.
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
    };
    while alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}
