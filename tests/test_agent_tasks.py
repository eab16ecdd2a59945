"""The six chat tasks an agent does with this server, as fixed tool-call sequences through a
real MCP client session against the sandbox.

Each task is what a careful agent would call, given only the instructions, tools/list and
the results; the test asserts the final state in the sandbox (Salesforce records, syncs,
runs), the number of calls and the tokens the agent reads and writes (arguments + text
results, cl100k). The figures print with `pytest -s` (one line per task) and are bounded
so a regression that makes a task longer or wordier fails.

1. set up the GCS → Salesforce sync          4. set up a bulk sync
2. explain the failing rows of a sync        5. list the syncs and their failures
3. change the mapping of a sync              6. delete a sync
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import httpx
import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.tokens import count_tokens
from tests.guard_support import User, text_of
from tests.seed_setup import (
    SEED_BUCKET,
    SEED_DOMAIN,
    SEED_FILE,
    SERVICE_ACCOUNT_JSON,
    SeedIds,
    authorize,
    seed_server,
    setup_seed,
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


@dataclass
class Agent:
    """The agent's side of a session: every call it makes, and what it costs in tokens."""

    client: Client
    calls: int = 0
    tokens: int = 0
    transcript: list[str] = field(default_factory=list)

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        result = await self.client.call_tool(tool, arguments)
        self.calls += 1
        self.tokens += count_tokens(json.dumps(arguments)) + count_tokens(text_of(result))
        self.transcript.append(tool)
        assert not result.is_error, f"{tool}: {text_of(result)}"
        assert result.structured_content is not None, tool
        return result.structured_content

    async def refused(self, tool: str, **arguments: Any) -> str:
        result = await self.client.call_tool(tool, arguments)
        self.calls += 1
        self.tokens += count_tokens(json.dumps(arguments)) + count_tokens(text_of(result))
        self.transcript.append(f"{tool} (error)")
        assert result.is_error, f"{tool} was expected to fail"
        return text_of(result)

    def report(self, task: str, max_calls: int, max_tokens: int) -> None:
        print(f"\nagent task {task}: {self.calls} calls, {self.tokens} tokens ({' → '.join(self.transcript)})")
        assert self.calls <= max_calls, self.transcript
        assert self.tokens <= max_tokens


async def seeded(sandbox: RunningSandbox, key: str, run: bool) -> SeedIds:
    """The seed's objects in the tenant `key`, set up before the agent's session starts."""
    async with Client(seed_server(sandbox.base_url, key)) as setup:
        return await setup_seed(setup, run=run)


def seed_rows() -> list[dict[str, str]]:
    text = resources.files("polytomic_mcp.sandbox.seeds").joinpath(SEED_FILE).read_text()
    return list(csv.DictReader(text.splitlines()))


def contacts(sandbox: RunningSandbox, key: str) -> dict[str, dict[str, Any]]:
    """The org's Contacts by lower-case email, read from the sandbox as a scorer would."""
    response = httpx.get(
        f"{sandbox.base_url}/sandbox/salesforce/objects/Contact/records",
        params={"domain": SEED_DOMAIN, "limit": 5000},
        headers={"Authorization": f"Bearer {key}"},
    )
    response.raise_for_status()
    return {str(r["Email"]).lower(): r for r in response.json()["data"]["records"] if r.get("Email")}


def composite_inputs(**changes: Any) -> dict[str, Any]:
    return {
        "csv_key": SEED_FILE,
        "bucket": SEED_BUCKET,
        "service_account_json": SERVICE_ACCOUNT_JSON,
        "salesforce_domain": SEED_DOMAIN,
        "field_mappings": {"first_name": "FirstName", "last_name": "LastName"},
        **changes,
    }


async def test_task_1_set_up_the_gcs_to_salesforce_sync(sandbox: RunningSandbox) -> None:
    key = "task-setup"
    async with Client(seed_server(sandbox.base_url, key)) as client:
        agent = Agent(client)
        world = await agent.call("whoami")
        assert SEED_FILE in world["world"]["buckets"][-1]["files"]
        plan = await agent.call("sync_gcs_csv_to_salesforce", **composite_inputs(dry_run=True))
        assert plan["status"] == "planned"
        asked = await agent.call("sync_gcs_csv_to_salesforce", **composite_inputs())
        assert asked["status"] == "needs_authorization"
        await authorize(asked["auth_url"])  # the user opens the link
        done = await agent.call("sync_gcs_csv_to_salesforce", **composite_inputs())
    # The seed CSV plants two rows Salesforce refuses (no email, a malformed one): named, not hidden.
    assert done["status"] == "completed_with_errors", done
    assert done["execution"]["counts"]["error"] == 2
    found = contacts(sandbox, key)
    # Every valid row is a Contact with its names (a repeated email: the later row wins).
    expected = {row["email"].strip().lower(): row for row in seed_rows() if "@" in row["email"]}
    assert len(expected) == 297  # 300 rows: one without an email, one malformed, one repeated
    assert {email: (found[email]["FirstName"], found[email]["LastName"]) for email in expected} == {
        email: (row["first_name"], row["last_name"]) for email, row in expected.items()
    }
    agent.report("1 set up", max_calls=4, max_tokens=2200)


