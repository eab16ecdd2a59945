"""Waiting tools: wait_schema_ready, run_sync_and_wait, wait_for_execution.

Each returns within its (capped) timeout with the current state and how to continue,
reporting MCP progress while it waits.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from polytomic_mcp.app_state import ToolContext
from polytomic_mcp.tools.results import error_result, payload_result
from polytomic_mcp.tools.workflow.api import Api, StepError
from polytomic_mcp.tools.workflow.executions import SUCCESS, execution_summary, is_terminal, wait_for
from polytomic_mcp.tools.workflow.schema_cache import ConnectionReadiness, check_connection
from polytomic_mcp.tools.workflow.waiting import Deadline, bounded_timeout, poll_until
from polytomic_mcp.tools.workflow_names import (
    DIAGNOSE_SYNC,
    RUN_SYNC_AND_WAIT,
    WAIT_FOR_EXECUTION,
    WAIT_SCHEMA_READY,
)

TimeoutSeconds = Annotated[float, Field(gt=0, description="Seconds to wait at most (capped below 60).")]


async def wait_schemas(
    api: Api, context: ToolContext, connection_ids: list[str], deadline: Deadline
) -> list[ConnectionReadiness]:
    """Poll until every connection's schema cache is ready, one has a problem, or time runs out."""
    states = [ConnectionReadiness(id=cid) for cid in dict.fromkeys(connection_ids)]

    async def check() -> tuple[bool, float, float | None, str]:
        for state in states:
            if not state.ready:
                await check_connection(api, state, may_refresh=True)
        ready = sum(s.ready for s in states)
        blocked = [s for s in states if s.problem]
        message = f"{ready}/{len(states)} schema caches ready"
        return ready == len(states) or bool(blocked), ready, len(states), message

    await poll_until(context, deadline, check)
    return states


def schema_wait_report(states: list[ConnectionReadiness], deadline: Deadline) -> dict[str, Any]:
    ready = all(s.ready for s in states)
    blocked = [s for s in states if s.problem]
    if ready:
        advice = "Schemas are cached: models, targets and syncs can be created now."
    elif blocked:
        advice = "A connection is not healthy (see problem); fix it, then call wait_schema_ready again."
    else:
        advice = f"Still refreshing; call {WAIT_SCHEMA_READY} again with the same ids to keep waiting."
    return {
        "ready": ready,
        "connections": [s.summary() for s in states],
        "waited_s": round(deadline.elapsed(), 1),
        "next": advice,
    }


def run_report(sync_id: str, execution: dict[str, Any], attached: bool) -> dict[str, Any]:
    status = execution.get("status")
    finished = is_terminal(status)
    if not finished:
        advice = f"Still {status}; call {WAIT_FOR_EXECUTION} with sync_id and execution_id to keep waiting."
    elif status == SUCCESS and not (execution.get("counts") or {}).get("error"):
        advice = "Done."
    else:
        advice = f"Call {DIAGNOSE_SYNC} with this sync_id and execution_id to see why records failed."
    report: dict[str, Any] = {"sync_id": sync_id, "finished": finished, "execution": execution_summary(execution)}
    if attached:
        report["note"] = "An execution was already running; this waited for it instead of starting another."
    report["next"] = advice
    return report


def register_waiting_tools(server: MCPServer[Any]) -> None:
    @server.tool(
        name=WAIT_SCHEMA_READY,
        annotations=ToolAnnotations(
            title="Wait for schema caches", read_only_hint=False, destructive_hint=False, idempotent_hint=True
        ),
    )
    async def wait_schema_ready(
        connection_ids: Annotated[list[str], Field(min_length=1, description="Connection ids to wait for.")],
        ctx: ToolContext,
        timeout_s: TimeoutSeconds = 45,
    ) -> CallToolResult:
        """Wait until connections' schema caches are ready (starts a refresh if none ran). Use after creating
        a connection, before models, targets or syncs. Returns by the timeout with each cache's status."""
        api = Api.for_context(ctx)
        deadline = Deadline(bounded_timeout(ctx, timeout_s))
        try:
            states = await wait_schemas(api, ctx, connection_ids, deadline)
        except StepError as failure:
            return error_result(failure.text)
        return payload_result(schema_wait_report(states, deadline))

    @server.tool(
        name=RUN_SYNC_AND_WAIT,
        annotations=ToolAnnotations(
            title="Run a sync and wait", read_only_hint=False, destructive_hint=False, idempotent_hint=False
        ),
    )
    async def run_sync_and_wait(
        sync_id: Annotated[str, Field(description="Model sync id.")],
        ctx: ToolContext,
        timeout_s: TimeoutSeconds = 45,
        resync: Annotated[bool, Field(description="Full resync of all records.")] = False,
    ) -> CallToolResult:
        """Start a model sync run (or join the one running) and wait for it, with progress; returns counts,
        or the current state at the timeout."""
        api = Api.for_context(ctx)
        deadline = Deadline(bounded_timeout(ctx, timeout_s))
        try:
            execution_id, attached = await start_or_join(api, sync_id, resync)
            execution = await wait_for(api, ctx, sync_id, execution_id, deadline)
        except StepError as failure:
            return error_result(failure.text)
        return payload_result(run_report(sync_id, execution, attached))

    @server.tool(
        name=WAIT_FOR_EXECUTION,
        annotations=ToolAnnotations(title="Wait for a sync execution", read_only_hint=True),
    )
    async def wait_for_execution(
        sync_id: Annotated[str, Field(description="Model sync id.")],
        execution_id: Annotated[str, Field(description="Execution id.")],
        ctx: ToolContext,
        timeout_s: TimeoutSeconds = 45,
    ) -> CallToolResult:
        """Wait for a model sync execution to finish, with progress; returns its counts, or the current state at
        the timeout."""
        api = Api.for_context(ctx)
        deadline = Deadline(bounded_timeout(ctx, timeout_s))
        try:
            execution = await wait_for(api, ctx, sync_id, execution_id, deadline)
        except StepError as failure:
            return error_result(failure.text)
        return payload_result(run_report(sync_id, execution, attached=False))


async def start_or_join(api: Api, sync_id: str, resync: bool) -> tuple[str, bool]:
    """Start an execution; if one is already running (409), join it. (execution id, joined)."""
    try:
        started = await api.data("model_sync_start", id=sync_id, resync=resync or None)
        return str(started["id"]), False
    except StepError as failure:
        if failure.status != 409:
            raise
    status = await api.data("model_sync_get_status", id=sync_id) or {}
    # The running execution, or, if it ended since the 409, the one that just ended.
    joined = status.get("current_execution") or status.get("last_execution") or {}
    if not joined.get("id"):
        raise StepError(f"{sync_id}: Polytomic said a run is in progress but reports none; try again shortly.")
    return str(joined["id"]), True
