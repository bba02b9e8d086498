"""Fixtures for driving `taskmark lsp` with pytest-lsp, the way real editors do.

Every test gets its own copy of `tests/fixtures/example` (the code actions and commands edit
files) and its own server process, started in that copy and initialized with the capabilities
pytest-lsp ships for Neovim 0.11 or VS Code. The `Editor` wrapper plays the editor's part:
it keeps the documents it opened, applies `workspace/applyEdit` to them (sending `didOpen` and
incremental `didChange` like Neovim does), answers the server's other requests, and waits for
published diagnostics by polling with a deadline (never a fixed sleep).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import attrs
import pytest
import pytest_asyncio
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "example"

# Generous: the first diagnostics of a debug build on a loaded CI machine.
DIAGNOSTICS_TIMEOUT = 20.0
SHUTDOWN_TIMEOUT = 10.0

NEOVIM = "neovim@v0.11.0"
VSCODE = "visual-studio-code"
CLIENT_INFO = {
    NEOVIM: t.ClientInfo(name="Neovim", version="0.11.0"),
    VSCODE: t.ClientInfo(name="Visual Studio Code", version="1.65.2"),
}


def pytest_configure(config: pytest.Config) -> None:
    taskmark_bin()  # fail before collecting anything when the binary is missing


def taskmark_bin() -> str:
    """The server binary, from TASKMARK_BIN (tests/pytest/run.sh sets it)."""
    value = os.environ.get("TASKMARK_BIN", "")
    if not value:
        raise pytest.UsageError(
            "TASKMARK_BIN is not set: point it at the taskmark binary "
            "(absolute path, e.g. TASKMARK_BIN=$PWD/target/debug/taskmark), "
            "or run tests/pytest/run.sh, which builds it and sets it."
        )
    path = Path(value)
    if not path.is_absolute():
        raise pytest.UsageError(f"TASKMARK_BIN must be an absolute path, got {value!r}")
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise pytest.UsageError(f"TASKMARK_BIN={value!r} is not an executable file")
    return str(path)


@attrs.define
class TaskmarkServer(ClientServerConfig):
    """ClientServerConfig that also starts the server in a working directory: pytest-lsp's
    own `start` passes only `env` to the subprocess."""

    cwd: str | None = attrs.field(default=None)

    async def start(self, devtools: str | None = None) -> LanguageClient:
        client = self.client_factory()
        await client.start_io(*self.get_server_command(devtools), env=self.server_env, cwd=self.cwd)
        return client


def uri(path: Path) -> str:
    return path.as_uri()


def units(text: str, encoding: str) -> int:
    """Length of `text` in the code units of an LSP position encoding."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    if encoding == "utf-32":
        return len(text)
    raise ValueError(encoding)


def offset_of(text: str, position: t.Position, encoding: str) -> int:
    """The index into `text` (a str) of an LSP position in `encoding`."""
    lines = text.split("\n")
    assert position.line <= len(lines), f"{position} is past the end of the document"
    start = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    seen = 0
    for index, char in enumerate(line):
        if seen >= position.character:
            assert seen == position.character, f"{position} splits a character in {encoding}"
            return start + index
        seen += units(char, encoding)
    assert seen == position.character, f"{position} is past the end of line {position.line} ({seen} units)"
    return start + len(line)


def apply_text_edits(text: str, edits: Sequence[t.TextEdit], encoding: str) -> str:
    """Applies one document's edits of a WorkspaceEdit: all ranges refer to the original text."""
    spans = []
    for edit in edits:
        start, end = offset_of(text, edit.range.start, encoding), offset_of(text, edit.range.end, encoding)
        assert start <= end, f"backwards range {edit.range}"
        spans.append((start, end, edit.new_text))
    spans.sort(key=lambda it: (it[0], it[1]))
    for (_, end_a, _), (start_b, _, _) in zip(spans, spans[1:]):
        assert end_a <= start_b, f"overlapping edits in {edits}"
    for start, end, new_text in reversed(spans):
        text = text[:start] + new_text + text[end:]
    return text


def edits_by_uri(edit: t.WorkspaceEdit) -> dict[str, list[t.TextEdit]]:
    """The text edits of a WorkspaceEdit, from `changes` or `documentChanges`."""
    out: dict[str, list[t.TextEdit]] = {}
    if edit.document_changes:
        for change in edit.document_changes:
            assert isinstance(change, t.TextDocumentEdit), f"unexpected resource operation {change}"
            out.setdefault(change.text_document.uri, []).extend(change.edits)
    for key, edits in (edit.changes or {}).items():
        out.setdefault(key, []).extend(edits)
    return out


