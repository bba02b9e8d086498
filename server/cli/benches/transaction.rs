//! Write-path benchmarks on a generated one-tracker workspace whose TODO.md is about 1 MB:
//!
//! - one transaction: a status change that edits four files (TODO.md section and Task Order
//!   line, state.json, plan header), committed with every fsync, lock included, measured in
//!   process and alternated with its reverse so every commit really writes;
//! - 100 sequential `taskmark set` runs of the release binary, each one a whole command:
//!   start, lock, recover check, index the workspace, plan, commit.
//!
//! `cargo bench --bench transaction` runs both; `-- --quick` is CI's smoke run.

use taskmark_test_support::generate;
use taskmark_test_support::measure;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use measure::percentile;
use taskmark::engine::config::Config;
use taskmark::engine::edit::{StatusChangeOptions, plan_status_change};
use taskmark::engine::index::WorkspaceIndex;
use taskmark::engine::model::TaskKey;
use taskmark::engine::timestamp::Now;
use taskmark::engine::vocabulary::Scope;
use taskmark::transaction::{FileWrite, Transaction, WorkspaceLock};
use taskmark::workspace;

const TRACKER_FILES: usize = 2_600;
const USAGE: &str = "usage: transaction [--quick]   (run through `cargo bench --bench transaction -- ...`)";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|it| it != "--bench").collect();
    let quick = args.iter().any(|it| it == "--quick");
    if let Some(unknown) = args.iter().find(|it| it.as_str() != "--quick") {
        bail!("unknown option {unknown}\n{USAGE}");
    }
    let started = Instant::now();
    // The benchmark writes: a workspace of its own, made fresh each run.
    let root = generate::target_dir().join("bench-workspace").join("tracker-1mb-writes");
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_file(root.with_extension("marker"));
    std::fs::create_dir_all(root.parent().context("a parent")?)?;
    generate::ensure_tracker(&root, TRACKER_FILES).with_context(|| format!("cannot generate {}", root.display()))?;
    let todo_bytes = std::fs::metadata(root.join("specs/TODO.md"))?.len();

    let commits = one_transaction(&root, if quick { 6 } else { 100 })?;
    println!(
        "\n4-file transaction on a {:.2} MB TODO.md ({} commits, fsyncs included): median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        todo_bytes as f64 / 1e6,
        commits.len(),
        percentile(&commits, 50.0),
        percentile(&commits, 90.0),
        percentile(&commits, 99.0),
        percentile(&commits, 100.0),
    );

    let runs = if quick { 5 } else { 100 };
    let (total, each) = sequential_sets(&root, runs)?;
    println!(
        "{runs} sequential `taskmark set` runs ({TRACKER_FILES} files): total {:.2} s, median {:.1} ms, p90 {:.1} ms, max {:.1} ms per command",
        total.as_secs_f64(),
        percentile(&each, 50.0),
        percentile(&each, 90.0),
        percentile(&each, 100.0),
    );
    println!("\ntotal bench time: {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// A task whose status change edits four files or more, and that change's target status.
fn four_file_change(index: &WorkspaceIndex, now: &Now) -> anyhow::Result<(TaskKey, String)> {
    for task in index.tasks().keys() {
        let Some(profile) = index.task_profile(task) else { continue };
        let Some((_, current)) = index.task_status(task) else { continue };
        for next in profile.next(Scope::Task, current) {
            let status = profile.status(next).id.clone();
            let change = plan_status_change(index, task, &status, &StatusChangeOptions::new(now.clone()));
            if change.is_ok_and(|it| it.files.iter().filter(|file| !file.edits.is_empty()).count() >= 4) {
                return Ok((task.clone(), status));
            }
        }
    }
    bail!("no task whose status change edits four files")
}

fn one_transaction(root: &Path, commits: usize) -> anyhow::Result<Vec<f64>> {
    let loaded = workspace::load(root, Config::default(), &|_, _| {})?;
    let now = Now::from_timestamp(jiff::Timestamp::now());
    let (task, status) = four_file_change(&loaded.index, &now)?;
    let change = plan_status_change(&loaded.index, &task, &status, &StatusChangeOptions::new(now))?;
    let forward: Vec<FileWrite> = change
        .files
        .iter()
        .filter(|it| !it.edits.is_empty())
        .map(|it| {
            let before = loaded.index.text(it.file).to_string();
            let after = taskmark::engine::text::apply_edits(&before, &it.edits);
            FileWrite::replace(it.path.clone(), before, after)
        })
        .collect();
    let backward: Vec<FileWrite> =
        forward.iter().map(|it| FileWrite::replace(it.path.clone(), it.after.clone(), it.before.clone())).collect();
    let forward = Transaction::new(format!("set {} {status}", task.id), forward);
    let backward = Transaction::new(format!("undo set {} {status}", task.id), backward);
    let mut samples = Vec::with_capacity(commits);
    for commit in 0..commits {
        let transaction = if commit % 2 == 0 { &forward } else { &backward };
        let started = Instant::now();
        let lock = WorkspaceLock::acquire(root, "bench", Duration::from_secs(5))?;
        let committed = transaction.commit(&lock)?;
        drop(lock);
        samples.push(started.elapsed().as_secs_f64() * 1e3);
        if committed.paths.len() < 4 {
            bail!("the transaction wrote {} files, not four", committed.paths.len());
        }
    }
    Ok(samples)
}

/// `taskmark set` on `runs` different tasks, one process after the other.
fn sequential_sets(root: &Path, runs: usize) -> anyhow::Result<(Duration, Vec<f64>)> {
    let loaded = workspace::load(root, Config::default(), &|_, _| {})?;
    let index = &loaded.index;
    let targets: Vec<(String, String)> = index
        .tasks()
        .keys()
        .filter_map(|task| {
            let profile = index.task_profile(task)?;
            let (_, current) = index.task_status(task)?;
            let next = profile.next(Scope::Task, current).into_iter().next()?;
            Some((task.id.to_string(), profile.status(next).id.clone()))
        })
        .take(runs)
        .collect();
    if targets.len() < runs {
        bail!("only {} tasks have a next status", targets.len());
    }
    let started = Instant::now();
    let mut each = Vec::with_capacity(runs);
    for (task, status) in &targets {
        let one = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_taskmark"))
            .args(["set", task, status, "--reason", "bench", "--root"])
            .arg(root)
            .output()?;
        each.push(one.elapsed().as_secs_f64() * 1e3);
        if !output.status.success() {
            bail!("taskmark set {task} {status} failed: {}", String::from_utf8_lossy(&output.stderr));
        }
    }
    Ok((started.elapsed(), each))
}
