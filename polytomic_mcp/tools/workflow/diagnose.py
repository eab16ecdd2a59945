"""diagnose_sync: why a model sync fails, in one compact answer.

Result (JSON text and structured content, same members):

    sync        {id, name, mode, target_connection_id, target_object, schedule, active,
                 identity: [{source_field, target, function}], problems?: [text]}
    status      {current_execution: {id, status} | null, last_execution: {id, status} | null,
                 next_execution_time}
    execution   {id, status, started_at, completed_at, counts{total, insert, update, error, …}} | null
    errors      {source: "execution errors" | "console log", total, causes: [{cause, category,
                 count, example_message, example_record?, example_value?}], omitted?} (absent when none)
    connections [{role: source|target, id, name, type, status, healthy, schema_cache?}]
    trend       {runs: [{id, status, total, errors}] newest first, summary}
    next_steps  [text]: concrete actions keyed to the causes found

Error messages and names come from users' systems: they sit in the named fields above
(example_message, example_value, name), never in next_steps' wording beyond ids and
field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from mcp.types import ToolAnnotations
from pydantic import Field

from polytomic_mcp.errors import PolytomicMcpError
from polytomic_mcp.tools.api import Api
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.definition import HandWrittenTool, Payload, ToolInput
from polytomic_mcp.tools.hints import Hints
from polytomic_mcp.tools.tool_names import (
    DESCRIBE_CONNECTION,
    DIAGNOSE_SYNC,
    FIND_RESOURCES,
    RUN_SYNC_AND_WAIT,
    WAIT_FOR_EXECUTION,
    WAIT_SCHEMA_READY,
)
from polytomic_mcp.tools.views import (
    FAILED_STATUSES,
    JsonObject,
    counts_of,
    execution_ref,
    execution_view,
    identity_mappings,
    items,
    obj,
    sync_problems,
    sync_summary,
)
from polytomic_mcp.tools.workflow.bulk import diagnose_bulk, sync_kind
from polytomic_mcp.tools.workflow.connection_health import connection_health
from polytomic_mcp.tools.workflow.error_causes import GroupedErrors, group_errors
from polytomic_mcp.tools.workflow.executions import TERMINAL

MAX_CAUSES = 8
MAX_NEXT_STEPS = 6
CONSOLE_LOG_ENTRIES = 50
MAX_MODELS_CHECKED = 3
ERROR_LEVELS = frozenset({"error", "fatal", "critical"})


@dataclass
class Findings:
    """Everything read about one sync; the report is built from it."""

    sync: JsonObject
    status: JsonObject
    runs: list[JsonObject]
    execution: JsonObject | None
    hint: Hints  # names tools the way this session can call them
    errors: GroupedErrors = field(default_factory=GroupedErrors)
    error_source: str | None = None
    connections: list[JsonObject] = field(default_factory=list)


# -- reading ---------------------------------------------------------------------------


async def load_sync(api: Api, sync_id: str) -> JsonObject:
    missing = (
        f"No model sync with id {sync_id!r} (Polytomic answered 404). diagnose_sync takes an id: "
        f"look the sync up by name with {FIND_RESOURCES}(query=..., kinds=['syncs'])."
    )
    return obj(await api.existing("model_sync_get", missing, sync_id=sync_id))


async def recent_runs(api: Api, sync_id: str, recent: int) -> list[JsonObject]:
    """The latest `recent` executions, newest first (whatever order the API pages in)."""
    runs = items(await api.all_pages("model_sync_executions_list", limit=recent, sync_id=sync_id, ascending=False))
    runs.sort(key=lambda run: str(run.get("created_at") or run.get("started_at") or ""), reverse=True)
    return runs[:recent]


async def pick_execution(
    api: Api, sync_id: str, execution_id: str | None, runs: list[JsonObject], status: JsonObject
) -> JsonObject | None:
    """The asked-for execution, else the latest one; read in full (lists may be lighter)."""
    if execution_id is None:
        latest = runs[0] if runs else obj(status.get("current_execution")) or obj(status.get("last_execution"))
        execution_id = latest.get("id") if latest else None
        if execution_id is None:
            return None
    known = ", ".join(str(run.get("id")) for run in runs[:3]) or "none"
    missing = (
        f"Sync {sync_id} has no execution {execution_id!r}. Recent executions: {known}. "
        "Omit execution_id to diagnose the latest one."
    )
    return obj(await api.existing("model_sync_executions_get", missing, sync_id=sync_id, execution_id=execution_id))


def _needs_detail(execution: JsonObject) -> bool:
    return execution.get("status") in FAILED_STATUSES or (counts_of(execution).get("error") or 0) > 0


async def console_errors(api: Api, sync_id: str, execution_id: str) -> list[str]:
    """Error lines of the execution's console log (its last entries)."""
    data = obj(
        await api.data(
            "model_sync_executions_get_console_logs",
            sync_id=sync_id,
            execution_id=execution_id,
            limit=CONSOLE_LOG_ENTRIES,
        )
    )
    entries = items(data.get("entries"))
    errors = [e for e in entries if str(e.get("level") or "").lower() in ERROR_LEVELS]
    if not errors:  # some logs carry no levels: fall back to lines that say they failed
        errors = [e for e in entries if any(w in str(e.get("message") or "").lower() for w in ("error", "fail"))]
    return [str(entry.get("message")) for entry in errors if entry.get("message")]


