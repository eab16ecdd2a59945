"""wait_schema_ready, run_sync_and_wait and wait_for_execution against the sandbox."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from polytomic_mcp.tools.workflow.schema_cache import cache_is_ready
from tests.seed_setup import (
    create_gcs_connection,
    create_salesforce_connection,
    seed_server,
    setup_seed,
)
from tests.support import set_faults


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


class Progress:
    def __init__(self) -> None:
        self.events: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.events.append((progress, total, message))


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


# -- wait_schema_ready ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_waits_until_both_caches_are_ready_and_reports_progress(sandbox: RunningSandbox, mode: str) -> None:
    progress = Progress()
    async with Client(seed_server(sandbox.base_url, f"wait-{mode}"), mode=mode) as client:
        gcs = await create_gcs_connection(client)
        salesforce = await create_salesforce_connection(client)
        result = await client.call_tool(
            "wait_schema_ready", {"connection_ids": [gcs, salesforce]}, progress_callback=progress
        )
    report = result.structured_content
    assert report is not None and report["ready"] is True, text_of(result)
    assert {c["id"] for c in report["connections"]} == {gcs, salesforce}
    assert all(c["cache_status"] == "fresh" and c["last_refresh_finished"] for c in report["connections"])
    assert progress.events and progress.events[-1][:2] == (2, 2)
    assert "schema caches ready" in str(progress.events[-1][2])


async def test_an_unauthorized_connection_is_reported_at_once_with_what_to_do(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, "wait-oauth")) as client:
        salesforce = await create_salesforce_connection(client, authorized=False)
        started = time.monotonic()
        result = await client.call_tool("wait_schema_ready", {"connection_ids": [salesforce], "timeout_s": 30})
    assert time.monotonic() - started < 5
    report = result.structured_content
    assert report is not None and report["ready"] is False
    assert "auth_url" in report["connections"][0]["problem"]
    assert "not healthy" in report["next"]


async def test_timeout_returns_the_current_state_without_waiting_longer() -> None:
    with start_sandbox(SandboxConfig(clock="real", schema_cache_seconds=600)) as sandbox:
        async with Client(seed_server(sandbox.base_url, "wait-timeout")) as client:
            gcs = await create_gcs_connection(client)
            started = time.monotonic()
            result = await client.call_tool("wait_schema_ready", {"connection_ids": [gcs], "timeout_s": 0.5})
            elapsed = time.monotonic() - started
    report = result.structured_content
    assert report is not None and report["ready"] is False
    assert report["connections"][0]["cache_status"] == "refreshing"
    assert "call wait_schema_ready again" in report["next"]
    assert elapsed < 2.0


async def test_timeouts_are_capped_by_max_wait() -> None:
    with start_sandbox(SandboxConfig(clock="real", schema_cache_seconds=600)) as sandbox:
        server = build_server(Settings(api_key="cap", sandbox=True, max_wait=0.5, poll_interval=0.05), sandbox.base_url)
        async with Client(server) as client:
            gcs = await create_gcs_connection(client)
            started = time.monotonic()
            result = await client.call_tool("wait_schema_ready", {"connection_ids": [gcs], "timeout_s": 45})
            elapsed = time.monotonic() - started
    assert result.structured_content["ready"] is False  # type: ignore[index]
    assert elapsed < 2.0


class CountingTransport(httpx.AsyncHTTPTransport):
    """The real loopback transport, counting the requests it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)


@pytest.mark.slow
async def test_polling_averages_at_most_about_one_request_a_second() -> None:
    with start_sandbox(SandboxConfig(clock="real", schema_cache_seconds=600)) as sandbox:
        transport = CountingTransport()
        server = build_server(Settings(api_key="rate", sandbox=True), sandbox.base_url, transport)
        async with Client(server) as client:
            gcs = await create_gcs_connection(client)
            transport.paths.clear()
            started = time.monotonic()
            await client.call_tool("wait_schema_ready", {"connection_ids": [gcs], "timeout_s": 6})
            elapsed = time.monotonic() - started
    polls = [p for p in transport.paths if p.endswith("/schemas/status")]
    assert 5.5 < elapsed < 7.0
    assert 3 <= len(polls) <= elapsed  # backoff from 1 s: about 5 polls in 6 s, never more than one a second


