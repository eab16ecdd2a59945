"""Model-sync executions: terminal states, compact summaries, waiting for one to finish."""

from __future__ import annotations

from typing import Any

from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.workflow.waiting import Deadline, poll_until

# `interrupted` is not documented as terminal, but nothing moves an execution out of it.
TERMINAL = frozenset({"completed", "failed", "canceled", "interrupted"})
SUCCESS = "completed"
COUNT_KEYS = ("total", "insert", "update", "upserts", "delete", "error", "warnings")


def is_terminal(status: str | None) -> bool:
    return (status or "").lower() in TERMINAL


def execution_summary(execution: dict[str, Any]) -> dict[str, Any]:
    """id, status, times and non-zero counts; errors are left to diagnose_sync."""
    counts = execution.get("counts") or {}
    summary: dict[str, Any] = {
        "id": execution.get("id"),
        "status": execution.get("status"),
        "counts": {key: counts.get(key, 0) for key in COUNT_KEYS if counts.get(key)},
    }
    for key in ("started_at", "completed_at"):
        if execution.get(key):
            summary[key] = execution[key]
    errors = execution.get("errors") or []
    if errors:
        summary["error_messages"] = len(errors)
    return summary


def progress_of(execution: dict[str, Any]) -> tuple[float, float | None, str]:
    counts = execution.get("counts") or {}
    done = float(sum(counts.get(k, 0) or 0 for k in ("insert", "update", "upserts", "delete", "error")))
    total = counts.get("total")
    return done, float(total) if total else None, f"execution {execution.get('status')}"


async def wait_for(request: RequestContext, sync_id: str, execution_id: str, deadline: Deadline) -> dict[str, Any]:
    """Poll an execution until it ends or the deadline passes; its last state."""
    latest: dict[str, Any] = {}

    async def check() -> tuple[bool, float, float | None, str]:
        nonlocal latest
        latest = await request.api.data("model_sync_executions_get", sync_id=sync_id, execution_id=execution_id)
        done, total, message = progress_of(latest)
        return is_terminal(latest.get("status")), done, total, message

    await poll_until(request, deadline, check)
    return latest
