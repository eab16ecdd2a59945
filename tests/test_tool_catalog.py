"""Operation tools generated from the catalog: names, schemas, annotations, snapshots."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client

from polytomic_mcp.catalog import Parameter, load_catalog
from polytomic_mcp.catalog.model import catalog_bytes
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from polytomic_mcp.tools.operations.input_schema import build_flat_input, path_argument_name
from polytomic_mcp.tools.operations.naming import MAX_TOOL_NAME, TOOL_NAME_PATTERN, tool_name
from polytomic_mcp.tools.operations.tools import operation_tools
from polytomic_mcp.tools.toolsets import (
    DEFAULT_OPERATIONS,
    GROUP_TOOLSETS,
    ToolsetSelection,
    UnknownToolsetError,
)
from tests.support import check_snapshot, run_check_tools_list, tool_wire

CATALOG = load_catalog()


def test_catalog_is_the_vendored_file_named_in_provenance() -> None:
    provenance = (Path(__file__).parents[1] / "polytomic_mcp" / "catalog" / "PROVENANCE.md").read_text()
    digest = hashlib.sha256(catalog_bytes()).hexdigest()
    assert digest in provenance
    assert len(CATALOG) == 198


def test_every_operation_becomes_one_tool_with_a_valid_unique_name() -> None:
    tools = operation_tools()
    assert len(tools) == 198
    names = tools.names()
    assert len(set(names)) == 198
    for name in names:
        assert TOOL_NAME_PATTERN.match(name), name
        assert len(name) <= MAX_TOOL_NAME
        # Claude Code prefixes mcp__polytomic__ and models cap names at 64 characters.
        assert len(f"mcp__polytomic__{name}") <= 64


def test_naming_table_covers_all_operations() -> None:
    table = {op.name: tool_name(op) for op in CATALOG.operations}
    assert len(table) == 198
    check_snapshot("tool_names.json", table)


def test_catalog_names_over_48_characters_are_shortened() -> None:
    long_names = [op for op in CATALOG.operations if len(op.name) > MAX_TOOL_NAME]
    assert len(long_names) == 3
    assert tool_name(CATALOG.get("connections_shared_connections_list_shared_connections_for_partner")) == (
        "connections_list_shares_for_partner"
    )


def effective(hint: bool | None, default: bool) -> bool:
    """A hint as a client reads it: MCP's default where the tool leaves it out."""
    return default if hint is None else hint


def test_annotations_follow_the_catalog_classification() -> None:
    for tool in operation_tools():
        op = tool.operation
        annotations = tool.annotations()
        assert annotations.title and annotations.title[0].isupper()
        assert effective(annotations.read_only_hint, False) is op.read_only
        assert effective(annotations.open_world_hint, True) is True
        if not op.read_only:
            assert annotations.destructive_hint is op.destructive  # always said for tools that write
            assert effective(annotations.idempotent_hint, False) is op.idempotent


def test_input_schemas_are_flat_objects_with_requiredness_and_enums() -> None:
    for tool in operation_tools():
        schema = tool.input_schema
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        for combinator in ("anyOf", "oneOf", "allOf"):
            assert combinator not in schema
        op = tool.operation
        required = set(schema.get("required", []))
        for parameter in op.path_params:
            assert path_argument_name(op, parameter.name) in required
        for member in op.request_body_required if hasattr(op, "request_body_required") else ():
            assert member in required
        if op.request_body:
            for member in op.request_body.get("required", []):
                assert member in required, (tool.name, member)
    create = operation_tools().get("model_sync_create")
    assert create is not None
    assert create.input_schema["properties"]["mode"]["enum"][:3] == ["create", "update", "updateOrCreate"]
    # Nested objects stay objects (never JSON inside a string).
    target = create.input_schema["properties"]["target"]
    assert target == {"$ref": "#/$defs/ModelSyncV5Target"}
    assert create.input_schema["$defs"]["ModelSyncV5Target"]["type"] == "object"


def test_string_or_list_query_parameters_become_lists() -> None:
    tool = operation_tools().get("activity_list")
    assert tool is not None
    assert tool.input_schema["properties"]["harbor_id"] == {"type": "array", "items": {"type": "string"}}


def _with_parameters(**locations: list[str]) -> Any:
    base = CATALOG.get("model_sync_start")
    params = {
        loc: tuple(Parameter(name, loc, True, {"type": "string"}) for name in names)  # type: ignore[arg-type]
        for loc, names in locations.items()
        if loc != "body"
    }
    body = {
        "type": "object",
        "properties": {name: {"type": "integer"} for name in locations.get("body", [])},
        "required": list(locations.get("body", [])),
    }
    # A path whose ids keep their catalog names, so only the collision rules are at work.
    path = "/api/widgets/" + "/".join("{" + p.name + "}" for p in params.get("path", ()))
    return replace(
        base,
        path=path,
        path_params=params.get("path", ()),
        query_params=params.get("query", ()),
        header_params=params.get("header", ()),
        request_body=body,
    )


