"""Hand-written tools are values: importable, callable without a server, listed from their
definition; and every failure becomes a result in one place, the same way for both kinds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mcp.client import Client

from polytomic_mcp.client import PolytomicClient, PolytomicError
from polytomic_mcp.errors import InvalidArgumentsError, NotFoundError
from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.settings import Settings
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.inventory import HAND_WRITTEN_TOOLS
from polytomic_mcp.tools.workflow.diagnose import DIAGNOSE_SYNC_TOOL, DiagnoseSyncInput
from polytomic_mcp.tools.workflow.finding import FIND_RESOURCES_TOOL, FindResourcesInput
from polytomic_mcp.tools.workflow.gcs_csv_to_salesforce.tool import SYNC_GCS_CSV_TO_SALESFORCE_TOOL
from tests.seed_setup import SEED_FILE, result_text, seed_server, setup_seed


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def direct(sandbox: RunningSandbox, key: str) -> tuple[RequestContext, PolytomicClient]:
    settings = Settings(api_key=key, sandbox=True, poll_interval=0.01)
    client = PolytomicClient(base_url=sandbox.base_url)
    return RequestContext.direct(settings, client), client


def test_inventory_names_are_unique_and_listed_in_order() -> None:
    names = [tool.name for tool in HAND_WRITTEN_TOOLS]
    assert len(names) == len(set(names)) == 12
    assert names[:2] == ["whoami", "sync_gcs_csv_to_salesforce"]
    for tool in HAND_WRITTEN_TOOLS:
        listed = tool.listed
        assert listed.name == tool.name
        assert listed.annotations is not None and listed.annotations.title == tool.title
        assert listed.input_schema["type"] == "object"
        assert "title" not in listed.input_schema  # pydantic's generated titles are tidied away


async def test_handlers_run_without_a_server(sandbox: RunningSandbox) -> None:
    key = "direct-handlers"
    async with Client(seed_server(sandbox.base_url, key)) as client:
        seed = await setup_seed(client)
    request, http = direct(sandbox, key)
    async with http:
        found = await FIND_RESOURCES_TOOL.handler(FindResourcesInput(query="high payers"), request)
        assert isinstance(found, dict)
        assert [row["id"] for row in found["results"]] == [seed.sync_id]
        diagnosed = await DIAGNOSE_SYNC_TOOL.handler(DiagnoseSyncInput(sync_id=seed.sync_id), request)
        assert isinstance(diagnosed, dict)
        assert diagnosed["execution"]["id"] == seed.execution_id
        assert diagnosed["errors"]["total"] > 0  # the seed CSV's planted bad rows
        # The composite's dry run checks the plan against the real schemas and creates nothing.
        planned = await SYNC_GCS_CSV_TO_SALESFORCE_TOOL.run(
            {
                "csv_key": SEED_FILE,
                "gcs_connection_id": seed.gcs_connection_id,
                "salesforce_connection_id": seed.salesforce_connection_id,
                "dry_run": True,
            },
            request,
        )
        assert isinstance(planned, dict)
        assert planned["status"] == "planned"
        assert request.api.requests > 0


async def test_handlers_raise_from_the_error_tree(sandbox: RunningSandbox) -> None:
    request, http = direct(sandbox, "direct-errors")
    async with http:
        with pytest.raises(NotFoundError, match="No model sync with id 'nope'"):
            await DIAGNOSE_SYNC_TOOL.handler(DiagnoseSyncInput(sync_id="nope"), request)
        with pytest.raises(InvalidArgumentsError) as invalid:
            await SYNC_GCS_CSV_TO_SALESFORCE_TOOL.run({"csv_key": " "}, request)
        assert {problem.field for problem in invalid.value.problems} == {"csv_key", "bucket", "salesforce_domain"}
        with pytest.raises(InvalidArgumentsError, match="limit"):
            FIND_RESOURCES_TOOL.parse({"limit": 0})


async def test_one_boundary_for_both_kinds_of_tool(sandbox: RunningSandbox) -> None:
    """An API failure reads the same from an operation tool and from a workflow tool calling it."""
    async with Client(seed_server(sandbox.base_url, "boundary")) as client:
        typed = await client.call_tool("connections_get", {"connection_id": "missing"})
        described = await client.call_tool("describe_connection", {"connection_id": "missing"})
        bad_type = await client.call_tool("wait_schema_ready", {"connection_ids": "not-a-list"})
    assert typed.is_error and described.is_error and bad_type.is_error
    assert result_text(typed).startswith("connections_get failed: Polytomic answered 404")
    assert "No connection with id 'missing'" in result_text(described)
    assert result_text(bad_type).startswith("Invalid arguments for wait_schema_ready (nothing was sent")
    assert "not-a-list" not in result_text(bad_type)  # argument errors never repeat the value given


def test_polytomic_error_is_an_upstream_error() -> None:
    from polytomic_mcp.errors import PolytomicMcpError, UpstreamError, UserInputError

    failure = PolytomicError("boom", status=500)
    assert isinstance(failure, UpstreamError) and isinstance(failure, PolytomicMcpError)
    assert not isinstance(failure, UserInputError)
    assert issubclass(InvalidArgumentsError, UserInputError)
