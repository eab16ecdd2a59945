"""diagnose_sync against the sandbox (step clock), through the real SDK client, plus its
cause grouping and trend rules on their own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest
from mcp.client import Client

from polytomic_mcp.client import PolytomicClient
from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.settings import Settings
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.workflow.diagnose import Findings, error_direction, read_errors, trend_summary
from polytomic_mcp.tools.workflow.error_causes import cause_template, group_errors
from tests.guard_support import User
from tests.seed_setup import SEED_BUCKET, SEED_DOMAIN, SEED_FILE, result_text, run_to_end, seed_server, setup_seed
from tests.support import assert_rendered

Mode = Literal["auto", "legacy"]

# diagnose_sync should stay around 1,500 tokens for a typical failing sync (~4 characters a token).
TYPICAL_BUDGET_CHARS = 6000


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def tenant() -> str:
    return f"diagnose-{uuid.uuid4().hex[:12]}"


async def diagnose(client: Client, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool("diagnose_sync", arguments)
    assert not result.is_error, result_text(result)
    assert_rendered(result)
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def causes_by_category(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for cause in report["errors"]["causes"]:
        grouped.setdefault(cause["category"], []).append(cause)
    return grouped


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_record_errors_are_grouped_by_cause_with_advice(sandbox: RunningSandbox, mode: Mode) -> None:
    async with Client(seed_server(sandbox.base_url, tenant()), mode=mode) as client:
        seed = await setup_seed(client)
        result = await client.call_tool("diagnose_sync", {"sync_id": seed.sync_id})
        report = await diagnose(client, sync_id=seed.sync_id)

    assert len(result_text(result)) < TYPICAL_BUDGET_CHARS
    assert report["sync"]["target_object"] == "Contact"
    assert report["sync"]["identity"] == [{"source_field": "email", "target": "Email", "function": "Equality"}]
    execution = report["execution"]
    assert execution["id"] == seed.execution_id and execution["status"] == "completed"
    assert execution["counts"]["error"] == 3 and execution["counts"]["total"] == 300

    errors = report["errors"]
    assert errors["source"] == "execution errors"
    assert errors["total"] == 3 == sum(cause["count"] for cause in errors["causes"])
    by_category = causes_by_category(report)
    assert set(by_category) == {"missing_identity", "type_mismatch"}
    (identity,) = by_category["missing_identity"]
    assert identity["cause"] == "<record>: no value for the identity field (Email)"
    assert identity["example_record"].startswith("row ")
    values = {cause.get("example_value") for cause in by_category["type_mismatch"]}
    assert values == {"not-an-email", "n/a"}
    assert all("<value>" in cause["cause"] for cause in by_category["type_mismatch"])

    assert report["trend"]["summary"] == "only one run: completed with 3 record errors"
    steps = " ".join(report["next_steps"])
    assert "model filter on email (IsNotNull)" in steps
    assert f"polytomic://connections/{seed.salesforce_connection_id}/targets/Contact/fields" in steps
    assert {row["role"]: row["healthy"] for row in report["connections"]} == {"source": True, "target": True}


async def test_trend_over_runs_and_an_older_execution(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        seed = await setup_seed(client)
        second = await run_to_end(client, seed.sync_id)
        latest = await diagnose(client, sync_id=seed.sync_id, recent=5)
        older = await diagnose(client, sync_id=seed.sync_id, execution_id=seed.execution_id)
        only_one = await diagnose(client, sync_id=seed.sync_id, recent=1)

    runs = latest["trend"]["runs"]
    assert [run["id"] for run in runs] == [second["id"], seed.execution_id]
    assert all(run["errors"] == 3 and run["total"] == 300 for run in runs)
    # The second run updates the records the first one inserted; the same 3 rows fail again.
    assert latest["trend"]["summary"] == "2 of last 2 had record errors; errors steady"
    assert latest["execution"]["id"] == second["id"]
    assert latest["execution"]["counts"]["update"] > 0
    assert older["execution"]["id"] == seed.execution_id
    assert len(only_one["trend"]["runs"]) == 1


async def test_a_failed_run_names_the_changed_source(sandbox: RunningSandbox) -> None:
    key = tenant()
    async with Client(seed_server(sandbox.base_url, key)) as client:
        seed = await setup_seed(client)
        # The file loses its monthly_spend column, which the sync maps: the next run fails.
        await replace_seed_file(sandbox, key, b"email,first_name,last_name\nada@example.com,Ada,Lovelace\n")
        failed = await run_to_end(client, seed.sync_id)
        report = await diagnose(client, sync_id=seed.sync_id)

    assert failed["status"] == "failed"
    assert report["execution"]["status"] == "failed"
    (cause,) = report["errors"]["causes"]
    assert cause["category"] == "source_changed"
    assert cause["example_value"] == "monthly_spend"
    assert report["trend"]["summary"] == "1 of last 2 failed; 1 of last 2 had record errors"
    # A failed run also checks the schema caches of both connections.
    assert all(row["schema_cache"]["ready"] for row in report["connections"])
    assert any("models_update" in step for step in report["next_steps"])


async def test_an_unauthorized_target_says_to_reconnect(sandbox: RunningSandbox) -> None:
    # connections_update is destructive (a full replacement): the user confirms it.
    async with Client(seed_server(sandbox.base_url, tenant()), elicitation_callback=User("accept")) as client:
        seed = await setup_seed(client, run=False)
        # Reconnecting starts OAuth again: until the new auth_url is opened, the connection is unhealthy.
        reconnect = {
            "id": seed.salesforce_connection_id,
            "name": "Salesforce",
            "configuration": {"domain": SEED_DOMAIN},
            "reconnect": True,
        }
        reconnected = await client.call_tool("connections_update", reconnect)
        assert not reconnected.is_error, result_text(reconnected)
        report = await diagnose(client, sync_id=seed.sync_id)

    target = next(row for row in report["connections"] if row["role"] == "target")
    assert target["healthy"] is False and target["status"] == "unhealthy"
    assert "authorization required" in target["status_error"]
    first, *rest = report["next_steps"]
    assert first.startswith(f"The target connection {seed.salesforce_connection_id} is unhealthy: reconnect it")
    assert "auth_url" in first
    assert rest == [f"It has never run: run_sync_and_wait(sync_id='{seed.sync_id}')."]


async def replace_seed_file(sandbox: RunningSandbox, key: str, content: bytes) -> None:
    """Swap the seed CSV for `content` (the admin surface acts on the caller's tenant)."""
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {key}"}) as admin:
        replaced = await admin.post(
            f"/sandbox/buckets/{SEED_BUCKET}/files",
            params={"key": SEED_FILE},
            content=content,
            headers={"content-type": "text/csv"},
        )
    assert replaced.status_code == 200, replaced.text


async def test_many_errors_are_grouped_from_the_listed_sample(sandbox: RunningSandbox) -> None:
    key = tenant()
    header = "email,first_name,last_name,company,plan,monthly_spend,signup_date\n"
    no_email = "".join(f",Ann{n},Lee{n},Acme,pro,10,2024-01-01\n" for n in range(30))
    bad_spend = "".join(f"p{n}@example.com,Pat{n},Kim{n},Acme,pro,lots,2024-01-01\n" for n in range(15))
    async with Client(seed_server(sandbox.base_url, key)) as client:
        seed = await setup_seed(client, run=False)
        await replace_seed_file(sandbox, key, (header + no_email + bad_spend).encode())
        await run_to_end(client, seed.sync_id)
        report = await diagnose(client, sync_id=seed.sync_id)

    errors = report["errors"]
    assert report["execution"]["counts"]["error"] == 45
    listed = errors["total"]
    assert listed < 45 and listed == sum(cause["count"] for cause in errors["causes"])
    assert errors["sampled"].startswith(f"grouped the {listed} messages the execution lists, of 45 record errors")
    assert "model_sync_executions_get_log_urls" in errors["sampled"]
    assert report["next_steps"][0].startswith(f"At least {listed} records have no value for the identity")


async def test_console_log_stands_in_when_errors_are_not_listed(sandbox: RunningSandbox) -> None:
    """The sandbox always lists errors[]; the real API may not. Read a real run with them removed."""
    key = tenant()
    async with Client(seed_server(sandbox.base_url, key)) as client:
        seed = await setup_seed(client)
    assert seed.execution is not None
    settings = Settings(api_key=key, sandbox=True)
    http = PolytomicClient(base_url=sandbox.base_url)
    try:
        request = RequestContext.direct(settings, http)
        api = request.api
        unlisted = {**seed.execution, "errors": []}
        findings = Findings(sync={"id": seed.sync_id}, status={}, runs=[], execution=unlisted, hint=request.hints)
        await read_errors(api, seed.sync_id, unlisted, findings)
    finally:
        await http.aclose()

    assert findings.error_source == "console log"
    (group,) = findings.errors.groups
    assert group.cause == "Processed <n> records: <n> inserted, <n> updated, <n> deleted, <n> errors"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_sync_that_never_ran(sandbox: RunningSandbox, mode: Mode) -> None:
    async with Client(seed_server(sandbox.base_url, tenant()), mode=mode) as client:
        seed = await setup_seed(client, run=False)
        report = await diagnose(client, sync_id=seed.sync_id)

    assert report["execution"] is None
    assert "errors" not in report
    assert report["status"]["last_execution"] is None
    assert report["trend"] == {"runs": [], "summary": "never ran"}
    assert report["next_steps"] == [f"It has never run: run_sync_and_wait(sync_id='{seed.sync_id}')."]


async def test_unknown_sync_and_execution_ids_say_where_to_look(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        missing = await client.call_tool("diagnose_sync", {"sync_id": "00000000-0000-0000-0000-000000000000"})
        seed = await setup_seed(client)
        wrong_run = await client.call_tool("diagnose_sync", {"sync_id": seed.sync_id, "execution_id": "no-such-run"})

    assert missing.is_error
    assert "No model sync with id" in result_text(missing)
    assert "find_resources" in result_text(missing)
    assert wrong_run.is_error
    assert f"Recent executions: {seed.execution_id}" in result_text(wrong_run)


async def test_recent_is_bounded(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        result = await client.call_tool("diagnose_sync", {"sync_id": "x", "recent": 51})
    assert result.is_error
    assert "recent" in result_text(result)


# -- grouping and trend rules ----------------------------------------------------------


def test_templates_strip_record_values() -> None:
    assert (
        cause_template("row 7: Email: invalid email address 'bob@'") == "<record>: Email: invalid email address <value>"
    )
    assert cause_template("record 003Sb0000000042AAA rejected: 12 > 10") == "<record> rejected: <n> > <n>"
    assert cause_template("record rejected: 12 > 10") == "record rejected: <n> > <n>"
    assert cause_template("Upsert failed for ada@example.com (3fa85f64-5717-4562-b3fc-2c963f66afa6)") == (
        "Upsert failed for <email> (<id>)"
    )


def test_groups_are_capped_and_count_what_they_leave_out() -> None:
    messages = [f"row {n}: field F{n % 10} rejected value 'v{n}'" for n in range(100)]
    grouped = group_errors(messages, limit=8)
    assert grouped.total_messages == 100
    assert len(grouped.groups) == 8
    assert all(group.count == 10 for group in grouped.groups)
    assert (grouped.omitted_groups, grouped.omitted_messages) == (2, 20)


def test_categories_follow_the_words_of_the_cause() -> None:
    messages = [
        "OAuth token expired; reconnect the account",
        "REQUEST_LIMIT_EXCEEDED: daily API limit",
        "target connection 42 is not healthy",
        "identity value is empty",
        "duplicate value found: Email",
        "LastName is required",
        "Identity lookup matched nothing",
    ]
    categories = [group.category for group in group_errors(messages).groups]
    assert categories == [
        "auth",
        "rate_limit",
        "connection",
        "missing_identity",
        "duplicate",
        "missing_required",
        "other",
    ]


def run(status: str, total: int, errors: int) -> dict[str, Any]:
    return {"status": status, "counts": {"total": total, "error": errors}}


def test_trend_direction_compares_the_newest_run_with_earlier_ones() -> None:
    rising = [run("completed", 100, 30), run("completed", 100, 5), run("completed", 100, 5)]
    falling = [run("completed", 100, 1), run("failed", 100, 20), run("completed", 100, 30)]
    assert error_direction(rising) == "rising"
    assert error_direction(falling) == "falling"
    assert error_direction([run("completed", 100, 0), run("completed", 100, 0)]) is None
    assert trend_summary(rising) == "3 of last 3 had record errors; errors rising"
    assert trend_summary(falling) == "1 of last 3 failed; 3 of last 3 had record errors; errors falling"
    assert trend_summary([run("running", 0, 0), run("completed", 10, 0)]) == (
        "no failures or record errors in last 2; one is still running"
    )
