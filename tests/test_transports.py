"""The server over its real transports: a stdio subprocess and streamable HTTP on a loopback
port, each against the embedded sandbox started by the server process itself."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

SERVER = [sys.executable, "-m", "polytomic_mcp"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
    return {**env, **extra}


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {port}")


@contextmanager
def running_http_server(*extra: str, sandbox: bool = True) -> Iterator[str]:
    port = free_port()
    backend = ["--sandbox", "--sandbox-clock", "step"] if sandbox else []
    process = subprocess.Popen(
        [*SERVER, "serve", "--http", *backend, "--port", str(port), *extra],
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def http_server() -> Iterator[str]:
    with running_http_server() as url:
        yield url


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def http_client(url: str, key: str | None, **headers: str) -> Client:
    all_headers = dict(headers)
    if key is not None:
        all_headers["Authorization"] = f"Bearer {key}"
    return Client(streamable_http_client(url, http_client=httpx2.AsyncClient(headers=all_headers, timeout=30)))


GCS_CONFIG = {
    "service_account": json.dumps(
        {
            "type": "service_account",
            "client_email": "etl@acme.iam.gserviceaccount.com",
            "private_key": "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n",
        }
    ),
    "bucket": "sandbox-exports",
}


# -- stdio ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_subprocess_session_against_the_sandbox(mode: str) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "polytomic_mcp", "--sandbox", "--sandbox-clock", "step"], env=clean_env()
    )
    async with Client(params, mode=mode) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        types = await client.call_tool("connections_get_types", {})
        me = await client.call_tool("identity_get_me", {})
    assert {"connections_create", "model_sync_start", "search_operations"} <= names
    assert not types.is_error
    type_ids = {t["id"] for t in types.structured_content["data"]}  # type: ignore[index]
    assert {"gcs", "salesforce"} <= type_ids
    assert not me.is_error and me.structured_content["data"]["organization_id"]  # type: ignore[index]


def test_startup_line_names_backend_and_mode_and_never_the_key() -> None:
    secret = "pk_live_very_secret_value_123"
    process = subprocess.run(
        [*SERVER, "--sandbox", "--sandbox-clock", "step"],
        env=clean_env(POLYTOMIC_API_KEY=secret),
        input=b"",
        capture_output=True,
        timeout=30,
        check=False,
    )
    stderr = process.stderr.decode()
    assert "backend=sandbox at http://127.0.0.1:" in stderr
    assert "access=full-access" in stderr and "transport=stdio" in stderr
    assert secret not in stderr and secret not in process.stdout.decode()


def test_no_backend_exits_with_instructions() -> None:
    process = subprocess.run(SERVER, env=clean_env(), capture_output=True, timeout=30, check=False)
    assert process.returncode == 2
    assert "POLYTOMIC_API_KEY=<your key>" in process.stderr.decode()
    assert "polytomic-mcp --sandbox" in process.stderr.decode()


def test_help_lists_every_setting_with_its_environment_variable() -> None:
    from polytomic_mcp.settings import Settings

    process = subprocess.run([*SERVER, "serve", "--help"], capture_output=True, timeout=30, check=False)
    text = process.stdout.decode()
    for name in Settings.model_fields:
        if name == "api_key":
            assert (
                "POLYTOMIC_API_KEY"
                in subprocess.run([*SERVER, "--help"], capture_output=True, timeout=30, check=False).stdout.decode()
            )
            continue
        assert f"--{name.replace('_', '-')}" in text, name
        assert f"POLYTOMIC_{name.upper()}" in text, name


# -- streamable HTTP ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_http_session_lists_and_calls(http_server: str, mode: str) -> None:
    async with http_client(http_server, "tenant-http") as client:
        tools = (await client.list_tools()).tools
        types = await client.call_tool("connections_get_types", {})
    assert any(t.name == "connections_create" for t in tools)
    assert "salesforce" in text_of(types)


@pytest.mark.slow
def test_http_without_a_key_is_refused_with_401() -> None:
    # Against the real API (never reached: the request is refused first). In sandbox mode a
    # request without a key acts in the default tenant instead (tests/test_http_sandbox.py).
    with running_http_server(sandbox=False) as url:
        response = httpx.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"accept": "application/json, text/event-stream"},
        )
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["error"]["message"]


@pytest.mark.slow
def test_http_rejects_a_foreign_host_header(http_server: str) -> None:
    response = httpx.post(
        http_server,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={
            "host": "evil.example.com",
            "authorization": "Bearer k",
            "accept": "application/json, text/event-stream",
        },
    )
    assert response.status_code == 421


@pytest.mark.slow
async def test_concurrent_http_clients_with_different_keys_see_only_their_own_objects(http_server: str) -> None:
    created: dict[str, str] = {}

    async def tenant(key: str) -> None:
        async with http_client(http_server, key) as client:
            result = await client.call_tool(
                "connections_create", {"name": f"GCS of {key}", "type": "gcs", "configuration": GCS_CONFIG}
            )
            assert not result.is_error, text_of(result)
            created[key] = result.structured_content["data"]["id"]  # type: ignore[index]
            listing = await client.call_tool("connections_list", {})
            names = {c["name"] for c in listing.structured_content["data"]}  # type: ignore[index]
            assert names == {f"GCS of {key}"}

    async with anyio.create_task_group() as group:
        for key in ("alice-key", "bob-key", "carol-key"):
            group.start_soon(tenant, key)
    assert len(set(created.values())) == 3
    async with http_client(http_server, "alice-key") as client:
        foreign = await client.call_tool("connections_get", {"connection_id": created["bob-key"]})
    assert foreign.is_error and "404" in text_of(foreign)


@pytest.mark.slow
async def test_access_mode_header_narrows_over_http(http_server: str) -> None:
    async with http_client(http_server, "narrow-key", **{"X-Polytomic-Access-Mode": "read-only"}) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        refused = await client.call_tool(
            "connections_create", {"name": "x", "type": "gcs", "configuration": GCS_CONFIG}
        )
    assert "connections_create" not in names and "connections_list" in names
    assert refused.is_error
    assert "X-Polytomic-Access-Mode: read-only" in text_of(refused)


@pytest.mark.slow
async def test_partner_headers_act_inside_the_chosen_organization(http_server: str) -> None:
    async with http_client(http_server, "partner-key") as partner:
        org = await partner.call_tool(
            "call_write_operation", {"operation": "organization_create", "arguments": {"name": "Child org"}}
        )
        assert not org.is_error, text_of(org)
        org_id = org.structured_content["data"]["id"]  # type: ignore[index]
    headers = {"X-Polytomic-Auth-Mode": "partner", "X-Polytomic-Partner-Org-Id": org_id}
    async with http_client(http_server, "partner-key", **headers) as inside:
        current = await inside.call_tool("call_read_operation", {"operation": "organization_get_current"})
        made = await inside.call_tool(
            "connections_create", {"name": "child GCS", "type": "gcs", "configuration": GCS_CONFIG}
        )
    assert current.structured_content["data"]["id"] == org_id  # type: ignore[index]
    assert not made.is_error, text_of(made)
    async with http_client(http_server, "partner-key") as own:
        own_names = {c["name"] for c in (await own.call_tool("connections_list", {})).structured_content["data"]}  # type: ignore[index]
    assert "child GCS" not in own_names


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stateless_http_serves_both_eras(mode: str) -> None:
    with running_http_server("--stateless") as url:
        async with http_client(url, "stateless-tenant") as client:
            tools = (await client.list_tools()).tools
            created = await client.call_tool(
                "connections_create", {"name": "stateless", "type": "gcs", "configuration": GCS_CONFIG}
            )
            listed = await client.call_tool("connections_list", {})
    assert any(t.name == "sync_gcs_csv_to_salesforce" for t in tools)
    assert not created.is_error, text_of(created)
    assert [c["name"] for c in listed.structured_content["data"]] == ["stateless"]  # type: ignore[index]
