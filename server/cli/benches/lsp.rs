//! Language-server benchmarks: the real `taskmark lsp` binary driven over real pipes by the
//! end-to-end tests' client.
//!
//! - first diagnostics: from `initialized` until every file `taskmark check` would report on
//!   has had its diagnostics published, on generated workspaces of 5,000 and 10,000 files;
//! - memory: the server's resident set once that is done, against the bytes it indexed;
//! - keystroke: from a one-character `didChange` to the `publishDiagnostics` for that version,
//!   on a 1 MB TODO.md;
//! - code action resolve: `codeAction/resolve` of a status change that edits four or more files.
//!
//! `cargo bench --bench lsp` runs everything (a few minutes); `-- --quick` is CI's smoke run.

use taskmark_test_support::generate;
use taskmark_test_support::lsp_client;
use taskmark_test_support::measure;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use measure::{percentile, resident_kb};
use serde_json::{Value, json};

use lsp_client::{LspClient, vscode_capabilities};
use taskmark::engine::config::Config;
use taskmark::engine::ide;
use taskmark::engine::rules;
use taskmark::workspace::{self, DiskPaths};

/// Files of the one-tracker workspace whose TODO.md is about 1 MB.
const TRACKER_FILES: usize = 2_600;
const USAGE: &str = "usage: lsp [--quick] [--runs N] [--dense N,N,...] [--keystrokes N] [--workspace DIR]   (run through `cargo bench --bench lsp -- ...`)

--dense 5000,10000,50000 also measures the first diagnostics on task-dense workspaces of those
sizes (the check benchmark's), next to `taskmark check` on the same workspace.
--keystrokes N measures only the keystroke latency, N times (to compare two builds, run them in
turn).
--workspace DIR measures only keystrokes in DIR/specs/TODO.md, a workspace of
`../shared/bench/genws.py DIR N` (one big tracker): 20 edits of each kind, a character typed in a
description and a status marker replaced, at the start, the middle and the end of the file.";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|it| it != "--bench").collect();
    let quick = args.iter().any(|it| it == "--quick");
    let runs = match args.iter().position(|it| it == "--runs") {
        Some(at) => args.get(at + 1).and_then(|it| it.parse().ok()).context(USAGE)?,
        None if quick => 1,
        None => 5,
    };
    let dense: Vec<usize> = match args.iter().position(|it| it == "--dense") {
        Some(at) => args
            .get(at + 1)
            .context(USAGE)?
            .split(',')
            .map(|it| it.trim().parse().with_context(|| format!("bad size `{it}`\n{USAGE}")))
            .collect::<anyhow::Result<_>>()?,
        None => Vec::new(),
    };
    if let Some(at) = args.iter().position(|it| it == "--workspace") {
        let root = std::path::PathBuf::from(args.get(at + 1).context(USAGE)?);
        return keystrokes_in(&root);
    }
    let keystroke_runs: Option<usize> = match args.iter().position(|it| it == "--keystrokes") {
        Some(at) => Some(args.get(at + 1).and_then(|it| it.parse().ok()).context(USAGE)?),
        None => None,
    };
    if let Some(unknown) = args.iter().find(|it| {
        it.starts_with("--")
            && !matches!(it.as_str(), "--quick" | "--runs" | "--dense" | "--keystrokes" | "--workspace")
    }) {
        bail!("unknown option {unknown}\n{USAGE}");
    }
    let started = Instant::now();
    let target = generate::target_dir();
    if let Some(runs) = keystroke_runs {
        for _ in 0..runs {
            print_keystrokes(&keystroke(&target, 400)?);
        }
        return Ok(());
    }
    let sizes: &[usize] = if quick { &[1_000] } else { &[5_000, 10_000] };
    let mut rows = Vec::new();
    for &files in sizes {
        let dir = target.join("bench-workspace").join(format!("synthetic-{files}"));
        std::fs::create_dir_all(dir.parent().context("a parent")?)?;
        generate::ensure(&dir, files).with_context(|| format!("cannot generate {}", dir.display()))?;
        rows.push(first_diagnostics(&dir, runs)?);
    }
    for &files in &dense {
        let dir = target.join("bench-workspace").join(format!("dense-{files}"));
        std::fs::create_dir_all(dir.parent().context("a parent")?)?;
        generate::ensure_dense(&dir, files).with_context(|| format!("cannot generate {}", dir.display()))?;
        let mut row = first_diagnostics(&dir, runs)?;
        row.check = Some(check_time(&dir, runs)?);
        rows.push(row);
    }
    println!(
        "\n| workspace | files indexed | MB indexed | first complete diagnostics (median of {runs}) | best | `taskmark check` (median) | LSP / check | RSS after indexing | RSS / bytes indexed |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        let (check, ratio) = match row.check {
            Some(check) => (
                format!("{:.0} ms", check.as_secs_f64() * 1e3),
                format!("{:.2}x", row.median.as_secs_f64() / check.as_secs_f64()),
            ),
            None => ("-".to_string(), "-".to_string()),
        };
        println!(
            "| {} | {} | {:.1} | **{:.0} ms** | {:.0} ms | {check} | {ratio} | {:.1} MB | {:.2}x |",
            row.name,
            row.files,
            row.bytes as f64 / 1e6,
            row.median.as_secs_f64() * 1e3,
            row.best.as_secs_f64() * 1e3,
            row.rss_kb as f64 * 1024.0 / 1e6,
            row.rss_kb as f64 * 1024.0 / row.bytes.max(1) as f64,
        );
    }

    let base = target.join("bench-workspace").join(format!("synthetic-{}", sizes[0]));
    println!();
    print_keystrokes(&keystroke(&target, if quick { 40 } else { 400 })?);
    let resolve = resolve(&base, if quick { 20 } else { 200 })?;
    println!(
        "codeAction/resolve of `{}` editing {} files: median {:.2} ms, p99 {:.2} ms ({} requests)",
        resolve.title,
        resolve.files,
        percentile(&resolve.samples, 50.0),
        percentile(&resolve.samples, 99.0),
        resolve.samples.len()
    );
    println!("\ntotal bench time: {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The median wall-clock time of the `taskmark` binary's `check --no-baseline` on `root`,
/// its report thrown away.
fn check_time(root: &Path, runs: usize) -> anyhow::Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..runs.max(3) {
        times.push(measure::binary_check(root)?.elapsed);
    }
    times.sort();
    Ok(times[times.len() / 2])
}

