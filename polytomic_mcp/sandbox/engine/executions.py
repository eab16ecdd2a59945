"""Model-sync executions over (simulated) time: created → queued → running → completed | failed,
or canceling → canceled. State advances when the tenant is observed; the data work runs once,
when the execution's run time is up, inside the request that observes it."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from polytomic_mcp.sandbox.engine import console_log, events, sync_runner
from polytomic_mcp.sandbox.errors import ApiError
from polytomic_mcp.sandbox.state.clock import iso
from polytomic_mcp.sandbox.state.runtime import Runtime
from polytomic_mcp.sandbox.state.store import Store

log = logging.getLogger("polytomic_mcp.sandbox")

KIND = "execution"
TERMINAL = frozenset({"completed", "failed", "canceled", "interrupted"})
CANCEL_SECONDS = 1.0
SHOWN_ERRORS = 20
RESTARTED = (
    "the sandbox restarted while this execution was writing records; the records written before "
    "the restart were kept and this run's counts are lost; start the sync again"
)
INTERNAL = "the sandbox failed while running this execution (internal error)"


@contextmanager
def unfinished(store: Store, org: str, kind: str, execution_id: str) -> Iterator[dict[str, Any] | None]:
    """In one transaction: the execution, or None once it has ended or is gone (which also takes
    it off the pending work)."""
    with store.transaction():
        execution = store.get(org, kind, execution_id)
        if execution is None or execution["status"] in TERMINAL:
            store.clear_pending(org, kind, execution_id)
            execution = None
        yield execution


def refuse_if_running(store: Store, org: str, kind: str, sync_id: str, label: str) -> None:
    """409, as Polytomic answers, when the sync already has an execution that has not ended."""
    running = [e for e in store.list(org, kind, sync_id) if e["status"] not in TERMINAL]
    if running:
        raise ApiError(
            409,
            f"{label} {sync_id} already has an execution in progress ({running[0]['id']})",
            "execution_in_progress",
            {"execution_id": running[0]["id"]},
        )


def start(runtime: Runtime, org: str, sync: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    refuse_if_running(runtime.store, org, KIND, sync["id"], "sync")
    config = runtime.config
    now = runtime.now(org)
    execution: dict[str, Any] = {
        "id": runtime.new_id(org),
        "sync_id": sync["id"],
        "status": "created",
        "type": "test" if options.get("test") else ("resync" if options.get("resync") else "manual"),
        "created": now,
        "queued_at": now + config.execution_queue_seconds / 2,
        "running_at": now + config.execution_queue_seconds,
        "done_at": now + config.execution_queue_seconds + config.execution_run_seconds,
        "counts": None,
        "errors": [],
        "record_errors": [],
        "work": None,
    }
    console_log.append(execution, now, "info", "Execution created", trigger="api")
    runtime.store.put(org, KIND, execution["id"], execution, sync["id"])
    runtime.store.mark_pending(org, KIND, execution["id"])
    return execution


def view(execution: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": execution["id"],
        "status": execution["status"],
        "type": execution["type"],
        "created_at": iso(execution["created"]),
        "started_at": iso(execution.get("started")),
        "completed_at": iso(execution.get("completed")),
        "counts": execution.get("counts"),
        "errors": execution.get("errors", []),
        "version": "2025-09-18",
    }


def request_cancel(runtime: Runtime, org: str, execution: dict[str, Any]) -> bool:
    """Ask a running execution to stop; False when it has already finished."""
    if execution["status"] in TERMINAL:
        return False
    if execution["status"] != "canceling":
        now = runtime.now(org)
        execution["status"] = "canceling"
        execution["cancel_at"] = now + CANCEL_SECONDS
        console_log.append(execution, now, "warning", "Cancellation requested")
        runtime.store.put(org, KIND, execution["id"], execution, execution["sync_id"])
    return True


def _event_payload(sync: dict[str, Any], execution: dict[str, Any]) -> dict[str, Any]:
    return {
        "sync_id": sync["id"],
        "sync_name": sync["name"],
        "execution_id": execution["id"],
        "target_connection_id": sync["target"]["connection_id"],
    }


def advance(runtime: Runtime, org: str, execution_id: str) -> None:
    store = runtime.store
    with unfinished(store, org, KIND, execution_id) as execution:
        if execution is None:
            return
        sync = store.get(org, "sync", execution["sync_id"])
        now = runtime.now(org)
        if sync is None:
            _finish(runtime, org, execution, "failed", now, error="the sync was deleted")
            return
        if execution["status"] == "canceling":
            if now >= execution["cancel_at"] and execution.get("work") != "running":
                _finish(runtime, org, execution, "canceled", execution["cancel_at"], sync=sync)
            return
        if execution["status"] == "created" and now >= execution["queued_at"]:
            execution["status"] = "queued"
            console_log.append(execution, execution["queued_at"], "info", "Queued")
        if execution["status"] == "queued" and now >= execution["running_at"]:
            execution["status"] = "running"
            execution["started"] = execution["running_at"]
            console_log.append(execution, execution["running_at"], "info", "Running")
            events.emit(runtime, org, "sync.running", execution["running_at"], _event_payload(sync, execution))
        claimed = execution["status"] == "running" and now >= execution["done_at"] and execution["work"] is None
        if claimed:
            execution["work"] = "running"
        store.put(org, KIND, execution_id, execution, execution["sync_id"])
    if claimed:
        _do_work(runtime, org, sync, execution_id)


@contextmanager
def collector_paused() -> Iterator[None]:
    """A run allocates millions of short-lived tuples; the cyclic collector would rescan the
    live batch again and again (a third of the run time), and the run makes no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _do_work(runtime: Runtime, org: str, sync: dict[str, Any], execution_id: str) -> None:
    store = runtime.store

    def should_stop() -> bool:
        current = store.get(org, KIND, execution_id)
        return current is None or current["status"] == "canceling"

    failure: str | None = None
    result = sync_runner.RunResult()
    try:
        with collector_paused():
            result = sync_runner.run(runtime, org, sync, should_stop)
    except sync_runner.RunFailed as exc:
        failure = str(exc)
    except Exception:  # the execution must end, or the sync could never run again
        log.exception("sandbox sync run %s failed", execution_id)
        failure = INTERNAL
    with store.transaction():
        execution = store.get(org, KIND, execution_id)
        if execution is None:
            return
        execution["work"] = "done"
        execution["counts"] = result.counts()
        execution["record_errors"] = result.record_errors
        execution["errors"] = result.record_errors[:SHOWN_ERRORS]
        finished_at = (
            max(runtime.now(org), execution["done_at"]) if runtime.config.clock == "real" else execution["done_at"]
        )
        if failure is not None:
            _finish(runtime, org, execution, "failed", finished_at, sync=sync, error=failure)
        elif result.canceled or execution["status"] == "canceling":
            _finish(runtime, org, execution, "canceled", finished_at, sync=sync)
        else:
            summary = (
                f"Processed {result.total} records: {result.insert} inserted, {result.update} updated, "
                f"{result.delete} deleted, {result.error} errors"
            )
            console_log.append(execution, finished_at, "error" if result.error else "info", summary, **result.counts())
            _finish(runtime, org, execution, "completed", finished_at, sync=sync)


