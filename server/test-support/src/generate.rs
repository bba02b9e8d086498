//! A deterministic synthetic workspace shaped like the trackers of `formats.md`.
//!
//! The shapes follow the real files of the corpus (spec-folder TODO.md, state.json and plans,
//! minsky, Backlog.md, compozy, GitHub checklists, prose), at a scale no real repository in the
//! corpus reaches. A small rate of drift is injected so the rules have something to report, as
//! they do on real trackers.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Bumped by hand only for changes the source hash in the marker would not see.
const FORMAT: u32 = 1;
const SEED: u64 = 0x7a5c_6d61_726b_2025;
/// Chance that any one place which could drift does.
const DRIFT: f64 = 0.02;

/// What a generated workspace holds, as recorded in its marker.
#[derive(Debug, Clone, Copy)]
pub struct Generated {
    pub files: usize,
    pub bytes: u64,
    /// False when an earlier run's workspace was reused.
    pub fresh: bool,
}

/// Makes sure `dir` holds the workspace of `files` files, regenerating it unless the marker beside
/// it says it was made by this generator with the same parameters.
pub fn ensure(dir: &Path, files: usize) -> io::Result<Generated> {
    ensure_shaped(dir, files, Shape::Mixed)
}

/// Makes sure `dir` holds a task-dense workspace of `files` files: a handful of spec-folder
/// trackers holding almost every file, so that their TODO.md and state.json files are very large
/// (about a task per two files: 2,500 tasks at 5,000 files, 25,000 at 50,000), as in a monorepo
/// that keeps every agent session's specs.
pub fn ensure_dense(dir: &Path, files: usize) -> io::Result<Generated> {
    ensure_shaped(dir, files, Shape::Dense)
}

/// Makes sure `dir` holds one spec-folder tracker of `files` files: its TODO.md grows with it
/// (about 1 MB at 2,600 files), for the keystroke benchmark.
pub fn ensure_tracker(dir: &Path, files: usize) -> io::Result<Generated> {
    ensure_shaped(dir, files, Shape::OneTracker)
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    /// Every family, as a monorepo might hold them.
    Mixed,
    OneTracker,
    /// A handful of very large spec-folder trackers.
    Dense,
}

fn ensure_shaped(dir: &Path, files: usize, shape: Shape) -> io::Result<Generated> {
    let marker = dir.with_extension("marker");
    let key = format!("{}shape={shape:?}\n", marker_key(files));
    if dir.is_dir()
        && let Ok(text) = fs::read_to_string(&marker)
        && let Some(bytes) =
            text.strip_prefix(&key).and_then(|rest| rest.trim().strip_prefix("bytes=")).and_then(|it| it.parse().ok())
    {
        return Ok(Generated { files, bytes, fresh: false });
    }
    // A workspace is only trusted once its marker is written, so a half-written one from an
    // interrupted run is thrown away.
    match fs::remove_file(&marker) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let staging = dir.with_extension("partial");
    for stale in [dir, staging.as_path()] {
        if stale.exists() {
            fs::remove_dir_all(stale)?;
        }
    }
    let mut writer = Writer { root: staging.clone(), files: 0, bytes: 0, limit: files };
    match shape {
        Shape::Mixed => populate(&mut writer, &mut Rng::new(SEED))?,
        Shape::OneTracker => spec_tracker(&mut writer, &mut Rng::new(SEED), "specs", files, true)?,
        Shape::Dense => dense(&mut writer, &mut Rng::new(SEED))?,
    }
    fs::rename(&staging, dir)?;
    fs::write(&marker, format!("{key}bytes={}\n", writer.bytes))?;
    Ok(Generated { files: writer.files, bytes: writer.bytes, fresh: true })
}

/// Identifies the generator: any edit to this file changes the hash and so invalidates old
/// workspaces.
fn marker_key(files: usize) -> String {
    let source = include_str!("generate.rs");
    let hash = source
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3));
    format!("taskmark synthetic workspace\nformat={FORMAT}\nsource={hash:016x}\nseed={SEED:#x}\nfiles={files}\n")
}

/// Splits the file budget between the families, roughly in the proportions a monorepo using all
/// of them might have; prose fills whatever is left so the count is exact.
fn populate(w: &mut Writer, rng: &mut Rng) -> io::Result<()> {
    let total = w.limit;
    let share = |fraction: f64| (total as f64 * fraction) as usize;
    let scaled = |count: f64| ((count * total as f64 / 10_000.0).round() as usize).max(1);

    let spec_trackers = scaled(6.0);
    for k in 0..spec_trackers {
        // Older trees keep the folder under `.opencode/`.
        let base = if k % 3 == 2 { format!("proj-{k}/.opencode/specs") } else { format!("proj-{k}/specs") };
        spec_tracker(w, rng, &base, share(0.58) / spec_trackers, k % 2 == 0)?;
    }
    let minsky = scaled(2.0);
    for k in 0..minsky {
        minsky_tracker(w, rng, &format!("tools-{k}/process"), share(0.08) / minsky)?;
    }
    let backlogs = scaled(2.0);
    for k in 0..backlogs {
        backlog_tracker(w, rng, &format!("web-{k}/backlog"), share(0.08) / backlogs)?;
    }
    let compozy_budget = w.files + share(0.07);
    let mut prd = 0;
    while w.files + 16 <= compozy_budget {
        let name = slug(&title(rng), '-');
        compozy_prd(w, rng, &format!("apps/app-{}/tasks/prd-{name}", prd % 7))?;
        prd += 1;
    }
    let checklists = share(0.04);
    for k in 0..checklists {
        w.put(&format!("packages/pkg-{k:03}/TODO.md"), &checklist(rng))?;
    }
    let mut doc = 0;
    while w.files < w.limit {
        let area = AREAS[doc % AREAS.len()];
        w.put(&format!("docs/{area}/{:03}-{}.md", doc / AREAS.len(), slug(&title(rng), '-')), &prose_doc(rng))?;
        doc += 1;
    }
    Ok(())
}

/// Four spec-folder trackers share all but a few files; prose fills the rest.
fn dense(w: &mut Writer, rng: &mut Rng) -> io::Result<()> {
    const TRACKERS: usize = 4;
    let budget = w.limit.saturating_sub(TRACKERS * 8) / TRACKERS;
    for k in 0..TRACKERS {
        let base = if k % 2 == 1 { format!("proj-{k}/.opencode/specs") } else { format!("proj-{k}/specs") };
        spec_tracker(w, rng, &base, budget, k % 2 == 0)?;
    }
    let mut doc = 0;
    while w.files < w.limit {
        let area = AREAS[doc % AREAS.len()];
        w.put(&format!("docs/{area}/{:03}-{}.md", doc / AREAS.len(), slug(&title(rng), '-')), &prose_doc(rng))?;
        doc += 1;
    }
    Ok(())
}

