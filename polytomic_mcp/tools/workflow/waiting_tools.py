"""Waiting tools: wait_schema_ready, run_sync_and_wait, wait_for_execution.

Each returns within its (capped) timeout with the current state and how to continue,
reporting MCP progress while it waits.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import ToolAnnotations
from pydantic import Field

from polytomic_mcp.client import PolytomicError
from polytomic_mcp.errors import UpstreamError
from polytomic_mcp.tools.api import Api
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.definition import HandWrittenTool, Payload, ToolInput
from polytomic_mcp.tools.tool_names import (
    DIAGNOSE_SYNC,
    RUN_SYNC_AND_WAIT,
    WAIT_FOR_EXECUTION,
    WAIT_SCHEMA_READY,
)
from polytomic_mcp.tools.workflow.bulk import bulk_run_report, start_bulk_or_join, sync_kind, wait_for_bulk
from polytomic_mcp.tools.workflow.executions import SUCCESS, execution_summary, is_terminal, wait_for
from polytomic_mcp.tools.workflow.schema_cache import ConnectionReadiness, check_connection
from polytomic_mcp.tools.workflow.waiting import Deadline, TimeoutSeconds, bounded_timeout, poll_until


async def wait_schemas(
    request: RequestContext, connection_ids: list[str], deadline: Deadline
) -> list[ConnectionReadiness]:
    """Poll until every connection's schema cache is ready, one has a problem, or time runs out."""
    states = [ConnectionReadiness(id=cid) for cid in dict.fromkeys(connection_ids)]

    async def check() -> tuple[bool, float, float | None, str]:
        for state in states:
            if not state.ready:
                await check_connection(request.api, state, may_refresh=True)
        ready = sum(s.ready for s in states)
        blocked = [s for s in states if s.problem]
        message = f"{ready}/{len(states)} schema caches ready"
        return ready == len(states) or bool(blocked), ready, len(states), message

    await poll_until(request, deadline, check)
    return states


def schema_wait_report(states: list[ConnectionReadiness], deadline: Deadline) -> dict[str, Any]:
    ready = all(s.ready for s in states)
    blocked = [s for s in states if s.problem]
    if ready:
        advice = "Schemas are cached: models, targets and syncs can be created now."
    elif blocked:
        advice = f"A connection is not healthy (see problem); fix it, then call {WAIT_SCHEMA_READY} again."
    else:
        advice = f"Still refreshing; call {WAIT_SCHEMA_READY} again with the same ids to keep waiting."
    return {
        "ready": ready,
        "connections": [s.summary() for s in states],
        "waited_s": round(deadline.elapsed(), 1),
        "next": advice,
    }


def run_report(request: RequestContext, sync_id: str, execution: dict[str, Any], attached: bool) -> dict[str, Any]:
    status = execution.get("status")
    finished = is_terminal(status)
    hint = request.hints
    if not finished:
        advice = f"Still {status}; call {hint(WAIT_FOR_EXECUTION)} with sync_id and execution_id to keep waiting."
    elif status == SUCCESS and not (execution.get("counts") or {}).get("error"):
        advice = "Done."
    else:
        advice = f"Call {hint(DIAGNOSE_SYNC)} with this sync_id and execution_id to see why records failed."
    report: dict[str, Any] = {"sync_id": sync_id, "finished": finished, "execution": execution_summary(execution)}
    if attached:
        report["note"] = "An execution was already running; this waited for it instead of starting another."
    report["next"] = advice
    return report


class WaitSchemaReadyInput(ToolInput):
    connection_ids: Annotated[list[str], Field(min_length=1, description="Connection ids to wait for.")]
    timeout_s: TimeoutSeconds = 45


async def wait_schema_ready(args: WaitSchemaReadyInput, request: RequestContext) -> Payload:
    deadline = Deadline(bounded_timeout(request, args.timeout_s))
    states = await wait_schemas(request, args.connection_ids, deadline)
    return schema_wait_report(states, deadline)


WAIT_SCHEMA_READY_TOOL = HandWrittenTool(
    name=WAIT_SCHEMA_READY,
    title="Wait for schema caches",
    description="Wait until connections' schema caches are ready (starts a refresh if none ran), after creating a "
    "connection and before models or syncs. Returns by the timeout with each cache's status.",
    input_model=WaitSchemaReadyInput,
    annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
    handler=wait_schema_ready,
)


class RunSyncAndWaitInput(ToolInput):
    sync_id: Annotated[str, Field(description="Model or bulk sync id.")]
    timeout_s: TimeoutSeconds = 45
    resync: Annotated[bool, Field(description="Full resync of all records.")] = False


async def run_sync_and_wait(args: RunSyncAndWaitInput, request: RequestContext) -> Payload:
    deadline = Deadline(bounded_timeout(request, args.timeout_s))
    if await sync_kind(request.api, args.sync_id) == "bulk":
        execution_id, attached = await start_bulk_or_join(request.api, args.sync_id, args.resync)
        bulk = await wait_for_bulk(request, args.sync_id, execution_id, deadline)
        return bulk_run_report(request, args.sync_id, bulk, attached)
    execution_id, attached = await start_or_join(request.api, args.sync_id, args.resync)
    execution = await wait_for(request, args.sync_id, execution_id, deadline)
    return run_report(request, args.sync_id, execution, attached)


RUN_SYNC_AND_WAIT_TOOL = HandWrittenTool(
    name=RUN_SYNC_AND_WAIT,
    title="Run a sync and wait",
    description="Start a sync run, model or bulk (or join the one running), and wait for it, with progress; "
    "returns counts, or the current state at the timeout.",
    input_model=RunSyncAndWaitInput,
    annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False),
    handler=run_sync_and_wait,
)


class WaitForExecutionInput(ToolInput):
    sync_id: Annotated[str, Field(description="Model or bulk sync id.")]
    execution_id: Annotated[str, Field(description="Execution id.")]
    timeout_s: TimeoutSeconds = 45


async def wait_for_execution(args: WaitForExecutionInput, request: RequestContext) -> Payload:
    deadline = Deadline(bounded_timeout(request, args.timeout_s))
    if await sync_kind(request.api, args.sync_id) == "bulk":
        bulk = await wait_for_bulk(request, args.sync_id, args.execution_id, deadline)
        return bulk_run_report(request, args.sync_id, bulk, attached=False)
    execution = await wait_for(request, args.sync_id, args.execution_id, deadline)
    return run_report(request, args.sync_id, execution, attached=False)


WAIT_FOR_EXECUTION_TOOL = HandWrittenTool(
    name=WAIT_FOR_EXECUTION,
    title="Wait for a sync execution",
    description="Wait for a sync execution (model or bulk) to finish, with progress; returns its counts, or the "
    "current state at the timeout.",
    input_model=WaitForExecutionInput,
    annotations=ToolAnnotations(read_only_hint=True),
    handler=wait_for_execution,
)


async def start_or_join(api: Api, sync_id: str, resync: bool) -> tuple[str, bool]:
    """Start an execution; if one is already running (409), join it. (execution id, joined)."""
    try:
        started = await api.data("model_sync_start", sync_id=sync_id, resync=resync or None)
        return str(started["id"]), False
    except PolytomicError as failure:
        if failure.status != 409:
            raise
    status = await api.data("model_sync_get_status", sync_id=sync_id) or {}
    # The running execution, or, if it ended since the 409, the one that just ended.
    joined = status.get("current_execution") or status.get("last_execution") or {}
    if not joined.get("id"):
        raise UpstreamError(f"{sync_id}: Polytomic said a run is in progress but reports none; try again shortly.")
    return str(joined["id"]), True
