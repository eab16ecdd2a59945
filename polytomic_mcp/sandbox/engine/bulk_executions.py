"""Bulk-sync executions: created → running → completed, moving data by counting the source rows
of each enabled schema (the sandbox simulates the copy; the counts are real)."""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.engine import console_log, events, executions
from polytomic_mcp.sandbox.errors import ApiError
from polytomic_mcp.sandbox.state.clock import iso
from polytomic_mcp.sandbox.state.runtime import Runtime
from polytomic_mcp.sandbox.world import files, salesforce

KIND = "bulk_execution"
TERMINAL = executions.TERMINAL


def start(runtime: Runtime, org: str, sync: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    executions.refuse_if_running(runtime.store, org, KIND, sync["id"], "bulk sync")
    enabled = [s["id"] for s in sync["schemas"] if s.get("enabled", True)]
    chosen = options.get("schemas") or enabled
    unknown = [s for s in chosen if s not in enabled]
    if unknown:
        raise ApiError(
            422,
            f"schema {unknown[0]!r} is not enabled on this bulk sync; enabled: {', '.join(enabled)}",
            "validation_failed",
            {"field": "schemas"},
        )
    config = runtime.config
    now = runtime.now(org)
    execution: dict[str, Any] = {
        "id": runtime.new_id(org),
        "sync_id": sync["id"],
        "status": "created",
        "type": "manual",
        "is_test": bool(options.get("test")),
        "is_resync": options.get("resync_mode") is not None,
        "is_partial": bool(options.get("schemas")),
        "fetch_mode": options.get("fetch_mode") or "full",
        "output_disposition": "truncate" if options.get("resync_mode") == "rebuild" else "retain",
        "created": now,
        "running_at": now + config.execution_queue_seconds,
        "done_at": now + config.execution_queue_seconds + config.execution_run_seconds,
        "schemas": [{"schema": s, "output_name": s, "status": "created"} for s in chosen],
    }
    console_log.append(execution, now, "info", "Bulk execution created")
    runtime.store.put(org, KIND, execution["id"], execution, sync["id"])
    runtime.store.mark_pending(org, KIND, execution["id"])
    return execution


def view(execution: dict[str, Any]) -> dict[str, Any]:
    schemas = [
        {**s, "started_at": iso(s.get("started")), "completed_at": iso(s.get("completed"))}
        for s in execution["schemas"]
    ]
    return {
        "id": execution["id"],
        "status": execution["status"],
        "type": execution["type"],
        "is_test": execution["is_test"],
        "is_resync": execution["is_resync"],
        "is_partial": execution["is_partial"],
        "fetch_mode": execution["fetch_mode"],
        "output_disposition": execution["output_disposition"],
        "record_count": execution.get("record_count"),
        "error_count": execution.get("error_count"),
        "warning_count": 0 if execution["status"] in TERMINAL else None,
        "status_message": execution.get("status_message"),
        "created_at": iso(execution["created"]),
        "started_at": iso(execution.get("started")),
        "completed_at": iso(execution.get("completed")),
        "updated_at": iso(execution.get("completed") or execution.get("started") or execution["created"]),
        "schemas": schemas,
        "version": "2025-09-18",
    }


def request_cancel(runtime: Runtime, org: str, execution: dict[str, Any], schema: str | None = None) -> bool:
    if execution["status"] in TERMINAL:
        return False
    now = runtime.now(org)
    if schema is None:
        execution["status"] = "canceling"
        execution["cancel_at"] = now + 1.0
    for item in execution["schemas"]:
        if (schema is None or item["schema"] == schema) and item["status"] not in TERMINAL:
            item["status"] = "canceled"
            item["completed"] = now
    console_log.append(execution, now, "warning", f"Cancellation requested{f' for {schema}' if schema else ''}")
    runtime.store.put(org, KIND, execution["id"], execution, execution["sync_id"])
    return True


def _rows_in(runtime: Runtime, org: str, source: dict[str, Any], schema: str) -> int:
    config = source["configuration"]
    if source["type"] == "salesforce":
        obj = salesforce.get_object(runtime.store, org, config["domain"], schema)
        return salesforce.count_records(runtime.store, obj) if obj else 0
    if source["type"] in ("gcs", "s3"):
        location = files.connection_location(source)
        key = location.key(schema)
        exists = files.file_exists(runtime.store, org, location.bucket, key)
        return files.count_rows(runtime.store, org, location.bucket, key) if exists else 0
    return 0


def _event_payload(sync: dict[str, Any], execution: dict[str, Any]) -> dict[str, Any]:
    return {
        "sync_id": execution["sync_id"],
        "sync_name": sync.get("name"),
        "execution_id": execution["id"],
        "source_connection_id": sync.get("source_connection_id"),
        "destination_connection_id": sync.get("destination_connection_id"),
    }


def advance(runtime: Runtime, org: str, execution_id: str) -> None:
    store = runtime.store
    with executions.unfinished(store, org, KIND, execution_id) as execution:
        if execution is None:
            return
        sync = store.get(org, "bulk_sync", execution["sync_id"]) or {}
        payload = _event_payload(sync, execution)
        now = runtime.now(org)
        if execution["status"] == "canceling":
            if now >= execution["cancel_at"]:
                _finish(runtime, org, execution, "canceled", execution["cancel_at"])
                events.emit(runtime, org, "bulk_sync.canceled", execution["cancel_at"], payload)
            return
        if execution["status"] == "created" and now >= execution["running_at"]:
            execution["status"] = "running"
            execution["started"] = execution["running_at"]
            for item in execution["schemas"]:
                if item["status"] == "created":
                    item.update(status="running", started=execution["running_at"])
            console_log.append(execution, execution["running_at"], "info", "Running")
            events.emit(runtime, org, "bulk_sync.running", execution["running_at"], payload)
        if execution["status"] == "running" and now >= execution["done_at"]:
            source = store.get(org, "connection", sync.get("source_connection_id", ""))
            if source is None:
                execution["status_message"] = "the source connection no longer exists"
                _finish(runtime, org, execution, "failed", execution["done_at"])
                events.emit(
                    runtime,
                    org,
                    "bulk_sync.failed",
                    execution["done_at"],
                    {**payload, "error": execution["status_message"]},
                )
                return
            total = 0
            for item in execution["schemas"]:
                if item["status"] == "running":
                    count = 0 if execution["is_test"] else _rows_in(runtime, org, source, item["schema"])
                    item.update(
                        status="completed",
                        record_count=count,
                        error_count=0,
                        warning_count=0,
                        completed=execution["done_at"],
                    )
                    total += count
                    console_log.append(
                        execution,
                        execution["done_at"],
                        "info",
                        f"{item['schema']}: copied {count} records",
                        schema=item["schema"],
                        record_count=count,
                    )
            execution.update(record_count=total, error_count=0)
            console_log.append(execution, execution["done_at"], "info", f"Copied {total} records")
            _finish(runtime, org, execution, "completed", execution["done_at"])
            events.emit(runtime, org, "bulk_sync.completed", execution["done_at"], {**payload, "trigger_source": "api"})
            return
        store.put(org, KIND, execution_id, execution, execution["sync_id"])


def after_restart(runtime: Runtime, org: str, execution_id: str) -> None:
    """Settle an execution an earlier sandbox process left unfinished (see ``engine.recovery``):
    one being canceled is canceled, any other goes on (nothing is copied before it finishes)."""
    store = runtime.store
    with executions.unfinished(store, org, KIND, execution_id) as execution:
        if execution is None:
            return
        now = max(runtime.now(org), execution["created"])
        if execution["status"] == "canceling":
            console_log.append(execution, now, "warning", "The sandbox restarted; the cancellation is complete")
            _finish(runtime, org, execution, "canceled", now)
            sync = store.get(org, "bulk_sync", execution["sync_id"]) or {}
            events.emit(runtime, org, "bulk_sync.canceled", now, _event_payload(sync, execution))
            return
        console_log.append(execution, now, "warning", "The sandbox restarted; this execution goes on")
        store.put(org, KIND, execution_id, execution, execution["sync_id"])


def _finish(runtime: Runtime, org: str, execution: dict[str, Any], status: str, at: float) -> None:
    execution["status"] = status
    execution["completed"] = at
    runtime.store.put(org, KIND, execution["id"], execution, execution["sync_id"])
    runtime.store.clear_pending(org, KIND, execution["id"])
