"""Smallest valid arguments for an operation tool, derived from its input schema.

Tests that must reach the network for every operation (path safety, fuzzing) start from
these: every required member present with the simplest value its schema allows.
"""

from __future__ import annotations

from typing import Any

from polytomic_mcp.tools.operations.tools import OperationTool


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(defs[ref.removeprefix("#/$defs/")], defs)
    return schema


def minimal_value(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    schema = _resolve(schema, defs)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf"):
        options = [o for o in schema.get(combinator, []) if _resolve(o, defs).get("type") != "null"]
        if options:
            return minimal_value(options[0], defs, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or (kind is None and "properties" in schema):
        required = schema.get("required", [])
        properties = schema.get("properties", {})
        return {name: minimal_value(properties.get(name, {}), defs, depth + 1) for name in required}
    if kind == "array":
        count = int(schema.get("minItems", 0))
        return [minimal_value(schema.get("items", {}), defs, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "boolean":
        return False
    text = "x" * max(int(schema.get("minLength", 1)), 1)
    return {"uuid": "00000000-0000-4000-8000-000000000000", "date-time": "2026-01-01T00:00:00Z"}.get(
        str(schema.get("format")), text
    )


def minimal_arguments(tool: OperationTool) -> dict[str, Any]:
    """Every required argument of the tool, with its simplest valid value."""
    schema = tool.input_schema
    defs = schema.get("$defs", {})
    properties = schema.get("properties", {})
    return {name: minimal_value(properties[name], defs) for name in schema.get("required", [])}


def path_arguments(tool: OperationTool) -> list[str]:
    return [name for name, target in tool.arguments.targets.items() if target.location == "path"]
