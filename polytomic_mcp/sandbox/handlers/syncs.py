"""Model syncs, their executions, logs and status."""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.engine import console_log, executions, sync_rules
from polytomic_mcp.sandbox.errors import ApiError, bad_request, not_found
from polytomic_mcp.sandbox.handlers.runs import cancel_reply, runs_page
from polytomic_mcp.sandbox.http import versions
from polytomic_mcp.sandbox.http.context import Call, Reply, envelope, handles, saved
from polytomic_mcp.sandbox.http.pagination import paginate
from polytomic_mcp.sandbox.http.shaping import conform, data_schema
from polytomic_mcp.sandbox.state.clock import iso

KIND = "sync"
LOG_TYPES = ("records", "errors", "warnings", "inserts", "updates", "deletes")
SCHEDULE_OPTIONS = [
    ("manual", "Manual", "Runs only when started through the API or the app.", {}),
    ("continuous", "Continuous", "Runs again as soon as the previous run finishes.", {}),
    ("hourly", "Hourly", "Runs every hour at the given minute.", {"minute": "string"}),
    ("daily", "Daily", "Runs every day at the given UTC hour and minute.", {"hour": "string", "minute": "string"}),
    (
        "weekly",
        "Weekly",
        "Runs weekly on the given day, hour and minute (UTC).",
        {"day_of_week": "string", "hour": "string", "minute": "string"},
    ),
    (
        "custom",
        "Custom",
        "Cron-style fields (UTC).",
        {"minute": "string", "hour": "string", "day_of_month": "string", "month": "string", "day_of_week": "string"},
    ),
    ("runafter", "Run after", "Runs after other syncs finish.", {"run_after": "object"}),
    ("dbtcloud", "dbt Cloud", "Runs after a dbt Cloud job.", {"connection_id": "string", "job_id": "integer"}),
]


def load(call: Call, sync_id: str) -> dict[str, Any]:
    return call.document(KIND, sync_id, "sync")


