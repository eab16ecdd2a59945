"""sync_gcs_csv_to_salesforce against the sandbox (step clock), through the real MCP client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp.client import Client
from mcp.types import ElicitRequestURLParams, ElicitResult

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.server import PolytomicServer, build_server
from polytomic_mcp.settings import Settings
from tests.support import set_faults

KEY = "workflow-tenant"
SERVICE_ACCOUNT = {
    "type": "service_account",
    "project_id": "acme",
    "client_email": "etl@acme.iam.gserviceaccount.com",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIIsecretmaterial\n-----END PRIVATE KEY-----\n",
}
SECRET_MARKER = "MIIsecretmaterial"
ARGS: dict[str, Any] = {
    "csv_key": "high_paying_users.csv",
    "bucket": "sandbox-exports",
    "service_account_json": json.dumps(SERVICE_ACCOUNT),
    "salesforce_domain": "acme.my.salesforce.com",
}


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def server_for(sandbox: RunningSandbox, **settings: Any) -> PolytomicServer:
    base = {"api_key": KEY, "sandbox": True, "poll_interval": 0.01}
    return build_server(Settings(**{**base, **settings}), sandbox.base_url)


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def records(sandbox: RunningSandbox, **where: str) -> dict[str, Any]:
    params = {"domain": "acme.my.salesforce.com", **{f"where.{k}": v for k, v in where.items()}}
    response = httpx.get(
        f"{sandbox.base_url}/sandbox/salesforce/objects/Contact/records",
        params=params,
        headers={"Authorization": f"Bearer {KEY}"},
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()["data"]
    return body


async def counts(client: Client) -> dict[str, int]:
    """How many connections, models and syncs the tenant has."""
    connections = (await client.call_tool("connections_list", {})).structured_content
    models = (await client.call_tool("call_read_operation", {"operation": "models_list"})).structured_content
    syncs = (await client.call_tool("call_read_operation", {"operation": "model_sync_list"})).structured_content
    return {
        "connections": len(connections["data"]),  # type: ignore[index]
        "models": len(models["data"]),  # type: ignore[index]
        "syncs": len(syncs["data"]),  # type: ignore[index]
    }


def authorize(url: str) -> None:
    """What the user's browser does with the auth_url."""
    response = httpx.get(url, follow_redirects=True)
    assert response.status_code == 200


async def test_oauth_pause_then_resume_completes_and_writes_contacts(sandbox: RunningSandbox) -> None:
    before = records(sandbox)
    async with Client(server_for(sandbox)) as client:
        first = await client.call_tool("sync_gcs_csv_to_salesforce", ARGS)
        assert not first.is_error, text_of(first)
        report = first.structured_content
        assert report is not None and report["status"] == "needs_authorization"
        assert report["auth_url"].startswith(sandbox.base_url + "/sandbox/oauth/authorize")
        assert [s["step"] for s in report["steps"]] == [
            "gcs_connection",
            "salesforce_connection",
            "salesforce_authorization",
        ]
        authorize(report["auth_url"])
        second = await client.call_tool("sync_gcs_csv_to_salesforce", ARGS)
    final = second.structured_content
    assert final is not None, text_of(second)
    assert final["status"] == "completed_with_errors"
    statuses = {s["step"]: s["status"] for s in final["steps"]}
    assert statuses["gcs_connection"] == "reused" and statuses["salesforce_connection"] == "reused"
    assert statuses["model"] == "created" and statuses["sync"] == "created" and statuses["run"] == "started"
    assert final["plan"]["identity"] == "email → Email (Equality)"
    assert final["plan"]["fields"]["first_name"] == "FirstName"
    execution = final["execution"]
    assert execution["status"] == "completed"
    assert execution["counts"]["error"] >= 1
    assert (
        execution["counts"]["insert"] + execution["counts"]["update"] + execution["counts"]["error"]
        == (execution["counts"]["total"])
    )
    after = records(sandbox)
    assert after["total"] == before["total"] + execution["counts"]["insert"]
    # An existing contact was updated from the CSV (its seeded first name was "Old").
    updated = records(sandbox, Email="grace.lovelace0@example.com")["records"]
    assert updated and updated[0]["FirstName"] != "Old"
    assert SECRET_MARKER not in text_of(first) + text_of(second)


