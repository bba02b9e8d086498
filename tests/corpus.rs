//! The corpus suite: taskmark over the real tracker files in `../shared/corpus`, in place.
//!
//! The corpus is not part of the repository. This suite runs when `TASKMARK_CORPUS` names it
//! (`.ci/run` sets it) and fails loudly when the variable names a folder that is missing.
//! Without the variable it says plainly that it did not run.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use taskmark_test_support::lsp_client;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

use taskmark::engine::config::Config;
use taskmark::engine::conventions::{Reading, StandardUse};
use taskmark::engine::diagnostic::{Diagnostic, RuleCode};
use taskmark::engine::edit::{DriftKey, StatusChangeOptions, drift_key, plan_status_change};
use taskmark::engine::index::{SourceFile, WorkspaceIndex};
use taskmark::engine::layout::{self, Role};
use taskmark::engine::model::{PlaceKind, TaskKey};
use taskmark::engine::rules::{self};
use taskmark::engine::timestamp::Now;
use taskmark::engine::vocabulary::{Kind, Scope};
use taskmark::workspace::{self, DiskPaths};

const SEED_PLAN: &str = "specs/221_fix_comprehensive_status_update_failures/plans/implementation-001.md";

fn main() {
    let arguments = Arguments::from_args();
    let Some(corpus) = std::env::var_os("TASKMARK_CORPUS").map(PathBuf::from) else {
        println!("corpus suite NOT RUN: TASKMARK_CORPUS is not set (CI sets it to ../shared/corpus)");
        return;
    };
    // Cargo runs tests from the package folder; a relative path means the repository root's.
    let corpus =
        if corpus.is_relative() { Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(corpus) } else { corpus };
    if !corpus.join("MANIFEST.tsv").is_file() {
        eprintln!("corpus suite FAILED: TASKMARK_CORPUS={} holds no MANIFEST.tsv", corpus.display());
        std::process::exit(101);
    }
    let corpus = match std::fs::canonicalize(&corpus) {
        Ok(it) => it,
        Err(error) => {
            eprintln!("corpus suite FAILED: cannot open TASKMARK_CORPUS={}: {error}", corpus.display());
            std::process::exit(101);
        }
    };
    let mut trials = Vec::new();
    for snapshot in snapshots(&corpus) {
        let name = format!("binary_runs_clean_on::{}", snapshot.file_name().and_then(|it| it.to_str()).unwrap_or("?"));
        trials.push(Trial::test(name, move || binary_runs_clean(&snapshot)));
    }
    for snapshot in snapshots(&corpus) {
        let name = snapshot.file_name().and_then(|it| it.to_str()).unwrap_or("?").to_string();
        let for_fix = snapshot.clone();
        trials.push(Trial::test(format!("fix_converges_on::{name}"), move || fix_converges(&for_fix)));
        let for_show = snapshot.clone();
        trials.push(Trial::test(format!("show_and_check_agree_on::{name}"), move || show_and_check_agree(&for_show)));
        let for_fidelity = snapshot.clone();
        trials.push(Trial::test(format!("fidelity::{name}"), move || fidelity(&for_fidelity)));
        let for_new = snapshot.clone();
        trials
            .push(Trial::test(format!("new_leaves_nothing_new_on::{name}"), move || new_leaves_nothing_new(&for_new)));
        let for_archive = snapshot.clone();
        trials.push(Trial::test(format!("archive_leaves_nothing_new_on::{name}"), move || {
            archive_leaves_nothing_new(&for_archive)
        }));
        let for_edit = snapshot.clone();
        trials.push(Trial::test(format!("edit_leaves_nothing_new_on::{name}"), move || {
            edit_leaves_nothing_new(&for_edit)
        }));
        let for_next = snapshot.clone();
        trials.push(Trial::test(format!("next_ranks_by_its_rules_on::{name}"), move || {
            next_ranks_by_its_rules(&for_next)
        }));
        let for_merge = snapshot.clone();
        trials.push(Trial::test(format!("merge_driver_on::{name}"), move || merge_driver_on(&for_merge)));
        let for_board = snapshot.clone();
        trials
            .push(Trial::test(format!("board_follows_changes_on::{name}"), move || board_follows_changes(&for_board)));
        trials
            .push(Trial::test(format!("set_leaves_nothing_new_on::{name}"), move || set_leaves_nothing_new(&snapshot)));
    }
    let every_file = corpus.clone();
    trials.push(Trial::test("the_line_reader_agrees_with_the_parser_on_every_markdown_file", move || {
        line_reader_agrees_with_the_parser(&every_file)
    }));
    let whole = corpus.clone();
    trials.push(Trial::test("binary_runs_clean_on_the_whole_corpus", move || binary_runs_clean(&whole)));
    let seed = corpus.join("benbrastmckie__ProofChecker@0c581b4");
    trials.push(Trial::test("lsp_serves_the_seed_project_and_fixes_its_drift", move || {
        lsp_serves_the_seed_project(&seed)
    }));
    for (snapshot, task, status) in [
        ("benbrastmckie__ProofChecker@0c581b4", "218", "implementing"),
        ("edobry__minsky@2b252b3", "154", "DONE"),
        ("MrLesk__Backlog.md@6286bf9", "BACK-629", "In Progress"),
    ] {
        let snapshot = corpus.join(snapshot);
        let name = format!("set_on_a_copy_of::{}", snapshot.file_name().and_then(|it| it.to_str()).unwrap_or("?"));
        trials.push(Trial::test(name, move || set_on_a_copy(&snapshot, task, status)));
    }
    for (snapshot, tracker) in [
        ("benbrastmckie__zed@d684b1b2", "specs"),
        ("benbrastmckie__ProofChecker@0c581b4", ".opencode/specs"),
        ("edobry__minsky@2b252b3", "process"),
        ("MrLesk__Backlog.md@6286bf9", "backlog"),
        ("rodrigobranas__iadevt1_4@bc7f6a0", "tasks/prd-kanban"),
        ("liorfranko__Spectra@c508462", "specs/006-add-e2e-tests"),
    ] {
        let snapshot = corpus.join(snapshot);
        let name =
            format!("lifecycle_on_a_copy_of::{}", snapshot.file_name().and_then(|it| it.to_str()).unwrap_or("?"));
        trials.push(Trial::test(name, move || lifecycle_on_a_copy(&snapshot, tracker)));
    }
    // ProofChecker@0c581b4 writes its markers as its own standard says: nothing to respell there.
    for (snapshot, respells) in
        [("benbrastmckie__ProofChecker@af2d23d", true), ("benbrastmckie__ProofChecker@0c581b4", false)]
    {
        let snapshot = corpus.join(snapshot);
        let name = format!("fix_on_a_copy_of::{}", snapshot.file_name().and_then(|it| it.to_str()).unwrap_or("?"));
        trials.push(Trial::test(name, move || fix_on_a_copy(&snapshot, respells)));
    }
    let taskmaster = corpus.join("5dlabs__taskmaster-sync@5e882d39");
    trials.push(Trial::test("next_on_taskmaster_sync_is_the_order_checked_by_hand", move || {
        next_on_taskmaster_sync(&taskmaster)
    }));
    let seed = corpus.join("benbrastmckie__ProofChecker@0c581b4");
    trials.push(Trial::test("config_explain_names_the_standard_and_what_was_learned", move || {
        config_explain_names_the_standard(&seed)
    }));
    let shared = Arc::new(Loaded::new(&corpus));
    let tests: [(&str, CorpusTest); 11] = [
        ("every_corpus_file_is_indexed", every_file_is_indexed),
        ("seed_002_stale_header_and_open_children", seed_stale_header_and_open_children),
        ("proofchecker_af2d23d_section_vs_state_mismatches", proofchecker_mismatches),
        ("non_standard_markers_are_found", non_standard_markers),
        ("prose_documents_get_no_diagnostics", prose_gets_nothing),
        ("other_families_find_their_drift", other_families),
        ("stale_counters_at_af2d23d", stale_counters),
        ("planned_changes_leave_tasks_consistent", planned_changes_are_consistent),
        ("check_is_deterministic", deterministic),
        ("own_vocabulary_at_proofchecker_0c581b4", own_vocabulary_at_0c581b4),
        ("conventions_and_standards_of_other_snapshots", conventions_elsewhere),
    ];
    for (name, test) in tests {
        let shared = Arc::clone(&shared);
        trials.push(Trial::test(name, move || test(&shared)));
    }
    libtest_mimic::run(&arguments, trials).exit();
}

/// Every markdown file of the corpus has the same outline read by lines where it can be (the
/// way indexing reads it) as parsed by pulldown-cmark alone.
fn line_reader_agrees_with_the_parser(corpus: &Path) -> Result<(), Failed> {
    use taskmark::engine::Outline;
    let mut pending = vec![corpus.to_path_buf()];
    let mut compared = 0;
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).map_err(|it| format!("cannot list {}: {it}", folder.display()))? {
            let path = entry.map_err(|it| format!("cannot list {}: {it}", folder.display()))?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().and_then(|it| it.to_str()) != Some("md") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            ensure(Outline::new(&text) == Outline::new_by_parser_only(&text), || {
                format!("the line reader and the parser disagree on {}", path.display())
            })?;
            compared += 1;
        }
    }
    ensure(compared > 1000, || format!("only {compared} markdown files compared: is the corpus complete?"))
}

/// A test over the corpus indexed once.
type CorpusTest = fn(&Loaded) -> Result<(), Failed>;

