"""Argument validation against a tool's input schema, with errors a model can act on.

Every message names the argument (a dotted path for nested members) and says what was
expected. Validation happens before anything is sent to Polytomic.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema is imported on first validation: it is not needed to start or list tools
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from polytomic_mcp.errors import ArgumentProblem
from polytomic_mcp.tools.schema_shaping import JsonSchema

MAX_REPORTED = 5


_VALIDATORS: dict[int, tuple[JsonSchema, Draft202012Validator]] = {}


def _validator(schema: JsonSchema) -> Draft202012Validator:
    """One compiled validator per schema object (tool schemas live for the whole process)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def _path(error: ValidationError) -> str:
    parts: list[str] = []
    for part in error.absolute_path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected_type(schema: Any) -> str:
    if isinstance(schema, dict):
        kind = schema.get("type")
        if isinstance(kind, list):
            return " or ".join(kind)
        if isinstance(kind, str):
            return {"object": "an object", "array": "a list", "integer": "an integer"}.get(kind, f"a {kind}")
    return "another type"


def _describe(error: ValidationError) -> ArgumentProblem:
    field = _path(error)
    validator = error.validator
    if validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        return ArgumentProblem(f"{field}.{missing}" if field else missing, "is required but missing")
    if validator == "additionalProperties":
        allowed = sorted((error.schema or {}).get("properties", {}))
        extras = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        return ArgumentProblem(field, unexpected_arguments(extras, allowed))
    if validator == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return ArgumentProblem(field, f"{_short(error.instance)} is not allowed; expected one of: {options}")
    if validator == "type":
        return ArgumentProblem(field, f"expected {_expected_type(error.schema)}, got {_short(error.instance)}")
    if validator in ("anyOf", "oneOf"):
        return ArgumentProblem(field, f"{_short(error.instance)} does not match any allowed shape")
    return ArgumentProblem(field, error.message)


def closest_name(name: str, names: Iterable[str]) -> str | None:
    """The valid name a misspelt one most likely meant (`service_acount_json` → `service_account_json`)."""
    matches = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unexpected_arguments(extras: list[str], allowed: list[str]) -> str:
    """Names the arguments nobody asked for, each with the valid one it most likely meant
    (the allowed names are listed when some extra resembles none of them)."""
    named = []
    unmatched = False
    for extra in extras:
        guess = closest_name(extra.rsplit(".", 1)[-1], allowed)
        named.append(f"{extra!r} (did you mean {guess!r}?)" if guess else repr(extra))
        unmatched = unmatched or guess is None
    hint = f"; allowed: {', '.join(allowed)}" if allowed and unmatched else ""
    return f"unexpected argument(s) {', '.join(named)}{hint}"


def validate_arguments(schema: JsonSchema, arguments: dict[str, Any]) -> list[ArgumentProblem]:
    """All problems with these arguments (at most a few), most specific first."""
    if not arguments and not schema.get("required"):
        return []  # nothing given and nothing required: valid (the common list call)
    validator = _validator(schema)
    errors = sorted(validator.iter_errors(arguments), key=lambda e: (-len(e.absolute_path), _path(e)))
    return [_describe(e) for e in errors[:MAX_REPORTED]]