async def read_errors(api: Api, sync_id: str, execution: JsonObject, findings: Findings) -> None:
    """Group the execution's errors[]; fall back to its console log when they give no detail."""
    messages = [str(message) for message in execution.get("errors") or [] if message]
    source = "execution errors"
    if not messages and _needs_detail(execution) and execution.get("id"):
        try:
            messages = await console_errors(api, sync_id, str(execution["id"]))
        except PolytomicMcpError:
            messages = []  # the log is optional evidence; the rest of the report still stands
        source = "console log"
    if messages:
        findings.errors = group_errors(messages, MAX_CAUSES)
        findings.error_source = source


async def model_connection_ids(api: Api, sync: JsonObject) -> list[str]:
    ids: list[str] = []
    for model_id in (sync.get("model_ids") or [])[:MAX_MODELS_CHECKED]:
        try:
            connection_id = obj(await api.data("models_get", model_id=model_id)).get("connection_id")
        except PolytomicMcpError:
            continue
        if connection_id and connection_id not in ids:
            ids.append(str(connection_id))
    return ids


async def check_connections(api: Api, sync: JsonObject, with_cache: bool) -> list[JsonObject]:
    """Health of the sync's source and target connections (and schema caches when asked)."""
    roles = [(connection_id, "source") for connection_id in await model_connection_ids(api, sync)]
    target_id = sync_summary(sync)["target_connection_id"]
    if target_id:
        roles.append((str(target_id), "target"))
    return await connection_health(api, roles, with_cache)


async def gather_findings(api: Api, sync_id: str, execution_id: str | None, recent: int, hint: Hints) -> Findings:
    sync = await load_sync(api, sync_id)
    status = obj(await api.data("model_sync_get_status", sync_id=sync_id))
    runs = await recent_runs(api, sync_id, recent)
    execution = await pick_execution(api, sync_id, execution_id, runs, status)
    findings = Findings(sync=sync, status=status, runs=runs, execution=execution, hint=hint)
    if execution is not None:
        await read_errors(api, sync_id, execution, findings)
    troubled = execution is None or execution.get("status") in FAILED_STATUSES
    with_cache = troubled or "schema_cache" in findings.errors.categories()
    findings.connections = await check_connections(api, sync, with_cache)
    return findings


# -- judging ---------------------------------------------------------------------------


def _error_rate(run: JsonObject) -> float:
    counts = counts_of(run)
    errors, total = counts.get("error") or 0, counts.get("total") or 0
    if total:
        return float(errors) / float(total)
    return 1.0 if errors else 0.0


