"""The streamable-HTTP server under hostile requests and many tenants at once.

One real server subprocess (its embedded sandbox), reached over loopback:

- 32 concurrent sessions, each with its own key (its own sandbox tenant), create and read
  objects at the same time; each sees exactly its own objects and none of another's;
- an unreadable X-Polytomic-Access-Mode header never widens: writes get the read-only
  refusal, reads still work;
- unparsable JSON-RPC bodies (too deep, a lone surrogate, not JSON) get a JSON-RPC parse
  error, never silence; JSON that is not a message gets -32600 without the body quoted back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import anyio
import httpx
import pytest

from tests.test_transports import GCS_CONFIG, http_client, running_http_server, text_of

SECRET = "http-canary-0c4e91"
SESSIONS = 32
OBJECTS_PER_SESSION = 2


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with running_http_server() as url:
        yield url


@pytest.mark.slow
async def test_concurrent_sessions_with_different_keys_see_only_their_own_objects(server_url: str) -> None:
    seen: dict[str, list[str]] = {}
    created: dict[str, list[str]] = {}
    foreign_reads: dict[str, str] = {}

    async def tenant(n: int, ready: anyio.Event, go: anyio.Event) -> None:
        key = f"tenant-{n:02d}-key"
        async with http_client(server_url, key) as client:
            ready.set()
            await go.wait()  # every session is open before any starts working
            ids = []
            for m in range(OBJECTS_PER_SESSION):
                made = await client.call_tool(
                    "connections_create", {"name": f"{key} #{m}", "type": "gcs", "configuration": GCS_CONFIG}
                )
                assert not made.is_error, text_of(made)
                ids.append(made.structured_content["data"]["id"])  # type: ignore[index]
            created[key] = ids
            listed = await client.call_tool("connections_list", {})
            seen[key] = sorted(c["name"] for c in listed.structured_content["data"])  # type: ignore[index]

    async with anyio.create_task_group() as group:
        go = anyio.Event()
        readies = []
        for n in range(SESSIONS):
            ready = anyio.Event()
            readies.append(ready)
            group.start_soon(tenant, n, ready, go)
        for ready in readies:
            await ready.wait()
        go.set()

    for key, names in seen.items():
        assert names == [f"{key} #{m}" for m in range(OBJECTS_PER_SESSION)], (key, names)
    assert len(seen) == SESSIONS

    async def read_another(n: int) -> None:
        key, other = f"tenant-{n:02d}-key", f"tenant-{(n + 1) % SESSIONS:02d}-key"
        async with http_client(server_url, key) as client:
            result = await client.call_tool("connections_get", {"connection_id": created[other][0]})
        foreign_reads[key] = "404" if result.is_error and "404" in text_of(result) else text_of(result)[:120]

    async with anyio.create_task_group() as group:
        for n in range(SESSIONS):
            group.start_soon(read_another, n)
    assert set(foreign_reads.values()) == {"404"}, foreign_reads


@pytest.mark.slow
@pytest.mark.parametrize("header", ["admin", "full-access, read-only", "Read-Only", "fullaccess"])
async def test_an_unreadable_access_mode_header_counts_as_read_only(server_url: str, header: str) -> None:
    async with http_client(server_url, "header-tenant", **{"X-Polytomic-Access-Mode": header}) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        via_call = await client.call_tool(
            "call_write_operation",
            {"operation": "connections_create", "arguments": {"name": "x", "type": "gcs", "configuration": GCS_CONFIG}},
        )
        composite = await client.call_tool("sync_gcs_csv_to_salesforce", {"bucket": "b"})
        direct = await client.call_tool("connections_create", {"name": "x", "type": "gcs", "configuration": GCS_CONFIG})
        read = await client.call_tool("connections_list", {})
    assert "connections_create" not in names and "connections_list" in names
    for refused, tool in (
        (via_call, "connections_create"),
        (composite, "sync_gcs_csv_to_salesforce"),
        (direct, "connections_create"),
    ):
        assert refused.is_error
        assert f"{tool} changes data in Polytomic, and this server is in read-only mode" in text_of(refused)
    assert not read.is_error and read.structured_content["data"] == []  # type: ignore[index]


@pytest.mark.slow
def test_unparsable_json_rpc_bodies_get_a_parse_error(server_url: str) -> None:
    headers = {
        "Authorization": "Bearer parse-tenant",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
    }
    opened = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
    }
    with httpx.Client(timeout=30) as http:
        first = http.post(server_url, json=opened, headers=headers)
        session = {**headers, "mcp-session-id": first.headers["mcp-session-id"], "mcp-protocol-version": "2025-06-18"}
        deep = json.loads("[" * 250 + "]" * 250)
        bodies = [
            json.dumps(
                {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "x", "arguments": {"a": deep}}}
            ),
            '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"x","arguments":{"a":"\\ud800"}}}',
            "[" * 100_000 + "]" * 100_000,
            "{not json",
        ]
        for body in bodies:
            answer = http.post(server_url, content=body.encode(), headers=session)
            assert answer.status_code == 400, body[:40]
            assert answer.json()["error"]["code"] == -32700, answer.text[:200]
        # JSON, but no message: -32600 with the id, and the body is not quoted back.
        not_a_message = json.dumps({"jsonrpc": "2.0", "id": "s4", "params": {"password": SECRET}})
        answer = http.post(server_url, content=not_a_message.encode(), headers=session)
        assert answer.status_code == 400
        assert answer.json() == {
            "jsonrpc": "2.0",
            "id": "s4",
            "error": {
                "code": -32600,
                "message": "Invalid request: not a JSON-RPC 2.0 request, notification or response",
            },
        }
        batch = http.post(
            server_url, content=json.dumps([{"jsonrpc": "2.0", "id": 9, "x": SECRET}]).encode(), headers=session
        )
        assert batch.status_code == 400 and SECRET not in batch.text and batch.json()["error"]["code"] == -32600
        still = http.post(server_url, json={"jsonrpc": "2.0", "id": 10, "method": "ping"}, headers=session)
        assert still.status_code == 200 and '"id":10' in still.text.replace(" ", "")
