//! The board on a large workspace, measured where a person feels it: in a real Chromium
//! (`tests/board/bench.mjs`, through playwright-core from `editors/board/node_modules`).
//!
//! - first paint: navigation to the first card drawn, on a fresh page, after the daemon has
//!   indexed the workspace (the data request included);
//! - a drag answered: the page's status change to its answer, each on another task.
//!
//! The workspace is the task-dense one of `generate::ensure_dense` with 10,000 files (about
//! 5,000 tasks in a handful of trackers, as `genws.py DIR 5000` makes). `cargo bench --bench
//! board` runs 10 loads and 100 drags; `-- --quick` is CI's smoke run (1,000 files, 3 and 10).

use taskmark_test_support::generate;
use taskmark_test_support::measure::percentile;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::Value;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|it| it != "--bench").collect();
    let quick = args.iter().any(|it| it == "--quick");
    if let Some(unknown) = args.iter().find(|it| *it != "--quick") {
        bail!("unknown option {unknown}\nusage: board [--quick]   (run through `cargo bench --bench board -- ...`)");
    }
    let (files, loads, drags) = if quick { (1_000, 3, 10) } else { (10_000, 10, 100) };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let playwright = root.join("editors/board/node_modules/playwright-core");
    if !playwright.is_dir() {
        bail!("{} is missing: run `npm ci` in editors/board first", playwright.display());
    }
    let target = generate::target_dir();
    let base = target.join("bench-runtime").join("board");
    let _ = std::fs::remove_dir_all(&base);
    let runtime = base.join("run");
    std::fs::create_dir_all(&runtime)?;
    std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    // A fresh copy each run: the drags change its files.
    let pristine = target.join("bench-workspace").join(format!("dense-{files}"));
    std::fs::create_dir_all(pristine.parent().context("a parent")?)?;
    let generated = generate::ensure_dense(&pristine, files)?;
    let workspace = base.join("workspace");
    taskmark_test_support::lsp_client::copy_tree(&pristine, &workspace);

    let taskmark = taskmark_test_support::taskmark_binary();
    let started = Instant::now();
    let output = Command::new(&taskmark)
        .args(["board", "--no-open", "--format", "json", "--root"])
        .arg(&workspace)
        .env("TASKMARK_RUNTIME_DIR", &runtime)
        .env("TASKMARK_STATE_DIR", base.join("state"))
        .output()?;
    if !output.status.success() {
        bail!("taskmark board failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let answer: Value = serde_json::from_slice(&output.stdout)?;
    let url = answer["url"].as_str().context("an address")?.to_string();
    // Indexed: the data answers once the board's session has read the workspace.
    let indexed = wait_indexed(&url)?;
    let indexed_ms = started.elapsed().as_secs_f64() * 1e3;
    println!(
        "board on {files} files ({:.1} MB, {} cards): the daemon started and indexed in {indexed_ms:.0} ms",
        generated.bytes as f64 / 1e6,
        indexed
    );
    let measured = Command::new("node")
        .arg(root.join("tests/board/bench.mjs"))
        .args([url.as_str(), &loads.to_string(), &drags.to_string()])
        .output()
        .context("node runs")?;
    stop_daemon(&runtime);
    if !measured.status.success() {
        bail!("the browser's measurement failed: {}", String::from_utf8_lossy(&measured.stderr));
    }
    let line = String::from_utf8_lossy(&measured.stdout);
    let result: Value = serde_json::from_str(line.lines().last().unwrap_or_default())?;
    let samples = |name: &str| -> Vec<f64> {
        result[name].as_array().map(|it| it.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
    };
    let (paint, drag) = (samples("paint_ms"), samples("drag_ms"));
    println!(
        "first paint (navigation to the first card, {} fresh pages): median {:.0} ms, max {:.0} ms (target under 1000 ms)",
        paint.len(),
        percentile(&paint, 50.0),
        percentile(&paint, 100.0)
    );
    println!(
        "a drag answered ({} status changes, each another task): median {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 under 100 ms)",
        drag.len(),
        percentile(&drag, 50.0),
        percentile(&drag, 90.0),
        percentile(&drag, 99.0),
        percentile(&drag, 100.0)
    );
    Ok(())
}

/// Asks for the board's data until it answers (the session indexing); the number of cards.
fn wait_indexed(url: &str) -> anyhow::Result<u64> {
    let rest = url.strip_prefix("http://").context("an http address")?;
    let (address, path) = rest.split_once('/').context("a path")?;
    let (path, token) = path.split_once("?token=").context("a token")?;
    let number = path.trim_start_matches("board/").trim_end_matches('/');
    let deadline = Instant::now() + std::time::Duration::from_secs(300);
    loop {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address)?;
        write!(
            stream,
            "GET /api/{number}/board HTTP/1.1\r\nHost: {address}\r\nX-Taskmark-Token: {token}\r\nConnection: close\r\n\r\n"
        )?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let raw = String::from_utf8_lossy(&raw);
        if raw.starts_with("HTTP/1.1 200") {
            let body = raw.split_once("\r\n\r\n").map(|it| it.1).unwrap_or_default();
            let answer: Value = serde_json::from_str(body)?;
            return Ok(answer["board"]["cardCount"].as_u64().unwrap_or(0));
        }
        if Instant::now() > deadline {
            bail!("the board did not answer within 300 s: {}", raw.lines().next().unwrap_or_default());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn stop_daemon(runtime: &Path) {
    let pid = std::fs::read_to_string(runtime.join("daemon.pid")).unwrap_or_default();
    if let Ok(pid) = pid.trim().parse::<i32>() {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
}
