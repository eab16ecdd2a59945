"""Access modes and argument validation through the real MCP client, in memory.

A counting transport stands in for the network: these tests prove that refused or
invalid calls send nothing at all, so no backend is needed.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp.client import Client

from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from polytomic_mcp.tools.operations.tools import operation_tools

WRITE_TOOLS = [t for t in operation_tools() if not t.read_only]


class CountingTransport(httpx.AsyncBaseTransport):
    """Answers every request with 500 and counts them; a refused call must leave it at 0."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(500, json={"status": 500, "message": "test transport"})


def make_server(transport: httpx.AsyncBaseTransport, **settings: Any) -> Any:
    base = {"api_key": "test-key", "base_url": "http://polytomic.test", "max_retries": 0}
    return build_server(Settings(**{**base, **settings}), "http://polytomic.test", transport)


def minimal_arguments(schema: dict[str, Any]) -> dict[str, Any]:
    """Values for the required members only; shape is irrelevant because the call is refused first."""
    return {name: "x" for name in schema.get("required", [])}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_read_only_lists_only_read_only_operations(mode: str) -> None:
    server = make_server(CountingTransport(), access_mode="read-only", toolsets="all")
    async with Client(server, mode=mode) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    operation_names = {t.name for t in operation_tools()}
    listed_operations = {name for name in listed if name in operation_names}
    assert listed_operations == {t.name for t in operation_tools() if t.read_only}
    assert all(listed[name].annotations.read_only_hint for name in listed_operations)
    # Every listed tool, hand-written ones too, is truthfully read-only; the write runner is gone.
    assert all(tool.annotations is not None and tool.annotations.read_only_hint for tool in listed.values())
    assert "call_write_operation" not in listed and "call_read_operation" in listed


async def test_full_access_lists_every_operation_with_all_toolsets_uncapped() -> None:
    server = make_server(CountingTransport(), access_mode="full-access", toolsets="all", max_tools=0)
    async with Client(server) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert {t.name for t in operation_tools()} <= names


async def test_tool_cap_leaves_out_whole_toolsets_and_they_stay_callable() -> None:
    transport = CountingTransport()
    server = make_server(transport, access_mode="full-access", toolsets="all", max_tools=128)
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
        names = {t.name for t in tools}
        unlisted = await client.call_tool("harbors_list", {})
    assert len(tools) <= 128
    by_toolset: dict[str, set[str]] = {}
    for tool in operation_tools():
        by_toolset.setdefault(tool.toolset, set()).add(tool.name)
    for toolset, members in by_toolset.items():
        listed = members & names
        assert listed in (set(), members), f"{toolset} is half listed"
    assert by_toolset["connections"] <= names and by_toolset["model_syncs"] <= names
    assert not by_toolset["harbors"] & names
    # Left out of the list, still callable: the call reached the (test) API.
    assert unlisted.is_error and "500" in unlisted.content[0].text  # type: ignore[union-attr]
    assert len(transport.requests) == 1


async def test_every_write_operation_is_refused_in_read_only_mode() -> None:
    transport = CountingTransport()
    server = make_server(transport, access_mode="read-only", toolsets="all")
    assert len(WRITE_TOOLS) == 91  # 99 non-GET operations, 8 of which only compute or look up
    async with Client(server) as client:
        for tool in WRITE_TOOLS:
            result = await client.call_tool(tool.name, minimal_arguments(tool.input_schema))
            assert result.is_error, tool.name
            text = result.content[0].text  # type: ignore[union-attr]
            assert tool.name in text and "read-only mode" in text
            assert "--access-mode full-access" in text and "POLYTOMIC_ACCESS_MODE=full-access" in text
    assert transport.requests == []


async def test_invalid_arguments_name_the_field_and_send_nothing() -> None:
    transport = CountingTransport()
    server = make_server(transport, access_mode="full-access")
    async with Client(server) as client:
        missing = await client.call_tool("model_sync_create", {"name": "s"})
        wrong_enum = await client.call_tool(
            "model_sync_create",
            {
                "name": "s",
                "mode": "upsert",
                "target": {"connection_id": "c", "object": "Contact"},
                "fields": [],
                "schedule": {"frequency": "manual"},
            },
        )
        wrong_type = await client.call_tool("model_sync_list", {"limit": "ten"})
        unknown = await client.call_tool("connections_get", {"connection_id": "c", "colour": "blue"})
        nested = await client.call_tool(
            "model_sync_create",
            {
                "name": "s",
                "mode": "create",
                "target": {"object": "Contact"},
                "fields": [{"target": "Email"}],
                "schedule": {"frequency": "manual"},
            },
        )
    texts = [r.content[0].text for r in (missing, wrong_enum, wrong_type, unknown, nested)]  # type: ignore[union-attr]
    assert all(r.is_error for r in (missing, wrong_enum, wrong_type, unknown, nested))
    assert "mode: is required" in texts[0] and "target: is required" in texts[0]
    assert 'mode: "upsert" is not allowed' in texts[1] and "updateOrCreate" in texts[1]
    assert "limit: expected an integer" in texts[2]
    assert "'colour'" in texts[3] and "allowed: connection_id" in texts[3]
    assert "target.connection_id: is required" in texts[4]
    assert all("nothing was sent" in t for t in texts)
    assert transport.requests == []


async def test_access_mode_header_may_only_narrow() -> None:
    from polytomic_mcp.settings import AccessMode, request_scope

    full = Settings(api_key="k", access_mode="full-access")
    read_only = Settings(api_key="k", access_mode="read-only")
    header = {"authorization": "Bearer other", "x-polytomic-access-mode": "read-only"}
    assert request_scope(full, header).access_mode is AccessMode.READ_ONLY
    widen = {"authorization": "Bearer other", "x-polytomic-access-mode": "full-access"}
    assert request_scope(read_only, widen).access_mode is AccessMode.READ_ONLY
    assert request_scope(full, {"authorization": "Bearer other"}).access_mode is AccessMode.FULL_ACCESS


def test_default_access_mode_depends_on_backend() -> None:
    assert Settings(api_key="k").effective_access_mode.value == "read-only"
    assert Settings(sandbox=True).effective_access_mode.value == "full-access"
