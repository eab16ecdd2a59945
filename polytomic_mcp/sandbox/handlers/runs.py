"""Answers the model-sync and bulk-sync execution routes share (each passes its own engine's views)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polytomic_mcp.sandbox.errors import ApiError
from polytomic_mcp.sandbox.http.context import Call, Reply, envelope
from polytomic_mcp.sandbox.http.pagination import paginate

Execution = dict[str, Any]


def runs_page(call: Call, runs: list[Execution], view: Callable[[Execution], Any]) -> Reply:
    """A page of executions, newest first unless ``ascending``."""
    ordered = runs if call.query.get("ascending") else list(reversed(runs))
    page, siblings = paginate(call, [view(run) for run in ordered])
    return envelope(call, page, **siblings)


def cancel_reply(call: Call, execution: Execution, accepted: bool) -> Reply:
    """A cancel request's answer; 409 when the execution had already finished."""
    if not accepted:
        raise ApiError(
            409, f"execution {execution['id']} already finished ({execution['status']})", "execution_finished"
        )
    return envelope(call, {"message": f"canceling execution {execution['id']}"})
