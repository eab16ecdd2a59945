"""sync_gcs_csv_to_salesforce: the tool definition (its inputs are in `inputs.py`, its steps in `setup.py`)."""

from __future__ import annotations

from mcp.types import InputRequiredResult, ToolAnnotations

from polytomic_mcp.errors import InvalidArgumentsError
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.definition import HandWrittenTool, Payload
from polytomic_mcp.tools.tool_names import SYNC_GCS_CSV_TO_SALESFORCE
from polytomic_mcp.tools.workflow.gcs_csv_to_salesforce.inputs import SyncRequest
from polytomic_mcp.tools.workflow.gcs_csv_to_salesforce.setup import set_up_sync
from polytomic_mcp.tools.workflow.waiting import Deadline, bounded_timeout


async def sync_gcs_csv_to_salesforce(args: SyncRequest, request: RequestContext) -> Payload | InputRequiredResult:
    problems = args.problems()
    if problems:
        raise InvalidArgumentsError(SYNC_GCS_CSV_TO_SALESFORCE, problems)
    return await set_up_sync(request, args, Deadline(bounded_timeout(request, args.timeout_s)))


SYNC_GCS_CSV_TO_SALESFORCE_TOOL = HandWrittenTool(
    name=SYNC_GCS_CSV_TO_SALESFORCE,
    title="Sync a GCS CSV into Salesforce",
    description="Set up and run a GCS CSV → Salesforce sync in one call: connections (OAuth: returns auth_url for "
    "the user), schema caches, a checked plan, model, sync, run. Resumable: call again with the same inputs.",
    input_model=SyncRequest,
    annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    ),
    handler=sync_gcs_csv_to_salesforce,
)
