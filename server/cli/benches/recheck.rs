//! What an ordinary (unforced) status change costs before anything is written: planning it and
//! re-checking it for new drift (`refuse_new_drift`: the change applied to a copy of the index
//! and of the diagnostics, and the two compared), on the generated 5,000-file workspace, in
//! one process, the way the daemon's session does it for an agent's `set_status`.
//!
//! Also timed: what each editor's session then does with the written files (reads them back,
//! re-indexes them and brings the diagnostics up to date), which the next change waits for.
//! Under callgrind (`--changes 8`, `--toggle-collect='taskmark_engine::edit::refuse_new_drift'`
//! or `--toggle-collect='recheck::read_back_written_files'`) the instruction counts say the same
//! without the noise of a shared machine.
//!
//! `cargo bench --bench recheck` runs 200 changes; `-- --quick` is CI's smoke run (1,000 files,
//! 20 changes); `-- --pace 150` waits 150 ms before each change, as an agent's calls come apart
//! (the processor idle in between, its caches cold).

use taskmark_test_support::generate;
use taskmark_test_support::measure;

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use measure::percentile;
use taskmark::engine::config::Config;
use taskmark::engine::edit::{FixCheck, StatusChangeOptions, plan_status_change, refuse_new_drift};
use taskmark::engine::index::WorkspaceIndex;
use taskmark::engine::model::TaskKey;
use taskmark::engine::rules::{DiagnosticStore, Pending};
use taskmark::engine::timestamp::Now;
use taskmark::workspace::{self, DiskPaths};

const USAGE: &str =
    "usage: recheck [--quick] [--changes N] [--pace MS]   (run through `cargo bench --bench recheck -- ...`)";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|it| it != "--bench");
    let (mut files, mut changes, mut pace) = (5_000, 200, std::time::Duration::ZERO);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => (files, changes) = (1_000, 20),
            // Few changes, for a run under callgrind (instructions counted, not time).
            "--changes" => changes = args.next().and_then(|it| it.parse().ok()).context(USAGE)?,
            // A pause before each change, as between an agent's calls.
            "--pace" => {
                pace = std::time::Duration::from_millis(args.next().and_then(|it| it.parse().ok()).context(USAGE)?)
            }
            unknown => bail!("unknown option {unknown}\n{USAGE}"),
        }
    }
    let target = generate::target_dir();
    let dir = target.join("bench-workspace").join(format!("synthetic-{files}"));
    std::fs::create_dir_all(dir.parent().context("a parent")?)?;
    let generated = generate::ensure(&dir, files)?;
    let workspace = workspace::load(&dir, Config::default(), &|_, _| {})?;
    let paths = DiskPaths { root: &workspace.root, known: &workspace.known };
    let mut index = workspace.index.clone();
    let mut store = DiagnosticStore::new(&index, &workspace.config, None, &paths);
    let check = FixCheck { config: &workspace.config, baseline: None, paths: &paths };
    let (task, cycle) = a_task_with_a_cycle(&index)?;
    let now = Now::parse("2026-11-25").map_err(anyhow::Error::msg)?;

    let mut plan = Vec::with_capacity(changes);
    let mut recheck = Vec::with_capacity(changes);
    let mut recheck_cpu = Vec::with_capacity(changes);
    let (mut read_back, mut read_back_cpu) = (Vec::with_capacity(changes), Vec::with_capacity(changes));
    for change in 0..changes {
        let (status, reason) = &cycle[change % cycle.len()];
        // An agent calls between model turns: the processor has gone idle, its caches cold.
        std::thread::sleep(pace);
        let options = StatusChangeOptions { reason: reason.clone(), ..StatusChangeOptions::new(now.clone()) };
        let started = Instant::now();
        let planned = plan_status_change(&index, &task, status, &options)
            .map_err(|it| anyhow::anyhow!("change {change} to {status}: {it}"))?;
        let planned_at = Instant::now();
        let cpu_before = thread_cpu_ms();
        let checked = match refuse_new_drift(&index, &store, &check, &planned) {
            Ok(checked) => checked,
            Err(refusal) => bail!("change {change} of {task} to {status} was refused: {refusal}"),
        };
        recheck_cpu.push(thread_cpu_ms() - cpu_before);
        let checked_at = Instant::now();
        // The language server frees the copy off the answer's path.
        drop(checked);
        plan.push((planned_at - started).as_secs_f64() * 1e3);
        recheck.push((checked_at - planned_at).as_secs_f64() * 1e3);
        // Each editor's session then reads back what was written, file by file, as its analysis
        // thread does (the next change plans against it).
        let read_back_at = Instant::now();
        let cpu_before = thread_cpu_ms();
        let written = planned.apply(&index);
        read_back_written_files(&mut index, &mut store, &workspace.config, &paths, written);
        read_back_cpu.push(thread_cpu_ms() - cpu_before);
        read_back.push(read_back_at.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "\nAn unforced status change on {files} files ({:.1} MB), task {task} cycling through {}, {changes} changes, {} ms apart:",
        generated.bytes as f64 / 1e6,
        cycle.iter().map(|(status, _)| status.as_str()).collect::<Vec<_>>().join(" -> "),
        pace.as_millis()
    );
    report("plan", &plan);
    report("re-check for new drift", &recheck);
    report("re-check, this thread's processor time", &recheck_cpu);
    let total: Vec<f64> = plan.iter().zip(&recheck).map(|(a, b)| a + b).collect();
    report("plan and re-check", &total);
    report("a session reading the written files back", &read_back);
    report("reading back, this thread's processor time", &read_back_cpu);
    Ok(())
}

