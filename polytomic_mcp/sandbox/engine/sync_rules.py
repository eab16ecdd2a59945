"""What model-sync create/update checks before accepting a definition (422 naming the problem)."""

from __future__ import annotations

import re
from typing import Any

from polytomic_mcp.sandbox.engine import targets
from polytomic_mcp.sandbox.errors import ApiError, unprocessable
from polytomic_mcp.sandbox.state.store import Store
from polytomic_mcp.sandbox.world.salesforce import ObjectDef

FREQUENCIES = (
    "manual",
    "continuous",
    "hourly",
    "daily",
    "weekly",
    "custom",
    "builder",
    "runafter",
    "multi",
    "dbtcloud",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SUPPORTED_FILTERS = ("Equality", "Inequality", "IsNull", "IsNotNull", "StringContains", "GreaterThan", "LessThan")
_CRON_PART = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")


def _choices(values: list[str], limit: int = 25) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" (and {len(values) - limit} more)" if len(values) > limit else "")


def _connection(store: Store, org: str, connection_id: str) -> dict[str, Any]:
    doc = store.get(org, "connection", connection_id)
    if doc is None:
        raise unprocessable(f"target.connection_id {connection_id!r}: no such connection", "target.connection_id")
    if doc["status"] != "healthy":
        raise unprocessable(
            f"target connection {connection_id} is not healthy ({doc.get('status_error') or doc['status']})",
            "target.connection_id",
        )
    return doc


def _model_field(store: Store, org: str, models: dict[str, dict[str, Any]], source: dict[str, Any], where: str) -> None:
    model_id = str(source.get("model_id"))
    if model_id not in models:
        model = store.get(org, "model", model_id)
        if model is None:
            raise unprocessable(f"{where}.model_id {model_id!r}: no such model", f"{where}.model_id")
        models[model_id] = model
    names = [f["name"] for f in models[model_id]["fields"]]
    if source.get("field") not in names:
        raise unprocessable(
            f"{where}.field {source.get('field')!r} is not a field of model {models[model_id]['name']!r}; "
            f"fields: {_choices(names)}",
            f"{where}.field",
            choices=names,
        )


def _target_field_ids(obj: ObjectDef) -> list[str]:
    return [f.id for f in obj.fields]


def identity_mappings(body: dict[str, Any]) -> list[dict[str, Any]]:
    if body.get("identities"):
        return list(body["identities"].get("mappings") or [])
    if body.get("identity"):
        return [body["identity"]]
    return []


def check_schedule(store: Store, org: str, schedule: dict[str, Any]) -> None:
    frequency = schedule.get("frequency")
    if frequency is None:
        raise unprocessable(f"schedule.frequency is required; one of: {', '.join(FREQUENCIES)}", "schedule.frequency")
    if frequency not in FREQUENCIES:
        raise ApiError(
            400,
            f"schedule.frequency {frequency!r} is not a schedule frequency; one of: {', '.join(FREQUENCIES)}",
            "invalid_request",
            {"field": "schedule.frequency", "choices": list(FREQUENCIES)},
        )
    ranges = {"minute": (0, 59), "hour": (0, 23), "day_of_month": (1, 31), "month": (1, 12)}
    for part, (low, high) in ranges.items():
        value = schedule.get(part)
        if value is None:
            continue
        if frequency == "custom":
            if not _CRON_PART.match(str(value)):
                raise unprocessable(f"schedule.{part} {value!r} is not a cron field", f"schedule.{part}")
            continue
        if not str(value).isdigit() or not low <= int(value) <= high:
            raise unprocessable(
                f"schedule.{part} must be a number from {low} to {high} (as a string), got {value!r}",
                f"schedule.{part}",
            )
    day = schedule.get("day_of_week")
    if frequency == "weekly" and not day:
        raise unprocessable(
            "schedule.day_of_week is required for weekly schedules", "schedule.day_of_week", choices=list(WEEKDAYS)
        )
    if day is not None and frequency != "custom" and str(day).lower() not in WEEKDAYS:
        raise unprocessable(
            f"schedule.day_of_week {day!r} is not a weekday; one of: {', '.join(WEEKDAYS)}",
            "schedule.day_of_week",
            choices=list(WEEKDAYS),
        )
    if frequency == "custom" and not any(schedule.get(p) for p in (*ranges, "day_of_week")):
        raise unprocessable(
            "a custom schedule needs at least one of minute, hour, day_of_month, month, day_of_week", "schedule"
        )
    if frequency == "runafter":
        after = schedule.get("run_after") or {}
        sync_ids, bulk_ids = after.get("sync_ids") or [], after.get("bulk_sync_ids") or []
        if not sync_ids and not bulk_ids:
            raise unprocessable("schedule.run_after needs sync_ids or bulk_sync_ids", "schedule.run_after")
        for sync_id in sync_ids:
            if store.get(org, "sync", sync_id) is None:
                raise unprocessable(f"schedule.run_after.sync_ids: no sync {sync_id}", "schedule.run_after.sync_ids")
        for bulk_id in bulk_ids:
            if store.get(org, "bulk_sync", bulk_id) is None:
                raise unprocessable(
                    f"schedule.run_after.bulk_sync_ids: no bulk sync {bulk_id}", "schedule.run_after.bulk_sync_ids"
                )
    if frequency == "dbtcloud" and not (schedule.get("connection_id") and schedule.get("job_id")):
        raise unprocessable("dbtcloud schedules need connection_id and job_id", "schedule")


