"""Workflow tools: composite tools that chain API steps the way a person would.

Each tool is a `HandWrittenTool` declared in its module and listed in `tools/inventory.py`:
`gcs_csv_to_salesforce/` (the seed workflow), `waiting_tools.py` (wait_schema_ready,
run_sync_and_wait, wait_for_execution), `diagnose.py` (diagnose_sync), `finding.py`
(find_resources, describe_connection). Their shared pieces: `waiting.py` (deadlines and
polling), `executions.py`, `schema_cache.py`, `error_causes.py`.
"""
