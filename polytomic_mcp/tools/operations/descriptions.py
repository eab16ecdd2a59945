"""Descriptions and titles of operation tools.

A description is the catalog's one-line purpose (ours), then — only where it helps the
model choose — when to use the tool, which workflow tool to prefer, and how paging or
background work behaves. Every extra sentence is paid for in every tool list, so the
hints below are short and only where they change a decision.
"""

from __future__ import annotations

import re

from polytomic_mcp.catalog import Operation

# Purposes that name SDK methods rather than our tools, rewritten.
PURPOSES: dict[str, str] = {
    "query_runner_run_query": "Run a query against a connection.",
}

# When to use it / what to prefer, keyed by catalog name.
HINTS: dict[str, str] = {
    "connections_create": (
        "Config shapes: connections_get_type_schema. For GCS CSV → Salesforce prefer sync_gcs_csv_to_salesforce."
    ),
    "connections_list": "To find one by name prefer find_resources.",
    "connections_get_types": "Ids here are the `type` for connections_create.",
    "schemas_get_status": "To wait until ready prefer wait_schema_ready.",
    "schemas_refresh": "Then wait with wait_schema_ready.",
    "schemas_get": "schema_id as listed by bulk_sync_get_source or describe_connection.",
    "models_create": "GCS/S3 CSV: configuration {model_from: single_file, key: <file>}.",
    "models_list": "To find one by name prefer find_resources.",
    "model_sync_create": (
        "Map fields by model field name → target field id; check modes and identity support with "
        "model_sync_targets_get_fields first. For GCS CSV → Salesforce prefer sync_gcs_csv_to_salesforce."
    ),
    "model_sync_list": "To find one by name prefer find_resources.",
    "model_sync_start": "To run and watch to the end prefer run_sync_and_wait; to watch, wait_for_execution.",
    "model_sync_get_status": "For why a sync fails prefer diagnose_sync.",
    "model_sync_executions_get": "To wait for it to finish prefer wait_for_execution; for errors diagnose_sync.",
    "model_sync_executions_list": "For a health summary prefer diagnose_sync.",
    "model_sync_targets_list": "Ids are the target `object` for model_sync_create.",
    "model_sync_targets_get_target_fields": "Identity needs a field with supports_identity.",
    "jobs_get": "Jobs come from async model create/update/preview/sample and log exports.",
    "operations_search": "Polytomic's hosted search; to find tools here prefer search_operations.",
}


# Polls that a workflow tool does better (bounded, with progress).
WAITERS: dict[str, str] = {
    "schemas_get_status": "wait_schema_ready",
    "model_sync_executions_get": "wait_for_execution",
    "model_sync_get_status": "wait_for_execution",
}


def hint_for(operation: Operation) -> str | None:
    return HINTS.get(operation.name)


def _behaviour(operation: Operation) -> list[str]:
    notes: list[str] = []
    if operation.pagination is not None:
        style = operation.pagination.style
        if style == "page_token":
            notes.append("Paged: pass next_page_token back as page_token.")
        elif style == "after":
            notes.append("Paged: pass next_cursor back as after.")
        elif style == "time_window":
            notes.append("Use starting_after/ending_before to move through time.")
        elif style == "links":
            notes.append("Paged: follow the page token from links.next.")
    if operation.async_info is not None and operation.async_info.poll != operation.name:
        when = f" ({operation.async_info.when})" if operation.async_info.when else ""
        waiter = WAITERS.get(operation.async_info.poll)
        follow = f"wait with {waiter}" if waiter else f"poll {operation.async_info.poll}"
        notes.append(f"Runs in the background{when}; {follow}.")
    if operation.partner_scope:
        notes.append("Needs a partner key.")
    return notes


def describe(operation: Operation, poll_tool_name: str | None = None) -> str:
    """The tool description: purpose, then hints and behaviour notes."""
    parts = [PURPOSES.get(operation.name, operation.purpose).strip()]
    hint = hint_for(operation)
    if hint:
        parts.append(hint)
    behaviour = _behaviour(operation)
    if poll_tool_name and operation.async_info is not None:
        behaviour = [b.replace(operation.async_info.poll, poll_tool_name) for b in behaviour]
    # A hint that already names the workflow tool makes the background note redundant.
    parts.extend(b for b in behaviour if not (hint and any(w in hint and w in b for w in WAITERS.values())))
    return " ".join(parts)


def title_for(operation: Operation) -> str:
    """A short human title: the first clause of the purpose."""
    first = re.split(r";| \(", operation.purpose, maxsplit=1)[0].strip().rstrip(".")
    return first[:1].upper() + first[1:]