def _document(call: Call, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    model_ids, _ = sync_rules.check(call.store, call.org, body)
    return {
        "active": True,
        **body,
        "id": existing["id"] if existing else call.new_id(),
        "model_ids": model_ids,
        "problems": [],
        **call.stamps(existing),
    }


@handles("model_sync_create")
def create(call: Call) -> Reply:
    return saved(call, KIND, _document(call, call.body_dict(), None))


@handles("model_sync_update")
def update(call: Call) -> Reply:
    return saved(call, KIND, _document(call, call.body_dict(), load(call, call.path["id"])))


@handles("model_sync_get")
def get(call: Call) -> Reply:
    return envelope(call, load(call, call.path["id"]))


def _list_item(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "target_connection_id": doc["target"]["connection_id"], "target_object": doc["target"].get("object")}


@handles("model_sync_list")
def list_all(call: Call) -> Reply:
    docs = call.store.list(call.org, KIND)
    if "active" in call.query:
        docs = [d for d in docs if bool(d.get("active")) == call.query["active"]]
    if call.query.get("mode"):
        docs = [d for d in docs if d["mode"] == call.query["mode"]]
    if call.query.get("target_connection_id"):
        docs = [d for d in docs if d["target"]["connection_id"] == call.query["target_connection_id"]]
    if versions.is_earlier(call.version):
        # Before 2025-09-18 the list answered every sync in full, on one page.
        schema = call.runtime.catalog.get("model_sync_get").response_body or {}
        return Reply(body={"data": [conform(d, data_schema(schema), schema) for d in docs]})
    if int(call.query.get("limit") or 50) > 50:
        raise bad_request("limit must be at most 50", "limit")
    page, siblings = paginate(call, [_list_item(d) for d in docs])
    return envelope(call, page, **siblings)


@handles("model_sync_delete")
def delete(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    for execution in call.store.list(call.org, executions.KIND, doc["id"]):
        executions.request_cancel(call.runtime, call.org, execution)
        call.store.clear_pending(call.org, executions.KIND, execution["id"])
    call.store.delete_scope(call.org, executions.KIND, doc["id"])
    call.store.delete(call.org, KIND, doc["id"])
    return Reply(status=204)


@handles("model_sync_activate")
def activate(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    doc["active"] = bool(call.body_dict()["active"])
    call.store.put(call.org, KIND, doc["id"], doc)
    return envelope(call, {"id": doc["id"], "active": doc["active"]})


@handles("model_sync_get_schedule_options")
def schedule_options(call: Call) -> Reply:
    options = [
        {"frequency": f, "label": label, "description": text, "configuration": conf}
        for f, label, text, conf in SCHEDULE_OPTIONS
    ]
    return envelope(call, {"schedule_options": options})


@handles("model_sync_start")
def start(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    target = call.store.get(call.org, "connection", doc["target"]["connection_id"])
    if target is None or target["status"] != "healthy":
        raise ApiError(
            400, f"the sync's target connection {doc['target']['connection_id']} is not healthy", "connection_unhealthy"
        )
    body = call.body_dict()
    if body.get("identities") or body.get("source_identities"):
        raise bad_request("running a sync for selected records is not supported by the sandbox", "identities")
    execution = executions.start(call.runtime, call.org, doc, body)
    return envelope(call, executions.view(execution))


def _executions(call: Call, sync_id: str) -> list[dict[str, Any]]:
    return call.store.list(call.org, executions.KIND, sync_id)


@handles("model_sync_get_status")
def status(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    runs = _executions(call, doc["id"])
    current = next((e for e in reversed(runs) if e["status"] not in executions.TERMINAL), None)
    last = next((e for e in reversed(runs) if e["status"] in executions.TERMINAL), None)
    return envelope(
        call,
        {
            "current_execution": executions.view(current) if current else None,
            "last_execution": executions.view(last) if last else None,
            "next_execution_time": None,
        },
    )


@handles("model_sync_cancel")
def cancel_sync(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    running = [e for e in _executions(call, doc["id"]) if e["status"] not in executions.TERMINAL]
    if not running:
        raise ApiError(404, f"sync {doc['id']} has no execution in progress", "not_found")
    for execution in running:
        executions.request_cancel(call.runtime, call.org, execution)
    return envelope(call, {"message": f"canceling execution {running[0]['id']}"})


def _execution(call: Call) -> dict[str, Any]:
    load(call, call.path["sync_id"])
    execution = call.store.get(call.org, executions.KIND, call.path["id"])
    if execution is None or execution["sync_id"] != call.path["sync_id"]:
        raise not_found("execution", call.path["id"])
    return execution


@handles("model_sync_executions_list")
def list_executions(call: Call) -> Reply:
    load(call, call.path["sync_id"])
    runs = _executions(call, call.path["sync_id"])
    if call.query.get("only_completed"):
        runs = [e for e in runs if e["status"] in executions.TERMINAL]
    return runs_page(call, runs, executions.view)


@handles("model_sync_executions_get")
def get_execution(call: Call) -> Reply:
    return envelope(call, executions.view(_execution(call)))


@handles("model_sync_executions_cancel")
def cancel_execution(call: Call) -> Reply:
    execution = _execution(call)
    return cancel_reply(call, execution, executions.request_cancel(call.runtime, call.org, execution))


@handles("model_sync_executions_get_console_logs")
def console_logs(call: Call) -> Reply:
    execution = _execution(call)
    return envelope(call, console_log.page(execution, call.query.get("limit"), call.query.get("after")))


def _log_url(call: Call, execution: dict[str, Any], log_type: str) -> str:
    token = call.token(16)
    call.store.set_meta(f"logfile:{token}", f"{call.org}|{execution['id']}|{log_type}")
    return f"{call.base_url}/sandbox/logfiles/{token}/{log_type}-0001.jsonl"


def _log_count(execution: dict[str, Any], log_type: str) -> int:
    counts: dict[str, int] = execution.get("counts") or {}
    source = {"records": "total", "errors": "error", "inserts": "insert", "updates": "update", "deletes": "delete"}
    return int(counts.get(source[log_type], 0)) if log_type in source else 0


@handles("model_sync_executions_get_logs_index")
def logs_index(call: Call) -> Reply:
    execution = _execution(call)
    return envelope(
        call, {t: {"count": _log_count(execution, t), "url": _log_url(call, execution, t)} for t in LOG_TYPES}
    )


def _typed_log_url(call: Call) -> str:
    """A link to the log of the type the path names (400 for an unknown type)."""
    execution = _execution(call)
    log_type = call.path["type"]
    if log_type not in LOG_TYPES:
        raise bad_request(f"unknown log type {log_type!r}; one of: {', '.join(LOG_TYPES)}", "type")
    return _log_url(call, execution, log_type)


@handles("model_sync_executions_get_log_urls")
def log_urls(call: Call) -> Reply:
    return envelope(call, {"urls": [_typed_log_url(call)], "expires": iso(call.now() + 3600)})


@handles("model_sync_executions_get_logs")
def log_file(call: Call) -> Reply:
    return Reply(status=302, headers={"Location": _typed_log_url(call)})
