//! How fast `taskmark check` is next to the floors no checker can beat: walking and reading the
//! files, and walking, reading and parsing them as markdown.
//!
//! `cargo bench --bench check` measures a generated 10,000-file, ~50 MB workspace and, when it
//! is present, the real corpus; `-- --quick` does a 1,000-file smoke run. The check runs in a
//! child process (this binary re-executed with `--measure-check DIR`) so that its peak memory is
//! its own, not the generator's or the floors'. Once more, the `taskmark` binary itself checks
//! each workspace for its peak memory: the binary maps code this benchmark does not have.

use taskmark_test_support::generate;
use taskmark_test_support::measure;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use pulldown_cmark::{Options, Parser};
use rayon::prelude::*;
use taskmark::engine::config::Config;
use taskmark::engine::rules;
use taskmark::workspace::{self, DiskPaths};

const FULL_FILES: usize = 10_000;
const QUICK_FILES: usize = 1_000;
const USAGE: &str =
    "usage: check [--quick] [--runs N] [--cold] [--dense N,N,...]   (run through `cargo bench --bench check -- ...`)

--dense 5000,10000,50000 also measures task-dense workspaces of those sizes (a handful of spec-folder
trackers holding a task per two files, their TODO.md and state.json very large).";

fn main() -> anyhow::Result<()> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = raw.iter().position(|it| it == "--measure-check") {
        let dir = raw.get(at + 1).context("--measure-check needs a directory")?;
        return measure_check(Path::new(dir));
    }
    if let Some(at) = raw.iter().position(|it| it == "--measure-floor") {
        let kind = raw.get(at + 1).context("--measure-floor needs read or parse")?;
        let dir = raw.get(at + 2).context("--measure-floor needs a directory")?;
        return measure_floor(kind, Path::new(dir));
    }
    let args = Args::parse(&raw)?;
    let started = Instant::now();

    let target = generate::target_dir();
    let files = if args.quick { QUICK_FILES } else { FULL_FILES };
    let dir = target.join("bench-workspace").join(format!("synthetic-{files}"));
    std::fs::create_dir_all(dir.parent().context("workspace folder has a parent")?)
        .with_context(|| format!("cannot create {}", target.join("bench-workspace").display()))?;
    let generation = Instant::now();
    let generated = generate::ensure(&dir, files).with_context(|| format!("cannot generate {}", dir.display()))?;
    println!(
        "workspace {}: {} files, {:.1} MB ({} in {:.1}s)",
        dir.display(),
        generated.files,
        megabytes(generated.bytes),
        if generated.fresh { "generated" } else { "reused" },
        generation.elapsed().as_secs_f64(),
    );

    if args.cold {
        drop_page_cache().context("--cold empties the page cache before each measurement, which needs root")?;
    }
    let mut reports = vec![measure_workspace("generated", &dir, args.runs, args.cold)?];
    // The generator's buffers are long gone by now, but the kernel still counts them in the high
    // water mark; the check's own peak comes from its child process.
    let bench_peak = status_kb("VmHWM")?;

    for size in &args.dense {
        let dir = target.join("bench-workspace").join(format!("dense-{size}"));
        let generated =
            generate::ensure_dense(&dir, *size).with_context(|| format!("cannot generate {}", dir.display()))?;
        println!(
            "workspace {}: {} files, {:.1} MB ({})",
            dir.display(),
            generated.files,
            megabytes(generated.bytes),
            if generated.fresh { "generated" } else { "reused" },
        );
        reports.push(measure_workspace(&format!("dense-{}k", size / 1000), &dir, args.runs, args.cold)?);
    }
    match corpus_dir() {
        Corpus::Found(corpus) => reports.push(measure_workspace("corpus", &corpus, args.runs, args.cold)?),
        Corpus::Missing(note) => println!("corpus: skipped ({note})"),
    }

    println!();
    print_table(&reports);
    println!();
    for report in &reports {
        let peak = report.check_peak_kb * 1024;
        println!(
            "peak RSS of `check` on {}: {:.1} MB ({:.1} MB before loading) for {:.1} MB of files read ({:.1}x); {} tasks, {} trackers, {} diagnostics; load {} + rules {} (best run)",
            report.name,
            megabytes(peak),
            megabytes(report.check_details.start_kb * 1024),
            megabytes(report.check.bytes),
            peak as f64 / report.check.bytes.max(1) as f64,
            report.check_details.tasks,
            report.check_details.trackers,
            report.check_details.diagnostics,
            seconds(report.check_details.load),
            seconds(report.check_details.rules),
        );
        let binary = report.binary_peak_kb * 1024;
        println!(
            "peak RSS of the `taskmark` binary's check on {}: {:.1} MB ({:.1}x the bytes read; the figure above is this benchmark's in-process check, without the binary's other code)",
            report.name,
            megabytes(binary),
            binary as f64 / report.check.bytes.max(1) as f64,
        );
    }
    println!(
        "peak RSS of this bench process after the generated run: {:.1} MB (includes the generator and the floors' buffers, not the check)",
        megabytes(bench_peak * 1024)
    );
    println!(
        "times are wall clock with a {} page cache, best and median of {} run{}; MB = 10^6 bytes; {} rayon threads",
        if args.cold { "cold (emptied before each run)" } else { "warm" },
        args.runs,
        if args.runs == 1 { "" } else { "s" },
        rayon::current_num_threads()
    );
    println!("total bench time: {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

struct Args {
    quick: bool,
    runs: usize,
    cold: bool,
    /// Sizes of task-dense workspaces to measure too.
    dense: Vec<usize>,
}

impl Args {
    fn parse(args: &[String]) -> anyhow::Result<Args> {
        let mut quick = false;
        let mut cold = false;
        let mut runs = None;
        let mut dense = Vec::new();
        // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and only wants to
        // know that the bench works, so it gets the smoke run.
        let mut benching = false;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => quick = true,
                "--cold" => cold = true,
                "--bench" => benching = true,
                "--runs" => {
                    let value = args.next().context("--runs needs a number")?;
                    let value: usize = value.parse().with_context(|| format!("--runs {value}: not a number"))?;
                    ensure!(value > 0, "--runs must be at least 1");
                    runs = Some(value);
                }
                "--dense" => {
                    let value = args.next().context("--dense needs sizes, as 5000,10000,50000")?;
                    for size in value.split(',') {
                        dense.push(size.trim().parse().with_context(|| format!("--dense {size}: not a number"))?);
                    }
                }
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => bail!("unknown argument `{other}`\n{USAGE}"),
            }
        }
        let quick = quick || !benching;
        Ok(Args { quick, runs: runs.unwrap_or(if benching { 3 } else { 1 }), cold, dense })
    }
}