class Editor:
    """A LanguageClient plus what an editor keeps: open documents and the server's requests."""

    def __init__(self, client: LanguageClient, spec: str, root: Path):
        self.client = client
        self.spec = spec
        self.root = root
        self.initialize_result: t.InitializeResult | None = None
        self.documents: dict[str, tuple[int, str]] = {}  # uri -> (version, text)
        self.server_requests: list[tuple[str, Any]] = []
        self.applied_edits: list[t.ApplyWorkspaceEditParams] = []
        self.decline_edits: str | None = None
        """When set, workspace/applyEdit is answered `applied: false` with this reason."""
        self._register_handlers()

    @property
    def encoding(self) -> str:
        assert self.initialize_result is not None
        return self.initialize_result.capabilities.position_encoding or "utf-16"

    def path(self, relative: str) -> Path:
        return self.root / relative

    def uri(self, relative: str) -> str:
        return uri(self.path(relative))

    # -- requests the server sends: an editor answers all of them -------------------------

    def _register_handlers(self) -> None:
        client = self.client

        def record(method: str) -> Callable[[LanguageClient, Any], None]:
            def handler(_ls: LanguageClient, params: Any) -> None:
                self.server_requests.append((method, params))
                return None

            return handler

        for method in (
            t.CLIENT_REGISTER_CAPABILITY,
            t.CLIENT_UNREGISTER_CAPABILITY,
            t.WORKSPACE_INLAY_HINT_REFRESH,
            t.WORKSPACE_CODE_LENS_REFRESH,
            t.WORKSPACE_SEMANTIC_TOKENS_REFRESH,
        ):
            client.feature(method)(record(method))

        @client.feature(t.WORKSPACE_APPLY_EDIT)
        def apply_edit(_ls: LanguageClient, params: t.ApplyWorkspaceEditParams) -> t.ApplyWorkspaceEditResult:
            self.server_requests.append((t.WORKSPACE_APPLY_EDIT, params))
            self.applied_edits.append(params)
            if self.decline_edits is not None:
                return t.ApplyWorkspaceEditResult(applied=False, failure_reason=self.decline_edits)
            try:
                self.apply_in_buffers(params.edit)
            except Exception as error:  # an editor answers, it does not hang the server
                return t.ApplyWorkspaceEditResult(applied=False, failure_reason=f"{type(error).__name__}: {error}")
            return t.ApplyWorkspaceEditResult(applied=True)

    # -- documents ----------------------------------------------------------------------------

    def open(self, relative: str, text: str | None = None) -> str:
        key = self.uri(relative)
        self._open_uri(key, self.path(relative).read_text(encoding="utf-8") if text is None else text)
        return key

    def _open_uri(self, key: str, text: str) -> None:
        language = "json" if key.endswith(".json") else "markdown"
        self.documents[key] = (0, text)
        self.client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                text_document=t.TextDocumentItem(uri=key, language_id=language, version=0, text=text)
            )
        )

    def change(self, key: str, edits: Sequence[t.TextEdit]) -> str:
        """Sends `edits` (ranges against the current text) as one incremental didChange, the
        last edit in the document first so that each range is still valid when applied."""
        version, text = self.documents[key]
        # Same-position inserts: the later one first, so that the earlier ends up in front.
        numbered = sorted(
            enumerate(edits), key=lambda it: (it[1].range.start.line, it[1].range.start.character, it[0]), reverse=True
        )
        ordered = [edit for _, edit in numbered]
        for edit in ordered:  # each change applies to the result of the previous one
            text = apply_text_edits(text, [edit], self.encoding)
        version += 1
        self.documents[key] = (version, text)
        self.client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=key, version=version),
                content_changes=[
                    t.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text) for edit in ordered
                ],
            )
        )
        return text

    def apply_in_buffers(self, edit: t.WorkspaceEdit) -> None:
        """What Neovim does with a workspace edit: load every file it names into a buffer
        (didOpen with the disk text), apply the edits there (didChange); nothing is saved.
        Like VS Code, a versioned edit for a document at another version is refused whole."""
        for change in edit.document_changes or []:
            if isinstance(change, t.TextDocumentEdit) and change.text_document.version is not None:
                key = change.text_document.uri
                have = self.documents[key][0] if key in self.documents else None
                if have != change.text_document.version:
                    raise ValueError(f"{key} is at version {have}, the edit is for {change.text_document.version}")
        for key, text_edits in edits_by_uri(edit).items():
            if key not in self.documents:
                self._open_uri(key, path_of(key).read_text(encoding="utf-8"))
            self.change(key, text_edits)

    def close(self, key: str) -> None:
        del self.documents[key]
        self.client.text_document_did_close(
            t.DidCloseTextDocumentParams(text_document=t.TextDocumentIdentifier(uri=key))
        )

    def text(self, key: str) -> str:
        return self.documents[key][1]

    # -- diagnostics --------------------------------------------------------------------------

    def diagnostics(self, key: str) -> list[t.Diagnostic]:
        return list(self.client.diagnostics.get(key, []))

    async def wait_for_diagnostics(
        self,
        key: str,
        predicate: Callable[[list[t.Diagnostic]], bool],
        what: str,
        timeout: float = DIAGNOSTICS_TIMEOUT,
        unpublished_is_empty: bool = False,
    ) -> list[t.Diagnostic]:
        """Polls the published diagnostics of `key` until `predicate` holds. A server need not
        publish an empty list for a file it never reported anything on: with
        `unpublished_is_empty`, such a file counts as having no diagnostics."""
        deadline = time.monotonic() + timeout
        while True:
            published = key in self.client.diagnostics or unpublished_is_empty
            if published and predicate(self.diagnostics(key)):
                return self.diagnostics(key)
            if self.client.stopped:
                raise AssertionError(f"the server exited while waiting for {what}")
            if time.monotonic() > deadline:
                got = summarize(self.diagnostics(key)) if key in self.client.diagnostics else "nothing published"
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} on {key}; last: {got}")
            await asyncio.sleep(0.05)


