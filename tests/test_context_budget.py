"""What the tool list costs, and that every client profile's list passes check_tools_list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp.types import Implementation

from polytomic_mcp.commands.tools_report import costs, listed_tools
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from polytomic_mcp.tools.profiles import GEMINI_KEYWORDS, PROFILES, choose_profile
from polytomic_mcp.tools.toolsets import ALL_TOOLSETS
from tests.support import run_check_tools_list, tool_wire

DEFAULT_BUDGET = 5_000
ALL_BUDGET = 45_000


def settings(**overrides: Any) -> Settings:
    return Settings(**{"api_key": "k", "access_mode": "full-access", **overrides})


@pytest.mark.parametrize("profile", ["inline", "standard"])
async def test_default_surface_fits_its_budget(profile: str) -> None:
    tools = await listed_tools(settings(client_profile=profile))
    _, total = costs(tools)
    print(f"\ndefault surface ({profile}): {len(tools)} tools, {total} tokens (budget {DEFAULT_BUDGET})")
    assert total <= DEFAULT_BUDGET
    names = {t.name for t in tools}
    assert {
        "sync_gcs_csv_to_salesforce",
        "search_operations",
        "call_read_operation",
        "call_write_operation",
        "model_sync_create",
        "model_sync_update",
        "model_sync_delete",
        "bulk_sync_start",
        "whoami",
    } <= names


async def test_all_toolsets_fit_their_budget_even_uncapped() -> None:
    capped = await listed_tools(settings(toolsets="all"))
    uncapped = await listed_tools(settings(toolsets="all", max_tools=0))
    _, capped_total = costs(capped)
    per_tool, uncapped_total = costs(uncapped)
    by_group: dict[str, int] = {}
    for cost in per_tool:
        by_group[cost.group] = by_group.get(cost.group, 0) + cost.tokens
    print(
        f"\nall toolsets: {len(capped)} tools listed (cap 128), {capped_total} tokens; "
        f"uncapped {len(uncapped)} tools, {uncapped_total} tokens (budget {ALL_BUDGET})"
    )
    for group in ("workflow & discovery", *ALL_TOOLSETS):
        if group in by_group:
            print(f"  {group:22} {by_group[group]:6}")
    assert uncapped_total <= ALL_BUDGET and capped_total <= uncapped_total
    assert len(uncapped) == 210 and len(capped) <= 128


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("toolsets", ["default", "all"])
async def test_every_profile_passes_check_tools_list(profile: str, toolsets: str, tmp_path: Path) -> None:
    tools = await listed_tools(settings(toolsets=toolsets, client_profile=profile))
    payload = {"tools": [tool_wire(t) for t in tools]}
    code, report = run_check_tools_list(payload, tmp_path)
    assert code == 0, report
    assert "\n0 error(s)" in report
    if profile != "standard":
        assert "$ref" not in json.dumps(payload) and "$defs" not in json.dumps(payload)
        assert "WARNING ref " not in report and "type-array" not in report


async def test_gemini_profile_uses_only_gemini_keywords() -> None:
    tools = await listed_tools(settings(toolsets="all", client_profile="gemini"))
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties":
                    for sub in value.values():
                        walk(sub)
                else:
                    seen.add(key)
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for tool in tools:
        walk(tool.input_schema)
    assert seen <= GEMINI_KEYWORDS, seen - GEMINI_KEYWORDS


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize(("client_name", "refs_expected"), [("claude-code", True), ("gemini-cli-mcp-client", False)])
async def test_profile_follows_client_info(mode: str, client_name: str, refs_expected: bool) -> None:
    server = build_server(settings(), "http://polytomic.test")
    async with Client(server, mode=mode, client_info=Implementation(name=client_name, version="1.0")) as client:
        tools = (await client.list_tools()).tools
    composite = next(t for t in tools if t.name == "sync_gcs_csv_to_salesforce")  # its schedule is a shared $def
    assert ("$defs" in composite.input_schema) is refs_expected


async def test_operator_setting_overrides_client_info() -> None:
    server = build_server(settings(client_profile="inline"), "http://polytomic.test")
    async with Client(server, client_info=Implementation(name="claude-code", version="1.0")) as client:
        tools = (await client.list_tools()).tools
    assert all("$defs" not in t.input_schema for t in tools)
    assert choose_profile("auto", "Cursor") == "inline" and choose_profile("auto", None) == "inline"
    assert choose_profile("auto", "claude-ai") == "standard"