async def test_rerun_with_same_inputs_creates_nothing_new(sandbox: RunningSandbox) -> None:
    async with Client(server_for(sandbox)) as client:
        first = await client.call_tool("sync_gcs_csv_to_salesforce", ARGS)
        authorize(first.structured_content["auth_url"])  # type: ignore[index]
        await client.call_tool("sync_gcs_csv_to_salesforce", ARGS)
        settled = await counts(client)
        total_before = records(sandbox)["total"]
        again = await client.call_tool("sync_gcs_csv_to_salesforce", ARGS)
        assert await counts(client) == settled == {"connections": 2, "models": 1, "syncs": 1}
    report = again.structured_content
    assert report is not None
    assert {s["step"]: s["status"] for s in report["steps"]}["run"] == "skipped"
    assert all(s["status"] in ("reused", "checked", "skipped") for s in report["steps"])
    assert report["status"] == "up_to_date" and report["execution"]["status"] == "completed"
    assert records(sandbox)["total"] == total_before


async def test_dry_run_creates_nothing_and_shows_the_plan(sandbox: RunningSandbox) -> None:
    async with Client(server_for(sandbox)) as client:
        empty = await client.call_tool("sync_gcs_csv_to_salesforce", {**ARGS, "dry_run": True})
        assert await counts(client) == {"connections": 0, "models": 0, "syncs": 0}
        assert empty.structured_content["status"] == "planned"  # type: ignore[index]
        # With the connections in place, a dry run checks the whole plan and still creates nothing.
        first = await client.call_tool("sync_gcs_csv_to_salesforce", {**ARGS, "run": "never"})
        authorize(first.structured_content["auth_url"])  # type: ignore[index]
        planned = await client.call_tool("sync_gcs_csv_to_salesforce", {**ARGS, "dry_run": True})
        assert await counts(client) == {"connections": 2, "models": 0, "syncs": 0}
    report = planned.structured_content
    assert report is not None and report["status"] == "planned"
    assert report["plan"]["fields"]["last_name"] == "LastName"
    assert "company" in report["plan"]["left_out"]
    assert {s["step"]: s["status"] for s in report["steps"]}["sync"] == "would_create"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"target_object": "Opportunity"}, "Choose target_object from: "),
        ({"identity_target_field": "FirstName"}, "Contact.FirstName cannot be an identity"),
        ({"identity_source_field": "mail"}, "identity source field 'mail' is not a column"),
        ({"field_mappings": {"first_name": "Nickname__c"}}, "'Nickname__c' is not a field of Contact"),
        ({"field_mappings": {"shoe_size": "FirstName"}}, "'shoe_size' is not a column of the CSV"),
        ({"csv_key": "missing.csv"}, "Use one of the bucket's files as csv_key: high_paying_users.csv"),
    ],
)
async def test_a_plan_that_cannot_work_stops_before_creating_a_model_or_sync(
    sandbox: RunningSandbox, change: dict[str, Any], expected: str
) -> None:
    async with Client(server_for(sandbox)) as client:
        first = await client.call_tool("sync_gcs_csv_to_salesforce", {**ARGS, "run": "never"})
        authorize(first.structured_content["auth_url"])  # type: ignore[index]
        bad = await client.call_tool("sync_gcs_csv_to_salesforce", {**ARGS, **change})
        assert await counts(client) == {"connections": 2, "models": 0, "syncs": 0}
    assert bad.is_error
    assert expected in text_of(bad)
    assert bad.structured_content["status"] == "invalid_plan"  # type: ignore[index]


