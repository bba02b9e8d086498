"""taskmark in other people's CI: the pre-commit hook (`.pre-commit-hooks.yaml`, run by the
real `pre-commit` from PyPI on a scratch git repository) and the GitHub Action
(`editors/github-action/action.yml`, whose steps are run here as the runner runs a composite
action's: each `run:` with `bash --noprofile --norc -eo pipefail`, its `env:` expressions
evaluated, its `if:` decided).

The trackers are our own small spec-folder TODO.md, written below; `taskmark` is TASKMARK_BIN,
put on PATH as `cargo install` would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, taskmark_bin

ACTION = REPO / "editors" / "github-action"

GOOD_TODO = """\
---
next_project_number: 3
task_counts:
  active: 2
  completed: 0
  not_started: 1
  total: 2
---

# TODO

## Task Order

- **1** [IMPLEMENTING] — Write the parser
- **2** [NOT STARTED] — Document the format

## High Priority

### 1. Write the parser
- **Status**: [IMPLEMENTING]
- **Created**: 2026-10-02

### 2. Document the format
- **Status**: [NOT STARTED]
- **Created**: 2026-10-03
"""
# Line 20 is task 1's status; a misspelt marker there is an unknown-status error.
MISSPELT_TODO = GOOD_TODO.replace("- **Status**: [IMPLEMENTING]", "- **Status**: [IMPLEMENTNG]")
# Only a warning: the counters say 2 tasks not started, the file has 1.
STALE_COUNTS_TODO = GOOD_TODO.replace("  not_started: 1", "  not_started: 2")


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check, env=git_env())


def git_env() -> dict[str, str]:
    return dict(
        os.environ,
        GIT_AUTHOR_NAME="taskmark tests",
        GIT_AUTHOR_EMAIL="tests@taskmark.invalid",
        GIT_COMMITTER_NAME="taskmark tests",
        GIT_COMMITTER_EMAIL="tests@taskmark.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )


def taskmark_on_path(tmp_path: Path) -> str:
    """A PATH with `taskmark` (TASKMARK_BIN), this virtualenv's tools (pre-commit) and the system's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    link = bin_dir / "taskmark"
    if not link.exists():
        link.symlink_to(taskmark_bin())
    return os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    return path


# ---- pre-commit --------------------------------------------------------------------------------


