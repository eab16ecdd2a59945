"""Fit values to the catalog's response schemas.

``conform`` keeps what a schema declares and drops what does not fit, so a stored document
(which may hold request members under the same names) becomes a valid response object.
``synthesize`` builds the smallest valid object for routes whose answer is only structural.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from polytomic_mcp.sandbox.http import open_enums

# Ids of synthesized objects come from the tenant of the request being handled (deterministic in
# step mode); SandboxApp.run_handler sets it for the duration of a handler.
ID_SOURCE: ContextVar[Callable[[], str] | None] = ContextVar("sandbox_id_source", default=None)

JsonSchema = dict[str, Any]


class _Missing:
    """Marker for "this value cannot be expressed in that schema"."""


MISSING = _Missing()


def resolve(schema: JsonSchema, root: JsonSchema) -> JsonSchema:
    while "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        schema = root.get("$defs", {}).get(name, {})
    return schema


def _types(schema: JsonSchema) -> list[str] | None:
    kind = schema.get("type")
    if kind is None:
        return None
    return [str(k) for k in kind] if isinstance(kind, list) else [str(kind)]


def _scalar_fits(value: Any, kinds: list[str] | None) -> bool:
    if kinds is None:
        return True
    if isinstance(value, bool):
        return "boolean" in kinds
    if isinstance(value, int):
        return "integer" in kinds or "number" in kinds
    if isinstance(value, float):
        return "number" in kinds
    if isinstance(value, str):
        return "string" in kinds
    return False


def conform(value: Any, schema: JsonSchema, root: JsonSchema) -> Any:
    """``value`` reduced to what ``schema`` allows, or MISSING when nothing of it fits."""
    schema = resolve(schema, root)
    if "anyOf" in schema or "oneOf" in schema:
        alternatives: list[JsonSchema] = list(schema.get("anyOf") or schema.get("oneOf") or [])
        # Objects fit any object alternative after trimming; keep the one that keeps most members.
        best: Any = MISSING
        for alternative in alternatives:
            fitted = conform(value, alternative, root)
            if fitted is MISSING:
                continue
            if not isinstance(fitted, dict):
                return fitted
            if best is MISSING or len(fitted) > len(best):
                best = fitted
        return best
    kinds = _types(schema)
    if value is None:
        return None if kinds is None or "null" in kinds else MISSING
    if isinstance(value, dict):
        return _conform_object(value, schema, kinds, root)
    if isinstance(value, list | tuple):
        if kinds is not None and "array" not in kinds:
            return MISSING
        items = schema.get("items", {})
        fitted_items = (conform(v, items, root) for v in value)
        return [v for v in fitted_items if v is not MISSING]
    if not _scalar_fits(value, kinds):
        return MISSING
    allowed = schema.get("enum")
    if allowed is not None and value not in allowed and not open_enums.is_open(schema):
        return MISSING
    return value


def _conform_object(value: dict[str, Any], schema: JsonSchema, kinds: list[str] | None, root: JsonSchema) -> Any:
    if kinds is not None and "object" not in kinds:
        return MISSING
    props = schema.get("properties")
    if props is None:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            out = {k: conform(v, extra, root) for k, v in value.items()}
            return {k: v for k, v in out.items() if v is not MISSING}
        return dict(value)
    fitted: dict[str, Any] = {}
    for key, member in value.items():
        if key in props:
            conformed = conform(member, props[key], root)
            if conformed is not MISSING:
                fitted[key] = conformed
    # Every stored object keeps its id, even where the SDK's model forgot to declare it.
    open_schema = schema.get("additionalProperties", True) is not False
    if open_schema and "id" not in props and isinstance(value.get("id"), str):
        fitted["id"] = value["id"]
    for key in schema.get("required", []):
        if key not in fitted:
            made = synthesize(props.get(key, {}), root, {})
            if made is MISSING:
                return MISSING
            fitted[key] = made
    return fitted


def synthesize(schema: JsonSchema, root: JsonSchema, hints: dict[str, Any], depth: int = 0) -> Any:
    """The smallest valid value: required members, plus members named in ``hints`` that fit."""
    schema = resolve(schema, root)
    if "anyOf" in schema or "oneOf" in schema:
        choices: list[JsonSchema] = list(schema.get("anyOf") or schema.get("oneOf") or [])
        for alternative in choices:
            if _types(resolve(alternative, root)) != ["null"]:
                return synthesize(alternative, root, hints, depth)
        return None
    kinds = _types(schema) or ["object"]
    if "enum" in schema:
        return next((v for v in schema["enum"] if v is not None), None)
    if "object" in kinds:
        out: dict[str, Any] = {}
        props = schema.get("properties", {})
        for name, member in props.items():
            if name in hints:
                fitted = conform(hints[name], member, root)
                if fitted is not MISSING:
                    out[name] = fitted
        if "id" in props and "id" not in out and depth == 0:
            out["id"] = fresh_id()
        for name in schema.get("required", []):
            if name not in out and depth < 6:
                out[name] = synthesize(props.get(name, {}), root, {}, depth + 1)
        return out
    if "array" in kinds:
        return []
    if "boolean" in kinds:
        return False
    if "integer" in kinds or "number" in kinds:
        return 0
    if "string" in kinds:
        return ""
    return None


def fresh_id() -> str:
    """An id for a synthesized object: from the running request's tenant (see ``ID_SOURCE``), else random."""
    source = ID_SOURCE.get()
    return source() if source is not None else str(uuid.uuid4())


def data_schema(response_body: JsonSchema | None) -> JsonSchema:
    """The schema of the ``data`` member of an envelope (``{}`` when there is none)."""
    if not response_body:
        return {}
    return dict(response_body.get("properties", {}).get("data", {}))
