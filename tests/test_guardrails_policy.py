"""Tiers, the deny list and their headers, through the real MCP client in memory.

The counting transport stands in for the network (as in test_server_policy): a refused call
must send nothing at all.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from mcp.client import Client

from polytomic_mcp.errors import SettingsError
from polytomic_mcp.guardrails.tiers import DenyList
from polytomic_mcp.settings import AccessMode, Settings, request_scope
from polytomic_mcp.tools.operations.tools import operation_tools
from tests.test_server_policy import CountingTransport, make_server, minimal_arguments

DESTRUCTIVE = [t for t in operation_tools() if t.operation.destructive]
NON_DESTRUCTIVE_WRITES = [t for t in operation_tools() if not t.read_only and not t.operation.destructive]


def text(result: object) -> str:
    return "".join(getattr(block, "text", "") for block in getattr(result, "content", []))


def test_the_catalog_has_the_destructive_operations_the_tiers_are_written_for() -> None:
    assert len(DESTRUCTIVE) == 53 and len(NON_DESTRUCTIVE_WRITES) == 38
    assert all(t.operation.method in ("PUT", "DELETE", "POST") for t in DESTRUCTIVE)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_read_write_lists_creates_but_nothing_destructive(mode: str) -> None:
    server = make_server(CountingTransport(), access_mode="read-write", toolsets="all", max_tools=0)
    async with Client(server, mode=mode) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert not {t.name for t in DESTRUCTIVE} & names
    assert {t.name for t in NON_DESTRUCTIVE_WRITES} <= names
    assert {"sync_gcs_csv_to_salesforce", "call_write_operation", "connections_list"} <= names


async def test_read_write_refuses_every_destructive_operation_and_sends_nothing() -> None:
    transport = CountingTransport()
    server = make_server(transport, access_mode="read-write", toolsets="all")
    async with Client(server) as client:
        for tool in DESTRUCTIVE:
            for name, arguments in (
                (tool.name, minimal_arguments(tool.input_schema)),
                ("call_write_operation", {"operation": tool.name, "arguments": minimal_arguments(tool.input_schema)}),
            ):
                result = await client.call_tool(name, arguments)
                assert result.is_error, tool.name
                assert "destructive operation" in text(result) and "read-write mode" in text(result)
                assert "--access-mode full-access" in text(result)
        created = await client.call_tool("webhooks_create", {"endpoint": "https://h.example", "secret": "s"})
    assert transport.requests[:-1] == [] and len(transport.requests) == 1  # only the create was sent
    assert "500" in text(created)


def test_headers_narrow_the_tier_and_never_widen_it() -> None:
    full = Settings(api_key="k", access_mode="full-access")
    middle = Settings(api_key="k", access_mode="read-write")
    key = {"authorization": "Bearer other"}
    assert request_scope(full, {**key, "x-polytomic-access-mode": "read-write"}).access_mode is AccessMode.READ_WRITE
    assert request_scope(middle, {**key, "x-polytomic-access-mode": "full-access"}).access_mode is AccessMode.READ_WRITE
    assert request_scope(middle, {**key, "x-polytomic-access-mode": "read-only"}).access_mode is AccessMode.READ_ONLY
    never = Settings(api_key="k", confirm_destructive="never", deny="harbors")
    narrowed = request_scope(never, {**key, "x-polytomic-confirm-destructive": "always", "x-polytomic-deny": "users"})
    assert narrowed.confirm_destructive and narrowed.denied == ("harbors", "users")
    always = Settings(api_key="k", safe_mode="session")
    kept = request_scope(always, {**key, "x-polytomic-confirm-destructive": "never", "x-polytomic-safe-mode": "off"})
    assert kept.confirm_destructive and kept.safe_mode
    with pytest.raises(SettingsError, match="X-Polytomic-Safe-Mode"):
        request_scope(always, {**key, "x-polytomic-safe-mode": "sometimes"})


async def test_denied_operations_toolsets_and_tools_are_neither_listed_nor_run() -> None:
    transport = CountingTransport()
    deny = "model_sync_delete, harbors, diagnose_sync, users_delete_in_my_org"
    server = make_server(transport, access_mode="full-access", toolsets="all", max_tools=0, deny=deny)
    async with Client(server) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        refused = [
            await client.call_tool("model_sync_delete", {"sync_id": "s"}),
            await client.call_tool(
                "call_write_operation", {"operation": "model_sync_delete", "arguments": {"sync_id": "s"}}
            ),
            await client.call_tool("harbors_list", {}),
            await client.call_tool(
                "call_write_operation", {"operation": "users_delete_current_org_user", "arguments": {"user_id": "u"}}
            ),
            await client.call_tool("diagnose_sync", {"sync_id": "s"}),
        ]
    harbor_tools = {t.name for t in operation_tools() if t.toolset == "harbors"}
    assert not ({"model_sync_delete", "diagnose_sync", "users_delete_in_my_org"} | harbor_tools) & names
    assert {"model_sync_get", "models_delete", "find_resources"} <= names
    for result in refused:
        assert result.is_error and "is denied on this server (--deny)" in text(result), text(result)
    assert transport.requests == []


def test_deny_names_are_checked() -> None:
    parsed = DenyList.parse(["connections_list_shares", "bulk_syncs", "find_resources"], {"find_resources"})
    assert parsed.operations == {"connections_shared_connections_list_shared_connections"}
    assert parsed.toolsets == {"bulk_syncs"} and parsed.tools == {"find_resources"}
    with pytest.raises(SettingsError, match="'model_sync_remove' is not an operation, tool or toolset"):
        DenyList.parse(["model_sync_remove"], set())


def test_an_unknown_deny_name_stops_the_server_at_start_up() -> None:
    process = subprocess.run(
        [sys.executable, "-m", "polytomic_mcp", "--sandbox", "--deny", "model_sync_delete,sync_everything"],
        capture_output=True,
        timeout=60,
        check=False,
        input=b"",
    )
    stderr = process.stderr.decode()
    assert process.returncode == 2, stderr
    assert "--deny / POLYTOMIC_DENY" in stderr and "no such name 'sync_everything'" in stderr
    assert "bulk_syncs" in stderr  # the valid toolsets are named


async def test_an_unknown_deny_header_name_fails_closed() -> None:
    transport = CountingTransport()
    server = make_server(transport, access_mode="full-access", toolsets="all")
    headers = {"authorization": "Bearer k", "x-polytomic-deny": "nonsense"}
    scope = request_scope(server.polytomic_settings, headers)
    with pytest.raises(SettingsError, match="X-Polytomic-Deny header: 'nonsense'"):
        server.registry.listing(scope)