async def test_task_2_explain_the_failing_rows(sandbox: RunningSandbox) -> None:
    key = "task-explain"
    seed = await seeded(sandbox, key, run=True)
    async with Client(seed_server(sandbox.base_url, key)) as client:
        agent = Agent(client)
        found = await agent.call("find_resources", query="High payers", kinds=["syncs"])
        sync = found["results"][0]
        assert sync["id"] == seed.sync_id and sync["last_run"]["errors"] == 3
        diagnosis = await agent.call("diagnose_sync", sync_id=sync["id"])
    causes = {group["category"] for group in diagnosis["errors"]["causes"]}
    assert {"missing_identity", "type_mismatch"} <= causes, causes
    assert diagnosis["errors"]["total"] == 3
    agent.report("2 explain failing rows", max_calls=2, max_tokens=1400)


async def test_task_3_change_the_mapping(sandbox: RunningSandbox) -> None:
    key = "task-mapping"
    seed = await seeded(sandbox, key, run=False)
    user = User("accept")
    async with Client(seed_server(sandbox.base_url, key), elicitation_callback=user) as client:
        agent = Agent(client)
        found = await agent.call("find_resources", query="High payers", kinds=["syncs"])
        sync_id = found["results"][0]["id"]
        current = (await agent.call("model_sync_get", sync_id=sync_id))["data"]
        fields = [row for row in current["fields"] if row["target"] != "Monthly_Spend__c"]
        fields.append({"source": {"field": "company", "model_id": seed.model_id}, "target": "Title"})
        replacement = {k: current[k] for k in ("name", "target", "mode", "schedule", "identity")}
        await agent.call("model_sync_update", sync_id=sync_id, fields=fields, **replacement)
        after = (await agent.call("model_sync_get", sync_id=sync_id))["data"]
    targets = {row["source"]["field"]: row["target"] for row in after["fields"]}
    assert targets == {"first_name": "FirstName", "last_name": "LastName", "company": "Title"}
    assert after["identity"]["target"] == "Email" and after["mode"] == "updateOrCreate"
    assert len(user.shown) == 1 and "Title" in user.messages[0]  # the user saw the diff and said yes
    agent.report("3 change mapping", max_calls=4, max_tokens=2400)


async def test_task_4_set_up_a_bulk_sync(sandbox: RunningSandbox) -> None:
    key = "task-bulk"
    seed = await seeded(sandbox, key, run=False)
    async with Client(seed_server(sandbox.base_url, key)) as client:
        agent = Agent(client)
        found = await agent.call("find_resources", kinds=["connections"])
        ids = {row["type"]: row["id"] for row in found["results"]}
        body = {
            "name": "Salesforce to GCS",
            "source_connection_id": ids["salesforce"],
            "destination_connection_id": ids["gcs"],
            "destination_configuration": {},
            "default_schedule": {"frequency": "manual"},
        }
        created = await agent.call("call_write_operation", operation="bulk_sync_create", arguments=body)
        bulk_id = created["data"]["id"]
        run = await agent.call("run_sync_and_wait", sync_id=bulk_id, timeout_s=60)
        listed = await agent.call("find_resources", kinds=["bulk_syncs"])
    assert ids == {"salesforce": seed.salesforce_connection_id, "gcs": seed.gcs_connection_id}
    assert run["kind"] == "bulk_sync" and run["execution"]["status"] == "completed"
    assert listed["results"][0]["last_run"]["id"] == run["execution"]["id"]
    agent.report("4 bulk sync", max_calls=4, max_tokens=1400)


async def test_task_5_list_the_syncs_and_their_failures(sandbox: RunningSandbox) -> None:
    key = "task-audit"
    seed = await seeded(sandbox, key, run=True)
    async with Client(seed_server(sandbox.base_url, key, access_mode="read-only")) as client:
        agent = Agent(client)
        listed = await agent.call("find_resources", kinds=["syncs", "bulk_syncs"])
    (row,) = listed["results"]
    assert row["id"] == seed.sync_id and row["last_run"]["status"] == "completed" and row["last_run"]["errors"] == 3
    agent.report("5 list syncs and failures", max_calls=1, max_tokens=300)


async def test_task_6_delete_a_sync(sandbox: RunningSandbox) -> None:
    key = "task-delete"
    seed = await seeded(sandbox, key, run=False)
    user = User("accept")
    async with Client(seed_server(sandbox.base_url, key), elicitation_callback=user) as client:
        agent = Agent(client)
        found = await agent.call("find_resources", query="High payers", kinds=["syncs"])
        deleted = await agent.call("model_sync_delete", sync_id=found["results"][0]["id"])
        gone = await agent.refused("model_sync_get", sync_id=seed.sync_id)
        model = await agent.call("models_get", model_id=seed.model_id)
    assert "404" in gone or "not found" in gone.lower()
    assert model["data"]["id"] == seed.model_id  # what the sync used stays, and the answer says so
    assert seed.model_id in json.dumps(deleted)
    assert len(user.shown) == 1
    agent.report("6 delete", max_calls=4, max_tokens=2200)