fn snapshots(corpus: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(corpus)
        .map(|it| it.filter_map(Result::ok).map(|it| it.path()).filter(|it| it.is_dir()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// The corpus indexed once as one workspace, with its diagnostics.
struct Loaded {
    root: PathBuf,
    index: WorkspaceIndex,
    diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    fn new(root: &Path) -> Loaded {
        let workspace = workspace::load(root, Config::default(), &|_, _| {}).expect("the corpus loads");
        let diagnostics = rules::check(
            &workspace.index,
            &workspace.config,
            None,
            &DiskPaths { root: &workspace.root, known: &workspace.known },
        );
        Loaded { root: root.to_path_buf(), index: workspace.index, diagnostics }
    }

    fn at(&self, path_suffix: &str, code: RuleCode) -> Vec<&Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|it| it.code == code && self.index.path(it.file).ends_with(path_suffix))
            .collect()
    }

    fn line(&self, diagnostic: &Diagnostic) -> u32 {
        let entry = self.index.entry(diagnostic.file).expect("diagnosed files are indexed");
        taskmark::engine::text::line_number(entry.line_index(), diagnostic.range.start())
    }
}

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), Failed> {
    if condition { Ok(()) } else { Err(message().into()) }
}

fn binary_runs_clean(root: &Path) -> Result<(), Failed> {
    let output = Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["check", "--no-baseline", "--format", "json", "--root"])
        .arg(root)
        .output()
        .map_err(|error| format!("cannot run taskmark: {error}"))?;
    let code = output.status.code();
    // A snapshot where taskmark finds no tracker is said so, with exit 2 (README, Exit status):
    // only where the index indeed holds none.
    let stderr = String::from_utf8_lossy(&output.stderr);
    if code == Some(2) && stderr.contains("no tracker found under") {
        let workspace = snapshot_workspace(root)?;
        ensure(workspace.index.trackers().is_empty(), || format!("`no tracker found` where there are some: {stderr}"))?;
        return ensure(output.stdout.is_empty(), || "a report on zero trackers".to_string());
    }
    ensure(matches!(code, Some(0 | 1)), || format!("exit {code:?}: {}", String::from_utf8_lossy(&output.stderr)))?;
    ensure(output.stderr.is_empty(), || format!("stderr: {}", String::from_utf8_lossy(&output.stderr)))?;
    let json: Value = serde_json::from_slice(&output.stdout).map_err(|error| format!("output is not JSON: {error}"))?;
    let errors = json["summary"]["errors"].as_u64().unwrap_or(u64::MAX);
    ensure((errors > 0) == (code == Some(1)), || format!("exit {code:?} with {errors} errors"))
}

fn every_file_is_indexed(loaded: &Loaded) -> Result<(), Failed> {
    let manifest = std::fs::read_to_string(loaded.root.join("MANIFEST.tsv")).map_err(|error| error.to_string())?;
    let mut expected = 0;
    for row in manifest.lines().skip(1) {
        let columns: Vec<&str> = row.split('\t').collect();
        let (Some(snapshot), Some(path)) = (columns.first(), columns.get(3)) else { continue };
        let full = format!("{snapshot}/{path}");
        // As the walk chooses (`workspace::wanted`): markdown, files named exactly `state.json`
        // (not Conductor's `setup_state.json`), config.yml (Backlog.md's, which the index
        // keeps when it is one), and Task Master's tasks.json and task files.
        let name = path.rsplit('/').next().unwrap_or(path);
        let taskmaster = path.contains(".taskmaster/tasks/")
            && (name == "tasks.json" || (name.starts_with("task_") && name.ends_with(".txt")));
        let conductor =
            name == "metadata.json" && (path.contains("conductor/tracks/") || path.contains("conductor/archive/"));
        let wanted =
            path.ends_with(".md") || name == "state.json" || path.ends_with("config.yml") || taskmaster || conductor;
        if wanted {
            expected += 1;
            ensure(loaded.index.file_id(&full).is_some(), || format!("{full} was not indexed"))?;
        }
    }
    ensure(expected > 250, || format!("only {expected} manifest rows"))?;
    let families: BTreeSet<&str> = loaded.index.trackers().iter().map(|it| it.family.as_str()).collect();
    ensure(families.len() == 12, || format!("families found: {families:?}"))
}

fn seed_stale_header_and_open_children(loaded: &Loaded) -> Result<(), Failed> {
    // The archived copy of the same plan is history: nothing is reported in it.
    let archived = SEED_PLAN.replace("specs/", ".opencode_NEW/specs/archive/");
    let in_archive: Vec<&Diagnostic> =
        loaded.diagnostics.iter().filter(|it| loaded.index.path(it.file).ends_with(&archived)).collect();
    ensure(in_archive.is_empty(), || format!("{archived}: {} diagnostics in history", in_archive.len()))?;
    let live = format!(".opencode/{SEED_PLAN}");
    let stale = loaded.at(&live, RuleCode::PlanStatusStale);
    ensure(stale.len() == 1, || format!("{live}: {} plan-status-stale", stale.len()))?;
    ensure(loaded.line(stale[0]) == 4, || format!("stale header reported at line {}", loaded.line(stale[0])))?;
    ensure(stale[0].message.contains("all 7 phases are closed (7 done)"), || stale[0].message.clone())?;
    let open = loaded.at(&live, RuleCode::OpenChildren);
    ensure(open.len() == 7, || format!("{live}: {} open-children, expected one per phase", open.len()))?;
    // In the live copy the plan header also disagrees with TODO.md and state.json.
    let mismatch = loaded.at(&format!(".opencode/{SEED_PLAN}"), RuleCode::StatusMismatch);
    ensure(mismatch.len() == 1 && mismatch[0].message.contains("`[COMPLETED]` in the TODO.md section"), || {
        format!("{mismatch:?}")
    })
}

fn proofchecker_mismatches(loaded: &Loaded) -> Result<(), Failed> {
    // A disagreement between a TODO.md section and state.json is reported on whichever side is
    // outvoted (a plan header may side with either), or on both when they are alone.
    let mut found: BTreeSet<String> = BTreeSet::new();
    for path in
        ["benbrastmckie__ProofChecker@af2d23d/specs/state.json", "benbrastmckie__ProofChecker@af2d23d/specs/TODO.md"]
    {
        for diagnostic in loaded.at(path, RuleCode::StatusMismatch) {
            let names_both =
                diagnostic.message.contains("TODO.md section") || diagnostic.message.contains("in the state.json");
            if let Some(task) = diagnostic.task.as_ref().filter(|_| names_both) {
                found.insert(task.id.to_string());
            }
        }
    }
    let expected: BTreeSet<String> = ["257", "394", "398", "431", "468", "502", "504", "511", "513", "517", "523"]
        .iter()
        .map(|it| it.to_string())
        .collect();
    ensure(found == expected, || format!("section/state.json mismatches: {found:?}, expected {expected:?}"))
}

fn non_standard_markers(loaded: &Loaded) -> Result<(), Failed> {
    let markers: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|it| it.code == RuleCode::UnknownStatus)
        .map(|it| loaded.index.text(it.file)[it.range].to_string())
        .collect();
    // `[IN PROGRESS]` and `in_progress` on ProofChecker@0c581b4's tasks are its own standard's
    // markers, and its four `[NOT APPLICABLE]` phases a convention (see
    // `own_vocabulary_at_proofchecker_0c581b4`): no longer reported. `[PARTIAL - TERMINATION
    // BLOCKED]` at 4b4655d sits in a plan task 58 has moved on from: history, left alone.
    ensure(!markers.iter().any(|it| it == "[PARTIAL - TERMINATION BLOCKED]"), || {
        format!("history reported: {markers:?}")
    })?;
    for wanted in ["[SKIPPED]", "[IMPLEMENTED]"] {
        ensure(markers.iter().any(|it| it == wanted), || format!("{wanted} not reported; got {markers:?}"))?;
    }
    let implemented = loaded
        .diagnostics
        .iter()
        .find(|it| it.code == RuleCode::UnknownStatus && &loaded.index.text(it.file)[it.range] == "[IMPLEMENTED]")
        .ok_or("no [IMPLEMENTED]")?;
    ensure(implemented.message.contains("did you mean `[COMPLETED]`"), || implemented.message.clone())?;
    let malformed = loaded.at("benbrastmckie__ProofChecker@0c581b4/.opencode/specs/state.json", RuleCode::BadTimestamp);
    ensure(malformed.iter().any(|it| it.message.contains("both a UTC offset and `Z`")), || format!("{malformed:?}"))
}

fn prose_gets_nothing(loaded: &Loaded) -> Result<(), Failed> {
    for diagnostic in &loaded.diagnostics {
        let path = loaded.index.path(diagnostic.file);
        let role = layout::classify(path).role;
        ensure(role != Role::Prose, || format!("a prose document was diagnosed: {path}: {}", diagnostic.message))?;
    }
    // Reports, summaries, standards and READMEs carry statuses in prose; they were indexed.
    let prose_files = loaded.index.entries().filter(|(_, it)| it.class.role == Role::Prose).count();
    ensure(prose_files > 100, || format!("only {prose_files} prose files"))?;
    let tasker = loaded
        .index
        .entries()
        .filter(|(_, it)| it.path.starts_with("jcoletaylor__tasker"))
        .map(|(_, it)| it.parsed.prose.len())
        .sum::<usize>();
    ensure(tasker > 10, || format!("family 5 statuses indexed: {tasker}"))
}

