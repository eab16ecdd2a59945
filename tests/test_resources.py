"""polytomic:// resources and completions against the sandbox (step clock), through the real
SDK client in both protocol eras."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest
from mcp import MCPError
from mcp.client import Client
from mcp.types import INVALID_PARAMS, PromptReference, ResourceTemplateReference

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from polytomic_mcp.tools.operations.tools import operation_tools
from tests.seed_setup import (
    SEED_BUCKET,
    SEED_COLUMNS,
    SEED_FILE,
    SeedIds,
    create_gcs_connection,
    create_salesforce_connection,
    seed_server,
    setup_seed,
    wait_until_fresh,
)

Mode = Literal["auto", "legacy"]

TEMPLATES = {
    "polytomic://connections/{connection_id}/schemas",
    "polytomic://connections/{connection_id}/schemas/{schema_id}",
    "polytomic://connections/{connection_id}/targets",
    "polytomic://connections/{connection_id}/targets/{target_id}/fields",
    "polytomic://models/{model_id}",
    "polytomic://syncs/{sync_id}",
    "polytomic://syncs/{sync_id}/executions/{execution_id}",
    "polytomic://connection-types/{type_id}",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def tenant() -> str:
    return f"resources-{uuid.uuid4().hex[:12]}"


async def read_json(client: Client, uri: str) -> dict[str, Any]:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert content.mime_type == "application/json"
    text = getattr(content, "text", None)
    assert isinstance(text, str)
    parsed = json.loads(text)
    assert isinstance(parsed, dict)
    return parsed


async def complete(
    client: Client, ref: ResourceTemplateReference | PromptReference, name: str, value: str, **resolved: str
) -> list[str]:
    result = await client.complete(ref, {"name": name, "value": value}, resolved or None)
    return list(result.completion.values)


def template(uri: str) -> ResourceTemplateReference:
    return ResourceTemplateReference(type="ref/resource", uri=uri)


def prompt(name: str) -> PromptReference:
    return PromptReference(type="ref/prompt", name=name)


# -- listing ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_templates_and_the_operations_index_are_listed(sandbox: RunningSandbox, mode: Mode) -> None:
    async with Client(seed_server(sandbox.base_url, tenant()), mode=mode) as client:
        templates = (await client.list_resource_templates()).resource_templates
        resources = (await client.list_resources()).resources
        index = await read_json(client, "polytomic://operations")
        assert client.server_capabilities is not None
        assert client.server_capabilities.completions is not None

    assert {t.uri_template for t in templates} == TEMPLATES
    assert all(t.mime_type == "application/json" and t.description for t in templates)
    assert [str(r.uri) for r in resources] == ["polytomic://operations"]
    assert index["count"] == len(operation_tools()) == len(index["operations"])
    row = next(op for op in index["operations"] if op["tool"] == "connections_get")
    assert row == {
        "tool": "connections_get",
        "method": "GET",
        "path": "/api/connections/{id}",
        "purpose": row["purpose"],
        "toolset": row["toolset"],
        "read_only": True,
    }
    assert row["purpose"] and row["toolset"]
    assert next(op for op in index["operations"] if op["tool"] == "connections_delete")["read_only"] is False


# -- reading ---------------------------------------------------------------------------


async def read_all(client: Client, seed: SeedIds) -> dict[str, dict[str, Any]]:
    gcs, salesforce = seed.gcs_connection_id, seed.salesforce_connection_id
    uris = {
        "schemas": f"polytomic://connections/{gcs}/schemas",
        "schema": f"polytomic://connections/{gcs}/schemas/{SEED_FILE}",
        "targets": f"polytomic://connections/{salesforce}/targets",
        "fields": f"polytomic://connections/{salesforce}/targets/Contact/fields",
        "model": f"polytomic://models/{seed.model_id}",
        "sync": f"polytomic://syncs/{seed.sync_id}",
        "execution": f"polytomic://syncs/{seed.sync_id}/executions/{seed.execution_id}",
        "type": "polytomic://connection-types/gcs",
    }
    return {name: await read_json(client, uri) for name, uri in uris.items()}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_every_template_reads_compact_json(sandbox: RunningSandbox, mode: Mode) -> None:
    async with Client(seed_server(sandbox.base_url, tenant()), mode=mode) as client:
        seed = await setup_seed(client)
        read = await read_all(client, seed)

    schemas = read["schemas"]
    assert schemas["schema_cache"]["ready"] is True
    assert schemas["schemas"] == [{"id": SEED_FILE, "name": SEED_FILE, "fields": list(SEED_COLUMNS)}]

    schema_fields = {field["id"]: field["type"] for field in read["schema"]["fields"]}
    assert schema_fields["email"] == "string" and schema_fields["monthly_spend"] == "number"

    contact = next(t for t in read["targets"]["targets"] if t["id"] == "Contact")
    assert "updateOrCreate" in contact["modes"]

    target_fields = {field["id"]: field for field in read["fields"]["fields"]}
    assert target_fields["Email"]["supports_identity"] is True
    assert "Equality" in target_fields["Email"]["identity_functions"]
    assert target_fields["LastName"]["required"] is True
    assert "identity_functions" not in target_fields["FirstName"]

    assert read["model"]["connection_id"] == seed.gcs_connection_id
    assert [field["name"] for field in read["model"]["fields"]] == list(SEED_COLUMNS)

    sync = read["sync"]
    assert sync["model_ids"] == [seed.model_id]
    assert {"target": "Monthly_Spend__c", "source_field": "monthly_spend"} in sync["fields"]
    assert sync["status"]["last_execution"]["id"] == seed.execution_id
    assert sync["status"]["last_execution"]["counts"]["error"] == 3

    execution = read["execution"]
    assert execution["status"] == "completed"
    assert execution["errors_total"] == 3 == len(execution["errors"])

    gcs_type = read["type"]
    assert gcs_type["required"] == ["service_account", "bucket"]
    assert gcs_type["members"]["service_account"]["sensitive"] is True
    assert gcs_type["members"]["single_table_file_format"]["enum"] == ["csv", "json", "parquet"]
    assert gcs_type["capabilities"] == {"source": True, "destination": True}


async def test_a_schema_id_with_a_slash_reads_through_percent_encoding(sandbox: RunningSandbox) -> None:
    key = tenant()
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {key}"}) as admin:
        added = await admin.post(
            f"/sandbox/buckets/{SEED_BUCKET}/files",
            params={"key": "exports/contacts.csv"},
            content=b"email,signed_up\nada@example.com,2024-01-01\n",
            headers={"content-type": "text/csv"},
        )
        assert added.status_code == 200, added.text
    async with Client(seed_server(sandbox.base_url, key)) as client:
        gcs_id = await create_gcs_connection(client)
        await wait_until_fresh(client, gcs_id)
        schema = await read_json(client, f"polytomic://connections/{gcs_id}/schemas/exports%2Fcontacts.csv")

    assert schema["id"] == "exports/contacts.csv"
    assert schema["fields"] == [
        {"id": "email", "name": "email", "type": "string"},
        {"id": "signed_up", "name": "signed_up", "type": "datetime"},
    ]


async def test_unknown_ids_are_not_found_errors_that_say_where_to_look(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        failures: dict[str, MCPError] = {}
        for uri in (
            "polytomic://models/no-such-model",
            "polytomic://syncs/no-such-sync",
            "polytomic://connections/no-such-connection/targets",
            "polytomic://connection-types/no-such-type",
        ):
            with pytest.raises(MCPError) as caught:
                await client.read_resource(uri)
            failures[uri] = caught.value

    assert all(error.error.code == INVALID_PARAMS for error in failures.values())
    assert "find_resources" in str(failures["polytomic://models/no-such-model"])
    assert "No sync 'no-such-sync'" in str(failures["polytomic://syncs/no-such-sync"])
    assert "Complete type_id" in str(failures["polytomic://connection-types/no-such-type"])


# -- completions -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_names_complete_to_ids(sandbox: RunningSandbox, mode: Mode) -> None:
    async with Client(seed_server(sandbox.base_url, tenant()), mode=mode) as client:
        seed = await setup_seed(client)
        schemas = template("polytomic://connections/{connection_id}/schemas/{schema_id}")
        connections = await complete(client, schemas, "connection_id", "sales")
        by_id_prefix = await complete(client, schemas, "connection_id", seed.gcs_connection_id[:6])
        models = await complete(client, template("polytomic://models/{model_id}"), "model_id", "high")
        syncs = await complete(client, template("polytomic://syncs/{sync_id}"), "sync_id", "payers")
        types = await complete(client, template("polytomic://connection-types/{type_id}"), "type_id", "sales")

    assert connections == [seed.salesforce_connection_id]
    assert by_id_prefix == [seed.gcs_connection_id]
    assert models == [seed.model_id]
    assert syncs == [seed.sync_id]
    assert types[0] == "salesforce"


async def test_dependent_arguments_use_the_resolved_ones(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        seed = await setup_seed(client)
        schemas = template("polytomic://connections/{connection_id}/schemas/{schema_id}")
        fields = template("polytomic://connections/{connection_id}/targets/{target_id}/fields")
        runs = template("polytomic://syncs/{sync_id}/executions/{execution_id}")
        files = await complete(client, schemas, "schema_id", "", connection_id=seed.gcs_connection_id)
        objects = await complete(client, fields, "target_id", "", connection_id=seed.salesforce_connection_id)
        contact = await complete(client, fields, "target_id", "con", connection_id=seed.salesforce_connection_id)
        executions = await complete(client, runs, "execution_id", "", sync_id=seed.sync_id)
        without_dependency = await complete(client, schemas, "schema_id", "")

    assert files == [SEED_FILE]
    assert {"Contact", "Lead", "Account"} <= set(objects)
    assert contact == ["Contact"]
    assert executions == [seed.execution_id]
    assert without_dependency == []


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_prompt_arguments_complete(sandbox: RunningSandbox, mode: Mode) -> None:
    async with Client(seed_server(sandbox.base_url, tenant()), mode=mode) as client:
        seed = await setup_seed(client, run=False)
        triage = await complete(client, prompt("triage_failing_sync"), "sync", "high")
        source = await complete(client, prompt("setup_bulk_sync"), "source_connection", "gcs")
        destination = await complete(client, prompt("setup_bulk_sync"), "destination_connection", "sales")
        bucket = await complete(client, prompt("setup_gcs_csv_to_salesforce"), "bucket", "")
        csv_key = await complete(client, prompt("setup_gcs_csv_to_salesforce"), "csv_key", "high")
        salesforce_object = await complete(client, prompt("setup_gcs_csv_to_salesforce"), "salesforce_object", "le")
        not_an_id = await complete(client, prompt("audit_syncs"), "focus", "")

    assert triage == [seed.sync_id]
    assert source == [seed.gcs_connection_id]
    assert destination == [seed.salesforce_connection_id]
    assert sorted(bucket) == ["empty-bucket", SEED_BUCKET]  # every bucket in reach, the empty one too
    assert csv_key == [SEED_FILE]
    assert salesforce_object == ["Lead"]
    assert not_an_id == []


async def test_prompt_arguments_complete_from_the_world_before_any_connection(sandbox: RunningSandbox) -> None:
    setup = prompt("setup_gcs_csv_to_salesforce")
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        bucket = await complete(client, setup, "bucket", "sand")
        csv_key = await complete(client, setup, "csv_key", "high", bucket=SEED_BUCKET)
        in_empty_bucket = await complete(client, setup, "csv_key", "", bucket="empty-bucket")
        salesforce_object = await complete(client, setup, "salesforce_object", "con")
        created = await client.call_tool("connections_list", {})

    assert created.structured_content is not None and created.structured_content["data"] == []
    assert bucket == [SEED_BUCKET]
    assert csv_key == [SEED_FILE]
    assert in_empty_bucket == []
    assert salesforce_object == ["Contact"]


async def test_completions_never_fail(sandbox: RunningSandbox) -> None:
    keyless = build_server(Settings(api_key=None, sandbox=True), sandbox.base_url)
    async with Client(keyless) as client:
        no_key = await complete(client, template("polytomic://models/{model_id}"), "model_id", "")
    async with Client(seed_server(sandbox.base_url, tenant())) as client:
        unhealthy = await create_salesforce_connection(client, authorized=False)
        fields = template("polytomic://connections/{connection_id}/targets/{target_id}/fields")
        api_error = await complete(client, fields, "target_id", "", connection_id=unhealthy)
        foreign = await complete(client, template("other://things/{connection_id}"), "connection_id", "")

    assert no_key == [] and api_error == [] and foreign == []
