//! End-to-end tests of the `taskmark` binary: real processes, real files, real git.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use taskmark_test_support::git;

use serde_json::Value;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example")
}

/// A folder's real path as a string: what the binary prints as a root.
fn canonical(path: &Path) -> String {
    std::fs::canonicalize(path).expect("an existing folder").display().to_string()
}

fn taskmark(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("the taskmark binary runs")
}

/// Runs a writing command in a copied workspace, directly (no daemon), with its state and
/// runtime folders inside the copy so nothing leaks between tests.
fn write_in(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(args)
        .args(["--no-daemon", "--root", "."])
        .current_dir(root)
        .env("TASKMARK_STATE_DIR", root.join(".state"))
        .env("TASKMARK_RUNTIME_DIR", root.join(".runtime"))
        .output()
        .expect("the taskmark binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `files` (path, content) under a fresh temporary directory.
fn workspace(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (path, content) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("create folders");
        std::fs::write(full, content).expect("write fixture file");
    }
    dir
}

#[test]
fn example_workspace_human_output() {
    let output = taskmark(&example(), &["check", ".", "--no-baseline"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output).replace(&canonical(&example()), "[EXAMPLE]"));
}

#[test]
fn example_workspace_json_output_is_lsp_shaped() {
    let output = taskmark(&example(), &["check", ".", "--no-baseline", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let diagnostics = json["diagnostics"].as_array().expect("a diagnostics array");
    let codes: Vec<&str> = diagnostics.iter().filter_map(|it| it["code"].as_str()).collect();
    for code in [
        "status-mismatch",
        "plan-status-stale",
        "open-children",
        "unknown-status",
        "stale-counts",
        "broken-link",
        "missing-field",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let typo = diagnostics.iter().find(|it| it["code"] == "unknown-status").expect("the typo");
    assert_eq!(typo["file"], "specs/012_sync_engine/plans/implementation-001.md");
    assert_eq!(typo["range"]["start"], serde_json::json!({"line": 30, "character": 32}));
    assert_eq!(typo["range"]["end"], serde_json::json!({"line": 30, "character": 44}));
    assert_eq!(typo["severity"], "error");
    assert_eq!(typo["task"], "12");
    assert_eq!(typo["fixes"][0], "Replace with `[IN PROGRESS]`");
    let mismatch =
        diagnostics.iter().find(|it| it["code"] == "status-mismatch" && it["task"] == "13").expect("task 13");
    assert_eq!(mismatch["related"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["summary"]["errors"], 3);
    assert_eq!(json["summary"]["warnings"], 5);
    assert_eq!(json["summary"]["tasks"], 7);
}

#[test]
fn json_positions_count_utf16_units() {
    // 🚀 is two UTF-16 units and four bytes: the marker starts at UTF-16 column 23, byte 25.
    let dir = workspace(&[(
        "specs/001_launch/plans/implementation-001.md",
        "# Plan\n- **Status**: [IN PROGRESS]\n\n### Phase 1: 🚀 Launch [DONE]\n".as_bytes(),
    )]);
    let output = taskmark(dir.path(), &["check", ".", "--no-baseline", "--format", "json"]);
    let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let typo = json["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|it| it["code"] == "unknown-status")
        .expect("the typo");
    assert_eq!(typo["range"]["start"], serde_json::json!({"line": 3, "character": 23}));
    assert_eq!(typo["range"]["end"], serde_json::json!({"line": 3, "character": 29}));
    let human = taskmark(dir.path(), &["check", ".", "--no-baseline"]);
    assert!(
        stdout(&human).contains("implementation-001.md:4:23"),
        "human columns count characters: {}",
        stdout(&human)
    );
}

#[test]
fn github_annotations() {
    let output = taskmark(&example(), &["check", ".", "--no-baseline", "--format", "github"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("::error file=specs/012_sync_engine/plans/implementation-001.md,line=31,col=33,endLine=31,endColumn=45,title=unknown-status::unknown status `[IN PROGRES]`"),
        "{text}"
    );
    assert!(text.lines().filter(|it| it.starts_with("::warning ")).count() >= 5, "{text}");
}

#[test]
fn exit_codes() {
    let clean = workspace(&[("specs/TODO.md", b"### 1. Fine\n- **Status**: [NOT STARTED]\n")]);
    let output = taskmark(clean.path(), &["check", ".", "--no-baseline"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("taskmark: 0 errors, 0 warnings in 1 file (1 tracker, 1 task; no baseline)"));

    // Task 1 lacks the **Completed** field task 2 shows the tracker writes: a warning.
    let warnings = workspace(&[(
        "specs/TODO.md",
        b"### 1. Done\n- **Status**: [COMPLETED]\n\n### 2. Dated\n- **Status**: [COMPLETED]\n- **Completed**: 2026-01-02\n",
    )]);
    assert_eq!(taskmark(warnings.path(), &["check", ".", "--no-baseline"]).status.code(), Some(0));
    assert_eq!(
        taskmark(warnings.path(), &["check", ".", "--no-baseline", "--deny", "warnings"]).status.code(),
        Some(1)
    );

    let output = taskmark(clean.path(), &["check", "--bogus"]);
    assert_eq!(output.status.code(), Some(2));
    let output = taskmark(clean.path(), &["check", "does/not/exist"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot open does/not/exist"), "{}", stderr(&output));
    assert_eq!(taskmark(clean.path(), &["--version"]).status.code(), Some(0));
}

/// Runs `taskmark` with `HOME` set to `home`, so the home-folder guard can be tested.
fn taskmark_with_home(cwd: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .output()
        .expect("the taskmark binary runs")
}

const ONE_TASK: &[u8] = b"### 1. Fine\n- **Status**: [NOT STARTED]\n";

/// `check PATH` inside a repository narrows what is reported and keeps the repository's root
/// (its links and its standard read as from the root), as ruff's and rustc's paths do; before,
/// the PATH became the root, and a task folder given as PATH had "no tracker".
#[test]
fn check_path_narrows_the_report_and_keeps_the_root() {
    let repository = workspace(&[
        (
            "docs/specs/TODO.md",
            b"## Tasks\n\n### 1. One\n- **Status**: [BOGUS]\n\nSee [the plan](001_one/plans/implementation-001.md).\n",
        ),
        ("docs/specs/001_one/plans/implementation-001.md", b"# Plan\n- **Status**: [BOGUS2]\n"),
        ("notes/TODO.md", b"- [?] odd box\n"),
    ]);
    git(repository.path(), &["init", "-q"]);
    let root = canonical(repository.path());
    let codes = |args: &[&str]| -> (Value, Vec<String>) {
        let output = taskmark(repository.path(), &[&["check", "--no-baseline", "--format", "json"][..], args].concat());
        let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
        let files = json["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|it| it["file"].as_str().unwrap_or_default().to_string())
            .collect();
        (json, files)
    };
    let (whole, everywhere) = codes(&[]);
    assert!(everywhere.iter().any(|it| it.starts_with("notes/")), "{whole}");
    for path in ["docs/specs/TODO.md", "docs/specs", "docs/specs/001_one"] {
        let (json, files) = codes(&[path]);
        assert_eq!(json["summary"]["root"], root, "{path}: the root stays the repository's");
        assert!(!files.is_empty(), "{path}: {json}");
        assert!(files.iter().all(|it| it.starts_with(path)), "{path}: only what is under it: {files:?}");
    }
}

#[test]
fn check_says_which_root_it_chose_and_why() {
    let repository = workspace(&[("docs/specs/TODO.md", ONE_TASK)]);
    git(repository.path(), &["init", "-q"]);
    let root = canonical(repository.path());
    let output = taskmark(&repository.path().join("docs"), &["check", "--no-baseline"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(&format!("taskmark: root {root} (the folder holding .git)\n")),
        "{}",
        stdout(&output)
    );
    assert_eq!(stderr(&output), "", "a root a marker chose needs no note");

    std::fs::write(repository.path().join("docs/.taskmark.toml"), "").expect("write");
    let output = taskmark(&repository.path().join("docs/specs"), &["check", "--no-baseline", "--format", "json"]);
    let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(json["summary"]["root"], format!("{root}/docs"));
    assert_eq!(json["summary"]["root_chosen_by"], "the folder holding .taskmark.toml");

    let output = taskmark(repository.path(), &["check", "--no-baseline", "--root", "docs/specs", "--format", "github"]);
    assert!(stdout(&output).contains(&format!("taskmark: root {root}/docs/specs (--root)\n")), "{}", stdout(&output));
}

#[test]
fn a_root_no_marker_chose_is_named_and_bounded() {
    let home = workspace(&[("specs/TODO.md", ONE_TASK)]);
    let home_path = canonical(home.path());
    let elsewhere = tempfile::tempdir().expect("a temporary folder");
    // No .git or .taskmark.toml above a temporary folder: the current folder is the root, said so.
    let output = taskmark_with_home(home.path(), elsewhere.path(), &["check", "--no-baseline"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "taskmark: note: root {home_path} (the current folder; no .git or .taskmark.toml at or above it; --root DIR names another)"
        )),
        "{}",
        stderr(&output)
    );

    // The same folder as the user's home is refused, naming --root; --root takes it.
    let output = taskmark_with_home(home.path(), home.path(), &["check", "--no-baseline"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("it is your home folder"), "{message}");
    assert!(message.contains(&format!("pass --root {home_path} to index it anyway")), "{message}");
    assert_eq!(stdout(&output), "", "nothing indexed");
    for command in [&["show", "1"][..], &["list"], &["set", "1", "planning", "--dry-run"]] {
        let output = taskmark_with_home(home.path(), home.path(), command);
        assert_eq!(output.status.code(), Some(2), "{command:?}: {}", stderr(&output));
    }
    let output = taskmark_with_home(home.path(), home.path(), &["check", "--no-baseline", "--root", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    // So is `/`, at once (it used to walk the whole file system for minutes).
    if !Path::new("/.git").exists() && !Path::new("/.taskmark.toml").exists() {
        let started = std::time::Instant::now();
        let output = taskmark(Path::new("/"), &["check"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr(&output).contains("it is the file system's root"), "{}", stderr(&output));
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    // And a folder of more files than a tracker workspace has.
    let big = workspace(&[("specs/TODO.md", ONE_TASK)]);
    for n in 0..taskmark::workspace::UNMARKED_ROOT_MAX_FILES {
        std::fs::write(big.path().join(format!("f{n}.txt")), "").expect("write");
    }
    let output = taskmark(big.path(), &["check", "--no-baseline"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("it holds more than 5000 files"), "{}", stderr(&output));
    assert_eq!(taskmark(big.path(), &["check", "--no-baseline", "--root", "."]).status.code(), Some(0));
}

#[test]
fn no_tracker_under_the_root_is_said_plainly() {
    let empty = workspace(&[("README.md", b"# Notes\n")]);
    git(empty.path(), &["init", "-q"]);
    let root = canonical(empty.path());
    let output = taskmark(empty.path(), &["check"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains(&format!("no tracker found under {root} (the folder holding .git)")),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "", "no report on zero files");
    assert_eq!(taskmark(empty.path(), &["list"]).status.code(), Some(2));
    let output = taskmark(empty.path(), &["show", "1"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains(&format!("no tracker found under {root}")), "{}", stderr(&output));
}

#[test]
fn every_command_that_takes_a_root_explains_it() {
    for command in COMMANDS.iter().filter(|it| !["completions", "man"].contains(it)).chain(&["mcp", "hook"]) {
        let help = stdout(&taskmark(&example(), &[command, "--help"]));
        let option = help.find("--root <DIR>").unwrap_or_else(|| panic!("{command}: {help}"));
        let after = &help[option + "--root <DIR>".len()..];
        let text = after.split("\n  -").next().unwrap_or("");
        assert!(text.contains("workspace root"), "{command}: --root without help: {help}");
    }
}

#[test]
fn one_exit_code_per_kind_of_failure() {
    use taskmark::cli::exit;
    let dir = workspace(&[("specs/TODO.md", b"### 39. Sync\n- **Status**: [PLANNED]\n- **Planned**: 2026-01-01\n")]);
    git(dir.path(), &["init", "-q"]);
    let code = |args: &[&str]| taskmark(dir.path(), args).status.code();
    // An unknown task is a refusal (3) for every command that names one.
    assert_eq!(code(&["show", "9999"]), Some(exit::REFUSED.into()));
    assert_eq!(code(&["set", "9999", "implementing", "--dry-run"]), Some(exit::REFUSED.into()));
    assert_eq!(code(&["edit", "9999", "--title", "x", "--dry-run"]), Some(exit::REFUSED.into()));
    assert_eq!(code(&["archive", "9999", "--dry-run"]), Some(exit::REFUSED.into()));
    assert_eq!(code(&["set", "39", "shipped", "--dry-run"]), Some(exit::REFUSED.into()));
    assert_eq!(code(&["set", "39", "completed", "--dry-run"]), Some(exit::REFUSED.into()), "a forbidden transition");
    // Bad arguments are 2 everywhere.
    assert_eq!(code(&["show"]), Some(exit::FAILURE.into()));
    assert_eq!(code(&["set", "39", "implementing", "--date", "yesterday"]), Some(exit::FAILURE.into()));
    assert_eq!(code(&["fix", "--code", "no-such-rule"]), Some(exit::FAILURE.into()));
    assert_eq!(code(&["check", "--no-baseline"]), Some(exit::CLEAN.into()));
    // The table is listed once, in every command's --help and in the user guide.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide/src/command-line.md"))
            .expect("the guide's command-line page");
    for command in [&["--help"][..], &["check", "--help"], &["set", "--help"], &["show", "--help"]] {
        let help = stdout(&taskmark(dir.path(), command));
        assert!(help.contains("Exit status:"), "{command:?}: {help}");
        for (code, meaning) in exit::TABLE {
            assert!(help.contains(&format!("  {code}  {meaning}")), "{command:?} lacks {code}: {help}");
        }
    }
    for (code, meaning) in exit::TABLE {
        assert!(readme.contains(&format!("| {code} | {meaning} |")), "the guide's exit status table lacks {code}");
    }
}

#[test]
fn misspelled_statuses_and_ids_get_suggestions() {
    let dir = workspace(&[("specs/TODO.md", b"### 39. Sync\n- **Status**: [PLANNED]\n- **Planned**: 2026-01-01\n")]);
    git(dir.path(), &["init", "-q"]);
    let set = |args: &[&str]| {
        let output = write_in(dir.path(), &[&["set"][..], args, &["--dry-run"]].concat());
        (output.status.code(), stdout(&output), stderr(&output))
    };
    let (code, _, message) = set(&["39", "plannedd"]);
    assert_eq!(code, Some(3));
    assert!(message.contains("unknown status `plannedd`; did you mean `[PLANNED]`?"), "{message}");
    // The tracker's own marker spelling and a kind or alias with one status are understood.
    for spelling in ["in-progress", "[IN PROGRESS]", "In Progress", "implementing", "[IMPLEMENTING]"] {
        let (code, out, message) = set(&["39", spelling]);
        assert_eq!(code, Some(0), "{spelling}: {message}");
        assert!(out.contains("Set status of 39 to [IMPLEMENTING] (dry run"), "{spelling}: {out}");
    }
    // `done` is `[COMPLETED]` here; from `[PLANNED]` that is a transition the vocabulary forbids.
    let (code, _, message) = set(&["39", "done"]);
    assert_eq!(code, Some(3));
    assert!(message.contains("`[PLANNED]` -> `[COMPLETED]` is not an allowed transition"), "{message}");
    let (code, _, message) = set(&["39", "failed"]);
    assert_eq!(code, Some(3));
    assert!(message.contains("status `failed` could be `[BLOCKED]` or `[ABANDONED]`"), "{message}");
    let (code, _, message) = set(&["38", "implementing"]);
    assert_eq!(code, Some(3));
    assert!(message.contains("no task `38` in this workspace; did you mean `39`?"), "{message}");
    let output = taskmark(dir.path(), &["show", "93"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("no task `93` in this workspace; did you mean `39`?"), "{}", stderr(&output));
}

const COMMANDS: [&str; 15] = [
    "check",
    "show",
    "list",
    "new",
    "edit",
    "archive",
    "set",
    "claim",
    "release",
    "fix",
    "config",
    "status",
    "recover",
    "completions",
    "man",
];

#[test]
fn shell_completions_come_from_the_command_line_definitions() {
    let bash = taskmark(&example(), &["completions", "bash"]);
    assert_eq!(bash.status.code(), Some(0), "{}", stderr(&bash));
    let script = stdout(&bash);
    assert!(script.contains("_taskmark()") && script.contains("complete -F _taskmark"), "{script}");
    for command in COMMANDS {
        assert!(script.contains(&format!("taskmark,{command})")), "bash completes `{command}`");
    }
    assert!(script.contains("--root") && script.contains("--dry-run"), "and their options");
    for shell in ["zsh", "fish", "powershell"] {
        let output = taskmark(&example(), &["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        assert!(script.contains("check") && script.contains("--root"), "{shell}: {script}");
    }
    assert_eq!(taskmark(&example(), &["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_from_the_command_line_definitions() {
    let output = taskmark(&example(), &["man"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = stdout(&output);
    assert!(page.contains("\n.TH taskmark 1 "), "{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH SUBCOMMANDS"] {
        assert!(page.contains(&format!("\n{section}\n")), "{section}: {page}");
    }
    assert!(page.contains("taskmark\\-check(1)"), "the commands are listed: {page}");
    let check = stdout(&taskmark(&example(), &["man", "check"]));
    assert!(check.contains("\n.TH taskmark\\-check 1 ") || check.contains("\n.TH taskmark-check 1 "), "{check}");
    assert!(check.contains("\\-\\-root") && check.contains("Exit status:"), "{check}");
    // Every request line is one of the man macros clap_mangen writes, and groff (where it is
    // installed) reads the pages without a warning.
    for page in [&page, &check] {
        for line in page.lines().filter(|it| it.starts_with('.')) {
            let request = line.split_whitespace().next().unwrap_or_default();
            assert!(
                [".TH", ".SH", ".SS", ".TP", ".IP", ".PP", ".RS", ".RE", ".br", ".ie", ".el", ".B", ".I"]
                    .contains(&request),
                "unexpected request `{line}`"
            );
        }
        if let Ok(mut groff) = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
        {
            use std::io::Write;
            groff.stdin.take().expect("stdin").write_all(page.as_bytes()).expect("groff reads");
            let checked = groff.wait_with_output().expect("groff runs");
            assert!(checked.status.success() && checked.stderr.is_empty(), "{}", stderr(&checked));
        }
    }
    let output = taskmark(&example(), &["man", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no command `nope`; the commands are check, show,"), "{}", stderr(&output));
}

#[test]
fn invalid_configuration_names_file_line_and_key() {
    let dir = workspace(&[
        (".taskmark.toml", b"[rules]\norphan-task = \"off\"\nstale-count = \"off\"\n"),
        ("specs/TODO.md", b"### 1. Fine\n- **Status**: [NOT STARTED]\n"),
    ]);
    let output = taskmark(dir.path(), &["check", ".", "--no-baseline"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(".taskmark.toml:3:1: `rules.stale-count`: unknown rule"), "{message}");
    let output = taskmark(dir.path(), &["config"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn configuration_changes_what_is_reported() {
    let dir = workspace(&[
        (".taskmark.toml", b"[rules]\nmissing-field = \"off\"\nstatus-mismatch = \"warning\"\n"),
        ("specs/TODO.md", b"### 1. Done\n- **Status**: [COMPLETED]\n"),
        ("specs/state.json", b"{\"active_projects\": [{\"project_number\": 1, \"status\": \"planned\"}]}"),
    ]);
    let output = taskmark(dir.path(), &["check", ".", "--no-baseline"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(!text.contains("missing-field"), "{text}");
    assert!(text.contains("warning[status-mismatch]"), "{text}");
}

#[test]
fn transitions_against_git_head_and_since() {
    let dir = workspace(&[(
        "specs/TODO.md",
        b"### 1. Shipped\n- **Status**: [COMPLETED]\n- **Completed**: 2026-01-01\n\n### 2. Next\n- **Status**: [NOT STARTED]\n",
    )]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    std::fs::write(
        dir.path().join("specs/TODO.md"),
        "### 1. Shipped\n- **Status**: [NOT STARTED]\n\n### 2. Next\n- **Status**: [RESEARCHING]\n",
    )
    .expect("write");
    let output = taskmark(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("error[invalid-transition]: `[COMPLETED]` -> `[NOT STARTED]` is not an allowed transition (since HEAD); from `[COMPLETED]` the spec-folder vocabulary allows none (terminal)"),
        "{text}"
    );
    assert_eq!(text.matches("invalid-transition").count(), 1, "RESEARCHING follows NOT STARTED: {text}");
    assert!(text.contains("transitions since HEAD"), "{text}");

    git(dir.path(), &["commit", "-q", "-am", "second"]);
    let output = taskmark(dir.path(), &["check"]);
    assert!(!stdout(&output).contains("invalid-transition"), "HEAD now has the new statuses");
    let output = taskmark(dir.path(), &["check", "--since", "HEAD~1"]);
    assert!(stdout(&output).contains("(since HEAD~1)"), "{}", stdout(&output));
    let output = taskmark(dir.path(), &["check", "--no-baseline"]);
    assert!(stdout(&output).contains("no baseline"));
    let output = taskmark(dir.path(), &["check", "--since", "no-such-rev"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown git revision `no-such-rev`"), "{}", stderr(&output));
}

/// The invalid transitions `check` finds against HEAD, as (task, message).
fn invalid_transitions(root: &Path) -> Vec<(String, String)> {
    let output = taskmark(root, &["check", "--format", "json"]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("check prints JSON");
    report["diagnostics"]
        .as_array()
        .expect("a diagnostics array")
        .iter()
        .filter(|it| it["code"] == "invalid-transition")
        .map(|it| {
            (
                it["task"].as_str().unwrap_or_default().to_string(),
                it["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// An agent's workflow between two commits: research, plan, implement, each `set` one allowed
/// step from the status before it. HEAD is several steps back, and `check` (the pre-commit
/// gate) must not call the whole path a forbidden jump; a jump no path allows still is one.
#[test]
fn several_allowed_steps_between_commits_are_no_invalid_transition() {
    let dir = workspace(&[
        (
            "specs/TODO.md",
            b"# TODO\n\n## Task Order\n\n- **1** [NOT STARTED] \xe2\x80\x94 Workflow\n- **2** [IMPLEMENTING] \xe2\x80\x94 Under way\n\n## Tasks\n\n### 1. Workflow\n- **Status**: [NOT STARTED]\n- **Created**: 2026-01-01\n\n### 2. Under way\n- **Status**: [IMPLEMENTING]\n- **Created**: 2026-01-01\n- **Started**: 2026-01-02\n",
        ),
        (
            "specs/state.json",
            b"{\n  \"next_project_number\": 3,\n  \"active_projects\": [\n    {\"project_number\": 1, \"project_name\": \"workflow\", \"status\": \"not_started\", \"created\": \"2026-01-01T00:00:00Z\"},\n    {\"project_number\": 2, \"project_name\": \"under_way\", \"status\": \"implementing\", \"created\": \"2026-01-01T00:00:00Z\", \"started\": \"2026-01-02T00:00:00Z\"}\n  ]\n}\n",
        ),
    ]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    let mut steps = Vec::new();
    for status in ["researching", "researched", "planning", "planned", "implementing"] {
        let output = write_in(dir.path(), &["set", "1", status, "--date", "2026-02-01"]);
        assert_eq!(output.status.code(), Some(0), "set 1 {status}: {}", stderr(&output));
        steps.push(status);
        assert_eq!(invalid_transitions(dir.path()), Vec::<(String, String)>::new(), "after {steps:?}");
    }

    // By hand, task 2 back to the start: nothing leads to NOT STARTED.
    for (path, from, to) in [
        ("specs/TODO.md", "[IMPLEMENTING] \u{2014} Under way", "[NOT STARTED] \u{2014} Under way"),
        (
            "specs/TODO.md",
            "- **Status**: [IMPLEMENTING]\n- **Created**: 2026-01-01\n- **Started**: 2026-01-02\n",
            "- **Status**: [NOT STARTED]\n- **Created**: 2026-01-01\n",
        ),
        (
            "specs/state.json",
            "\"under_way\", \"status\": \"implementing\"",
            "\"under_way\", \"status\": \"not_started\"",
        ),
    ] {
        let full = dir.path().join(path);
        let text = std::fs::read_to_string(&full).expect("read");
        assert!(text.contains(from), "{path} holds {from}: {text}");
        std::fs::write(&full, text.replacen(from, to, 1)).expect("write");
    }
    let found = invalid_transitions(dir.path());
    assert!(!found.is_empty() && found.iter().all(|(task, _)| task == "2"), "{found:?}");
    assert!(
        found.iter().any(|(_, message)| message.contains(
            "`[IMPLEMENTING]` -> `[NOT STARTED]` is not an allowed transition (since HEAD); from `[IMPLEMENTING]` the spec-folder vocabulary allows"
        ) && message.ends_with("; no path of allowed steps leads to `[NOT STARTED]`")),
        "{found:?}"
    );
}

#[test]
fn baseline_of_a_workspace_inside_a_bigger_repository() {
    let dir = workspace(&[(
        "sub/project/specs/TODO.md",
        b"### 7. Deep\n- **Status**: [COMPLETED]\n- **Completed**: 2026-01-01\n",
    )]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    std::fs::write(dir.path().join("sub/project/specs/TODO.md"), "### 7. Deep\n- **Status**: [PLANNED]\n")
        .expect("write");
    let output = taskmark(dir.path(), &["check", "sub/project"]);
    assert!(stdout(&output).contains("`[COMPLETED]` -> `[PLANNED]`"), "{}", stdout(&output));
}

#[test]
fn paths_select_what_is_reported() {
    let output = taskmark(&example(), &["check", "specs/TODO.md", "--no-baseline", "--format", "json"]);
    let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let files: Vec<&str> =
        json["diagnostics"].as_array().into_iter().flatten().filter_map(|it| it["file"].as_str()).collect();
    assert!(!files.is_empty());
    assert!(files.iter().all(|it| *it == "specs/TODO.md"), "{files:?}");
    // The whole workspace is still indexed: task 13's mismatch is found from TODO.md's side.
    assert!(json["diagnostics"].as_array().into_iter().flatten().any(|it| it["code"] == "stale-counts"));
}

#[test]
fn show_a_task() {
    let output = taskmark(&example(), &["show", "12"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
    let output = taskmark(&example(), &["show", "013", "--format", "json"]);
    let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(json["task"], "13");
    assert_eq!(json["status"], "[RESEARCHED]");
    let values: Vec<&str> =
        json["places"].as_array().into_iter().flatten().filter_map(|it| it["value"].as_str()).collect();
    assert_eq!(values, vec!["[RESEARCHED]", "planned", "[RESEARCHED]"]);
    let output = taskmark(&example(), &["show", "99"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("no task `99`"));
}

#[test]
fn show_fits_a_hundred_columns_wrapping_long_paths() {
    let folder = "specs/012_synchronise_the_offline_queue_with_the_server_after_reconnecting_and_retrying";
    let plan = format!("{folder}/plans/implementation-001-with-a-rather-long-name.md");
    let todo = format!(
        "## Task Order\n- **12** [IMPLEMENTING] — Sync\n\n### 12. Synchronise the offline queue with the server after reconnecting, retrying with backoff and telling the user what happened\n- **Status**: [IMPLEMENTING]\n- **Started**: 2026-01-02\n- **Dependencies**: 10, 11\n- **Plan**: [plan]({plan})\n\n### 10. A\n- **Status**: [NOT STARTED]\n\n### 11. B\n- **Status**: [NOT STARTED]\n"
    );
    let plan_text = "# Plan\n- **Status**: [NOT STARTED]\n\n### Phase 1: One [COMPLETED]\n- [x] a\n";
    let dir = workspace(&[("specs/TODO.md", todo.as_bytes()), (plan.as_str(), plan_text.as_bytes())]);
    let output = taskmark(dir.path(), &["show", "12", "--root", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "{} columns: {line}\n{text}", line.chars().count());
    }
    // The plan header's row: its path continues on the next line, the value and note stay.
    let mut rows = text.lines().skip_while(|it| !it.starts_with("  plan header"));
    let rows: Vec<&str> =
        rows.next().into_iter().chain(rows.take_while(|it| it.starts_with(&" ".repeat(21)))).collect();
    assert!(rows.len() > 1, "the path wraps: {text}");
    assert!(rows[0].contains("[NOT STARTED]") && rows.concat().contains("✗ disagrees"), "{text}");
    // The location is the third word of the row, then each continuation line.
    let first = rows[0].split_whitespace().nth(2).unwrap_or_default();
    let joined: String = std::iter::once(first).chain(rows[1..].iter().map(|it| it.trim())).collect();
    assert!(joined.contains(&format!("{plan}:2")), "the whole path, in pieces: {text}");
    // Nothing that had to wrap is lost: the title and the plan line.
    assert!(text.replace("\n  ", " ").contains("retrying with backoff and telling the user what happened"), "{text}");
}

#[test]
fn show_asks_for_a_scope_when_ids_collide() {
    let dir = workspace(&[
        ("a/specs/TODO.md", b"### 1. First\n- **Status**: [NOT STARTED]\n"),
        ("b/specs/TODO.md", b"### 1. Other\n- **Status**: [PLANNED]\n"),
    ]);
    let output = taskmark(dir.path(), &["show", "1", "--root", "."]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("a/specs:1, b/specs:1"), "{}", stderr(&output));
    let output = taskmark(dir.path(), &["show", "b/specs:1", "--root", "."]);
    assert!(stdout(&output).contains("status: [PLANNED]"), "{}", stdout(&output));
}

#[test]
fn config_explain_prints_tables_and_mermaid() {
    let output = taskmark(&example(), &["config", "--explain"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("| specs | spec-folder | spec-folder |"), "{text}");
    assert!(text.contains("```mermaid\nstateDiagram-v2\n"), "{text}");
    assert!(text.contains("    implementing --> completed"), "{text}");
    let output = taskmark(&example(), &["config", "--explain", "--profile", "minsky"]);
    assert!(stdout(&output).contains("| in_review | active |"), "{}", stdout(&output));
    let output = taskmark(&example(), &["config", "--explain", "--profile", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    let output = taskmark(&example(), &["config"]);
    assert!(stdout(&output).contains("configuration is valid"));
}

fn own_vocabulary() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/own-vocabulary")
}

/// A tracker read in its repository's own standard and its own conventions: their markers are
/// no unknown statuses, and the places keep their statuses, so the disagreement and the
/// dependency they hold are found.
#[test]
fn a_repository_standard_and_learned_markers_are_the_trackers_vocabulary() {
    let output = taskmark(&own_vocabulary(), &["check", ".", "--no-baseline", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let found: Vec<(String, String, String)> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|it| {
            let field = |name: &str| it[name].as_str().unwrap_or_default().to_string();
            (field("code"), field("severity"), field("task"))
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("dependency-not-done", "warning", "2"),
        // One place against one, nothing says which is newer: one diagnostic for the task.
        ("status-mismatch", "error", "5"),
        // `- [~] Translate the notes (60%)` counts as in progress: a hint, no error.
        ("unknown-status", "hint", ""),
    ]
    .iter()
    .map(|(code, severity, task)| (code.to_string(), severity.to_string(), task.to_string()))
    .collect();
    let mut found_sorted = found.clone();
    found_sorted.sort();
    assert_eq!(found_sorted, expected, "{}", stdout(&output));

    let output = taskmark(&own_vocabulary(), &["config", "--explain", "--root", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for wanted in [
        "| .agents/specs | spec-folder | spec-folder | built-in + standard `.agents/docs/task-status.md:8` + learned from 3 places: `[SKIPPED]` |",
        "| notes | checklist | github | built-in |",
        "- Standard: the repository's own, `.agents/docs/task-status.md:8`, defines [NOT STARTED], [IN PROGRESS], [BLOCKED], [IN REVIEW], [COMPLETED].",
        "  New statuses: `[IN REVIEW]` (active).",
        "  - `[SKIPPED]` at 3 places (3 tasks, phases or boxes): a status of its own, cancelled",
    ] {
        assert!(text.contains(wanted), "`{wanted}` not in:\n{text}");
    }

    // `set` writes the standard's own spellings everywhere, and the disagreement is gone.
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_tree(&own_vocabulary(), dir.path());
    let output = write_in(dir.path(), &["set", "5", "in_progress", "--date", "2026-03-07"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let state = std::fs::read_to_string(dir.path().join(".agents/specs/state.json")).expect("state.json");
    assert!(state.contains("\"keyboard_shortcuts\", \"status\": \"in_progress\""), "{state}");
    let output = taskmark(dir.path(), &["check", ".", "--no-baseline", "--format", "json"]);
    let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert!(!json["diagnostics"].as_array().expect("diagnostics").iter().any(|it| it["task"] == "5"), "{json}");
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("a readable fixture") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("create a folder");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

#[test]
fn bad_input_is_reported_and_loses_nothing() {
    let mut not_utf8 = b"### 1. Broken\n- **Status**: [DONE]\n".to_vec();
    not_utf8.extend_from_slice(&[0xff, 0xfe, b'\n']);
    let dir = workspace(&[
        ("specs/TODO.md", &not_utf8),
        ("specs/state.json", b"{\"active_projects\": [{\"project_number\": 1,}]}"),
        ("specs/001_x/plans/implementation-001.md", b"\x00\x01binary"),
        ("notes/todo.md", b"- [x] fine\n"),
    ]);
    let before: Vec<Vec<u8>> = ["specs/TODO.md", "specs/state.json"]
        .iter()
        .map(|it| std::fs::read(dir.path().join(it)).expect("read"))
        .collect();
    let output = taskmark(dir.path(), &["check", ".", "--no-baseline"]);
    assert_eq!(output.status.code(), Some(1), "broken JSON is an error");
    let text = stdout(&output);
    assert!(
        text.contains("note: specs/TODO.md: not valid UTF-8 (first bad byte at offset 35, line 3): read with replacement characters, and never written"),
        "{text}"
    );
    assert!(text.contains("note: skipped specs/001_x/plans/implementation-001.md: binary file"), "{text}");
    assert!(text.contains("error[malformed-file]: not valid JSON"), "{text}");
    let after: Vec<Vec<u8>> = ["specs/TODO.md", "specs/state.json"]
        .iter()
        .map(|it| std::fs::read(dir.path().join(it)).expect("read"))
        .collect();
    assert_eq!(before, after, "check never writes");
    let deny = taskmark(dir.path(), &["check", ".", "--no-baseline", "--format", "json"]);
    let json: Value = serde_json::from_slice(&deny.stdout).expect("valid JSON");
    assert_eq!(json["summary"]["skipped"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["summary"]["notes"].as_array().map(Vec::len), Some(1));
}

#[test]
fn gitignored_and_excluded_files_are_not_indexed() {
    let dir = workspace(&[
        (".gitignore", b"scratch/\n"),
        (".taskmark.toml", b"exclude = [\"drafts/**\"]\n"),
        ("scratch/specs/TODO.md", b"### 1. Ignored\n- **Status**: [BOGUS]\n"),
        ("drafts/specs/TODO.md", b"### 2. Excluded\n- **Status**: [BOGUS]\n"),
        ("specs/TODO.md", b"### 3. Kept\n- **Status**: [BOGUS]\n"),
    ]);
    git(dir.path(), &["init", "-q"]);
    let output = taskmark(dir.path(), &["check", ".", "--no-baseline"]);
    let text = stdout(&output);
    assert_eq!(text.matches("unknown status `[BOGUS]`").count(), 1, "{text}");
    assert!(text.contains("specs/TODO.md:2:15"), "{text}");
}

/// Git ignores untracked files only: a tracker committed under a folder `.gitignore` names
/// (five of nineteen real repositories tried) is the repository's, and `check` reads it where
/// it used to say "no tracker found". An untracked file there stays ignored.
#[test]
fn a_committed_tracker_under_an_ignored_folder_is_read() {
    let dir = workspace(&[(".kiro/specs/import/tasks.md", b"# Plan\n\n- [x] 1. Read\n- [?] 2. Write\n")]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "the spec"]);
    std::fs::write(dir.path().join(".gitignore"), ".kiro/\n").expect("write .gitignore");
    std::fs::write(dir.path().join(".kiro/specs/import/notes.md"), "- [?] untracked scratch\n").expect("write notes");
    let output = taskmark(dir.path(), &["check", ".", "--no-baseline"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}{}", stderr(&output));
    assert_eq!(text.matches("unknown status").count(), 1, "{text}");
    assert!(text.contains(".kiro/specs/import/tasks.md:4"), "{text}");
}

#[test]
fn no_progress_bar_without_a_terminal() {
    let output = taskmark(&example(), &["check", ".", "--no-baseline"]);
    assert_eq!(stderr(&output), "");
}

#[test]
fn the_guide_configuration_example_is_valid() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide/src/configuration.md"))
            .expect("the guide's configuration page");
    let start = readme.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + readme[start..].find("```").expect("the block ends");
    let dir = workspace(&[(".taskmark.toml", &readme.as_bytes()[start..end]), ("docs/board/TODO.md", b"- [ ] x\n")]);
    let output = taskmark(dir.path(), &["config", "--explain"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = taskmark(dir.path(), &["config", "--explain", "--profile", "spec-folder"]);
    let text = stdout(&output);
    assert!(text.contains("| in_review | active | `[IN REVIEW]` | `in_review` |"), "{text}");
    assert!(text.contains("    in_review --> completed"), "{text}");
    assert!(!text.contains("expanded"), "{text}");
}

/// A Task Order written as a numbered list with a dependency tree (tests/fixtures/
/// task-order-shapes): its statuses are read (task 4's `[BLOCKED]` there disagrees with the
/// rest), and `set` rewrites the numbered line and the tree line with every other place, leaving
/// nothing new behind.
#[test]
fn numbered_and_tree_task_order_lines_are_read_and_written() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/task-order-shapes");
    let report = |root: &Path| -> Vec<(String, String, u64)> {
        let output = taskmark(root, &["check", ".", "--no-baseline", "--format", "json"]);
        let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
        json["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|it| {
                let text = |name: &str| it[name].as_str().unwrap_or_default().to_string();
                (text("code"), text("task"), it["range"]["start"]["line"].as_u64().unwrap_or(0))
            })
            .collect()
    };
    let before = report(&fixture);
    assert_eq!(before, [("status-mismatch".to_string(), "4".to_string(), 7)], "the numbered line of task 4");

    let dir = tempfile::tempdir().expect("temporary directory");
    copy_tree(&fixture, dir.path());
    let output = write_in(dir.path(), &["set", "6", "planning", "--date", "2026-03-09"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let todo = std::fs::read_to_string(dir.path().join("specs/TODO.md")).expect("TODO.md");
    assert!(todo.contains("\n   └─ 6 [PLANNING] — Cache eviction policy\n"), "{todo}");
    assert!(todo.contains("### 6. Cache eviction policy\n- **Status**: [PLANNING]"), "{todo}");
    let state = std::fs::read_to_string(dir.path().join("specs/state.json")).expect("state.json");
    assert!(state.contains("\"cache_eviction_policy\", \"status\": \"planning\""), "{state}");
    assert_eq!(report(dir.path()), before, "set left something new");

    let output = write_in(
        dir.path(),
        &["set", "4", "blocked", "--date", "2026-03-09", "--reason", "waits for the list grammar"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let todo = std::fs::read_to_string(dir.path().join("specs/TODO.md")).expect("TODO.md");
    assert!(todo.contains("\n1. **4** [BLOCKED] — Parser for nested lists\n"), "{todo}");
    assert_eq!(report(dir.path()), [], "task 4 agrees everywhere now");
}

/// Runs a command in a copied workspace with its state and runtime folders inside the copy.
fn run_in(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(args)
        .args(["--root", "."])
        .current_dir(root)
        .env("TASKMARK_STATE_DIR", root.join(".state"))
        .env("TASKMARK_RUNTIME_DIR", root.join(".runtime"))
        .output()
        .expect("the taskmark binary runs")
}

/// `(code, task)` of every diagnostic `check` reports, sorted: what "nothing new" compares.
fn findings(root: &Path) -> Vec<(String, String)> {
    let output = taskmark(root, &["check", ".", "--no-baseline", "--format", "json"]);
    let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let mut found: Vec<(String, String)> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|it| (it["code"].as_str().unwrap_or_default().into(), it["task"].as_str().unwrap_or_default().into()))
        .collect();
    found.sort();
    found
}

/// Asserts `after` is `before` with lines added, and changed lines differing only in their
/// digits (counters) or in a JSON entry's new trailing comma: every byte the operation does not
/// own is kept.
fn only_owned_lines_changed(before: &str, after: &str, path: &str) {
    let diff = similar::TextDiff::from_lines(before, after);
    let removed: Vec<&str> =
        diff.iter_all_changes().filter(|it| it.tag() == similar::ChangeTag::Delete).map(|it| it.value()).collect();
    let added: Vec<&str> =
        diff.iter_all_changes().filter(|it| it.tag() == similar::ChangeTag::Insert).map(|it| it.value()).collect();
    let shape = |line: &str| line.replace(|it: char| it.is_ascii_digit(), "#");
    for line in removed {
        // A JSON entry that gains the comma before a new one keeps every other byte.
        let comma = |it: &&str| it.trim_end().strip_suffix(',').is_some_and(|it| it.starts_with(line.trim_end()));
        let counter = added.iter().any(|it| shape(it) == shape(line)) || added.iter().any(comma);
        assert!(counter, "{path}: a line that is not the operation's changed: {line:?}\n{after}");
    }
}

/// Our fixtures with a spec-folder tracker, and its folder.
const SPEC_FOLDER_FIXTURES: [(&str, &str); 3] =
    [("example", "specs"), ("task-order-shapes", "specs"), ("own-vocabulary", ".agents/specs")];

/// A writable copy of the fixture workspace `name`.
fn fixture_copy(name: &str) -> tempfile::TempDir {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name);
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_tree(&fixture, dir.path());
    dir
}

#[test]
fn check_counts_what_fix_would_fix_and_names_the_command() {
    let dir = fixture_copy("example");
    let total = |json: &Value| {
        json["summary"]["errors"].as_u64().unwrap_or(0) + json["summary"]["warnings"].as_u64().unwrap_or(0)
    };
    let before = taskmark(dir.path(), &["check", "--no-baseline", "--root", ".", "--format", "json"]);
    let before: Value = serde_json::from_slice(&before.stdout).expect("valid JSON");
    assert_eq!(before["summary"]["fixable"], 2, "{}", before["summary"]);
    let human = stdout(&taskmark(dir.path(), &["check", "--no-baseline", "--root", "."]));
    assert!(
        human.trim_end().ends_with("(1 tracker, 7 tasks; no baseline); 2 with a safe fix: `taskmark fix`"),
        "{human}"
    );
    let fixed = write_in(dir.path(), &["fix"]);
    assert_eq!(fixed.status.code(), Some(0), "{}", stderr(&fixed));
    let after = taskmark(dir.path(), &["check", "--no-baseline", "--root", ".", "--format", "json"]);
    let after: Value = serde_json::from_slice(&after.stdout).expect("valid JSON");
    // The counted ones are gone (fixing the plan header also settles task 12's disagreement),
    // and nothing is left that fix would fix.
    assert!(total(&after) <= total(&before) - 2, "{}", after["summary"]);
    let codes = |json: &Value| -> Vec<String> {
        json["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|it| it["code"].as_str().map(String::from))
            .collect()
    };
    for code in ["plan-status-stale", "stale-counts"] {
        assert!(codes(&before).iter().any(|it| it == code) && !codes(&after).iter().any(|it| it == code), "{code}");
    }
    assert_eq!(after["summary"]["fixable"], 0);
    let human = stdout(&taskmark(dir.path(), &["check", "--no-baseline", "--root", "."]));
    assert!(!human.contains("taskmark fix"), "nothing left to fix is not advertised: {human}");
}

#[test]
fn config_init_writes_a_commented_file_that_changes_nothing() {
    for name in ["example", "own-vocabulary", "task-order-shapes"] {
        let dir = fixture_copy(name);
        let root = dir.path();
        let _ = std::fs::remove_file(root.join(".taskmark.toml"));
        git(root, &["init", "-q"]);
        let run = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_taskmark"))
                .args(args)
                .current_dir(root)
                .env("TASKMARK_STATE_DIR", root.join(".state"))
                .output()
                .expect("the taskmark binary runs")
        };
        let report = |output: Output| {
            let mut json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
            json["summary"]["root_chosen_by"] = Value::Null;
            json
        };
        let before = report(run(&["check", "--no-baseline", "--format", "json"]));
        let said = stdout(&run(&["config"]));
        assert_eq!(
            said,
            format!(
                "no .taskmark.toml in {}; built-in profiles (`taskmark config --init` writes one to edit)\n",
                canonical(root)
            ),
            "{name}"
        );

        let dry = run(&["config", "--init", "--dry-run"]);
        assert_eq!(dry.status.code(), Some(0), "{name}: {}", stderr(&dry));
        assert!(stdout(&dry).contains("\n# [[trackers]]\n"), "{name}: {}", stdout(&dry));
        assert!(!root.join(".taskmark.toml").exists() && !root.join(".state").exists(), "a dry run creates nothing");

        let written = run(&["config", "--init"]);
        assert_eq!(written.status.code(), Some(0), "{name}: {}", stderr(&written));
        let text = std::fs::read_to_string(root.join(".taskmark.toml")).expect("written");
        assert_eq!(text, stdout(&dry), "{name}: the dry run showed what is written");
        // The project's own parser reads it, and the checker reports exactly what it did.
        taskmark::engine::config::Config::parse(&text).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert!(stdout(&run(&["config"])).ends_with(".taskmark.toml: configuration is valid\n"), "{name}");
        assert_eq!(report(run(&["check", "--no-baseline", "--format", "json"])), before, "{name}: nothing changed");

        let again = run(&["config", "--init"]);
        assert_eq!(again.status.code(), Some(3), "{name}");
        assert!(stderr(&again).contains("never overwrites it"), "{}", stderr(&again));
        assert_eq!(std::fs::read_to_string(root.join(".taskmark.toml")).expect("still there"), text);
    }
}

#[test]
fn set_says_what_it_changed_in_each_file() {
    let dir = fixture_copy("example");
    let output = write_in(dir.path(), &["set", "15", "researching", "--date", "2026-02-01"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "Set status of 15 to [RESEARCHING]: wrote specs/TODO.md, specs/state.json\n  specs/TODO.md: status, Task Order line\n  specs/state.json: status\n"
    );
    // A dry run says it too, after the diff; JSON has it per file.
    let output = write_in(dir.path(), &["set", "12", "completed", "--force", "--dry-run", "--date", "2026-02-01"]);
    let text = stdout(&output);
    assert!(
        text.ends_with(
            "(dry run: 3 files would change, nothing written)\n  specs/012_sync_engine/plans/implementation-001.md: header\n  specs/TODO.md: status, Task Order line, done mark, completed, task_counts\n  specs/state.json: status, last_updated, completed\n"
        ),
        "{text}"
    );
    let output =
        write_in(dir.path(), &["set", "12", "completed", "--force", "--format", "json", "--date", "2026-02-01"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(json["files"][0]["path"], "specs/012_sync_engine/plans/implementation-001.md");
    assert_eq!(json["files"][0]["changed"], serde_json::json!(["header"]));
    assert_eq!(json["files"][2]["changed"], serde_json::json!(["status", "last_updated", "completed"]));
    assert_eq!(json["written"].as_array().map(Vec::len), Some(3));
    assert_eq!(json["dry_run"], false);
}

#[test]
fn new_in_each_fixture_writes_every_store_and_leaves_nothing_new() {
    for (name, specs) in SPEC_FOLDER_FIXTURES {
        let dir = fixture_copy(name);
        let before_findings = findings(dir.path());
        let todo_path = dir.path().join(specs).join("TODO.md");
        let state_path = dir.path().join(specs).join("state.json");
        let todo_before = std::fs::read_to_string(&todo_path).expect("TODO.md");
        let state_before = std::fs::read_to_string(&state_path).unwrap_or_default();
        let output = run_in(
            dir.path(),
            &[
                "new",
                "Webhooks for status changes",
                "--date",
                "2026-11-23",
                "--priority",
                "high",
                "--format",
                "json",
                "--tracker",
                specs,
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let id = json["id"].as_str().expect("an id").to_string();
        let todo = std::fs::read_to_string(&todo_path).expect("TODO.md");
        assert!(todo.contains(". Webhooks for status changes\n"), "{name}: {todo}");
        assert!(todo.contains(&format!("{id}. Webhooks")), "{name}: the heading has the new id");
        only_owned_lines_changed(&todo_before, &todo, &format!("{name}/specs/TODO.md"));
        if !state_before.is_empty() {
            let state = std::fs::read_to_string(&state_path).expect("state.json");
            assert!(state.contains(&format!("\"project_number\": {id}")), "{name}: {state}");
            only_owned_lines_changed(&state_before, &state, &format!("{name}/specs/state.json"));
        }
        assert_eq!(findings(dir.path()), before_findings, "{name}: `new` left a new diagnostic");
        let show = taskmark(dir.path(), &["show", &id]);
        assert!(stdout(&show).contains("Webhooks for status changes"), "{}", stdout(&show));
    }
}

#[test]
fn new_dry_run_and_refusals_write_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_tree(&example(), dir.path());
    let todo = std::fs::read_to_string(dir.path().join("specs/TODO.md")).unwrap();
    let output = run_in(dir.path(), &["new", "Dry", "--dry-run", "--date", "2026-11-23"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("+### 17. Dry"), "{}", stdout(&output));
    assert!(stdout(&output).contains("dry run"), "{}", stdout(&output));
    assert!(!dir.path().join(".state").exists(), "a dry run takes no lock and creates nothing");
    for (args, wanted) in [
        (vec!["new", "two\nlines"], "line break"),
        (vec!["new", "Fine", "--depends-on", "99"], "unknown dependency `99`"),
        (vec!["new", "Fine", "--status", "nonsense"], "unknown status"),
        (vec!["new", "Fine", "--tracker", "backlog"], "no tracker `backlog`"),
    ] {
        let output = run_in(dir.path(), &args);
        assert_eq!(output.status.code(), Some(3), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(wanted), "{args:?}: {}", stderr(&output));
    }
    assert_eq!(std::fs::read_to_string(dir.path().join("specs/TODO.md")).unwrap(), todo);
    assert!(!dir.path().join(".taskmark").exists(), "nothing of taskmark's in the work tree");
}

#[test]
fn new_reads_only_the_plans_it_needs_and_still_counts_every_task_folder() {
    // `new` lists the tracker's plans without reading them (this one is not even text: read, it
    // would be an unreadable file of the tracker and refuse the write), and a folder holding
    // only a plan still keeps its id.
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_tree(&example(), dir.path());
    let orphan = dir.path().join("specs/040_orphan/plans");
    std::fs::create_dir_all(&orphan).unwrap();
    std::fs::write(orphan.join("implementation-001.md"), b"\x00\x01binary").unwrap();
    let output = run_in(dir.path(), &["new", "After the orphan", "--format", "json", "--date", "2026-11-23"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["id"], "41", "{json}");
    let todo = std::fs::read_to_string(dir.path().join("specs/TODO.md")).unwrap();
    assert!(todo.contains("### 41. After the orphan"), "{todo}");
}

#[test]
fn two_branches_that_each_create_a_task_get_different_ids() {
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_tree(&example(), dir.path());
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join(".gitignore"), ".state/\n.runtime/\n").unwrap();
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "init"]);
    git(dir.path(), &["checkout", "-q", "-b", "feature"]);
    let id_of = |output: &Output| -> String {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
        let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        json["id"].as_str().expect("an id").to_string()
    };
    let on_feature = id_of(&run_in(dir.path(), &["new", "On the feature branch", "--format", "json"]));
    git(dir.path(), &["commit", "-qam", "feature task"]);
    git(dir.path(), &["checkout", "-q", "main"]);
    let on_main = id_of(&run_in(dir.path(), &["new", "On main", "--format", "json"]));
    assert_eq!(on_feature, "17");
    assert_eq!(on_main, "18", "the feature branch's 17 is taken");
    // A worktree checked out on another commit counts too, read from git objects.
    git(dir.path(), &["commit", "-qam", "main task"]);
    let worktree = tempfile::tempdir().expect("temporary directory");
    let path = worktree.path().join("wt");
    git(dir.path(), &["worktree", "add", "-q", "-b", "agent", path.to_str().unwrap(), "main"]);
    let in_worktree = id_of(&run_in(&path, &["new", "In a worktree", "--format", "json"]));
    assert_eq!(in_worktree, "19");
    git(&path, &["commit", "-qam", "agent task"]);
    let again = id_of(&run_in(dir.path(), &["new", "Main again", "--format", "json", "--dry-run"]));
    assert_eq!(again, "20", "the worktree's branch holds 19");
    // The trees read are remembered by their git tree id in the private state folder; a cache
    // that does not read is ignored, and the trees are read again.
    let cache = std::fs::read_dir(dir.path().join(".state"))
        .expect("the state folder")
        .flatten()
        .map(|it| it.path().join("ids.json"))
        .find(|it| it.is_file())
        .expect("the branch scan's cache");
    std::fs::write(&cache, "not json").unwrap();
    let unreadable = id_of(&run_in(dir.path(), &["new", "Main again", "--format", "json", "--dry-run"]));
    assert_eq!(unreadable, "20", "a broken cache is read around");
    let local_only =
        id_of(&run_in(dir.path(), &["new", "Main again", "--format", "json", "--dry-run", "--no-branches"]));
    assert_eq!(local_only, "19", "--no-branches reads this checkout only");

    // An id taken without looking at the other branches collides; check sees it. (The
    // worktree reserved 19 for its task; forgotten here, as in another clone.)
    std::fs::remove_file(dir.path().join(".git/taskmark/ids.json")).expect("the reservations");
    let collided = id_of(&run_in(dir.path(), &["new", "Main collides", "--format", "json", "--no-branches"]));
    assert_eq!(collided, "19");
    let codes = |args: &[&str]| -> Vec<(String, String)> {
        let output = run_in(dir.path(), args);
        let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        json["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|it| it["code"] == "id-collision")
            .map(|it| {
                (
                    it["task"].as_str().unwrap_or_default().to_string(),
                    it["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    assert!(codes(&["check", "--format", "json"]).is_empty(), "only --against-branches reads the branches");
    let found = codes(&["check", "--format", "json", "--against-branches"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "19");
    assert!(found[0].1.contains("In a worktree") && found[0].1.contains("agent"), "{found:?}");
    // Tasks both sides had before they parted are not collisions, even with edited titles.
    git(dir.path(), &["commit", "-qam", "main collides"]);
    let edited = run_in(dir.path(), &["edit", "14", "--title", "Conflict dialog, renamed on main"]);
    assert_eq!(edited.status.code(), Some(0), "{}", stderr(&edited));
    let found = codes(&["check", "--format", "json", "--against-branches"]);
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn list_filters_and_fits_a_hundred_columns() {
    let output = taskmark(&example(), &["list", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let ids = |rows: &Value| -> Vec<String> {
        rows.as_array().expect("rows").iter().map(|it| it["id"].as_str().unwrap_or_default().to_string()).collect()
    };
    assert_eq!(ids(&rows), ["12", "13", "14", "15", "16"], "archived tasks are left out");
    let fourteen = &rows[2];
    assert_eq!(fourteen["dependencies"][0]["id"], "12");
    assert_eq!(fourteen["dependencies"][0]["done"], false);
    assert_eq!(rows[0]["agrees"], false, "{}", rows[0]);
    let with = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "--format", "json"];
        all.extend_from_slice(args);
        let output = taskmark(&example(), &all);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        ids(&serde_json::from_slice(&output.stdout).expect("JSON"))
    };
    assert_eq!(with(&["--archived"]).len(), 7);
    assert_eq!(with(&["--status", "implementing"]), ["12"]);
    assert_eq!(with(&["--kind", "todo", "--ready"]), with(&["--ready"]));
    assert!(!with(&["--ready"]).contains(&"14".to_string()), "14 waits on 12");
    assert_eq!(with(&["--tracker", "specs"]), with(&[]));
    // A family or status the workspace does not have is refused, not an empty table.
    for (filter, said) in [
        (["--tracker", "backlog"], "no tracker `backlog` in this workspace; its trackers are specs (spec-folder)"),
        (["--status", "plannedd"], "unknown status `plannedd`; did you mean `[PLANNED]`?"),
    ] {
        let output = taskmark(&example(), &[&["list"][..], &filter].concat());
        assert_eq!(output.status.code(), Some(3), "{filter:?}");
        assert!(stderr(&output).contains(said), "{filter:?}: {}", stderr(&output));
        assert!(stdout(&output).is_empty(), "{filter:?}: no table");
    }
    let human = stdout(&taskmark(&example(), &["list"]));
    assert!(human.lines().all(|it| it.chars().count() <= 100), "{human}");
    assert!(human.contains("waits on 12"), "{human}");
}

/// Every file under `root` with its text, by relative path (`.state` left out).
fn tree_texts(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(root).expect("inside").to_string_lossy().replace('\\', "/");
            if relative.starts_with(".state") || relative.starts_with(".git") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                out.insert(relative, text);
            }
        }
    }
    out
}

#[test]
fn edit_in_each_fixture_changes_only_the_fields_it_names() {
    for (name, specs) in SPEC_FOLDER_FIXTURES {
        let dir = fixture_copy(name);
        let before_findings = findings(dir.path());
        let listed = run_in(dir.path(), &["list", "--format", "json", "--tracker", specs]);
        let tasks: Value = serde_json::from_slice(&listed.stdout).expect("JSON");
        let first = &tasks[0];
        let id = first["id"].as_str().expect("an id").to_string();
        let old_title = first["title"].as_str().expect("a title").to_string();
        let before = tree_texts(dir.path());
        let output = run_in(
            dir.path(),
            &[
                "edit",
                &id,
                "--title",
                "Renamed by the edit test",
                "--priority",
                "low",
                "--description",
                "A new description.",
                "--format",
                "json",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        let after = tree_texts(dir.path());
        assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "{name}: no file added");
        let mut changed = 0;
        for (path, old) in &before {
            let new = &after[path];
            if old == new {
                continue;
            }
            changed += 1;
            let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
            // A description's paragraph goes on over the lines after its field line.
            let mut in_description = false;
            for change in diff.iter_all_changes() {
                if change.tag() != similar::ChangeTag::Delete {
                    in_description = false;
                    continue;
                }
                let line = change.value();
                in_description |= line.contains("**Description**") || line.contains("\"description\"");
                let owned = in_description
                    || line.contains(&old_title)
                    || ["**Priority**", "\"priority\""].iter().any(|it| line.contains(it));
                assert!(owned, "{name}/{path}: a line the edit does not own changed: {line:?}\n{new}");
            }
        }
        assert!(changed >= 1, "{name}: nothing changed");
        assert!(after.values().any(|it| it.contains("Renamed by the edit test")), "{name}");
        assert_eq!(findings(dir.path()), before_findings, "{name}: `edit` left a new diagnostic");
    }
}

#[test]
fn edit_refusals_and_dry_runs_write_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_tree(&example(), dir.path());
    let before = tree_texts(dir.path());
    let output = run_in(dir.path(), &["edit", "14", "--title", "Dry", "--dry-run"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("+### 14. Dry"), "{}", stdout(&output));
    for (args, wanted) in [
        (vec!["edit", "14", "--title", "two\nlines"], "line break"),
        (vec!["edit", "14", "--add-dependency", "99"], "unknown dependency `99`"),
        (vec!["edit", "12", "--add-dependency", "14"], "cycle"),
        (vec!["edit", "14"], "nothing to change"),
        (vec!["edit", "404", "--title", "X"], "no task `404`"),
    ] {
        let output = run_in(dir.path(), &args);
        assert_eq!(output.status.code(), Some(3), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(wanted), "{args:?}: {}", stderr(&output));
    }
    assert_eq!(tree_texts(dir.path()), before, "a refusal or dry run writes nothing");
}

/// A spec-folder tracker that keeps archived task folders under `specs/archive/`.
const ARCHIVING_TRACKER: &[(&str, &str)] = &[
    (
        "specs/TODO.md",
        "---\nnext_project_number: 15\n---\n\n# TODO\n\n## Task Order\n\n- **12** [IMPLEMENTING] — Sync engine\n- **13** [COMPLETED] — CSV export\n\n## Tasks\n\n### 12. Sync engine\n- **Status**: [IMPLEMENTING]\n- **Created**: 2026-10-02\n- **Started**: 2026-10-07\n- **Research**: [research-001.md](specs/013_csv_export/reports/research-001.md)\n\n---\n\n### 13. CSV export\n- **Status**: [COMPLETED]\n- **Created**: 2026-10-10\n- **Completed**: 2026-10-20\n- **Plan**: [implementation-001.md](specs/013_csv_export/plans/implementation-001.md)\n\n---\n",
    ),
    (
        "specs/state.json",
        "{\n  \"next_project_number\": 15,\n  \"active_projects\": [\n    {\n      \"project_number\": 12,\n      \"project_name\": \"sync_engine\",\n      \"status\": \"implementing\"\n    },\n    {\n      \"project_number\": 13,\n      \"project_name\": \"csv_export\",\n      \"status\": \"completed\"\n    }\n  ]\n}\n",
    ),
    (
        "specs/013_csv_export/plans/implementation-001.md",
        "# Implementation Plan: CSV export\n- **Task**: 13 - CSV export\n- **Status**: [COMPLETED]\n\n### Phase 1: Writer [COMPLETED]\n",
    ),
    ("specs/013_csv_export/reports/research-001.md", "# Research\n"),
    ("specs/013_csv_export/data.csv", "a,b\n"),
    (
        "specs/archive/state.json",
        "{\n  \"completed_projects\": [\n    {\n      \"project_number\": 14,\n      \"project_name\": \"fax\",\n      \"status\": \"abandoned\"\n    }\n  ]\n}\n",
    ),
    ("specs/archive/014_fax/plans/implementation-001.md", "# Plan\n- **Task**: 14 - Fax\n- **Status**: [ABANDONED]\n"),
];

fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folders");
        std::fs::write(path, text).expect("a file");
    }
}

#[test]
fn archive_moves_a_finished_task_everywhere_and_its_id_stays_reserved() {
    let dir = tempfile::tempdir().expect("temporary directory");
    write_tree(dir.path(), ARCHIVING_TRACKER);
    let before_findings = findings(dir.path());
    let before = tree_texts(dir.path());
    let dry = run_in(dir.path(), &["archive", "13", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert!(stdout(&dry).contains("move specs/013_csv_export -> specs/archive/013_csv_export"), "{}", stdout(&dry));
    assert_eq!(tree_texts(dir.path()), before, "a dry run writes nothing");
    let refused = run_in(dir.path(), &["archive", "12"]);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("not finished"), "{}", stderr(&refused));

    let output = run_in(dir.path(), &["archive", "13", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["tasks"][0], "specs:13");
    assert_eq!(json["moved"][0]["to"], "specs/archive/013_csv_export");
    let root = dir.path();
    assert!(root.join("specs/archive/013_csv_export/data.csv").is_file(), "files taskmark does not index move too");
    assert!(!root.join("specs/013_csv_export").exists());
    let todo = std::fs::read_to_string(root.join("specs/TODO.md")).unwrap();
    assert!(!todo.contains("### 13.") && !todo.contains("**13**"), "{todo}");
    assert!(todo.contains("(specs/archive/013_csv_export/reports/research-001.md)"), "the link follows: {todo}");
    let archive = std::fs::read_to_string(root.join("specs/archive/state.json")).unwrap();
    assert!(archive.contains("\"project_number\": 13"), "{archive}");
    assert_eq!(findings(root), before_findings, "`archive` left a new diagnostic");

    let new = run_in(root, &["new", "Next", "--format", "json", "--no-branches", "--date", "2026-11-24"]);
    assert_eq!(new.status.code(), Some(0), "{}", stderr(&new));
    let json: Value = serde_json::from_slice(&new.stdout).expect("JSON");
    assert_eq!(json["id"], "15", "archived ids stay reserved");
    let again = run_in(root, &["archive", "13"]);
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
    assert!(stderr(&again).contains("archived already"), "{}", stderr(&again));
}

/// A copy of the example workspace in `parent/repo`, committed on `main` of a new repository.
fn committed_example(parent: &Path) -> PathBuf {
    let root = parent.join("repo");
    std::fs::create_dir_all(&root).expect("a folder");
    copy_tree(&example(), &root);
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "example"]);
    root
}

/// Three worktrees of one repository, each moving the example's tasks its own way: `status
/// --worktrees` lists exactly the tasks whose status differs (saved, uncommitted changes count),
/// one line each, and writes nothing anywhere.
#[test]
fn status_across_worktrees_lists_each_task_that_differs_once() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let main = committed_example(dir.path());
    let alone = stdout(&taskmark(&main, &["status", "--worktrees"]));
    assert!(alone.starts_with("1 worktree: here (main)\n"), "one, not \"1 worktrees\": {alone}");
    git(&main, &["worktree", "add", "-q", "-b", "agent-b", "../wt-b"]);
    git(&main, &["worktree", "add", "-q", "--detach", "../wt-c"]);
    let (wt_b, wt_c) = (dir.path().join("wt-b"), dir.path().join("wt-c"));
    // wt-b starts 14 (left uncommitted: the saved files are what counts); wt-c adds a task.
    let set = write_in(&wt_b, &["set", "14", "implementing", "--date", "2026-11-25"]);
    assert!(set.status.success(), "{}", stderr(&set));
    let new = write_in(&wt_c, &["new", "Webhooks", "--no-branches"]);
    assert!(new.status.success(), "{}", stderr(&new));
    let before: Vec<String> = [&main, &wt_b, &wt_c]
        .iter()
        .map(|it| std::fs::read_to_string(it.join("specs/TODO.md")).expect("TODO.md"))
        .collect();

    let output = taskmark(&main, &["status", "--worktrees"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("3 worktrees: here (main), wt-b (agent-b), wt-c (detached at "), "{text}");
    let lines: Vec<&str> = text.lines().filter(|it| it.starts_with("specs:")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("specs:14 Conflict resolution UI: [PLANNED] in here (main) · [IMPLEMENTING] in wt-b (agent-b) · [PLANNED] in wt-c"), "{text}");
    assert!(
        lines[1].starts_with(
            "specs:17 Webhooks: not there in here (main) · not there in wt-b (agent-b) · [NOT STARTED] in wt-c"
        ),
        "{text}"
    );

    // The same from another worktree, as JSON: its own worktree comes first.
    let output = taskmark(&wt_b, &["status", "--worktrees", "--format", "json"]);
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["worktrees"][0]["current"], true, "{json}");
    assert_eq!(json["worktrees"][0]["branch"], "agent-b", "{json}");
    let tasks = json["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 2, "{json}");
    assert_eq!(tasks[0]["task"], "specs:14");
    assert_eq!(tasks[0]["statuses"][0]["status"], "[IMPLEMENTING]");
    assert_eq!(tasks[0]["statuses"][1]["status"], "[PLANNED]");
    assert_eq!(tasks[1]["statuses"][0], Value::Null, "17 is not in wt-b");

    let after: Vec<String> = [&main, &wt_b, &wt_c]
        .iter()
        .map(|it| std::fs::read_to_string(it.join("specs/TODO.md")).expect("TODO.md"))
        .collect();
    assert_eq!(before, after, "status writes nothing");
    // Outside git there is nothing to compare, and it says so.
    let alone = workspace(&[("specs/TODO.md", b"# TODO\n")]);
    let output = taskmark(alone.path(), &["status", "--worktrees", "--root", "."]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stderr(&output).contains("not in a git repository"), "{}", stderr(&output));
}

/// Issue 33: `taskmark new` in a Backlog.md tracker handed out the id of a task `backlog task
/// archive` had moved to `backlog/archive/tasks/`. The archive is history (not indexed, not
/// listed), but its ids are used.
#[test]
fn new_in_a_backlog_tracker_never_takes_an_archived_id() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(path, text).expect("a file");
    };
    write("backlog/config.yml", "project_name: \"x\"\nstatuses: [\"To Do\", \"In Progress\", \"Done\"]\n");
    for id in [1, 2] {
        write(
            &format!("backlog/tasks/task-{id} - T{id}.md"),
            &format!("---\nid: task-{id}\ntitle: T{id}\nstatus: To Do\n---\n\nBody\n"),
        );
    }
    write("backlog/archive/tasks/task-3 - Put away.md", "---\nid: task-3\ntitle: Put away\nstatus: To Do\n---\n");
    let output = write_in(root, &["new", "Fourth"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(root.join("backlog/tasks/task-4 - Fourth.md").exists(), "{}", String::from_utf8_lossy(&output.stdout));
    let listed = taskmark(root, &["list", "--root", "."]);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("Put away"), "the archive is not listed");
}

/// A Conductor track through its life on the command line, as Conductor's own commands would
/// leave it: started before any box is ticked, its plan ticked by hand, completed. Every step
/// leaves `check` with nothing new; the plan's boxes are counted, never written.
#[test]
fn a_conductor_track_from_new_to_completed() {
    let metadata = |id: &str| {
        format!(
            "{{\n  \"track_id\": \"{id}\",\n  \"status\": \"new\",\n  \"updated_at\": \"2025-12-23T14:10:00Z\"\n}}\n"
        )
    };
    let tracks = "# Project Tracks\n\n---\n\n## [ ] Track: Export to CSV\n*Link: [./conductor/tracks/export_20251223/](./conductor/tracks/export_20251223/)*\n\n---\n\n## [x] Track: Login page\n*Link: [./conductor/tracks/login_20251220/](./conductor/tracks/login_20251220/)*\n";
    let plan = "# Plan\n\n## Phase 1: Export\n- [ ] Task: Write the exporter\n  - [ ] Sub-task: Header row\n- [ ] Task: Conductor - User Manual Verification 'Phase 1'\n";
    let dir = workspace(&[
        ("conductor/tracks.md", tracks.as_bytes()),
        ("conductor/tracks/export_20251223/metadata.json", metadata("export_20251223").as_bytes()),
        ("conductor/tracks/export_20251223/plan.md", plan.as_bytes()),
        ("conductor/tracks/login_20251220/metadata.json", metadata("login_20251220").as_bytes()),
        ("conductor/tracks/login_20251220/plan.md", b"# Plan\n\n- [ ] Task: Form\n"),
    ]);
    let root = dir.path();
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "first"]);
    // The login track says done in tracks.md, new in its metadata, and its plan is open.
    let before = taskmark(root, &["check", "--format", "json"]);
    let found: Value = serde_json::from_slice(&before.stdout).expect("json");
    let codes: Vec<(String, String)> = found["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|it| (it["code"].as_str().unwrap_or("").to_string(), it["message"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(codes.len(), 2, "{codes:?}");
    assert!(codes.iter().any(|(code, message)| code == "status-mismatch" && message.contains("login_20251220")));
    assert!(codes.iter().any(|(code, message)| code == "open-children" && message.contains("the only box")));

    let started = write_in(root, &["set", "export_20251223", "in_progress"]);
    assert!(started.status.success(), "{}", stderr(&started));
    let text = |path: &str| std::fs::read_to_string(root.join(path)).expect("a file");
    assert!(text("conductor/tracks.md").contains("## [~] Track: Export to CSV"));
    assert!(text("conductor/tracks/export_20251223/metadata.json").contains("\"status\": \"in_progress\""));
    assert!(!text("conductor/tracks/export_20251223/metadata.json").contains("2025-12-23T14:10:00Z"));
    assert_eq!(text("conductor/tracks/export_20251223/plan.md"), plan);
    let count = |output: &Output| {
        let found: Value = serde_json::from_slice(&output.stdout).expect("json");
        found["diagnostics"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(count(&taskmark(root, &["check", "--format", "json"])), 2);

    // Completing with the plan open would leave a new warning: refused.
    let early = write_in(root, &["set", "export_20251223", "completed"]);
    assert!(!early.status.success() && stderr(&early).contains("open-children"), "{}", stderr(&early));
    std::fs::write(root.join("conductor/tracks/export_20251223/plan.md"), plan.replace("[ ]", "[x]"))
        .expect("tick the plan");
    let shown = taskmark(root, &["show", "export_20251223"]);
    assert!(stdout(&shown).contains("all 3 boxes checked"), "{}", stdout(&shown));
    let done = write_in(root, &["set", "export_20251223", "completed"]);
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(text("conductor/tracks.md").contains("## [x] Track: Export to CSV"));
    assert_eq!(count(&taskmark(root, &["check", "--format", "json"])), 2);

    // A new track takes the tracker's shape: a heading block, an id with the date, a folder.
    let made = write_in(root, &["new", "Import from CSV", "--description", "Read the rows back."]);
    assert!(made.status.success(), "{}", stderr(&made));
    let tracks = text("conductor/tracks.md");
    let id = tracks
        .split("./conductor/tracks/")
        .filter_map(|it| it.split('/').next())
        .find(|it| it.starts_with("import_from_csv_"))
        .expect("the new track's link")
        .to_string();
    assert!(id.len() == "import_from_csv_".len() + 8, "{id}");
    assert!(tracks.contains("---\n\n## [ ] Track: Import from CSV\n"), "{tracks}");
    let metadata = text(&format!("conductor/tracks/{id}/metadata.json"));
    assert!(metadata.contains("\"status\": \"new\"") && metadata.contains(&format!("\"track_id\": \"{id}\"")));
    assert!(text(&format!("conductor/tracks/{id}/spec.md")).contains("Read the rows back."));
    assert_eq!(count(&taskmark(root, &["check", "--format", "json"])), 2);
    let started = write_in(root, &["set", &id, "in_progress"]);
    assert!(started.status.success(), "{}", stderr(&started));
    // The same title again would be the same track: refused, nothing written.
    let again = write_in(root, &["new", "Import from CSV"]);
    assert!(!again.status.success() && stderr(&again).contains("exists already"), "{}", stderr(&again));
}

/// A GSD phase through its plans on the command line: each plan ticked as GSD writes its
/// summary, then the phase completed in its box and its progress row. `check` reports nothing
/// new at any step, and a plan whose summary exists while its box is open is named.
#[test]
fn a_gsd_phase_from_its_first_plan_to_complete() {
    let roadmap = "# Roadmap\n\n## Phases\n\n- [x] **Phase 1: Foundation** - Scaffold\n- [ ] **Phase 2: Import** - Wizard\n\n## Phase Details\n\n### Phase 1: Foundation\nPlans:\n- [x] 01-01-PLAN.md -- Scaffold\n\n### Phase 2: Import\nPlans:\n- [ ] 02-01-PLAN.md -- Parser\n- [ ] 02-02-PLAN.md -- Wizard\n\n## Progress\n\n| Phase | Milestone | Plans Complete | Status | Completed |\n|-------|-----------|----------------|--------|-----------|\n| 1. Foundation | v1.0 | 1/1 | Complete | 2026-04-19 |\n| 2. Import | v1.0 | 0/2 | Not started | - |\n";
    let dir = workspace(&[
        (".planning/ROADMAP.md", roadmap.as_bytes()),
        (".planning/phases/01-foundation/01-01-SUMMARY.md", b"# 01-01 summary\n"),
    ]);
    let root = dir.path();
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "first"]);
    let diagnostics = |root: &Path| -> Vec<String> {
        let output = taskmark(root, &["check", "--format", "json"]);
        let found: Value = serde_json::from_slice(&output.stdout).expect("json");
        found["diagnostics"]
            .as_array()
            .map(|it| it.iter().map(|d| d["message"].as_str().unwrap_or("").to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(diagnostics(root), Vec::<String>::new());

    // GSD executes plan 02-01 and writes its summary; the box is still open: named.
    std::fs::create_dir_all(root.join(".planning/phases/02-import")).expect("a folder");
    std::fs::write(root.join(".planning/phases/02-import/02-01-SUMMARY.md"), "# 02-01 summary\n").expect("a summary");
    let found = diagnostics(root);
    assert!(found.len() == 1 && found[0].contains("02-01") && found[0].contains("summary file"), "{found:?}");
    let ticked = write_in(root, &["set", "02-01", "complete"]);
    assert!(ticked.status.success(), "{}", stderr(&ticked));
    let phase = write_in(root, &["set", "2", "in_progress"]);
    assert!(phase.status.success(), "{}", stderr(&phase));
    assert_eq!(diagnostics(root), Vec::<String>::new());

    let text = || std::fs::read_to_string(root.join(".planning/ROADMAP.md")).expect("the roadmap");
    assert!(text().contains("- [x] 02-01-PLAN.md -- Parser"));
    assert!(text().contains("| 2. Import | v1.0 | 0/2 | In Progress | - |"), "{}", text());
    // The phase cannot be complete while a plan is open; once it is, it can.
    let early = write_in(root, &["set", "2", "complete"]);
    assert!(!early.status.success() && stderr(&early).contains("open-children"), "{}", stderr(&early));
    std::fs::write(root.join(".planning/phases/02-import/02-02-SUMMARY.md"), "# 02-02 summary\n").expect("a summary");
    assert!(write_in(root, &["set", "02-02", "complete"]).status.success());
    let done = write_in(root, &["set", "2", "complete"]);
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(text().contains("- [x] **Phase 2: Import** - Wizard"));
    assert!(text().contains("| 2. Import | v1.0 | 0/2 | Complete | - |"), "{}", text());
    assert_eq!(diagnostics(root), Vec::<String>::new());
    let shown = taskmark(root, &["show", "02-02"]);
    assert!(stdout(&shown).contains("summary file"), "{}", stdout(&shown));
}

/// A compozy feature worked through on the command line: each `set` moves `_meta.md`'s counts
/// with the task file (Pending too, once every task is pending or completed again), and `check`
/// finds nothing after any step. Then a counter edited by hand is `stale-counts`, and `fix`
/// writes what the task files say.
#[test]
fn a_compozy_feature_keeps_its_meta_counts_through_sets_and_fix() {
    let task = |number: &str, status: &str| {
        format!("---\nstatus: {status}\ntitle: Task {number}\ntype: backend\n---\n\n# Task {number}\n")
    };
    let dir = workspace(&[
        (
            ".compozy/tasks/chat/_tasks.md",
            b"# Chat\n\n| # | Title | Status | Complexity | Dependencies |\n|---|---|---|---|---|\n| 01 | Task 01 | pending | low | - |\n| 02 | Task 02 | pending | low | - |\n",
        ),
        (
            ".compozy/tasks/chat/_meta.md",
            b"---\ncreated_at: 2026-04-11T16:14:17Z\n---\n\n## Summary\n- Total: 2\n- Completed: 0\n- Pending: 2\n",
        ),
        (".compozy/tasks/chat/task_01.md", task("01", "pending").as_bytes()),
        (".compozy/tasks/chat/task_02.md", task("02", "pending").as_bytes()),
    ]);
    let meta = || std::fs::read_to_string(dir.path().join(".compozy/tasks/chat/_meta.md")).expect("_meta.md");
    let clean = |step: &str| {
        let output = taskmark(dir.path(), &["check", ".", "--no-baseline"]);
        assert_eq!(output.status.code(), Some(0), "after {step}: {}", stdout(&output));
    };
    clean("nothing");
    for (status, counts) in [
        ("in_progress", "- Total: 2\n- Completed: 0\n- Pending: 2\n"),
        ("completed", "- Total: 2\n- Completed: 1\n- Pending: 1\n"),
    ] {
        let output = write_in(dir.path(), &["set", "1", status]);
        assert_eq!(output.status.code(), Some(0), "set 1 {status}: {}", stderr(&output));
        assert!(meta().ends_with(counts), "after set 1 {status}: {}", meta());
        clean(status);
    }
    std::fs::write(dir.path().join(".compozy/tasks/chat/_meta.md"), meta().replace("- Completed: 1", "- Completed: 2"))
        .expect("edit _meta.md");
    let output = taskmark(dir.path(), &["check", ".", "--no-baseline"]);
    assert!(
        stdout(&output).contains("_meta.md says Completed 2 but 1 of the folder's 2 task files is completed"),
        "{}",
        stdout(&output)
    );
    let output = write_in(dir.path(), &["fix"]);
    assert_eq!(output.status.code(), Some(0), "fix: {}", stderr(&output));
    assert!(meta().ends_with("- Total: 2\n- Completed: 1\n- Pending: 1\n"), "{}", meta());
    clean("fix");
}

/// Undoing one's own change is not refused for a problem the task had before (issue 34): task
/// 12's plan header says `[NOT STARTED]` under done phases. Blocking it, then taking it up
/// again, both go through, and `check` then finds no problem that was not there before.
#[test]
fn a_change_and_its_undo_are_not_refused_for_a_problem_already_there() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = committed_example(dir.path());
    let codes = |root: &Path| -> Vec<String> {
        let output = taskmark(root, &["check", "--no-baseline", "--format", "json"]);
        let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let mut codes: Vec<String> = json["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|it| it["severity"] != "hint")
            .map(|it| format!("{} {}", it["file"].as_str().unwrap_or(""), it["code"].as_str().unwrap_or("")))
            .collect();
        codes.sort();
        codes
    };
    let before = codes(&root);
    // Asked without its reason: said in a terminal's words, not markdown's (`**Blocking Reason**`).
    let no_reason = write_in(&root, &["set", "12", "blocked"]);
    assert_eq!(no_reason.status.code(), Some(3));
    assert!(
        stderr(&no_reason).contains("`[BLOCKED]` needs a Blocking Reason; give one with --reason"),
        "{}",
        stderr(&no_reason)
    );
    let blocked = write_in(&root, &["set", "12", "blocked", "--reason", "waits on the API"]);
    assert_eq!(blocked.status.code(), Some(0), "{}", stderr(&blocked));
    let undone = write_in(&root, &["set", "12", "implementing"]);
    assert_eq!(undone.status.code(), Some(0), "{}", stderr(&undone));
    let after = codes(&root);
    assert!(after.iter().all(|it| before.contains(it)), "new problems: before {before:?}, after {after:?}");
}

/// `taskmark rule` lists every rule with its severity and summary; `taskmark rule CODE` prints
/// the rule's documentation with its example (what the guide's page is generated from); a
/// misspelt code gets the closest one, exit 2.
#[test]
fn rule_explains_a_rule_and_lists_them_all() {
    let dir = workspace(&[]);
    let listed = taskmark(dir.path(), &["rule"]);
    assert_eq!(listed.status.code(), Some(0));
    let listed = stdout(&listed);
    for code in taskmark::engine::diagnostic::RuleCode::ALL {
        let line = listed.lines().find(|it| it.starts_with(code.as_str())).unwrap_or_else(|| panic!("{listed}"));
        assert!(line.contains(code.default_severity().as_str()) && line.contains(code.summary()), "{line}");
    }
    let explained = taskmark(dir.path(), &["rule", "broken-link"]);
    assert_eq!(explained.status.code(), Some(0));
    let text = stdout(&explained);
    assert!(text.starts_with("# broken-link\n\nSeverity: warning by default."), "{text}");
    assert!(text.contains("## Example") && text.contains("file=specs/TODO.md"), "{text}");
    let misspelt = taskmark(dir.path(), &["rule", "brokn-link"]);
    assert_eq!(misspelt.status.code(), Some(2));
    assert!(stderr(&misspelt).contains("did you mean `broken-link`?"), "{}", stderr(&misspelt));
}

/// Issue 35, `next --parallel`: three agents ask for three tasks they can work on at once.
/// Task 2's plan names the file task 1 changes, so 2 is passed over for 3 and 4; once an agent
/// claims 1, the next ask offers 2 in its place. The human answer says the same.
#[test]
fn next_parallel_never_proposes_two_tasks_that_name_the_same_file() {
    let dir = workspace(&[
        (".taskmark.toml", b"# a workspace\n"),
        (
            "specs/TODO.md",
            b"# TODO

### 1. Faster parser
- **Status**: [NOT STARTED]
- **Priority**: High
- **Description**: rewrite the hot loop of `src/parser.rs` (see src/parser.rs:120)

### 2. Parser errors
- **Status**: [NOT STARTED]
- **Plan**: [implementation-001.md](002_parser_errors/plans/implementation-001.md)

### 3. Guide
- **Status**: [NOT STARTED]
- **Description**: write [the guide](../docs/guide.md)

### 4. Unnamed
- **Status**: [NOT STARTED]

### 5. After the parser
- **Status**: [NOT STARTED]
- **Dependencies**: 1
- **Description**: touches `src/parser.rs` too, once 1 is done
",
        ),
        (
            "specs/002_parser_errors/plans/implementation-001.md",
            b"# Implementation Plan: Parser errors\n- **Task**: 2 - Parser errors\n- **Status**: [NOT STARTED]\n\n## Files\n- `./src/parser.rs`\n- `src/errors.rs`\n",
        ),
    ]);
    let root = dir.path();
    let ask = || {
        let output = write_in(root, &["next", "--parallel", "3", "--format", "json"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let answer: Value = serde_json::from_slice(&output.stdout).expect("next's JSON");
        answer["parallel"].clone()
    };
    let tasks = |parallel: &Value| -> Vec<(String, Vec<String>)> {
        parallel["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .map(|it| {
                let files = it["files"].as_array().expect("files").iter().filter_map(Value::as_str).map(str::to_string);
                (it["task"].as_str().unwrap_or_default().to_string(), files.collect())
            })
            .collect()
    };
    let first = ask();
    assert_eq!(
        tasks(&first),
        [
            ("specs:1".to_string(), vec!["src/parser.rs".to_string()]),
            ("specs:3".to_string(), vec!["docs/guide.md".to_string()]),
            ("specs:4".to_string(), vec![]),
        ],
        "{first}"
    );
    assert_eq!(first["setAside"][0]["task"], "specs:2", "{first}");
    assert_eq!(first["setAside"][0]["shares"], serde_json::json!(["src/parser.rs"]), "{first}");
    assert_eq!(first["setAside"][0]["with"], serde_json::json!(["specs:1"]), "{first}");

    // An agent takes 1: the others are offered 2 now.
    let claimed = Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["claim", "1", "--agent", "agent-a", "--root", "."])
        .current_dir(root)
        .env("TASKMARK_STATE_DIR", root.join(".state"))
        .env("TASKMARK_RUNTIME_DIR", root.join(".runtime"))
        .output()
        .expect("the taskmark binary runs");
    assert_eq!(claimed.status.code(), Some(0), "{}", stderr(&claimed));
    let second = ask();
    let offered: Vec<String> = tasks(&second).into_iter().map(|(task, _)| task).collect();
    assert_eq!(offered, ["specs:2", "specs:3", "specs:4"], "{second}");
    assert_eq!(
        tasks(&second)[0].1,
        ["specs/002_parser_errors/plans/implementation-001.md", "src/errors.rs", "src/parser.rs"],
        "{second}"
    );

    let human = write_in(root, &["next", "--parallel", "2"]);
    assert_eq!(
        stdout(&human).split("\nAt once").nth(1),
        Some(
            ", no file in common (2 of 2 asked):\n     specs:2 Parser errors\n       specs/002_parser_errors/plans/implementation-001.md, src/errors.rs, src/parser.rs\n     specs:3 Guide\n       docs/guide.md\n"
        ),
        "{}",
        stdout(&human)
    );
    let refused = write_in(root, &["next", "--parallel", "21"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
}

/// `check` with its cache folder at `cache`.
fn check_caching(root: &Path, cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taskmark"))
        .args(["check", "--format", "json", "--no-baseline", "--root", "."])
        .current_dir(root)
        .env("TASKMARK_CACHE_DIR", cache)
        .output()
        .expect("the taskmark binary runs")
}

#[test]
fn check_keeps_its_walk_outside_the_work_tree_sees_every_new_file_and_names_a_corrupt_one() {
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_tree(&example(), dir.path());
    let cache = tempfile::tempdir().expect("cache folder");
    // A walk whose folders changed within two seconds of it is not kept (a change in the same
    // instant could keep a folder's stamp): this workspace was just made.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let first = check_caching(dir.path(), cache.path());
    let kept: Vec<PathBuf> = std::fs::read_dir(cache.path().join("walks"))
        .expect("the walk is kept in the cache folder")
        .map(|it| it.expect("an entry").path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(!dir.path().join(".taskmark").exists(), "nothing of taskmark's in the work tree");
    let again = check_caching(dir.path(), cache.path());
    assert_eq!(
        (stdout(&again), stderr(&again)),
        (stdout(&first), String::new()),
        "the kept walk says what the walk did"
    );
    // A new plan deep down is read at once: its folder's stamp moved.
    let plan = dir.path().join("specs/015_export_csv/plans/implementation-001.md");
    std::fs::create_dir_all(plan.parent().expect("a parent")).expect("folders");
    std::fs::write(&plan, "# Implementation Plan: Task #15\n\n- **Status**: [COMPLETED]\n").expect("written");
    let files = |output: &Output| {
        let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
        json["summary"]["files"].as_u64().expect("a file count")
    };
    let after = check_caching(dir.path(), cache.path());
    assert_eq!(files(&after), files(&first) + 1, "{}", stdout(&after));
    // A corrupt kept walk is named on standard error and not used.
    let mut bytes = std::fs::read(&kept[0]).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&kept[0], &bytes).expect("written");
    let noted = check_caching(dir.path(), cache.path());
    assert_eq!(stdout(&noted), stdout(&after));
    assert!(
        stderr(&noted).contains("taskmark: note: kept walk") && stderr(&noted).contains("corrupt"),
        "{}",
        stderr(&noted)
    );
}