struct FirstDiagnostics {
    /// `taskmark check`'s time on the same workspace, for the task-dense ones.
    check: Option<Duration>,
    name: String,
    files: usize,
    bytes: u64,
    best: Duration,
    median: Duration,
    rss_kb: u64,
}

/// The files `taskmark check` reports on, as the server will publish them.
fn expected_files(root: &Path) -> anyhow::Result<(HashSet<String>, usize, u64)> {
    let loaded = workspace::load(root, Config::default(), &|_, _| {})?;
    let found = rules::check(&loaded.index, &Config::default(), None, &DiskPaths { root, known: &loaded.known });
    let files: HashSet<String> = found.iter().map(|it| loaded.index.path(it.file).to_string()).collect();
    Ok((files, loaded.index.len(), loaded.bytes_read))
}

fn first_diagnostics(root: &Path, runs: usize) -> anyhow::Result<FirstDiagnostics> {
    let (expected, files, bytes) = expected_files(root)?;
    let mut times = Vec::new();
    let mut rss_kb = 0;
    for _ in 0..runs {
        let mut client = LspClient::launch(root, vscode_capabilities(), json!({}), "warn");
        let uris: Vec<String> = expected.iter().map(|it| client.uri(it)).collect();
        let started = Instant::now();
        client.notify("initialized", json!({}));
        let done =
            client.wait_until(Duration::from_secs(120), |it| uris.iter().all(|uri| it.diagnostics.contains_key(uri)));
        let elapsed = started.elapsed();
        if !done {
            let missing: Vec<&String> =
                uris.iter().filter(|uri| !client.diagnostics.contains_key(*uri)).take(5).collect();
            bail!("no complete diagnostics for {} after 120 s; missing {missing:?}", root.display());
        }
        times.push(elapsed);
        // Let the baseline and bookkeeping settle before measuring memory.
        client.settle(Duration::from_millis(300));
        rss_kb = rss_kb.max(resident_kb(client.pid())?);
        client.stop();
    }
    times.sort();
    Ok(FirstDiagnostics {
        check: None,
        name: root.file_name().and_then(|it| it.to_str()).unwrap_or("workspace").to_string(),
        files,
        bytes,
        best: times[0],
        median: times[times.len() / 2],
        rss_kb,
    })
}

fn print_keystrokes(keystrokes: &Keystrokes) {
    println!(
        "keystroke to publishDiagnostics on a {:.2} MB TODO.md ({} sections, {} edits): median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        keystrokes.bytes as f64 / 1e6,
        keystrokes.sections,
        keystrokes.samples.len(),
        percentile(&keystrokes.samples, 50.0),
        percentile(&keystrokes.samples, 90.0),
        percentile(&keystrokes.samples, 99.0),
        percentile(&keystrokes.samples, 100.0),
    );
}

