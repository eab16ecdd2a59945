"""Models over connection schemas: fields inferred from the cached schema, samples from the data."""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.engine import jobs, schema_cache
from polytomic_mcp.sandbox.errors import ApiError, unprocessable
from polytomic_mcp.sandbox.handlers.connections import load as load_connection
from polytomic_mcp.sandbox.http.context import Call, Reply, envelope, handles, saved
from polytomic_mcp.sandbox.world import files, salesforce

KIND = "model"


def _source_schema(call: Call, connection: dict[str, Any], configuration: dict[str, Any]) -> dict[str, Any]:
    schemas = schema_cache.ready_schemas(call.store, call.org, connection)
    if connection["type"] in ("gcs", "s3"):
        model_from = configuration.get("model_from")
        if model_from != "single_file":
            raise unprocessable(
                f"configuration.model_from {model_from!r} is not supported here; use 'single_file'",
                "configuration.model_from",
                choices=["single_file"],
            )
        name = configuration.get("key")
        what = "configuration.key"
    else:
        name = configuration.get("table")
        what = "configuration.table"
    if not name:
        raise unprocessable(f"{what} is required", what)
    schema = next((s for s in schemas if s["id"] == name), None)
    if schema is None:
        available = ", ".join(s["id"] for s in schemas[:20]) or "none"
        raise unprocessable(
            f"{what} {name!r} not found on connection {connection['id']}; available: {available}",
            what,
            choices=[s["id"] for s in schemas[:100]],
        )
    return schema


def build(call: Call, body: dict[str, Any], existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """A model document from a create/update body; raises when the definition does not hold."""
    connection = load_connection(call, body["connection_id"])
    configuration = dict(body["configuration"])
    schema = _source_schema(call, connection, configuration)
    now = call.now_iso()
    wanted = body.get("fields")
    available = {f["id"] for f in schema["fields"]}
    if wanted:
        unknown = [f for f in wanted if f not in available]
        if unknown:
            raise unprocessable(
                f"fields: {unknown[0]!r} is not a column of {schema['id']}", "fields", choices=sorted(available)
            )
    fields = [
        {
            "id": call.new_id(),
            "name": f["id"],
            "label": f["name"],
            "type": f["type"],
            "remote_type": f.get("remote_type"),
            "example": f.get("example"),
            "unique": f["id"] == body.get("identifier"),
            "user_added": False,
            "created_at": now,
            "updated_at": now,
        }
        for f in schema["fields"]
        if not wanted or f["id"] in wanted
    ]
    for extra in body.get("additional_fields") or []:
        fields.append(
            {
                "id": call.new_id(),
                "name": extra["name"],
                "label": extra["label"],
                "type": extra["type"],
                "example": extra.get("example"),
                "unique": False,
                "user_added": True,
                "created_at": now,
                "updated_at": now,
            }
        )
    identifier = body.get("identifier")
    if identifier and identifier not in {f["name"] for f in fields}:
        raise unprocessable(f"identifier {identifier!r} is not a field of the model", "identifier")
    return {
        "id": existing["id"] if existing else call.new_id(),
        "name": body["name"],
        "type": connection["type"],
        "connection_id": connection["id"],
        "configuration": configuration,
        "fields": fields,
        "identifier": identifier,
        "tracking_columns": body.get("tracking_columns") or [],
        "relations": body.get("relations") or [],
        "labels": [{"name": label} for label in body.get("labels") or []],
        "policies": body.get("policies") or [],
        "organization_id": call.org,
        "version": (existing["version"] + 1) if existing else 1,
        "created_at": existing["created_at"] if existing else now,
        "updated_at": now,
        "created_by": call.actor,
    }


def load(call: Call, model_id: str) -> dict[str, Any]:
    return call.document(KIND, model_id, "model")


def _save_later(call: Call, job_type: str, model: dict[str, Any]) -> dict[str, Any]:
    """A ``createmodel``/``updatemodel`` job that saves the model when it is done."""
    result = {"id": model["id"], "name": model["name"]}
    return jobs.submit(call.runtime, call.org, job_type, result, jobs.save_document(KIND, model["id"], model))


def _save_now_or_later(call: Call, model: dict[str, Any], job_type: str, meanwhile: dict[str, Any] | None) -> Reply:
    """Saved at once, or with ``?async=true`` by a job (answering with `meanwhile` until it is done)."""
    if call.query.get("async"):
        return envelope(call, meanwhile, job=_save_later(call, job_type, model))
    return saved(call, KIND, model)


@handles("models_create")
def create(call: Call) -> Reply:
    return _save_now_or_later(call, build(call, call.body_dict()), "createmodel", None)


@handles("models_update")
def update(call: Call) -> Reply:
    existing = load(call, call.path["id"])
    return _save_now_or_later(call, build(call, call.body_dict(), existing), "updatemodel", existing)


@handles("models_preview")
def preview(call: Call) -> Reply:
    model = build(call, call.body_dict())
    if call.query.get("async"):
        return envelope(call, None, job=jobs.submit(call.runtime, call.org, "previewmodel", model))
    return envelope(call, model)


@handles("models_get")
def get(call: Call) -> Reply:
    return envelope(call, load(call, call.path["id"]))


@handles("models_list")
def list_all(call: Call) -> Reply:
    return envelope(call, call.store.list(call.org, KIND))


@handles("models_delete")
def delete(call: Call) -> Reply:
    model = load(call, call.path["id"])
    users = [s for s in call.store.list(call.org, "sync") if model["id"] in s.get("model_ids", [])]
    if users:
        raise ApiError(
            422,
            f"model in use by sync {users[0]['name']!r}; delete the sync first",
            "model_in_use",
            {"sync_ids": [s["id"] for s in users]},
        )
    call.store.delete(call.org, KIND, model["id"])
    return Reply(status=204)


def _typed(value: str, kind: str) -> Any:
    if kind == "number":
        try:
            return float(value) if value.strip() else None
        except ValueError:
            return value
    if kind == "boolean" and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value if value != "" else None


def sample_records(call: Call, model: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    connection = load_connection(call, model["connection_id"])
    schema_cache.ready_schemas(call.store, call.org, connection)
    types = {f["name"]: f["type"] for f in model["fields"]}
    if connection["type"] == "salesforce":
        obj = salesforce.get_object(
            call.store, call.org, connection["configuration"]["domain"], model["configuration"]["table"]
        )
        rows = salesforce.list_records(call.store, obj, limit=limit) if obj else []
        return [{k: v for k, v in r.items() if k in types} for r in rows]
    location = files.connection_location(connection)
    key = location.key(model["configuration"]["key"])
    raw = files.sample_records(call.store, call.org, location.bucket, key, limit)
    return [{k: _typed(v, types.get(k, "string")) for k, v in r.items() if k in types} for r in raw]


@handles("models_sample")
def sample(call: Call) -> Reply:
    model = load(call, call.path["id"])
    # The API shapes each sampled value as an object keyed by field name: {field: {"value": v}}.
    records = [{name: {"value": value} for name, value in r.items()} for r in sample_records(call, model)]
    data = {"records": records, "warnings": []}
    if call.query.get("async"):
        return envelope(call, None, job=jobs.submit(call.runtime, call.org, "samplemodel", data))
    return envelope(call, data)


@handles("jobs_get")
def get_job(call: Call) -> Reply:
    return envelope(call, jobs.view(jobs.lookup(call.store, call.org, call.path["type"], call.path["id"])))
