"""The text a model reads: a compact rendering of the payload, fenced as untrusted data.

Small payloads are rendered as compact JSON (exact and cheap). Larger ones are rendered
as indented `key: value` lines, with lists of similar objects as ` | `-separated tables,
which costs far fewer tokens than JSON and is not a second copy of the structured
payload. Names, sample rows and upstream messages come from users' systems, so the
rendering sits inside `<untrusted-data-…>` tags with a per-result nonce (data cannot
close the fence); the server's own guidance (`next`, `note`) stays outside it.
"""

from __future__ import annotations

import json
from typing import Any

from polytomic_mcp.determinism import fence_nonce
from polytomic_mcp.tokens import compact_json

SMALL_JSON_CHARS = 1200
TRUSTED_KEYS = ("next", "note", "cut")
MAX_TABLE_COLUMNS = 12


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if not text or any(c in text for c in "|\n\r") or text.strip() != text:
        return json.dumps(text, ensure_ascii=False)
    return text


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _cell(value: Any) -> str:
    if _is_scalar(value):
        return _scalar(value)
    return compact_json(value)


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
    lines += [indent + " | ".join(_cell(row.get(c, "")) for c in columns) for row in rows]
    return lines


def _lines(value: Any, indent: str = "") -> list[str]:
    if _is_scalar(value):
        return [indent + _scalar(value)]
    if isinstance(value, list):
        if all(_is_scalar(v) for v in value):
            return [indent + ", ".join(_scalar(v) for v in value)] if value else [indent + "(none)"]
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
    out = []
    for key, item in value.items():
        if _is_scalar(item) or (isinstance(item, list) and all(_is_scalar(v) for v in item)):
            out.append(f"{indent}{key}: {_lines(item)[0]}")
        else:
            size = f" ({len(item)})" if isinstance(item, list) else ""
            out.append(f"{indent}{key}{size}:")
            out.extend(_lines(item, indent + "  "))
    return out


def render_data(value: Any) -> str:
    compact = compact_json(value)
    if len(compact) <= SMALL_JSON_CHARS:
        return compact
    return "\n".join(_lines(value))


def fence(text: str) -> str:
    # Six random digits: as unguessable per result as the data needs, and always the same
    # number of tokens (hex nonces tokenize unevenly, which the run-time estimate cannot see).
    # (--deterministic derives it from the text instead, for evaluations: determinism.py.)
    tag = f"untrusted-data-{fence_nonce(text):06d}"
    return f"<{tag}>\n{text}\n</{tag}>"


def render(payload: Any, fenced: bool = True) -> str:
    """The model-facing text of a payload; trusted guidance after the fenced data."""
    trusted: dict[str, Any] = {}
    data = payload
    if isinstance(payload, dict):
        trusted = {k: payload[k] for k in TRUSTED_KEYS if k in payload}
        data = {k: v for k, v in payload.items() if k not in TRUSTED_KEYS}
    body = render_data(data)
    text = fence(body) if fenced else body
    for key, value in trusted.items():
        text += f"\n{key}: {value if isinstance(value, str) else _cell(value)}"
    return text
