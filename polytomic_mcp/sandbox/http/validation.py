"""Request checks against the catalog: query parameters, path parameters and JSON bodies."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from polytomic_mcp.catalog import Operation, Parameter
from polytomic_mcp.sandbox.errors import ApiError, bad_request
from polytomic_mcp.sandbox.http import open_enums


@cache
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(open_enums.relaxed(json.loads(schema_json)))


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema`` in which open enums admit any value of their type."""
    return _validator(json.dumps(schema, sort_keys=True))


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return [str(k) for k in kind]
    if isinstance(kind, str):
        return [kind]
    for alt in schema.get("anyOf", []):
        return _types(alt)
    return ["string"]


def _coerce_scalar(raw: str, schema: dict[str, Any], name: str) -> Any:
    kinds = _types(schema)
    if "boolean" in kinds:
        lowered = raw.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise bad_request(f"query parameter {name!r} must be true or false, got {raw!r}", name)
    if "integer" in kinds:
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"query parameter {name!r} must be an integer, got {raw!r}", name) from None
    if "number" in kinds:
        try:
            return float(raw)
        except ValueError:
            raise bad_request(f"query parameter {name!r} must be a number, got {raw!r}", name) from None
    return raw


def _deep_object(name: str, items: Sequence[tuple[str, str]], schema: dict[str, Any]) -> dict[str, Any] | None:
    """``params[table]=x&params[k]=a&params[k]=b`` → ``{"table": "x", "k": ["a", "b"]}``."""
    prefix = f"{name}["
    found: dict[str, list[str]] = {}
    for key, value in items:
        if key.startswith(prefix) and key.endswith("]"):
            found.setdefault(key[len(prefix) : -1], []).append(value)
    if not found:
        return None
    member_schema = schema.get("additionalProperties")
    wants_list = isinstance(member_schema, dict) and "array" in _types(member_schema)
    return {k: (v if wants_list or len(v) > 1 else v[0]) for k, v in found.items()}


def parse_query(op: Operation, items: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Typed query values for the parameters the operation declares (unknown ones are ignored)."""
    values: dict[str, Any] = {}
    for param in op.query_params:
        value = _query_value(param, items)
        if value is None:
            if param.required:
                raise bad_request(f"query parameter {param.name!r} is required", param.name)
            continue
        value = open_enums.canonical(value, param.schema)
        errors = sorted(validator_for(param.schema).iter_errors(value), key=lambda e: list(e.path))
        if errors:
            reason = _describe(errors[0].validator, errors[0].validator_value)
            raise bad_request(f"query parameter {param.name!r} {reason}", param.name)
        values[param.name] = value
    return values


def _query_value(param: Parameter, items: Sequence[tuple[str, str]]) -> Any:
    kinds = _types(param.schema)
    if "object" in kinds:
        return _deep_object(param.name, items, param.schema)
    raw = [v for k, v in items if k == param.name]
    if not raw:
        return None
    if "array" in kinds:
        item_schema = param.schema.get("items", {})
        return [_coerce_scalar(v, item_schema, param.name) for v in raw]
    return _coerce_scalar(raw[-1], param.schema, param.name)


def decode_body(op: Operation, raw: bytes) -> Any:
    """The JSON body (``{}`` when an operation that takes a body is sent none)."""
    if op.request_body is None:
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None  # operations without a documented body ignore what they are sent
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise bad_request(f"request body is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except ValueError:
        raise bad_request("request body is not valid JSON") from None


def check_body(op: Operation, body: Any) -> Any:
    """The body with open-enum values in their listed spelling, checked against the operation's
    request schema."""
    if op.request_body is None:
        return body
    body = open_enums.canonical(body, op.request_body)
    check_against(op.request_body, body)
    return body


def check_against(schema: dict[str, Any], body: Any) -> None:
    """400 naming the first offending member when ``body`` does not fit ``schema``."""
    errors = sorted(validator_for(schema).iter_errors(body), key=lambda e: (len(e.path), list(map(str, e.path))))
    if not errors:
        return
    error = errors[0]
    field = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [m for m in error.validator_value if m not in error.instance]
        if missing:
            field = ".".join([*([field] if field else []), str(missing[0])])
            raise bad_request(f"{field} is required", field)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            name = ".".join([*([field] if field else []), extra[0]])
            raise bad_request(f"{name} is not a recognised field", name)
    raise ApiError(
        400,
        f"{field or 'body'} {_describe(error.validator, error.validator_value)}",
        "invalid_request",
        {"field": field or None, "reason": error.validator},
    )


def _describe(rule: Any, expected: Any) -> str:
    """What a value failed, without repeating the value itself (it may be a secret)."""
    if rule == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        return "must be of type " + " or ".join(str(k) for k in kinds)
    if rule == "enum":
        return "must be one of: " + ", ".join(str(v) for v in expected if v is not None)
    if rule in ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"):
        return f"violates {rule} {expected}"
    if rule == "format":
        return f"must be a valid {expected}"
    return f"is not valid ({rule})"