def test_pre_commit_hook_refuses_a_broken_tracker_and_passes_a_good_one(tmp_path: Path) -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in hooks] == ["taskmark-check"], hooks

    # The hook repository as pre-commit clones it: this repository's .pre-commit-hooks.yaml at
    # its root, committed (a copy, so uncommitted edits to it are what is tested).
    hook_repo = init_repo(tmp_path / "hooks")
    shutil.copy(REPO / ".pre-commit-hooks.yaml", hook_repo / ".pre-commit-hooks.yaml")
    git(hook_repo, "add", ".")
    git(hook_repo, "commit", "-q", "-m", "hooks")
    rev = git(hook_repo, "rev-parse", "HEAD").stdout.strip()

    project = init_repo(tmp_path / "project")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: taskmark-check\n"
    )
    env = git_env()
    env["PATH"] = taskmark_on_path(tmp_path)
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-cache")
    env.pop("TASKMARK_BIN", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), cwd=project, capture_output=True, text=True, env=env, timeout=120)

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        run("git", "add", "-A")
        return run("git", "commit", "-m", message)

    installed = run("pre-commit", "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (project / ".git" / "hooks" / "pre-commit").is_file()

    (project / "specs").mkdir()
    todo = project / "specs" / "TODO.md"
    todo.write_text(GOOD_TODO)
    first = commit("a tracker")
    out = first.stdout + first.stderr
    assert first.returncode == 0, out
    assert re.search(r"taskmark check\.+Passed", out), out

    # A misspelt marker: the commit is refused with taskmark's message, nothing is committed.
    todo.write_text(MISSPELT_TODO)
    refused = commit("a misspelt marker")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert re.search(r"taskmark check\.+Failed", out), out
    assert "error[unknown-status]: unknown status `[IMPLEMENTNG]`" in out, out
    assert "specs/TODO.md:20:15" in out, out
    assert git(project, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    # A transition the vocabulary forbids, against HEAD: [IMPLEMENTING] back to [NOT STARTED].
    todo.write_text(GOOD_TODO.replace("[IMPLEMENTING]", "[NOT STARTED]").replace("not_started: 1", "not_started: 2"))
    backwards = commit("task 1 back to not started")
    out = backwards.stdout + backwards.stderr
    assert backwards.returncode != 0, out
    assert "error[invalid-transition]" in out and "(since HEAD)" in out, out

    # A file the hook does not look at: skipped.
    run("git", "reset", "-q", "--hard")
    assert todo.read_text() == GOOD_TODO
    (project / "notes.txt").write_text("not a tracker\n")
    skipped = commit("notes")
    out = skipped.stdout + skipped.stderr
    assert skipped.returncode == 0, out
    assert re.search(r"taskmark check\.+\(no files to check\)Skipped", out), out

    # The tracker right again: the commit goes through.
    todo.write_text(GOOD_TODO.replace("[NOT STARTED]", "[RESEARCHING]", 2).replace("not_started: 1", "not_started: 0"))
    fixed = commit("task 2 under research")
    out = fixed.stdout + fixed.stderr
    assert fixed.returncode == 0, out
    assert re.search(r"taskmark check\.+Passed", out), out
    assert git(project, "rev-list", "--count", "HEAD").stdout.strip() == "3"


# ---- the GitHub Action -------------------------------------------------------------------------

def test_the_guide_pre_commit_snippet_works_as_copied(tmp_path: Path) -> None:
    """The user guide's `.pre-commit-config.yaml` (docs/guide/src/ci.md), copied as it is (a
    local hook: no URL or tag to fill in), refuses a misspelt marker and passes a good
    tracker."""
    readme = (REPO / "docs" / "guide" / "src" / "ci.md").read_text()
    block = re.search(r"```yaml\n(# \.pre-commit-config\.yaml.*?)```", readme, re.S)
    assert block, "the guide's pre-commit snippet"
    assert "OWNER" not in block.group(1) and "rev:" not in block.group(1), block.group(1)
    project = init_repo(tmp_path / "project")
    (project / ".pre-commit-config.yaml").write_text(block.group(1))
    (project / "specs").mkdir()
    env = git_env()
    env["PATH"] = taskmark_on_path(tmp_path)
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-cache")
    env.pop("TASKMARK_BIN", None)

    def run_hooks() -> subprocess.CompletedProcess[str]:
        git(project, "add", "-A")
        return subprocess.run(["pre-commit", "run", "--all-files"], cwd=project, capture_output=True, text=True, env=env, timeout=120)

    (project / "specs" / "TODO.md").write_text(MISSPELT_TODO)
    refused = run_hooks()
    assert refused.returncode != 0 and "error[unknown-status]" in refused.stdout, refused.stdout + refused.stderr
    (project / "specs" / "TODO.md").write_text(GOOD_TODO)
    passed = run_hooks()
    assert passed.returncode == 0 and re.search(r"taskmark check\.+Passed", passed.stdout), passed.stdout + passed.stderr


EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+),endLine=(\d+),endColumn=(\d+),title=([\w-]+)::(.+)$"
)


def action() -> dict:
    return yaml.safe_load((ACTION / "action.yml").read_text())


def evaluate(expression: str, inputs: dict[str, str], github: dict[str, str]) -> str:
    """The subset of GitHub's expression syntax the action may use: `inputs.NAME` and
    `github.NAME`. Anything else fails the test (keep the action's logic in bash, where it is run)."""
    match = re.fullmatch(r"(inputs|github)\.([\w-]+)", expression)
    assert match, f"action.yml uses an expression this test does not evaluate: {expression!r}"
    scope, name = match.groups()
    values = inputs if scope == "inputs" else github
    assert name in values, f"action.yml reads {scope}.{name}, which is not defined"
    return values[name]


