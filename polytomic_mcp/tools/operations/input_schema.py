"""One flat `inputSchema` per operation: path, query, header and body members side by side.

Collisions are resolved deterministically: a path parameter keeps its name; a query or
header parameter or a body member that would clash gets its location as a prefix
(`query_id`, `body_id`), then a number if that clashes too. `ArgumentMap` remembers where
each tool argument goes on the wire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from polytomic_mcp.catalog import Operation, Parameter
from polytomic_mcp.tools.schema_shaping import (
    JsonSchema,
    hoist_repeats,
    is_string_or_string_list,
    merge_identical_defs,
    simplify,
)

Location = Literal["path", "query", "header", "body", "local"]

# Sent by the client itself on every non-GET request (one key per logical call).
CLIENT_MANAGED_HEADERS = frozenset({"idempotency-key"})


FIELDS_SCHEMA: JsonSchema = {
    "type": "array",
    "items": {"type": "string"},
    "description": "Members per item (default: a summary; ['*']: all).",
}
SKIP_SCHEMA: JsonSchema = {"type": "integer", "minimum": 0, "description": "Items to skip (resumes a cut list)."}


def returns_list(operation: Operation) -> bool:
    """Whether the operation's `data` is an array (a list operation)."""
    data = ((operation.response_body or {}).get("properties") or {}).get("data") or {}
    kinds = data.get("type")
    if kinds == "array" or (isinstance(kinds, list) and "array" in kinds):
        return True
    return any(isinstance(b, dict) and b.get("type") == "array" for b in data.get("anyOf", []))


@dataclass(frozen=True, slots=True)
class ArgumentTarget:
    """Where a tool argument goes: its location and its name on the wire."""

    location: Location
    wire_name: str


