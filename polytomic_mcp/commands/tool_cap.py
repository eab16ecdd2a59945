"""Which toolsets the tool cap (`--max-tools`, 128 by default) left out of a listing.

The server lists whole toolsets until the next one would not fit (toolsets.fit_toolsets);
this compares what the settings select with what is listed, so `serve` can say it on
stderr and `tools` can print it. Left-out tools stay callable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from polytomic_mcp.settings import RequestScope, Settings
from polytomic_mcp.tools.toolsets import ALL_TOOLSETS

if TYPE_CHECKING:
    from polytomic_mcp.server import PolytomicServer


@dataclass(frozen=True, slots=True)
class LeftOut:
    toolset: str
    tools: int


async def left_out_toolsets(server: PolytomicServer, scope: RequestScope, profile: str = "standard") -> list[LeftOut]:
    """Toolsets with selected tools that the cap kept out of the listing, in toolset order."""
    listed = {tool.name for tool in await server.tools_listing(scope, profile)}
    counts: dict[str, int] = {}
    for tool in server.registry.listed_operations(scope, None, server.registry.guard.deny_list(scope)):
        if tool.name not in listed:
            counts[tool.toolset] = counts.get(tool.toolset, 0) + 1
    return [LeftOut(name, counts[name]) for name in ALL_TOOLSETS if name in counts]


def describe_left_out(left_out: list[LeftOut], settings: Settings) -> str:
    """One line for people: what was left out, why, and how to get it."""
    parts = ", ".join(f"{item.toolset} ({item.tools} tools)" for item in left_out)
    return (
        f"the {settings.max_tools}-tool cap (--max-tools) left out of the listing: {parts}; they stay "
        "callable by name and through call_read_operation / call_write_operation; --max-tools 0 lists everything"
    )