def condition(expression: str | None, inputs: dict[str, str]) -> bool:
    if expression is None:
        return True
    match = re.fullmatch(r"inputs\.([\w-]+)\s*(==|!=)\s*''", expression.strip())
    assert match, f"action.yml has an if: this test does not decide: {expression!r}"
    name, operator = match.groups()
    assert name in inputs, f"if: reads inputs.{name}, which is not an input"
    return (inputs[name] == "") == (operator == "==")


def run_action(workspace: Path, given: dict[str, str], tmp_path: Path, path_env: str) -> tuple[int, str, list[str]]:
    """Runs the action's steps as the runner does; returns the last step's exit status (or the
    first failing one's), the output of every step, and the names of the steps that ran."""
    spec = action()
    assert spec["runs"]["using"] == "composite"
    declared = spec["inputs"]
    unknown = set(given) - set(declared)
    assert not unknown, f"inputs the action does not declare: {unknown}"
    inputs = {name: str(given.get(name, declared[name].get("default", ""))) for name in declared}
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    github_path = tmp_path / "github-path"
    github_path.touch()
    github = {"action_path": str(ACTION), "workspace": str(workspace)}
    path = path_env
    output, ran = "", []
    status = 0
    for step in spec["runs"]["steps"]:
        assert "uses" not in step, f"a step this test cannot run: {step}"
        if not condition(step.get("if"), inputs):
            continue
        assert step.get("shell") == "bash", f"every step runs in bash: {step}"
        assert not EXPRESSION.search(step["run"]), f"expressions pasted into a script (injection): {step['name']}"
        env = {
            "PATH": path,
            "HOME": str(tmp_path / "home"),
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_ACTION_PATH": str(ACTION),
            "GITHUB_PATH": str(github_path),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_ACTION_REPOSITORY": "example/taskmark",
            "RUNNER_TEMP": str(runner_temp),
        }
        for key, value in (step.get("env") or {}).items():
            env[key] = EXPRESSION.sub(lambda it: evaluate(it.group(1), inputs, github), str(value))
        script = tmp_path / "step.sh"
        script.write_text(step["run"])
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        ran.append(step["name"])
        output += completed.stdout + completed.stderr
        status = completed.returncode
        if status != 0:
            break
        # GITHUB_PATH: what a step adds is on PATH for the next ones.
        added = [line for line in github_path.read_text().splitlines() if line]
        path = os.pathsep.join([*reversed(added), path_env])
    return status, output, ran


def workspace_with(tmp_path: Path, todo: str, folder: str = "") -> Path:
    workspace = init_repo(tmp_path / "workspace")
    tracker = workspace / folder / "specs" / "TODO.md"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(GOOD_TODO)
    git(workspace, "add", ".")
    git(workspace, "commit", "-q", "-m", "tracker")
    tracker.write_text(todo)
    return workspace


def annotations(output: str) -> list[tuple[str, ...]]:
    return [match.groups() for line in output.splitlines() if (match := ANNOTATION.match(line))]


def test_github_action_declares_its_inputs_and_keeps_them_out_of_its_scripts() -> None:
    spec = action()
    assert set(spec["inputs"]) == {"binary", "version", "repository", "path", "args"}
    assert spec["inputs"]["path"]["default"] == "."
    steps = spec["runs"]["steps"]
    assert [step["name"] for step in steps] == ["Install taskmark", "taskmark check"]
    assert steps[0]["if"] == "inputs.binary == ''"
    assert "--format github" in steps[1]["run"]
    for step in steps:
        assert not EXPRESSION.search(step["run"]), step["name"]


def test_github_action_annotates_a_broken_tracker_and_fails(tmp_path: Path) -> None:
    workspace = workspace_with(tmp_path, MISSPELT_TODO)
    status, output, ran = run_action(workspace, {"binary": taskmark_bin()}, tmp_path, "/usr/bin:/bin")
    # With a binary given, only the install step is skipped.
    assert ran == ["taskmark check"], ran
    assert status == 1, output
    found = annotations(output)
    errors = [it for it in found if it[0] == "error"]
    assert errors, output
    kind, file, line, col, _end_line, _end_col, title, message = errors[0]
    assert (file, line, col, title) == ("specs/TODO.md", "20", "15", "unknown-status"), errors[0]
    assert message.startswith("unknown status `[IMPLEMENTNG]`"), message
    # The annotation names the file and line the runner shows it on.
    assert (workspace / file).read_text().splitlines()[int(line) - 1] == "- **Status**: [IMPLEMENTNG]"