fn other_families(loaded: &Loaded) -> Result<(), Failed> {
    let minsky = loaded.at("edobry__minsky@2b252b3/process/tasks.md", RuleCode::StatusMismatch);
    ensure(minsky.iter().any(|it| it.task.as_ref().is_some_and(|task| task.id == "154")), || format!("{minsky:?}"))?;
    let orphan = loaded
        .at("process/tasks/157-enhance-task-operations-synchronization-across-workspaces.md", RuleCode::OrphanTask);
    ensure(orphan.len() == 1, || "minsky task 157 is not in the index".into())?;
    let compozy: HashSet<String> = loaded
        .at("rodrigobranas__iadevt1_4@bc7f6a0/tasks/prd-kanban/_tasks.md", RuleCode::StatusMismatch)
        .iter()
        .filter_map(|it| it.task.as_ref().map(|task| task.id.to_string()))
        .collect();
    ensure(compozy == HashSet::from(["9".to_string(), "10".to_string()]), || format!("compozy: {compozy:?}"))?;
    // One place against one and nothing says which is newer: one diagnostic, at the index,
    // naming the phase file.
    let pidea: Vec<&Diagnostic> = loaded
        .at("task-status-sync-step-index.md", RuleCode::StatusMismatch)
        .into_iter()
        .filter(|it| it.message.starts_with("phase 4 ") && it.message.contains("task-status-sync-step-phase-4.md"))
        .collect();
    ensure(pidea.len() == 1, || "PIDEA phase 4 (In Progress in its file, Completed in the index)".into())?;
    ensure(loaded.at("task-status-sync-step-phase-4.md", RuleCode::StatusMismatch).is_empty(), || {
        "PIDEA phase 4 reported twice".into()
    })?;
    let backlog = TaskKey::new("MrLesk__Backlog.md@6286bf9/backlog", "BACK-200");
    let (_, status) = loaded.index.task_status(&backlog).ok_or("BACK-200 is indexed")?;
    let profile = loaded.index.task_profile(&backlog).ok_or("Backlog.md profile")?;
    ensure(profile.status(status).words == ["To Do"], || "Backlog.md statuses come from config.yml".into())?;
    let kit = TaskKey::new("liorfranko__Spectra@c508462/specs/001-projspec-mvp", "T001");
    ensure(loaded.index.task(&kit).is_some(), || "spec-kit T001".into())
}

fn stale_counters(loaded: &Loaded) -> Result<(), Failed> {
    let stale = loaded.at("benbrastmckie__ProofChecker@af2d23d/specs/TODO.md", RuleCode::StaleCounts);
    let keys: BTreeSet<String> = stale.iter().map(|it| loaded.index.text(it.file)[it.range].to_string()).collect();
    // `not_started: 17` is one short. `active: 30` is right: 28 open sections and the two
    // `[EXPANDED]` parents, whose work goes on in their subtasks (total 197 = active 30 +
    // completed 153 + abandoned 14).
    ensure(stale.len() == 1, || format!("{stale:?}"))?;
    ensure(keys == BTreeSet::from(["17".to_string()]), || format!("{keys:?}"))
}

/// For every live task of the spec-folder snapshots, every allowed next status: the planned
/// change, applied and re-indexed, leaves the task's places agreeing and its plan not stale.
fn planned_changes_are_consistent(loaded: &Loaded) -> Result<(), Failed> {
    let options = StatusChangeOptions {
        reason: Some("corpus test".into()),
        ..StatusChangeOptions::new(Now::from_timestamp(jiff::Timestamp::UNIX_EPOCH))
    };
    let mut planned = 0;
    for (task, entry) in loaded.index.tasks() {
        if entry.archived || !entry.places.iter().any(|it| loaded.index.place(*it).kind == PlaceKind::TodoSection) {
            continue;
        }
        let Some(profile) = loaded.index.task_profile(task) else { continue };
        let Some((_, current)) = loaded.index.task_status(task) else { continue };
        for next in profile.next(Scope::Task, current) {
            let Ok(change) = plan_status_change(&loaded.index, task, &profile.status(next).id, &options) else {
                continue;
            };
            planned += 1;
            // Only the task's own snapshot: the rest of the corpus cannot be affected.
            let snapshot = task.scope.split('/').next().unwrap_or_default();
            let mut sources: Vec<SourceFile> = loaded
                .index
                .entries()
                .filter(|(_, it)| it.class.role.is_tracker() && it.path.starts_with(snapshot))
                .map(|(_, it)| SourceFile { path: it.path.clone(), text: it.text.clone() })
                .collect();
            // The tracker's vocabulary comes from its repository's standard too, a prose
            // document whose text the index does not keep.
            for (_, entry) in loaded.index.entries() {
                if entry.parsed.standard.is_some() && entry.path.starts_with(snapshot) {
                    let text = std::fs::read_to_string(loaded.root.join(&entry.path)).map_err(|it| it.to_string())?;
                    sources.push(SourceFile { path: entry.path.clone(), text: Arc::from(text) });
                }
            }
            for (path, text) in change.apply(&loaded.index) {
                if let Some(source) = sources.iter_mut().find(|it| it.path == path) {
                    source.text = Arc::from(text);
                }
            }
            let after = WorkspaceIndex::build(sources, &Config::default().vocabularies);
            let paths: HashSet<String> = HashSet::new();
            let found = rules::check(&after, &Config::default(), None, &paths);
            // No new diagnostics of rules 3 and 5 for the task: per file, never more than before.
            let count = |index: &WorkspaceIndex, diagnostics: &[Diagnostic], code: RuleCode, path: &str| {
                diagnostics
                    .iter()
                    .filter(|it| it.task.as_ref() == Some(task) && it.code == code && index.path(it.file) == path)
                    .count()
            };
            for diagnostic in found.iter().filter(|it| it.task.as_ref() == Some(task)) {
                if !matches!(diagnostic.code, RuleCode::StatusMismatch | RuleCode::PlanStatusStale) {
                    continue;
                }
                let path = after.path(diagnostic.file);
                let before = count(&loaded.index, &loaded.diagnostics, diagnostic.code, path);
                ensure(count(&after, &found, diagnostic.code, path) <= before, || {
                    format!(
                        "{task} -> {}: new {} at {path}: {}",
                        profile.status(next).id,
                        diagnostic.code,
                        diagnostic.message
                    )
                })?;
            }
            let (_, now) = after.task_status(task).ok_or("the task is still indexed")?;
            ensure(now == next, || {
                format!("{task}: status is {} after setting {}", profile.status(now).id, profile.status(next).id)
            })?;
        }
    }
    ensure(planned > 100, || format!("only {planned} changes planned"))
}

/// ProofChecker@0c581b4 publishes its own status standard
/// (`.opencode/context/common/system/status-markers.md`), which makes `[IN PROGRESS]` a task
/// status. Read in it, the tracker's `[IN PROGRESS]` places are no longer unknown markers, and
/// because they keep their status they show what the built-in vocabulary hid: task 189 is
/// `[IN PROGRESS]` in TODO.md and its own state.json but `researched` in specs/state.json, and
/// task 185 is under way while task 184, which it depends on, is blocked.
fn own_vocabulary_at_0c581b4(loaded: &Loaded) -> Result<(), Failed> {
    let snapshot = "benbrastmckie__ProofChecker@0c581b4";
    let scope = format!("{snapshot}/.opencode/specs");
    let tracker = loaded.index.trackers().iter().find(|it| it.root == scope).ok_or("the .opencode/specs tracker")?;
    ensure(
        matches!(&tracker.choice.standard, StandardUse::Applied { path, line: 13, markers }
            if path == &format!("{snapshot}/.opencode/context/common/system/status-markers.md")
                && markers.iter().any(|it| it == "[IN PROGRESS]")),
        || format!("{:?}", tracker.choice.standard),
    )?;
    let reported: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|it| it.code == RuleCode::UnknownStatus && loaded.index.path(it.file).starts_with(snapshot))
        .map(|it| loaded.index.text(it.file)[it.range].to_string())
        .collect();
    ensure(reported.is_empty(), || format!("unknown markers at {snapshot}: {reported:?}"))?;
    let task = |id: &str| TaskKey::new(scope.clone(), id);
    ensure(loaded.index.agreeing_places(&task("189")).len() == 3, || "task 189 has three places in the check".into())?;
    let of = |code: RuleCode, id: &str| -> Vec<&Diagnostic> {
        loaded.diagnostics.iter().filter(|it| it.code == code && it.task.as_ref() == Some(&task(id))).collect()
    };
    let mismatch = of(RuleCode::StatusMismatch, "189");
    ensure(
        mismatch.iter().any(|it| it.message.contains("`researched`") && it.message.contains("`[IN PROGRESS]`")),
        || format!("task 189's disagreement is not reported: {mismatch:?}"),
    )?;
    let dependency = of(RuleCode::DependencyNotDone, "185");
    ensure(dependency.iter().any(|it| it.message.contains("depends on task 184, which is `[BLOCKED]`")), || {
        format!("task 185's dependency on blocked 184 is not reported: {dependency:?}")
    })?;
    // Its four `[NOT APPLICABLE]` phases (one plan) are a convention: cancelled phases.
    let learned: Vec<(Vec<String>, usize, Reading)> =
        tracker.choice.learned.iter().map(|it| (it.shown(), it.places, it.reading.clone())).collect();
    ensure(learned == vec![(vec!["[NOT APPLICABLE]".to_string()], 4, Reading::Kind(Kind::Cancelled))], || {
        format!("learned: {learned:?}")
    })
}