async def test_missing_inputs_are_refused_before_any_call(sandbox: RunningSandbox) -> None:
    async with Client(server_for(sandbox)) as client:
        refused = await client.call_tool("sync_gcs_csv_to_salesforce", {"csv_key": "high_paying_users.csv"})
        wrong_type = await client.call_tool(
            "sync_gcs_csv_to_salesforce", {**ARGS, "service_account_json": 42, "mode": "upsert"}
        )
        assert await counts(client) == {"connections": 0, "models": 0, "syncs": 0}
    assert refused.is_error
    assert "bucket:" in text_of(refused) and "salesforce_domain:" in text_of(refused)
    assert wrong_type.is_error and "mode" in text_of(wrong_type)
    assert "42" not in text_of(wrong_type)  # rejected values are never echoed (they may be secrets)


async def test_short_timeout_returns_the_current_state() -> None:
    slow_schemas = SandboxConfig(clock="step", schema_cache_seconds=600)
    with start_sandbox(slow_schemas) as sandbox:
        async with Client(server_for(sandbox)) as client:
            first = await client.call_tool("sync_gcs_csv_to_salesforce", ARGS)
            authorize(first.structured_content["auth_url"])  # type: ignore[index]
            quick = await client.call_tool("sync_gcs_csv_to_salesforce", {**ARGS, "timeout_s": 0.5})
    report = quick.structured_content
    assert report is not None and not quick.is_error
    assert report["status"] == "waiting_for_schemas"
    assert "call sync_gcs_csv_to_salesforce again" in report["next"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_url_elicitation_lets_the_user_authorize_within_one_call(sandbox: RunningSandbox, mode: str) -> None:
    opened: list[str] = []

    async def user_opens_the_link(_context: Any, params: Any) -> ElicitResult:
        assert isinstance(params, ElicitRequestURLParams)
        opened.append(params.url)
        authorize(params.url)
        return ElicitResult(action="accept")

    async with Client(server_for(sandbox), mode=mode, elicitation_callback=user_opens_the_link) as client:
        result = await client.call_tool("sync_gcs_csv_to_salesforce", ARGS)
    report = result.structured_content
    assert len(opened) == 1 and opened[0].startswith(sandbox.base_url)
    assert report is not None and report["status"] == "completed_with_errors", text_of(result)
    assert {s["step"]: s["status"] for s in report["steps"]}["salesforce_authorization"] == "checked"


async def test_a_slow_api_ends_the_call_at_its_timeout_and_a_repeat_resumes(sandbox: RunningSandbox) -> None:
    async with Client(server_for(sandbox)) as client:
        first = await client.call_tool("sync_gcs_csv_to_salesforce", {**ARGS, "run": "never"})
        authorize(first.structured_content["auth_url"])  # type: ignore[index]
        await set_faults(sandbox.base_url, KEY, latency_ms=400)
        started = time.monotonic()
        cut = await client.call_tool("sync_gcs_csv_to_salesforce", {**ARGS, "timeout_s": 1.0})
        elapsed = time.monotonic() - started
        await set_faults(sandbox.base_url, KEY)
        resumed = await client.call_tool("sync_gcs_csv_to_salesforce", ARGS)
        assert await counts(client) == {"connections": 2, "models": 1, "syncs": 1}
    assert elapsed < 2.0  # the timeout plus the half-second grace, plus one slow answer at most
    report = cut.structured_content
    # Cut while waiting for schemas, or in a slow step: either way the current state and how to go on.
    assert report is not None and report["status"] in ("timed_out", "waiting_for_schemas")
    assert "sync_gcs_csv_to_salesforce again with the same inputs" in report["next"]
    assert [step["step"] for step in report["steps"]][:2] == ["gcs_connection", "salesforce_connection"]
    assert resumed.structured_content["status"] == "completed_with_errors"  # type: ignore[index]


async def test_a_step_slower_than_the_whole_timeout_is_cut_and_reported(sandbox: RunningSandbox) -> None:
    async with Client(server_for(sandbox)) as client:
        await set_faults(sandbox.base_url, KEY, latency_ms=3000)
        started = time.monotonic()
        cut = await client.call_tool("sync_gcs_csv_to_salesforce", {**ARGS, "timeout_s": 0.5})
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 1.5  # the timeout and the grace, not the 3-second answer
    report = cut.structured_content
    assert report is not None and report["status"] == "timed_out" and report["steps"] == []
    assert "Call sync_gcs_csv_to_salesforce again with the same inputs" in report["next"]