struct Writer {
    root: PathBuf,
    files: usize,
    bytes: u64,
    limit: usize,
}

impl Writer {
    fn put(&mut self, relative: &str, text: &str) -> io::Result<()> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, text)?;
        self.files += 1;
        self.bytes += text.len() as u64;
        Ok(())
    }
}

/// splitmix64: tiny, fast, and stable across platforms and releases, unlike `rand`'s
/// generators, so the workspace is the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    fn range(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low + 1) as u64) as usize
    }

    fn chance(&mut self, probability: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < probability
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() - 1)]
    }

    fn word(&mut self, words: &[&'static str]) -> &'static str {
        words[self.range(0, words.len() - 1)]
    }

    /// Picks by weight from `(item, weight)` pairs.
    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|it| it.1).sum();
        let mut roll = self.range(0, total as usize - 1) as u32;
        for (item, weight) in items {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        items[items.len() - 1].0
    }
}

/// A text being built line by line.
#[derive(Default)]
struct Doc(String);

impl Doc {
    fn line(&mut self, line: impl AsRef<str>) {
        self.0.push_str(line.as_ref());
        self.0.push('\n');
    }

    fn blank(&mut self) {
        self.0.push('\n');
    }

    fn paragraph(&mut self, rng: &mut Rng, fewest: usize, most: usize) {
        self.line(paragraph(rng, fewest, most));
        self.blank();
    }
}

const VERBS: &[&str] = &[
    "Add",
    "Fix",
    "Refactor",
    "Implement",
    "Document",
    "Remove",
    "Migrate",
    "Unify",
    "Standardize",
    "Investigate",
    "Improve",
    "Replace",
    "Split",
    "Extend",
    "Validate",
    "Optimize",
    "Prove",
    "Sync",
    "Restructure",
    "Harden",
];
const ADJECTIVES: &[&str] = &[
    "incremental",
    "canonical",
    "missing",
    "stale",
    "parallel",
    "remote",
    "finite",
    "modal",
    "legacy",
    "typed",
    "lazy",
    "strict",
    "partial",
    "nested",
    "cached",
    "atomic",
    "temporal",
    "semantic",
    "verbose",
    "silent",
];
const NOUNS: &[&str] = &[
    "parser",
    "workflow",
    "command",
    "orchestrator",
    "lemma",
    "history",
    "session",
    "repository",
    "backend",
    "index",
    "plan",
    "report",
    "status marker",
    "frontmatter",
    "migration",
    "checkpoint",
    "delegation",
    "cache",
    "renderer",
    "config loader",
    "task list",
    "state file",
    "test suite",
    "proof",
    "extension",
    "diagram",
    "glossary",
    "timestamp",
    "dependency graph",
    "artifact",
    "model",
    "theorem",
    "hook",
    "template",
    "router",
];
const CLAUSES: &[&str] = &[
    "keeps the existing behaviour for callers that do not opt in",
    "removes a class of silent failures seen in the last release",
    "lets the next phase build on a verified foundation",
    "avoids a second pass over the whole tree",
    "matches what the documentation already promises",
    "is required before the release can be cut",
    "was flagged during the last review as a risk",
    "reduces the number of places that must be kept in sync",
    "makes the failure visible instead of logging and continuing",
    "unblocks the work on the remaining bridge lemmas",
];
const LANGUAGES: &[&str] = &["lean", "meta", "markdown", "general", "latex", "python"];
const PRIORITIES: &[&str] = &["High", "Medium", "Low"];
const AREAS: &[&str] = &["architecture", "guides", "reference", "adr", "runbooks", "notes"];
const FILE_STEMS: &[&str] =
    &["core", "status_sync", "workflow", "plan_parser", "router", "state", "index", "cli", "render", "model"];
const EXTENSIONS: &[&str] = &["rs", "ts", "lean", "md", "py"];

fn title(rng: &mut Rng) -> String {
    let verb = rng.word(VERBS);
    let adjective = rng.word(ADJECTIVES);
    let noun = rng.word(NOUNS);
    match rng.range(0, 2) {
        0 => format!("{verb} {adjective} {noun}"),
        1 => format!("{verb} {noun} for {adjective} {}", rng.word(NOUNS)),
        _ => format!("{verb} {adjective} {noun} in {}", rng.word(NOUNS)),
    }
}

fn slug(title: &str, separator: char) -> String {
    title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { separator })
        .collect::<String>()
        .split(separator)
        .filter(|it| !it.is_empty())
        .collect::<Vec<_>>()
        .join(&separator.to_string())
}

fn sentence(rng: &mut Rng) -> String {
    let (a, b, c) = (rng.word(ADJECTIVES), rng.word(NOUNS), rng.word(NOUNS));
    match rng.range(0, 4) {
        0 => format!("The {a} {b} now delegates to the {c}, which {}.", rng.word(CLAUSES)),
        1 => format!("Updating the {b} before the {c} {}.", rng.word(CLAUSES)),
        2 => format!("We keep `{}` as the single source of truth for the {a} {b}.", file_path(rng)),
        3 => format!(
            "Research found that the {b} and the {c} disagree in {} places; fixing it {}.",
            rng.range(2, 40),
            rng.word(CLAUSES)
        ),
        _ => {
            format!("A {a} {b} is cheaper to review than a {} {c}, and it {}.", rng.word(ADJECTIVES), rng.word(CLAUSES))
        }
    }
}

/// Between `fewest` and `most` sentences.
fn paragraph(rng: &mut Rng, fewest: usize, most: usize) -> String {
    let sentences = rng.range(fewest, most);
    (0..sentences).map(|_| sentence(rng)).collect::<Vec<_>>().join(" ")
}

fn file_path(rng: &mut Rng) -> String {
    let (dir, stem, ext) = (rng.word(NOUNS).replace(' ', "_"), rng.word(FILE_STEMS), rng.word(EXTENSIONS));
    format!("src/{dir}/{stem}.{ext}")
}

/// Days since 2024-01-01 as a calendar date.
fn date(day: usize) -> String {
    let (mut year, mut day) = (2024, day);
    loop {
        let length = if year % 4 == 0 { 366 } else { 365 };
        if day < length {
            break;
        }
        day -= length;
        year += 1;
    }
    let february = if year % 4 == 0 { 29 } else { 28 };
    let mut month = 1;
    for length in [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] {
        if day < length {
            break;
        }
        day -= length;
        month += 1;
    }
    format!("{year}-{month:02}-{:02}", day + 1)
}