/// What other snapshots use consistently is learned (a compozy project's `status: done` on
/// seven tasks, cslib's `[PR READY]` written in TODO.md and state.json alike), and equally near
/// standards (ProofChecker@af2d23d's `.opencode/` and
/// `.claude/` copies beside its root `specs/`) cancel out.
fn conventions_elsewhere(loaded: &Loaded) -> Result<(), Failed> {
    let tracker = |root: &str| loaded.index.trackers().iter().find(|it| it.root == root);
    let compozy =
        tracker("tassosgomes__gerenciador-financeiro@c805040b/tasks/prd-cupom-fiscal").ok_or("the compozy tracker")?;
    let learned: Vec<(Vec<String>, usize, Reading)> =
        compozy.choice.learned.iter().map(|it| (it.shown(), it.places, it.reading.clone())).collect();
    ensure(learned == vec![(vec!["done".to_string()], 7, Reading::Kind(Kind::Done))], || format!("{learned:?}"))?;
    let cslib = tracker("benbrastmckie__cslib@2ce020cc/specs").ok_or("the cslib tracker")?;
    let learned: Vec<(Vec<String>, Reading)> =
        cslib.choice.learned.iter().map(|it| (it.shown(), it.reading.clone())).collect();
    ensure(learned == vec![(vec!["[PR READY]".to_string(), "pr_ready".to_string()], Reading::Opaque)], || {
        format!("{learned:?}")
    })?;
    for snapshot in ["tassosgomes__gerenciador-financeiro@c805040b", "benbrastmckie__cslib@2ce020cc"] {
        let unknown = loaded
            .diagnostics
            .iter()
            .filter(|it| it.code == RuleCode::UnknownStatus && loaded.index.path(it.file).starts_with(snapshot))
            .count();
        ensure(unknown == 0, || format!("{unknown} unknown markers left at {snapshot}"))?;
    }
    let af2d23d = tracker("benbrastmckie__ProofChecker@af2d23d/specs").ok_or("the af2d23d tracker")?;
    let copies = |paths: &[String]| {
        [".opencode/context/core/standards/status-markers.md", ".claude/context/core/standards/status-markers.md"]
            .iter()
            .all(|copy| paths.iter().any(|it| it.ends_with(copy)))
    };
    ensure(matches!(&af2d23d.choice.standard, StandardUse::Ambiguous(paths) if copies(paths)), || {
        format!("{:?}", af2d23d.choice.standard)
    })?;
    let zed = tracker("benbrastmckie__zed@d684b1b2/specs").ok_or("the zed tracker")?;
    ensure(
        matches!(&zed.choice.standard, StandardUse::Applied { path, .. } if path.ends_with(".claude/context/standards/status-markers.md")),
        || format!("{:?}", zed.choice.standard),
    )
}

/// `taskmark config --explain` on ProofChecker@0c581b4 names the standard (path:line) and the
/// learned marker.
fn config_explain_names_the_standard(snapshot: &Path) -> Result<(), Failed> {
    let output = Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["config", "--explain", "--root"])
        .arg(snapshot)
        .output()
        .map_err(|it| it.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    ensure(output.status.success(), || String::from_utf8_lossy(&output.stderr).into_owned())?;
    let wanted = [
        "| .opencode/specs | spec-folder | spec-folder | built-in + standard `.opencode/context/common/system/status-markers.md:13` + learned from 4 places: `[NOT APPLICABLE]` |",
        "It makes `[IN PROGRESS]` a task status too",
        "  - `[NOT APPLICABLE]` at 4 places (4 tasks, phases or boxes): a status of its own, cancelled",
        "| in_progress | active | `[IN PROGRESS]` | `in_progress` |  |  | task, phase |",
    ];
    for line in wanted {
        ensure(text.contains(line), || format!("`{line}` not in:\n{text}"))?;
    }
    Ok(())
}

fn deterministic(loaded: &Loaded) -> Result<(), Failed> {
    let again = Loaded::new(&loaded.root);
    ensure(again.diagnostics == loaded.diagnostics, || "two runs disagree".into())
}

/// The language server over a copy of the project the seed plan comes from: the diagnostics
/// `check` finds, hover on task 221, and the header fix applied to the files, drift gone.
/// The binary run on a writable copy at `root`, with its own state folder and no daemon.
fn taskmark_in_copy(root: &Path, args: &[&str]) -> Result<std::process::Output, String> {
    Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(args)
        .env("TASKMARK_RUNTIME_DIR", root.join(".no-daemon"))
        .env("TASKMARK_STATE_DIR", root.join(".taskmark"))
        .arg("--root")
        .arg(root)
        .output()
        .map_err(|it| it.to_string())
}

/// `taskmark set` on a writable copy of a corpus snapshot changes every place of the task in
/// one go: afterwards the places agree and `check` has no status finding for the task.
fn set_on_a_copy(snapshot: &Path, task: &str, status: &str) -> Result<(), Failed> {
    let (_dir, root) = writable_copy(snapshot, "copy")?;
    let run = |args: &[&str]| taskmark_in_copy(&root, args);
    let set = run(&["set", task, status, "--date", "2026-11-23"])?;
    ensure(set.status.success(), || format!("set {task} {status}: {}", String::from_utf8_lossy(&set.stderr)))?;
    let show = run(&["show", task, "--format", "json"])?;
    let view: Value = serde_json::from_slice(&show.stdout).map_err(|it| it.to_string())?;
    let places = view["places"].as_array().cloned().unwrap_or_default();
    ensure(!places.is_empty() && places.iter().all(|it| it["agrees"] == true || it["current"] == false), || {
        format!("{view}")
    })?;
    let status_codes =
        ["status-mismatch", "unknown-status", "invalid-transition", "missing-field", "plan-status-stale"];
    let left: Vec<Value> = check_json(&root)?
        .into_iter()
        .filter(|it| it["task"] == task && status_codes.iter().any(|code| it["code"] == *code))
        .collect();
    ensure(left.is_empty(), || format!("status findings for task {task} after set: {left:?}"))
}

/// `new`, `edit` and `archive --done` through the binary on a writable copy of a real
/// tracker: each succeeds (or, for archive, finds nothing finished), no task gets a diagnostic it
/// did not have, and every line `new` removed comes back in the same shape (a counter bumped, a
/// comma added): nothing it does not own changed.
fn lifecycle_on_a_copy(snapshot: &Path, tracker: &str) -> Result<(), Failed> {
    let (_dir, root) = writable_copy(snapshot, "copy")?;
    let run = |args: &[&str]| taskmark_in_copy(&root, args);
    let tally = |root: &Path| -> Result<BTreeMap<(String, String), usize>, Failed> {
        let mut out = BTreeMap::new();
        for it in check_json(root)? {
            let key = (it["code"].as_str().unwrap_or("").to_string(), it["task"].as_str().unwrap_or("").to_string());
            *out.entry(key).or_insert(0) += 1;
        }
        Ok(out)
    };
    let texts = |root: &Path| -> BTreeMap<PathBuf, String> {
        let mut out = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path) {
                    out.insert(path, text);
                }
            }
        }
        out
    };
    let before = tally(&root)?;
    let files_before = texts(&root);
    let new = run(&[
        "new",
        "Corpus lifecycle task",
        "--tracker",
        tracker,
        "--no-branches",
        "--date",
        "2026-11-24",
        "--format",
        "json",
    ])?;
    ensure(new.status.success(), || format!("new: {}", String::from_utf8_lossy(&new.stderr)))?;
    let answer: Value = serde_json::from_slice(&new.stdout).map_err(|it| it.to_string())?;
    let task = answer["task"].as_str().unwrap_or_default().to_string();
    ensure(!task.is_empty(), || format!("new answered no task: {answer}"))?;
    // A last line without a line break gains one when a line is added after it: same line.
    let shape = |line: &str| line.trim_end_matches(['\n', '\r']).replace(|it: char| it.is_ascii_digit(), "#");
    for (path, old) in &files_before {
        let Some(now) = std::fs::read_to_string(path).ok() else { continue };
        if &now == old {
            continue;
        }
        let diff = similar::TextDiff::from_lines(old.as_str(), now.as_str());
        let added: Vec<&str> =
            diff.iter_all_changes().filter(|it| it.tag() == similar::ChangeTag::Insert).map(|it| it.value()).collect();
        for removed in diff.iter_all_changes().filter(|it| it.tag() == similar::ChangeTag::Delete) {
            let line = removed.value();
            let comma = |it: &&str| it.trim_end().strip_suffix(',').is_some_and(|it| it.starts_with(line.trim_end()));
            ensure(added.iter().any(|it| shape(it) == shape(line)) || added.iter().any(comma), || {
                format!("new changed a line it does not own in {}: {line:?}", path.display())
            })?;
        }
    }
    let edit = run(&["edit", &task, "--title", "Corpus lifecycle task, renamed"])?;
    ensure(edit.status.success(), || format!("edit {task}: {}", String::from_utf8_lossy(&edit.stderr)))?;
    let archive = run(&["archive", "--done", "--tracker", tracker])?;
    let nothing = String::from_utf8_lossy(&archive.stderr).contains("no finished task")
        || String::from_utf8_lossy(&archive.stderr).contains("keep no archive");
    ensure(archive.status.success() || nothing, || {
        format!("archive --done: {}", String::from_utf8_lossy(&archive.stderr))
    })?;
    let after = tally(&root)?;
    let grew: Vec<String> = after
        .iter()
        .filter(|(key, count)| before.get(*key).copied().unwrap_or(0) < **count)
        .map(|((code, task), count)| {
            format!("{code} on {task}: {} -> {count}", before.get(&(code.clone(), task.clone())).copied().unwrap_or(0))
        })
        .collect();
    ensure(grew.is_empty(), || format!("new, edit and archive left new diagnostics: {grew:?}"))
}

