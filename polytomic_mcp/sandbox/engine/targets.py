"""Model-sync targets offered by a connection: Salesforce objects, their modes and their fields."""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.engine.schema_cache import ready_schemas
from polytomic_mcp.sandbox.errors import ApiError
from polytomic_mcp.sandbox.state.store import Store
from polytomic_mcp.sandbox.world import salesforce
from polytomic_mcp.sandbox.world.salesforce import FieldDef, ObjectDef

MODES: dict[str, dict[str, Any]] = {
    "create": {
        "label": "Create",
        "requires_identity": False,
        "description": "Insert new records only; rows matching an existing record are skipped.",
    },
    "update": {
        "label": "Update",
        "requires_identity": True,
        "description": "Update records matched by the identity; unmatched rows are skipped.",
    },
    "updateOrCreate": {
        "label": "Update or create",
        "requires_identity": True,
        "description": "Update matched records and create the rest.",
    },
    "remove": {"label": "Remove", "requires_identity": True, "description": "Delete records matched by the identity."},
}
IDENTITY_LABELS = {
    "Equality": "Equals (trimmed, case-insensitive)",
    "DomainMatch": "Domain matches",
    "HostnameMatch": "Hostname matches",
}
FILTER_FUNCTIONS = ("Equality", "Inequality", "IsNull", "IsNotNull")


def target_objects(store: Store, org: str, connection: dict[str, Any]) -> list[ObjectDef]:
    """Objects a connection can write to; needs a healthy connection with a fresh schema cache."""
    ready_schemas(store, org, connection)
    if connection["type"] != "salesforce":
        return []
    return salesforce.list_objects(store, org, str(connection["configuration"]["domain"]))


def require_object(store: Store, org: str, connection: dict[str, Any], name: str) -> ObjectDef:
    objects = target_objects(store, org, connection)
    found = next((o for o in objects if o.name == name), None)
    if found is None:
        choices = ", ".join(o.name for o in objects) or "none"
        raise ApiError(
            404,
            f"target object {name!r} not found on connection {connection['id']}; available: {choices}",
            "not_found",
            {"target": name},
        )
    return found


def object_view(obj: ObjectDef) -> dict[str, Any]:
    return {
        "id": obj.name,
        "name": obj.label,
        "modes": [
            {
                "id": mode,
                "requires_identity": spec["requires_identity"],
                "supports_per_field_mode": mode != "remove",
                "supports_target_filters": False,
            }
            for mode, spec in MODES.items()
        ],
    }


def field_view(field: FieldDef) -> dict[str, Any]:
    return {
        "id": field.id,
        "name": field.label,
        "type": field.polytomic_type,
        "source_type": field.type,
        "required": field.required,
        "createable": field.createable,
        "updateable": field.updateable,
        "supports_identity": bool(field.identity_functions),
        "identity_functions": [{"id": f, "label": IDENTITY_LABELS.get(f, f)} for f in field.identity_functions],
        "filterable": True,
        "filter_functions": [
            {"id": f, "label": f, "requires_value": f in ("Equality", "Inequality")} for f in FILTER_FUNCTIONS
        ],
        "encryptable": False,
        "association": field.type == "reference",
        "multiple_associations": False,
        "description": None,
    }


def fields_view(obj: ObjectDef, refreshed_at: str | None) -> dict[str, Any]:
    return {
        "id": obj.name,
        "name": obj.label,
        "refreshed_at": refreshed_at,
        "fields": [field_view(f) for f in obj.fields],
        "modes": [
            {
                "mode": mode,
                "label": spec["label"],
                "description": spec["description"],
                "requires_identity": spec["requires_identity"],
                "supports_field_sync_mode": mode != "remove",
                "supports_target_filters": False,
            }
            for mode, spec in MODES.items()
        ],
        "properties": {
            "supports_target_filters": False,
            "supports_multiple_identities": True,
            "supports_field_creation": False,
            "requires_configuration": False,
            "target_creator": False,
            "primary_metadata_object": obj.name,
        },
    }
