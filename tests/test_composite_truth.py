"""sync_gcs_csv_to_salesforce never reports a plan the sync does not have.

A second call with other settings updates the sync (after the user confirms the diff) or
says, as an error, what differs and what would change it; a dry run reports exists /
would_update / would_create truthfully; a second sync writing the same records is named;
failures name the step and the tool's own argument; and a run is never started when the
"did it already run fine?" check cannot be answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from tests.guard_support import User, text_of
from tests.seed_setup import SEED_BUCKET, SEED_DOMAIN, SEED_FILE, SERVICE_ACCOUNT_JSON, authorize

ERAS = ["auto", "legacy"]


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def server(sandbox: RunningSandbox, key: str, transport: httpx.AsyncBaseTransport | None = None) -> Any:
    settings = Settings(api_key=key, sandbox=True, poll_interval=0.01)
    return build_server(settings, sandbox.base_url, transport)


def inputs(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "csv_key": SEED_FILE,
        "bucket": SEED_BUCKET,
        "service_account_json": SERVICE_ACCOUNT_JSON,
        "salesforce_domain": SEED_DOMAIN,
        "field_mappings": {"first_name": "FirstName", "last_name": "LastName"},
        "run": "never",
    }
    return {key: value for key, value in {**base, **changes}.items() if value is not None}  # None: left out


async def set_up(client: Client) -> dict[str, Any]:
    """The composite until the sync exists (the test's browser opens the auth_url)."""
    first = await client.call_tool("sync_gcs_csv_to_salesforce", inputs())
    payload = first.structured_content
    assert payload is not None, text_of(first)
    if payload["status"] == "needs_authorization":
        await authorize(payload["auth_url"])
        payload = (await client.call_tool("sync_gcs_csv_to_salesforce", inputs())).structured_content
    assert payload is not None and payload["status"] == "ready", payload
    return payload


async def sync_fields(client: Client, sync_id: str) -> dict[str, str]:
    got = (await client.call_tool("model_sync_get", {"sync_id": sync_id})).structured_content
    assert got is not None
    return {row["source"]["field"]: row["target"] for row in got["data"]["fields"]}


@pytest.mark.parametrize("mode", ERAS)
async def test_a_changed_mapping_is_applied_once_the_user_confirms(sandbox: RunningSandbox, mode: str) -> None:
    user = User("accept")
    async with Client(server(sandbox, f"apply-{mode}"), mode=mode, elicitation_callback=user) as client:
        sync_id = (await set_up(client))["sync_id"]
        changed = inputs(field_mappings={"first_name": "FirstName", "last_name": "LastName", "company": "Title"})
        result = await client.call_tool("sync_gcs_csv_to_salesforce", changed)
        fields = await sync_fields(client, sync_id)
    payload = result.structured_content
    assert not result.is_error and payload is not None, text_of(result)
    assert payload["status"] == "ready" and payload["sync_id"] == sync_id
    step = next(row for row in payload["steps"] if row["step"] == "sync")
    assert step["status"] == "updated" and step["id"] == sync_id
    assert [c["argument"] for c in payload["changes"]] == ["field_mappings"]
    assert payload["changes"][0]["requested"]["company"] == "Title"
    assert fields == {"first_name": "FirstName", "last_name": "LastName", "company": "Title"}  # applied
    assert any("company" in message and "Title" in message for message in user.messages)  # the diff was shown


@pytest.mark.parametrize("answer", ["decline", "cancel"])
async def test_an_unconfirmed_change_is_an_error_naming_each_difference(sandbox: RunningSandbox, answer: str) -> None:
    async with Client(server(sandbox, f"refuse-{answer}"), elicitation_callback=User(answer)) as client:  # type: ignore[arg-type]
        sync_id = (await set_up(client))["sync_id"]
        changed = inputs(mode="update", schedule={"frequency": "daily", "hour": "05"})
        result = await client.call_tool("sync_gcs_csv_to_salesforce", changed)
        got = (await client.call_tool("model_sync_get", {"sync_id": sync_id})).structured_content
    payload = result.structured_content
    assert result.is_error and payload is not None and payload["status"] == "not_updated", text_of(result)
    assert {d["argument"] for d in payload["differences"]} == {"mode", "schedule"}
    assert "model_sync_update" in payload["next"]
    assert got is not None and got["data"]["mode"] == "updateOrCreate"  # nothing changed


async def test_a_client_that_cannot_ask_gets_no_update(sandbox: RunningSandbox) -> None:
    async with Client(server(sandbox, "no-elicitation")) as client:
        sync_id = (await set_up(client))["sync_id"]
        result = await client.call_tool(
            "sync_gcs_csv_to_salesforce", inputs(schedule={"frequency": "daily", "hour": "05"})
        )
        got = (await client.call_tool("model_sync_get", {"sync_id": sync_id})).structured_content
    assert result.is_error and result.structured_content is not None
    assert result.structured_content["status"] == "not_updated"
    assert [d["argument"] for d in result.structured_content["differences"]] == ["schedule"]
    assert got is not None and got["data"]["schedule"]["frequency"] == "manual"


async def test_a_dry_run_says_exists_would_update_and_would_create_truthfully(sandbox: RunningSandbox) -> None:
    async with Client(server(sandbox, "dry-runs")) as client:
        fresh = (await client.call_tool("sync_gcs_csv_to_salesforce", inputs(dry_run=True))).structured_content
        sync_id = (await set_up(client))["sync_id"]
        same = (await client.call_tool("sync_gcs_csv_to_salesforce", inputs(dry_run=True))).structured_content
        other = (
            await client.call_tool("sync_gcs_csv_to_salesforce", inputs(dry_run=True, mode="create"))
        ).structured_content
        fields = await sync_fields(client, sync_id)
    assert fresh is not None and same is not None and other is not None

    def statuses(payload: dict[str, Any]) -> dict[str, str]:
        return {row["step"]: row["status"] for row in payload["steps"]}

    assert statuses(fresh) | {} == {
        "gcs_connection": "would_create",
        "salesforce_connection": "would_create",
        "csv_file": "exists",  # the sandbox says what the bucket holds before any connection exists
        "model": "would_create",
        "sync": "would_create",
    }
    assert statuses(same)["model"] == "exists" and statuses(same)["sync"] == "exists" and "differences" not in same
    assert statuses(other)["sync"] == "would_update"
    assert other["differences"] == [{"argument": "mode", "current": "updateOrCreate", "requested": "create"}]
    assert fields == {"first_name": "FirstName", "last_name": "LastName"}  # a dry run changes nothing


async def test_another_sync_writing_the_same_records_is_named(sandbox: RunningSandbox) -> None:
    async with Client(server(sandbox, "two-writers")) as client:
        payload = await set_up(client)
        sync = (await client.call_tool("model_sync_get", {"sync_id": payload["sync_id"]})).structured_content
        assert sync is not None
        body = {k: v for k, v in sync["data"].items() if k in ("mode", "target", "identity", "fields", "schedule")}
        copy = await client.call_tool("model_sync_create", {**body, "name": "Someone else's copy"})
        assert not copy.is_error, text_of(copy)
        again = (await client.call_tool("sync_gcs_csv_to_salesforce", inputs())).structured_content
    assert again is not None and again["status"] == "ready"
    (warning,) = again["warnings"]
    assert "Someone else's copy" in warning and SEED_FILE in warning and "Contact" in warning


async def test_failures_name_the_step_and_the_tools_own_argument(sandbox: RunningSandbox) -> None:
    async with Client(server(sandbox, "steps")) as client:
        no_key = await client.call_tool("sync_gcs_csv_to_salesforce", inputs(service_account_json=None))
        await set_up(client)  # a GCS connection to the seed bucket now exists: that bucket is in reach
        no_bucket = await client.call_tool("sync_gcs_csv_to_salesforce", inputs(bucket="no-such-bucket"))
        bad_domain = await client.call_tool("sync_gcs_csv_to_salesforce", inputs(salesforce_domain="ftp://acme"))
    assert no_key.is_error and no_key.structured_content is not None
    assert no_key.structured_content["steps"][-1] == {
        "step": "gcs_connection",
        "status": "failed",
        "detail": no_key.structured_content["steps"][-1]["detail"],
    }
    assert "service_account_json: is needed to create the GCS connection" in no_key.structured_content["next"]
    assert "configuration.service_account" not in text_of(no_key)
    missing = no_bucket.structured_content
    assert no_bucket.is_error and missing is not None and missing["steps"][-1]["step"] == "gcs_connection"
    assert SEED_BUCKET in missing["buckets_in_reach"]  # the buckets it can see, for the next try
    assert bad_domain.is_error and "salesforce_domain: takes http:// or https://" in text_of(bad_domain)


async def test_connections_are_reused_whatever_the_spelling(sandbox: RunningSandbox) -> None:
    async with Client(server(sandbox, "spellings")) as client:
        first = await set_up(client)
        respelt = inputs(bucket=f"gs://{SEED_BUCKET}/", salesforce_domain=f"https://{SEED_DOMAIN.upper()}/lightning")
        again = (await client.call_tool("sync_gcs_csv_to_salesforce", respelt)).structured_content
        listed = (await client.call_tool("connections_list", {})).structured_content
    assert again is not None and again["status"] == "ready" and again["sync_id"] == first["sync_id"]
    assert {row["step"]: row["status"] for row in again["steps"]}["gcs_connection"] == "reused"
    assert listed is not None and len(listed["data"]) == 2  # no second connection for the other spellings


class StatusFails(httpx.AsyncHTTPTransport):
    """The real transport, except that a sync's status can never be read (503 every time)."""

    def __init__(self) -> None:
        super().__init__()
        self.starts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path.startswith("/api/syncs/") and path.endswith("/status"):
            return httpx.Response(503, json={"status": 503, "message": "unavailable", "key": "unavailable"})
        if request.method == "POST" and path.endswith("/executions"):
            self.starts += 1
        return await super().handle_async_request(request)


async def test_an_unanswerable_already_ran_check_starts_nothing(sandbox: RunningSandbox) -> None:
    transport = StatusFails()
    settings = Settings(api_key="fail-closed", sandbox=True, poll_interval=0.01, max_retries=1, retry_budget=2)
    async with Client(build_server(settings, sandbox.base_url, transport)) as client:
        await set_up(client)
        result = await client.call_tool("sync_gcs_csv_to_salesforce", inputs(run="if_needed"))
    payload = result.structured_content
    assert result.is_error and payload is not None and payload["status"] == "failed", text_of(result)
    assert payload["steps"][-1]["step"] == "run" and "503" in payload["next"]
    assert transport.starts == 0  # fail closed: no run was started


async def test_a_dry_run_names_the_files_when_the_csv_is_not_in_the_bucket(sandbox: RunningSandbox) -> None:
    async with Client(server(sandbox, "dry-missing-file")) as client:
        result = await client.call_tool("sync_gcs_csv_to_salesforce", inputs(csv_key="users.csv", dry_run=True))
        connections = (await client.call_tool("connections_list", {})).structured_content
    assert result.is_error
    payload = result.structured_content
    assert payload is not None and payload["status"] == "invalid_plan"
    assert payload["steps"][-1] == {
        "step": "csv_file",
        "status": "failed",
        "detail": "'users.csv' not found in the bucket",
    }
    assert f"csv_key: {SEED_FILE}" in text_of(result)
    assert connections is not None and connections["data"] == []  # a dry run creates nothing


class FirstConnectionReadFails(httpx.AsyncHTTPTransport):
    """The real transport, except that reading a connection answers 503 until `heal` is called:
    the Salesforce connection is created, then the read-back fails."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self.broken and request.method == "GET" and path.startswith("/api/connections/") and path.count("/") == 3:
            return httpx.Response(503, json={"status": 503, "message": "unavailable", "key": "unavailable"})
        return await super().handle_async_request(request)


async def test_the_sign_in_link_survives_a_failed_step_after_the_create(sandbox: RunningSandbox) -> None:
    transport = FirstConnectionReadFails()
    settings = Settings(api_key="link-kept", sandbox=True, poll_interval=0.01, max_retries=1, retry_budget=2)
    async with Client(build_server(settings, sandbox.base_url, transport)) as client:
        failed = await client.call_tool("sync_gcs_csv_to_salesforce", inputs())
        transport.broken = False
        payload = failed.structured_content
        assert failed.is_error and payload is not None and payload["status"] == "failed", text_of(failed)
        assert payload["steps"][-1]["step"] == "salesforce_authorization"
        await authorize(payload["auth_url"])  # the user opens the link the failed answer still carries
        done = (await client.call_tool("sync_gcs_csv_to_salesforce", inputs())).structured_content
    assert done is not None and done["status"] == "ready", done
    assert "auth_url" not in done  # spent once the user signed in


async def test_a_plan_mapping_into_a_lookup_says_what_it_takes(sandbox: RunningSandbox) -> None:
    async with Client(server(sandbox, "plan-lookup")) as client:
        await set_up(client)
        mapping = {"last_name": "LastName", "company": "AccountId"}
        result = await client.call_tool("sync_gcs_csv_to_salesforce", inputs(field_mappings=mapping, dry_run=True))
    payload = result.structured_content
    assert payload is not None and payload["status"] == "planned", text_of(result)
    assert set(payload["plan"]["lookups"]) == {"AccountId"}
    assert "id of an existing Account record, not its name" in payload["plan"]["lookups"]["AccountId"]