/// `taskmark fix` on a writable copy of a real tracker, through the binary: stale counters and
/// plan headers are gone afterwards but for those it names as held back, fewer diagnostics are
/// left, no marker goes unknown (none is
/// unknown where the tracker's vocabulary reads them all), and a second run has nothing left to
/// do.
fn fix_on_a_copy(snapshot: &Path, respells: bool) -> Result<(), Failed> {
    let (_dir, root) = writable_copy(snapshot, "copy")?;
    let counts = |root: &Path| -> Result<BTreeMap<String, usize>, Failed> {
        let mut counts = BTreeMap::new();
        for diagnostic in check_json(root)? {
            *counts.entry(diagnostic["code"].as_str().unwrap_or("").to_string()).or_insert(0) += 1;
        }
        Ok(counts)
    };
    let fix = || {
        Command::new(env!("CARGO_BIN_EXE_taskmark"))
            .args(["fix", "--no-daemon", "--root"])
            .arg(&root)
            .env("TASKMARK_STATE_DIR", root.join(".taskmark"))
            .output()
            .map_err(|it| it.to_string())
    };
    let before = counts(&root)?;
    let first = fix()?;
    ensure(first.status.success(), || String::from_utf8_lossy(&first.stderr).into_owned())?;
    let after = counts(&root)?;
    // What is left of them is what fix named as held back, with why.
    let said = String::from_utf8_lossy(&first.stdout).into_owned();
    for code in ["stale-counts", "plan-status-stale"] {
        let left = after.get(code).copied().unwrap_or(0);
        let named = said.matches(&format!(": {code} held back: ")).count();
        ensure(left == named, || {
            format!("{code}: {left} left after fix, {named} named as held back: {before:?} -> {after:?}\n{said}")
        })?;
    }
    // A marker is respelled only where the new spelling agrees with the task's other places
    // (fix never creates drift), so some may stay; none may appear.
    let unknown = |counts: &BTreeMap<String, usize>| counts.get("unknown-status").copied().unwrap_or(0);
    ensure(unknown(&after) <= unknown(&before), || format!("markers went unknown: {before:?} -> {after:?}"))?;
    if !respells {
        ensure(unknown(&before) == 0, || format!("unknown markers: {before:?} -> {after:?}"))?;
    }
    let total = |counts: &BTreeMap<String, usize>| counts.values().sum::<usize>();
    ensure(total(&after) < total(&before), || format!("nothing fixed: {before:?} -> {after:?}"))?;
    let second = fix()?;
    ensure(
        second.status.success() && String::from_utf8_lossy(&second.stdout).starts_with("taskmark: nothing to fix"),
        || format!("a second fix still changed something: {}", String::from_utf8_lossy(&second.stdout)),
    )
}

/// A copy of a corpus snapshot in a fresh temporary folder (kept alive by the returned guard),
/// writable as a user's checkout is: the corpus files themselves are read-only.
fn writable_copy(snapshot: &Path, name: &str) -> Result<(tempfile::TempDir, PathBuf), Failed> {
    let dir = tempfile::tempdir().map_err(|it| it.to_string())?;
    let root = dir.path().join(name);
    std::fs::create_dir_all(&root).map_err(|it| it.to_string())?;
    lsp_client::copy_tree(snapshot, &root);
    make_writable(&root)?;
    Ok((dir, root))
}

/// `taskmark check . --format json`'s diagnostics, run in `root`.
fn check_json(root: &Path) -> Result<Vec<Value>, Failed> {
    let output = Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["check", ".", "--no-baseline", "--format", "json"])
        .current_dir(root)
        .output()
        .map_err(|it| it.to_string())?;
    let report: Value = serde_json::from_slice(&output.stdout).map_err(|it| it.to_string())?;
    Ok(report["diagnostics"].as_array().cloned().unwrap_or_default())
}

/// Corpus files are read-only on disk; a user's checkout is not.
fn make_writable(root: &Path) -> Result<(), Failed> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|it| it.to_string())?.flatten() {
            let path = entry.path();
            let mut permissions = std::fs::metadata(&path).map_err(|it| it.to_string())?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            std::fs::set_permissions(&path, permissions).map_err(|it| it.to_string())?;
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    Ok(())
}

fn lsp_serves_the_seed_project(snapshot: &Path) -> Result<(), Failed> {
    use lsp_client::{LspClient, vscode_capabilities};
    use serde_json::json;
    use std::time::Duration;

    let (_dir, root) = writable_copy(snapshot, "ProofChecker")?;
    let expected = check_json(&root)?;
    let plan = format!(".opencode/{SEED_PLAN}");
    let mut client = LspClient::start(&root, vscode_capabilities(), json!({}));
    let files: BTreeSet<String> = expected.iter().filter_map(|it| it["file"].as_str().map(str::to_string)).collect();
    let uris: Vec<String> = files.iter().map(|it| client.uri(it)).collect();
    ensure(
        client.wait_until(Duration::from_secs(30), |it| uris.iter().all(|uri| it.diagnostics.contains_key(uri))),
        || format!("not every file got diagnostics; log:\n{}", client.log()),
    )?;
    client.settle(Duration::from_millis(300));
    let published: usize = client.diagnostics.values().map(|(_, list)| list.len()).sum();
    ensure(published == expected.len(), || {
        format!("published {published} diagnostics, check found {}", expected.len())
    })?;

    let todo = client.open(".opencode/specs/TODO.md");
    let (line, character) = client.position_of(&todo, "221. Fix comprehensive");
    let hover = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": todo }, "position": { "line": line, "character": character } }),
        )
        .map_err(|it| it.to_string())?;
    let markdown = hover["contents"]["value"].as_str().unwrap_or("");
    ensure(markdown.contains("| plan header |") && markdown.contains("`[NOT STARTED]` | ✗ |"), || {
        markdown.to_string()
    })?;

    let plan_uri = client.open(&plan);
    let (line, character) = client.position_of(&plan_uri, "[NOT STARTED]");
    let position = json!({ "line": line, "character": character + 1 });
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": plan_uri }, "range": { "start": position, "end": position }, "context": { "diagnostics": [] } }),
        )
        .map_err(|it| it.to_string())?;
    let derive = actions
        .as_array()
        .and_then(|it| {
            it.iter().find(|action| action["title"].as_str().is_some_and(|t| t.starts_with("Set the plan header to")))
        })
        .cloned()
        .ok_or_else(|| format!("no header fix among {actions}"))?;
    let resolved = client.request("codeAction/resolve", derive).map_err(|it| it.to_string())?;
    client.apply_workspace_edit(&resolved["edit"]);
    for (uri, document) in &client.documents {
        if let Some(path) = client.path_of(uri) {
            std::fs::write(path, &document.text).map_err(|it| it.to_string())?;
        }
    }
    let gone = client
        .wait_until(Duration::from_secs(20), |it| !it.codes(&plan).iter().any(|code| code == "plan-status-stale"));
    ensure(gone, || format!("plan-status-stale still published: {:?}", client.codes(&plan)))?;
    let after = check_json(&root)?;
    let stale: Vec<&Value> =
        after.iter().filter(|it| it["code"] == "plan-status-stale" && it["file"] == plan.as_str()).collect();
    ensure(stale.is_empty(), || format!("{stale:?}"))?;
    client.stop();
    Ok(())
}

/// How many diagnostics of each drift key there are: what "nothing new" compares (positions
/// move when a change edits a file; these do not).
type Tally = BTreeMap<DriftKey, usize>;

fn tally(index: &WorkspaceIndex, diagnostics: &[Diagnostic]) -> Tally {
    let mut out = Tally::new();
    for it in diagnostics {
        *out.entry(drift_key(index, it)).or_insert(0) += 1;
    }
    out
}

/// What `after` has more of than `before`, rendered.
fn appeared(before: &Tally, after: &Tally) -> Vec<String> {
    after
        .iter()
        .filter(|(key, count)| **count > before.get(*key).copied().unwrap_or(0))
        .map(|((code, path, task), count)| {
            format!(
                "{code} in {path} about {:?}: {count} (was {})",
                task.as_ref().map(|it| &it.id),
                before.get(&(*code, path.clone(), task.clone())).copied().unwrap_or(0)
            )
        })
        .collect()
}

/// A snapshot as a user opens it: its own workspace root.
fn snapshot_workspace(snapshot: &Path) -> Result<workspace::Workspace, Failed> {
    let config = workspace::load_config(snapshot).map_err(|it| it.to_string())?;
    workspace::load(snapshot, config, &|_, _| {}).map_err(|it| Failed::from(it.to_string()))
}

/// What `check` finds on a snapshot (code, file, line, and the message's first words), against
/// a checked-in expectation reviewed by hand (`tests/snapshots/fidelity/`): any change in what
/// the real trackers produce shows up in review. `INSTA_UPDATE=always` writes new ones.
fn fidelity(snapshot: &Path) -> Result<(), Failed> {
    let name = snapshot.file_name().and_then(|it| it.to_str()).ok_or("snapshot name")?.to_string();
    let workspace = snapshot_workspace(snapshot)?;
    let paths = DiskPaths { root: &workspace.root, known: &workspace.known };
    let diagnostics = rules::check(&workspace.index, &workspace.config, None, &paths);
    let mut lines: Vec<String> = diagnostics
        .iter()
        .filter(|it| it.severity != taskmark::engine::diagnostic::Severity::Hint)
        .map(|it| {
            let entry = workspace.index.entry(it.file);
            let line =
                entry.map_or(0, |entry| taskmark::engine::text::line_number(entry.line_index(), it.range.start()));
            let words: Vec<&str> = it.message.split_whitespace().take(8).collect();
            format!("{} {}:{line} {}", it.code, workspace.index.path(it.file), words.join(" "))
        })
        .collect();
    lines.sort();
    let text = lines.join("\n");
    let outcome = std::panic::catch_unwind(|| {
        insta::with_settings!({
            snapshot_path => "snapshots/fidelity",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name.replace('@', "_at_"), text);
        });
    });
    outcome.map_err(|_| {
        Failed::from(format!("{name}: the diagnostics differ from tests/snapshots/fidelity (review with cargo insta)"))
    })
}