struct Keystrokes {
    bytes: usize,
    sections: usize,
    samples: Vec<f64>,
}

/// Types into a 1 MB TODO.md of a generated tracker whose plans, reports and state.json all
/// exist, so its diagnostics are the few drifts a real tracker has.
fn keystroke(target: &Path, edits: usize) -> anyhow::Result<Keystrokes> {
    let root = target.join("bench-workspace").join("tracker-1mb");
    generate::ensure_tracker(&root, TRACKER_FILES).with_context(|| format!("cannot generate {}", root.display()))?;
    let text = std::fs::read_to_string(root.join("specs/TODO.md"))?;
    let mut client = LspClient::launch(&root, vscode_capabilities(), json!({}), "warn");
    client.notify("initialized", json!({}));
    let uri = client.open_with("specs/TODO.md", &text);
    if !client.wait_until(Duration::from_secs(60), |it| it.diagnostics.get(&uri).is_some_and(|(v, _)| *v == Some(1))) {
        bail!("no diagnostics for the opened TODO.md");
    }
    // Type into description lines spread over the file.
    let lines: Vec<u32> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with("**Description**"))
        .map(|(number, _)| number as u32)
        .collect();
    let mut samples = Vec::with_capacity(edits);
    for edit in 0..edits {
        let line = lines[(edit * 7919) % lines.len()];
        let position = (line, 16);
        client.change(&uri, position, position, "x");
        // From the moment the change is sent: the client's copy of the text is its own affair.
        let started = client.last_change_sent.context("a change was sent")?;
        let version = client.documents[&uri].version;
        if !client.wait_until(Duration::from_secs(10), |it| {
            it.diagnostics.get(&uri).is_some_and(|(v, _)| *v == Some(version))
        }) {
            bail!("no diagnostics for version {version}");
        }
        samples.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let sections = text.matches("\n### ").count();
    client.stop();
    Ok(Keystrokes { bytes: text.len(), sections, samples })
}

/// Keystrokes in a genws workspace's TODO.md (see USAGE): for each kind, 20 edits spread over
/// the start, the middle and the end of the file, each timed from its didChange to the
/// TODO.md's publishDiagnostics for that version.
fn keystrokes_in(root: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(root.join("specs/TODO.md")).context("DIR/specs/TODO.md")?;
    // BENCH_LOG=debug keeps the server's debug log beside DIR (DIR.server.log).
    let log_level = std::env::var("BENCH_LOG").unwrap_or_else(|_| "warn".into());
    let mut client = LspClient::launch(root, vscode_capabilities(), json!({}), &log_level);
    client.notify("initialized", json!({}));
    let uri = client.open_with("specs/TODO.md", &text);
    // The opened document's diagnostics come before the rest of the workspace is indexed:
    // keystrokes timed from then on would be on the document alone, and the one that meets the
    // load's end would carry it (the one slow keystroke of every earlier run).
    if !client.wait_until(Duration::from_secs(300), |it| {
        it.diagnostics.get(&uri).is_some_and(|(v, _)| *v == Some(1))
            && it.notifications.iter().any(|n| n["params"]["value"]["kind"] == "end")
    }) {
        bail!("the workspace was not indexed (no diagnostics for the opened TODO.md, or no end of the load)");
    }
    client.settle(Duration::from_millis(300));
    let lines: Vec<&str> = text.lines().collect();
    let at = |prefix: &str| -> Vec<u32> {
        let found: Vec<u32> =
            lines.iter().enumerate().filter(|(_, it)| it.starts_with(prefix)).map(|(n, _)| n as u32).collect();
        // A third of the edits near the start, a third in the middle, a third near the end.
        let thirds = [0, found.len() / 2, found.len().saturating_sub(7)];
        (0..20).filter_map(|edit| found.get(thirds[edit % 3] + edit / 3).copied()).collect()
    };
    let time = |client: &mut LspClient, line: u32, from: u32, to: u32, new: &str| -> anyhow::Result<f64> {
        client.change(&uri, (line, from), (line, to), new);
        // From the moment the change is sent: the client's copy of the text (a walk to the
        // line in 16 MB) is its own affair, which an editor does its own way.
        let started = client.last_change_sent.context("a change was sent")?;
        let version = client.documents[&uri].version;
        if !client.wait_until(Duration::from_secs(30), |it| {
            it.diagnostics.get(&uri).is_some_and(|(v, _)| *v == Some(version))
        }) {
            bail!("no diagnostics for version {version}");
        }
        Ok(started.elapsed().as_secs_f64() * 1e3)
    };
    let mut described = Vec::new();
    for line in at("**Description**") {
        described.push(time(&mut client, line, 16, 16, "x")?);
    }
    // `- **Status**: [X]`: the marker replaced by another status of the vocabulary, back and
    // forth (each edit a status change of its task).
    let mut statuses = Vec::new();
    for line in at("- **Status**: [") {
        // The line as the edits so far left it (an ASCII line: columns are characters), and a
        // status it does not have (an edit that changes nothing is not analysed again).
        let current = client.documents[&uri].text.lines().nth(line as usize).map(str::to_string).unwrap_or_default();
        let new = if current.contains("[BLOCKED]") { "[PLANNED]" } else { "[BLOCKED]" };
        let start = current.find('[').unwrap_or(0) as u32;
        statuses.push(time(&mut client, line, start, current.len() as u32, new)?);
    }
    client.stop();
    for (kind, samples) in [("a character in a description", &described), ("a status marker replaced", &statuses)] {
        println!(
            "{kind} on a {:.2} MB TODO.md ({} edits): median {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 10 ms)",
            text.len() as f64 / 1e6,
            samples.len(),
            percentile(samples, 50.0),
            percentile(samples, 90.0),
            percentile(samples, 99.0),
            percentile(samples, 100.0),
        );
    }
    Ok(())
}

