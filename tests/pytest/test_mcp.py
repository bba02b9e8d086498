"""`taskmark mcp` driven by the official MCP Python SDK (`mcp` on PyPI), an independent client.

Each test gets its own copy of `tests/fixtures/example` and its own `taskmark mcp --no-daemon`
(a language server of its own, on disk alone); the daemon route, with an editor following the
agent's change live, is tested in tests/daemon.rs. With TASKMARK_CORPUS set (as .ci/run sets
it), the tools also run on a copy of a real tracker from the corpus.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import Implementation

from conftest import FIXTURE, taskmark_bin

TOOLS = {
    "list_tasks",
    "show_task",
    "set_status",
    "check",
    "fix",
    "new_task",
    "edit_task",
    "archive_tasks",
    "claim_task",
    "release_task",
    "next_tasks",
}


@asynccontextmanager
async def agent(root: Path, state: Path, daemon: bool = False, name: str = "pytest") -> AsyncIterator[ClientSession]:
    """An MCP client session on `taskmark mcp` in `root`: on disk alone, or with `daemon`
    through the daemon of the runtime folder under `state` (shared by the agents given the
    same `state`; it exits a second after its last client)."""
    params = StdioServerParameters(
        command=taskmark_bin(),
        args=["mcp"] if daemon else ["mcp", "--no-daemon"],
        cwd=str(root),
        env={
            "TASKMARK_STATE_DIR": str(state),
            "TASKMARK_RUNTIME_DIR": str(state / "runtime"),
            "TASKMARK_DAEMON_IDLE_MS": "1000",
        },
    )
    async with stdio_client(params) as streams:
        read, write = streams
        async with ClientSession(read, write, client_info=Implementation(name=name, version="1")) as session:
            await session.initialize()
            yield session


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURE, root)
    return root


def snapshot(root: Path) -> dict[str, str]:
    """Every file of the tree with a hash of its bytes."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def findings(report: dict[str, Any]) -> dict[tuple[str, str, str | None], int]:
    """How many diagnostics of each rule, file and task: messages change with their context."""
    counts: dict[tuple[str, str, str | None], int] = {}
    for d in report["diagnostics"]:
        key = (d["code"], d["file"], d.get("task"))
        counts[key] = counts.get(key, 0) + 1
    return counts