/// Some time during office hours of a day, so that timestamps of different days keep their
/// order.
fn timestamp(rng: &mut Rng, day: usize) -> String {
    instant(day * MINUTES_PER_DAY + rng.range(8 * 60, 18 * 60))
}

const MINUTES_PER_DAY: usize = 24 * 60;

/// Minutes since 2024-01-01 as an ISO 8601 UTC timestamp.
fn instant(minutes: usize) -> String {
    let time = minutes % MINUTES_PER_DAY;
    format!("{}T{:02}:{:02}:00Z", date(minutes / MINUTES_PER_DAY), time / 60, time % 60)
}

/// Marker spellings users get wrong in real files.
fn misspelled(rng: &mut Rng, marker: &str) -> String {
    match rng.range(0, 3) {
        0 if marker.len() > 4 => marker[..marker.len() - 1].to_string(),
        1 => format!(" {marker} "),
        2 => marker.to_ascii_lowercase(),
        _ => rng.word(&["IN PROGRES", "COMPLETE", "NOT STARTD", "DONE", "IMPLEMENTED"]).to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    NotStarted,
    Researching,
    Researched,
    Planning,
    Planned,
    Implementing,
    Partial,
    Blocked,
    Abandoned,
    Completed,
}

impl Status {
    const ALL: [Status; 10] = [
        Status::NotStarted,
        Status::Researching,
        Status::Researched,
        Status::Planning,
        Status::Planned,
        Status::Implementing,
        Status::Partial,
        Status::Blocked,
        Status::Abandoned,
        Status::Completed,
    ];

    fn marker(self) -> &'static str {
        match self {
            Status::NotStarted => "NOT STARTED",
            Status::Researching => "RESEARCHING",
            Status::Researched => "RESEARCHED",
            Status::Planning => "PLANNING",
            Status::Planned => "PLANNED",
            Status::Implementing => "IMPLEMENTING",
            Status::Partial => "PARTIAL",
            Status::Blocked => "BLOCKED",
            Status::Abandoned => "ABANDONED",
            Status::Completed => "COMPLETED",
        }
    }

    fn json(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::Researching => "researching",
            Status::Researched => "researched",
            Status::Planning => "planning",
            Status::Planned => "planned",
            Status::Implementing => "implementing",
            Status::Partial => "partial",
            Status::Blocked => "blocked",
            Status::Abandoned => "abandoned",
            Status::Completed => "completed",
        }
    }

    fn is_closed(self) -> bool {
        matches!(self, Status::Completed | Status::Abandoned)
    }

    fn has_report(self) -> bool {
        !matches!(self, Status::NotStarted | Status::Researching)
    }

    fn has_plan(self) -> bool {
        matches!(self, Status::Planned | Status::Implementing | Status::Partial | Status::Completed | Status::Blocked)
    }
}

/// One spec-folder task, decided before any of its files is written so that TODO.md, state.json
/// and the plans can agree (or, with drift, disagree) about it.
struct SpecTask {
    /// `specs` or `.opencode/specs`.
    specs: &'static str,
    number: usize,
    title: String,
    slug: String,
    status: Status,
    priority: &'static str,
    language: &'static str,
    effort: String,
    description: String,
    created: usize,
    /// Days after `created` of research, planning, start and completion.
    milestones: [usize; 4],
    dependencies: Vec<usize>,
    plans: usize,
    report: bool,
    summary: bool,
    drift: Drift,
}

/// Which kinds of drift one task carries.
#[derive(Default)]
struct Drift {
    state_status: Option<Status>,
    todo_typo: bool,
    stale_plan_header: bool,
    unchecked_boxes: bool,
    phase_typo: bool,
    missing_completed: bool,
    broken_link: bool,
    reversed_timestamps: bool,
}

impl SpecTask {
    /// `earlier` are recent tasks, by number and status, that this one may depend on.
    fn new(rng: &mut Rng, specs: &'static str, number: usize, earlier: &[(usize, Status)]) -> SpecTask {
        let status = rng.weighted(&[
            (Status::Completed, 46),
            (Status::NotStarted, 15),
            (Status::Researched, 8),
            (Status::Planned, 8),
            (Status::Implementing, 7),
            (Status::Blocked, 5),
            (Status::Abandoned, 4),
            (Status::Partial, 3),
            (Status::Researching, 2),
            (Status::Planning, 2),
        ]);
        let title = title(rng);
        let slug = slug(&title, '_');
        // Work only starts once what it depends on is done, except where drift says otherwise.
        let ready: Vec<usize> = earlier
            .iter()
            .filter(|(_, it)| status == Status::NotStarted || *it == Status::Completed || rng.chance(DRIFT))
            .map(|(number, _)| *number)
            .collect();
        let mut dependencies = Vec::new();
        if !ready.is_empty() && rng.chance(0.4) {
            dependencies = (0..rng.range(1, 3)).map(|_| *rng.pick(&ready)).collect();
            dependencies.sort_unstable();
            dependencies.dedup();
        }
        let mut drift = Drift::default();
        if rng.chance(DRIFT) {
            drift.state_status = Some(*rng.pick(&Status::ALL)).filter(|it| *it != status);
        }
        drift.todo_typo = rng.chance(DRIFT / 2.0);
        drift.stale_plan_header = status == Status::Completed && rng.chance(DRIFT);
        drift.unchecked_boxes = rng.chance(DRIFT);
        drift.phase_typo = rng.chance(DRIFT / 2.0);
        drift.missing_completed = status == Status::Completed && rng.chance(DRIFT / 2.0);
        drift.broken_link = rng.chance(DRIFT / 4.0);
        drift.reversed_timestamps = rng.chance(DRIFT / 4.0);
        let mut milestones = [0; 4];
        let mut day = 0;
        // At least two days apart, so the phases, which take under two days in all, finish
        // before the task does.
        for slot in &mut milestones {
            day += rng.range(2, 6);
            *slot = day;
        }
        SpecTask {
            specs,
            number,
            title,
            slug,
            status,
            priority: rng.word(PRIORITIES),
            language: rng.word(LANGUAGES),
            effort: format!("{}-{} hours", rng.range(1, 4), rng.range(5, 9)),
            description: paragraph(rng, 2, 5),
            created: rng.range(300, 700),
            milestones,
            dependencies,
            plans: if status.has_plan() { rng.weighted(&[(1, 70), (2, 22), (3, 8)]) } else { 0 },
            report: status.has_report(),
            summary: status.has_plan() && rng.chance(0.8),
            drift,
        }
    }

