"""Every tool an answer tells the agent to call is one it can call now.

Each access mode's session runs the workflow and discovery tools over the seed's objects
(a sync with failed rows, one that never ran, a connection still waiting for OAuth, a
missing id), and every piece of advice in the results (`next`, `next_steps`, `health`,
error texts) is read: each tool name in it must be listed in that session, or be reached
through a listed runner (`call_read_operation(operation='…')`), or be marked as not
allowed in this mode. No advice names a REST path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from tests.seed_setup import create_salesforce_connection, create_sync, result_text, seed_server, setup_seed
from tests.support import TOOL_NAME_SHAPE, every_tool_name

ADVICE_KEYS = frozenset({"next", "next_steps", "health", "advice", "note", "message"})
REST_PATH = re.compile(r"(?:\b(?:GET|POST|PUT|PATCH|DELETE) /|/api/)")
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def advice_in(value: Any, key: str | None = None) -> Iterator[str]:
    """Every advice string inside a result, however deep."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from advice_in(inner, name)
    elif isinstance(value, list):
        for inner in value:
            yield from advice_in(inner, key)
    elif isinstance(value, str) and key in ADVICE_KEYS:
        yield value


def untrue_mentions(text: str, listed: set[str]) -> list[str]:
    """Tool names in `text` that this session can neither call nor reach, nor is told it may not."""
    wrong: list[str] = []
    for match in TOOL_NAME_SHAPE.finditer(text):
        name = match.group(0)
        if name not in every_tool_name() or name in listed:
            continue
        after = text[match.end() : match.end() + 120]
        before = text[max(0, match.start() - 40) : match.start()]
        through_runner = re.search(r"call_(?:read|write)_operation\(operation='$", before) and (
            "call_read_operation" in listed or "call_write_operation" in listed
        )
        refused = after.lstrip(")'\"").startswith(" (not allowed in") or "(not allowed in" in after.split(".")[0]
        if not (through_runner or refused):
            wrong.append(name)
    return wrong


async def answers(client: Client, seed: Any, waiting_connection: str, never_run: str) -> list[tuple[str, str]]:
    """(tool, advice text) for every advice the tools give on the seed's objects."""
    calls: list[tuple[str, dict[str, Any]]] = [
        ("whoami", {}),
        ("find_resources", {"query": "high"}),
        ("diagnose_sync", {"sync_id": seed.sync_id}),
        ("diagnose_sync", {"sync_id": never_run}),
        ("diagnose_sync", {"sync_id": MISSING}),
        ("describe_connection", {"connection_id": waiting_connection}),
        ("describe_connection", {"connection_id": seed.gcs_connection_id}),
        ("wait_schema_ready", {"connection_ids": [waiting_connection], "timeout_s": 1}),
        ("wait_for_execution", {"sync_id": seed.sync_id, "execution_id": seed.execution_id, "timeout_s": 1}),
        ("model_sync_get", {"sync_id": MISSING}),
        ("search_operations", {"query": "delete a sync"}),
    ]
    found: list[tuple[str, str]] = []
    for tool, arguments in calls:
        result = await client.call_tool(tool, arguments)
        if result.structured_content is not None:
            found += [(tool, text) for text in advice_in(result.structured_content)]
        if result.is_error:
            found.append((tool, result_text(result)))
    return found


def named_wrongly(advice: list[tuple[str, str]], listed: set[str]) -> set[tuple[str, str]]:
    # A refusal names the tool that was refused: that is the one mention of an unlisted tool allowed.
    return {(tool, name) for tool, text in advice for name in untrue_mentions(text, listed | {tool})}


@pytest.mark.parametrize("mode", ["read-only", "read-write", "full-access"])
async def test_advice_names_only_tools_this_session_can_use(sandbox: RunningSandbox, mode: str) -> None:
    key = f"hints-{mode}"
    async with Client(seed_server(sandbox.base_url, key)) as setup:
        seed = await setup_seed(setup, run=True)
        waiting = await create_salesforce_connection(setup, name="Waiting for sign-in", authorized=False)
        never_run = await create_sync(setup, seed.model_id, seed.salesforce_connection_id, name="Never run")
    async with Client(seed_server(sandbox.base_url, key, access_mode=mode)) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        advice = await answers(client, seed, waiting, never_run)

    assert len(advice) >= 10, advice  # the calls above do give advice to check
    untrue = named_wrongly(advice, listed)
    assert not untrue, f"{mode}: advice names tools this session cannot use: {sorted(untrue)}"
    assert not [text for _, text in advice if REST_PATH.search(text)]


def test_the_checker_catches_an_unlisted_tool() -> None:
    listed = {"diagnose_sync", "call_read_operation"}
    assert untrue_mentions("fix it with model_sync_update.", listed) == ["model_sync_update"]
    assert untrue_mentions("call_read_operation(operation='model_sync_get')", listed) == []
    assert untrue_mentions("model_sync_update (not allowed in read-only mode or by the deny list)", listed) == []
