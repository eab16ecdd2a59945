"""The agent contract (what an agent is told is true), item by item, through a real MCP
client session against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.tools.inventory import HAND_WRITTEN_TOOLS
from tests.seed_setup import result_text, seed_server


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def misspelt(name: str) -> str:
    """A typo an agent makes: one letter dropped from the middle."""
    middle = len(name) // 2
    return name[:middle] + name[middle + 1 :]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_every_hand_written_tool_refuses_unknown_arguments_and_names_the_closest(
    sandbox: RunningSandbox, mode: str
) -> None:
    async with Client(seed_server(sandbox.base_url, f"unknown-arguments-{mode}"), mode=mode) as client:
        for tool in HAND_WRITTEN_TOOLS:
            schema = tool.listed.input_schema
            known = list(schema["properties"])
            if not known:  # a tool without arguments refuses any
                refused = await client.call_tool(tool.name, {"verbose": True})
                assert refused.is_error and "unexpected argument(s) 'verbose'" in result_text(refused)
                continue
            target = max(known, key=len)  # long names are the ones agents misspell
            arguments = {name: "x" for name in schema.get("required", [])}
            arguments[misspelt(target)] = "value"
            result = await client.call_tool(tool.name, arguments)
            text = result_text(result)
            assert result.is_error, f"{tool.name} accepted {misspelt(target)!r}"
            assert f"{misspelt(target)!r} (did you mean {target!r}?)" in text, text
            assert "nothing was sent" in text


async def test_misspelt_service_account_key_is_named(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, "typo")) as client:
        result = await client.call_tool(
            "sync_gcs_csv_to_salesforce",
            {
                "csv_key": "a.csv",
                "bucket": "b",
                "salesforce_domain": "acme.my.salesforce.com",
                "service_acount_json": "{}",
            },
        )
        listed = await client.call_tool("connections_list", {})
    assert result.is_error
    assert "'service_acount_json' (did you mean 'service_account_json'?)" in result_text(result)
    assert listed.structured_content is not None and listed.structured_content["data"] == []  # nothing was created


async def test_old_id_names_are_accepted_and_the_result_says_so(sandbox: RunningSandbox) -> None:
    from tests.seed_setup import setup_seed

    async with Client(seed_server(sandbox.base_url, "old-names")) as client:
        seed = await setup_seed(client, run=False)
        current = await client.call_tool("model_sync_get", {"sync_id": seed.sync_id})
        old = await client.call_tool("model_sync_get", {"id": seed.sync_id})
    assert not current.is_error and not old.is_error
    assert current.structured_content is not None and old.structured_content is not None
    assert old.structured_content["data"]["id"] == current.structured_content["data"]["id"] == seed.sync_id
    assert "note" not in current.structured_content
    assert "'id' is the old name of 'sync_id'" in old.structured_content["note"]


async def test_whoami_shows_the_sandbox_world_an_agent_can_reach(sandbox: RunningSandbox) -> None:
    async with Client(seed_server(sandbox.base_url, "whoami-world")) as client:
        result = await client.call_tool("whoami", {})
    payload = result.structured_content
    assert not result.is_error and payload is not None, result_text(result)
    assert payload["backend"]["kind"] == "sandbox" and payload["access_mode"] == "full-access"
    buckets = {row["name"]: row.get("files", []) for row in payload["world"]["buckets"]}
    assert buckets["sandbox-exports"] == ["high_paying_users.csv"] and buckets["empty-bucket"] == []
    orgs = {row["domain"]: row["objects"] for row in payload["world"]["salesforce_orgs"]}
    assert set(orgs) == {"acme.my.salesforce.com"} and "Contact" in orgs["acme.my.salesforce.com"]
    assert payload["sandbox"]["salesforce_domains"] == ["acme.my.salesforce.com"]
    assert "any service-account JSON" in payload["sandbox"]["service_accounts"]


def test_the_world_route_lists_what_the_tenant_added(sandbox: RunningSandbox) -> None:
    import httpx

    headers = {"Authorization": "Bearer world-route"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers) as http:
        added = http.post("/sandbox/buckets/new-drop/files?key=in/leads.csv", content=b"email\na@b.co\n")
        assert added.status_code == 200, added.text
        world = http.get("/sandbox/world").json()["data"]
        other = httpx.get(f"{sandbox.base_url}/sandbox/world", headers={"Authorization": "Bearer other"}).json()
    assert {"name": "new-drop", "files": ["in/leads.csv"]} in world["buckets"]
    assert all(bucket["name"] != "new-drop" for bucket in other["data"]["buckets"])  # tenants stay apart
    assert world["clock"]["mode"] == "step"