def error_direction(runs: list[JsonObject]) -> str | None:
    """rising / falling / steady: the newest completed run's error rate against the earlier ones'.

    Failed runs are left out: their errors are about the run, not a share of its records.
    """
    finished = [run for run in runs if run.get("status") == "completed"]
    if len(finished) < 2 or not any((counts_of(run).get("error") or 0) for run in finished):
        return None
    latest = _error_rate(finished[0])
    earlier = sum(_error_rate(run) for run in finished[1:]) / (len(finished) - 1)
    if latest > earlier * 1.25 and latest - earlier > 0.01:
        return "rising"
    if latest < earlier * 0.8 and earlier - latest > 0.01:
        return "falling"
    return "steady"


def _only_run_summary(run: JsonObject) -> str:
    errors = counts_of(run).get("error") or 0
    with_errors = f" with {errors} record errors" if errors else ""
    return f"only one run: {run.get('status')}{with_errors}"


def trend_summary(runs: list[JsonObject]) -> str:
    if not runs:
        return "never ran"
    if len(runs) == 1:
        return _only_run_summary(runs[0])
    count = len(runs)
    failed = sum(1 for run in runs if run.get("status") in FAILED_STATUSES)
    with_errors = sum(1 for run in runs if (counts_of(run).get("error") or 0) > 0)
    parts: list[str] = []
    if failed:
        parts.append(f"{failed} of last {count} failed")
    if with_errors:
        parts.append(f"{with_errors} of last {count} had record errors")
    if not parts:
        parts.append(f"no failures or record errors in last {count}")
    direction = error_direction(runs)
    if direction:
        parts.append(f"errors {direction}")
    if any(run.get("status") not in TERMINAL for run in runs):
        parts.append("one is still running")
    return "; ".join(parts)


def trend_view(runs: list[JsonObject]) -> JsonObject:
    rows = [
        {
            "id": run.get("id"),
            "status": run.get("status"),
            "total": counts_of(run).get("total"),
            "errors": counts_of(run).get("error"),
        }
        for run in runs
    ]
    return {"runs": rows, "summary": trend_summary(runs)}


def _fields_resource(sync: JsonObject) -> str:
    summary = sync_summary(sync)
    return f"polytomic://connections/{summary['target_connection_id']}/targets/{summary['target_object']}/fields"


def _identity_text(sync: JsonObject) -> tuple[str, str]:
    """('email → Email', 'email'): the first identity mapping, for advice."""
    mappings = identity_mappings(sync)
    if not mappings:
        return "the identity field", "<identity source field>"
    first = mappings[0]
    return f"{first['source_field']} → {first['target']}", str(first["source_field"])


def _records(count: int, at_least: bool) -> str:
    """'3 records have', or 'At least 20 records have' when only a sample of the errors was listed."""
    if at_least:
        return f"At least {count} records have"
    return "1 record has" if count == 1 else f"{count} records have"


