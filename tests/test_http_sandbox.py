"""`serve --http --sandbox`: no key needed, and the sandbox's admin routes on the MCP port.

A request without Authorization acts in the default sandbox tenant (the one stdio uses), for
MCP and for `/sandbox/*` alike; a bearer key still selects its own tenant. The admin routes get
the same Host/Origin protection as `/mcp`. Real HTTP against a server on a loopback port.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client

from tests.test_transports import GCS_CONFIG, clean_env, free_port, text_of, wait_for_port

pytestmark = pytest.mark.slow

BUCKET = "sandbox-exports"
DOMAIN = "acme.my.salesforce.com"
SERVE = [sys.executable, "-m", "polytomic_mcp", "serve", "--http", "--sandbox", "--sandbox-clock", "step"]


@dataclass(frozen=True)
class Running:
    base: str  # http://127.0.0.1:PORT
    startup_line: str

    @property
    def mcp(self) -> str:
        return f"{self.base}/mcp"


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    port = free_port()
    process = subprocess.Popen(
        [*SERVE, "--port", str(port)],
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, process)
        assert process.stderr is not None
        line = process.stderr.readline().decode()
        yield Running(f"http://127.0.0.1:{port}", line)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def mcp_client(url: str, key: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=60)))


def admin(method: str, url: str, key: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.request(method, url, headers=headers, timeout=30, **kwargs)


def test_the_startup_line_names_the_sandbox_and_the_admin_routes(server: Running) -> None:
    assert "backend=sandbox at http://127.0.0.1:" in server.startup_line
    assert f"transport={server.mcp}" in server.startup_line
    assert f"admin={server.base}/sandbox/" in server.startup_line
    assert "access=full-access" in server.startup_line


async def test_without_a_key_mcp_and_admin_share_the_default_tenant(server: Running) -> None:
    added = admin(
        "POST", f"{server.base}/sandbox/buckets/{BUCKET}/files", params={"key": "late.csv"}, content=b"a,b\n1,2\n"
    )
    assert added.status_code == 200, added.text
    assert added.json()["data"] == {"bucket": BUCKET, "key": "late.csv", "size": 8}

    async with mcp_client(server.mcp) as client:
        created = await client.call_tool(
            "connections_create", {"name": "default-tenant GCS", "type": "gcs", "configuration": GCS_CONFIG}
        )
        assert not created.is_error, text_of(created)
        listed = await client.call_tool("connections_list", {})
    assert "default-tenant GCS" in {c["name"] for c in listed.structured_content["data"]}  # type: ignore[index]

    # The file added through the admin route (no key) is in the bucket the MCP tenant (no key) sees.
    files = admin("GET", f"{server.base}/sandbox/buckets/{BUCKET}").json()["data"]
    assert "late.csv" in {f["key"] for f in files}
    contacts = admin("GET", f"{server.base}/sandbox/salesforce/objects/Contact/records", params={"domain": DOMAIN})
    assert contacts.status_code == 200 and contacts.json()["data"]["total"] == 14


async def test_a_bearer_key_still_selects_its_own_tenant(server: Running) -> None:
    async with mcp_client(server.mcp, "tenant-alice") as alice:
        made = await alice.call_tool(
            "connections_create", {"name": "alice GCS", "type": "gcs", "configuration": GCS_CONFIG}
        )
        assert not made.is_error, text_of(made)
        mine = await alice.call_tool("connections_list", {})
    assert {c["name"] for c in mine.structured_content["data"]} == {"alice GCS"}  # type: ignore[index]
    async with mcp_client(server.mcp) as default:
        theirs = await default.call_tool("connections_list", {})
    assert "alice GCS" not in {c["name"] for c in theirs.structured_content["data"]}  # type: ignore[index]

    # Admin routes follow the same key: alice's bucket is her own copy of the seed.
    files = f"{server.base}/sandbox/buckets/{BUCKET}/files"
    assert admin("POST", files, "tenant-alice", params={"key": "alice.csv"}, content=b"x\n1\n").status_code == 200
    assert admin("POST", files, params={"key": "default-only.csv"}, content=b"y\n2\n").status_code == 200

    def bucket(key: str | None) -> set[str]:
        return {f["key"] for f in admin("GET", f"{server.base}/sandbox/buckets/{BUCKET}", key).json()["data"]}

    alice_files, default_files = bucket("tenant-alice"), bucket(None)
    assert "alice.csv" in alice_files and "alice.csv" not in default_files
    assert "default-only.csv" in default_files and "default-only.csv" not in alice_files


def test_admin_routes_answer_like_the_sandbox_itself(server: Running) -> None:
    clock = admin("GET", f"{server.base}/sandbox/clock")
    assert clock.status_code == 200 and clock.json()["data"]["mode"] == "step"
    faults = admin("PUT", f"{server.base}/sandbox/faults", "tenant-faults", json={"rate_limit_every": 3})
    assert faults.status_code == 200 and faults.json()["data"]["rate_limit_every"] == 3
    assert admin("GET", f"{server.base}/sandbox/faults", "tenant-faults").json()["data"]["rate_limit_every"] == 3
    assert admin("GET", f"{server.base}/sandbox/faults").json()["data"]["rate_limit_every"] != 3
    assert admin("PUT", f"{server.base}/sandbox/faults", "tenant-faults", json={}).status_code == 200
    missing = admin("GET", f"{server.base}/sandbox/buckets/no-such-bucket")
    assert missing.status_code == 404 and missing.json()["key"] == "not_found"
    unknown = admin("GET", f"{server.base}/sandbox/no-such-route")
    assert unknown.status_code == 404


def test_admin_routes_have_the_same_host_and_origin_protection_as_mcp(server: Running) -> None:
    url = f"{server.base}/sandbox/clock"
    assert admin("GET", url, headers={"Host": "evil.example.com"}).status_code == 421
    assert admin("GET", url, headers={"Origin": "http://evil.example.com"}).status_code == 403
    assert admin("GET", url, headers={"Origin": "http://localhost:5173"}).status_code == 200
    mcp_refused = httpx.post(
        server.mcp,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Host": "evil.example.com", "Accept": "application/json, text/event-stream"},
    )
    assert mcp_refused.status_code == 421


async def test_mcp_without_a_key_works_in_both_protocol_eras(server: Running) -> None:
    for mode in ("auto", "legacy"):
        async with Client(
            streamable_http_client(server.mcp, http_client=httpx2.AsyncClient(timeout=60)), mode=mode
        ) as client:
            types = await client.call_tool("connections_get_types", {})
        assert not types.is_error and "salesforce" in text_of(types)
