"""`polytomic-mcp tools`: what the model would be shown, per toolset, with token counts.

Counts are of each tool's compact JSON definition, the way check_tools_list.py counts
them; the total is of the whole tools/list result.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

import anyio
from mcp.types import Tool

from polytomic_mcp.commands.output import say
from polytomic_mcp.commands.tool_cap import LeftOut, describe_left_out, left_out_toolsets
from polytomic_mcp.settings import Settings, request_scope
from polytomic_mcp.tokens import count_json_tokens, tokenizer_name
from polytomic_mcp.tools.profiles import choose_profile


@dataclass(frozen=True, slots=True)
class ToolCost:
    group: str
    name: str
    tokens: int


def tool_wire(tool: Tool) -> dict[str, object]:
    return tool.model_dump(by_alias=True, exclude_none=True, mode="json")


async def listed_tools(settings: Settings, profile: str | None = None) -> list[Tool]:
    """The tools/list a client would get with these settings (no backend is contacted)."""
    tools, _ = await listing_and_left_out(settings, profile)
    return tools


async def listing_and_left_out(settings: Settings, profile: str | None = None) -> tuple[list[Tool], list[LeftOut]]:
    """The listing, and the toolsets the tool cap kept out of it."""
    from polytomic_mcp.server import build_server

    server = build_server(settings, settings.base_url)
    scope = request_scope(settings, None)
    chosen = choose_profile(profile or settings.client_profile, None)
    return await server.tools_listing(scope, chosen), await left_out_toolsets(server, scope, chosen)


def group_of(tool: Tool, groups: dict[str, str]) -> str:
    return groups.get(tool.name, "workflow & discovery")


def costs(tools: list[Tool]) -> tuple[list[ToolCost], int]:
    from polytomic_mcp.tools.operations.tools import operation_tools

    groups = {t.name: t.toolset for t in operation_tools()}
    per_tool = [ToolCost(group_of(t, groups), t.name, count_json_tokens(tool_wire(t))) for t in tools]
    total = count_json_tokens({"tools": [tool_wire(t) for t in tools]})
    return per_tool, total


def render_table(
    per_tool: list[ToolCost], total: int, settings: Settings, profile: str, left_out: list[LeftOut]
) -> str:
    lines = [
        f"access mode: {settings.effective_access_mode.value}   toolsets: {settings.toolsets}   "
        f"profile: {profile}   tokenizer: {tokenizer_name()}",
        "",
    ]
    by_group: dict[str, list[ToolCost]] = {}
    for cost in per_tool:
        by_group.setdefault(cost.group, []).append(cost)
    for group, items in by_group.items():
        lines.append(f"{group}  ({len(items)} tools, {sum(c.tokens for c in items)} tokens)")
        lines += [f"  {c.tokens:6}  {c.name}" for c in items]
    lines.append("")
    lines.append(f"total: {len(per_tool)} tools, {total} tokens (whole tools/list result)")
    if left_out:
        lines.append(describe_left_out(left_out, settings))
    return "\n".join(lines)


def run_tools_report(settings: Settings, args: argparse.Namespace) -> int:
    tools, left_out = anyio.run(listing_and_left_out, settings, args.profile)
    per_tool, total = costs(tools)
    if left_out:
        print(f"polytomic-mcp: {describe_left_out(left_out, settings)}", file=sys.stderr, flush=True)
    if args.json:
        report = {
            "tokenizer": tokenizer_name(),
            "access_mode": settings.effective_access_mode.value,
            "toolsets": settings.toolsets,
            "total_tokens": total,
            "tools": [{"group": c.group, "name": c.name, "tokens": c.tokens} for c in per_tool],
            "left_out": [{"toolset": item.toolset, "tools": item.tools} for item in left_out],
        }
        say(json.dumps(report, indent=1))
    else:
        profile = choose_profile(args.profile or settings.client_profile, None)
        say(render_table(per_tool, total, settings, profile, left_out))
    return 0
