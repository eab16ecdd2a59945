"""Names of the hand-written tools, in one place (descriptions, prompts and tests refer to them)."""

from __future__ import annotations

WAIT_SCHEMA_READY = "wait_schema_ready"
SYNC_GCS_CSV_TO_SALESFORCE = "sync_gcs_csv_to_salesforce"
RUN_SYNC_AND_WAIT = "run_sync_and_wait"
WAIT_FOR_EXECUTION = "wait_for_execution"
DIAGNOSE_SYNC = "diagnose_sync"
FIND_RESOURCES = "find_resources"
DESCRIBE_CONNECTION = "describe_connection"

SEARCH_OPERATIONS = "search_operations"
DESCRIBE_OPERATION = "describe_operation"
CALL_OPERATION = "call_operation"

WORKFLOW_TOOLS = (
    SYNC_GCS_CSV_TO_SALESFORCE,
    WAIT_SCHEMA_READY,
    RUN_SYNC_AND_WAIT,
    WAIT_FOR_EXECUTION,
    DIAGNOSE_SYNC,
    FIND_RESOURCES,
    DESCRIBE_CONNECTION,
)
DISCOVERY_TOOLS = (SEARCH_OPERATIONS, DESCRIBE_OPERATION, CALL_OPERATION)
WORKFLOW_AND_DISCOVERY_TOOLS = WORKFLOW_TOOLS + DISCOVERY_TOOLS
