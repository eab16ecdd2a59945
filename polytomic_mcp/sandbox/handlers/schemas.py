"""Schema-cache status and refresh, schemas and sample records, source and target descriptions."""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.engine import schema_cache, targets
from polytomic_mcp.sandbox.errors import ApiError, bad_request, not_found
from polytomic_mcp.sandbox.handlers.connections import load, require_healthy
from polytomic_mcp.sandbox.http.context import Call, Reply, envelope, handles
from polytomic_mcp.sandbox.http.pagination import paginate
from polytomic_mcp.sandbox.state.store import join_key
from polytomic_mcp.sandbox.world import files, salesforce

USER_FIELDS = "schema_field"
PRIMARY_KEYS = "schema_primary_keys"


def _connection(call: Call) -> dict[str, Any]:
    return load(call, call.path.get("id") or call.path["connection_id"])


def schema_with_overrides(call: Call, connection: dict[str, Any], schema_id: str) -> dict[str, Any]:
    schemas = schema_cache.ready_schemas(call.store, call.org, connection)
    schema = next((s for s in schemas if s["id"] == schema_id), None)
    if schema is None:
        raise not_found("schema", schema_id)
    scope = join_key(connection["id"], schema_id)
    overrides = (call.store.get(call.org, PRIMARY_KEYS, scope) or {}).get("fields", {})
    fields = []
    for field in schema["fields"]:
        field = dict(field)
        if field["id"] in overrides:
            field.update(is_primary_key=overrides[field["id"]], primary_key_override=True)
        fields.append(field)
    for user in call.store.list(call.org, USER_FIELDS, scope):
        fields.append(
            {
                "id": user["field_id"],
                "name": user["label"],
                "type": user["type"],
                "path": user.get("path"),
                "user_managed": True,
                "is_primary_key": overrides.get(user["field_id"], False),
            }
        )
    return {**schema, "fields": fields}


@handles("schemas_get_status")
def status(call: Call) -> Reply:
    return envelope(call, schema_cache.status_view(_connection(call)))


@handles("schemas_refresh")
def refresh(call: Call) -> Reply:
    doc = _connection(call)
    require_healthy(doc)
    schema_cache.begin(call.runtime, call.org, doc["id"])
    return Reply(status=202, headers={"Location": f"/api/connections/{doc['id']}/schemas/status"})


@handles("schemas_get")
def get_schema(call: Call) -> Reply:
    return envelope(call, schema_with_overrides(call, _connection(call), call.path["schema_id"]))


@handles("schemas_get_records")
def schema_records(call: Call) -> Reply:
    doc = _connection(call)
    schema_id = call.path["schema_id"]
    schema_with_overrides(call, doc, schema_id)
    if doc["type"] == "salesforce":
        obj = salesforce.get_object(call.store, call.org, doc["configuration"]["domain"], schema_id)
        records: list[dict[str, Any]] = salesforce.list_records(call.store, obj, limit=10) if obj else []
    else:
        location = files.connection_location(doc)
        records = list(files.sample_records(call.store, call.org, location.bucket, location.key(schema_id)))
    return envelope(call, records)


@handles("schemas_upsert_field")
def upsert_fields(call: Call) -> Reply:
    doc = _connection(call)
    schema_id = call.path["schema_id"]
    schema_with_overrides(call, doc, schema_id)
    scope = join_key(doc["id"], schema_id)
    for field in call.body_dict().get("fields", []):
        stored = {**field, "id": field["field_id"]}
        call.store.put(call.org, USER_FIELDS, join_key(doc["id"], schema_id, field["field_id"]), stored, scope)
    return Reply(status=204)


def _user_field(call: Call) -> tuple[str, str, dict[str, Any]]:
    """The user field a path names: its key, its scope (connection and schema) and the document."""
    doc = _connection(call)
    scope = join_key(doc["id"], call.path["schema_id"])
    key = join_key(doc["id"], call.path["schema_id"], call.path["field_id"])
    field = call.store.get(call.org, USER_FIELDS, key)
    if field is None:
        raise not_found("user field", call.path["field_id"])
    return key, scope, field


@handles("schemas_patch_field")
def patch_field(call: Call) -> Reply:
    key, scope, field = _user_field(call)
    field.update({k: v for k, v in call.body_dict().items() if v is not None})
    call.store.put(call.org, USER_FIELDS, key, field, scope)
    view = {
        "id": field["field_id"],
        "name": field["label"],
        "type": field["type"],
        "path": field.get("path"),
        "user_managed": True,
    }
    return envelope(call, view)


@handles("schemas_delete_field")
def delete_field(call: Call) -> Reply:
    key, _, _ = _user_field(call)
    call.store.delete(call.org, USER_FIELDS, key)
    return Reply(status=204)


@handles("schemas_set_primary_keys", "schemas_reset_primary_keys")
def primary_keys(call: Call) -> Reply:
    doc = _connection(call)
    schema = schema_with_overrides(call, doc, call.path["schema_id"])
    scope = join_key(doc["id"], call.path["schema_id"])
    if call.op.method == "DELETE":
        call.store.delete(call.org, PRIMARY_KEYS, scope)
        return Reply(status=204)
    known = {f["id"] for f in schema["fields"]}
    chosen: dict[str, bool] = {}
    for item in call.body_dict().get("fields", []):
        if item["field_id"] not in known:
            raise bad_request(f"schema {schema['id']} has no field {item['field_id']!r}", "fields")
        chosen[item["field_id"]] = bool(item["is_primary_key"])
    call.store.put(call.org, PRIMARY_KEYS, scope, {"fields": chosen})
    return Reply(status=204)


