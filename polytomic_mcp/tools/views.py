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


# Members some destinations use to name the object a lookup field points at.
REFERENCE_MEMBERS = ("reference_to", "referenceTo", "references", "referenced_object", "related_object")
# Salesforce's standard lookups whose object is not their name without `Id`.
KNOWN_LOOKUPS = {
    "OwnerId": "User",
    "CreatedById": "User",
    "LastModifiedById": "User",
    "ReportsToId": "Contact",
    "RecordTypeId": "RecordType",
}
MAX_PICKLIST_VALUES = 25
PICKLIST_TYPES = frozenset({"picklist", "multipicklist", "enum", "enumeration"})


def _named_object(value: Any) -> str | None:
    if isinstance(value, list):
        names = [str(v) for v in value if isinstance(v, str) and v]
        return " or ".join(names) or None
    return value if isinstance(value, str) and value else None


def is_lookup(field: JsonObject) -> bool:
    """A field whose value is the id of another record (a Salesforce lookup, an association)."""
    if field.get("association") or str(field.get("source_type") or "").lower() in ("reference", "lookup"):
        return True
    return any(_named_object(field.get(member)) for member in REFERENCE_MEMBERS)


def referenced_object(field: JsonObject) -> str | None:
    """The object a lookup field points at: as the API names it, else from the field's id
    (`AccountId` → Account); None when neither says."""
    for member in REFERENCE_MEMBERS:
        named = _named_object(field.get(member))
        if named:
            return named
    ident = str(field.get("id") or "")
    if ident in KNOWN_LOOKUPS:
        return KNOWN_LOOKUPS[ident]
    if ident.endswith("Id") and len(ident) > 2 and not ident.endswith("__c"):
        return ident[:-2]
    return None


def lookup_value_text(field: JsonObject) -> str:
    """What a lookup field takes, in words an agent can act on."""
    target = referenced_object(field)
    if target:
        return f"the id of an existing {target} record, not its name"
    return "the id of an existing record of the object this field looks up, not a name"


def picklist_values(field: JsonObject) -> list[str] | None:
    """The values a picklist field accepts, when the API lists them."""
    values = [
        str(entry.get("value") if entry.get("value") is not None else entry.get("label"))
        for entry in items(field.get("values"))
        if entry.get("value") is not None or entry.get("label") is not None
    ]
    return values or None


def target_field_row(field: JsonObject, max_values: int | None = MAX_PICKLIST_VALUES) -> JsonObject:
    """What choosing a target field takes: type, required, identity support, picklist values,
    the object a lookup points at, and whether it can be written. Members that say nothing
    are left out."""
    row: JsonObject = {
        "id": field.get("id"),
        "name": field.get("name"),
        "type": field.get("type"),
        "required": bool(field.get("required")),
        "supports_identity": bool(field.get("supports_identity")),
    }
    source_type = field.get("source_type")
    if source_type and source_type != field.get("type"):
        row["source_type"] = source_type
    if row["supports_identity"]:
        row["identity_functions"] = [fn.get("id") for fn in items(field.get("identity_functions"))]
    values = picklist_values(field)
    if values is not None:
        row["values"] = values[:max_values]
        if len(row["values"]) < len(values):
            row["values_total"] = len(values)
    if is_lookup(field):
        row["references"] = referenced_object(field)
    if field.get("createable") is False and field.get("updateable") is False:
        row["read_only"] = True
    elif field.get("createable") is False or field.get("updateable") is False:
        row["createable" if field.get("createable") is False else "updateable"] = False
    return row


def execution_ref(execution: Any) -> JsonObject | None:
    """An execution named by id and status; None when there is none."""
    found = obj(execution)
    return {"id": found.get("id"), "status": found.get("status")} if found else None


def target_fields_view(target: JsonObject) -> JsonObject:
    """A target object's fields, essentials only (model_sync_targets_get_fields's result)."""
    return {
        "id": target.get("id"),
        "name": target.get("name"),
        "refreshed_at": target.get("refreshed_at"),
        "modes": [
            {
                "mode": mode.get("mode") or mode.get("id"),
                "requires_identity": mode.get("requires_identity"),
                "description": mode.get("description"),
            }
            for mode in items(target.get("modes"))
        ],
        "fields": [target_field_row(field) for field in items(target.get("fields"))],
    }


def _filter_ids(field: JsonObject) -> list[str]:
    return [str(fn.get("id")) for fn in items(field.get("filter_functions"))]


def target_field_details(target: JsonObject) -> JsonObject:
    """Everything else the API says about a target's fields, each fact once: filter and identity
    functions are described once, the filter functions most fields share are named once
    (`default_filter_functions`), and a field lists its own only when they differ."""
    fields = items(target.get("fields"))
    sets = [tuple(_filter_ids(field)) for field in fields]
    common = max(set(sets), key=sets.count) if sets else ()
    legend: dict[str, JsonObject] = {}
    labels: dict[str, Any] = {}
    for field in fields:
        for fn in items(field.get("filter_functions")):
            legend.setdefault(str(fn.get("id")), {"label": fn.get("label"), "requires_value": fn.get("requires_value")})
        for fn in items(field.get("identity_functions")):
            labels.setdefault(str(fn.get("id")), fn.get("label"))
    rows: list[JsonObject] = []
    for field, own in zip(fields, sets, strict=True):
        row = target_field_row(field, max_values=None)
        row.update(
            {
                "source_type": field.get("source_type"),
                "createable": field.get("createable"),
                "updateable": field.get("updateable"),
                "filterable": field.get("filterable"),
                "encryptable": field.get("encryptable"),
                "association": field.get("association"),
                "multiple_associations": field.get("multiple_associations"),
            }
        )
        row.pop("read_only", None)
        if is_lookup(field):
            row["takes"] = lookup_value_text(field)
        if own != common:
            row["filter_functions"] = list(own)
        if field.get("description"):
            row["description"] = field.get("description")
        rows.append(row)
    return {
        "properties": obj(target.get("properties")),
        "identity_function_labels": labels,
        "filter_functions": legend,
        "default_filter_functions": list(common),
        "fields": rows,
    }


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