async def call(session: ClientSession, tool: str, arguments: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    result = await session.call_tool(tool, arguments)
    content = result.structured_content
    if content is None:
        # A tool error the SDK raised before our code ran (bad arguments): its text.
        text = "".join(getattr(block, "text", "") for block in result.content)
        content = {"text": text}
    return bool(result.is_error), content


async def test_tools_their_schemas_and_the_instructions(workspace: Path, tmp_path: Path):
    async with agent(workspace, tmp_path / "state") as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert set(tools) == TOOLS
        for tool in tools.values():
            assert tool.input_schema["type"] == "object", tool.name
            assert tool.output_schema is not None and tool.output_schema["type"] == "object", tool.name
            assert tool.description
        assert tools["set_status"].input_schema["required"] == ["task", "status"]
        assert "expect_from" in tools["set_status"].input_schema["properties"]
        assert tools["list_tasks"].annotations.read_only_hint is True


async def test_reading_tools_describe_the_example(workspace: Path, tmp_path: Path):
    async with agent(workspace, tmp_path / "state") as session:
        failed, listed = await call(session, "list_tasks", {})
        assert not failed
        ids = [task["id"] for task in listed["tasks"]]
        assert "12" in ids and "14" in ids, ids
        assert listed["count"] == len(ids)
        failed, ready = await call(session, "list_tasks", {"ready": True})
        assert not failed and all(task["kind"] == "todo" for task in ready["tasks"]), ready
        failed, found = await call(session, "list_tasks", {"query": "CONFLICT"})
        assert [task["id"] for task in found["tasks"]] == ["14"], found

        failed, shown = await call(session, "show_task", {"task": "12"})
        assert not failed
        assert shown["id"] == "12" and shown["task"] == "specs:12", shown
        assert shown["title"].startswith("Sync engine"), shown
        assert any(place["file"] == "specs/state.json" for place in shown["places"]), shown
        assert shown["next"], "the statuses 12 may move to"

        failed, checked = await call(session, "check", {"limit": 1})
        assert not failed
        assert checked["summary"]["total"] >= 1 and checked["summary"]["shown"] == 1
        assert len(checked["diagnostics"]) == 1
        first = checked["diagnostics"][0]
        assert {"file", "range", "severity", "code", "message", "fixes"} <= set(first)
        failed, only = await call(session, "check", {"codes": ["status-mismatch"], "paths": ["specs/state.json"]})
        assert not failed
        assert only["diagnostics"] and all(
            d["code"] == "status-mismatch" and d["file"] == "specs/state.json" for d in only["diagnostics"]
        ), only


async def test_set_status_writes_every_place_and_leaves_nothing_new(workspace: Path, tmp_path: Path):
    async with agent(workspace, tmp_path / "state") as session:
        _, before = await call(session, "check", {"limit": 1000})
        failed, result = await call(session, "set_status", {"task": "14", "status": "implementing"})
        assert not failed, result
        assert result["applied"] is True
        written = set(result["written"])
        assert {"specs/TODO.md", "specs/state.json"} <= written, result
        assert "- **14** [IMPLEMENTING]" in (workspace / "specs/TODO.md").read_text()
        state = json.loads((workspace / "specs/state.json").read_text())
        entry = next(p for p in state["active_projects"] if p["project_number"] == 14)
        assert entry["status"] == "implementing"
        _, after = await call(session, "check", {"limit": 1000})

        new = [key for key, count in findings(after).items() if count > findings(before).get(key, 0)]
        assert not new, new


async def test_refusals_carry_the_editors_data_and_write_nothing(workspace: Path, tmp_path: Path):
    async with agent(workspace, tmp_path / "state") as session:
        files = snapshot(workspace)
        failed, refused = await call(session, "set_status", {"task": "14", "status": "researching"})
        assert failed
        assert refused["data"]["kind"] == "invalidTransition", refused
        assert "implementing" in refused["data"]["allowed"]
        assert "not an allowed transition" in refused["error"]

        failed, unknown = await call(session, "set_status", {"task": "14", "status": "implemnting"})
        assert failed and unknown["data"]["kind"] == "unknownStatus", unknown
        assert "implementing" in json.dumps(unknown["data"]), "the closest status is suggested"

        # Compare-and-swap: 14 is planned, not researched.
        failed, conflict = await call(
            session, "set_status", {"task": "14", "status": "implementing", "expect_from": "researched"}
        )
        assert failed and conflict["data"]["kind"] == "conflict", conflict
        assert conflict["data"]["expected"] == "researched" and conflict["data"]["current"] == "[PLANNED]", conflict

        failed, blocked = await call(session, "set_status", {"task": "14", "status": "blocked"})
        assert failed and blocked["data"]["kind"] == "needsReason", blocked
        assert snapshot(workspace) == files, "a refusal writes nothing"

        # With the current status named, the swap happens.
        failed, swapped = await call(
            session, "set_status", {"task": "14", "status": "implementing", "expect_from": "planned"}
        )
        assert not failed and swapped["applied"] is True, swapped


async def test_new_edit_and_archive_through_the_tools(workspace: Path, tmp_path: Path):
    async with agent(workspace, tmp_path / "state") as session:
        failed, dry = await call(session, "new_task", {"title": "Webhooks", "dry_run": True})
        assert not failed and "Webhooks" in dry["diff"], dry
        assert "Webhooks" not in (workspace / "specs/TODO.md").read_text(), "a dry run writes nothing"
        failed, created = await call(session, "new_task", {"title": "Webhooks", "priority": "high"})
        assert not failed, created
        new_id = created["id"]
        assert f"### {new_id}. Webhooks" in (workspace / "specs/TODO.md").read_text()
        state = json.loads((workspace / "specs/state.json").read_text())
        assert any(p["project_number"] == int(new_id) for p in state["active_projects"]), state
        assert state["next_project_number"] == int(new_id) + 1

        failed, edited = await call(session, "edit_task", {"task": new_id, "title": "Outgoing webhooks"})
        assert not failed, edited
        assert f"### {new_id}. Outgoing webhooks" in (workspace / "specs/TODO.md").read_text()

        failed, refused = await call(session, "archive_tasks", {"tasks": [new_id]})
        assert failed and "finished" in refused["error"], refused


async def test_bad_input_is_answered_and_changes_nothing(workspace: Path, tmp_path: Path):
    async with agent(workspace, tmp_path / "state") as session:
        files = snapshot(workspace)
        outside = tmp_path / "outside.md"
        outside.write_text("# not the workspace\n")
        with pytest.raises(Exception):
            await session.call_tool("no_such_tool", {})
        failed, wrong_type = await call(session, "set_status", {"task": "14", "status": 3})
        assert failed and "invalid type" in json.dumps(wrong_type), wrong_type
        failed, missing = await call(session, "show_task", {})
        assert failed, missing
        for task in ["../../outside", "/etc/passwd", "specs/../../x:1", "14\nInjected"]:
            failed, refused = await call(session, "set_status", {"task": task, "status": "completed", "force": True})
            assert failed, (task, refused)
        failed, huge = await call(session, "check", {"limit": 10**12})
        assert not failed and huge["summary"]["shown"] <= 1000, huge["summary"]
        failed, negative = await call(session, "check", {"limit": -1})
        assert failed, negative
        failed, unknown_rule = await call(session, "check", {"codes": ["no-such-rule"]})
        assert failed and "no rule" in json.dumps(unknown_rule), unknown_rule
        # The connection still works after all of that.
        failed, listed = await call(session, "list_tasks", {"limit": 1})
        assert not failed and listed["shown"] == 1
        assert snapshot(workspace) == files
        assert outside.read_text() == "# not the workspace\n"


async def test_values_that_would_forge_tracker_lines_are_refused(workspace: Path, tmp_path: Path):
    """A reason, title or priority with a line break would write a second `**Status**` line or a
    `**Completed**` stamp no transition made: refused, nothing written."""
    async with agent(workspace, tmp_path / "state") as session:
        files = snapshot(workspace)
        for reason in ["waiting\n- **Status**: [COMPLETED]", "waiting\r- **Completed**: 2026-01-01", "a\u2028b"]:
            failed, refused = await call(
                session, "set_status", {"task": "14", "status": "blocked", "reason": reason, "force": True}
            )
            assert failed and "reason" in refused["error"], refused
        failed, refused = await call(session, "new_task", {"title": "Fine", "priority": "high\n- **Status**: [COMPLETED]"})
        assert failed and "priority" in refused["error"], refused
        failed, refused = await call(session, "edit_task", {"task": "14", "description": "x\n## 99. Forged"})
        assert failed and "heading" in refused["error"], refused
        assert snapshot(workspace) == files, "a refusal writes nothing"
        failed, blocked = await call(
            session, "set_status", {"task": "14", "status": "blocked", "reason": "waits on `**Status**: [x]`"}
        )
        assert not failed, blocked
        todo = (workspace / "specs/TODO.md").read_text()
        assert todo.count("**Status**: [BLOCKED]") == 1, todo


async def test_claims_two_agents_racing_through_one_daemon(workspace: Path, tmp_path: Path):
    state = tmp_path / "state"
    async with agent(workspace, state, daemon=True, name="agent-a") as a:
        async with agent(workspace, state, daemon=True, name="agent-b") as b:
            # Both claim task 14 at once: the daemon grants exactly one.
            (a_failed, a_claim), (b_failed, b_claim) = await asyncio.gather(
                call(a, "claim_task", {"task": "14", "minutes": 5}),
                call(b, "claim_task", {"task": "14", "minutes": 5}),
            )
            assert a_failed != b_failed, (a_claim, b_claim)
            winner, loser = (a, b) if not a_failed else (b, a)
            granted, refused = (a_claim, b_claim) if not a_failed else (b_claim, a_claim)
            assert granted["task"] == "specs:14" and granted["renewed"] is False, granted
            assert refused["data"]["kind"] == "claimed", refused
            assert refused["data"]["agent"] == granted["agent"], "the refusal names the holder"
            assert refused["data"]["until"] == granted["until"], refused

            # Every agent sees the claim; the loser may neither change the status nor release it.
            _, shown = await call(loser, "show_task", {"task": "14"})
            assert shown["claim"]["agent"] == granted["agent"], shown
            _, listed = await call(loser, "list_tasks", {"query": "14"})
            [listed_14] = [task for task in listed["tasks"] if task["id"] == "14"]
            assert listed_14["claim"]["agent"] == granted["agent"], listed
            files = snapshot(workspace)
            failed, blocked = await call(loser, "set_status", {"task": "14", "status": "implementing"})
            assert failed and blocked["data"]["kind"] == "claimed", blocked
            assert snapshot(workspace) == files, "a refused change writes nothing"
            failed, not_theirs = await call(loser, "release_task", {"task": "14"})
            assert failed and not_theirs["data"]["kind"] == "claimed", not_theirs

            # The holder renews, changes the status, and releases; then the other may claim.
            failed, renewed = await call(winner, "claim_task", {"task": "14", "minutes": 10})
            assert not failed and renewed["renewed"] is True and renewed["since"] == granted["since"], renewed
            failed, changed = await call(winner, "set_status", {"task": "14", "status": "implementing"})
            assert not failed and changed["applied"] is True, changed
            failed, released = await call(winner, "release_task", {"task": "14"})
            assert not failed and released["released"] is True, released
            failed, again = await call(winner, "release_task", {"task": "14"})
            assert not failed and again["released"] is False, "releasing nothing is no error"
            failed, claimed = await call(loser, "claim_task", {"task": "14"})
            assert not failed and claimed["agent"] != granted["agent"], claimed

            # force overrules a claim (the holder's name is in the refusal to decide with).
            failed, forced = await call(
                winner, "set_status", {"task": "14", "status": "completed", "force": True}
            )
            assert not failed and forced["applied"] is True, forced


async def test_resources_list_and_read_the_trackers_and_each_task(workspace: Path, tmp_path: Path):
    async with agent(workspace, tmp_path / "state") as session:
        listed = {str(resource.uri) for resource in (await session.list_resources()).resources}
        assert listed == {"taskmark://trackers", "taskmark://tasks"}, listed
        templates = (await session.list_resource_templates()).resource_templates
        assert [template.uri_template for template in templates] == ["taskmark://task/{task}"]

        def text(result: Any) -> Any:
            [contents] = result.contents
            assert contents.mime_type == "application/json"
            return json.loads(contents.text)

        trackers = text(await session.read_resource("taskmark://trackers"))
        assert any(tracker.get("family") == "spec-folder" for tracker in trackers), trackers
        tasks = text(await session.read_resource("taskmark://tasks"))
        assert tasks["count"] == len(tasks["tasks"]) and tasks["count"] > 0, tasks
        first = next(task for task in tasks["tasks"] if task["task"] == "specs:12")
        task = text(await session.read_resource(first["resource"]))
        assert task["id"] == "12" and task["places"], task
        assert text(await session.read_resource("taskmark://task/specs%3A14"))["id"] == "14"
        for missing in ["taskmark://task/9999", "taskmark://task/..%2F..%2Fetc%2Fpasswd", "taskmark://nothing"]:
            with pytest.raises(Exception):
                await session.read_resource(missing)


def corpus_tracker() -> Path | None:
    corpus = os.environ.get("TASKMARK_CORPUS")
    if not corpus:
        return None
    candidates = sorted(Path(corpus).glob("*/specs/TODO.md"))
    return candidates[0].parent.parent if candidates else None


async def test_the_tools_on_a_corpus_tracker(tmp_path: Path):
    source = corpus_tracker()
    if source is None:
        pytest.skip("TASKMARK_CORPUS is not set: the corpus part of the MCP suite was not run")
    root = tmp_path / "corpus"
    # The corpus is read-only; the copy is the test's to change.
    shutil.copytree(source, root, copy_function=shutil.copyfile)
    for folder in [root, *root.rglob("*")]:
        if folder.is_dir():
            folder.chmod(0o755)
    async with agent(root, tmp_path / "state") as session:
        failed, listed = await call(session, "list_tasks", {"kind": "todo", "limit": 5})
        assert not failed and listed["count"] > 0, listed
        failed, shown = await call(session, "show_task", {"task": listed["tasks"][0]["task"]})
        assert not failed and shown["places"], shown
        _, before = await call(session, "check", {"limit": 1000})
        failed, created = await call(session, "new_task", {"title": "Agent task", "tracker": "specs"})
        assert not failed, created
        _, after = await call(session, "check", {"limit": 1000})

        new = [key for key, count in findings(after).items() if count > findings(before).get(key, 0)]
        assert not new, f"new_task left new diagnostics: {new}"