def test_readiness_rule() -> None:
    assert cache_is_ready(
        {
            "cache_status": "fresh",
            "last_refresh_started": "2026-01-01T00:00:00Z",
            "last_refresh_finished": "2026-01-01T00:00:02Z",
        }
    )
    assert not cache_is_ready({"cache_status": "refreshing", "last_refresh_started": "2026-01-01T00:00:00Z"})
    assert not cache_is_ready(
        {
            "cache_status": "fresh",
            "last_refresh_started": "2026-01-01T00:00:05Z",
            "last_refresh_finished": "2026-01-01T00:00:02Z",
        }
    )
    assert not cache_is_ready({"cache_status": None})
    assert cache_is_ready({"cache_status": "true"})
    assert cache_is_ready({"cache_status": "cached", "last_refresh_started": None})


# -- run_sync_and_wait / wait_for_execution -------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_run_sync_and_wait_returns_exact_counts(sandbox: RunningSandbox, mode: str) -> None:
    progress = Progress()
    async with Client(seed_server(sandbox.base_url, f"run-{mode}"), mode=mode) as client:
        seed = await setup_seed(client, run=False)
        result = await client.call_tool("run_sync_and_wait", {"sync_id": seed.sync_id}, progress_callback=progress)
    report = result.structured_content
    assert report is not None and report["finished"] is True, text_of(result)
    counts = report["execution"]["counts"]
    assert report["execution"]["status"] == "completed"
    assert counts["total"] == 300 and counts["error"] == 3
    assert counts.get("insert", 0) + counts.get("update", 0) + counts["error"] == counts["total"]
    assert "diagnose_sync" in report["next"]
    assert progress.events and progress.events[-1][0] == 300


async def test_run_sync_and_wait_joins_an_execution_already_running(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, "join")) as client:
        seed = await setup_seed(client, run=False)
        started = await client.call_tool("model_sync_start", {"sync_id": seed.sync_id})
        execution_id = started.structured_content["data"]["id"]  # type: ignore[index]
        joined = await client.call_tool("run_sync_and_wait", {"sync_id": seed.sync_id})
        executions = await client.call_tool(
            "call_read_operation", {"operation": "model_sync_executions_list", "arguments": {"sync_id": seed.sync_id}}
        )
    report = joined.structured_content
    assert report is not None, text_of(joined)
    assert report["execution"]["id"] == execution_id
    assert "already running" in report["note"]
    assert len(executions.structured_content["data"]) == 1  # type: ignore[index]


async def test_wait_for_execution_returns_the_running_state_at_its_timeout() -> None:
    with start_sandbox(SandboxConfig(clock="step", execution_run_seconds=100_000)) as sandbox:
        async with Client(seed_server(sandbox.base_url, "slow-run")) as client:
            seed = await setup_seed(client, run=False)
            started = await client.call_tool("model_sync_start", {"sync_id": seed.sync_id})
            execution_id = started.structured_content["data"]["id"]  # type: ignore[index]
            result = await client.call_tool(
                "wait_for_execution", {"sync_id": seed.sync_id, "execution_id": execution_id, "timeout_s": 0.3}
            )
    report = result.structured_content
    assert report is not None and report["finished"] is False, text_of(result)
    assert report["execution"]["status"] in ("queued", "running")
    assert "call wait_for_execution" in report["next"]


async def test_unknown_sync_gives_an_error_with_a_next_step(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, "unknown")) as client:
        result = await client.call_tool("run_sync_and_wait", {"sync_id": "00000000-0000-0000-0000-000000000000"})
    assert result.is_error
    assert "404" in text_of(result) and "find_resources" in text_of(result)


# -- the demo -------------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_runs_end_to_end_and_checks_salesforce() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "polytomic_mcp", "demo", "--clock", "step"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert "demo OK: Salesforce matches the CSV" in out
    assert "0 wrong" in out and "created" in out and "Old Name0 → Grace Lovelace" in out
    for step in (
        "connections_create",
        "wait_schema_ready",
        "models_create",
        "model_sync_create",
        "run_sync_and_wait",
        "sync_gcs_csv_to_salesforce again",
    ):
        assert step in out


async def test_a_slow_api_never_makes_a_wait_overrun_its_timeout() -> None:
    with start_sandbox(SandboxConfig(clock="real", schema_cache_seconds=600)) as sandbox:
        server = build_server(Settings(api_key="slow-api", sandbox=True, poll_interval=0.1), sandbox.base_url)
        async with Client(server) as client:
            gcs = await create_gcs_connection(client)
            await set_faults(sandbox.base_url, "slow-api", latency_ms=700)
            started = time.monotonic()
            result = await client.call_tool("wait_schema_ready", {"connection_ids": [gcs], "timeout_s": 1.8})
            elapsed = time.monotonic() - started
    # The first check takes ~1.4 s (connection, then status); the poll that starts at ~1.5 s
    # would end at ~2.2 s, but the deadline cuts it at 1.8 s.
    assert result.structured_content["ready"] is False  # type: ignore[index]
    assert elapsed < 2.0