    /// The task folder relative to the repository, the form real TODO.md links use.
    fn folder(&self) -> String {
        format!("{}/{}_{}", self.specs, self.number, self.slug)
    }

    fn day(&self, milestone: usize) -> usize {
        self.created + self.milestones[milestone]
    }
}

fn spec_tracker(w: &mut Writer, rng: &mut Rng, base: &str, budget: usize, task_order: bool) -> io::Result<()> {
    let start = w.files;
    let mut tasks: Vec<SpecTask> = Vec::new();
    let mut number = rng.range(120, 420);
    // Leaves room for TODO.md and state.json, and for the largest task (three plans, a report,
    // a summary and a task state file).
    while w.files - start + 6 + 2 <= budget {
        let earlier: Vec<(usize, Status)> = tasks.iter().rev().take(30).map(|it| (it.number, it.status)).collect();
        let specs = if base.ends_with(".opencode/specs") { ".opencode/specs" } else { "specs" };
        let task = SpecTask::new(rng, specs, number, &earlier);
        let folder = format!("{base}/{}_{}", task.number, task.slug);
        for version in 1..=task.plans {
            w.put(&format!("{folder}/plans/implementation-{version:03}.md"), &plan(rng, &task, version))?;
        }
        if task.report {
            w.put(&format!("{folder}/reports/research-001.md"), &report(rng, &task))?;
        }
        if task.summary {
            w.put(
                &format!("{folder}/summaries/implementation-summary-{}.md", date(task.day(3)).replace('-', "")),
                &summary(rng, &task),
            )?;
        }
        if task.plans > 0 && rng.chance(0.1) {
            w.put(&format!("{folder}/state.json"), &task_state(&task))?;
        }
        tasks.push(task);
        number += if rng.chance(0.1) { rng.range(2, 4) } else { 1 };
    }
    w.put(&format!("{base}/TODO.md"), &todo(rng, &tasks, task_order))?;
    w.put(&format!("{base}/state.json"), &state_json(rng, &tasks))
}

fn todo(rng: &mut Rng, tasks: &[SpecTask], task_order: bool) -> String {
    let mut markers: Vec<String> = Vec::with_capacity(tasks.len());
    for task in tasks {
        let marker = task.status.marker();
        markers.push(if task.drift.todo_typo { misspelled(rng, marker) } else { marker.to_string() });
    }
    let count = |status: Status| tasks.iter().filter(|it| it.status == status).count();
    let next = tasks.last().map_or(1, |it| it.number + 1);
    let mut doc = Doc::default();
    doc.line("---");
    // One tracker in fifty lets its counters fall behind, as real ones do.
    let stale = usize::from(rng.chance(DRIFT));
    doc.line(format!("next_project_number: {}", next - stale));
    doc.line("task_counts:");
    doc.line(format!("  active: {}", tasks.iter().filter(|it| !it.status.is_closed()).count() + stale));
    doc.line(format!("  completed: {}", count(Status::Completed)));
    doc.line(format!("  not_started: {}", count(Status::NotStarted)));
    doc.line(format!("  abandoned: {}", count(Status::Abandoned)));
    doc.line(format!("  total: {}", tasks.len()));
    doc.line("---");
    doc.blank();
    doc.line("# TODO");
    doc.blank();
    if task_order {
        doc.line("## Task Order");
        doc.blank();
        doc.line("*Updated by the planner; open tasks only.*");
        doc.blank();
        for (task, marker) in tasks.iter().zip(&markers).rev().filter(|(it, _)| !it.status.is_closed()) {
            doc.line(format!("- **{}** [{marker}] — {}", task.number, task.title));
        }
        doc.blank();
    }
    for priority in PRIORITIES {
        doc.line(format!("## {priority} Priority"));
        doc.blank();
        for (task, marker) in tasks.iter().zip(&markers).rev().filter(|(it, _)| it.priority == *priority) {
            todo_section(rng, &mut doc, task, marker);
        }
    }
    doc.0
}

fn todo_section(rng: &mut Rng, doc: &mut Doc, task: &SpecTask, marker: &str) {
    let done = if task.status == Status::Completed && rng.chance(0.3) { "✓ " } else { "" };
    doc.line(format!("### {done}{}. {}", task.number, task.title));
    doc.line(format!("- **Effort**: {}", task.effort));
    doc.line(format!("- **Status**: [{marker}]"));
    doc.line(format!("- **Priority**: {}", task.priority));
    doc.line(format!("- **Language**: {}", task.language));
    doc.line(format!("- **Created**: {}", date(task.created)));
    let status = task.status;
    if task.report {
        doc.line(format!("- **Researched**: {}", date(task.day(0))));
    }
    if task.plans > 0 {
        doc.line(format!("- **Planned**: {}", date(task.day(1))));
    }
    if matches!(status, Status::Implementing | Status::Partial | Status::Completed) {
        doc.line(format!("- **Started**: {}", date(task.day(2))));
    }
    match status {
        Status::Completed if !task.drift.missing_completed => {
            doc.line(format!("- **Completed**: {}", date(task.day(3))))
        }
        Status::Blocked => {
            doc.line(format!("- **Blocked**: {}", date(task.day(2))));
            doc.line(format!("- **Blocking Reason**: waiting for the {} to land", rng.word(NOUNS)));
        }
        Status::Abandoned => {
            doc.line(format!("- **Abandoned**: {}", date(task.day(2))));
            doc.line(format!("- **Abandonment Reason**: superseded by the {} rewrite", rng.word(NOUNS)));
        }
        _ => {}
    }
    if !task.dependencies.is_empty() {
        let list: Vec<String> = task.dependencies.iter().map(usize::to_string).collect();
        doc.line(format!("- **Dependencies**: {}", list.join(", ")));
    }
    let folder = task.folder();
    if task.report {
        doc.line(format!("- **Research**: [research-001.md]({folder}/reports/research-001.md)"));
    }
    if task.plans > 0 {
        let version = task.plans + usize::from(task.drift.broken_link);
        doc.line(format!(
            "- **Plan**: [implementation-{version:03}.md]({folder}/plans/implementation-{version:03}.md)"
        ));
    }
    doc.blank();
    doc.line(format!("**Description**: {}", task.description));
    doc.blank();
    if task.status == Status::Completed && rng.chance(0.4) {
        doc.line("**Files Modified**:");
        for _ in 0..rng.range(2, 6) {
            doc.line(format!("- `{}` - Updated {} references", file_path(rng), rng.range(1, 14)));
        }
        doc.blank();
    }
    doc.line("---");
    doc.blank();
}