def path_of(key: str) -> Path:
    """The path of a file URI (Path.from_uri is Python 3.13+)."""
    parsed = urlparse(key)
    assert parsed.scheme == "file", key
    return Path(unquote(parsed.path))


def summarize(diagnostics: Sequence[t.Diagnostic]) -> list[tuple[Any, int, int]]:
    return [(d.code, d.range.start.line, d.range.start.character) for d in diagnostics]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A private copy of the example workspace, in a folder whose name has a space (file URIs
    must be percent-encoded both ways)."""
    root = tmp_path / "example workspace"
    shutil.copytree(FIXTURE, root)
    return root.resolve()


async def start_editor(spec: str, root: Path, request: pytest.FixtureRequest) -> Editor:
    config = TaskmarkServer(server_command=[taskmark_bin(), "lsp", "--standalone", "--log-level", "info"], cwd=str(root))
    client = await config.start(devtools=request.config.getoption("devtools"))
    editor = Editor(client, spec, root)
    folder = t.WorkspaceFolder(uri=uri(root), name=root.name)
    editor.initialize_result = await asyncio.wait_for(
        client.initialize_session(
            t.InitializeParams(
                capabilities=client_capabilities(spec),
                client_info=CLIENT_INFO[spec],
                root_uri=uri(root),
                root_path=str(root),
                workspace_folders=[folder],
            )
        ),
        DIAGNOSTICS_TIMEOUT,
    )
    return editor


async def stop_editor(editor: Editor) -> None:
    """shutdown, exit, and the process must end with status 0 (LSP: exit after shutdown)."""
    try:
        assert not editor.client.stopped, "the server exited during the test"
        await asyncio.wait_for(editor.client.shutdown_session(), SHUTDOWN_TIMEOUT)
        process = editor.client._server
        assert process is not None
        await asyncio.wait_for(process.wait(), SHUTDOWN_TIMEOUT)
        assert process.returncode == 0, f"the server exited with status {process.returncode} after shutdown/exit"
    finally:
        await editor.client.stop()


def _editor_fixture(spec: str):
    @pytest_asyncio.fixture
    async def fixture(workspace: Path, request: pytest.FixtureRequest):
        editor = await start_editor(spec, workspace, request)
        yield editor
        await stop_editor(editor)

    return fixture


neovim = _editor_fixture(NEOVIM)
vscode = _editor_fixture(VSCODE)


@pytest.fixture(params=[NEOVIM, VSCODE], ids=["neovim", "vscode"])
def spec(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest_asyncio.fixture
async def editor(spec: str, workspace: Path, request: pytest.FixtureRequest):
    """Runs the test once as Neovim 0.11 and once as VS Code."""
    started = await start_editor(spec, workspace, request)
    yield started
    await stop_editor(started)