def advice_for_category(category: str, count: int, findings: Findings) -> str:
    sync = findings.sync
    hint = findings.hint
    connection_ids = [row["id"] for row in findings.connections if row.get("id")]
    identity, source_field = _identity_text(sync)
    records = _records(count, at_least=sample_note(findings) is not None)
    advice = {
        "missing_identity": f"{records} no value for the identity ({identity}): fix those source rows, "
        f"or skip them with a model filter on {source_field} (IsNotNull) via {hint('model_sync_update')}.",
        "missing_required": "Records lack a value the target requires: map a source field to each required "
        f"target field or fill the source rows; required fields: {_fields_resource(sync)}.",
        "type_mismatch": "Values do not fit their target fields' type or format: fix or filter out those source "
        "values, map the column to a target field of a matching type, or correct the model field's type "
        f"({hint('schemas_patch_field')}, then {hint('models_update')}); target field types: "
        f"{_fields_resource(sync)}.",
        "source_changed": "The source changed under the model (a file, column or object is gone): refresh its "
        f"schema ({hint(WAIT_SCHEMA_READY)}), then update the model ({hint('models_update')}) and the sync's "
        f"mappings ({hint('model_sync_update')}) to what exists now.",
        "duplicate": "Several target records match one identity value: remove the duplicates in the target, "
        "or choose an identity field that is unique.",
        "auth": f"A connection's authorization failed: reconnect it ({hint('connections_update')} with "
        f"reconnect=true returns a new auth_url for the user to open), then check it with "
        f"{hint(DESCRIBE_CONNECTION)}.",
        "connection": f"A connection could not be reached: check it with {hint(DESCRIBE_CONNECTION)}, then re-run "
        f"with {hint(RUN_SYNC_AND_WAIT)}.",
        "rate_limit": f"The destination rate-limited the run: re-run later with {hint(RUN_SYNC_AND_WAIT)}, or "
        "schedule the sync less often.",
        "schema_cache": f"A schema cache was not ready: {hint(WAIT_SCHEMA_READY, connection_ids=connection_ids)}, "
        f"then {hint(RUN_SYNC_AND_WAIT)}.",
        "permission": "The destination refused some writes: check the connected user's permissions, or unmap "
        f"fields that cannot be written ({_fields_resource(sync)}).",
    }
    fallback = f"Read the example messages above; the full error log of the run: {error_log(findings)}."
    return advice.get(category, fallback)


def error_log(findings: Findings) -> str:
    """How to fetch the chosen run's whole error log, in this session's terms."""
    return findings.hint(
        "model_sync_executions_get_log_urls",
        sync_id=findings.sync.get("id"),
        execution_id=(findings.execution or {}).get("id"),
        type="errors",
    )


def execution_steps(findings: Findings) -> list[str]:
    """Advice from the chosen execution: never ran, still running, failed without detail."""
    sync_id = findings.sync.get("id")
    execution = findings.execution
    hint = findings.hint
    if execution is None:
        return [f"It has never run: {hint(RUN_SYNC_AND_WAIT, sync_id=sync_id)}."]
    if execution.get("status") not in TERMINAL:
        waiting = hint(WAIT_FOR_EXECUTION, sync_id=sync_id, execution_id=execution.get("id"))
        return [f"An execution is in progress: {waiting}, then {hint(DIAGNOSE_SYNC)} again."]
    error_count = counts_of(execution).get("error") or 0
    if findings.errors.total_messages == 0 and (execution.get("status") in FAILED_STATUSES or error_count):
        return [f"The run reported {error_count} errors without detail: read the error log with {error_log(findings)}."]
    return []


def connection_steps(findings: Findings) -> list[str]:
    steps: list[str] = []
    hint = findings.hint
    for row in findings.connections:
        if row.get("problem"):
            steps.append(
                f"The {row['role']} connection {row.get('id')} could not be read ({row['problem']}): if it was "
                f"deleted, point the sync or its model at an existing one ({hint(FIND_RESOURCES)}, then "
                f"{hint('model_sync_update')})."
            )
        elif not row.get("healthy"):
            steps.append(
                f"The {row['role']} connection {row.get('id')} is {row.get('status')}: reconnect it "
                f"({hint('connections_update')} with reconnect=true gives a new auth_url for OAuth connections), "
                f"then {hint(DESCRIBE_CONNECTION)} to confirm."
            )
        cache = row.get("schema_cache")
        if cache and not cache.get("ready"):
            steps.append(
                f"The {row['role']} connection's schema cache is not ready: "
                f"{hint(WAIT_SCHEMA_READY, connection_ids=[row.get('id')])}."
            )
    return steps


