"""find_resources and describe_connection against the sandbox (step clock), through the real
SDK client."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.tools.name_match import Match, match_of
from tests.seed_setup import (
    SEED_COLUMNS,
    SEED_FILE,
    create_gcs_connection,
    create_salesforce_connection,
    result_text,
    seed_server,
    setup_seed,
    wait_until_fresh,
)
from tests.support import assert_rendered

Mode = Literal["auto", "legacy"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def tenant() -> str:
    return f"finding-{uuid.uuid4().hex[:12]}"


async def call_ok(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result_text(result)
    assert isinstance(result.structured_content, dict)
    assert_rendered(result)
    return result.structured_content


# -- find_resources --------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_names_rank_exact_then_prefix_then_word_then_substring(sandbox: RunningSandbox, mode: Mode) -> None:
    names = ["Presales team", "EU sales", "Marketing", "Sales ops", "sales"]
    async with Client(seed_server(sandbox.base_url, tenant()), mode=mode) as client:
        ids = {name: await create_gcs_connection(client, name=name) for name in names}
        found = await call_ok(client, "find_resources", query="Sales", kinds=["connections"])

    assert [row["name"] for row in found["results"]] == ["sales", "Sales ops", "EU sales", "Presales team"]
    assert found["total_matches"] == 4
    assert "more" not in found
    first = found["results"][0]
    assert first == {"kind": "connection", "id": ids["sales"], "name": "sales", "type": "gcs", "status": "healthy"}


async def test_kinds_filter_limit_and_ids(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        seed = await setup_seed(client, run=False)
        models = await call_ok(client, "find_resources", kinds=["models"])
        syncs = await call_ok(client, "find_resources", query="payers", kinds=["syncs"])
        everything = await call_ok(client, "find_resources")
        limited = await call_ok(client, "find_resources", limit=2)
        by_id = await call_ok(client, "find_resources", query=seed.model_id)
        nothing = await call_ok(client, "find_resources", query="no such thing")

    assert models["results"] == [
        {"kind": "model", "id": seed.model_id, "name": "High paying users", "connection_id": seed.gcs_connection_id}
    ]
    assert syncs["results"] == [
        {
            "kind": "sync",
            "id": seed.sync_id,
            "name": "High payers to Salesforce",
            "target_object": "Contact",
            "active": True,
            "running": False,
            "last_run": None,  # never ran
        }
    ]
    kinds = {row["kind"] for row in everything["results"]}
    assert kinds == {"connection", "model", "sync", "bucket", "file", "salesforce_org"}
    assert everything["total_matches"] == 8  # 2 connections, model, sync, 2 buckets, file, org
    assert len(limited["results"]) == 2
    assert limited["more"].startswith("6 more matches not shown")
    assert [row["id"] for row in by_id["results"]] == [seed.model_id]
    assert nothing == {"results": [], "total_matches": 0}


async def test_syncs_show_their_last_run_and_the_world_is_found_by_name(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        seed = await setup_seed(client, run=True)
        syncs = await call_ok(client, "find_resources", kinds=["syncs"])
        users = await call_ok(client, "find_resources", query="users", kinds=["files"])
        exports = await call_ok(client, "find_resources", query="exports", kinds=["buckets"])
        acme = await call_ok(client, "find_resources", query="acme", kinds=["salesforce_orgs"])

    assert seed.execution is not None
    row = syncs["results"][0]
    counts = seed.execution["counts"]
    assert row["running"] is False
    assert row["last_run"] == {
        "id": seed.execution_id,
        "status": seed.execution["status"],
        "finished_at": seed.execution["completed_at"],
        "records": counts["total"],
        "errors": counts["error"],
    }
    assert users["results"] == [{"kind": "file", "name": SEED_FILE, "bucket": "sandbox-exports"}]
    bucket = exports["results"][0]
    assert bucket["name"] == "sandbox-exports" and bucket["connection_ids"] == [seed.gcs_connection_id]
    assert bucket["files"] == [SEED_FILE]
    org = acme["results"][0]
    assert org["kind"] == "salesforce_org" and org["name"] == "acme.my.salesforce.com"
    assert org["connection_ids"] == [seed.salesforce_connection_id] and "Contact" in org["objects"]


async def test_unknown_kind_is_rejected(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        result = await client.call_tool("find_resources", {"kinds": ["widgets"]})
    assert result.is_error
    assert "kinds" in result_text(result)


def test_match_levels() -> None:
    assert match_of("sales", "Sales") is Match.EXACT
    assert match_of("sal", "Salesforce EU") is Match.PREFIX
    assert match_of("eu sales", "Salesforce EU") is Match.WORD
    assert match_of("force", "Salesforce") is Match.SUBSTRING
    assert match_of("3fa8", "Anything", "3fa85f64") is Match.PREFIX
    assert match_of("hubspot", "Salesforce") is None
    assert match_of("  ", "Anything") is Match.EXACT


# -- describe_connection ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_gcs_bucket_lists_its_csv_file_with_columns(sandbox: RunningSandbox, mode: Mode) -> None:
    async with Client(seed_server(sandbox.base_url, tenant()), mode=mode) as client:
        gcs_id = await create_gcs_connection(client)
        await wait_until_fresh(client, gcs_id)
        described = await call_ok(client, "describe_connection", connection_id=gcs_id)

    assert described["connection"]["type"] == "gcs"
    assert described["health"] == "ok"
    assert described["capabilities"]["source"] is True
    assert described["schema_cache"]["ready"] is True
    schema = next(row for row in described["schemas"] if row["id"] == SEED_FILE)
    assert schema["fields"] == list(SEED_COLUMNS)
    assert any(f"polytomic://connections/{gcs_id}/schemas/" in hint for hint in described["next"])
    assert "service_account" not in json.dumps(described)


async def test_salesforce_lists_objects_with_modes(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        salesforce_id = await create_salesforce_connection(client)
        await wait_until_fresh(client, salesforce_id)
        described = await call_ok(client, "describe_connection", connection_id=salesforce_id)

    assert described["capabilities"] == {"source": True, "destination": True, "use_oauth": True}
    targets = {row["id"]: row for row in described["targets"]}
    assert {"Contact", "Lead", "Account"} <= set(targets)
    assert "updateOrCreate" in targets["Contact"]["modes"]
    assert "updateOrCreate" in targets["Contact"]["identity_required_for"]
    assert "create" not in targets["Contact"]["identity_required_for"]
    assert any(f"polytomic://connections/{salesforce_id}/targets/" in hint for hint in described["next"])


async def test_unauthorized_salesforce_says_to_finish_oauth(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        salesforce_id = await create_salesforce_connection(client, authorized=False)
        described = await call_ok(client, "describe_connection", connection_id=salesforce_id)

    assert described["connection"]["status"] == "unhealthy"
    assert "auth_url" in described["health"]
    assert "OAuth" in described["health"]
    assert described["schema_cache"]["ready"] is False
    assert "targets" not in described and "schemas" not in described
    assert described["next"] == [
        "Its schemas and target objects are listed once it is healthy: describe it again then."
    ]


async def test_unknown_connection_points_to_find_resources(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        result = await client.call_tool("describe_connection", {"connection_id": "no-such-connection"})
    assert result.is_error
    assert "No connection with id 'no-such-connection'" in result_text(result)
    assert "find_resources" in result_text(result)