/// `next` on a real tracker keeps the rules it states (issue 35): every ready task is not
/// started, with every dependency done and no chain to an abandoned task; the ready ones come by priority, then by how many open tasks wait on each;
/// every held task says why; and `--parallel`'s picks (up to 5) share no file.
fn next_ranks_by_its_rules(snapshot: &Path) -> Result<(), Failed> {
    use taskmark::engine::lifecycle::next::{NextFilter, next_tasks, rank};
    use taskmark::engine::lifecycle::parallel::{footprint, pick_parallel};
    let name = snapshot.file_name().and_then(|it| it.to_str()).unwrap_or("?").to_string();
    let workspace = snapshot_workspace(snapshot)?;
    let index = &workspace.index;
    let paths = DiskPaths { root: &workspace.root, known: &workspace.known };
    let ranked = next_tasks(index, &NextFilter::default(), &|_| Vec::new());
    for candidate in &ranked.ready {
        let task = &candidate.row.summary.task;
        ensure(candidate.row.kind == Some(Kind::Todo), || {
            format!("{name}: ready task {task} is {:?}", candidate.row.kind)
        })?;
        ensure(candidate.row.summary.dependencies.iter().all(|it| it.done), || {
            format!("{name}: ready task {task} waits on {:?}", candidate.row.summary.dependencies)
        })?;
        for (id, _, _) in index.dependency_ids(task) {
            ensure(index.dead_end(task, id).is_none(), || {
                format!("{name}: ready task {task} waits on abandoned {id}")
            })?;
        }
    }
    for pair in ranked.ready.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (first, second) = (rank(a.priority.as_deref()), rank(b.priority.as_deref()));
        ensure(first < second || (first == second && a.unblocks.len() >= b.unblocks.len()), || {
            format!(
                "{name}: {} ({:?}, unblocks {}) ranked before {} ({:?}, unblocks {})",
                a.row.summary.task,
                a.priority,
                a.unblocks.len(),
                b.row.summary.task,
                b.priority,
                b.unblocks.len()
            )
        })?;
    }
    for held in &ranked.held {
        ensure(!held.why.is_empty(), || format!("{name}: held task {} says no reason", held.row.summary.task))?;
    }
    let ready: Vec<TaskKey> = ranked.ready.iter().map(|it| it.row.summary.task.clone()).collect();
    let plan = pick_parallel(index, &paths, &ready, 5);
    ensure(plan.picked.len() == ready.len().min(5) || !plan.set_aside.is_empty(), || format!("{name}: {plan:?}"))?;
    let mut seen: BTreeMap<String, TaskKey> = BTreeMap::new();
    for pick in &plan.picked {
        for file in footprint(index, &paths, &pick.task) {
            if let Some(other) = seen.insert(file.clone(), pick.task.clone()) {
                return Err(format!("{name}: {} and {other} both touch {file}", pick.task).into());
            }
        }
    }
    Ok(())
}

/// `taskmark fix` on a snapshot (in memory): every pass is a valid plan, their one change is
/// what they left, nothing new appears, and a second `fix` has nothing left to do (the passes
/// ended).
fn fix_converges(snapshot: &Path) -> Result<(), Failed> {
    let workspace = snapshot_workspace(snapshot)?;
    let paths = DiskPaths { root: &workspace.root, known: &workspace.known };
    let check = taskmark::engine::edit::FixCheck { config: &workspace.config, baseline: None, paths: &paths };
    let options = StatusChangeOptions {
        restamp: false,
        ..StatusChangeOptions::new(Now::from_timestamp(jiff::Timestamp::UNIX_EPOCH))
    };
    let before = tally(&workspace.index, &rules::check(&workspace.index, &workspace.config, None, &paths));
    let fixes = taskmark::engine::edit::run_safe_fixes(
        &workspace.index,
        &check,
        &taskmark::engine::edit::SAFE_FIX_CODES,
        &options,
    )
    .map_err(|it| it.to_string())?;
    let fixed: usize = fixes.fixed.values().sum();
    // The one change every front door writes is what the passes left.
    let mut index = workspace.index.clone();
    for (path, text) in fixes.change.apply(&workspace.index) {
        ensure(fixes.index.text_at(&path).is_some_and(|it| **it == *text), || {
            format!("{path}: the change is not what the passes left")
        })?;
        index.set_file(&path, Some(Arc::from(text)));
    }
    let again =
        taskmark::engine::edit::run_safe_fixes(&index, &check, &taskmark::engine::edit::SAFE_FIX_CODES, &options)
            .map_err(|it| it.to_string())?;
    ensure(again.change.is_empty(), || format!("a second fix changed something: {}", again.change.label))?;
    let after = tally(&index, &rules::check(&index, &workspace.config, None, &paths));
    let new = appeared(&before, &after);
    ensure(new.is_empty(), || format!("after {fixed} fixes: {}", new.join("; ")))?;
    for code in taskmark::engine::edit::SAFE_FIX_CODES {
        let was: usize = before.iter().filter(|(key, _)| key.0 == code).map(|(_, it)| it).sum();
        let now: usize = after.iter().filter(|(key, _)| key.0 == code).map(|(_, it)| it).sum();
        ensure(now <= was, || format!("{code}: {was} before, {now} after"))?;
    }
    println!("{}: {fixed} fixes", snapshot.display());
    Ok(())
}

/// The most tasks [`set_leaves_nothing_new`] sets in one snapshot.
const SET_TASKS_MOST: usize = 400;

/// `taskmark set` on every task of a snapshot (up to [`SET_TASKS_MOST`], evenly spread; in
/// memory), as a user or agent would run it without `--force`: to the first status its vocabulary allows next that `set` accepts (it
/// refuses a change that would leave new drift). Every change accepted leaves no diagnostic that
/// was not there, checked with a full check of the changed workspace (`set` judged it
/// incrementally); hints, suggestions rather than drift, aside.
fn set_leaves_nothing_new(snapshot: &Path) -> Result<(), Failed> {
    let workspace = snapshot_workspace(snapshot)?;
    let paths = DiskPaths { root: &workspace.root, known: &workspace.known };
    let config = &workspace.config;
    let store = rules::DiagnosticStore::new(&workspace.index, config, None, &paths);
    let before = tally(&workspace.index, &without_hints(store.all(&workspace.index)));
    let check = taskmark::engine::edit::FixCheck { config, baseline: None, paths: &paths };
    let options = StatusChangeOptions {
        reason: Some("corpus test".into()),
        ..StatusChangeOptions::new(Now::from_timestamp(jiff::Timestamp::UNIX_EPOCH))
    };
    let (mut applied, mut held_back, mut failures) = (0, 0, Vec::new());
    // Each change is judged by a check of the whole workspace: on a snapshot of thousands of
    // tasks (Kiro's spec folders), every n-th task, evenly spread, keeps the suite in minutes.
    let tasks = workspace.index.tasks().len();
    let step = tasks.div_ceil(SET_TASKS_MOST).max(1);
    for task in workspace.index.tasks().keys().step_by(step) {
        let Some(profile) = workspace.index.task_profile(task) else { continue };
        let Some((_, current)) = workspace.index.task_status(task) else { continue };
        let next = profile.next(Scope::Task, current);
        if next.is_empty() {
            // Completed, abandoned: nothing follows.
            continue;
        }
        let accepted = next.into_iter().find_map(|next| {
            let change = plan_status_change(&workspace.index, task, &profile.status(next).id, &options).ok()?;
            taskmark::engine::edit::refuse_new_drift(&workspace.index, &store, &check, &change).ok()?;
            Some((next, change))
        });
        let Some((next, change)) = accepted else {
            held_back += 1;
            continue;
        };
        applied += 1;
        let mut index = workspace.index.clone();
        for (path, text) in change.apply(&workspace.index) {
            index.set_file(&path, Some(Arc::from(text)));
        }
        let new = appeared(&before, &tally(&index, &without_hints(rules::check(&index, config, None, &paths))));
        if !new.is_empty() {
            failures.push(format!("set {} {}: {}", task.id, profile.status(next).id, new.join("; ")));
        }
    }
    println!(
        "{}: {applied} tasks set, {held_back} with no change `set` accepts without --force (every {step} of {tasks})",
        snapshot.display()
    );
    ensure(failures.is_empty(), || {
        format!("{} of {applied} changes left new diagnostics:\n{}", failures.len(), failures.join("\n"))
    })
}

/// `next` on 5dlabs/taskmaster-sync, whose tasks.json writes string ids with hyphens and
/// subtasks citing their siblings by those ids, against the order read by hand from the file:
/// priority first (every one here is `high`), then how many open tasks wait on each, directly
/// or through a chain (the subtask chains: repo-detection has four behind it, so has
/// change-detection-engine; status-mapping-config three; auto-project-discovery, two top-level
/// tasks; detect-missing-project two), then by id. Before the ids were read as written, the
/// dependencies were misread as `rust.real.issues` and 18 tasks were held back as waiting on
/// no task.
fn next_on_taskmaster_sync(snapshot: &Path) -> Result<(), Failed> {
    use taskmark::engine::lifecycle::next::{NextFilter, next_tasks};
    let workspace = snapshot_workspace(snapshot)?;
    let ranked = next_tasks(&workspace.index, &NextFilter::default(), &|_| Vec::new());
    let ready: Vec<(&str, usize)> =
        ranked.ready.iter().map(|it| (&*it.row.summary.task.id, it.unblocks.len())).take(9).collect();
    let expected = [
        ("auto-project-discovery.repo-detection", 4),
        ("intelligent-delta-sync.change-detection-engine", 4),
        ("status-mapping-workflow.status-mapping-config", 3),
        ("auto-project-discovery", 2),
        ("github-action-simplification.detect-missing-project", 2),
        ("enhanced-subtask-demo.architecture-with-nested", 0),
        ("enhanced-subtask-demo.pm-project-coordination", 0),
        ("enhanced-subtask-demo.qa-testing-complex", 0),
        ("github-action-publishing", 0),
    ];
    ensure(ready == expected, || format!("ready, best first: {ready:?}"))?;
    let held = |task: &str| ranked.held.iter().find(|it| &*it.row.summary.task.id == task).map(|it| it.why.join("; "));
    let why = held("auto-project-discovery.project-discovery-api").unwrap_or_default();
    ensure(why.contains("auto-project-discovery.repo-detection") && why.contains("pending"), || {
        format!("project-discovery-api is held back for its sibling: {why}")
    })?;
    ensure(ranked.held.iter().all(|it| !it.why.join(" ").contains("no task of this tracker")), || {
        let misread: Vec<String> = ranked.held.iter().map(|it| it.why.join("; ")).collect();
        format!("a dependency read as no task: {misread:?}")
    })
}

