"""Ids are path segments, never path syntax: a `..` id must not climb to another route.

Every operation tool with a path id is called with every traversal form in each of its path
ids. The sandbox's own request log then shows which route each request reached: always the
tool's own operation. The tenant's objects are compared before and after: nothing changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.tools.operations.tools import OperationTool, operation_tools
from polytomic_mcp.tools.operations.wire import path_segment
from tests.arguments import minimal_arguments, path_arguments
from tests.seed_setup import seed_server, setup_seed

KEY = "path-safety-tenant"
TRAVERSALS = (".", "..", "...", "/", "../..", "a/../b", "%", "%2e%2e", "?limit=1", "#top", "\x00", "\x1f", "é ü")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    config = SandboxConfig(clock="step", db_path=str(tmp_path / "sandbox.db"))
    with start_sandbox(config) as running:
        yield running


def tenant_documents(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT kind, id, body FROM docs ORDER BY kind, id").fetchall()
    return [(str(k), str(i), str(b)) for k, i, b in rows]


def request_log(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    response = httpx.get(f"{sandbox.base_url}/sandbox/requests", headers={"Authorization": f"Bearer {KEY}"})
    response.raise_for_status()
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def free_path_ids(tool: OperationTool) -> list[str]:
    """Path ids that take any string (an enum-valued segment such as a log type cannot carry one)."""
    return [name for name in path_arguments(tool) if "enum" not in tool.input_schema["properties"][name]]


def tools_with_path_ids() -> list[OperationTool]:
    return [tool for tool in operation_tools() if path_arguments(tool)]


def test_dot_segments_are_encoded() -> None:
    assert path_segment("..") == "%2E%2E"
    assert path_segment(".") == "%2E"
    assert path_segment("a..b") == "a..b"
    assert path_segment("a/b") == "a%2Fb"
    assert path_segment("%2e") == "%252e"


async def test_every_traversal_form_reaches_its_own_route_and_changes_nothing(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    db = tmp_path / "sandbox.db"
    # Routing is the subject here, not confirmation: destructive calls go straight through (no preview reads).
    async with Client(seed_server(sandbox.base_url, KEY, confirm_destructive="never")) as client:
        seed = await setup_seed(client, run=False)
        before = tenant_documents(db)
        logged_before = len(request_log(sandbox))
        sent: list[tuple[str, str]] = []
        refused_forms: list[tuple[str, str]] = []
        for tool in tools_with_path_ids():
            for fuzzed in free_path_ids(tool):
                for form in TRAVERSALS:
                    arguments = minimal_arguments(tool)
                    for name in free_path_ids(tool):
                        arguments[name] = form if name == fuzzed else seed.sync_id
                    result = await client.call_tool(tool.name, arguments)
                    if "nothing was sent" in text_of(result):
                        refused_forms.append((tool.name, form))
                    else:
                        sent.append((tool.operation.name, tool.name))
        # Empty and blank ids are refused before anything is sent.
        for tool in tools_with_path_ids():
            arguments = minimal_arguments(tool)
            arguments[path_arguments(tool)[0]] = " " if len(tool.name) % 2 else ""
            refused = await client.call_tool(tool.name, arguments)
            assert refused.is_error
            assert "must not be empty" in refused.content[0].text  # type: ignore[union-attr]
    log = request_log(sandbox)[logged_before:]
    assert len(log) == len(sent), "every traversal call was sent once, and no empty id was sent"
    wrong = [
        (entry["method"], entry["path"], entry["operation"], expected)
        for entry, (expected, _) in zip(log, sent, strict=True)
        if entry["operation"] != expected
    ]
    assert wrong == [], f"{len(wrong)} requests reached another route, e.g. {wrong[:5]}"
    after = tenant_documents(db)
    changed = sorted(set(after) ^ set(before))
    assert changed == [], f"traversal calls changed the tenant's objects: {changed[:6]}"
    assert len(sent) > 2_000
    assert refused_forms == []
    operations = len({operation for operation, _ in sent})
    print(f"\npath safety: {len(sent)} traversal requests over {operations} operations, 0 off their route")
