"""The server against a misbehaving sandbox: rate limits, 5xx, dropped connections, and a
client that gives up waiting (cancellation reaches the HTTP request)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from tests.seed_setup import SERVICE_ACCOUNT_JSON
from tests.support import set_faults


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


class WatchingTransport(httpx.AsyncHTTPTransport):
    """The real transport, noting which requests were cancelled before an answer came."""

    def __init__(self) -> None:
        super().__init__()
        self.cancelled: list[str] = []
        self.sent: list[str] = []
        self.cancel_seen = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        try:
            return await super().handle_async_request(request)
        except anyio.get_cancelled_exc_class():
            self.cancelled.append(f"{request.method} {request.url.path}")
            self.cancel_seen.set()
            raise


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def test_rate_limits_and_server_errors_are_retried_and_creates_happen_once(sandbox: RunningSandbox) -> None:
    key = "flaky-tenant"
    await set_faults(sandbox.base_url, key, seed=7, rate_limit_every=2, retry_after_seconds=0, error_rate=0.3)
    transport = WatchingTransport()
    settings = Settings(api_key=key, sandbox=True, max_retries=6)
    async with Client(build_server(settings, sandbox.base_url, transport)) as client:
        for n in range(5):
            created = await client.call_tool(
                "connections_create",
                {
                    "name": f"GCS {n}",
                    "type": "gcs",
                    "configuration": {"service_account": SERVICE_ACCOUNT_JSON, "bucket": "sandbox-exports"},
                },
            )
            assert not created.is_error, text_of(created)
        await set_faults(sandbox.base_url, key)
        listed = await client.call_tool("connections_list", {})
    names = sorted(c["name"] for c in listed.structured_content["data"])  # type: ignore[index]
    assert names == [f"GCS {n}" for n in range(5)]  # retried creates never created twice
    assert len([s for s in transport.sent if s == "POST /api/connections"]) > 5  # and retries did happen


async def test_dropped_connections_are_retried(sandbox: RunningSandbox) -> None:
    key = "dropping-tenant"
    await set_faults(sandbox.base_url, key, drop_every=2)
    async with Client(build_server(Settings(api_key=key, sandbox=True, max_retries=4), sandbox.base_url)) as client:
        results = [await client.call_tool("connections_get_types", {}) for _ in range(4)]
    assert all(not r.is_error and r.structured_content["data"] for r in results)  # type: ignore[index]


async def test_an_exhausted_retry_budget_gives_an_error_with_a_next_step(sandbox: RunningSandbox) -> None:
    key = "down-tenant"
    await set_faults(sandbox.base_url, key, error_rate=1.0, error_status=503)
    settings = Settings(api_key=key, sandbox=True, max_retries=1)
    async with Client(build_server(settings, sandbox.base_url)) as client:
        result = await client.call_tool("connections_list", {})
    assert result.is_error
    assert "503" in text_of(result) and "try again later" in text_of(result)


async def test_cancelling_a_tool_call_cancels_its_http_request(sandbox: RunningSandbox) -> None:
    key = "slow-tenant"
    await set_faults(sandbox.base_url, key, latency_ms=3000)
    transport = WatchingTransport()
    async with Client(build_server(Settings(api_key=key, sandbox=True), sandbox.base_url, transport)) as client:
        started = time.monotonic()
        with anyio.move_on_after(0.5):
            await client.call_tool("connections_list", {})
        waited = time.monotonic() - started
        with anyio.fail_after(5):
            await transport.cancel_seen.wait()
    assert waited < 1.5
    assert transport.cancelled == ["GET /api/connections"]


async def test_answers_lost_after_the_api_acted_are_retried_without_acting_twice(sandbox: RunningSandbox) -> None:
    """The sandbox processes the request, then closes the connection before answering: the retry
    carries the same Idempotency-Key, so Polytomic replays its first answer instead of creating again."""
    key = "lossy-tenant"
    await set_faults(sandbox.base_url, key, seed=3, lose_rate=0.5)
    transport = WatchingTransport()
    settings = Settings(api_key=key, sandbox=True, max_retries=8)
    async with Client(build_server(settings, sandbox.base_url, transport)) as client:
        for n in range(6):
            created = await client.call_tool(
                "connections_create",
                {
                    "name": f"GCS {n}",
                    "type": "gcs",
                    "configuration": {"service_account": SERVICE_ACCOUNT_JSON, "bucket": "sandbox-exports"},
                },
            )
            assert not created.is_error, text_of(created)
        await set_faults(sandbox.base_url, key)
        listed = await client.call_tool("connections_list", {})
    assert sorted(c["name"] for c in listed.structured_content["data"]) == [f"GCS {n}" for n in range(6)]  # type: ignore[index]
    assert len([s for s in transport.sent if s == "POST /api/connections"]) > 6  # answers were lost and retried
