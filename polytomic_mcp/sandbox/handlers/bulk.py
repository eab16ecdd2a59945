"""Bulk (ELT) syncs: definitions checked against the source's schema cache, per-schema settings,
executions with status progression."""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.engine import bulk_executions, console_log, jobs, schema_cache, sync_rules
from polytomic_mcp.sandbox.errors import ApiError, bad_request, not_found, unprocessable
from polytomic_mcp.sandbox.handlers.connections import load as load_connection
from polytomic_mcp.sandbox.handlers.connections import require_healthy
from polytomic_mcp.sandbox.handlers.runs import cancel_reply, runs_page
from polytomic_mcp.sandbox.http.context import Call, Reply, envelope, handles, saved
from polytomic_mcp.sandbox.state.clock import iso

KIND = "bulk_sync"


def load(call: Call, sync_id: str) -> dict[str, Any]:
    return call.document(KIND, sync_id, "bulk sync")


def _schema_entry(raw: Any, available: dict[str, dict[str, Any]]) -> dict[str, Any]:
    entry = {"id": raw} if isinstance(raw, str) else dict(raw)
    if entry.get("id") not in available:
        raise unprocessable(
            f"schema {entry.get('id')!r} is not offered by the source; available: {', '.join(list(available)[:25])}",
            "schemas",
            choices=list(available),
        )
    fields = entry.get("fields")
    known = {f["id"] for f in available[entry["id"]]["fields"]}
    if fields:
        normalized = []
        for field in fields:
            item = {"id": field} if isinstance(field, str) else dict(field)
            if item.get("id") not in known:
                raise unprocessable(f"schema {entry['id']}: field {item.get('id')!r} does not exist", "schemas")
            normalized.append({"enabled": True, **item})
        entry["fields"] = normalized
    else:
        entry["fields"] = [{"id": f, "enabled": True} for f in sorted(known)]
    entry.setdefault("enabled", True)
    entry.setdefault("output_name", entry["id"])
    return entry


