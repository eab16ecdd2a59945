"""The text a model reads: a compact rendering of the payload, fenced as untrusted data.

Small payloads are rendered as compact JSON (exact and cheap). Larger ones are rendered
as indented `key: value` lines, with lists of similar objects as ` | `-separated tables,
which costs far fewer tokens than JSON and is not a second copy of the structured
payload. A JSON Schema is never made a table: wherever one appears (a member such as
`input_schema`, or an object that looks like a schema) it is written as compact JSON, which
reads back as the same schema and costs fewer tokens than indented lines. Names, sample rows and upstream messages
come from users' systems, so the rendering sits inside `<untrusted-data-…>` tags with a
per-result nonce (data cannot close the fence); the server's own guidance (`next`,
`next_steps`, `reason`, `note`, `cut`) stays outside it, and a result made only of the
server's own words (the catalog, as describe_operation shows it) is not fenced at all.
"""

from __future__ import annotations

import json
import re
from typing import Any

from polytomic_mcp.determinism import fence_nonce
from polytomic_mcp.tokens import compact_json

SMALL_JSON_CHARS = 1200
# Top-level members that hold the server's own words (hints, refusals, notes): rendered after
# the fence. Upstream answers never supply them (`results.structured_payload` renames them).
TRUSTED_KEYS = ("next", "next_steps", "reason", "note", "cut")
MAX_TABLE_COLUMNS = 12
# Members whose value is a JSON Schema, whatever it looks like.
SCHEMA_MEMBERS = frozenset({"input_schema", "output_schema", "inputSchema", "outputSchema", "schema", "json_schema"})
SCHEMA_COMBINATORS = ("anyOf", "oneOf", "allOf")
ABSENT = "-"  # a table cell whose row lacks the column
# A string written unquoted in structure starts with a letter, `_`, `/` or `(` (never a digit, a
# sign or a dot: YAML would read numbers, dates and times there) and is no YAML keyword.
_PLAIN_START = re.compile(r"^[A-Za-z_/(]")
YAML_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"})


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if not text or text == ABSENT or any(c in text for c in "|\n\r") or text.strip() != text:
        return json.dumps(text, ensure_ascii=False)
    return text


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _cell(value: Any) -> str:
    if _is_scalar(value):
        return _scalar(value)
    return compact_json(value)


def looks_like_schema(value: Any) -> bool:
    """A JSON Schema object: what it holds says so (definitions, typed properties, combinators)."""
    if not isinstance(value, dict):
        return False
    if "$defs" in value or "$schema" in value or "$ref" in value:
        return True
    properties = value.get("properties")
    if isinstance(properties, dict) and properties and all(isinstance(v, dict) for v in properties.values()):
        return (
            value.get("type") == "object"
            or "required" in value
            or any(isinstance(v, dict) and ("type" in v or "$ref" in v) for v in properties.values())
        )
    combined = [value.get(key) for key in SCHEMA_COMBINATORS]
    return any(isinstance(c, list) and c and all(isinstance(b, dict) for b in c) for c in combined)


def _table(rows: list[dict[str, Any]], indent: str) -> list[str] | None:
    """A header line and one line per row, when the rows share their keys."""
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    if len(columns) > MAX_TABLE_COLUMNS:
        return None
    lines = [indent + " | ".join(columns)]
    lines += [indent + " | ".join(_cell(row[c]) if c in row else ABSENT for c in columns) for row in rows]
    return lines


def _lines(value: Any, indent: str = "") -> list[str]:
    if _is_scalar(value):
        return [indent + _scalar(value)]
    if isinstance(value, list):
        if all(_is_scalar(v) for v in value):
            return [indent + ", ".join(_scalar(v) for v in value)] if value else [indent + "[]"]
        if all(isinstance(v, dict) for v in value):
            table = _table(value, indent)
            if table is not None:
                return table
        out: list[str] = []
        for item in value:
            nested = _lines(item, indent + "  ")
            out.append(indent + "- " + nested[0].lstrip())
            out.extend(nested[1:])
        return out
    if not value:  # an empty object still takes a line: list items are written from their first line
        return [indent + "{}"]
    if looks_like_schema(value):
        return [indent + compact_json(value)]
    out = []
    for key, item in value.items():
        if _is_scalar(item) or (isinstance(item, list) and all(_is_scalar(v) for v in item)):
            out.append(f"{indent}{key}: {_lines(item)[0]}")
        elif (key in SCHEMA_MEMBERS and isinstance(item, dict)) or looks_like_schema(item):
            out.append(f"{indent}{key}: {compact_json(item)}")  # a schema: exact JSON, never a table
        else:
            size = f" ({len(item)})" if isinstance(item, list) else ""
            out.append(f"{indent}{key}{size}:")
            out.extend(_lines(item, indent + "  "))
    return out


# -- shapes that must survive: schemas, and results rendered without tables -----------------


def _plain(text: str) -> str:
    """A string as written on a `key: value` line: plain when it cannot be read as anything
    else (YAML or JSON: a number, a date, a keyword, a nested value), else JSON-quoted."""
    ambiguous = (
        not _PLAIN_START.match(text)
        or text.strip() != text
        or text.lower() in YAML_WORDS
        or any(mark in text for mark in (": ", " #", "\n", "\r", "\t"))
        or text.endswith(":")
    )
    return json.dumps(text, ensure_ascii=False) if ambiguous else text


def _exact_value(value: Any) -> str:
    return _plain(value) if isinstance(value, str) else compact_json(value)


def _exact_lines(value: Any) -> list[str]:
    """One `key: value` line per member, every nested value as compact JSON: each line reads back
    exactly (as YAML, and its value as JSON), no list becomes a table, and a schema keeps its shape
    at the fewest tokens (indented lines cost more than JSON for deep schemas)."""
    if not isinstance(value, dict) or not value:
        return [compact_json(value)]
    return [f"{_plain(str(key))}: {_exact_value(item)}" for key, item in value.items()]


def render_data(value: Any, tables: bool = True) -> str:
    compact = compact_json(value)
    if len(compact) <= SMALL_JSON_CHARS:
        return compact
    return "\n".join(_lines(value) if tables else _exact_lines(value))


def fence(text: str) -> str:
    # Six random digits: as unguessable per result as the data needs, and always the same
    # number of tokens (hex nonces tokenize unevenly, which the run-time estimate cannot see).
    # (--deterministic derives it from the text instead, for evaluations: determinism.py.)
    tag = f"untrusted-data-{fence_nonce(text):06d}"
    return f"<{tag}>\n{text}\n</{tag}>"


def _guidance(key: str, value: Any) -> str:
    if isinstance(value, str):
        return f"{key}: {value}"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return f"{key}:" + "".join(f"\n- {v}" for v in value)
    return f"{key}: {_cell(value)}"


def render(payload: Any, fenced: bool = True, tables: bool = True) -> str:
    """The model-facing text of a payload; the server's guidance after the fenced data.

    `fenced=False` for results made only of the server's own words (the catalog);
    `tables=False` writes one line per member with nested values as JSON (a result whose exact
    shape matters: describe_operation's schema and example)."""
    trusted: dict[str, Any] = {}
    data = payload
    if isinstance(payload, dict):
        trusted = {k: payload[k] for k in TRUSTED_KEYS if k in payload}
        data = {k: v for k, v in payload.items() if k not in TRUSTED_KEYS}
    body = render_data(data, tables)
    text = fence(body) if fenced else body
    for key, value in trusted.items():
        text += "\n" + _guidance(key, value)
    return text
