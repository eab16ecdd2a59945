"""Bulk (ELT) syncs in the workflow tools: which kind of sync an id is, running and waiting
for a bulk execution, and a compact diagnosis.

`run_sync_and_wait`, `wait_for_execution` and `diagnose_sync` take a model sync's id or a bulk
sync's; this module answers for bulk syncs, so an agent never needs to know which kind of
sync it holds before asking.
"""

from __future__ import annotations

from typing import Literal

from polytomic_mcp.client import PolytomicError
from polytomic_mcp.errors import NotFoundError, UpstreamError
from polytomic_mcp.tools.api import Api
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.tool_names import (
    DESCRIBE_CONNECTION,
    DIAGNOSE_SYNC,
    FIND_RESOURCES,
    RUN_SYNC_AND_WAIT,
    WAIT_FOR_EXECUTION,
)
from polytomic_mcp.tools.views import JsonObject, execution_ref, items, obj
from polytomic_mcp.tools.workflow.connection_health import connection_health
from polytomic_mcp.tools.workflow.executions import is_terminal
from polytomic_mcp.tools.workflow.waiting import Deadline, poll_until

SyncKind = Literal["model", "bulk"]
FAILED = frozenset({"failed", "interrupted", "canceled"})
MAX_SCHEMAS_SHOWN = 10


async def _answers(api: Api, operation: str, **arguments: str) -> bool:
    """Whether a read finds the object (False on 404; any other failure is raised)."""
    try:
        await api.data(operation, **arguments)
    except PolytomicError as failure:
        if failure.status == 404:
            return False
        raise
    return True


async def sync_kind(api: Api, sync_id: str) -> SyncKind:
    """Whether an id is a model sync's or a bulk sync's; NotFoundError when it is neither."""
    if await _answers(api, "model_sync_get_status", sync_id=sync_id):
        return "model"
    if await _answers(api, "bulk_sync_get_status", bulk_sync_id=sync_id):
        return "bulk"
    raise NotFoundError(
        f"No model sync with id {sync_id!r}, and no bulk sync with it either (Polytomic answered 404 for both). "
        f"Look the sync up by name with {FIND_RESOURCES}(query=..., kinds=['syncs', 'bulk_syncs'])."
    )


def bulk_execution_summary(execution: JsonObject) -> JsonObject:
    """id, status, counts and the schemas that did not complete."""
    schemas = items(execution.get("schemas"))
    failing = [
        {"schema": s.get("schema"), "status": s.get("status"), **({"error": s["error"]} if s.get("error") else {})}
        for s in schemas
        if str(s.get("status") or "") in FAILED
    ]
    summary: JsonObject = {
        "id": execution.get("id"),
        "status": execution.get("status"),
        "counts": {
            "records": execution.get("record_count") or 0,
            "errors": execution.get("error_count") or 0,
            "warnings": execution.get("warning_count") or 0,
            "schemas": len(schemas),
        },
    }
    for key in ("started_at", "completed_at", "status_message"):
        if execution.get(key):
            summary[key] = execution[key]
    if failing:
        summary["failing_schemas"] = failing[:MAX_SCHEMAS_SHOWN]
    return summary


async def wait_for_bulk(request: RequestContext, sync_id: str, execution_id: str, deadline: Deadline) -> JsonObject:
    """Poll a bulk execution until it ends or the deadline passes; its last state."""
    latest: JsonObject = {}

    async def check() -> tuple[bool, float, float | None, str]:
        nonlocal latest
        latest = obj(
            await request.api.data("bulk_sync_executions_get", bulk_sync_id=sync_id, execution_id=execution_id)
        )
        schemas = items(latest.get("schemas"))
        done = sum(1 for s in schemas if is_terminal(str(s.get("status") or "")))
        message = f"bulk execution {latest.get('status')}"
        return is_terminal(latest.get("status")), float(done), float(len(schemas)) or None, message

    await poll_until(request, deadline, check)
    return latest