def _document(call: Call, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    source = load_connection(call, body["source_connection_id"])
    destination = load_connection(call, body["destination_connection_id"])
    require_healthy(destination)
    available = {s["id"]: s for s in schema_cache.ready_schemas(call.store, call.org, source)}
    if not available:
        raise ApiError(400, f"source connection {source['id']} did not provide any schemas", "no_schemas")
    frequency = body["default_schedule"].get("frequency")
    schedule = {key: value for key, value in body["default_schedule"].items()}
    sync_rules.check_schedule(call.store, call.org, {**schedule, "frequency": frequency})
    raw_schemas = body.get("schemas")
    schemas = (
        [_schema_entry(s, available) for s in raw_schemas]
        if raw_schemas
        else [_schema_entry(s, available) for s in available]
    )
    return {
        "active": True,
        "mode": "replicate",
        **{k: v for k, v in body.items() if k != "schemas"},
        "default_schedule": {**schedule, "id": (existing or {}).get("default_schedule", {}).get("id") or call.new_id()},
        "additional_schedules": [{**s, "id": call.new_id()} for s in body.get("additional_schedules") or []],
        "schemas": schemas,
        "id": existing["id"] if existing else call.new_id(),
        **call.stamps(existing),
    }


@handles("bulk_sync_create")
def create(call: Call) -> Reply:
    return saved(call, KIND, _document(call, call.body_dict(), None))


@handles("bulk_sync_update")
def update(call: Call) -> Reply:
    return saved(call, KIND, _document(call, call.body_dict(), load(call, call.path["id"])))


@handles("bulk_sync_get")
def get(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    if call.query.get("refresh_schemas"):
        source = load_connection(call, doc["source_connection_id"])
        require_healthy(source)
        schema_cache.begin(call.runtime, call.org, source["id"])
    return envelope(call, doc)


@handles("bulk_sync_list")
def list_all(call: Call) -> Reply:
    docs = call.store.list(call.org, KIND)
    if "active" in call.query:
        docs = [d for d in docs if bool(d.get("active")) == call.query["active"]]
    return envelope(call, docs)


@handles("bulk_sync_delete")
def delete(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    for execution in call.store.list(call.org, bulk_executions.KIND, doc["id"]):
        call.store.clear_pending(call.org, bulk_executions.KIND, execution["id"])
    call.store.delete_scope(call.org, bulk_executions.KIND, doc["id"])
    call.store.delete(call.org, KIND, doc["id"])
    return Reply(status=204)


@handles("bulk_sync_activate")
def activate(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    doc["active"] = bool(call.body_dict()["active"])
    call.store.put(call.org, KIND, doc["id"], doc)
    return envelope(call, {"id": doc["id"], "active": doc["active"]})


@handles("bulk_sync_start")
def start(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    body = call.body_dict()
    if body.get("test") and body.get("resync_mode"):
        raise bad_request("test and resync_mode cannot be combined", "resync_mode")
    source = load_connection(call, doc["source_connection_id"])
    require_healthy(source)
    execution = bulk_executions.start(call.runtime, call.org, doc, body)
    return envelope(call, bulk_executions.view(execution))


def _runs(call: Call, sync_id: str) -> list[dict[str, Any]]:
    return call.store.list(call.org, bulk_executions.KIND, sync_id)


def _current_and_last(runs: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    current = next((e for e in reversed(runs) if e["status"] not in bulk_executions.TERMINAL), None)
    last = next((e for e in reversed(runs) if e["status"] in bulk_executions.TERMINAL), None)
    return current, last


@handles("bulk_sync_get_status")
def status(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    current, last = _current_and_last(_runs(call, doc["id"]))
    return envelope(
        call,
        {
            "current_execution": bulk_executions.view(current) if current else None,
            "last_execution": bulk_executions.view(last) if last else None,
            "next_execution_time": None,
            "ingestion_status": {"enabled": False, "is_running": False, "status": "ok"},
        },
    )


@handles("bulk_sync_executions_list_status")
def list_status(call: Call) -> Reply:
    wanted = call.query.get("sync_id") or []
    docs = call.store.list(call.org, KIND)
    if call.query.get("active"):
        docs = [d for d in docs if d.get("active")]
    elif not call.query.get("all"):
        docs = [d for d in docs if d["id"] in wanted]
    out = []
    for doc in docs:
        current, last = _current_and_last(_runs(call, doc["id"]))
        shown = current or last
        schemas = []
        if shown:
            view = bulk_executions.view(shown)
            schemas = [{**s, "execution_id": shown["id"]} for s in view["schemas"]]
        out.append({"sync_id": doc["id"], "status": shown["status"] if shown else None, "schemas": schemas})
    return envelope(call, out)


@handles("bulk_sync_cancel")
def cancel(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    current, _ = _current_and_last(_runs(call, doc["id"]))
    if current is None:
        raise ApiError(404, f"bulk sync {doc['id']} has no execution in progress", "not_found")
    bulk_executions.request_cancel(call.runtime, call.org, current)
    return envelope(call, {"message": f"canceling execution {current['id']}"})


def _execution(call: Call, id_name: str = "exec_id", sync_name: str = "id") -> dict[str, Any]:
    load(call, call.path[sync_name])
    execution = call.store.get(call.org, bulk_executions.KIND, call.path[id_name])
    if execution is None or execution["sync_id"] != call.path[sync_name]:
        raise not_found("bulk sync execution", call.path[id_name])
    return execution


@handles("bulk_sync_executions_list")
def list_executions(call: Call) -> Reply:
    load(call, call.path["id"])
    runs = _runs(call, call.path["id"])
    if call.query.get("only_terminal"):
        runs = [e for e in runs if e["status"] in bulk_executions.TERMINAL]
    if int(call.query.get("limit") or 50) > 100:
        raise bad_request("limit must be at most 100", "limit")
    return runs_page(call, runs, bulk_executions.view)


@handles("bulk_sync_executions_get")
def get_execution(call: Call) -> Reply:
    return envelope(call, bulk_executions.view(_execution(call)))


@handles("bulk_sync_executions_cancel")
def cancel_execution(call: Call) -> Reply:
    execution = _execution(call)
    return cancel_reply(call, execution, bulk_executions.request_cancel(call.runtime, call.org, execution))


@handles("bulk_sync_executions_get_console_logs")
def console_logs(call: Call) -> Reply:
    execution = _execution(call, "execution_id", "sync_id")
    return envelope(call, console_log.page(execution, call.query.get("limit"), call.query.get("after")))


@handles("bulk_sync_executions_get_schema_console_logs")
def schema_console_logs(call: Call) -> Reply:
    """One schema's view of the log: the execution-wide entries and that schema's own."""
    execution = _execution(call, "execution_id", "sync_id")
    schema_id = call.path["schema_id"]
    if all(item["schema"] != schema_id for item in execution["schemas"]):
        raise not_found("bulk sync execution schema", schema_id)
    entries = [
        e for e in execution.get("console", []) if (e.get("payload") or {}).get("schema", schema_id) == schema_id
    ]
    return envelope(call, console_log.page({"console": entries}, call.query.get("limit"), call.query.get("after")))


def _log_url(call: Call, execution: dict[str, Any], name: str) -> str:
    """A signed-style link to the execution's console log as JSON lines (see ``http.admin.log_file``)."""
    token = call.token(16)
    call.store.set_meta(f"logfile:{token}", f"{call.org}|{execution['id']}|bulk")
    return f"{call.base_url}/sandbox/logfiles/{token}/{name}"


@handles("bulk_sync_executions_get_logs")
def execution_logs(call: Call) -> Reply:
    execution = _execution(call, "execution_id", "sync_id")
    return envelope(
        call, {"URLs": [_log_url(call, execution, "console-0001.jsonl")], "Expires": iso(call.now() + 3600)}
    )


@handles("bulk_sync_executions_export_logs")
def export_logs(call: Call) -> Reply:
    execution = _execution(call, "execution_id", "sync_id")
    url = _log_url(call, execution, "console-export.jsonl")
    job = jobs.submit(call.runtime, call.org, "exportlogs", {"url": url})
    return envelope(call, None, job=job)


def _schema(call: Call) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = load(call, call.path["id"])
    found = next((s for s in doc["schemas"] if s["id"] == call.path["schema_id"]), None)
    if found is None:
        raise not_found("bulk sync schema", call.path["schema_id"])
    return doc, found


@handles("bulk_sync_schemas_list")
def list_schemas(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    schemas = doc["schemas"]
    wanted = (call.query.get("filters") or {}).get("enabled")
    if wanted is not None:
        flag = str(wanted).lower() == "true"
        schemas = [s for s in schemas if bool(s.get("enabled")) == flag]
    return envelope(call, schemas)


@handles("bulk_sync_schemas_get")
def get_schema(call: Call) -> Reply:
    return envelope(call, _schema(call)[1])


@handles("bulk_sync_schemas_update")
def update_schema(call: Call) -> Reply:
    doc, found = _schema(call)
    found.update({k: v for k, v in call.body_dict().items() if v is not None})
    call.store.put(call.org, KIND, doc["id"], doc)
    return envelope(call, found)


@handles("bulk_sync_schemas_patch")
def patch_schemas(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    by_id = {s["id"]: s for s in doc["schemas"]}
    changes = call.body_dict().get("schemas") or []
    for change in changes:
        target = by_id.get(change.get("id"))
        if target is None:
            raise unprocessable(f"schema {change.get('id')!r} is not part of this bulk sync", "schemas")
    for change in changes:
        by_id[change["id"]].update({k: v for k, v in change.items() if v is not None})
    call.store.put(call.org, KIND, doc["id"], doc)
    return envelope(call, doc["schemas"])


@handles("bulk_sync_schemas_cancel")
def cancel_schema(call: Call) -> Reply:
    doc, found = _schema(call)
    current, _ = _current_and_last(_runs(call, doc["id"]))
    if current is None:
        raise ApiError(404, f"bulk sync {doc['id']} has no execution in progress", "not_found")
    bulk_executions.request_cancel(call.runtime, call.org, current, found["id"])
    return envelope(call, {"message": f"canceling schema {found['id']}"})


SCHEDULES = "/api/bulk/syncs/{}/schedules"
_CAMEL = {"day_of_week": "dayOfWeek", "day_of_month": "dayOfMonth", "selective_mode": "selectiveMode"}


def _schedule_body(call: Call) -> dict[str, Any]:
    schedule = dict(call.body_dict()["schedule"])
    snake = {next((k for k, v in _CAMEL.items() if v == key), key): value for key, value in schedule.items()}
    sync_rules.check_schedule(call.store, call.org, snake)
    return schedule


def _load_schedule(call: Call) -> dict[str, Any]:
    load(call, call.path["sync_id"])
    doc = call.store.get(call.org, SCHEDULES, call.path["schedule_id"])
    if doc is None or doc["syncId"] != call.path["sync_id"]:
        raise not_found("bulk sync schedule", call.path["schedule_id"])
    return doc


@handles("bulk_sync_schedules_create")
def create_schedule(call: Call) -> Reply:
    load(call, call.path["sync_id"])
    now = call.now_iso()
    doc = {
        **_schedule_body(call),
        "id": call.new_id(),
        "syncId": call.path["sync_id"],
        "isDefault": False,
        "createdAt": now,
        "updatedAt": now,
        "createdBy": call.tenant.key_fingerprint,
    }
    call.store.put(call.org, SCHEDULES, doc["id"], doc, call.path["sync_id"])
    return envelope(call, doc)


@handles("bulk_sync_schedules_list")
def list_schedules(call: Call) -> Reply:
    load(call, call.path["sync_id"])
    return envelope(call, call.store.list(call.org, SCHEDULES, call.path["sync_id"]))


@handles("bulk_sync_schedules_get")
def get_schedule(call: Call) -> Reply:
    return envelope(call, _load_schedule(call))


@handles("bulk_sync_schedules_update")
def update_schedule(call: Call) -> Reply:
    doc = _load_schedule(call)
    kept = {k: doc[k] for k in ("id", "syncId", "isDefault", "createdAt", "createdBy")}
    updated = {**_schedule_body(call), **kept, "updatedAt": call.now_iso()}
    call.store.put(call.org, SCHEDULES, doc["id"], updated, call.path["sync_id"])
    return envelope(call, updated)


@handles("bulk_sync_schedules_delete")
def delete_schedule(call: Call) -> Reply:
    doc = _load_schedule(call)
    call.store.delete(call.org, SCHEDULES, doc["id"])
    return Reply(status=204)