fn repository_root() -> PathBuf {
    // The command line's crate is server/cli.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).unwrap_or(manifest).to_path_buf()
}

enum Corpus {
    Found(PathBuf),
    Missing(String),
}

fn corpus_dir() -> Corpus {
    match std::env::var_os("TASKMARK_CORPUS") {
        Some(dir) if Path::new(&dir).is_dir() => Corpus::Found(PathBuf::from(dir)),
        Some(dir) => Corpus::Missing(format!("TASKMARK_CORPUS={} is not a directory", Path::new(&dir).display())),
        None => {
            let dir = repository_root().join("../shared/corpus");
            if let Ok(dir) = dir.canonicalize()
                && dir.is_dir()
            {
                Corpus::Found(dir)
            } else {
                Corpus::Missing(format!("no {} and TASKMARK_CORPUS is not set", dir.display()))
            }
        }
    }
}

/// Best and median wall time of several runs that each processed `files` files of `bytes` bytes.
struct Timing {
    files: usize,
    bytes: u64,
    best: Duration,
    median: Duration,
}

impl Timing {
    fn of(files: usize, bytes: u64, mut times: Vec<Duration>) -> Timing {
        times.sort();
        Timing { files, bytes, best: times[0], median: times[times.len() / 2] }
    }
}

struct Report {
    name: String,
    read: Timing,
    parse: Timing,
    check: Timing,
    check_peak_kb: u64,
    /// The same check run by the `taskmark` binary.
    binary_peak_kb: u64,
    check_details: CheckRun,
}

fn measure_workspace(name: &str, root: &Path, runs: usize, cold: bool) -> anyhow::Result<Report> {
    println!("measuring {name} ({})", root.display());
    // Warm: the first pass after generation (or ever, for the corpus) would measure the disk
    // rather than the code, so every measurement sees the same warm page cache. Cold: every
    // measurement starts from an empty page cache.
    let prepare = || if cold { drop_page_cache() } else { Ok(()) };
    if !cold {
        read_floor(root)?;
    }

    // Every measurement is a fresh process, as a real run is: it pays for its own page faults
    // and thread start-up, and its peak memory is its own.
    let floor = |kind: &str| -> anyhow::Result<Timing> {
        let mut times = Vec::with_capacity(runs);
        let mut counts = (0, 0);
        for _ in 0..runs {
            prepare()?;
            let run = spawn_floor(kind, root)?;
            counts = (run.files, run.bytes);
            times.push(run.total);
        }
        Ok(Timing::of(counts.0, counts.1, times))
    };
    let read = floor("read")?;
    let parse = floor("parse")?;

    let mut children: Vec<CheckRun> = Vec::with_capacity(runs);
    for _ in 0..runs {
        prepare()?;
        children.push(spawn_check(root)?);
    }
    let best = *children.iter().min_by_key(|it| it.total).context("at least one run")?;
    let check = Timing::of(best.files, best.bytes, children.iter().map(|it| it.total).collect());
    let check_peak_kb = children.iter().map(|it| it.peak_kb).max().unwrap_or(0);
    prepare()?;
    // The in-process figure leaves out the code the binary maps for its other commands (the
    // language server, the daemon, MCP), about 15 MB of it resident: at 5,000 files that is the
    // difference between under and over twice the bytes read.
    let binary_peak_kb = measure::binary_check(root)?.peak_kb;
    Ok(Report { name: name.to_string(), read, parse, check, check_peak_kb, binary_peak_kb, check_details: best })
}

