"""`taskmark lsp` driven by an independent client (pytest-lsp / pygls / lsprotocol) over stdio,
with the capabilities of Neovim 0.11 and of VS Code, on a copy of tests/fixtures/example.

Positions below are LSP's: zero-based lines, characters in the negotiated encoding.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import (
    NEOVIM,
    VSCODE,
    Editor,
    apply_text_edits,
    edits_by_uri,
    path_of,
    summarize,
    taskmark_bin,
    units,
)
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException

TODO = "specs/TODO.md"
STATE = "specs/state.json"
PLAN_12 = "specs/012_sync_engine/plans/implementation-001.md"
PLAN_14 = "specs/014_conflict_ui/plans/implementation-001.md"

CONTENT_MODIFIED = -32801
INVALID_PARAMS = -32602

ERROR = t.DiagnosticSeverity.Error
WARNING = t.DiagnosticSeverity.Warning

# What `taskmark check tests/fixtures/example --no-baseline` reports, as
# (file, code, line, character, severity); every line here is ASCII, so the character is the
# same in UTF-8 and UTF-16.
EXPECTED_DIAGNOSTICS = {
    PLAN_12: {
        ("status-mismatch", 3, 14, ERROR),
        ("plan-status-stale", 3, 14, WARNING),
        ("open-children", 13, 27, WARNING),
        ("unknown-status", 30, 32, ERROR),
    },
    TODO: {
        ("stale-counts", 5, 15, WARNING),
        ("broken-link", 59, 34, WARNING),
        ("missing-field", 102, 14, WARNING),
    },
    STATE: {
        ("status-mismatch", 26, 17, ERROR),
    },
}


def shape(diagnostics: list[t.Diagnostic]) -> set[tuple[object, int, int, object]]:
    return {(d.code, d.range.start.line, d.range.start.character, d.severity) for d in diagnostics}


async def initial_diagnostics(editor: Editor) -> dict[str, list[t.Diagnostic]]:
    """Waits until the first analysis has published the expected diagnostics of every file."""
    out = {}
    for relative, expected in EXPECTED_DIAGNOSTICS.items():
        out[relative] = await editor.wait_for_diagnostics(
            editor.uri(relative), lambda got, expected=expected: shape(got) == expected, f"the diagnostics of {relative}"
        )
    return out


def shifted(expected: set[tuple[object, int, int, object]], after: int, by: int) -> set[tuple[object, int, int, object]]:
    """`expected` with the lines below `after` moved down `by` lines (an edit inserted lines)."""
    return {(code, line + by if line > after else line, character, severity) for code, line, character, severity in expected}


def one(diagnostics: list[t.Diagnostic], code: str, line: int) -> t.Diagnostic:
    found = [d for d in diagnostics if d.code == code and d.range.start.line == line]
    assert len(found) == 1, f"expected one {code} on line {line}, got {summarize(diagnostics)}"
    return found[0]


def server_version() -> str:
    out = subprocess.run([taskmark_bin(), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+\.\d+\.\d+\S*)", out)
    assert match, f"`taskmark --version` printed {out!r}"
    return match.group(1)


# -- initialize -------------------------------------------------------------------------------


def check_common_capabilities(result: t.InitializeResult) -> None:
    assert result.server_info is not None
    assert result.server_info.name == "taskmark"
    assert result.server_info.version == server_version()

    caps = result.capabilities
    sync = caps.text_document_sync
    assert isinstance(sync, t.TextDocumentSyncOptions), sync
    assert sync.open_close is True
    assert sync.change == t.TextDocumentSyncKind.Incremental
    assert caps.hover_provider is True
    assert caps.definition_provider is True
    assert caps.references_provider is True

    actions = caps.code_action_provider
    assert isinstance(actions, t.CodeActionOptions), actions
    assert actions.resolve_provider is True
    assert t.CodeActionKind.QuickFix in (actions.code_action_kinds or [])

    assert caps.execute_command_provider is not None
    assert set(caps.execute_command_provider.commands) == {
        "taskmark.setStatus",
        "taskmark.pickStatus",
        "taskmark.listTasks",
        "taskmark.taskInfo",
        "taskmark.reindex",
        "taskmark.taskAt",
        "taskmark.fix",
        "taskmark.newTask",
        "taskmark.trackers",
        "taskmark.editTask",
        "taskmark.archiveTasks",
        "taskmark.diagnostics",
        "taskmark.claimTask",
        "taskmark.releaseTask",
        "taskmark.nextTasks",
        "taskmark.board",
        "taskmark.openBoard",
    }
    # Push diagnostics by default: no pull provider, or the editor would get them twice.
    assert caps.diagnostic_provider is None


async def test_initialize_as_neovim_negotiates_utf8(neovim: Editor):
    result = neovim.initialize_result
    assert result is not None
    check_common_capabilities(result)
    # Neovim 0.11 offers ["utf-8", "utf-16", "utf-32"]; the server takes UTF-8.
    offered = neovim.client.capabilities.general.position_encodings
    assert t.PositionEncodingKind.Utf8 in offered
    assert result.capabilities.position_encoding == t.PositionEncodingKind.Utf8

    await initial_diagnostics(neovim)
    # Neovim cannot register file watchers dynamically: the server must not ask it to.
    methods = [method for method, _ in neovim.server_requests]
    assert t.CLIENT_REGISTER_CAPABILITY not in methods
    # ... and must only send the refresh requests Neovim declared (inlay hints: yes; code lenses: no).
    assert t.WORKSPACE_CODE_LENS_REFRESH not in methods


async def test_initialize_as_vscode_negotiates_utf16(vscode: Editor):
    result = vscode.initialize_result
    assert result is not None
    check_common_capabilities(result)
    # VS Code 1.65 offers no positionEncodings: UTF-16, which every server must speak.
    general = vscode.client.capabilities.general
    assert general is None or not general.position_encodings
    # (Omitted means UTF-16 too.)
    assert result.capabilities.position_encoding in (None, t.PositionEncodingKind.Utf16)

    # VS Code watches files for the server: it registers didChangeWatchedFiles dynamically.
    await initial_diagnostics(vscode)
    registrations = [
        registration
        for method, params in vscode.server_requests
        if method == t.CLIENT_REGISTER_CAPABILITY
        for registration in params.registrations
    ]
    watched = [it for it in registrations if it.method == t.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    assert len(watched) == 1, registrations
    globs = {watcher["globPattern"] for watcher in watched[0].register_options["watchers"]}
    assert {"**/*.md", "**/state.json"} <= globs, globs
    assert t.WORKSPACE_INLAY_HINT_REFRESH not in [method for method, _ in vscode.server_requests]


# -- diagnostics ------------------------------------------------------------------------------


async def test_push_diagnostics_of_the_example_workspace(editor: Editor):
    published = await initial_diagnostics(editor)

    # A binary run from a clone's target/ links each code to that clone's page of the rule in
    # the user guide (a shipped one, to the published guide; one elsewhere, to nothing).
    guide = next(
        (
            folder / "docs" / "guide" / "src" / "rules"
            for folder in list(Path(taskmark_bin()).resolve().parents)[:4]
            if (folder / "docs" / "guide" / "src" / "rules").is_dir()
        ),
        None,
    )
    for relative, diagnostics in published.items():
        for diagnostic in diagnostics:
            assert diagnostic.source == "taskmark"
            if guide is None:
                assert diagnostic.code_description is None
                continue
            assert diagnostic.code_description is not None
            page = Path(unquote(urlparse(diagnostic.code_description.href).path))
            assert page == guide / f"{diagnostic.code}.md", diagnostic.code_description.href
            assert page.is_file()

    # Nothing else in the workspace has a problem.
    others = {key: summarize(d) for key, d in editor.client.diagnostics.items() if d}
    assert set(others) == {editor.uri(relative) for relative in EXPECTED_DIAGNOSTICS}, others

    unknown = one(published[PLAN_12], "unknown-status", 30)
    assert unknown.range.end == t.Position(line=30, character=44)  # `[IN PROGRES]`
    assert "[IN PROGRESS]" in unknown.message

    # A disagreement names every other place of the task, with its file (URIs percent-encoded:
    # the workspace folder has a space in its name).
    mismatch = one(published[PLAN_12], "status-mismatch", 3)
    assert mismatch.range == t.Range(start=t.Position(line=3, character=14), end=t.Position(line=3, character=27))
    assert "%20" in editor.uri(TODO)
    related = {
        (info.location.uri, info.location.range.start.line, info.location.range.start.character)
        for info in mismatch.related_information or []
    }
    assert related == {
        (editor.uri(TODO), 13, 9),  # Task Order line
        (editor.uri(TODO), 23, 14),  # TODO.md section
        (editor.uri(STATE), 6, 17),  # state.json
    }

    state = one(published[STATE], "status-mismatch", 26)
    assert state.range.end == t.Position(line=26, character=24)  # "planned"
    assert {info.location.range.start.line for info in state.related_information or []} == {15, 55}


async def test_positions_use_the_negotiated_encoding(editor: Editor):
    """Diagnostics and incremental changes on a line with non-ASCII text: columns differ between
    UTF-8 (Neovim) and UTF-16 (VS Code)."""
    encoding = {NEOVIM: "utf-8", VSCODE: "utf-16"}[editor.spec]
    assert editor.encoding == encoding
    await initial_diagnostics(editor)

    path = editor.path(PLAN_12)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[30] == "### Phase 3: Progress reporting [IN PROGRES]"
    prefix = "### Phase 3: Prögress 🚀 reporting "
    lines[30] = prefix + "[IN PROGRES]"
    key = editor.open(PLAN_12, "\n".join(lines))  # an unsaved buffer in the editor

    def at(column: int):
        return lambda got: any(d.code == "unknown-status" and d.range.start == t.Position(line=30, character=column) for d in got)

    column = units(prefix, encoding)
    assert column != units(prefix, "utf-16" if encoding == "utf-8" else "utf-8")
    got = await editor.wait_for_diagnostics(key, at(column), f"unknown-status at 30:{column} ({encoding})")
    marker = one(got, "unknown-status", 30)
    assert marker.range.end.character == column + len("[IN PROGRES]")

    # Insert "✨ " right after the rocket, at a position counted in the negotiated encoding.
    after_rocket = units("### Phase 3: Prögress 🚀", encoding)
    insert = t.Position(line=30, character=after_rocket)
    text = editor.change(key, [t.TextEdit(range=t.Range(start=insert, end=insert), new_text=" ✨")])
    assert text.split("\n")[30] == "### Phase 3: Prögress 🚀 ✨ reporting [IN PROGRES]"
    moved = units("### Phase 3: Prögress 🚀 ✨ reporting ", encoding)
    await editor.wait_for_diagnostics(key, at(moved), f"unknown-status moved to 30:{moved} ({encoding})")

    # Closing the buffer drops its unsaved text: the disk's line is back.
    editor.close(key)
    await editor.wait_for_diagnostics(key, lambda got: shape(got) == EXPECTED_DIAGNOSTICS[PLAN_12], "the disk's diagnostics again")


# -- hover ------------------------------------------------------------------------------------


def table_rows(markdown: str) -> list[list[str]]:
    rows = []
    for line in markdown.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-:| ]+\|$", line):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def place_rows(markdown: str) -> list[list[str]]:
    """The places of a hover as [kind, file, status, verdict]: from its table, or, for a client
    that draws no tables (Neovim), from its list (`- `[X]` ✗ plan header: [file](uri)`)."""
    rows = table_rows(markdown)
    if rows:
        assert rows[0][:3] == ["place", "file", "status"], rows
        return rows[1:]
    listed = []
    for line in markdown.splitlines():
        found = re.match(r"^- (`[^`]*`) (\S+) ([^:]+): (.*)$", line)
        if found:
            status, verdict, kind, location = found.groups()
            listed.append([kind, location, status, verdict])
    return listed


async def test_hover_on_a_status_shows_the_table_of_places(editor: Editor):
    await initial_diagnostics(editor)
    todo = editor.uri(TODO)
    lines = editor.path(TODO).read_text(encoding="utf-8").split("\n")
    assert lines[23] == "- **Status**: [IMPLEMENTING]"

    hover = await editor.client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=todo), position=t.Position(line=23, character=17))
    )
    assert hover is not None
    assert isinstance(hover.contents, t.MarkupContent), hover.contents
    assert hover.contents.kind == t.MarkupKind.Markdown
    markdown = hover.contents.value
    assert "Task 12" in markdown and "Sync engine with retry queue" in markdown
    assert hover.range is not None and hover.range.start.line <= 23 <= hover.range.end.line

    places = place_rows(markdown)
    # Neovim's float shows a table's pipes raw: it gets a list of the same places.
    assert ("|" in markdown) == (editor.spec != NEOVIM), markdown
    by_kind = {row[0]: row for row in places}
    assert set(by_kind) == {"TODO.md section", "Task Order line", "state.json", "plan header"}, places

    def link(relative: str, line: int) -> str:
        return f"({editor.uri(relative)}#L{line})"

    assert link(TODO, 24) in by_kind["TODO.md section"][1]
    assert link(TODO, 14) in by_kind["Task Order line"][1]
    assert link(STATE, 7) in by_kind["state.json"][1]
    assert link(PLAN_12, 4) in by_kind["plan header"][1]
    assert by_kind["TODO.md section"][2] == "`[IMPLEMENTING]`"
    assert by_kind["state.json"][2] == "`implementing`"
    assert by_kind["plan header"][2] == "`[NOT STARTED]`"
    # The plan header is the place that disagrees.
    assert by_kind["plan header"][3] == "✗"
    assert all(by_kind[kind][3] == "✓" for kind in ("TODO.md section", "Task Order line", "state.json"))


async def test_hover_range_on_a_line_with_an_em_dash(editor: Editor):
    """The Task Order line has an em dash (1 UTF-16 unit, 3 UTF-8 bytes) before its title."""
    await initial_diagnostics(editor)
    line = editor.path(TODO).read_text(encoding="utf-8").split("\n")[13]
    assert line == "- **12** [IMPLEMENTING] — Sync engine with retry queue"
    position = t.Position(line=13, character=units(line[: line.index("Sync")], editor.encoding))
    hover = await editor.client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=editor.uri(TODO)), position=position)
    )
    assert hover is not None and "Task 12" in hover.contents.value
    assert hover.range is not None
    assert hover.range.start == t.Position(line=13, character=0)
    assert hover.range.end == t.Position(line=13, character=units(line, editor.encoding))

    # Blank line: nothing to say.
    nothing = await editor.client.text_document_hover_async(
        t.HoverParams(text_document=t.TextDocumentIdentifier(uri=editor.uri(TODO)), position=t.Position(line=8, character=0))
    )
    assert nothing is None


# -- code actions -----------------------------------------------------------------------------


async def test_quick_fix_end_to_end(editor: Editor):
    """codeAction at the state.json disagreement of task 13 -> resolve -> a WorkspaceEdit over
    every place that disagrees (in TODO.md) -> applied on disk -> the diagnostic clears."""
    published = await initial_diagnostics(editor)
    state_uri, todo_uri = editor.uri(STATE), editor.uri(TODO)
    diagnostic = one(published[STATE], "status-mismatch", 26)

    actions = await editor.client.text_document_code_action_async(
        t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=state_uri),
            range=diagnostic.range,
            context=t.CodeActionContext(diagnostics=[diagnostic], only=[t.CodeActionKind.QuickFix]),
        )
    )
    assert actions, "no code actions at the diagnostic"
    assert all(isinstance(it, t.CodeAction) and it.kind == t.CodeActionKind.QuickFix for it in actions), actions
    titles = [it.title for it in actions]
    title = "Make every place of task 13 say `[PLANNED]`"
    assert title in titles and "Make every place of task 13 say `[RESEARCHED]`" in titles, titles
    action = next(it for it in actions if it.title == title)
    assert action.diagnostics and action.diagnostics[0].code == "status-mismatch"
    # Both editors declare resolveSupport for `edit`: the edit comes from codeAction/resolve.
    assert action.edit is None
    assert action.data is not None

    resolved = await editor.client.code_action_resolve_async(action)
    assert resolved.title == title
    edit = resolved.edit
    assert edit is not None
    if editor.spec == VSCODE:
        # documentChanges with the version the edit was planned against (null: not open).
        assert edit.changes is None and edit.document_changes
        for change in edit.document_changes:
            assert isinstance(change, t.TextDocumentEdit)
            assert change.text_document.version is None
            for text_edit in change.edits:
                assert isinstance(text_edit, t.AnnotatedTextEdit)
                assert text_edit.annotation_id in (edit.change_annotations or {})
    else:
        # Neovim 0.11 does not declare documentChanges: plain `changes`.
        assert edit.document_changes is None and edit.changes

    by_uri = edits_by_uri(edit)
    # Every place that disagreed with `planned` is in TODO.md (state.json already says it).
    assert set(by_uri) == {todo_uri}, set(by_uri)
    todo_edits = by_uri[todo_uri]
    replaced = {
        (e.range.start.line, e.range.start.character, e.range.end.character, e.new_text)
        for e in todo_edits
        if e.range.start != e.range.end
    }
    assert replaced == {(15, 9, 21, "[PLANNED]"), (55, 14, 26, "[PLANNED]")}, todo_edits
    # Besides the two places, only the **Planned** field the new status needs, after **Researched**.
    inserted = [e for e in todo_edits if e.range.start == e.range.end]
    assert len(inserted) == 1 and inserted[0].range.start == t.Position(line=58, character=28), todo_edits
    assert re.fullmatch(r"\n- \*\*Planned\*\*: \d{4}-\d\d-\d\d", inserted[0].new_text), inserted[0]
    related = {(i.location.uri, i.location.range.start.line) for i in diagnostic.related_information or []}
    assert related == {(todo_uri, 15), (todo_uri, 55)}

    # Apply it like an editor that saves the files, and tell the server about the disk change
    # (VS Code through the watcher it registered; for Neovim the server watches the disk itself).
    for key, text_edits in by_uri.items():
        path = path_of(key)
        path.write_text(apply_text_edits(path.read_text(encoding="utf-8"), text_edits, editor.encoding), encoding="utf-8")
    todo_lines = editor.path(TODO).read_text(encoding="utf-8").split("\n")
    assert todo_lines[15] == "- **13** [PLANNED] — Background upload throttling"
    assert todo_lines[55] == "- **Status**: [PLANNED]"
    assert todo_lines[59].startswith("- **Planned**: ")
    if any(method == t.CLIENT_REGISTER_CAPABILITY for method, _ in editor.server_requests):
        editor.client.workspace_did_change_watched_files(
            t.DidChangeWatchedFilesParams(
                changes=[t.FileEvent(uri=key, type=t.FileChangeType.Changed) for key in by_uri]
            )
        )

    await editor.wait_for_diagnostics(
        state_uri, lambda got: not any(d.code == "status-mismatch" for d in got), "the status-mismatch to clear"
    )
    # The other problems of TODO.md are still reported, below the new line one line further down.
    await editor.wait_for_diagnostics(
        todo_uri, lambda got: shape(got) == shifted(EXPECTED_DIAGNOSTICS[TODO], after=58, by=1), "TODO.md's other diagnostics"
    )
    again = await editor.client.text_document_code_action_async(
        t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=state_uri),
            range=diagnostic.range,
            context=t.CodeActionContext(diagnostics=[], only=[t.CodeActionKind.QuickFix]),
        )
    )
    assert not [it for it in again or [] if it.title.startswith("Make every place of task 13")]


async def quick_fix(editor: Editor, key: str, diagnostic: t.Diagnostic, title: str) -> t.CodeAction:
    """The quick fix titled `title` the server offers for `diagnostic`."""
    actions = await editor.client.text_document_code_action_async(
        t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=key),
            range=diagnostic.range,
            context=t.CodeActionContext(diagnostics=[diagnostic], only=[t.CodeActionKind.QuickFix]),
        )
    )
    return next(it for it in actions or [] if isinstance(it, t.CodeAction) and it.title == title)


async def test_resolving_a_stale_code_action_is_refused(neovim: Editor):
    """An action offered for version 0 of an open document, resolved after version 1."""
    await initial_diagnostics(neovim)
    key = neovim.open(PLAN_12)
    diagnostics = await neovim.wait_for_diagnostics(
        key, lambda got: shape(got) == EXPECTED_DIAGNOSTICS[PLAN_12], "the open plan's diagnostics"
    )
    unknown = one(diagnostics, "unknown-status", 30)
    action = await quick_fix(neovim, key, unknown, "Replace with `[IN PROGRESS]`")

    end_of_risks = t.Position(line=39, character=0)
    neovim.change(key, [t.TextEdit(range=t.Range(start=end_of_risks, end=end_of_risks), new_text="More risk. ")])
    with pytest.raises(JsonRpcException) as refused:
        await neovim.client.code_action_resolve_async(action)
    assert refused.value.code == CONTENT_MODIFIED, refused.value

    # Asking again gives an action for the new version, which resolves.
    action = await quick_fix(neovim, key, unknown, "Replace with `[IN PROGRESS]`")
    resolved = await neovim.client.code_action_resolve_async(action)
    assert resolved.edit is not None
    assert edits_by_uri(resolved.edit) == {
        key: [t.TextEdit(range=unknown.range, new_text="[IN PROGRESS]")],
    }


# -- workspace/executeCommand -> workspace/applyEdit ------------------------------------------


async def test_set_status_command_applies_its_edit_through_the_editor(editor: Editor):
    """taskmark.setStatus sends workspace/applyEdit for the open TODO.md; the editor applies it to
    its buffer and answers applied: true. The files it does not have open (state.json, the plan)
    are written by the server itself, never opened as unsaved buffers."""
    await initial_diagnostics(editor)
    todo = editor.open(TODO)
    on_disk = {relative: editor.path(relative).read_text(encoding="utf-8") for relative in (TODO, STATE, PLAN_14)}

    result = await editor.client.workspace_execute_command_async(
        t.ExecuteCommandParams(command="taskmark.setStatus", arguments=[{"task": "14", "status": "implementing"}])
    )

    assert len(editor.applied_edits) == 1, editor.applied_edits
    params = editor.applied_edits[0]
    assert params.label == "Set status of 14 to [IMPLEMENTING]"
    assert set(edits_by_uri(params.edit)) == {todo}
    if editor.spec == VSCODE:
        versions = {change.text_document.uri: change.text_document.version for change in params.edit.document_changes}
        assert versions == {todo: 0}

    assert isinstance(result, dict), result
    assert result["applied"] is True
    assert result["label"] == "Set status of 14 to [IMPLEMENTING]"
    assert set(result["files"]) == {editor.uri(TODO), editor.uri(STATE), editor.uri(PLAN_14)}
    assert sorted(result["written"]) == sorted([STATE, PLAN_14])
    assert set(editor.documents) == {todo}, "no buffer was opened for a closed file"

    # The buffers say so ...
    todo_lines = editor.text(todo).split("\n")
    assert todo_lines[14] == "- **14** [IMPLEMENTING] — Conflict resolution UI"
    assert todo_lines[40] == "- **Status**: [IMPLEMENTING]"
    assert any(re.fullmatch(r"- \*\*Started\*\*: \d{4}-\d\d-\d\d", line) for line in todo_lines[38:50]), todo_lines[38:50]
    # ... TODO.md on disk does not (the editor has not saved it); the closed files do.
    assert editor.path(TODO).read_text(encoding="utf-8") == on_disk[TODO]
    state = json.loads(editor.path(STATE).read_text(encoding="utf-8"))
    project = next(it for it in state["active_projects"] if it["project_number"] == 14)
    assert project["status"] == "implementing" and "started" in project
    assert editor.path(PLAN_14).read_text(encoding="utf-8").split("\n")[3] == "- **Status**: [IN PROGRESS]"

    # The server reads the buffers: task 14 is implementing in every place.
    info = await editor.client.workspace_execute_command_async(
        t.ExecuteCommandParams(command="taskmark.taskInfo", arguments=[{"task": "14"}])
    )
    assert info["status"] == "[IMPLEMENTING]", info
    assert {place["kind"]: place["value"] for place in info["places"]} == {
        "TODO.md section": "[IMPLEMENTING]",
        "Task Order line": "[IMPLEMENTING]",
        "state.json": "implementing",
        "plan header": "[IN PROGRESS]",
    }
    assert all(place["agrees"] for place in info["places"]), info["places"]
    # The edited files: TODO.md's problems are one line further down below the new **Started**
    # line; task 14 works alongside its dependency 12, which is under way too, so nothing new
    # (a change that left new drift would have been refused).
    expected_todo = shifted(EXPECTED_DIAGNOSTICS[TODO], after=43, by=1)
    await editor.wait_for_diagnostics(todo, lambda got: shape(got) == expected_todo, "TODO.md's new diagnostics")
    # state.json: task 13's disagreement is one line further down, below the new "started".
    expected_state = shifted(EXPECTED_DIAGNOSTICS[STATE], after=20, by=1)
    await editor.wait_for_diagnostics(
        editor.uri(STATE), lambda got: shape(got) == expected_state, "state.json's new diagnostics"
    )
    # Task 14's plan agrees with the rest (it may have had a passing disagreement while the
    # edit's files were changed one after the other; that must have been cleared).
    await editor.wait_for_diagnostics(
        editor.uri(PLAN_14), lambda got: got == [], "no diagnostics on task 14's plan", unpublished_is_empty=True
    )


async def test_set_status_refuses_a_transition_the_vocabulary_does_not_allow(neovim: Editor):
    await initial_diagnostics(neovim)
    with pytest.raises(JsonRpcException) as refused:
        await neovim.client.workspace_execute_command_async(
            t.ExecuteCommandParams(command="taskmark.setStatus", arguments=[{"task": "14", "status": "completed"}])
        )
    assert refused.value.code == INVALID_PARAMS
    assert "not an allowed transition" in str(refused.value)
    assert neovim.applied_edits == []


async def test_set_status_reports_an_edit_the_editor_did_not_apply(neovim: Editor):
    await initial_diagnostics(neovim)
    todo = neovim.open(TODO)
    on_disk = {relative: neovim.path(relative).read_text(encoding="utf-8") for relative in (TODO, STATE, PLAN_14)}
    neovim.decline_edits = "the user said no"

    with pytest.raises(JsonRpcException) as refused:
        await neovim.client.workspace_execute_command_async(
            t.ExecuteCommandParams(command="taskmark.setStatus", arguments=[{"task": "14", "status": "implementing"}])
        )
    assert "the user said no" in str(refused.value)
    assert len(neovim.applied_edits) == 1
    assert set(neovim.documents) == {todo}
    assert "- **14** [PLANNED]" in neovim.text(todo)
    # The closed files were prepared but never committed: every file is as it was.
    for relative, text in on_disk.items():
        assert neovim.path(relative).read_text(encoding="utf-8") == text
    assert not [it.name for it in neovim.path("specs").iterdir() if ".taskmark-" in it.name]