def sync_steps(sync: JsonObject, hint: Hints) -> list[str]:
    steps: list[str] = []
    if sync_problems(sync):
        steps.append(f"Fix the sync's configuration problems (sync.problems) with {hint('model_sync_update')}.")
    schedule = sync_summary(sync)["schedule"]
    if sync.get("active") is False and schedule not in (None, "manual"):
        resume = hint("model_sync_activate", sync_id=sync.get("id"), active=True)
        steps.append(f"The sync is paused, so its {schedule} schedule does not run: {resume}.")
    return steps


def next_steps(findings: Findings) -> list[str]:
    # Blockers first: a broken connection or sync setup makes re-running pointless.
    steps = [*connection_steps(findings), *sync_steps(findings.sync, findings.hint), *execution_steps(findings)]
    for group in findings.errors.groups:
        steps.append(advice_for_category(group.category, group.count, findings))
    steps = list(dict.fromkeys(steps))[:MAX_NEXT_STEPS]
    if not steps:
        steps.append("The last run completed without errors; nothing to fix.")
    return steps


# -- reporting -------------------------------------------------------------------------


def sample_note(findings: Findings) -> str | None:
    """Executions list only their first errors: say so when the counts show more."""
    execution = findings.execution or {}
    recorded = counts_of(execution).get("error") or 0
    listed = findings.errors.total_messages
    if findings.error_source != "execution errors" or recorded <= listed:
        return None
    return f"grouped the {listed} messages the execution lists, of {recorded} record errors; every error: " + (
        error_log(findings)
    )


def errors_view(findings: Findings) -> JsonObject | None:
    grouped = findings.errors
    if not grouped.total_messages:
        return None
    view: JsonObject = {
        "source": findings.error_source,
        "total": grouped.total_messages,
        "causes": [group.to_json() for group in grouped.groups],
    }
    if grouped.omitted_groups:
        view["omitted"] = f"{grouped.omitted_messages} more messages in {grouped.omitted_groups} rarer causes"
    sampled = sample_note(findings)
    if sampled:
        view["sampled"] = sampled
    return view


def report(findings: Findings) -> JsonObject:
    sync_view = {**sync_summary(findings.sync), "identity": identity_mappings(findings.sync)}
    problems = sync_problems(findings.sync)
    if problems:
        sync_view["problems"] = problems
    payload: JsonObject = {
        "sync": sync_view,
        "status": {
            "current_execution": execution_ref(findings.status.get("current_execution")),
            "last_execution": execution_ref(findings.status.get("last_execution")),
            "next_execution_time": findings.status.get("next_execution_time"),
        },
        "execution": execution_view(findings.execution) if findings.execution is not None else None,
    }
    errors = errors_view(findings)
    if errors is not None:
        payload["errors"] = errors
    payload["connections"] = findings.connections
    payload["trend"] = trend_view(findings.runs)
    payload["next_steps"] = next_steps(findings)
    return payload


class DiagnoseSyncInput(ToolInput):
    sync_id: Annotated[str, Field(description="Model or bulk sync id (find_resources turns a name into one).")]
    execution_id: Annotated[str | None, Field(description="Execution to examine; default the latest.")] = None
    recent: Annotated[int, Field(ge=1, le=50, description="Recent runs for the trend.")] = 10


async def diagnose_sync(args: DiagnoseSyncInput, request: RequestContext) -> Payload:
    sync_id = args.sync_id.strip()
    if await sync_kind(request.api, sync_id) == "bulk":
        return await diagnose_bulk(request, sync_id, args.execution_id, args.recent)
    findings = await gather_findings(request.api, sync_id, args.execution_id, args.recent, request.hints)
    return report(findings)


DIAGNOSE_SYNC_TOOL = HandWrittenTool(
    name=DIAGNOSE_SYNC,
    title="Diagnose a sync",
    description="Why a sync (model or bulk) fails: status, counts, errors grouped by cause, recent trend, next steps.",
    input_model=DiagnoseSyncInput,
    annotations=ToolAnnotations(read_only_hint=True, open_world_hint=True),
    handler=diagnose_sync,
)
