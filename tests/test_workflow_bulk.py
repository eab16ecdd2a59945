"""Bulk syncs in the workflow tools, through a real MCP client session against the sandbox:
run_sync_and_wait starts and waits for a bulk execution, wait_for_execution waits on one,
diagnose_sync explains one, and an id that is neither kind of sync is refused by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from tests.guard_support import text_of
from tests.seed_setup import (
    create_gcs_connection,
    create_salesforce_connection,
    data,
    seed_server,
    wait_until_fresh,
)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


async def create_bulk_sync(client: Client) -> str:
    salesforce = await create_salesforce_connection(client)
    gcs = await create_gcs_connection(client)
    await wait_until_fresh(client, salesforce)
    created = await data(
        client,
        "bulk_sync_create",
        {
            "name": "Salesforce to GCS",
            "source_connection_id": salesforce,
            "destination_connection_id": gcs,
            "destination_configuration": {},
            "default_schedule": {"frequency": "manual"},
        },
    )
    return str(created["id"])


async def structured(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error and result.structured_content is not None, text_of(result)
    return result.structured_content


async def test_run_sync_and_wait_runs_a_bulk_sync_to_the_end(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, "bulk-run")) as client:
        bulk_id = await create_bulk_sync(client)
        report = await structured(client, "run_sync_and_wait", {"sync_id": bulk_id, "timeout_s": 60})
        listed = await data(client, "bulk_sync_executions_list", {"bulk_sync_id": bulk_id})
    assert report["kind"] == "bulk_sync" and report["sync_id"] == bulk_id
    assert report["finished"] is True, report
    execution = report["execution"]
    assert execution["status"] == "completed", report
    assert execution["counts"]["schemas"] >= 1
    # The run the report describes is the one Polytomic holds.
    assert [run["id"] for run in listed] == [execution["id"]]
    assert report["next"] == "Done."


async def test_wait_for_execution_and_diagnose_answer_for_a_bulk_sync(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, "bulk-wait")) as client:
        bulk_id = await create_bulk_sync(client)
        never_run = await structured(client, "diagnose_sync", {"sync_id": bulk_id})
        started = await data(client, "bulk_sync_start", {"bulk_sync_id": bulk_id})
        waited = await structured(
            client, "wait_for_execution", {"sync_id": bulk_id, "execution_id": started["id"], "timeout_s": 60}
        )
        diagnosis = await structured(client, "diagnose_sync", {"sync_id": bulk_id})
    assert never_run["execution"] is None
    assert any("never run" in step and "run_sync_and_wait" in step for step in never_run["next_steps"])
    assert waited["execution"]["id"] == started["id"] and waited["finished"] is True
    assert diagnosis["sync"]["kind"] == "bulk_sync" and diagnosis["sync"]["id"] == bulk_id
    assert diagnosis["execution"]["id"] == started["id"]
    assert [row["id"] for row in diagnosis["trend"]["runs"]] == [started["id"]]
    assert {row["role"] for row in diagnosis["connections"]} == {"source", "destination"}
    assert all(row["healthy"] for row in diagnosis["connections"])


async def test_an_id_that_is_no_sync_is_refused_with_the_lookup_to_use(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, "bulk-missing")) as client:
        result = await client.call_tool("run_sync_and_wait", {"sync_id": "00000000-0000-0000-0000-000000000000"})
        runs = await client.call_tool("model_sync_executions_list", {"sync_id": "00000000-0000-0000-0000-000000000000"})
    assert result.is_error
    message = text_of(result)
    assert "no bulk sync" in message and "find_resources" in message
    assert runs.is_error  # nothing was started under that id