struct Resolve {
    title: String,
    files: usize,
    samples: Vec<f64>,
}

/// Resolves a status change of a task written in four or more files, `requests` times.
fn resolve(root: &Path, requests: usize) -> anyhow::Result<Resolve> {
    // Find such a task and its TODO.md heading in-process.
    let loaded = workspace::load(root, Config::default(), &|_, _| {})?;
    let index = &loaded.index;
    let (file, offset, title) = index
        .tasks()
        .iter()
        .filter(|(_, entry)| entry.places.iter().map(|it| it.file).collect::<HashSet<_>>().len() >= 4)
        .find_map(|(task, entry)| {
            let section = entry
                .places
                .iter()
                .find(|it| index.place(**it).kind == taskmark::engine::model::PlaceKind::TodoSection)?;
            let offset = index.place(*section).line.start();
            let actions = ide::code_actions(index, &[], section.file, taskmark::engine::text::TextRange::empty(offset));
            let action = actions.into_iter().find(|it| {
                matches!(&it.target, ide::ActionTarget::SetStatus { force: false, .. })
                    && ide::plan_action(
                        index,
                        &[],
                        section.file,
                        &it.target,
                        &taskmark::engine::edit::StatusChangeOptions::new(
                            taskmark::engine::timestamp::Now::from_timestamp(jiff::Timestamp::now()),
                        ),
                    )
                    .is_ok_and(|change| change.files.iter().filter(|it| !it.edits.is_empty()).count() >= 4)
            })?;
            let _ = task;
            Some((section.file, offset, action.title))
        })
        .context("no task written in four files with an allowed status change")?;
    let path = index.path(file).to_string();
    let text = index.text(file).to_string();
    let mut client = LspClient::launch(root, vscode_capabilities(), json!({}), "warn");
    client.notify("initialized", json!({}));
    let uri = client.open_with(&path, &text);
    if !client.wait_until(Duration::from_secs(60), |it| {
        it.diagnostics.contains_key(&uri) || it.notifications.iter().any(|n| n["params"]["value"]["kind"] == "end")
    }) {
        bail!("the workspace was not indexed");
    }
    client.settle(Duration::from_millis(300));
    let position = lsp_client::position(&text, usize::from(offset), false);
    let position = json!({ "line": position.0, "character": position.1 });
    let actions = client
        .request("textDocument/codeAction", json!({ "textDocument": { "uri": uri }, "range": { "start": position, "end": position }, "context": { "diagnostics": [] } }))
        .map_err(|error| anyhow::anyhow!("codeAction failed: {error}"))?;
    let action = actions
        .as_array()
        .and_then(|it| it.iter().find(|action| action["title"] == title.as_str()))
        .cloned()
        .context("the server did not offer the action")?;
    let mut samples = Vec::with_capacity(requests);
    let mut files = 0;
    for _ in 0..requests {
        let started = Instant::now();
        let resolved: Value = client
            .request("codeAction/resolve", action.clone())
            .map_err(|error| anyhow::anyhow!("resolve failed: {error}"))?;
        samples.push(started.elapsed().as_secs_f64() * 1e3);
        files = resolved["edit"]["documentChanges"].as_array().map_or(0, Vec::len);
    }
    client.stop();
    if files < 4 {
        bail!("the resolved edit touched {files} files, not four or more");
    }
    Ok(Resolve { title, files, samples })
}
