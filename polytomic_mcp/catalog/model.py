"""Typed view of the vendored operation catalog (`operations.json`).

The JSON is read once per process and turned into frozen dataclasses; everything else in
the project (tools, discovery, the sandbox's router and validation) reads these objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

JsonSchema = dict[str, Any]
ParamLocation = Literal["path", "query", "header"]


@dataclass(frozen=True, slots=True)
class Parameter:
    """A path, query or header parameter of an operation."""

    name: str
    location: ParamLocation
    required: bool
    schema: JsonSchema


@dataclass(frozen=True, slots=True)
class Pagination:
    """How an operation pages: the request member and where the next cursor is found."""

    style: str  # page_token | after | time_window | links
    request: str
    response: str


@dataclass(frozen=True, slots=True)
class AsyncInfo:
    """How to observe the background work an operation starts."""

    poll: str
    id_from: str
    done_when: str
    job_type: str | None = None
    when: str | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    """One Polytomic API operation, as the catalog describes it."""

    name: str
    group: str
    tag: str
    method: str
    path: str
    purpose: str
    path_params: tuple[Parameter, ...]
    query_params: tuple[Parameter, ...]
    header_params: tuple[Parameter, ...]
    request_body: JsonSchema | None
    response_type: str | None
    response_body: JsonSchema | None
    error_statuses: tuple[int, ...]
    read_only: bool
    destructive: bool
    idempotent: bool
    accepts_idempotency_key: bool
    partner_scope: bool
    pagination: Pagination | None
    async_info: AsyncInfo | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """All operations plus the catalog-wide facts (source, error schema)."""

    operations: tuple[Operation, ...]
    source: dict[str, Any]
    error_schema: JsonSchema
    default_api_version: str
    default_base_url: str

    by_name: dict[str, Operation] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {op.name: op for op in self.operations})

    def get(self, name: str) -> Operation:
        """The operation with this catalog name; KeyError if there is none."""
        return self.by_name[name]

    def __len__(self) -> int:
        return len(self.operations)


def _parameter(raw: dict[str, Any]) -> Parameter:
    return Parameter(name=raw["name"], location=raw["in"], required=bool(raw["required"]), schema=raw["schema"])


def _notes(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    return tuple(str(n) for n in raw)


def _operation(raw: dict[str, Any]) -> Operation:
    pagination = raw.get("pagination")
    async_raw = raw.get("async")
    return Operation(
        name=raw["name"],
        group=raw["group"],
        tag=raw["tag"],
        method=raw["method"].upper(),
        path=raw["path"],
        purpose=raw["purpose"],
        path_params=tuple(_parameter(p) for p in raw["path_params"]),
        query_params=tuple(_parameter(p) for p in raw["query_params"]),
        header_params=tuple(_parameter(p) for p in raw["header_params"]),
        request_body=raw.get("request_body"),
        response_type=raw.get("response_type"),
        response_body=raw.get("response_body"),
        error_statuses=tuple(raw.get("error_statuses") or ()),
        read_only=bool(raw["read_only"]),
        destructive=bool(raw["destructive"]),
        idempotent=bool(raw["idempotent"]),
        accepts_idempotency_key=bool(raw.get("accepts_idempotency_key")),
        partner_scope=bool(raw.get("partner_scope")),
        pagination=Pagination(**pagination) if pagination else None,
        async_info=AsyncInfo(**async_raw) if async_raw else None,
        notes=_notes(raw.get("notes")),
    )


def parse_catalog(raw: dict[str, Any]) -> Catalog:
    """Build a Catalog from the decoded JSON document."""
    source = raw["source"]
    return Catalog(
        operations=tuple(_operation(op) for op in raw["operations"]),
        source=source,
        error_schema=raw["error_schema"],
        default_api_version=source["default_api_version_header"]["X-Polytomic-Version"],
        default_base_url=source["default_base_url"],
    )


def catalog_bytes() -> bytes:
    """The vendored catalog file exactly as shipped."""
    return resources.files("polytomic_mcp.catalog").joinpath("operations.json").read_bytes()


@cache
def load_catalog() -> Catalog:
    """The vendored catalog, parsed once per process."""
    return parse_catalog(json.loads(catalog_bytes()))