fn state_json(rng: &mut Rng, tasks: &[SpecTask]) -> String {
    let entry = |rng: &mut Rng, task: &SpecTask| -> String {
        let status = task.drift.state_status.unwrap_or(task.status);
        let mut fields = vec![
            format!("\"project_number\": {}", task.number),
            format!("\"project_name\": \"{}\"", task.slug),
            format!("\"type\": \"{}\"", rng.word(&["feature", "refactor", "bugfix", "research"])),
            format!("\"status\": \"{}\"", status.json()),
            format!("\"priority\": \"{}\"", task.priority.to_ascii_lowercase()),
            format!("\"language\": \"{}\"", task.language),
            format!("\"created\": \"{}\"", timestamp(rng, task.created)),
            format!("\"last_updated\": \"{}\"", timestamp(rng, task.day(3))),
            format!("\"effort\": \"{}\"", task.effort),
            // Generated prose holds no quotes or backslashes, only backticks JSON has no use for.
            format!("\"description\": \"{}\"", task.description.replace('`', "")),
        ];
        if task.report {
            fields.push(format!("\"researched\": \"{}\"", timestamp(rng, task.day(0))));
        }
        if task.plans > 0 {
            fields.push(format!("\"planned\": \"{}\"", timestamp(rng, task.day(1))));
            fields.push(format!("\"plan_path\": \"{}/plans/implementation-{:03}.md\"", task.folder(), task.plans));
        }
        if status == Status::Completed {
            fields.push(format!("\"completed\": \"{}\"", timestamp(rng, task.day(3))));
        }
        if !task.dependencies.is_empty() {
            let list: Vec<String> = task.dependencies.iter().map(usize::to_string).collect();
            fields.push(format!("\"dependencies\": [{}]", list.join(", ")));
        }
        let mut artifacts = Vec::new();
        if task.report {
            artifacts
                .push(format!("{{\"path\": \"{}/reports/research-001.md\", \"type\": \"research\"}}", task.folder()));
        }
        for version in 1..=task.plans {
            artifacts.push(format!(
                "{{\"path\": \"{}/plans/implementation-{version:03}.md\", \"type\": \"plan\"}}",
                task.folder()
            ));
        }
        if !artifacts.is_empty() {
            fields.push(format!("\"artifacts\": [\n        {}\n      ]", artifacts.join(",\n        ")));
        }
        format!("    {{\n      {}\n    }}", fields.join(",\n      "))
    };
    // Older completed work has moved to `completed_projects`; recent work stays active.
    let split = tasks.len() / 3;
    let (old, recent) = tasks.split_at(split);
    let active: Vec<String> = recent.iter().rev().map(|task| entry(rng, task)).collect();
    let completed: Vec<String> = old.iter().filter(|it| it.status.is_closed()).map(|task| entry(rng, task)).collect();
    let old_open: Vec<String> = old.iter().filter(|it| !it.status.is_closed()).map(|task| entry(rng, task)).collect();
    let active = [active, old_open].concat();
    let next = tasks.last().map_or(1, |it| it.number + 1);
    format!(
        "{{\n  \"metadata\": {{\n    \"generated_at\": \"{}\",\n    \"total_tasks\": {}\n  }},\n  \"next_project_number\": {next},\n  \"active_projects\": [\n{}\n  ],\n  \"completed_projects\": [\n{}\n  ]\n}}\n",
        timestamp(rng, 720),
        tasks.len(),
        active.join(",\n"),
        completed.join(",\n"),
    )
}

fn task_state(task: &SpecTask) -> String {
    format!(
        "{{\n  \"project_number\": {},\n  \"project_name\": \"{}\",\n  \"status\": \"{}\",\n  \"plan_path\": \"{}/plans/implementation-{:03}.md\"\n}}\n",
        task.number,
        task.slug,
        task.status.json(),
        task.folder(),
        task.plans
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    NotStarted,
    InProgress,
    Blocked,
    Partial,
    Completed,
}

impl Phase {
    fn marker(self) -> &'static str {
        match self {
            Phase::NotStarted => "NOT STARTED",
            Phase::InProgress => "IN PROGRESS",
            Phase::Blocked => "BLOCKED",
            Phase::Partial => "PARTIAL",
            Phase::Completed => "COMPLETED",
        }
    }
}

/// The phases of a plan, consistent with its task's status; only the latest plan is current,
/// earlier ones were superseded before any work happened.
fn phases(rng: &mut Rng, task: &SpecTask, current: bool) -> Vec<Phase> {
    let count = rng.range(4, 7);
    let done = match (current, task.status) {
        (false, _) => 0,
        (true, Status::Completed) => count,
        (true, Status::Implementing | Status::Partial | Status::Blocked) => rng.range(0, count - 1),
        _ => 0,
    };
    (0..count)
        .map(|k| match k.cmp(&done) {
            std::cmp::Ordering::Less => Phase::Completed,
            std::cmp::Ordering::Equal if current => match task.status {
                Status::Implementing => Phase::InProgress,
                Status::Partial => Phase::Partial,
                Status::Blocked => Phase::Blocked,
                _ => Phase::NotStarted,
            },
            _ => Phase::NotStarted,
        })
        .collect()
}

