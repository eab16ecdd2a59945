"""A connection type's configuration JSON Schema, reduced to what filling it in needs.

Polytomic serves a full JSON Schema document per connection type (`GET
/api/connection_types/{id}`), with
its own keys (`sensitive`, `readOnly`, `hidden`) and enum entries shaped {value, label}.
The compact form lists each member once: its type, choices, default, and whether it is
required, secret, read-only or hidden.
"""

from __future__ import annotations

from typing import Any

from polytomic_mcp.tools.views import JsonObject, obj, short_text

MAX_ENUM_VALUES = 25


def _resolve(schema: Any, defs: JsonObject) -> JsonObject:
    """Follow a local $ref and skip a nullable anyOf/oneOf wrapper."""
    node = obj(schema)
    for _ in range(5):  # refs may chain; five hops is plenty and never loops forever
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            node = obj(defs.get(ref.rsplit("/", 1)[-1]))
            continue
        branches = [b for b in node.get("anyOf") or node.get("oneOf") or [] if isinstance(b, dict)]
        non_null = [b for b in branches if b.get("type") != "null"]
        if len(non_null) == 1 and not node.get("type"):
            node = {**{k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}, **non_null[0]}
            continue
        return node
    return node


def _type_of(node: JsonObject) -> str | None:
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _choices(node: JsonObject) -> list[Any] | None:
    """Allowed values: a plain enum, {value, label} entries, or a oneOf of consts."""
    raw = node.get("enum")
    if isinstance(raw, list):
        values = [entry.get("value") if isinstance(entry, dict) else entry for entry in raw]
    else:
        consts = [b.get("const") for b in node.get("oneOf") or [] if isinstance(b, dict) and "const" in b]
        values = consts or []
    values = [value for value in values if value is not None]
    return values[:MAX_ENUM_VALUES] or None


def member_view(schema: Any, defs: JsonObject, required: bool) -> JsonObject:
    node = _resolve(schema, defs)
    view: JsonObject = {"type": _type_of(node)}
    if required:
        view["required"] = True
    choices = _choices(node)
    if choices:
        view["enum"] = choices
    if "default" in node:
        view["default"] = node["default"]
    for source_key, flag in (("sensitive", "sensitive"), ("readOnly", "read_only"), ("hidden", "hidden")):
        if node.get(source_key):
            view[flag] = True
    if view["type"] == "object" and isinstance(node.get("properties"), dict):
        view["members"] = list(node["properties"])
    if view["type"] == "array":
        view["items"] = _type_of(_resolve(node.get("items"), defs))
    description = short_text(node.get("description") or node.get("title"))
    if description:
        view["description"] = description
    return view


def configuration_view(document: JsonObject) -> JsonObject:
    """{required: [...], members: {name: {type, required?, enum?, default?, sensitive?, ...}}}."""
    defs = obj(document.get("$defs") or document.get("definitions"))
    root = _resolve(document, defs)
    required = [name for name in root.get("required") or [] if isinstance(name, str)]
    properties = obj(root.get("properties"))
    return {
        "required": required,
        "members": {name: member_view(schema, defs, name in required) for name, schema in properties.items()},
    }
