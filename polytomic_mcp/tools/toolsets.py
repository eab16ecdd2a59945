"""Toolsets: named groups of operation tools that a deployment chooses to list.

Every operation belongs to exactly one toolset, by its catalog group. The `default`
selection is not a toolset of its own: it is the short list of operations the seed
workflow (connections → schema cache → model → model sync → execution) and everyday
work (list, get, update and delete syncs; bulk syncs' list, status and start; execution
lists) need, named in each toolset's record, so the default tool list stays small;
everything else stays reachable through the discovery tools.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from polytomic_mcp.catalog import Operation
from polytomic_mcp.errors import SettingsError


@dataclass(frozen=True, slots=True)
class Toolset:
    """A named group of operation tools: what it covers, the catalog groups in it, and which of
    its operations the `default` selection lists."""

    id: str
    description: str
    groups: tuple[str, ...]
    default_operations: tuple[str, ...] = ()


TOOLSETS: tuple[Toolset, ...] = (
    Toolset(
        "connections",
        "Connections, connection types, configuration values, proxy and sharing.",
        ("connections", "connections.proxy", "connections.shared_connections"),
        ("connections_list", "connections_get", "connections_create"),
    ),
    Toolset(
        "schemas",
        "A connection's cached schemas: status, refresh, fields, sample records.",
        ("schemas",),
        ("schemas_get_status",),
    ),
    Toolset(
        "models",
        "Models over a source connection: create, preview, sample.",
        ("models",),
        ("models_create", "models_get"),
    ),
    Toolset(
        "model_syncs",
        "Model syncs (reverse ETL), their targets, status and error handling.",
        ("model_sync", "model_sync.error_handling", "model_sync.targets"),
        (
            "model_sync_targets_get_target_fields",
            "model_sync_create",
            "model_sync_get",
            "model_sync_start",
            "model_sync_list",
            "model_sync_update",
            "model_sync_delete",
        ),
    ),
    Toolset(
        "executions",
        "Model sync executions: list, inspect, cancel, logs.",
        ("model_sync.executions",),
        ("model_sync_executions_get", "model_sync_executions_list"),
    ),
    Toolset(
        "bulk_syncs",
        "Bulk (ELT) syncs, their schemas, schedules and executions.",
        ("bulk_sync", "bulk_sync.error_handling", "bulk_sync.executions", "bulk_sync.schedules", "bulk_sync.schemas"),
        ("bulk_sync_list", "bulk_sync_get_status", "bulk_sync_start", "bulk_sync_executions_list"),
    ),
    Toolset("jobs", "Asynchronous jobs and the query runner.", ("jobs", "query_runner"), ("jobs_get",)),
    Toolset("events", "Sync events (48 hours of history).", ("events",)),
    Toolset("webhooks", "The event webhook and error-notification subscribers.", ("webhooks", "notifications")),
    Toolset(
        "users",
        "Users, the caller's identity and temporary credentials.",
        ("users", "identity", "temporary_credentials"),
    ),
    Toolset("organizations", "Organizations (partner keys) and entity lookup.", ("organization", "entities")),
    Toolset("permissions", "Access policies and roles.", ("permissions.policies", "permissions.roles")),
    Toolset(
        "harbors",
        "Harbors: governed data access for agents, with activity and record links.",
        ("harbors", "harbors.actions", "activity", "record_view_links"),
    ),
    Toolset("discovery", "Polytomic's own operation search.", ("operations",)),
)

# Lookups derived from TOOLSETS (the one place toolset facts are written).
ALL_TOOLSETS: tuple[str, ...] = tuple(toolset.id for toolset in TOOLSETS)
GROUP_TOOLSETS: dict[str, str] = {group: toolset.id for toolset in TOOLSETS for group in toolset.groups}
DEFAULT_OPERATIONS: tuple[str, ...] = tuple(name for toolset in TOOLSETS for name in toolset.default_operations)


class UnknownToolsetError(SettingsError):
    """A toolset name that does not exist."""


@dataclass(frozen=True, slots=True)
class ToolsetSelection:
    """What to list: whole toolsets, plus (or not) the curated default operations."""

    toolsets: frozenset[str]
    include_default: bool

    @classmethod
    def parse(cls, spec: str | Iterable[str]) -> ToolsetSelection:
        """Parse `default`, `all`, or a comma list of toolsets (e.g. `default,bulk_syncs`)."""
        items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
        items = items or ["default"]
        if "all" in items:
            return cls(frozenset(ALL_TOOLSETS), include_default=True)
        unknown = [item for item in items if item != "default" and item not in ALL_TOOLSETS]
        if unknown:
            known = ", ".join(("default", "all", *ALL_TOOLSETS))
            raise UnknownToolsetError(f"unknown toolset {unknown[0]!r}; choose from: {known}")
        return cls(frozenset(i for i in items if i != "default"), include_default="default" in items)

    def selects(self, operation: Operation) -> bool:
        """Whether an operation is listed under this selection."""
        if self.include_default and operation.name in DEFAULT_OPERATIONS:
            return True
        return toolset_of(operation) in self.toolsets

    def describe(self) -> str:
        parts = (["default"] if self.include_default else []) + sorted(self.toolsets)
        return ",".join(parts)


def toolset_of(operation: Operation) -> str:
    return GROUP_TOOLSETS[operation.group]


class HasOperation(Protocol):
    @property
    def operation(self) -> Operation: ...


T = TypeVar("T", bound=HasOperation)


def fit_toolsets(tools: list[T], room: int | None) -> list[T]:
    """Keep whole toolsets, in the order of ALL_TOOLSETS, while they fit in `room` tools.

    Some clients reject a tool list over 128 entries (the OpenAI API's limit, and clients
    built on it), so listings are capped. A toolset that does not fit is left out whole
    (a half-listed area confuses more than a missing one) and smaller ones after it may
    still fit. Default operations always come first. Unlisted tools stay callable.
    """
    if room is None or len(tools) <= room:
        return tools
    defaults = [t for t in tools if t.operation.name in DEFAULT_OPERATIONS]
    kept: list[T] = defaults[:room]
    for toolset in ALL_TOOLSETS:
        members = [t for t in tools if toolset_of(t.operation) == toolset and t not in defaults]
        if members and len(kept) + len(members) <= room:
            kept += members
    order = {id(t): i for i, t in enumerate(tools)}
    return sorted(kept, key=lambda t: order[id(t)])
