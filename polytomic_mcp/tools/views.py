"""Compact views of API objects, shared by the workflow tools and the polytomic:// resources.

Each function takes what the API answered (a `data` object) and keeps only what an agent
needs to decide its next step, under stable member names. Absent or null API members
become null (never a KeyError), so partial answers still render. Connection
configurations are never copied: they may hold secrets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

JsonObject = dict[str, Any]

# A connection's `status` when it works (anything else needs the user: OAuth, credentials).
HEALTHY = "healthy"
FAILED_STATUSES = frozenset({"failed", "interrupted"})
DESCRIPTION_CHARS = 100
ALWAYS_COUNTED = frozenset({"total", "error"})


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def cache_is_ready(status: dict[str, Any]) -> bool:
    """A schema cache is ready when its status is neither empty nor `refreshing` and its last
    refresh finished after it started (or no start is recorded); the older literal "true" counts too."""
    cache = status.get("cache_status")
    if cache is True or (isinstance(cache, str) and cache.lower() == "true"):
        return True
    if not cache or str(cache).lower() == "refreshing":
        return False
    started, finished = _time(status.get("last_refresh_started")), _time(status.get("last_refresh_finished"))
    if started is None:
        return True
    return finished is not None and finished >= started


def obj(value: Any) -> JsonObject:
    """`value` if it is a JSON object, else an empty one (API members may be null)."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[JsonObject]:
    """The objects of a JSON array (null and non-objects skipped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def type_id_of(connection: JsonObject) -> str | None:
    """A connection's type id: `type` is an object on reads, a bare id in some answers."""
    kind = connection.get("type")
    if isinstance(kind, dict):
        kind = kind.get("id")
    return kind if isinstance(kind, str) else None


def connection_row(connection: JsonObject) -> JsonObject:
    return {
        "id": connection.get("id"),
        "name": connection.get("name"),
        "type": type_id_of(connection),
        "status": connection.get("status"),
    }


def cache_view(status: JsonObject) -> JsonObject:
    return {
        "status": status.get("cache_status"),
        "ready": cache_is_ready(status),
        "last_refresh_finished": status.get("last_refresh_finished"),
    }


def schema_row(schema: JsonObject, with_fields: bool) -> JsonObject:
    """{id, name, fields?}: fields by id, the name every later call uses (labels may differ)."""
    row: JsonObject = {"id": schema.get("id"), "name": schema.get("name")}
    if with_fields:
        row["fields"] = [field.get("id") or field.get("name") for field in items(schema.get("fields"))]
    return row


def schema_field_row(field: JsonObject) -> JsonObject:
    row: JsonObject = {"id": field.get("id"), "name": field.get("name"), "type": field.get("type")}
    if field.get("is_primary_key"):
        row["primary_key"] = True
    return row


def target_object_row(target: JsonObject) -> JsonObject:
    modes = items(target.get("modes"))
    return {
        "id": target.get("id"),
        "name": target.get("name"),
        "modes": [mode.get("id") for mode in modes],
        "identity_required_for": [mode.get("id") for mode in modes if mode.get("requires_identity")],
    }


def target_field_row(field: JsonObject) -> JsonObject:
    row: JsonObject = {
        "id": field.get("id"),
        "name": field.get("name"),
        "type": field.get("type"),
        "required": bool(field.get("required")),
        "supports_identity": bool(field.get("supports_identity")),
    }
    if row["supports_identity"]:
        row["identity_functions"] = [fn.get("id") for fn in items(field.get("identity_functions"))]
    return row


def execution_ref(execution: Any) -> JsonObject | None:
    """An execution named by id and status; None when there is none."""
    found = obj(execution)
    return {"id": found.get("id"), "status": found.get("status")} if found else None


def model_view(model: JsonObject) -> JsonObject:
    return {
        "id": model.get("id"),
        "name": model.get("name"),
        "connection_id": model.get("connection_id"),
        "configuration": model.get("configuration"),
        "identifier": model.get("identifier"),
        "fields": [{"name": field.get("name"), "type": field.get("type")} for field in items(model.get("fields"))],
    }


def identity_mappings(sync: JsonObject) -> list[JsonObject]:
    """The sync's identity mappings, from `identities` (current) or `identity` (deprecated)."""
    mappings = items(obj(sync.get("identities")).get("mappings"))
    if not mappings and isinstance(sync.get("identity"), dict):
        mappings = [sync["identity"]]
    return [
        {
            "source_field": obj(mapping.get("source")).get("field"),
            "target": mapping.get("target"),
            "function": mapping.get("function"),
        }
        for mapping in mappings
    ]


def field_mappings(sync: JsonObject) -> list[JsonObject]:
    """Field mappings as {target, source_field} (or {target, override_value} for fixed values)."""
    several_models = len(sync.get("model_ids") or []) > 1
    rows: list[JsonObject] = []
    for mapping in items(sync.get("fields")):
        source = obj(mapping.get("source"))
        row: JsonObject = {"target": mapping.get("target")}
        if source:
            row["source_field"] = source.get("field")
            if several_models:
                row["source_model_id"] = source.get("model_id")
        else:
            row["override_value"] = mapping.get("override_value")
        rows.append(row)
    return rows


def sync_summary(sync: JsonObject) -> JsonObject:
    """The few facts that say what a sync does."""
    target = obj(sync.get("target"))
    return {
        "id": sync.get("id"),
        "name": sync.get("name"),
        "mode": sync.get("mode"),
        "target_connection_id": target.get("connection_id") or sync.get("target_connection_id"),
        "target_object": target.get("object") or sync.get("target_object"),
        "schedule": obj(sync.get("schedule")).get("frequency"),
        "active": sync.get("active"),
    }


def sync_problems(sync: JsonObject) -> list[str]:
    return [str(problem.get("message") or problem.get("code")) for problem in items(sync.get("problems"))]


def counts_of(execution: JsonObject) -> JsonObject:
    """Execution counts without the members the API left null."""
    return {key: value for key, value in obj(execution.get("counts")).items() if value is not None}


def execution_view(execution: JsonObject) -> JsonObject:
    """id, status, times, and counts without zeros (total and error always shown)."""
    counts = {k: v for k, v in counts_of(execution).items() if v or k in ALWAYS_COUNTED}
    return {
        "id": execution.get("id"),
        "status": execution.get("status"),
        "started_at": execution.get("started_at"),
        "completed_at": execution.get("completed_at"),
        "counts": counts,
    }


def short_text(value: Any, limit: int = DESCRIPTION_CHARS) -> str | None:
    """One line of at most `limit` characters; None for anything but non-blank text."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def brief_failure(text: str) -> str:
    """An error text on one line: the failed call and Polytomic's message, without the advice."""
    lines = [line for line in text.splitlines() if not line.startswith("next step:")]
    return "; ".join(lines[:2])