fn plan(rng: &mut Rng, task: &SpecTask, version: usize) -> String {
    let current = version == task.plans;
    let header = match (current, task.status) {
        (false, _) => "REVISED",
        (true, Status::Completed) if task.drift.stale_plan_header => "NOT STARTED",
        (true, Status::Implementing) => "IMPLEMENTING",
        (true, status @ (Status::Completed | Status::Partial | Status::Blocked)) => status.marker(),
        _ => "NOT STARTED",
    };
    let mut doc = Doc::default();
    doc.line(format!("# Implementation Plan: Task #{}", task.number));
    doc.blank();
    if rng.chance(0.5) {
        doc.line(format!("- **Task**: {} - {}", task.number, task.slug));
    } else {
        doc.line(format!("- **Task Number**: {}", task.number));
    }
    doc.line(format!("- **Status**: [{header}]"));
    doc.line(format!("- **Effort**: {}", task.effort));
    doc.line(format!("- **Priority**: {}", task.priority));
    doc.line(format!("- **Research Inputs**: {}/reports/research-001.md", task.folder()));
    doc.line(format!("- **Artifacts**: plans/implementation-{version:03}.md (this file)"));
    doc.line("- **Standards**: plan-format.md, status-markers.md, artifact-management.md, tasks.md");
    doc.line(format!("- **Type**: {}", task.language));
    doc.line(format!("- **Created**: {}", date(task.day(1))));
    doc.blank();
    doc.line("## Overview");
    doc.blank();
    doc.paragraph(rng, 3, 6);
    doc.line("### Research Integration");
    doc.blank();
    for _ in 0..rng.range(3, 5) {
        doc.line(format!("- **{} {}**: {}", rng.range(2, 40), rng.word(NOUNS), sentence(rng)));
    }
    doc.blank();
    doc.line("## Goals & Non-Goals");
    doc.blank();
    doc.line("**Goals**:");
    for _ in 0..rng.range(3, 5) {
        doc.line(format!("- {}", title(rng)));
    }
    doc.blank();
    doc.line("**Non-Goals**:");
    for _ in 0..rng.range(2, 3) {
        doc.line(format!("- {}", title(rng)));
    }
    doc.blank();
    doc.line("## Risks & Mitigations");
    doc.blank();
    doc.line("| Risk | Impact | Likelihood | Mitigation |");
    doc.line("|------|--------|------------|------------|");
    for _ in 0..rng.range(2, 4) {
        let (impact, likelihood) = (rng.word(PRIORITIES), rng.word(PRIORITIES));
        doc.line(format!("| {} | {impact} | {likelihood} | {} |", title(rng), sentence(rng)));
    }
    doc.blank();
    doc.line("## Implementation Phases");
    doc.blank();
    let phases = phases(rng, task, current);
    let typo_at = task.drift.phase_typo.then(|| rng.range(0, phases.len() - 1));
    let unchecked_at = task.drift.unchecked_boxes.then(|| rng.range(0, phases.len() - 1));
    let mut clock = task.day(2) * MINUTES_PER_DAY + 9 * 60;
    for (k, phase) in phases.iter().enumerate() {
        let marker = if typo_at == Some(k) { misspelled(rng, phase.marker()) } else { phase.marker().to_string() };
        doc.line(format!("### Phase {}: {} [{marker}]", k + 1, title(rng)));
        if *phase != Phase::NotStarted {
            let started = clock;
            clock += rng.range(20, 240);
            if rng.chance(0.8) {
                doc.line(format!("- **Started**: {}", instant(started)));
            } else {
                doc.line(format!("**Started**: {}", date(started / MINUTES_PER_DAY)));
            }
            if *phase == Phase::Completed {
                let completed = if task.drift.reversed_timestamps { started - rng.range(60, 600) } else { clock };
                doc.line(format!("- **Completed**: {}", instant(completed)));
            }
            clock += rng.range(5, 120);
        }
        doc.blank();
        doc.line(format!("**Goal**: {}", sentence(rng)));
        doc.blank();
        doc.line("**Tasks**:");
        let checked = *phase == Phase::Completed && unchecked_at != Some(k);
        for item in 0..rng.range(4, 8) {
            let mark = if checked || (*phase == Phase::InProgress && item < 2) { 'x' } else { ' ' };
            doc.line(format!("- [{mark}] {} in `{}`", title(rng), file_path(rng)));
        }
        doc.blank();
        doc.line(format!("**Timing**: {} minutes", rng.range(2, 12) * 15));
        doc.blank();
        doc.line("**Files to modify**:");
        for _ in 0..rng.range(1, 3) {
            doc.line(format!("- `{}` (line ~{})", file_path(rng), rng.range(10, 4000)));
        }
        doc.blank();
        doc.line("**Verification**:");
        for _ in 0..rng.range(2, 3) {
            doc.line(format!("- {}", sentence(rng)));
        }
        doc.blank();
        doc.line("---");
        doc.blank();
    }
    doc.line("## Testing & Validation");
    doc.blank();
    for _ in 0..rng.range(3, 5) {
        let mark = if task.status == Status::Completed && current { 'x' } else { ' ' };
        doc.line(format!("- [{mark}] {}", sentence(rng)));
    }
    doc.blank();
    doc.line("## Rollback/Contingency");
    doc.blank();
    doc.paragraph(rng, 2, 2);
    doc.0
}

fn report(rng: &mut Rng, task: &SpecTask) -> String {
    let mut doc = Doc::default();
    doc.line(format!("# Research Report: Task #{}", task.number));
    doc.blank();
    doc.line(format!("**Task**: {} - {}", task.number, task.title));
    doc.line(format!("**Started**: {}", timestamp(rng, task.created)));
    doc.line(format!("**Completed**: {}", timestamp(rng, task.day(0))));
    doc.line(format!("**Sources/Inputs**: {}, {}", file_path(rng), file_path(rng)));
    doc.blank();
    doc.line("## Executive Summary");
    doc.blank();
    for _ in 0..rng.range(3, 5) {
        doc.line(format!("- {}", sentence(rng)));
    }
    doc.blank();
    for _ in 0..rng.range(3, 6) {
        doc.line(format!("## {}", title(rng)));
        doc.blank();
        doc.paragraph(rng, 3, 6);
        if rng.chance(0.5) {
            doc.line(format!("```{}", rng.word(EXTENSIONS)));
            for _ in 0..rng.range(4, 12) {
                doc.line(format!(
                    "  {}({}, {})",
                    rng.word(FILE_STEMS),
                    rng.word(NOUNS).replace(' ', "_"),
                    rng.range(0, 99)
                ));
            }
            doc.line("```");
            doc.blank();
        }
        for _ in 0..rng.range(2, 4) {
            doc.line(format!("{}. {}", rng.range(1, 9), sentence(rng)));
        }
        doc.blank();
    }
    doc.line("## Recommendations");
    doc.blank();
    doc.paragraph(rng, 3, 3);
    doc.0
}

fn summary(rng: &mut Rng, task: &SpecTask) -> String {
    let mut doc = Doc::default();
    doc.line(format!("# Implementation Summary: Task #{}", task.number));
    doc.blank();
    doc.line(format!("**Completed**: {}", date(task.day(3))));
    doc.line(format!("**Plan**: implementation-{:03}.md", task.plans));
    doc.blank();
    doc.line("## Changes");
    doc.blank();
    for _ in 0..rng.range(3, 6) {
        doc.line(format!("- `{}`: {}", file_path(rng), sentence(rng)));
    }
    doc.blank();
    doc.line("## Outcome");
    doc.blank();
    doc.paragraph(rng, 2, 4);
    doc.0
}

const MINSKY_STATES: &[(char, &str, u32)] =
    &[(' ', "TODO", 20), ('+', "IN-PROGRESS", 5), ('-', "IN-REVIEW", 3), ('x', "DONE", 70), ('~', "BLOCKED", 2)];

