"""Open enums: catalog enums marked ``x-open-enum`` (the SDK tolerates values outside them).

Requests are read the way Polytomic reads them: a value that equals a listed value ignoring
case is taken as that value (``"equality"`` is ``"Equality"``, ``"Manual"`` is ``"manual"``),
and a value outside the list is not a validation error: it is kept as sent, and only the
handlers that must act on it (a schedule frequency, an identity function) refuse what they
cannot do. Responses keep unknown values too.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

JsonSchema = dict[str, Any]
MARK = "x-open-enum"


def is_open(schema: JsonSchema) -> bool:
    return bool(schema.get(MARK)) and "enum" in schema


def spelling(value: str, choices: Iterable[Any]) -> str | None:
    """The listed spelling of ``value`` (exact first, then ignoring case), or None."""
    listed = [c for c in choices if isinstance(c, str)]
    if value in listed:
        return value
    folded = value.casefold()
    return next((c for c in listed if c.casefold() == folded), None)


def relaxed(schema: JsonSchema) -> JsonSchema:
    """A copy of ``schema`` whose open enums no longer limit the values (types still do)."""
    out = copy.deepcopy(schema)
    _drop_open_enums(out)
    return out


def _drop_open_enums(node: Any) -> None:
    if isinstance(node, dict):
        if is_open(node):
            del node["enum"]
        for value in node.values():
            _drop_open_enums(value)
    elif isinstance(node, list):
        for value in node:
            _drop_open_enums(value)


def _resolve(schema: JsonSchema, root: JsonSchema) -> JsonSchema:
    for _ in range(16):  # a chain of references, never a cycle in the catalog
        if "$ref" not in schema:
            break
        schema = root.get("$defs", {}).get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
    return schema


def canonical(value: Any, schema: JsonSchema, root: JsonSchema | None = None) -> Any:
    """``value`` with every string at an open enum replaced by its listed spelling, if it has one."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    for key in ("anyOf", "oneOf", "allOf"):
        for alternative in schema.get(key) or []:
            value = canonical(value, alternative, root)
    if isinstance(value, str) and is_open(schema):
        return spelling(value, schema["enum"]) or value
    if isinstance(value, dict):
        props: dict[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        out: dict[str, Any] = {}
        for name, member in value.items():
            if name in props:
                out[name] = canonical(member, props[name], root)
            elif isinstance(extra, dict):
                out[name] = canonical(member, extra, root)
            else:
                out[name] = member
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [canonical(item, schema["items"], root) for item in value]
    return value
