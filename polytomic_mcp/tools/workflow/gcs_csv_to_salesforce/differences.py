"""How an existing sync differs from what the composite was asked for, in its own arguments.

A second call that finds the sync by name must not report success with a plan the sync does
not have: each difference names the argument that asked for it (`mode`, `field_mappings`,
`identity_target_field`, `schedule`, …), the sync's current value and the requested one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polytomic_mcp.tools.views import JsonObject, items, obj


@dataclass(frozen=True, slots=True)
class Difference:
    argument: str  # the composite argument that sets it
    current: Any
    requested: Any

    def view(self) -> JsonObject:
        return {"argument": self.argument, "current": self.current, "requested": self.requested}


def _identity(sync: JsonObject) -> JsonObject:
    identity = obj(sync.get("identity"))
    if not identity:  # syncs with several identities keep them under identities.mappings
        identity = next(iter(items(obj(sync.get("identities")).get("mappings"))), {})
    return identity


def _mapping(sync: JsonObject) -> dict[str, str]:
    return {
        str(obj(row.get("source")).get("field")): str(row.get("target"))
        for row in items(sync.get("fields"))
        if obj(row.get("source")).get("field")
    }


def _schedule(sync: JsonObject) -> JsonObject:
    schedule = obj(sync.get("schedule"))
    wanted = {k: v for k, v in schedule.items() if v not in (None, "") and k in SCHEDULE_MEMBERS}
    if isinstance(wanted.get("frequency"), str):
        wanted["frequency"] = wanted["frequency"].lower()
    return wanted


SCHEDULE_MEMBERS = ("frequency", "hour", "minute", "day_of_week")


def _model_ids(sync: JsonObject) -> set[str]:
    sources = [obj(row.get("source")).get("model_id") for row in items(sync.get("fields"))]
    sources.append(obj(_identity(sync).get("source")).get("model_id"))
    return {str(model_id) for model_id in sources if model_id}


def sync_differences(current: JsonObject, requested: JsonObject) -> list[Difference]:
    """What `requested` (a model_sync_create body) changes about the `current` sync."""
    found: list[Difference] = []

    def compare(argument: str, now: Any, wanted: Any) -> None:
        if now != wanted:
            found.append(Difference(argument, now, wanted))

    compare("mode", current.get("mode"), requested.get("mode"))
    compare("target_object", obj(current.get("target")).get("object"), obj(requested.get("target")).get("object"))
    now, wanted = _identity(current), _identity(requested)
    compare("identity_source_field", obj(now.get("source")).get("field"), obj(wanted.get("source")).get("field"))
    compare("identity_target_field", now.get("target"), wanted.get("target"))
    compare("identity_function", str(now.get("function") or "").lower(), str(wanted.get("function") or "").lower())
    compare("field_mappings", _mapping(current), _mapping(requested))
    compare("schedule", _schedule(current), _schedule(requested))
    compare("csv_key (the sync's model)", sorted(_model_ids(current)), sorted(_model_ids(requested)))
    return found


def update_body(current: JsonObject, requested: JsonObject, accepted: set[str]) -> JsonObject:
    """The full replacement to send: the sync's own settings the composite does not manage
    (filters, overrides, policies…) kept, and the requested ones in place."""
    kept = {key: value for key, value in current.items() if key in accepted and value is not None}
    return {**kept, **requested}


def same_target_and_identity(other: JsonObject, requested: JsonObject) -> bool:
    """Whether another sync writes into the same target object, matching on the same identity field."""
    if obj(other.get("target")).get("object") != obj(requested.get("target")).get("object"):
        return False
    return str(_identity(other).get("target") or "").lower() == str(_identity(requested).get("target") or "").lower()


def model_ids(sync: JsonObject) -> set[str]:
    """The models a sync reads (its mapped fields' and its identity's)."""
    return _model_ids(sync)