fn minsky_tracker(w: &mut Writer, rng: &mut Rng, base: &str, budget: usize) -> io::Result<()> {
    let mut index = Doc::default();
    index.line("# Minsky Tasks");
    index.blank();
    for number in 1..budget {
        let state = rng.weighted(&MINSKY_STATES.iter().map(|it| ((it.0, it.1), it.2)).collect::<Vec<_>>());
        let title = title(rng);
        let path = format!("process/tasks/{number:03}-{}.md", slug(&title, '-'));
        let shown = if rng.chance(DRIFT) { rng.pick(MINSKY_STATES).0 } else { state.0 };
        index.line(format!("- [{shown}] {title} [#{number:03}]({path})"));
        index.blank();
        w.put(&format!("{}/{}", base.trim_end_matches("/process"), path), &minsky_spec(rng, number, &title, state.1))?;
    }
    w.put(&format!("{base}/tasks.md"), &index.0)
}

fn minsky_spec(rng: &mut Rng, number: usize, heading: &str, status: &str) -> String {
    let mut doc = Doc::default();
    if rng.chance(0.5) {
        doc.line(format!("# Task #{number:03}: {heading}"));
    } else {
        doc.line(format!("# {heading}"));
    }
    doc.blank();
    if rng.chance(0.4) {
        doc.line("## Status");
        doc.blank();
        if status == "BLOCKED" {
            doc.line(format!("**ON HOLD** - waiting for task #{:03}", rng.range(1, number.max(2))));
        } else {
            doc.line(status);
        }
        doc.blank();
    }
    doc.line("## Context");
    doc.blank();
    doc.paragraph(rng, 3, 5);
    doc.line("## Objective");
    doc.blank();
    doc.paragraph(rng, 2, 2);
    doc.line("## Requirements");
    doc.blank();
    for k in 1..=rng.range(2, 4) {
        doc.line(format!("{k}.  **{}:**", title(rng)));
        doc.blank();
        for _ in 0..rng.range(2, 4) {
            doc.line(format!("    - {}", sentence(rng)));
        }
        doc.blank();
    }
    doc.line("## Implementation Steps");
    doc.blank();
    let done = status == "DONE";
    for _ in 0..rng.range(3, 6) {
        doc.line(format!("- [{}] {}", if done { 'x' } else { ' ' }, title(rng)));
    }
    doc.blank();
    doc.line("## Verification");
    doc.blank();
    for _ in 0..rng.range(2, 3) {
        doc.line(format!("- [{}] {}", if done { 'x' } else { ' ' }, sentence(rng)));
    }
    doc.0
}

fn backlog_tracker(w: &mut Writer, rng: &mut Rng, base: &str, budget: usize) -> io::Result<()> {
    let prefix = if rng.chance(0.5) { "back" } else { "task" };
    w.put(
        &format!("{base}/config.yml"),
        &format!(
            "project_name: \"{}\"\ndefault_status: \"To Do\"\nstatuses: [\"To Do\", \"In Progress\", \"Done\"]\nlabels: []\ndate_format: yyyy-mm-dd hh:mm\nmax_column_width: 20\nauto_commit: false\ntask_prefix: \"{prefix}\"\n",
            title(rng)
        ),
    )?;
    let mut done = Vec::new();
    for number in 1..budget {
        let status = rng.weighted(&[("To Do", 35), ("In Progress", 15), ("Done", 50)]);
        // Only work not yet started waits on open tasks, drift aside.
        let dependency = if done.is_empty() || !rng.chance(0.4) {
            None
        } else if status == "To Do" || rng.chance(DRIFT) {
            Some(rng.range(1, number - 1))
        } else {
            Some(*rng.pick(&done))
        };
        if status == "Done" {
            done.push(number);
        }
        let title = title(rng);
        // Done tasks are moved to `completed/` by `backlog task archive`, but not all of them.
        let folder = if status == "Done" && rng.chance(0.5) { "completed" } else { "tasks" };
        let file_title: String = title.split(' ').collect::<Vec<_>>().join("-");
        w.put(
            &format!("{base}/{folder}/{prefix}-{number} - {file_title}.md"),
            &backlog_task(rng, prefix, number, &title, status, dependency),
        )?;
    }
    Ok(())
}

fn backlog_task(
    rng: &mut Rng,
    prefix: &str,
    number: usize,
    title: &str,
    status: &str,
    dependency: Option<usize>,
) -> String {
    let written = if rng.chance(DRIFT / 2.0) { rng.word(&["In progress", "Done!", "Todo"]) } else { status };
    let created = rng.range(400, 700);
    let mut doc = Doc::default();
    doc.line("---");
    doc.line(format!("id: {}-{number}", prefix.to_ascii_uppercase()));
    doc.line(format!("title: {title}"));
    doc.line(format!("status: {written}"));
    doc.line("assignee: []");
    doc.line(format!("created_date: '{}'", date(created)));
    doc.line(format!(
        "updated_date: '{} {:02}:{:02}'",
        date(created + rng.range(0, 30)),
        rng.range(0, 23),
        rng.range(0, 59)
    ));
    doc.line("labels:");
    for _ in 0..rng.range(1, 3) {
        doc.line(format!("  - {}", rng.word(ADJECTIVES)));
    }
    match dependency {
        Some(other) => {
            doc.line("dependencies:");
            doc.line(format!("  - task-{other}"));
        }
        None => doc.line("dependencies: []"),
    }
    doc.line(format!("priority: {}", rng.word(PRIORITIES).to_ascii_lowercase()));
    doc.line("---");
    doc.blank();
    doc.line("## Description");
    doc.blank();
    doc.paragraph(rng, 2, 4);
    doc.line("## Acceptance Criteria");
    doc.line("<!-- AC:BEGIN -->");
    // The open upstream request: every criterion checked while the status is not Done.
    let all_checked = status == "Done" || rng.chance(DRIFT);
    let criteria = rng.range(3, 8);
    for k in 1..=criteria {
        let checked = all_checked || (status == "In Progress" && k <= criteria / 2);
        doc.line(format!("- [{}] #{k} {}", if checked { 'x' } else { ' ' }, sentence(rng)));
    }
    doc.line("<!-- AC:END -->");
    doc.blank();
    if status != "To Do" {
        doc.line("## Implementation Plan");
        doc.blank();
        for k in 1..=rng.range(3, 5) {
            doc.line(format!("{k}. {}", sentence(rng)));
        }
        doc.blank();
        doc.line("## Implementation Notes");
        doc.blank();
        doc.paragraph(rng, 2, 4);
    }
    doc.0
}