@handles("bulk_sync_get_source")
def bulk_source(call: Call) -> Reply:
    doc = _connection(call)
    schemas = schema_cache.ready_schemas(call.store, call.org, doc)
    if not call.query.get("include_fields"):
        schemas = [{"id": s["id"], "name": s["name"]} for s in schemas]
    return envelope(
        call,
        {
            "capabilities": {"supports_namespaces": False, "supports_tracking_fields": False},
            "configuration": {},
            "schemas": schemas,
        },
    )


@handles("bulk_sync_get_destination")
def bulk_destination(call: Call) -> Reply:
    doc = _connection(call)
    require_healthy(doc)
    config_schema = {"type": "object", "properties": {"format": {"type": "string", "enum": ["csv", "json"]}}}
    return envelope(
        call,
        {
            "configuration": config_schema,
            "modes": [{"id": m, "label": m.title()} for m in ("snapshot", "replicate", "append")],
            "supported_resync_modes": ["refetch", "resync", "rebuild"],
            "supports_history_mode": False,
        },
    )


def _file_keys(call: Call, doc: dict[str, Any]) -> list[str]:
    return [s["id"] for s in schema_cache.ready_schemas(call.store, call.org, doc)]


@handles("model_sync_get_source", "models_get_enrichment_source")
def model_source(call: Call) -> Reply:
    doc = _connection(call)
    keys = _file_keys(call, doc)
    if doc["type"] in ("gcs", "s3"):
        configuration = {
            "model_from": {"type": "string", "items": [{"label": "Single file", "value": "single_file"}]},
            "key": {"type": "string", "items": [{"label": k, "value": k} for k in keys]},
        }
        return envelope(call, {"configuration": configuration, "requires_one_of": ["key"]})
    configuration = {"table": {"type": "string", "items": [{"label": k, "value": k} for k in keys]}}
    return envelope(call, {"configuration": configuration, "requires_one_of": ["table", "query"]})


@handles("model_sync_get_source_fields")
def model_source_fields(call: Call) -> Reply:
    doc = _connection(call)
    params = call.query.get("params") or {}
    name = params.get("key") or params.get("table")
    if isinstance(name, list):
        name = name[0] if name else None
    if not name:
        raise bad_request("pass params[key]=<file> (files) or params[table]=<object>", "params")
    schema = schema_with_overrides(call, doc, str(name))
    return envelope(
        call,
        [
            {
                "id": f["id"],
                "name": f["id"],
                "label": f["name"],
                "type": f["type"],
                "remote_type": f.get("remote_type"),
                "example": f.get("example"),
                "unique": False,
                "user_added": bool(f.get("user_managed")),
            }
            for f in schema["fields"]
        ],
    )


@handles("model_sync_targets_list")
def list_targets(call: Call) -> Reply:
    doc = _connection(call)
    objects = [targets.object_view(o) for o in targets.target_objects(call.store, call.org, doc)]
    creation = {"supported": False, "properties": []} if call.query.get("include_target_creation_values") else None
    return envelope(call, objects, target_creation=creation)


@handles("model_sync_targets_get_target_fields")
def target_fields(call: Call) -> Reply:
    doc = _connection(call)
    target = call.query.get("target")
    if not target:
        raise bad_request("target is required (an object id from /modelsync/targetobjects)", "target")
    if call.query.get("refresh"):
        require_healthy(doc)
    obj = targets.require_object(call.store, call.org, doc, str(target))
    snapshot = call.store.get(call.org, schema_cache.KIND, doc["id"]) or {}
    return envelope(call, targets.fields_view(obj, snapshot.get("refreshed_at")))


@handles("model_sync_targets_get_create_property")
def create_property(call: Call) -> Reply:
    doc = _connection(call)
    targets.target_objects(call.store, call.org, doc)
    raise ApiError(
        404,
        f"connection {doc['id']} does not create new targets, so property {call.path['property']!r} has no values",
        "not_found",
    )


@handles("harbors_list_authorized_connections")
def harbor_connections(call: Call) -> Reply:
    docs = call.store.list(call.org, "connection")
    items = [
        {"id": d["id"], "name": d["name"], "type": d["type"], "capabilities": ["schemas", "query"]}
        for d in docs
        if d["status"] == "healthy"
    ]
    page, siblings = paginate(call, items)
    return envelope(call, page, **siblings)


@handles("harbors_list_authorized_schemas")
def harbor_schemas(call: Call) -> Reply:
    doc = load(call, call.path["connection_id"])
    items = [{"id": s["id"], "name": s["name"]} for s in schema_cache.ready_schemas(call.store, call.org, doc)]
    page, siblings = paginate(call, items)
    return envelope(call, page, supports_namespaces=False, **siblings)


@handles("harbors_get_authorized_schema")
def harbor_schema(call: Call) -> Reply:
    doc = load(call, call.path["connection_id"])
    return envelope(call, schema_with_overrides(call, doc, call.path["schema_id"]))