async def start_bulk_or_join(api: Api, sync_id: str, resync: bool) -> tuple[str, bool]:
    """Start a bulk execution; if one is already running (409), join it. (execution id, joined)."""
    try:
        started = obj(await api.data("bulk_sync_start", bulk_sync_id=sync_id, resync_mode="resync" if resync else None))
        return str(started["id"]), False
    except PolytomicError as failure:
        if failure.status != 409:
            raise
    status = obj(await api.data("bulk_sync_get_status", bulk_sync_id=sync_id))
    joined = obj(status.get("current_execution")) or obj(status.get("last_execution"))
    if not joined.get("id"):
        raise UpstreamError(f"{sync_id}: Polytomic said a run is in progress but reports none; try again shortly.")
    return str(joined["id"]), True


def bulk_run_report(request: RequestContext, sync_id: str, execution: JsonObject, attached: bool) -> JsonObject:
    status = execution.get("status")
    finished = is_terminal(status)
    hint = request.hints
    if not finished:
        advice = f"Still {status}; call {hint(WAIT_FOR_EXECUTION)} with sync_id and execution_id to keep waiting."
    elif status == "completed" and not execution.get("error_count"):
        advice = "Done."
    else:
        advice = f"Call {hint(DIAGNOSE_SYNC)} with this sync_id to see which schemas failed."
    report: JsonObject = {
        "sync_id": sync_id,
        "kind": "bulk_sync",
        "finished": finished,
        "execution": bulk_execution_summary(execution),
    }
    if attached:
        report["note"] = "An execution was already running; this waited for it instead of starting another."
    report["next"] = advice
    return report


async def diagnose_bulk(request: RequestContext, sync_id: str, execution_id: str | None, recent: int) -> JsonObject:
    """Why a bulk sync fails: its status, the chosen run's failing schemas, the trend, connections."""
    api = request.api
    sync = obj(await api.data("bulk_sync_get", bulk_sync_id=sync_id))
    status = obj(await api.data("bulk_sync_get_status", bulk_sync_id=sync_id))
    runs = items(await api.all_pages("bulk_sync_executions_list", limit=recent, bulk_sync_id=sync_id))
    runs.sort(key=lambda run: str(run.get("created_at") or ""), reverse=True)
    chosen = execution_id or next((str(run["id"]) for run in runs if run.get("id")), None)
    execution = (
        obj(await api.data("bulk_sync_executions_get", bulk_sync_id=sync_id, execution_id=chosen)) if chosen else None
    )
    roles = [
        (str(sync[member]), role)
        for member, role in (("source_connection_id", "source"), ("destination_connection_id", "destination"))
        if sync.get(member)
    ]
    connections = await connection_health(api, roles, with_cache=False)
    hint = request.hints
    steps: list[str] = []
    if execution is None:
        steps.append(f"It has never run: {hint(RUN_SYNC_AND_WAIT, sync_id=sync_id)}.")
    elif not is_terminal(execution.get("status")):
        steps.append(f"An execution is in progress: {hint(WAIT_FOR_EXECUTION, sync_id=sync_id, execution_id=chosen)}.")
    elif str(execution.get("status")) in FAILED or bulk_execution_summary(execution).get("failing_schemas"):
        steps.append("Read failing_schemas: each names a source table that did not copy, and why.")
    steps += [
        f"The {row['role']} connection {row['id']} is not healthy (see connections): "
        f"{hint(DESCRIBE_CONNECTION, connection_id=row['id'])} says what to fix."
        for row in connections
        if not row["healthy"]
    ]
    if sync.get("active") is False:
        steps.append("The bulk sync is paused, so its schedule does not run.")
    return {
        "sync": {
            "id": sync.get("id"),
            "kind": "bulk_sync",
            "name": sync.get("name"),
            "mode": sync.get("mode"),
            "active": sync.get("active"),
            "source_connection_id": sync.get("source_connection_id"),
            "destination_connection_id": sync.get("destination_connection_id"),
        },
        "status": {
            "current_execution": execution_ref(status.get("current_execution")),
            "last_execution": execution_ref(status.get("last_execution")),
            "next_execution_time": status.get("next_execution_time"),
        },
        "execution": bulk_execution_summary(execution) if execution else None,
        "connections": connections,
        "trend": {"runs": [_trend_row(run) for run in runs]},
        "next_steps": steps or ["Nothing failed in the last run."],
    }


def _trend_row(run: JsonObject) -> JsonObject:
    return {
        "id": run.get("id"),
        "status": run.get("status"),
        "records": run.get("record_count"),
        "errors": run.get("error_count"),
    }