/// How many status changes `board_follows_changes` makes on one snapshot.
const BOARD_CHANGES: usize = 6;

/// The board a memo computes again in part, after each of a series of status changes written
/// as the language server writes them (`write_file`, re-parsed in part where it can be), is the
/// board computed afresh, and the cards it answers with are exactly those that changed: on
/// trackers the rule of "a tracker none of whose files changed reads as before" was not
/// written from.
fn board_follows_changes(snapshot: &Path) -> Result<(), Failed> {
    use taskmark::service::board::{BoardRequest, MOST_CARDS, board, board_after};
    use taskmark::service::claims::ClaimStore;
    use taskmark::service::guards::TaskWorkspace;
    let name = snapshot.file_name().and_then(|it| it.to_str()).unwrap_or("?").to_string();
    let loaded = snapshot_workspace(snapshot)?;
    let claims_folder = tempfile::tempdir().map_err(|it| it.to_string())?;
    let claims = ClaimStore::in_folder(claims_folder.path(), "corpus");
    let now = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    fn task_workspace<'a>(
        index: &'a WorkspaceIndex,
        loaded: &'a workspace::Workspace,
        claims: &'a ClaimStore,
    ) -> TaskWorkspace<'a> {
        TaskWorkspace {
            index,
            config: &loaded.config,
            paths: &loaded.known,
            store: None,
            baseline: None,
            unreadable: Vec::new(),
            claims,
            elsewhere: &[],
            listed: &loaded.known,
        }
    }
    let (first, mut memo) =
        board_after(&task_workspace(&loaded.index, &loaded, &claims), &BoardRequest::default(), now, None)
            .map_err(|it| it.to_string())?;
    ensure(first.since.is_none() && first.cards.len() == first.card_count.min(MOST_CARDS), || {
        format!("{name}: a first board is whole")
    })?;
    let mut shown = first.cards;
    let mut generation = first.generation;
    let options = StatusChangeOptions {
        reason: Some("corpus test".into()),
        ..StatusChangeOptions::new(Now::from_timestamp(jiff::Timestamp::UNIX_EPOCH))
    };
    let mut index = loaded.index.clone();
    let tasks: Vec<TaskKey> = index.tasks().keys().cloned().collect();
    let step = tasks.len().div_ceil(BOARD_CHANGES).max(1);
    let (mut changes, mut partial) = (0, 0);
    for task in tasks.iter().step_by(step) {
        let Some(profile) = index.task_profile(task) else { continue };
        let Some((_, current)) = index.task_status(task) else { continue };
        let planned = profile
            .next(Scope::Task, current)
            .into_iter()
            .find_map(|next| plan_status_change(&index, task, &profile.status(next).id, &options).ok());
        let Some(change) = planned else { continue };
        let before = index.clone();
        for (path, text) in change.apply(&before) {
            index.write_file(&path, Arc::from(text), |_, _| {});
        }
        changes += 1;
        let request = BoardRequest { since: Some(generation.clone()), ..BoardRequest::default() };
        let (answer, next_memo) = board_after(&task_workspace(&index, &loaded, &claims), &request, now, Some(&memo))
            .map_err(|it| it.to_string())?;
        let fresh = board(&task_workspace(&index, &loaded, &claims), &BoardRequest::default(), now)
            .map_err(|it| it.to_string())?;
        let what = format!("{name}: after setting {task}");
        ensure(answer.generation == fresh.generation, || format!("{what}: generation differs from a fresh board's"))?;
        ensure(answer.trackers == fresh.trackers && answer.critical_path == fresh.critical_path, || {
            format!("{what}: trackers or critical path differ from a fresh board's")
        })?;
        let cards = match &answer.since {
            Some(since) => {
                ensure(*since == generation, || format!("{what}: a change since {since}, not since {generation}"))?;
                partial += 1;
                let changed: BTreeMap<&str, &taskmark::service::board::Card> =
                    answer.cards.iter().map(|it| (it.task.as_str(), it)).collect();
                let differing = shown.iter().zip(&fresh.cards).filter(|(a, b)| a != b).count();
                ensure(changed.len() == differing, || {
                    format!("{what}: {} cards sent, {differing} changed", changed.len())
                })?;
                shown
                    .iter()
                    .map(|it| changed.get(it.task.as_str()).map_or_else(|| it.clone(), |it| (*it).clone()))
                    .collect()
            }
            None => answer.cards,
        };
        if let Some((was, is)) = cards.iter().zip(&fresh.cards).find(|(a, b)| a != b) {
            return Err(format!("{what}: the card kept or sent\n{was:?}\nis not the fresh one\n{is:?}").into());
        }
        ensure(cards.len() == fresh.cards.len(), || {
            format!("{what}: {} cards, fresh {}", cards.len(), fresh.cards.len())
        })?;
        shown = cards;
        generation = answer.generation;
        memo = next_memo;
    }
    // Nothing changed: the same board, and no card to send.
    let request = BoardRequest { since: Some(generation.clone()), ..BoardRequest::default() };
    let (again, _) = board_after(&task_workspace(&index, &loaded, &claims), &request, now, Some(&memo))
        .map_err(|it| it.to_string())?;
    ensure(again.generation == generation && again.cards.is_empty() && again.since.is_some(), || {
        format!("{name}: an unchanged board sent {} cards", again.cards.len())
    })?;
    println!("{name}: {changes} changes followed, {partial} answered with the changed cards alone");
    Ok(())
}

/// Diagnostics without hints: suggestions, not drift, in what "nothing new" compares.
fn without_hints(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.into_iter().filter(|it| it.severity != taskmark::engine::diagnostic::Severity::Hint).collect()
}

/// `new` in every tracker of the snapshot that takes new tasks (with a plan skeleton in
/// spec-folder ones): the change leaves no diagnostic that was not there. A refusal is allowed
/// only for the reasons `new` gives on purpose (counters that already disagree, a store that
/// does not parse, several places to choose from), and is printed.
fn new_leaves_nothing_new(snapshot: &Path) -> Result<(), Failed> {
    use taskmark::engine::edit::Refusal;
    use taskmark::engine::lifecycle::{NewTask, UsedIds, plan_new_task};
    let workspace = snapshot_workspace(snapshot)?;
    let disk = DiskPaths { root: &workspace.root, known: &workspace.known };
    let config = &workspace.config;
    let before = tally(&workspace.index, &without_hints(rules::check(&workspace.index, config, None, &disk)));
    let (mut created, mut refused, mut failures) = (0, Vec::new(), Vec::new());
    for tracker in workspace.index.trackers() {
        let mut request = NewTask::new("Corpus check task", Now::from_timestamp(jiff::Timestamp::UNIX_EPOCH));
        request.tracker = Some(tracker.root.clone());
        request.plan = tracker.family == layout::Family::SpecFolder;
        let used = UsedIds::from_index(&workspace.index, &tracker.root, "snapshot");
        let planned = match plan_new_task(&workspace.index, &request, &used) {
            Ok(planned) => planned,
            Err(refusal @ (Refusal::InconsistentTracker { .. } | Refusal::NotEditable { .. })) => {
                refused.push(format!("{}: {refusal}", tracker.root));
                continue;
            }
            Err(Refusal::BadRequest(why))
                if why.contains("cannot add tasks") || why.contains("has no") || why.contains("has neither") =>
            {
                continue;
            }
            Err(refusal) => {
                failures.push(format!("{}: refused: {refusal}", tracker.root));
                continue;
            }
        };
        created += 1;
        let mut index = workspace.index.clone();
        for (path, text) in planned.change.apply(&workspace.index) {
            index.set_file(&path, Some(Arc::from(text)));
        }
        // A link to a created file resolves through the index, which now holds it.
        let new = appeared(&before, &tally(&index, &without_hints(rules::check(&index, config, None, &disk))));
        if !new.is_empty() {
            failures.push(format!("new in {}: {}", tracker.root, new.join("; ")));
        }
    }
    println!("{}: {created} trackers took a new task; refused on purpose: {refused:?}", snapshot.display());
    ensure(failures.is_empty(), || {
        format!("{} new tasks left new diagnostics:\n{}", failures.len(), failures.join("\n"))
    })
}

/// `archive --done` on every spec-folder and Backlog.md tracker of the snapshot: the change,
/// its moves included, leaves no diagnostic that was not there (ids archived stay reserved).
/// A refusal is allowed only for a store that does not parse.
fn archive_leaves_nothing_new(snapshot: &Path) -> Result<(), Failed> {
    use taskmark::engine::edit::{FixCheck, Refusal};
    use taskmark::engine::lifecycle::{ArchiveRequest, plan_archive};
    let workspace = snapshot_workspace(snapshot)?;
    let disk = DiskPaths { root: &workspace.root, known: &workspace.known };
    let config = &workspace.config;
    let store = rules::DiagnosticStore::new(&workspace.index, config, None, &disk);
    let check = FixCheck { config, baseline: None, paths: &disk };
    let mut failures = Vec::new();
    let mut archived = 0;
    for tracker in workspace.index.trackers() {
        if !matches!(tracker.family, layout::Family::SpecFolder | layout::Family::Backlog) {
            continue;
        }
        let request = ArchiveRequest {
            tasks: Vec::new(),
            done: true,
            tracker: Some(tracker.root.clone()),
            now: Now::from_timestamp(jiff::Timestamp::UNIX_EPOCH),
        };
        let planned = match plan_archive(&workspace.index, &request) {
            Ok(planned) => planned,
            Err(Refusal::BadRequest(why)) if why.contains("no finished task") => continue,
            Err(refusal @ Refusal::NotEditable { .. }) => {
                println!("{}: {refusal}", tracker.root);
                continue;
            }
            Err(refusal) => {
                failures.push(format!("{}: refused: {refusal}", tracker.root));
                continue;
            }
        };
        archived += planned.tasks.len();
        let (after, left) = check.left_behind(&workspace.index, &store, &planned.change, false);
        let new: Vec<String> = left
            .iter()
            .take(8)
            .map(|it| format!("{} in {}: {}", it.code, after.index.path(it.file), it.message))
            .collect();
        if !new.is_empty() {
            failures.push(format!("{} ({} tasks): {}", tracker.root, planned.tasks.len(), new.join("; ")));
        }
    }
    println!("{}: {archived} tasks archived", snapshot.display());
    ensure(failures.is_empty(), || format!("archives left new diagnostics:\n{}", failures.join("\n")))
}

