"""Every hand-written tool, in the order tools/list shows them (most useful first).

A new hand-written tool is one `HandWrittenTool` in its own module plus one line here.
Operation tools are not listed here: they are generated from the catalog.
"""

from __future__ import annotations

from typing import Any

from polytomic_mcp.tools.definition import HandWrittenTool
from polytomic_mcp.tools.discovery import (
    CALL_READ_OPERATION_TOOL,
    CALL_WRITE_OPERATION_TOOL,
    DESCRIBE_OPERATION_TOOL,
    SEARCH_OPERATIONS_TOOL,
)
from polytomic_mcp.tools.workflow.diagnose import DIAGNOSE_SYNC_TOOL
from polytomic_mcp.tools.workflow.finding import DESCRIBE_CONNECTION_TOOL, FIND_RESOURCES_TOOL
from polytomic_mcp.tools.workflow.gcs_csv_to_salesforce.tool import SYNC_GCS_CSV_TO_SALESFORCE_TOOL
from polytomic_mcp.tools.workflow.waiting_tools import (
    RUN_SYNC_AND_WAIT_TOOL,
    WAIT_FOR_EXECUTION_TOOL,
    WAIT_SCHEMA_READY_TOOL,
)
from polytomic_mcp.tools.workflow.whoami import WHOAMI_TOOL

HAND_WRITTEN_TOOLS: tuple[HandWrittenTool[Any], ...] = (
    WHOAMI_TOOL,
    SYNC_GCS_CSV_TO_SALESFORCE_TOOL,
    WAIT_SCHEMA_READY_TOOL,
    RUN_SYNC_AND_WAIT_TOOL,
    WAIT_FOR_EXECUTION_TOOL,
    DIAGNOSE_SYNC_TOOL,
    FIND_RESOURCES_TOOL,
    DESCRIBE_CONNECTION_TOOL,
    SEARCH_OPERATIONS_TOOL,
    DESCRIBE_OPERATION_TOOL,
    CALL_READ_OPERATION_TOOL,
    CALL_WRITE_OPERATION_TOOL,
)
