//! The engine's share of a keystroke in a large TODO.md: `WorkspaceIndex::set_file` plus
//! `DiagnosticStore::update`, in-process, without the LSP transport.
//!
//! - one-character edits on description lines spread over the ~1 MB TODO.md of the generated
//!   one-tracker workspace (the LSP keystroke benchmark's workspace): median and p99;
//! - a fence-opening paste (a line of three backticks, which swallows everything after it into
//!   a code block) and its removal: the worst case of the incremental re-parse;
//! - for reference, `Outline::new` over the whole file, what every keystroke paid before.
//!
//! `cargo bench --bench reparse` runs 2,000 edits; `-- --quick` is CI's smoke run.

use taskmark_test_support::generate;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use taskmark::engine::Outline;
use taskmark::engine::config::Config;
use taskmark::engine::rules::DiagnosticStore;
use taskmark::engine::text::LineIndex;
use taskmark::workspace::{self, DiskPaths};

/// Files of the one-tracker workspace whose TODO.md is about 1 MB (as in the LSP benchmark).
const TRACKER_FILES: usize = 2_600;
const USAGE: &str = "usage: reparse [--quick]   (run through `cargo bench --bench reparse -- ...`)";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|it| it != "--bench").collect();
    let quick = args.iter().any(|it| it == "--quick");
    if let Some(unknown) = args.iter().find(|it| it.starts_with("--") && it.as_str() != "--quick") {
        bail!("unknown option {unknown}\n{USAGE}");
    }
    let edits = if quick { 50 } else { 2_000 };
    let root = generate::target_dir().join("bench-workspace").join("tracker-1mb");
    generate::ensure_tracker(&root, TRACKER_FILES).with_context(|| format!("cannot generate {}", root.display()))?;
    let mut loaded = workspace::load(&root, Config::default(), &|_, _| {})?;
    let path = "specs/TODO.md";
    let mut text = loaded.index.file_id(path).map(|it| loaded.index.text(it).to_string()).context("no TODO.md")?;
    let known = loaded.known.clone();
    let oracle = DiskPaths { root: &root, known: &known };
    let config = loaded.config.clone();
    let mut store = DiagnosticStore::new(&loaded.index, &config, None, &oracle);
    let index = &mut loaded.index;

    let full_outline = time(if quick { 3 } else { 20 }, || {
        black_box(Outline::new(black_box(&text)));
    });
    let todo = index.file_id(path).context("no TODO.md")?;
    let located = time(if quick { 3 } else { 20 }, || {
        black_box(store.file(todo));
    });
    let line_index = time(if quick { 3 } else { 20 }, || {
        black_box(LineIndex::new(black_box(&text)));
    });

    // Type into description lines spread over the file, as the LSP benchmark does.
    let mut lines: Vec<usize> = line_starts(&text)
        .filter(|(_, line)| line.starts_with("**Description**"))
        .map(|(start, _)| start + 16)
        .collect();
    if lines.is_empty() {
        bail!("the generated TODO.md has no description lines");
    }
    let mut set_file = Vec::with_capacity(edits);
    let mut update = Vec::with_capacity(edits);
    let mut total = Vec::with_capacity(edits);
    // What the language server would publish after each edit.
    let (mut touched_files, mut touched_diagnostics) = (0, 0);
    for edit in 0..edits {
        let at = lines[(edit * 7919) % lines.len()];
        text.insert(at, 'x');
        // The description lines after the insertion moved by one byte.
        for later in lines.iter_mut().filter(|it| **it > at) {
            *later += 1;
        }
        let shared: Arc<str> = Arc::from(text.as_str());
        let started = Instant::now();
        let changed = index.set_file(path, Some(shared));
        let parsed = Instant::now();
        let touched = black_box(store.update(index, &config, None, &oracle, &changed));
        let done = Instant::now();
        touched_files += touched.len();
        touched_diagnostics += touched.iter().map(|it| store.file(*it).len()).sum::<usize>();
        set_file.push(parsed - started);
        update.push(done - parsed);
        total.push(done - started);
    }

    // A fence opened in the middle of the file swallows the rest of it; closing it again.
    let middle = text[..lines[lines.len() / 2]].rfind('\n').map_or(0, |it| it + 1);
    let mut fence = Vec::new();
    for _ in 0..if quick { 2 } else { 10 } {
        for opened in [true, false] {
            if opened {
                text.insert_str(middle, "```\n");
            } else {
                text.replace_range(middle..middle + 4, "");
            }
            let shared: Arc<str> = Arc::from(text.as_str());
            let started = Instant::now();
            let changed = index.set_file(path, Some(shared));
            black_box(store.update(index, &config, None, &oracle, &changed));
            fence.push(started.elapsed());
        }
    }

    println!(
        "TODO.md: {:.2} MB, {} description lines, {edits} one-character edits",
        text.len() as f64 / 1e6,
        lines.len()
    );
    println!("Outline::new over the whole file: median {}", ms(percentile(&full_outline, 50.0)));
    println!("LineIndex::new over the whole file: median {}", ms(percentile(&line_index, 50.0)));
    println!(
        "DiagnosticStore::file for TODO.md ({} diagnostics): median {}",
        store.file(todo).len(),
        ms(percentile(&located, 50.0))
    );
    for (label, samples) in [("set_file", &set_file), ("store.update", &update), ("set_file + update", &total)] {
        println!(
            "{label:<18} median {}  p90 {}  p99 {}  max {}",
            ms(percentile(samples, 50.0)),
            ms(percentile(samples, 90.0)),
            ms(percentile(samples, 99.0)),
            ms(percentile(samples, 100.0)),
        );
    }
    println!(
        "files whose diagnostics an edit may have changed: {:.1} on average, with {:.1} diagnostics",
        touched_files as f64 / edits as f64,
        touched_diagnostics as f64 / edits as f64
    );
    println!(
        "fence open/close paste (set_file + update): median {}  max {}",
        ms(percentile(&fence, 50.0)),
        ms(percentile(&fence, 100.0))
    );
    Ok(())
}

fn time(runs: usize, mut work: impl FnMut()) -> Vec<Duration> {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect()
}

fn line_starts(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    text.split_inclusive('\n').map(move |line| {
        let item = (start, line);
        start += line.len();
        item
    })
}

fn percentile(samples: &[Duration], at: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((at / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted.get(rank.min(sorted.len().saturating_sub(1))).copied().unwrap_or_default()
}

fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1e3)
}
