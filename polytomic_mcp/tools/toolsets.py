"""Toolsets: named groups of operation tools that a deployment chooses to list.

Every operation belongs to exactly one toolset, derived from its catalog group. The
`default` selection is not a toolset of its own: it is the short list of operations the
seed workflow (connections → schema cache → model → model sync → execution) needs, so the
default tool list stays small; everything else stays reachable through the discovery
tools.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from polytomic_mcp.catalog import Operation
from polytomic_mcp.errors import SettingsError

GROUP_TOOLSETS: dict[str, str] = {
    "connections": "connections",
    "connections.proxy": "connections",
    "connections.shared_connections": "connections",
    "schemas": "schemas",
    "models": "models",
    "model_sync": "model_syncs",
    "model_sync.error_handling": "model_syncs",
    "model_sync.targets": "model_syncs",
    "model_sync.executions": "executions",
    "bulk_sync": "bulk_syncs",
    "bulk_sync.error_handling": "bulk_syncs",
    "bulk_sync.executions": "bulk_syncs",
    "bulk_sync.schedules": "bulk_syncs",
    "bulk_sync.schemas": "bulk_syncs",
    "jobs": "jobs",
    "query_runner": "jobs",
    "events": "events",
    "webhooks": "webhooks",
    "notifications": "webhooks",
    "users": "users",
    "identity": "users",
    "temporary_credentials": "users",
    "organization": "organizations",
    "entities": "organizations",
    "permissions.policies": "permissions",
    "permissions.roles": "permissions",
    "harbors": "harbors",
    "harbors.actions": "harbors",
    "activity": "harbors",
    "record_view_links": "harbors",
    "operations": "discovery",
}

TOOLSET_DESCRIPTIONS: dict[str, str] = {
    "connections": "Connections, connection types, configuration values, proxy and sharing.",
    "schemas": "A connection's cached schemas: status, refresh, fields, sample records.",
    "models": "Models over a source connection: create, preview, sample.",
    "model_syncs": "Model syncs (reverse ETL), their targets, status and error handling.",
    "executions": "Model sync executions: list, inspect, cancel, logs.",
    "bulk_syncs": "Bulk (ELT) syncs, their schemas, schedules and executions.",
    "jobs": "Asynchronous jobs and the query runner.",
    "events": "Sync events (48 hours of history).",
    "webhooks": "The event webhook and error-notification subscribers.",
    "users": "Users, the caller's identity and temporary credentials.",
    "organizations": "Organizations (partner keys) and entity lookup.",
    "permissions": "Access policies and roles.",
    "harbors": "Harbors: governed data access for agents, with activity and record links.",
    "discovery": "Polytomic's own operation search.",
}

# The seed workflow's operations (by catalog name): enough to connect GCS and Salesforce,
# wait for their schemas, model a CSV, create a sync and run it.
DEFAULT_OPERATIONS: tuple[str, ...] = (
    "connections_list",
    "connections_get",
    "connections_create",
    "schemas_get_status",
    "schemas_refresh",
    "schemas_get",
    "models_create",
    "models_get",
    "model_sync_targets_list",
    "model_sync_targets_get_target_fields",
    "model_sync_create",
    "model_sync_get",
    "model_sync_start",
    "model_sync_executions_get",
    "jobs_get",
)

ALL_TOOLSETS: tuple[str, ...] = tuple(TOOLSET_DESCRIPTIONS)


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
        unknown = [item for item in items if item != "default" and item not in TOOLSET_DESCRIPTIONS]
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


def left_out(tools: list[T], kept: list[T]) -> list[str]:
    """Toolsets with at least one tool not listed."""
    kept_ids = {id(t) for t in kept}
    return sorted({toolset_of(t.operation) for t in tools if id(t) not in kept_ids})