/// `edit` of up to twelve tasks of the snapshot, spread over its trackers: a new title, a
/// priority and description, and the first dependency removed. Each change leaves no
/// diagnostic that was not there. A refusal is allowed only when no store keeps the field.
fn edit_leaves_nothing_new(snapshot: &Path) -> Result<(), Failed> {
    use taskmark::engine::edit::Refusal;
    use taskmark::engine::lifecycle::{EditTask, plan_edit_task};
    let workspace = snapshot_workspace(snapshot)?;
    let disk = DiskPaths { root: &workspace.root, known: &workspace.known };
    let config = &workspace.config;
    let before = tally(&workspace.index, &without_hints(rules::check(&workspace.index, config, None, &disk)));
    let tasks: Vec<&TaskKey> = workspace.index.tasks().keys().collect();
    let step = (tasks.len() / 12).max(1);
    let (mut edited, mut failures) = (0, Vec::new());
    for (at, task) in tasks.iter().step_by(step).take(12).enumerate() {
        let mut requests = Vec::new();
        let mut title = EditTask::new((*task).clone());
        title.title = Some(format!("Corpus edit {at}"));
        requests.push(title);
        let mut fields = EditTask::new((*task).clone());
        fields.priority = Some("high".into());
        fields.description = Some("Edited by the corpus suite.".into());
        requests.push(fields);
        let dependency = workspace.index.task(task).and_then(|entry| {
            entry.places.iter().find_map(|it| workspace.index.place(*it).dependencies.first().map(|it| it.id.clone()))
        });
        if let Some(dependency) = dependency {
            let mut remove = EditTask::new((*task).clone());
            remove.remove_dependencies = vec![dependency];
            requests.push(remove);
        }
        for request in requests {
            let change = match plan_edit_task(&workspace.index, &request) {
                Ok(change) => change,
                Err(Refusal::BadRequest(why))
                    if why.contains("keeps") || why.contains("archived") || why.contains("unknown dependency") =>
                {
                    continue;
                }
                Err(refusal @ Refusal::NotEditable { .. }) => {
                    println!("{task}: {refusal}");
                    continue;
                }
                Err(refusal) => {
                    failures.push(format!("{}:{task}: refused: {refusal}", task.scope));
                    continue;
                }
            };
            edited += 1;
            let mut index = workspace.index.clone();
            for (path, text) in change.apply(&workspace.index) {
                index.set_file(&path, Some(Arc::from(text)));
            }
            let new = appeared(&before, &tally(&index, &without_hints(rules::check(&index, config, None, &disk))));
            if !new.is_empty() {
                failures.push(format!("{} of {}:{task}: {}", change.label, task.scope, new.join("; ")));
            }
        }
    }
    println!("{}: {edited} edits", snapshot.display());
    ensure(failures.is_empty(), || format!("{} edits left new diagnostics:\n{}", failures.len(), failures.join("\n")))
}

/// `show` and `check` share one notion of disagreement: a task whose places `show` says
/// disagree has a `status-mismatch` diagnostic, and one with such a diagnostic is shown as
/// disagreeing.
fn show_and_check_agree(snapshot: &Path) -> Result<(), Failed> {
    let workspace = snapshot_workspace(snapshot)?;
    let paths = DiskPaths { root: &workspace.root, known: &workspace.known };
    let diagnostics = rules::check(&workspace.index, &workspace.config, None, &paths);
    // A phase written in two places that disagree is a task's diagnostic too, but not a place
    // of the task `show` lists.
    let mismatched: BTreeSet<&TaskKey> = diagnostics
        .iter()
        .filter(|it| {
            // A hint says a place is behind by its tool's own way (a Conductor metadata.json as
            // the track was made), which `show` notes beside the place without a disagreement.
            it.code == RuleCode::StatusMismatch
                && it.severity != taskmark::engine::diagnostic::Severity::Hint
                && !matches!(it.fix, Some(taskmark::engine::diagnostic::FixHint::AlignPlaces { .. }))
        })
        .filter_map(|it| it.task.as_ref())
        .collect();
    let mut differences = Vec::new();
    for task in workspace.index.tasks().keys() {
        let summary = taskmark::engine::ide::task_summary(&workspace.index, task);
        let shown = !summary.agrees();
        if shown != mismatched.contains(task) {
            let places: Vec<String> = summary
                .places
                .iter()
                .map(|it| {
                    format!(
                        "{} {}:{} {}{}{}",
                        it.kind,
                        it.path,
                        it.line,
                        it.value,
                        if it.agrees { "" } else { " ✗" },
                        if it.current { "" } else { " (not current)" }
                    )
                })
                .collect();
            differences.push(format!(
                "task {}: show says {}, check {}: {}",
                task.id,
                if shown { "disagree" } else { "agree" },
                if mismatched.contains(task) { "reports a mismatch" } else { "is silent" },
                places.join(", ")
            ));
        }
    }
    ensure(differences.is_empty(), || format!("{} tasks:\n{}", differences.len(), differences.join("\n")))
}

/// The merge driver's engine on every TODO.md and state.json of a snapshot: a file merged with
/// itself is itself, and two sides that each changed the status of a different task merge to
/// the file with both changes, with no conflict, task by task.
fn merge_driver_on(root: &Path) -> Result<(), Failed> {
    use taskmark::engine::merge::{Markers, MergeInput, merge};
    use taskmark::engine::model::Editability;
    use taskmark::engine::vocabulary::Lookup;
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).map_err(|error| format!("{}: {error}", folder.display()))?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|it| it == "TODO.md" || it == "state.json") {
                files.push(path);
            }
        }
    }
    files.sort();
    let vocabularies = taskmark::engine::config::Vocabularies::default();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let relative =
            path.strip_prefix(root).map_err(|_| "a path inside the snapshot")?.to_string_lossy().replace('\\', "/");
        let run = |base: &str, ours: &str, theirs: &str| {
            merge(&MergeInput {
                path: &relative,
                base: base.as_bytes(),
                ours: ours.as_bytes(),
                theirs: theirs.as_bytes(),
                vocabularies: &vocabularies,
                context: &[],
                markers: Markers::default(),
            })
        };
        let same = run(&text, &text, &text);
        ensure(same.text == text.as_bytes() && same.conflicts == 0, || {
            format!("{relative} merged with itself changed")
        })?;
        // Two places of two different tasks, each given another status of its vocabulary.
        let index = WorkspaceIndex::build(
            vec![SourceFile { path: relative.clone(), text: Arc::from(text.as_str()) }],
            &vocabularies,
        );
        let Some(file) = index.file_id(&relative) else { continue };
        let Some(profile) = index.profile(file) else { continue };
        if !index.parsed(file).problems.is_empty() {
            continue;
        }
        let places: Vec<_> = index
            .parsed(file)
            .places
            .iter()
            .filter(|it| it.editable == Editability::Editable && it.status.is_some() && it.task().is_some())
            .filter(|it| matches!(it.kind, PlaceKind::TodoSection | PlaceKind::StateJson))
            .collect();
        let (Some(first), Some(last)) =
            (places.first(), places.iter().rev().find(|it| it.task() != places.first().and_then(|first| first.task())))
        else {
            continue;
        };
        let other = |place: &taskmark::engine::model::Place| {
            profile.ids().find_map(|id| {
                let spelled = profile.status(id).spelled(place.marker.spelling)?;
                let fits = profile.status(id).in_scope(Scope::Task) && Some(id) != place.status;
                let known = matches!(profile.lookup(place.marker.spelling, &spelled, Scope::Task), Lookup::Known(it) if it == id);
                (fits && known).then_some(spelled)
            })
        };
        let (Some(first_status), Some(last_status)) = (other(first), other(last)) else { continue };
        let replace = |text: &str, range: taskmark::engine::text::TextRange, with: &str| {
            let range = std::ops::Range::<usize>::from(range);
            format!("{}{with}{}", &text[..range.start], &text[range.end..])
        };
        let ours = replace(&text, first.marker.range, &first_status);
        let theirs = replace(&text, last.marker.range, &last_status);
        // The later place first, so that the earlier one's range still holds.
        let both = replace(&replace(&text, last.marker.range, &last_status), first.marker.range, &first_status);
        let out = run(&text, &ours, &theirs);
        ensure(out.fallback.is_none(), || format!("{relative}: merged as plain lines: {:?}", out.fallback))?;
        ensure(out.conflicts == 0 && out.text == both.as_bytes(), || {
            format!(
                "{relative}: tasks {} and {} changed on either side do not merge to both changes",
                first.task().map(|it| it.id.as_str()).unwrap_or("?"),
                last.task().map(|it| it.id.as_str()).unwrap_or("?")
            )
        })?;
    }
    Ok(())
}
