"""Argument validation against a tool's input schema, with errors a model can act on.

Every message names the argument (a dotted path for nested members) and says what was
expected. Validation happens before anything is sent to Polytomic.

Messages never quote a value the caller gave: it may be a secret (a password inside a
`configuration` sent as a JSON string, a token in a header). They say what was expected
(types, allowed values, limits) and what kind of value came instead (a string, a list).
The one exception is a short word (24 letters, digits, '-' or '_' at most) given for a choice,
outside members that may hold secrets: a typo is easier to see quoted.
`date-time` formats are checked (jsonschema only annotates them by default).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema is imported on first validation: it is not needed to start or list tools
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import ValidationError

from polytomic_mcp.errors import ArgumentProblem
from polytomic_mcp.tools.schema_shaping import JsonSchema
from polytomic_mcp.tools.shaping.sanitize import is_sensitive_path

MAX_REPORTED = 5


_VALIDATORS: dict[int, tuple[JsonSchema, Draft202012Validator]] = {}


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
DATE_TIME_EXAMPLE = "2026-01-31T09:30:00Z"


def is_date_time(value: object) -> bool:
    """RFC 3339 date-time (what the API parses); other types are the `type` keyword's business."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper())
    except ValueError:  # a 31st of February, hour 24, offset +25:00
        return False
    return True


def _format_checker() -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_date_time)
    return checker


def _validator(schema: JsonSchema) -> Draft202012Validator:
    """One compiled validator per schema object (tool schemas live for the whole process)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema, format_checker=_format_checker())
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


MAX_NAME = 40


def _name(part: object) -> str:
    text = str(part)
    return text if len(text) <= MAX_NAME else text[: MAX_NAME - 1] + "…"


def _path(error: ValidationError) -> str:
    parts: list[str] = []
    for part in error.absolute_path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + _name(part))
    return "".join(parts)


JSON_KINDS = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


def kind_of(value: Any) -> str:
    """What kind of JSON value this is, without the value."""
    return JSON_KINDS.get(type(value), "another kind of value")


def _expected_type(schema: Any) -> str:
    if isinstance(schema, dict):
        kind = schema.get("type")
        if isinstance(kind, list):
            return " or ".join(kind)
        if isinstance(kind, str):
            return {"object": "an object", "array": "a list", "integer": "an integer"}.get(kind, f"a {kind}")
    return "another type"


def _shapes(branches: Any) -> str:
    kinds = [_expected_type(b) for b in branches if isinstance(b, dict) and "type" in b] if branches else []
    return f" (expected {' or '.join(dict.fromkeys(kinds))})" if kinds else ""


def _limit(validator: str, value: Any) -> str | None:
    return {
        "minimum": f"must be at least {value}",
        "maximum": f"must be at most {value}",
        "exclusiveMinimum": f"must be more than {value}",
        "exclusiveMaximum": f"must be less than {value}",
        "minLength": f"must be at least {value} characters long",
        "maxLength": f"must be at most {value} characters long",
        "minItems": f"must hold at least {value} items",
        "maxItems": f"must hold at most {value} items",
        "minProperties": f"must hold at least {value} members",
        "maxProperties": f"must hold at most {value} members",
        "multipleOf": f"must be a multiple of {value}",
        "uniqueItems": "must not repeat an item",
        "pattern": f"must match the pattern {value}",
    }.get(validator)


_WORD = re.compile(r"[A-Za-z0-9_ -]{1,24}")


def _rejected_choice(error: ValidationError) -> str:
    """The one exception to never quoting: a short word given for a choice (a typo is easier to see
    quoted), and only outside members that may hold secrets."""
    value = error.instance
    if isinstance(value, str) and _WORD.fullmatch(value) and not is_sensitive_path(error.absolute_path):
        return f"{json.dumps(value, ensure_ascii=False)} is"
    return "this value is"


def _describe(error: ValidationError) -> ArgumentProblem:
    field = _path(error)
    validator = str(error.validator)
    if validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        return ArgumentProblem(f"{field}.{_name(missing)}" if field else _name(missing), "is required but missing")
    if validator == "additionalProperties":
        allowed = sorted((error.schema or {}).get("properties", {}))
        extras = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        return ArgumentProblem(field, unexpected_arguments([_name(e) for e in extras[:MAX_REPORTED]], allowed))
    if validator == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return ArgumentProblem(field, f"{_rejected_choice(error)} not allowed; expected one of: {options}")
    if validator == "const":
        return ArgumentProblem(field, f"must be {error.validator_value}")
    if validator == "type":
        return ArgumentProblem(field, f"expected {_expected_type(error.schema)}, got {kind_of(error.instance)}")
    if validator in ("anyOf", "oneOf"):
        return ArgumentProblem(
            field, f"{kind_of(error.instance)} does not match any allowed shape{_shapes(error.validator_value)}"
        )
    if validator == "format":
        example = f", such as {DATE_TIME_EXAMPLE}" if error.validator_value == "date-time" else ""
        return ArgumentProblem(field, f"must be a {error.validator_value}{example}")
    limit = _limit(validator, error.validator_value)
    return ArgumentProblem(field, limit or f"does not satisfy the schema's {validator!r} rule")


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