def check(store: Store, org: str, body: dict[str, Any]) -> tuple[list[str], ObjectDef]:
    """Validates a sync definition; returns the model ids it reads and the target object."""
    target = body["target"]
    connection = _connection(store, org, target["connection_id"])
    if target.get("create"):
        raise unprocessable(
            f"connection {connection['id']} cannot create new targets; choose an existing object", "target.create"
        )
    object_name = target.get("object")
    objects = targets.target_objects(store, org, connection)
    if not object_name:
        raise unprocessable("target.object is required", "target.object", choices=[o.name for o in objects])
    obj = next((o for o in objects if o.name == object_name), None)
    if obj is None:
        names = [o.name for o in objects]
        raise unprocessable(
            f"target.object {object_name!r} not found; available: {_choices(names)}", "target.object", choices=names
        )
    mode = body["mode"]
    if mode not in targets.MODES:
        raise unprocessable(
            f"mode {mode!r} is not supported by {obj.name}; supported: {', '.join(targets.MODES)}",
            "mode",
            choices=list(targets.MODES),
        )
    models: dict[str, dict[str, Any]] = {}
    field_ids = _target_field_ids(obj)
    fields = body.get("fields") or []
    if not fields and mode != "remove":
        raise unprocessable("fields must map at least one model field to a target field", "fields")
    seen_targets: set[str] = set()
    for index, mapping in enumerate(fields):
        where = f"fields[{index}]"
        target_field = obj.field(str(mapping["target"]))
        if target_field is None:
            raise unprocessable(
                f"{where}.target {mapping['target']!r} is not a field of {obj.name}; fields: {_choices(field_ids)}",
                f"{where}.target",
                choices=field_ids,
            )
        if not (target_field.createable or target_field.updateable):
            raise unprocessable(f"{where}.target {target_field.id!r} is read-only", f"{where}.target")
        if target_field.id in seen_targets:
            raise unprocessable(f"{where}.target {target_field.id!r} is mapped twice", f"{where}.target")
        seen_targets.add(target_field.id)
        if mapping.get("source"):
            _model_field(store, org, models, mapping["source"], f"{where}.source")
        elif mapping.get("override_value") is None:
            raise unprocessable(f"{where} needs a source or an override_value", where)
    mappings = identity_mappings(body)
    if targets.MODES[mode]["requires_identity"] and not mappings:
        raise unprocessable(f"mode {mode} requires an identity (identity, or identities.mappings)", "identity")
    if len(mappings) > 1:
        raise unprocessable("the sandbox matches records on one identity mapping; pass exactly one", "identities")
    identity_ids = [f.id for f in obj.fields if f.identity_functions]
    for index, identity in enumerate(mappings):
        where = "identity" if body.get("identity") else f"identities.mappings[{index}]"
        target_field = obj.field(str(identity["target"]))
        if target_field is None or not target_field.identity_functions:
            raise unprocessable(
                f"{where}.target {identity['target']!r} cannot be used as an identity on {obj.name}; "
                f"fields that support identity: {', '.join(identity_ids)}",
                f"{where}.target",
                choices=identity_ids,
            )
        if identity["function"] not in target_field.identity_functions:
            allowed = list(target_field.identity_functions)
            raise unprocessable(
                f"{where}.function {identity['function']!r} is not allowed for {target_field.id}; "
                f"allowed: {', '.join(allowed)}",
                f"{where}.function",
                choices=allowed,
            )
        _model_field(store, org, models, identity["source"], f"{where}.source")
    for index, condition in enumerate((body.get("model_filters") or {}).get("conditions") or []):
        where = f"model_filters.conditions[{index}]"
        _model_field(store, org, models, condition["source"], f"{where}.source")
        if condition["function"] not in SUPPORTED_FILTERS:
            raise unprocessable(
                f"{where}.function {condition['function']!r} is not supported by the sandbox; "
                f"supported: {', '.join(SUPPORTED_FILTERS)}",
                f"{where}.function",
                choices=list(SUPPORTED_FILTERS),
            )
    if (body.get("target_filters") or {}).get("conditions"):
        raise unprocessable(f"{obj.name} does not support target filters", "target_filters")
    if len(models) > 1:
        raise unprocessable("fields come from more than one model; the sandbox syncs one model at a time", "fields")
    check_schedule(store, org, body["schedule"])
    if not models:
        raise ApiError(422, "the sync maps no model field", "validation_failed", {"field": "fields"})
    return list(models), obj