/// Empties the kernel's page cache so the next measurement reads from the disk.
fn drop_page_cache() -> anyhow::Result<()> {
    let status = Command::new("sync").status().context("cannot run sync")?;
    ensure!(status.success(), "sync failed");
    std::fs::write("/proc/sys/vm/drop_caches", "3\n").context("cannot write /proc/sys/vm/drop_caches")
}

/// A floor run in a child process: what it read and how long it took.
struct FloorRun {
    files: usize,
    bytes: u64,
    total: Duration,
}

fn spawn_floor(kind: &str, root: &Path) -> anyhow::Result<FloorRun> {
    let exe = std::env::current_exe().context("cannot find the bench binary to re-run")?;
    let output = Command::new(&exe)
        .args(["--measure-floor", kind])
        .arg(root)
        .output()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "the {kind} floor child failed ({}):\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |name: &str| -> anyhow::Result<u64> {
        stdout
            .split_whitespace()
            .find_map(|it| it.strip_prefix(name)?.strip_prefix('='))
            .with_context(|| format!("the floor child did not report `{name}`:\n{stdout}"))?
            .parse()
            .with_context(|| format!("the floor child reported a bad `{name}`:\n{stdout}"))
    };
    Ok(FloorRun {
        files: field("files")? as usize,
        bytes: field("bytes")?,
        total: Duration::from_nanos(field("total_ns")?),
    })
}

/// The child side of a floor: `read` or `parse`, reported as `key=value` words.
fn measure_floor(kind: &str, root: &Path) -> anyhow::Result<()> {
    rayon::broadcast(|_| ());
    let start = Instant::now();
    let (files, bytes) = match kind {
        "read" => read_floor(root)?,
        "parse" => parse_floor(root)?,
        other => bail!("unknown floor `{other}`"),
    };
    println!("files={files} bytes={bytes} total_ns={}", start.elapsed().as_nanos());
    Ok(())
}

/// Walks the tree as `taskmark` does and reads every file it lists, with as many reader threads
/// as taskmark uses.
fn read_floor(root: &Path) -> anyhow::Result<(usize, u64)> {
    let paths = workspace::walk(root, &Config::default())?.paths;
    let readers = rayon::ThreadPoolBuilder::new().num_threads(workspace::io_threads()).build()?;
    let bytes = readers.install(|| {
        paths
            .par_iter()
            .map(|path| {
                let path = root.join(path);
                std::fs::read(&path)
                    .map(|it| black_box(it).len() as u64)
                    .with_context(|| format!("cannot read {}", path.display()))
            })
            .try_reduce(|| 0, |a, b| Ok(a + b))
    })?;
    Ok((paths.len(), bytes))
}

/// Walks, reads and runs pulldown-cmark, with the extensions taskmark enables, over every
/// markdown file: the cost of looking at each byte once as markdown.
fn parse_floor(root: &Path) -> anyhow::Result<(usize, u64)> {
    let paths: Vec<String> = workspace::walk(root, &Config::default())?
        .paths
        .into_iter()
        .filter(|it| {
            let lower = it.to_ascii_lowercase();
            lower.ends_with(".md") || lower.ends_with(".markdown")
        })
        .collect();
    let readers = rayon::ThreadPoolBuilder::new().num_threads(workspace::io_threads()).build()?;
    let bytes = readers.install(|| {
        paths
            .par_iter()
            .map(|path| {
                let path = root.join(path);
                let text = match std::fs::read_to_string(&path) {
                    Ok(text) => text,
                    // Not UTF-8: taskmark skips it too.
                    Err(error) if error.kind() == std::io::ErrorKind::InvalidData => return Ok(0),
                    Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
                };
                let events =
                    Parser::new_ext(&text, Options::ENABLE_TABLES | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS)
                        .into_offset_iter()
                        .count();
                black_box(events);
                Ok::<_, anyhow::Error>(text.len() as u64)
            })
            .try_reduce(|| 0, |a, b| Ok(a + b))
    })?;
    Ok((paths.len(), bytes))
}