@dataclass(frozen=True, slots=True)
class ArgumentMap:
    targets: dict[str, ArgumentTarget]
    # Old argument names still accepted (for one release), each → its current name.
    aliases: dict[str, str] = field(default_factory=dict)

    def resolve_aliases(self, arguments: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Arguments under their current names, and a note for each old name that was used."""
        resolved = dict(arguments)
        notes = []
        for old, new in self.aliases.items():
            if old in resolved and new not in resolved:
                resolved[new] = resolved.pop(old)
                notes.append(f"'{old}' is the old name of '{new}' (accepted until the next release; use '{new}')")
        return resolved, notes

    def split(self, arguments: dict[str, Any]) -> dict[Location, dict[str, Any]]:
        """Sort validated arguments into path, query, header and body members."""
        parts: dict[Location, dict[str, Any]] = {"path": {}, "query": {}, "header": {}, "body": {}, "local": {}}
        for name, value in arguments.items():
            target = self.targets[name]
            parts[target.location][target.wire_name] = value
        return parts


@dataclass(frozen=True, slots=True)
class FlatInput:
    schema: JsonSchema
    arguments: ArgumentMap


def header_argument_name(header: str) -> str:
    """`X-Polytomic-Harbor-Session` → `harbor_session`."""
    name = re.sub(r"^x-polytomic-", "", header.lower())
    return re.sub(r"[^a-z0-9]+", "_", name).strip("_")


def _unique(name: str, location: Location, taken: set[str]) -> str:
    if name not in taken:
        return name
    candidate = f"{location}_{name}"
    n = 2
    while candidate in taken:
        candidate, n = f"{location}_{name}_{n}", n + 1
    return candidate


# What a catalog path parameter called `id` identifies, by the path segment before it.
ID_NAMES = {
    "connection_types": "type_id",
    "connections": "connection_id",
    "entities": "entity_id",
    "executions": "execution_id",
    "models": "model_id",
    "organizations": "organization_id",
    "policies": "policy_id",
    "queries": "query_id",
    "roles": "role_id",
    "syncs": "sync_id",
    "users": "user_id",
    "webhooks": "webhook_id",
}
ABBREVIATIONS = {"exec_id": "execution_id", "org_id": "organization_id"}
BULK_SYNC_PREFIX = ("api", "bulk", "syncs")


def path_argument_name(operation: Operation, parameter: str) -> str:
    """The tool argument for a path parameter: named for what it identifies (`sync_id`, not a
    bare `id` whose meaning changes from tool to tool); a bulk sync's id is `bulk_sync_id`."""
    segments = operation.path.strip("/").split("/")
    index = segments.index("{" + parameter + "}")
    if tuple(segments[:3]) == BULK_SYNC_PREFIX and index == 3:
        return "bulk_sync_id"
    if parameter == "id":
        previous = segments[index - 1] if index else ""
        return "job_id" if previous == "{type}" else ID_NAMES.get(previous, parameter)
    return ABBREVIATIONS.get(parameter, parameter)


def _path_param_description(operation: Operation, name: str) -> str:
    """A few words naming what a path id refers to, from the segment before it."""
    segments = operation.path.strip("/").split("/")
    placeholder = "{" + name + "}"
    if placeholder in segments:
        index = segments.index(placeholder)
        if index > 0 and not segments[index - 1].startswith("{"):
            noun = segments[index - 1].replace("_", " ").replace("-", " ")
            noun = {"syncs": "sync", "modelsync": "sync", "queries": "query"}.get(noun, noun)
            noun = noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun
            if name.endswith("id"):
                return f"{noun.capitalize()} id."
            return f"{noun.capitalize()} {name.replace('_', ' ')}."
    return f"{name.replace('_', ' ').capitalize()}."


def _parameter_schema(parameter: Parameter) -> JsonSchema:
    if is_string_or_string_list(parameter.schema):
        # One shape for the model: a list (what the schema lists is exactly what is accepted).
        return {"type": "array", "items": {"type": "string"}}
    schema: JsonSchema = simplify(parameter.schema)
    return schema


def build_flat_input(operation: Operation) -> FlatInput:
    properties: dict[str, Any] = {}
    required: list[str] = []
    targets: dict[str, ArgumentTarget] = {}
    taken: set[str] = set()

    def add(name: str, location: Location, wire: str, schema: JsonSchema, is_required: bool) -> None:
        arg = _unique(name, location, taken)
        taken.add(arg)
        properties[arg] = schema
        targets[arg] = ArgumentTarget(location, wire)
        if is_required:
            required.append(arg)

    aliases: dict[str, str] = {}
    for parameter in operation.path_params:
        schema = _parameter_schema(parameter)
        argument = path_argument_name(operation, parameter.name)
        if not argument.endswith("_id"):  # `sync_id` says what it is; `type` or `filename` need words
            schema = {**schema, "description": _path_param_description(operation, parameter.name)}
        add(argument, "path", parameter.name, schema, True)
        if argument != parameter.name:
            aliases[parameter.name] = argument
    for parameter in operation.query_params:
        schema = _parameter_schema(parameter)
        add(parameter.name, "query", parameter.name, schema, parameter.required)
    for parameter in operation.header_params:
        if parameter.name.lower() in CLIENT_MANAGED_HEADERS:
            continue
        schema = _parameter_schema(parameter)
        add(header_argument_name(parameter.name), "header", parameter.name, schema, parameter.required)

    body = simplify(operation.request_body) if operation.request_body else None
    defs: dict[str, Any] = {}
    if body:
        body_required = set(body.get("required", []))
        for member, schema in body.get("properties", {}).items():
            add(member, "body", member, schema, member in body_required)
        defs = body.get("$defs", {})

    if returns_list(operation):
        # Ours, not Polytomic's: how much of each item to return, and where to resume a cut list.
        add("fields", "local", "fields", FIELDS_SCHEMA, False)
        add("skip", "local", "skip", SKIP_SCHEMA, False)

    flat: JsonSchema = {"type": "object", "properties": properties}
    if required:
        flat["required"] = required
    flat["additionalProperties"] = False
    if defs:
        flat["$defs"] = defs
    # An old name stays an alias only while no current argument has that name.
    kept = {old: new for old, new in aliases.items() if old not in targets}
    return FlatInput(schema=hoist_repeats(merge_identical_defs(flat)), arguments=ArgumentMap(targets, kept))
