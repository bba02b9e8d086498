//! The merge driver on the largest TODO.md and state.json of the generated 10,000-file workspace:
//! two sides that each changed some statuses (one task on both) and added a task, merged by the
//! engine in process, and by `taskmark merge-driver` as git runs it (a process reading the three
//! files and writing the result). The target is under 100 ms per file.
//!
//! Then hostile inputs (issue 30): sides that differ in every one of 20,000 to 100,000 lines, or
//! reorder 100,000, merged by the driver once each beside `git merge-file`: the diffs' cost
//! limit keeps each to about a second, where a quadratic diff took minutes.
//!
//! `cargo bench --bench merge` (`-- --quick`: the 1,000-file workspace, 5 runs).

use taskmark_test_support::generate;
use taskmark_test_support::measure;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use taskmark::engine::config::Vocabularies;
use taskmark::engine::merge::{Markers, MergeInput, merge};

/// Every file called `name` under `dir`, largest first.
fn largest(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let mut found: Vec<(u64, PathBuf)> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder)?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|it| it == name)
                && path.parent().and_then(|it| it.file_name()).is_some_and(|it| it == "specs")
            {
                found.push((entry.metadata()?.len(), path));
            }
        }
    }
    found.sort();
    found.pop().map(|it| it.1).with_context(|| format!("no specs/{name} in {}", dir.display()))
}

/// Replaces the `nth` occurrences (by index) of `needle`'s value with `with`.
fn replace_nth(text: &str, needle: &str, picks: &[usize], with: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    let mut index = 0;
    while let Some(at) = rest.find(needle) {
        let start = at + needle.len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        if picks.contains(&index) {
            // The value runs to the closing bracket or quote.
            let end = rest.find([']', '"']).map_or(0, |it| it + 1);
            out.push_str(with);
            rest = &rest[end..];
        }
        index += 1;
    }
    out.push_str(rest);
    out
}

/// Two sides of TODO.md: statuses changed (task at `same` on both), one new task each.
fn todo_sides(text: &str) -> (String, String) {
    let ours = replace_nth(text, "**Status**: [", &[3, 40, 200], "IMPLEMENTING]");
    let theirs = replace_nth(text, "**Status**: [", &[3, 90, 300], "COMPLETED]");
    let section =
        |id: u32, title: &str| format!("\n### {id}. {title}\n- **Status**: [NOT STARTED]\n- **Created**: 2026-11-01\n");
    (format!("{ours}{}", section(99_001, "Importer")), format!("{theirs}{}", section(99_002, "Search")))
}

/// Two sides of state.json: statuses changed, one entry added each.
fn state_sides(text: &str) -> anyhow::Result<(String, String)> {
    let ours = replace_nth(text, "\"status\": \"", &[3, 40, 200], "implementing\"");
    let theirs = replace_nth(text, "\"status\": \"", &[3, 90, 300], "completed\"");
    let entry = |id: u32, name: &str| {
        format!(
            "    {{\n      \"project_number\": {id},\n      \"project_name\": \"{name}\",\n      \"status\": \"not_started\"\n    }},\n"
        )
    };
    let add = |side: &str, id: u32, name: &str| -> anyhow::Result<String> {
        let at = side.find("\"active_projects\": [\n").context("an active_projects array")?
            + "\"active_projects\": [\n".len();
        Ok(format!("{}{}{}", &side[..at], entry(id, name), &side[at..]))
    };
    Ok((add(&ours, 99_001, "importer")?, add(&theirs, 99_002, "search")?))
}

fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|it| it == "--quick");
    let (files, count) = if quick { (1_000, 5) } else { (10_000, 30) };
    let target = generate::target_dir();
    let source = target.join("bench-workspace").join(format!("synthetic-{files}"));
    std::fs::create_dir_all(source.parent().context("a parent")?)?;
    generate::ensure(&source, files)?;
    let scratch = tempfile::tempdir()?;
    println!("workspace: {files} files");
    println!(
        "\n| file | size | lines | merge (engine, in process) median | p95 | `taskmark merge-driver` (process) median | p95 | conflicts |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for name in ["TODO.md", "state.json"] {
        let path = largest(&source, name)?;
        let base = std::fs::read_to_string(&path)?;
        let (ours, theirs) = if name == "TODO.md" { todo_sides(&base) } else { state_sides(&base)? };
        let relative = path.strip_prefix(&source)?.to_string_lossy().replace('\\', "/");
        let vocabularies = Vocabularies::default();
        let input = MergeInput {
            path: &relative,
            base: base.as_bytes(),
            ours: ours.as_bytes(),
            theirs: theirs.as_bytes(),
            vocabularies: &vocabularies,
            context: &[],
            markers: Markers::default(),
        };
        let outcome = merge(&input);
        if let Some(reason) = &outcome.fallback {
            bail!("{relative} was merged as plain lines: {reason}");
        }
        let mut engine = Vec::with_capacity(count);
        for _ in 0..count {
            let started = Instant::now();
            let it = merge(&input);
            engine.push(started.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(it);
        }
        let (base_file, ours_file, theirs_file) =
            (scratch.path().join("base"), scratch.path().join("ours"), scratch.path().join("theirs"));
        std::fs::write(&base_file, &base)?;
        std::fs::write(&theirs_file, &theirs)?;
        let mut process = Vec::with_capacity(count);
        for _ in 0..count + 2 {
            std::fs::write(&ours_file, &ours)?;
            let started = Instant::now();
            let output = Command::new(env!("CARGO_BIN_EXE_taskmark"))
                .current_dir(&source)
                .arg("merge-driver")
                .args([&base_file, &ours_file, &theirs_file])
                .arg(&relative)
                .output()?;
            process.push(started.elapsed().as_secs_f64() * 1e3);
            if output.status.code() != Some(i32::from(!outcome.resolved())) {
                bail!(
                    "taskmark merge-driver exited {:?}: {}",
                    output.status.code(),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
        // The first two runs warm the page cache.
        let process = &process[2..];
        println!(
            "| {relative} | {} KiB | {} | **{:.1} ms** | {:.1} ms | **{:.1} ms** | {:.1} ms | {} |",
            base.len() >> 10,
            base.lines().count(),
            measure::percentile(&engine, 50.0),
            measure::percentile(&engine, 95.0),
            measure::percentile(process, 50.0),
            measure::percentile(process, 95.0),
            outcome.conflicts,
        );
    }
    hostile(scratch.path(), &source)
}

/// The three sides of a hostile merge of `lines` lines: every line different on each side, or
/// the same few hundred lines in three orders (which defeats setting aside the lines only one
/// side has, so that only the cost limit bounds the diff).
fn hostile_sides(kind: &str, lines: usize) -> [String; 3] {
    let text = |line: &dyn Fn(usize) -> String| (0..lines).map(|it| line(it) + "\n").collect::<String>();
    if kind == "differing" {
        return ["base", "ours", "theirs"].map(|side| text(&|it| format!("{side} line {it}")));
    }
    let base = text(&|it| format!("- item {}", it % 1000));
    let ours = base.lines().rev().map(|it| format!("{it}\n")).collect();
    [base, ours, text(&|it| format!("- item {}", it * 7 % 1000))]
}

fn hostile(scratch: &Path, workspace: &Path) -> anyhow::Result<()> {
    println!(
        "\n| hostile input | lines per side | `taskmark merge-driver` | `git merge-file` | conflicts | cost limit reached |"
    );
    println!("|---|---:|---:|---:|---:|---|");
    for (kind, lines) in [("differing", 20_000), ("differing", 50_000), ("differing", 100_000), ("reordered", 100_000)]
    {
        let [base, ours, theirs] = hostile_sides(kind, lines);
        let files = ["base", "ours", "theirs"].map(|name| scratch.join(name));
        for (file, text) in files.iter().zip([&base, &ours, &theirs]) {
            std::fs::write(file, text)?;
        }
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_taskmark"))
            .current_dir(workspace)
            .arg("merge-driver")
            .args(&files)
            .arg("specs/TODO.md")
            .output()?;
        let driver = started.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() != Some(1) {
            bail!("taskmark merge-driver exited {:?} on {kind} lines: {stderr}", output.status.code());
        }
        let merged = std::fs::read_to_string(&files[1])?;
        // Git's own merge of the same files, for comparison (it exits with the number of
        // conflicts, or above 127 on an error).
        std::fs::write(scratch.join("git-ours"), &ours)?;
        let started = Instant::now();
        let git_output = Command::new("git")
            .args(["merge-file", "-p"])
            .arg(scratch.join("git-ours"))
            .arg(&files[0])
            .arg(&files[2])
            .output()
            .context("git merge-file runs")?;
        let git_time = started.elapsed().as_secs_f64();
        if git_output.status.code().is_none_or(|it| it > 127) {
            bail!("git merge-file failed: {}", String::from_utf8_lossy(&git_output.stderr));
        }
        println!(
            "| {kind} | {lines} | **{driver:.2} s** | {git_time:.2} s | {} | {} |",
            merged.lines().filter(|it| it.starts_with("<<<<<<<")).count(),
            if stderr.contains("cost limit") { "yes" } else { "no" },
        );
    }
    Ok(())
}
