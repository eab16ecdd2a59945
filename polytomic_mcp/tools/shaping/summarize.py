"""List items, summarised: what a model needs to pick one, not everything about each.

By default every item keeps its scalar members; a nested object becomes its `id` when it
has one (`type: {id: "gcs", …}` → `type: "gcs"`), a list of objects with ids becomes the
list of ids (`modes` → `["create", "update", …]`), and other nested values are left out
and named in a note. `fields` picks members to return in full instead (`["*"]` = all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_STRING = 300
MAX_SCALAR_LIST = 10


@dataclass
class Summary:
    items: list[Any]
    omitted: list[str] = field(default_factory=list)


def _compact(value: Any) -> tuple[bool, Any]:
    """(kept, value) for one member of a list item."""
    if value is None or isinstance(value, bool | int | float):
        return True, value
    if isinstance(value, str):
        return True, value if len(value) <= MAX_STRING else value[:MAX_STRING] + "…"
    if isinstance(value, dict):
        ident = value.get("id")
        return (True, ident) if isinstance(ident, str | int) else (False, None)
    if isinstance(value, list):
        if all(isinstance(v, str | int | float | bool) for v in value):
            return (True, value) if len(value) <= MAX_SCALAR_LIST else (False, None)
        ids = [v.get("id") for v in value if isinstance(v, dict)]
        if len(ids) == len(value) and all(isinstance(i, str | int) for i in ids):
            return True, ids
    return False, None


def summarize_items(items: list[Any], fields: list[str] | None) -> Summary:
    if fields and "*" in fields:
        return Summary(items)
    omitted: dict[str, None] = {}
    out: list[Any] = []
    for item in items:
        if not isinstance(item, dict):
            out.append(item)
            continue
        if fields:
            out.append({k: item[k] for k in fields if k in item})
            continue
        row: dict[str, Any] = {}
        for key, value in item.items():
            kept, compact = _compact(value)
            if kept:
                row[key] = compact
            else:
                omitted[key] = None
        out.append(row)
    return Summary(out, list(omitted))