fn compozy_prd(w: &mut Writer, rng: &mut Rng, base: &str) -> io::Result<()> {
    let count = rng.range(8, 13);
    // Work proceeds top-down through the list, so earlier tasks are further along; `Depends on`
    // the previous task then only fails where drift put it.
    let mut statuses: Vec<&str> = (0..count)
        .map(|_| {
            rng.weighted(&[("completed", 55), ("in-progress", 10), ("pending", 27), ("deferred", 6), ("excluded", 2)])
        })
        .collect();
    statuses.sort_by_key(|it| ["completed", "in-progress"].iter().position(|done| done == it).unwrap_or(2));
    let titles: Vec<String> = (0..count).map(|_| title(rng)).collect();
    let mut index = Doc::default();
    index.line(format!("# {} – Implementation Task Summary", titles[0]));
    index.blank();
    index.line("## Relevant Files");
    index.blank();
    for _ in 0..rng.range(5, 10) {
        index.line(format!("- `{}` – {}", file_path(rng), title(rng)));
    }
    index.blank();
    index.line("## Tasks");
    index.blank();
    for (k, (status, title)) in statuses.iter().zip(&titles).enumerate() {
        let checked = (*status == "completed") != rng.chance(DRIFT);
        let deferred = if *status == "deferred" { " [DEFERRED]" } else { "" };
        index.line(format!("- [{}] {}.0 {title}{deferred}", if checked { 'x' } else { ' ' }, k + 1));
        index.line(format!("  - Depends on: {}", if k == 0 { "none".to_string() } else { format!("{k}.0") }));
        index.line(format!("  - Deliverables: `{}`", file_path(rng)));
        index.blank();
    }
    w.put(&format!("{base}/_tasks.md"), &index.0)?;
    for (k, (status, title)) in statuses.iter().zip(&titles).enumerate() {
        w.put(&format!("{base}/{}_task.md", k + 1), &compozy_task(rng, k + 1, title, status))?;
    }
    for name in ["_prd.md", "_techspec.md"] {
        let mut doc = Doc::default();
        doc.line(format!("# {}", titles[0]));
        doc.blank();
        for _ in 0..rng.range(4, 7) {
            doc.line(format!("## {}", title(rng)));
            doc.blank();
            doc.paragraph(rng, 3, 6);
        }
        w.put(&format!("{base}/{name}"), &doc.0)?;
    }
    Ok(())
}

fn compozy_task(rng: &mut Rng, number: usize, heading: &str, status: &str) -> String {
    let mut doc = Doc::default();
    doc.line("---");
    doc.line(format!("status: {status}"));
    doc.line("---");
    doc.blank();
    doc.line("<task_context>");
    doc.line(format!("<domain>{}</domain>", file_path(rng)));
    doc.line("<type>implementation</type>");
    doc.line(format!("<complexity>{}</complexity>", rng.word(PRIORITIES).to_ascii_lowercase()));
    doc.line("</task_context>");
    doc.blank();
    doc.line(format!("# Task {number}.0: {heading}"));
    doc.blank();
    doc.line("## Overview");
    doc.blank();
    doc.paragraph(rng, 2, 4);
    doc.line("<requirements>");
    for _ in 0..rng.range(3, 5) {
        doc.line(format!("- {}", sentence(rng)));
    }
    doc.line("</requirements>");
    doc.blank();
    doc.line("## Subtasks");
    doc.blank();
    for k in 1..=rng.range(3, 6) {
        let checked = status == "completed" || (status == "in-progress" && k == 1);
        doc.line(format!("- [{}] {number}.{k} {}", if checked { 'x' } else { ' ' }, title(rng)));
    }
    doc.blank();
    doc.line("## Implementation Details");
    doc.blank();
    doc.paragraph(rng, 2, 4);
    doc.line("### Relevant Files");
    doc.blank();
    for _ in 0..rng.range(2, 4) {
        doc.line(format!("- `{}`", file_path(rng)));
    }
    doc.blank();
    doc.line("## Success Criteria");
    doc.blank();
    for _ in 0..rng.range(2, 4) {
        doc.line(format!("- {}", sentence(rng)));
    }
    doc.0
}

fn checklist(rng: &mut Rng) -> String {
    let mut doc = Doc::default();
    doc.line(format!("# Todo list for {}", rng.word(NOUNS)));
    doc.blank();
    for _ in 0..rng.range(2, 4) {
        doc.line(format!("### {}", rng.word(&["Priority", "Options", "Commands", "Later", "Bugs"])));
        doc.blank();
        for _ in 0..rng.range(4, 10) {
            let done = rng.chance(0.4);
            doc.line(format!("- [{}] {}", if done { 'x' } else { ' ' }, title(rng)));
            if rng.chance(0.2) {
                let child = done != rng.chance(DRIFT);
                doc.line(format!("  - [{}] {}", if child { 'x' } else { ' ' }, title(rng)));
            }
        }
        doc.blank();
    }
    doc.0
}

fn prose_doc(rng: &mut Rng) -> String {
    let mut doc = Doc::default();
    doc.line(format!("# {}", title(rng)));
    doc.blank();
    doc.paragraph(rng, 2, 4);
    for _ in 0..rng.range(3, 6) {
        doc.line(format!("## {}", title(rng)));
        doc.blank();
        doc.paragraph(rng, 3, 6);
        match rng.range(0, 3) {
            0 => {
                doc.line("| Component | Owner | State |");
                doc.line("|-----------|-------|-------|");
                for _ in 0..rng.range(3, 6) {
                    let state = rng.word(&["✅ COMPLETED", "🔄 In Progress", "❌ Failed", "Planned"]);
                    doc.line(format!("| {} | {} | {state} |", rng.word(NOUNS), rng.word(ADJECTIVES)));
                }
                doc.blank();
            }
            1 => {
                doc.line("```sh");
                for _ in 0..rng.range(2, 6) {
                    doc.line(format!("cargo run -- {} --{}", rng.word(FILE_STEMS), rng.word(ADJECTIVES)));
                }
                doc.line("```");
                doc.blank();
            }
            _ => {
                for _ in 0..rng.range(3, 6) {
                    doc.line(format!("- {}", sentence(rng)));
                }
                doc.blank();
            }
        }
    }
    doc.0
}

/// Where cargo put the running benchmark's target folder: `<target>/release/deps/NAME-<hash>`.
pub fn target_dir() -> PathBuf {
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.parent()
            .filter(|it| it.ends_with("deps"))
            .and_then(Path::parent)
            .and_then(Path::parent)
            .map(Path::to_path_buf)
    });
    from_exe.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}