/// What an editor's session does with the files a change wrote (one function, for callgrind's
/// `--toggle-collect=recheck::read_back_written_files`).
#[inline(never)]
fn read_back_written_files(
    index: &mut WorkspaceIndex,
    store: &mut DiagnosticStore,
    config: &Config,
    paths: &DiskPaths<'_>,
    written: Vec<(String, String)>,
) {
    // As a session's analysis thread takes a batch: every file followed, settled once.
    let mut pending = Pending::default();
    for (path, text) in written {
        index.write_file(&path, Arc::from(text), |index, update| {
            store.follow(index, config, None, paths, update, &mut pending);
        });
    }
    store.settle(index, config, None, paths, pending);
}

/// The processor time this thread has used, in ms: steadier than the clock on a shared machine
/// (the re-check runs on one thread).
fn thread_cpu_ms() -> f64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec for the call to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    now.tv_sec as f64 * 1e3 + now.tv_nsec as f64 / 1e6
}

fn report(what: &str, samples: &[f64]) {
    println!(
        "  {what}: median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(samples, 50.0),
        percentile(samples, 90.0),
        percentile(samples, 99.0),
        percentile(samples, 100.0),
    );
}

/// A spec-folder task in the largest tracker whose places agree and that is implementing, and
/// the allowed cycle implementing -> blocked (with its reason) -> implementing.
#[allow(clippy::type_complexity)]
fn a_task_with_a_cycle(index: &WorkspaceIndex) -> anyhow::Result<(TaskKey, Vec<(String, Option<String>)>)> {
    let cycle =
        vec![("blocked".to_string(), Some("waiting for the bench".to_string())), ("implementing".to_string(), None)];
    let mut best: Option<(usize, TaskKey)> = None;
    for (task, entry) in index.tasks() {
        let Some((_, status)) = index.task_status(task) else { continue };
        let Some(profile) = index.task_profile(task) else { continue };
        if profile.status(status).id != "implementing" || entry.places.len() < 3 {
            continue;
        }
        let statuses: Vec<_> = entry.places.iter().filter_map(|it| index.place(*it).status).collect();
        if statuses.iter().any(|it| *it != status) {
            continue;
        }
        let size: usize = entry.places.iter().map(|it| index.text(it.file).len()).sum();
        if best.as_ref().is_none_or(|(largest, _)| size > *largest) {
            best = Some((size, task.clone()));
        }
    }
    let (_, task) = best.context("no implementing spec-folder task whose places agree in the generated workspace")?;
    Ok((task, cycle))
}
