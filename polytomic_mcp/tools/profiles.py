"""Client profiles: the same tools, with schemas adapted to what each client accepts.

- `inline` (every client not known to resolve references): no `$ref`/`$defs` anywhere,
  type arrays reduced to one type. Some clients (Inspect AI among them) drop what a
  reference points to and the model sees members with no type, so this is the default.
- `standard`: for clients known to resolve local references (Claude, VS Code, the MCP
  Inspector): big sub-schemas that repeat are shared through `$defs`.
- `gemini`: `inline`, plus only the keywords of Gemini's OpenAPI-subset Schema
  (`additionalProperties`, `const`, `exclusiveMinimum`… are rewritten or dropped).

Every profile starts from a tool's listed schema (see `schema_shaping.brief_schema`).
The profile is chosen from the client's name (clientInfo) unless the operator fixes it
with --client-profile.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from mcp.types import Tool

from polytomic_mcp.errors import SettingsError
from polytomic_mcp.tools.schema_shaping import JsonSchema, hoist_repeats, inline_refs, without_closed_objects

PROFILES = ("standard", "inline", "gemini")

# Substrings of clientInfo.name (lower-case) and the profile they get; first match wins.
CLIENT_PROFILES: tuple[tuple[str, str], ...] = (
    ("gemini", "gemini"),
    ("claude", "standard"),
    ("visual studio code", "standard"),
    ("vscode", "standard"),
    ("inspector", "standard"),
)
DEFAULT_PROFILE = "inline"

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
    return next((profile for part, profile in CLIENT_PROFILES if part in name), DEFAULT_PROFILE)


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
    adapted = without_closed_objects({key: value for key, value in schema.items() if key != "$schema"})
    if profile == "standard":
        return hoist_repeats(adapted)
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
    return tool.to_mcp(adapt_schema(tool.listed_schema, profile))


def adapt_tool(tool: Tool, profile: str) -> Tool:
    """A hand-written tool as this profile lists it."""
    update: dict[str, Any] = {"input_schema": adapt_schema(tool.input_schema, profile)}
    if tool.output_schema is not None:
        update["output_schema"] = adapt_schema(tool.output_schema, profile)
    return tool.model_copy(update=update)