def after_restart(runtime: Runtime, org: str, execution_id: str) -> None:
    """Settle an execution an earlier sandbox process left unfinished (see ``engine.recovery``)."""
    store = runtime.store
    with unfinished(store, org, KIND, execution_id) as execution:
        if execution is None:
            return
        now = max(runtime.now(org), execution["created"])
        sync = store.get(org, "sync", execution["sync_id"])
        writing = execution.get("work") == "running"
        if writing:
            execution["work"] = "interrupted"
        if execution["status"] == "canceling":
            console_log.append(execution, now, "warning", "The sandbox restarted; the cancellation is complete")
            _finish(runtime, org, execution, "canceled", now, sync=sync)
        elif writing:
            _finish(runtime, org, execution, "failed", now, sync=sync, error=RESTARTED)
        else:
            console_log.append(execution, now, "warning", "The sandbox restarted; this execution goes on")
            store.put(org, KIND, execution_id, execution, execution["sync_id"])


def _finish(
    runtime: Runtime,
    org: str,
    execution: dict[str, Any],
    status: str,
    at: float,
    sync: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    execution["status"] = status
    execution["completed"] = at
    if error:
        execution["errors"] = [error, *execution.get("errors", [])][:SHOWN_ERRORS]
        console_log.append(execution, at, "error", f"Execution failed: {error}")
    elif status == "canceled":
        console_log.append(execution, at, "warning", "Execution canceled")
    runtime.store.put(org, KIND, execution["id"], execution, execution["sync_id"])
    runtime.store.clear_pending(org, KIND, execution["id"])
    if sync is None:
        return
    payload = _event_payload(sync, execution)
    counts = execution.get("counts") or {}
    if status == "failed":
        events.emit(runtime, org, "sync.failed", at, {**payload, "error": error})
    elif status == "canceled":
        events.emit(runtime, org, "sync.canceled", at, {**payload, "status": "canceled"})
    elif counts.get("error"):
        events.emit(
            runtime,
            org,
            "sync.completed_with_errors",
            at,
            {
                **payload,
                "number_of_errors": counts["error"],
                "number_of_warnings": 0,
                "error": f"{counts['error']} records failed",
            },
        )
    else:
        events.emit(
            runtime,
            org,
            "sync.completed",
            at,
            {
                **payload,
                "status": "completed",
                "record_count": counts.get("total", 0),
                "inserted_count": counts.get("insert", 0),
                "updated_count": counts.get("update", 0),
                "upserted_count": 0,
                "error_count": 0,
                "warning_count": 0,
                "trigger": "api",
                "schedule": {"frequency": (sync.get("schedule") or {}).get("frequency")},
            },
        )