def test_github_action_passes_a_good_tracker(tmp_path: Path) -> None:
    workspace = workspace_with(tmp_path, GOOD_TODO)
    status, output, _ = run_action(workspace, {"binary": taskmark_bin()}, tmp_path, "/usr/bin:/bin")
    assert status == 0, output
    assert annotations(output) == [], output
    assert "0 errors, 0 warnings" in output, output
    # `binary` as the README writes it: ~ is the home folder.
    (tmp_path / "home" / ".cargo" / "bin").mkdir(parents=True)
    (tmp_path / "home" / ".cargo" / "bin" / "taskmark").symlink_to(taskmark_bin())
    status, output, ran = run_action(workspace, {"binary": "~/.cargo/bin/taskmark"}, tmp_path, "/usr/bin:/bin")
    assert (status, ran) == (0, ["taskmark check"]), output
    assert "0 errors, 0 warnings" in output, output


def test_github_action_args_and_path_reach_taskmark_check(tmp_path: Path) -> None:
    # A tracker in a subfolder, only a warning in it: passes, then fails with --deny warnings;
    # the annotation's file is relative to the workspace, where GitHub looks for it.
    workspace = workspace_with(tmp_path, STALE_COUNTS_TODO, folder="sub")
    status, output, _ = run_action(workspace, {"binary": taskmark_bin(), "path": "sub"}, tmp_path, "/usr/bin:/bin")
    assert status == 0, output
    warnings = [it for it in annotations(output) if it[0] == "warning"]
    assert [(it[1], it[6]) for it in warnings] == [("sub/specs/TODO.md", "stale-counts")], output
    status, output, _ = run_action(
        workspace, {"binary": taskmark_bin(), "path": "sub", "args": "--deny warnings"}, tmp_path, "/usr/bin:/bin"
    )
    assert status == 1, output
    # An argument taskmark does not know: a usage error, exit 2.
    status, output, _ = run_action(workspace, {"binary": taskmark_bin(), "args": "--no-such-flag"}, tmp_path, "/usr/bin:/bin")
    assert status == 2, output


@pytest.mark.parametrize("version", ["", "v0.1.0"])
def test_github_action_installs_taskmark_when_no_binary_is_given(tmp_path: Path, version: str) -> None:
    # A stand-in cargo (the real `cargo install` builds for minutes) that records its arguments and
    # installs TASKMARK_BIN where `--root` says; then the check step finds it through GITHUB_PATH.
    tools = tmp_path / "tools"
    tools.mkdir()
    record = tmp_path / "cargo-args"
    (tools / "cargo").write_text(
        "#!/bin/bash\n"
        f'printf "%s\\n" "$@" > "{record}"\n'
        'while [ $# -gt 0 ]; do [ "$1" = --root ] && root="$2"; shift; done\n'
        'mkdir -p "$root/bin"\n'
        f'ln -s "{taskmark_bin()}" "$root/bin/taskmark"\n'
    )
    (tools / "cargo").chmod(0o755)
    workspace = workspace_with(tmp_path, MISSPELT_TODO)
    given = {"version": version} if version else {}
    status, output, ran = run_action(workspace, given, tmp_path, f"{tools}:/usr/bin:/bin")
    assert ran == ["Install taskmark", "taskmark check"], output
    assert status == 1, output
    assert any(it[0] == "error" and it[6] == "unknown-status" for it in annotations(output)), output
    args = record.read_text().splitlines()
    root = str(tmp_path / "runner-temp" / "taskmark")
    assert args[:4] == ["install", "--locked", "--root", root], args
    if version:
        assert args[4:] == ["--git", "https://github.com/example/taskmark", "--rev", "v0.1.0", "taskmark"], args
    else:
        # The action's own copy of the repository: the server crate two folders up.
        assert args[4] == "--path", args
        assert (Path(args[5]) / "Cargo.toml").read_text().startswith('[package]\nname = "taskmark"\n'), args
        assert Path(args[5]).resolve() == REPO / "server" / "cli", args
