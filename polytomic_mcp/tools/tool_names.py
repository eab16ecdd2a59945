"""Names of the hand-written tools, in one place: their definitions, the advice other tools give
(`next:` hints naming them) and the prompts refer to these. The list itself is tools/inventory.py."""

from __future__ import annotations

WAIT_SCHEMA_READY = "wait_schema_ready"
SYNC_GCS_CSV_TO_SALESFORCE = "sync_gcs_csv_to_salesforce"
RUN_SYNC_AND_WAIT = "run_sync_and_wait"
WAIT_FOR_EXECUTION = "wait_for_execution"
DIAGNOSE_SYNC = "diagnose_sync"
FIND_RESOURCES = "find_resources"
DESCRIBE_CONNECTION = "describe_connection"
WHOAMI = "whoami"

SEARCH_OPERATIONS = "search_operations"
DESCRIBE_OPERATION = "describe_operation"
CALL_READ_OPERATION = "call_read_operation"
CALL_WRITE_OPERATION = "call_write_operation"
