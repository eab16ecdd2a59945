"""Client profiles: the same tools, with schemas adapted to what each client accepts.

- `standard`: what the spec allows and Claude, VS Code and the SDKs handle: local
  `$ref`/`$defs` (shared definitions keep the list small), no `$schema`, an object at the
  top with no `anyOf`/`oneOf`/`allOf` there.
- `inline`: for clients that do not resolve references: every `$ref` replaced by its
  definition, and type arrays reduced to one type.
- `gemini`: `inline`, plus only the keywords of Gemini's OpenAPI-subset Schema
  (`additionalProperties`, `const`, `exclusiveMinimum`… are rewritten or dropped).

The profile is chosen from the client's name (clientInfo) unless the operator fixes it
with --client-profile.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from mcp.types import Tool

from polytomic_mcp.errors import SettingsError
from polytomic_mcp.tools.schema_shaping import JsonSchema, inline_refs

PROFILES = ("standard", "inline", "gemini")

# Substrings of clientInfo.name (lower-case) and the profile they get; first match wins.
CLIENT_PROFILES: tuple[tuple[str, str], ...] = (
    ("gemini", "gemini"),
    ("opencode", "inline"),
    ("deeix", "inline"),
    ("cursor", "inline"),
)

GEMINI_KEYWORDS = frozenset({
    "type", "format", "title", "description", "nullable", "enum", "default", "example", "items", "minItems",
    "maxItems", "properties", "required", "minProperties", "maxProperties", "propertyOrdering", "minimum",
    "maximum", "minLength", "maxLength", "pattern", "anyOf",
})  # fmt: skip


class UnknownProfileError(SettingsError):
    """A --client-profile value that names no profile."""


def choose_profile(setting: str, client_name: str | None) -> str:
    """The operator's choice, or (with `auto`) the profile for this client's name."""
    if setting != "auto":
        if setting not in PROFILES:
            raise UnknownProfileError(
                f"unknown client profile {setting!r}; choose auto or one of {', '.join(PROFILES)}"
            )
        return setting
    name = (client_name or "").lower()
    return next((profile for part, profile in CLIENT_PROFILES if part in name), "standard")


def _single_types(node: Any) -> Any:
    """`type: ["string", "null"]` → `type: "string"` (nullable is implied by optionality)."""
    if isinstance(node, list):
        return [_single_types(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _single_types(value) for key, value in node.items()}
    kinds = out.get("type")
    if isinstance(kinds, list):
        concrete = [k for k in kinds if k != "null"]
        out["type"] = concrete[0] if concrete else "string"
    return out


def _gemini_subset(node: Any) -> Any:
    if isinstance(node, list):
        return [_gemini_subset(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _gemini_subset(sub) for name, sub in value.items()}
        elif key == "const":
            out["enum"] = [value]
        elif key == "exclusiveMinimum" and "minimum" not in node:
            out["minimum"] = value
        elif key in GEMINI_KEYWORDS:
            out[key] = _gemini_subset(value)
    if "type" not in out and "anyOf" not in out and "enum" not in out:
        # An unconstrained value: Gemini needs some type; text is what a model can always give.
        out["type"] = "string"
    return out


def adapt_schema(schema: JsonSchema, profile: str) -> JsonSchema:
    adapted = {key: value for key, value in schema.items() if key != "$schema"}
    if profile == "standard":
        return adapted
    adapted = _single_types(inline_refs(adapted))
    if profile == "gemini":
        adapted = _gemini_subset(adapted)
    result: JsonSchema = adapted
    return result


@lru_cache(maxsize=2048)
def listed_operation_tool(name: str, profile: str) -> Tool:
    """An operation tool as this profile lists it; made once per process and profile."""
    from polytomic_mcp.tools.operations.tools import operation_tools

    tool = operation_tools().get(name)
    if tool is None:
        raise KeyError(name)
    return tool.to_mcp(adapt_schema(tool.input_schema, profile))


def adapt_tool(tool: Tool, profile: str) -> Tool:
    """A hand-written tool as this profile lists it."""
    if profile == "standard" and "$schema" not in tool.input_schema:
        return tool
    update: dict[str, Any] = {"input_schema": adapt_schema(tool.input_schema, profile)}
    if tool.output_schema is not None:
        update["output_schema"] = adapt_schema(tool.output_schema, profile)
    return tool.model_copy(update=update)