/// What one child process reports about its check.
#[derive(Debug, Clone, Copy)]
struct CheckRun {
    files: usize,
    bytes: u64,
    tasks: usize,
    trackers: usize,
    diagnostics: usize,
    load: Duration,
    rules: Duration,
    total: Duration,
    /// Resident memory before loading: the binary, the allocator and the thread pool.
    start_kb: u64,
    peak_kb: u64,
}

fn spawn_check(root: &Path) -> anyhow::Result<CheckRun> {
    let exe = std::env::current_exe().context("cannot find the bench binary to re-run")?;
    // Each run walks the workspace as a first run does: the kept walk (the `scale.py` series
    // measures it) would make every run after the first another measurement.
    let output = Command::new(&exe)
        .arg("--measure-check")
        .arg(root)
        .env("TASKMARK_NO_CACHE", "1")
        .output()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "the check child failed ({}):\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |name: &str| -> anyhow::Result<u64> {
        stdout
            .split_whitespace()
            .find_map(|it| it.strip_prefix(name)?.strip_prefix('='))
            .with_context(|| format!("the check child did not report `{name}`:\n{stdout}"))?
            .parse()
            .with_context(|| format!("the check child reported a bad `{name}`:\n{stdout}"))
    };
    Ok(CheckRun {
        files: field("files")? as usize,
        bytes: field("bytes")?,
        tasks: field("tasks")? as usize,
        trackers: field("trackers")? as usize,
        diagnostics: field("diagnostics")? as usize,
        load: Duration::from_nanos(field("load_ns")?),
        rules: Duration::from_nanos(field("rules_ns")?),
        total: Duration::from_nanos(field("total_ns")?),
        start_kb: field("start_kb")?,
        peak_kb: field("peak_kb")?,
    })
}

/// The child side: one cold-process `check` without a git baseline, as `taskmark check
/// --no-baseline` runs it minus printing, reported as `key=value` words on stdout.
fn measure_check(root: &Path) -> anyhow::Result<()> {
    // As the `taskmark` binary starts.
    taskmark::allocator::one_arena_per_core();
    // The floors run on an already started pool; starting this one is not the check's cost.
    rayon::broadcast(|_| ());
    let start_kb = status_kb("VmRSS")?;
    let start = Instant::now();
    let workspace = workspace::load(root, Config::default(), &|_, _| {})?;
    let loaded = Instant::now();
    let oracle = DiskPaths { root: &workspace.root, known: &workspace.known };
    let diagnostics = rules::check(&workspace.index, &workspace.config, None, &oracle);
    let done = Instant::now();
    println!(
        "files={} bytes={} tasks={} trackers={} diagnostics={} load_ns={} rules_ns={} total_ns={} start_kb={start_kb} peak_kb={}",
        workspace.index.len(),
        workspace.bytes_read,
        workspace.index.tasks().len(),
        workspace.index.trackers().len(),
        black_box(diagnostics).len(),
        (loaded - start).as_nanos(),
        (done - loaded).as_nanos(),
        (done - start).as_nanos(),
        status_kb("VmHWM")?,
    );
    Ok(())
}

/// A memory figure of this process from `/proc/self/status`, in KiB: `VmHWM` is the peak resident
/// set, `VmRSS` the current one.
fn status_kb(field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("cannot read /proc/self/status (memory figures need Linux)")?;
    let value = status
        .lines()
        .find_map(|it| it.strip_prefix(field)?.strip_prefix(':'))
        .with_context(|| format!("no {field} in /proc/self/status"))?;
    value.trim().trim_end_matches("kB").trim().parse().with_context(|| format!("bad {field} value `{value}`"))
}

fn print_table(reports: &[Report]) {
    println!(
        "{:<10} {:<14} {:>7} {:>7} {:>9} {:>9} {:>10} {:>8} {:>9}",
        "workspace", "measurement", "files", "MB", "best", "median", "files/s", "MB/s", "vs parse"
    );
    for report in reports {
        let rows = [("read floor", &report.read), ("parse floor", &report.parse), ("taskmark check", &report.check)];
        for (label, timing) in rows {
            let best = timing.best.as_secs_f64();
            let ratio = timing.best.as_secs_f64() / report.parse.best.as_secs_f64();
            println!(
                "{:<10} {:<14} {:>7} {:>7.1} {:>9} {:>9} {:>10.0} {:>8.1} {:>8.2}x",
                report.name,
                label,
                timing.files,
                megabytes(timing.bytes),
                seconds(timing.best),
                seconds(timing.median),
                timing.files as f64 / best,
                megabytes(timing.bytes) / best,
                ratio,
            );
        }
    }
}

fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 1.0 { format!("{:.1}ms", secs * 1e3) } else { format!("{secs:.3}s") }
}
