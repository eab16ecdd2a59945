"""The project's own results, gathered through the MCP server, for calibrating the token estimate.

`collect(base_url)` runs against a sandbox and returns every text a result budget could
count: tool results of the seed workflow (operation tools step by step, then the
composite), the workflow and discovery tools, list results of every read-only operation
that needs no arguments (plus the seed objects' lists and details), errors (not found,
bad input, unknown operation), `describe_operation` for every operation, the
connection-type configuration schemas, and every tool definition of tools/list. Each
result gives two texts: its structured payload as compact JSON (what a budget counts)
and the text block the model reads. Results are taken with a large budget, so they are
whole rather than cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.client import Client
from mcp.types import CallToolResult, Tool

from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from polytomic_mcp.tokens import compact_json
from tests.seed_setup import SEED_BUCKET, SEED_DOMAIN, SEED_FILE, SERVICE_ACCOUNT_JSON, authorize, setup_seed
from tests.support import tool_wire

WHOLE_RESULTS = 200_000  # a budget no result here reaches, so nothing is cut before it is measured
SEED_TENANT = "corpus-seed"
EXTRA_CONNECTIONS = 30  # a long list, as a busy workspace has


def settings(api_key: str, result_tokens: int = WHOLE_RESULTS) -> Settings:
    return Settings(api_key=api_key, sandbox=True, toolsets="all", max_tools=0, result_tokens=result_tokens)


@dataclass(frozen=True, slots=True)
class Sample:
    kind: str  # "seed workflow", "workflow tool", "list", "error", "describe_operation", "schema", "tool definition"
    label: str
    text: str


class RecordingClient:
    """A Client that keeps every result it returns (setup_seed drives it like a plain Client)."""

    def __init__(self, client: Client, kind: str) -> None:
        self.client = client
        self.kind = kind
        self.results: list[tuple[str, str, CallToolResult]] = []

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        result = await self.client.call_tool(name, arguments)
        self.results.append((self.kind if not result.is_error else "error", name, result))
        return result


def samples_of(kind: str, label: str, result: CallToolResult) -> list[Sample]:
    found = [Sample(kind, f"{label} (text)", "".join(getattr(b, "text", "") for b in result.content))]
    if result.structured_content is not None:
        found.append(Sample(kind, f"{label} (structured)", compact_json(result.structured_content)))
    return found


def _needs_no_arguments(tool: Tool) -> bool:
    read_only = tool.annotations is not None and tool.annotations.read_only_hint is True
    return read_only and not tool.input_schema.get("required")


async def _seed_workflow(base_url: str) -> list[tuple[str, str, CallToolResult]]:
    async with Client(build_server(settings(SEED_TENANT), base_url)) as client:
        recorder = RecordingClient(client, "seed workflow")
        seed = await setup_seed(recorder)  # type: ignore[arg-type]  # duck-typed: only call_tool is used
        recorder.kind = "workflow tool"
        await recorder.call_tool("diagnose_sync", {"sync_id": seed.sync_id})
        await recorder.call_tool("find_resources", {"query": "salesforce"})
        await recorder.call_tool("describe_connection", {"connection_id": seed.salesforce_connection_id})
        await recorder.call_tool("describe_connection", {"connection_id": seed.gcs_connection_id})
        await recorder.call_tool("wait_schema_ready", {"connection_ids": [seed.gcs_connection_id]})
        await recorder.call_tool("run_sync_and_wait", {"sync_id": seed.sync_id})
        await recorder.call_tool("search_operations", {"query": "start a sync and wait for it"})
        await recorder.call_tool("search_operations", {"query": "list the fields of a salesforce object"})
        recorder.kind = "list"
        for tool, arguments in (
            ("connections_list", {}),
            ("connections_list", {"fields": ["*"]}),
            ("models_list", {}),
            ("models_get", {"id": seed.model_id}),
            ("models_sample", {"id": seed.model_id}),
            ("model_sync_list", {}),
            ("model_sync_get", {"id": seed.sync_id}),
            ("model_sync_executions_list", {"sync_id": seed.sync_id}),
            ("model_sync_targets_list", {"id": seed.salesforce_connection_id}),
            ("model_sync_targets_get_fields", {"id": seed.salesforce_connection_id, "target": "Contact"}),
            ("schemas_get", {"id": seed.gcs_connection_id, "schema_id": SEED_FILE}),
            ("connections_get", {"id": seed.gcs_connection_id}),
        ):
            await recorder.call_tool(tool, arguments)
        for arguments in (
            {"id": "00000000-0000-0000-0000-00000000abcd"},  # not found
            {"id": ""},  # refused before sending
        ):
            await recorder.call_tool("connections_get", arguments)
        await recorder.call_tool("model_sync_create", {"name": "half a sync"})  # missing members
        await recorder.call_tool("call_read_operation", {"operation": "connections_lsit", "arguments": {}})
        await recorder.call_tool("diagnose_sync", {"sync_id": "00000000-0000-0000-0000-0000000000ff"})
        recorder.kind = "setup"
        for n in range(EXTRA_CONNECTIONS):
            configuration = {"service_account": SERVICE_ACCOUNT_JSON, "bucket": SEED_BUCKET}
            name = f"Regional drop {n:02d} — exports for team {chr(65 + n % 26)}"
            await recorder.call_tool(
                "connections_create", {"name": name, "type": "gcs", "configuration": configuration}
            )
        recorder.kind = "list"
        await recorder.call_tool("connections_list", {})
        await recorder.call_tool("connections_list", {"fields": ["*"]})
    async with Client(build_server(settings(SEED_TENANT, result_tokens=500), base_url)) as client:
        recorder.client = client  # the same tenant with a small budget: results that are cut, with their notes
        await recorder.call_tool("connections_list", {})
        await recorder.call_tool("describe_operation", {"operation": "model_sync_create"})
        await recorder.call_tool(
            "model_sync_targets_get_fields", {"connection_id": seed.salesforce_connection_id, "target": "Contact"}
        )
    return [r for r in recorder.results if r[0] != "setup"]


async def _composite(base_url: str) -> list[tuple[str, str, CallToolResult]]:
    server = build_server(settings("corpus-composite"), base_url)
    arguments = {
        "csv_key": SEED_FILE,
        "bucket": SEED_BUCKET,
        "service_account_json": SERVICE_ACCOUNT_JSON,
        "salesforce_domain": SEED_DOMAIN,
    }
    async with Client(server) as client:
        recorder = RecordingClient(client, "seed workflow")
        first = await recorder.call_tool("sync_gcs_csv_to_salesforce", arguments)
        report = first.structured_content or {}
        assert report.get("status") == "needs_authorization", report
        await authorize(str(report["auth_url"]))
        done = await recorder.call_tool("sync_gcs_csv_to_salesforce", arguments)
        assert (done.structured_content or {}).get("status") in ("completed", "completed_with_errors"), done
    return recorder.results


async def _catalog_wide(base_url: str) -> tuple[list[tuple[str, str, CallToolResult]], list[Tool]]:
    async with Client(build_server(settings(SEED_TENANT), base_url)) as client:  # lists of the seed's objects
        tools = (await client.list_tools()).tools
        recorder = RecordingClient(client, "describe_operation")
        for tool in tools:
            await recorder.call_tool("describe_operation", {"operation": tool.name})
        recorder.kind = "list"
        for tool in tools:
            if _needs_no_arguments(tool) and tool.name != "connections_get_types":
                await recorder.call_tool(tool.name, {})
        types = await recorder.call_tool("connections_get_types", {})
        recorder.kind = "schema"
        for kind in [t["id"] for t in (types.structured_content or {}).get("data", [])][:40]:
            await recorder.call_tool("connections_get_type_schema", {"type_id": kind})
    return recorder.results, tools


async def collect(base_url: str) -> list[Sample]:
    """Every sample once (identical texts are kept once)."""
    seed_results = await _seed_workflow(base_url)
    catalog_results, tools = await _catalog_wide(base_url)
    results = seed_results + await _composite(base_url) + catalog_results
    samples: list[Sample] = []
    for kind, name, result in results:
        samples += samples_of(kind, name, result)
    samples += [Sample("tool definition", tool.name, compact_json(tool_wire(tool))) for tool in tools]
    unique: dict[str, Sample] = {}
    for sample in samples:
        unique.setdefault(sample.text, sample)
    return list(unique.values())
