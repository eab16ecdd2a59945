"""search_operations, describe_operation, call_read_operation and call_write_operation: the
whole API from four tools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from polytomic_mcp.tools.operations.tools import operation_tools


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def server(sandbox: RunningSandbox, key: str, **settings: Any) -> Any:
    return build_server(Settings(api_key=key, sandbox=True, **settings), sandbox.base_url)


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("create a connection", "connections_create"),
        ("run a sync now", "model_sync_start"),
        ("webhook delivery attempts", "webhooks_list_deliveries"),
        ("who am i", "identity_get_me"),
        ("publish saved query draft harbor", "harbors_publish_saved_query_draft"),
        ("bulk sync schedules", "bulk_sync_schedules_create"),
    ],
)
async def test_search_ranks_the_right_operation_first(sandbox: RunningSandbox, query: str, expected_first: str) -> None:
    async with Client(server(sandbox, "search")) as client:
        result = await client.call_tool("search_operations", {"query": query, "limit": 5})
    rows = result.structured_content["results"]  # type: ignore[index]
    assert rows[0]["tool"] == expected_first, [r["tool"] for r in rows]
    assert len(rows) <= 5 and set(rows[0]) >= {"tool", "does", "call"}


async def test_search_marks_unlisted_and_forbidden_operations(sandbox: RunningSandbox) -> None:
    async with Client(server(sandbox, "search-marks", access_mode="read-only")) as client:
        harbors = await client.call_tool("search_operations", {"query": "delete harbor", "toolset": "harbors"})
        bad = await client.call_tool("search_operations", {"query": "x", "toolset": "nope"})
    rows = harbors.structured_content["results"]  # type: ignore[index]
    assert rows and all(r["tool"].startswith(("harbors_", "activity_", "record_view")) for r in rows)
    delete = next(r for r in rows if r["tool"] == "harbors_delete")
    assert delete["listed"] is False and delete["allowed_now"] is False
    assert bad.is_error and "toolset" in text_of(bad)


async def test_describe_shows_inputs_response_paging_safety_and_an_example(sandbox: RunningSandbox) -> None:
    async with Client(server(sandbox, "describe", access_mode="read-only")) as client:
        described = await client.call_tool("describe_operation", {"operation": "model_sync_executions_list"})
        create = await client.call_tool("describe_operation", {"operation": "model_sync_create"})
        unknown = await client.call_tool("describe_operation", {"operation": "make_sync"})
    info = described.structured_content
    assert info is not None
    assert info["method"] == "GET" and info["path"] == "/api/syncs/{sync_id}/executions"
    assert info["input_schema"]["required"] == ["sync_id"]
    assert "page_token" in info["input_schema"]["properties"] and "pagination" in info
    assert info["safety"]["read_only"] is True and info["allowed_now"] is True
    assert isinstance(info["response"]["data"], list) and "status" in info["response"]["data"][0]
    assert info["example"]["arguments"] == {"operation": "model_sync_executions_list", "arguments": {"sync_id": "..."}}
    create_info = create.structured_content
    assert create_info is not None and create_info["allowed_now"] is False
    assert create_info["safety"] == {"read_only": False, "destructive": False, "idempotent": False}
    assert unknown.is_error and "No operation named 'make_sync'" in text_of(unknown)
    assert "model_sync_create" in text_of(unknown)  # closest match offered


async def test_call_operation_matches_the_typed_tool(sandbox: RunningSandbox) -> None:
    async with Client(server(sandbox, "call-same")) as client:
        typed = await client.call_tool("connections_get_types", {})
        generic = await client.call_tool("call_read_operation", {"operation": "connections_get_types"})
        by_catalog_name = await client.call_tool("call_read_operation", {"operation": "identity_get"})
    assert typed.structured_content == generic.structured_content
    assert {t["id"] for t in generic.structured_content["data"]} >= {"gcs", "salesforce"}  # type: ignore[index]
    assert by_catalog_name.structured_content["data"]["organization_id"]  # type: ignore[index]


async def test_call_operation_validates_and_enforces_the_access_mode(sandbox: RunningSandbox) -> None:
    async with Client(server(sandbox, "call-policy", access_mode="read-only")) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        refused = await client.call_tool(
            "call_write_operation",
            {"operation": "webhooks_create", "arguments": {"endpoint": "https://x", "secret": "s"}},
        )
        invalid = await client.call_tool(
            "call_read_operation", {"operation": "model_sync_list", "arguments": {"limit": "many"}}
        )
        hooks = await client.call_tool("call_read_operation", {"operation": "webhooks_list"})
    # Reads stay listed in read-only mode; the write runner is not listed, and refuses if called anyway.
    assert "call_read_operation" in listed and "call_write_operation" not in listed
    assert refused.is_error and "read-only mode" in text_of(refused)
    assert invalid.is_error and "limit: expected an integer" in text_of(invalid)
    assert hooks.structured_content["data"] == []  # type: ignore[index]  # nothing was created


def test_every_operation_is_reachable_through_discovery() -> None:
    from polytomic_mcp.tools.operations.search import operation_search

    search = operation_search()
    for tool in operation_tools():
        words = tool.name.replace("_", " ")
        assert tool in [hit.tool for hit in search.search(words, limit=10)], tool.name
