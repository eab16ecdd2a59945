"""Human confirmation of destructive operations, through the real MCP client in memory, both eras.

Every test runs against a step-clock sandbox and checks afterwards, in the sandbox, whether
the object still exists: a destructive call runs only when the user ticked the box and
accepted, however it was reached (typed tool, call_write_operation, a workflow's step).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import MCPError
from mcp.client import Client
from mcp.types import ElicitResult, ToolAnnotations
from pydantic import BaseModel

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.server import PolytomicServer
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.definition import HandWrittenTool
from tests.guard_support import User, exists, not_confirmed, text_of
from tests.seed_setup import SERVICE_ACCOUNT_JSON, seed_server, setup_seed, sync_arguments

ERAS = ["auto", "legacy"]


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def server_for(sandbox: RunningSandbox, tenant: str, **settings: Any) -> PolytomicServer:
    return seed_server(sandbox.base_url, tenant, **settings)


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("via", ["typed", "call_write_operation"])
async def test_accepting_user_deletes_and_the_answer_lists_what_remains(
    sandbox: RunningSandbox, mode: str, via: str
) -> None:
    user = User("accept")
    async with Client(server_for(sandbox, f"accept-{mode}-{via}"), mode=mode, elicitation_callback=user) as client:
        seed = await setup_seed(client, run=False)
        if via == "typed":
            result = await client.call_tool("model_sync_delete", {"sync_id": seed.sync_id})
        else:
            arguments = {"operation": "model_sync_delete", "arguments": {"sync_id": seed.sync_id}}
            result = await client.call_tool("call_write_operation", arguments)
        assert not result.is_error, text_of(result)
        assert not await exists(client, "model_sync_get", sync_id=seed.sync_id)
        assert await exists(client, "models_get", model_id=seed.model_id)
    assert len(user.shown) == 1
    message = user.messages[0]
    assert "model_sync_delete" in message and seed.sync_id in message and '"High payers to Salesforce"' in message
    assert seed.model_id in message and seed.gcs_connection_id in message and seed.salesforce_connection_id in message
    schema = user.shown[0].requested_schema  # type: ignore[union-attr]
    assert schema["required"] == ["confirm"] and schema["properties"]["confirm"]["type"] == "boolean"
    payload = result.structured_content
    assert payload is not None and payload["deleted"]["id"] == seed.sync_id
    left = {row["id"]: row for row in payload["left_behind"]}
    assert set(left) == {seed.model_id, seed.gcs_connection_id, seed.salesforce_connection_id}
    assert left[seed.model_id]["remove_with"] == f"models_delete(model_id='{seed.model_id}')"
    gcs = seed.gcs_connection_id
    assert left[gcs]["remove_with"] == f"connections_delete(connection_id='{gcs}')"
    assert "were not deleted" in text_of(result)


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize(
    ("action", "tick", "outcome"),
    [("decline", True, "declined"), ("cancel", True, "cancelled"), ("accept", False, "declined")],
)
async def test_a_user_who_does_not_confirm_keeps_the_object(
    sandbox: RunningSandbox, mode: str, action: Any, tick: bool, outcome: str
) -> None:
    user = User(action, tick=tick)
    tenant = f"refuse-{mode}-{action}-{tick}"
    async with Client(server_for(sandbox, tenant), mode=mode, elicitation_callback=user) as client:
        seed = await setup_seed(client, run=False)
        result = await client.call_tool("models_delete", {"model_id": seed.model_id})
        refusal = not_confirmed(result)
        assert await exists(client, "models_get", model_id=seed.model_id)
    assert len(user.shown) == 1
    assert refusal["confirmation"] == outcome
    assert "nothing was changed" in refusal["reason"]
    assert refusal["preview"]["object"] == {"kind": "model", "id": seed.model_id, "name": "High paying users"}


@pytest.mark.parametrize("mode", ERAS)
async def test_a_client_that_cannot_elicit_gets_no_deletion(sandbox: RunningSandbox, mode: str) -> None:
    async with Client(server_for(sandbox, f"nocap-{mode}"), mode=mode) as client:
        seed = await setup_seed(client, run=False)
        result = await client.call_tool("connections_delete", {"connection_id": seed.gcs_connection_id, "force": True})
        refusal = not_confirmed(result)
        assert await exists(client, "connections_get", connection_id=seed.gcs_connection_id)
        assert await exists(client, "model_sync_get", sync_id=seed.sync_id)
    assert refusal["confirmation"] == "unsupported"
    assert "cannot ask the user" in refusal["reason"]
    assert "--confirm-destructive never" in refusal["next"]
    related = {row["id"]: row for row in refusal["preview"]["related"]}
    assert {seed.model_id, seed.sync_id} <= set(related)
    assert any("deleted with it" in note for note in refusal["preview"]["notes"])


async def test_legacy_user_who_never_answers_times_out(sandbox: RunningSandbox) -> None:
    user = User("accept", delay=2.0)
    server = server_for(sandbox, "timeout-legacy", confirm_timeout=0.3)
    async with Client(server, mode="legacy", elicitation_callback=user) as client:
        seed = await setup_seed(client, run=False)
        result = await client.call_tool("model_sync_delete", {"sync_id": seed.sync_id})
        refusal = not_confirmed(result)
        assert await exists(client, "model_sync_get", sync_id=seed.sync_id)
    assert refusal["confirmation"] == "timed_out" and "0.3 s" in refusal["reason"]


async def test_a_2026_answer_that_comes_too_late_no_longer_counts(sandbox: RunningSandbox) -> None:
    user = User("accept", delay=1.0)
    server = server_for(sandbox, "timeout-2026", confirm_timeout=0.3)
    async with Client(server, elicitation_callback=user) as client:
        seed = await setup_seed(client, run=False)
        result = await client.call_tool("model_sync_delete", {"sync_id": seed.sync_id})
        refusal = not_confirmed(result)
        assert await exists(client, "model_sync_get", sync_id=seed.sync_id)
    assert refusal["confirmation"] == "expired"


@pytest.mark.parametrize("mode", ERAS)
async def test_no_argument_confirms_on_the_users_behalf(sandbox: RunningSandbox, mode: str) -> None:
    async with Client(server_for(sandbox, f"bypass-{mode}"), mode=mode) as client:
        seed = await setup_seed(client, run=False)
        attempts = [
            ("model_sync_delete", {"sync_id": seed.sync_id, "confirm": True}),
            ("model_sync_delete", {"sync_id": seed.sync_id, "confirmed": "yes"}),
            (
                "call_write_operation",
                {"operation": "model_sync_delete", "arguments": {"sync_id": seed.sync_id, "confirm": True}},
            ),
            (
                "call_write_operation",
                {"operation": "model_sync_delete", "arguments": {"sync_id": seed.sync_id}, "confirm": True},
            ),
        ]
        results = [await client.call_tool(tool, arguments) for tool, arguments in attempts]
        assert await exists(client, "model_sync_get", sync_id=seed.sync_id)
    assert all(r.is_error for r in results), [text_of(r) for r in results]
    assert "nothing was sent" in text_of(results[0]) and "'confirm'" in text_of(results[0])
    # An extra `confirm` beside the runner's own arguments is an unknown argument: refused, nothing sent.
    assert "nothing was sent" in text_of(results[3]) and "'confirm'" in text_of(results[3])


async def test_a_forged_2026_answer_without_the_servers_ticket_is_ignored(sandbox: RunningSandbox) -> None:
    user = User("decline")
    async with Client(server_for(sandbox, "forged"), elicitation_callback=user) as client:
        seed = await setup_seed(client, run=False)
        forged = {f"polytomic_confirm_{'0' * 16}": ElicitResult(action="accept", content={"confirm": True})}
        asked_anyway = await client.call_tool("model_sync_delete", {"sync_id": seed.sync_id}, input_responses=forged)
        assert not_confirmed(asked_anyway)["confirmation"] == "declined"
        with pytest.raises(MCPError, match="requestState"):
            await client.call_tool(
                "model_sync_delete", {"sync_id": seed.sync_id}, input_responses=forged, request_state='{"forged": 1}'
            )
        assert await exists(client, "model_sync_get", sync_id=seed.sync_id)
    assert len(user.shown) == 1  # the forged answer did not stand in for the user's


@pytest.mark.parametrize("mode", ERAS)
async def test_an_update_shows_a_field_by_field_diff_and_applies_once_confirmed(
    sandbox: RunningSandbox, mode: str
) -> None:
    user = User("accept")
    async with Client(server_for(sandbox, f"diff-{mode}"), mode=mode, elicitation_callback=user) as client:
        seed = await setup_seed(client, run=False)
        body = sync_arguments(seed.model_id, seed.salesforce_connection_id, "Renamed sync")
        body["fields"] = body["fields"][:2]  # monthly_spend is no longer mapped
        body.pop("active")
        result = await client.call_tool("model_sync_update", {"sync_id": seed.sync_id, **body})
        assert not result.is_error, text_of(result)
        renamed = await client.call_tool("model_sync_get", {"sync_id": seed.sync_id})
    message = user.messages[0]
    assert '- name: "High payers to Salesforce" → "Renamed sync"' in message
    removed = next(line for line in message.splitlines() if line.startswith("- fields[2]: "))
    assert "Monthly_Spend__c" in removed and removed.endswith("→ removed")
    assert "- active: true → not in the request (a full replacement may clear it)" in message
    assert renamed.structured_content["data"]["name"] == "Renamed sync"  # type: ignore[index]


async def test_a_connection_update_never_shows_a_secret(sandbox: RunningSandbox) -> None:
    user = User("decline")
    async with Client(server_for(sandbox, "secret-diff"), mode="legacy", elicitation_callback=user) as client:
        seed = await setup_seed(client, run=False)
        private_key = "-----BEGIN PRIVATE KEY-----\nMIIEsecretmaterial\n-----END PRIVATE KEY-----\n"
        new_account = json.dumps({**json.loads(SERVICE_ACCOUNT_JSON), "private_key": private_key})
        arguments = {
            "id": seed.gcs_connection_id,
            "name": "GCS drop v2",
            "configuration": {"service_account": new_account, "bucket": "other-bucket"},
        }
        refusal = not_confirmed(await client.call_tool("connections_update", arguments))
    message = user.messages[0]
    assert '- name: "GCS drop" → "GCS drop v2"' in message
    assert '- configuration.bucket: "sandbox-exports" → "other-bucket"' in message
    assert "- configuration.service_account: secret value is replaced (not shown)" in message
    assert "MIIEsecretmaterial" not in message and "MIIEsecretmaterial" not in json.dumps(refusal)


# -- a workflow's writes pass the same guard -------------------------------------------------


class RenameInput(BaseModel):
    sync_id: str
    name: str


async def rename_then_delete(args: RenameInput, request: RequestContext) -> dict[str, Any]:
    """A test workflow: an overwrite confirmed up front (the helper workflows use), then a delete."""
    api = request.api
    current = await api.data("model_sync_get", id=args.sync_id)
    body = {k: current[k] for k in ("mode", "target", "identity", "fields", "schedule")}
    await api.confirm_overwrite("model_sync_update", id=args.sync_id, name=args.name, **body)
    await api.data("model_sync_update", id=args.sync_id, name=args.name, **body)
    await api.envelope("model_sync_delete", id=args.sync_id)
    return {"done": True}


RENAME_TOOL = HandWrittenTool(
    name="test_rename_then_delete",
    title="test",
    description="test workflow",
    input_model=RenameInput,
    annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True),
    handler=rename_then_delete,
)


def with_test_workflow(server: PolytomicServer) -> PolytomicServer:
    server.registry.hand_written[RENAME_TOOL.name] = RENAME_TOOL
    return server


@pytest.mark.parametrize("mode", ERAS)
async def test_workflow_steps_are_confirmed_each_once(sandbox: RunningSandbox, mode: str) -> None:
    user = User("accept")
    server = with_test_workflow(server_for(sandbox, f"workflow-{mode}"))
    async with Client(server, mode=mode, elicitation_callback=user) as client:
        seed = await setup_seed(client, run=False)
        result = await client.call_tool(RENAME_TOOL.name, {"sync_id": seed.sync_id, "name": "Renamed by workflow"})
        assert not result.is_error, text_of(result)
        assert not await exists(client, "model_sync_get", sync_id=seed.sync_id)
    assert [m.splitlines()[0] for m in user.messages] == [
        "The AI agent asks to run model_sync_update: Replace a model sync's configuration.",
        "The AI agent asks to run model_sync_delete: Delete a model sync.",
    ]
    assert '- name: "High payers to Salesforce" → "Renamed by workflow"' in user.messages[0]


@pytest.mark.parametrize("mode", ERAS)
async def test_a_declined_workflow_overwrite_changes_nothing(sandbox: RunningSandbox, mode: str) -> None:
    user = User("decline")
    server = with_test_workflow(server_for(sandbox, f"workflow-no-{mode}"))
    async with Client(server, mode=mode, elicitation_callback=user) as client:
        seed = await setup_seed(client, run=False)
        result = await client.call_tool(RENAME_TOOL.name, {"sync_id": seed.sync_id, "name": "Never"})
        refusal = not_confirmed(result)
        current = await client.call_tool("model_sync_get", {"sync_id": seed.sync_id})
    assert refusal["preview"]["tool"] == "model_sync_update"
    assert current.structured_content["data"]["name"] == "High payers to Salesforce"  # type: ignore[index]
    assert len(user.shown) == 1


async def test_confirmation_off_runs_without_asking(sandbox: RunningSandbox) -> None:
    user = User("decline")
    server = server_for(sandbox, "never", confirm_destructive="never")
    async with Client(server, elicitation_callback=user) as client:
        seed = await setup_seed(client, run=False)
        result = await client.call_tool("model_sync_delete", {"sync_id": seed.sync_id})
        assert not result.is_error, text_of(result)
        assert not await exists(client, "model_sync_get", sync_id=seed.sync_id)
    assert user.shown == []
