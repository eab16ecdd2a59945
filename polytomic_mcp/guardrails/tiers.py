"""Tiers and the deny list: which operations a request may list and run.

The tier is the access mode (`read-only` < `read-write` < `full-access`, `settings.py`);
the deny list names operations (tool or catalog name), hand-written tools or whole
toolsets that are never listed or run. Both come from the operator and, over HTTP, may
be narrowed by request headers (a stricter mode, more denied names), never widened.
Refusals name the setting that would allow the call, so the user knows what to change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from polytomic_mcp.catalog import Operation, load_catalog
from polytomic_mcp.errors import AccessDeniedError, SettingsError
from polytomic_mcp.settings import AccessMode, Settings
from polytomic_mcp.tools.operations.naming import tool_name
from polytomic_mcp.tools.toolsets import ALL_TOOLSETS, toolset_of


class UnknownDenyNameError(SettingsError):
    """A --deny (or X-Polytomic-Deny) name that is no operation, tool or toolset."""


@dataclass(frozen=True, slots=True)
class DenyList:
    """What is denied: catalog operation names, hand-written tool names and toolset ids."""

    operations: frozenset[str] = frozenset()
    tools: frozenset[str] = frozenset()
    toolsets: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, names: Iterable[str], hand_written: Iterable[str], source: str = "--deny") -> DenyList:
        """Resolve names; UnknownDenyNameError names the first unknown one and where to find valid ones."""
        by_tool_name = {tool_name(op): op.name for op in load_catalog().operations}
        catalog_names = set(load_catalog().by_name)
        own_tools = set(hand_written)
        operations: set[str] = set()
        tools: set[str] = set()
        toolsets: set[str] = set()
        for name in names:
            if name in by_tool_name:
                operations.add(by_tool_name[name])
            elif name in catalog_names:
                operations.add(name)
            elif name in own_tools:
                tools.add(name)
            elif name in ALL_TOOLSETS:
                toolsets.add(name)
            else:
                raise UnknownDenyNameError(
                    f"{source}: {name!r} is not an operation, tool or toolset. Use operation tool names "
                    "(`polytomic-mcp tools --toolsets all` lists them), hand-written tool names, or toolsets: "
                    f"{', '.join(ALL_TOOLSETS)}."
                )
        return cls(frozenset(operations), frozenset(tools), frozenset(toolsets))

    def __bool__(self) -> bool:
        return bool(self.operations or self.tools or self.toolsets)

    def denies_operation(self, operation: Operation) -> bool:
        return operation.name in self.operations or toolset_of(operation) in self.toolsets

    def denies_tool(self, name: str) -> bool:
        return name in self.tools


def read_only_refusal(tool: str, mode: AccessMode, settings: Settings, over_http: bool) -> str:
    return _refusal(
        f"{tool} changes data in Polytomic, and this server is in {mode.value} mode, so it was not run.",
        "To allow it, the operator must start the server with --access-mode read-write (creates and "
        "non-destructive changes) or --access-mode full-access (or set POLYTOMIC_ACCESS_MODE=full-access).",
        "Read-only tools (get, list, status, diagnose) remain available.",
        mode,
        settings,
        over_http,
    )


def destructive_refusal(tool: str, mode: AccessMode, settings: Settings, over_http: bool) -> str:
    return _refusal(
        f"{tool} deletes, replaces or cancels something in Polytomic (a destructive operation), and this "
        f"server is in {mode.value} mode, so it was not run.",
        "Only the operator can allow destructive operations: start the server with --access-mode full-access "
        "(or set POLYTOMIC_ACCESS_MODE=full-access); each one is then confirmed by the user.",
        "Creates and non-destructive changes remain available.",
        mode,
        settings,
        over_http,
    )


def _refusal(what: str, operator_fix: str, still: str, mode: AccessMode, settings: Settings, over_http: bool) -> str:
    """What was refused and why; who can change that (the request's own header, or the operator); what remains."""
    if over_http and settings.effective_access_mode is not mode:
        fix = f"The request header 'X-Polytomic-Access-Mode: {mode.value}' narrowed the mode; drop that header."
    else:
        fix = operator_fix
    return " ".join([what, fix, still])


def denied_refusal(name: str, over_http: bool) -> str:
    where = "the operator's --deny setting or the request's X-Polytomic-Deny header" if over_http else "--deny"
    return f"{name} is denied on this server ({where}), so it was not run. Only the operator can change that."


def check_tier(tool: str, operation: Operation, mode: AccessMode, settings: Settings, over_http: bool) -> None:
    """Raise AccessDeniedError when the mode does not allow this operation."""
    if mode.allows(operation.read_only, operation.destructive):
        return
    if not mode.allows(read_only_operation=False):
        raise AccessDeniedError(read_only_refusal(tool, mode, settings, over_http))
    raise AccessDeniedError(destructive_refusal(tool, mode, settings, over_http))
