"""taskmark as people install it without a Rust toolchain: the PyPI wheel (editors/pypi, built
by maturin's `bin` bindings as ruff's is) installed into a clean virtualenv, with no cargo or
rustc on PATH, then `taskmark --version`, `check`, `lsp` and `mcp` run from it.

Run by editors/pypi/ci.sh (a step of .ci/run after the test suite), not by the test suite:
maturin's cargo build replaces target/debug/taskmark, which the suite's fault-injection tests
need built with their test hooks.

    python editors/pypi/test_wheel.py TASKMARK_BIN"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "example"


def taskmark_bin() -> str:
    return sys.argv[1]


def clean_path(bin_dir: Path) -> str:
    """A PATH with the installed package's scripts and the system's tools, and no Rust."""
    path = os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"])
    for tool in ("cargo", "rustc", "taskmark"):
        found = shutil.which(tool, path=os.pathsep.join(["/usr/local/bin", "/usr/bin", "/bin"]))
        assert found is None, f"{tool} is installed system-wide at {found}: the test could not tell the package's own"
    return path


def build_wheel(out: Path) -> Path:
    """The wheel, built by maturin from editors/pypi against the tree the suite tests. The debug
    profile (stripped) keeps it quick, reusing what `cargo test` built: what is tested is the
    package, not the optimiser."""
    target = Path(taskmark_bin()).resolve().parent.parent
    maturin = Path(sys.executable).parent / "maturin"
    env = dict(os.environ, CARGO_TARGET_DIR=str(target))
    built = subprocess.run(
        [str(maturin), "build", "--profile", "dev", "--strip", "--out", str(out)],
        cwd=REPO / "editors" / "pypi",
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    wheels = list(out.glob("taskmark-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def rpc(process: subprocess.Popen[bytes], message: dict) -> None:
    body = json.dumps(message).encode()
    assert process.stdin is not None
    process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    process.stdin.flush()


def read_message(process: subprocess.Popen[bytes]) -> dict:
    assert process.stdout is not None
    length = 0
    while True:
        line = process.stdout.readline()
        assert line, "the server closed its output"
        if line in (b"\r\n", b"\n"):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(process.stdout.read(length))


def the_pypi_wheel_installs_and_runs_without_rust(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "wheels")
    assert wheel.name.startswith("taskmark-0.1.0-py3-none-"), wheel.name
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    installed = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    bin_dir = env_dir / "bin"
    assert (bin_dir / "taskmark").is_file()
    env = dict(os.environ, PATH=clean_path(bin_dir), TASKMARK_RUNTIME_DIR=str(tmp_path / "run"), TASKMARK_STATE_DIR=str(tmp_path / "state"))
    env.pop("TASKMARK_BIN", None)

    version = subprocess.run(["taskmark", "--version"], env=env, capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.strip() == "taskmark 0.1.0", version.stdout + version.stderr

    workspace = tmp_path / "workspace"
    shutil.copytree(FIXTURE, workspace)
    check = subprocess.run(["taskmark", "check", "--no-baseline"], cwd=workspace, env=env, capture_output=True, text=True, timeout=60)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "error[" in check.stdout and "3 errors" in check.stdout, check.stdout

    lsp = subprocess.Popen(["taskmark", "lsp", "--standalone"], cwd=workspace, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        rpc(lsp, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": workspace.as_uri(), "capabilities": {}}})
        answer = read_message(lsp)
        assert answer["result"]["serverInfo"]["name"] == "taskmark", answer
        rpc(lsp, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        assert read_message(lsp)["id"] == 2
        rpc(lsp, {"jsonrpc": "2.0", "method": "exit"})
        assert lsp.wait(timeout=30) == 0
    finally:
        lsp.kill()

    mcp = subprocess.Popen(["taskmark", "mcp", "--no-daemon"], cwd=workspace, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert mcp.stdin is not None and mcp.stdout is not None
        initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "packages-test", "version": "1"}}}
        mcp.stdin.write(json.dumps(initialize).encode() + b"\n")
        mcp.stdin.flush()
        answer = json.loads(mcp.stdout.readline())
        assert answer["result"]["serverInfo"]["name"] == "taskmark", answer
        mcp.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n')
        mcp.stdin.flush()
        tools = json.loads(mcp.stdout.readline())
        names = {tool["name"] for tool in tools["result"]["tools"]}
        assert {"list_tasks", "set_status"} <= names, names
    finally:
        mcp.kill()
        mcp.wait(timeout=30)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        the_pypi_wheel_installs_and_runs_without_rust(Path(scratch))
    print("ok the wheel installs without Rust and runs --version, check, lsp and mcp")