def test_name_collisions_are_resolved_deterministically() -> None:
    op = _with_parameters(path=["id"], query=["id", "limit"], body=["id", "limit", "query_id"])
    first = build_flat_input(op)
    second = build_flat_input(op)
    assert first == second
    targets = first.arguments.targets
    assert {name: (t.location, t.wire_name) for name, t in targets.items()} == {
        "id": ("path", "id"),
        "query_id": ("query", "id"),
        "limit": ("query", "limit"),
        "body_id": ("body", "id"),
        "body_limit": ("body", "limit"),
        "body_query_id": ("body", "query_id"),
    }
    split = first.arguments.split(
        {"id": "p", "query_id": "q", "body_id": 1, "limit": "5", "body_limit": 2, "body_query_id": 3}
    )
    assert split["path"] == {"id": "p"}
    assert split["query"] == {"id": "q", "limit": "5"}
    assert split["body"] == {"id": 1, "limit": 2, "query_id": 3}


def test_every_catalog_group_has_a_toolset_and_default_covers_the_seed_workflow() -> None:
    assert {op.group for op in CATALOG.operations} == set(GROUP_TOOLSETS)
    names = {op.name for op in CATALOG.operations}
    assert set(DEFAULT_OPERATIONS) <= names
    seed_steps = {
        "connections_create",
        "schemas_get_status",
        "models_create",
        "model_sync_create",
        "model_sync_start",
        "model_sync_executions_get",
        "jobs_get",
    }
    assert seed_steps <= set(DEFAULT_OPERATIONS)
    assert ToolsetSelection.parse("default,bulk_syncs").toolsets == {"bulk_syncs"}
    with pytest.raises(UnknownToolsetError, match="unknown toolset 'nope'"):
        ToolsetSelection.parse("nope")


def test_descriptions_only_mention_tools_that_exist() -> None:
    from polytomic_mcp.tools.inventory import HAND_WRITTEN_TOOLS

    known = set(operation_tools().names()) | {tool.name for tool in HAND_WRITTEN_TOOLS}
    for tool in operation_tools():
        for word in re.findall(r"\b[a-z]+(?:_[a-z]+){1,}\b", tool.description):
            if word in {
                "auth_url",
                "next_page_token",
                "page_token",
                "next_cursor",
                "single_file",
                "starting_after",
                "ending_before",
                "supports_identity",
                "identity_functions",
                "model_from",
                "schema_id",
            }:
                continue
            assert word in known, f"{tool.name} mentions unknown tool {word!r}"


async def _tools_list(settings: Settings, mode: str = "legacy") -> dict[str, Any]:
    server = build_server(settings, "http://polytomic.test")
    async with Client(server, mode=mode) as client:
        tools = (await client.list_tools()).tools
    return {"tools": [tool_wire(t) for t in tools]}


async def test_tools_list_snapshot_all_toolsets() -> None:
    payload = await _tools_list(Settings(api_key="k", access_mode="full-access", toolsets="all", max_tools=0))
    assert len(payload["tools"]) >= 198
    check_snapshot("tools_list_all.json", payload)


@pytest.mark.parametrize("toolsets", ["default", "all"])
async def test_check_tools_list_reports_no_errors(toolsets: str, tmp_path: Path) -> None:
    payload = await _tools_list(Settings(api_key="k", access_mode="full-access", toolsets=toolsets))
    code, report = run_check_tools_list(payload, tmp_path)
    assert code == 0, report
    assert "\n0 error(s)" in report


def test_path_ids_are_named_for_what_they_identify_and_old_names_still_work() -> None:
    tools = operation_tools()
    expected = {
        "model_sync_get": ["sync_id"],
        "model_sync_executions_get": ["sync_id", "execution_id"],
        "connections_get": ["connection_id"],
        "models_get": ["model_id"],
        "bulk_sync_get": ["bulk_sync_id"],
        "bulk_sync_executions_get": ["bulk_sync_id", "execution_id"],
        "jobs_get": ["type", "job_id"],
        "connections_get_type_schema": ["type_id"],
    }
    for name, path_ids in expected.items():
        tool = tools.get(name)
        assert tool is not None
        assert [a for a, t in tool.arguments.targets.items() if t.location == "path"] == path_ids, name
    # No tool takes a bare `id` any more, and every old name maps to the new one.
    for tool in tools:
        path_ids = [a for a, t in tool.arguments.targets.items() if t.location == "path"]
        assert "id" not in path_ids, tool.name
    sync_get = tools.get("model_sync_get")
    assert sync_get is not None
    resolved, notes = sync_get.arguments.resolve_aliases({"id": "s1"})
    assert resolved == {"sync_id": "s1"}
    assert notes == ["'id' is the old name of 'sync_id' (accepted until the next release; use 'sync_id')"]
    # The current name wins when both are given (nothing is overwritten silently).
    assert sync_get.arguments.resolve_aliases({"id": "old", "sync_id": "new"})[0] == {"id": "old", "sync_id": "new"}
