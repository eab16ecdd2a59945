"""Registration of sync_gcs_csv_to_salesforce: its typed, documented inputs."""

from __future__ import annotations

import json
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import Field

from polytomic_mcp.app_state import ToolContext
from polytomic_mcp.tools.results import error_result
from polytomic_mcp.tools.workflow.gcs_to_salesforce import run_seed_workflow
from polytomic_mcp.tools.workflow.sync_inputs import IdentityFunction, Mode, RunPolicy, Schedule, SyncRequest
from polytomic_mcp.tools.workflow.waiting import Deadline, bounded_timeout
from polytomic_mcp.tools.workflow_names import SYNC_GCS_CSV_TO_SALESFORCE


def register_composite_tool(server: MCPServer[Any]) -> None:
    @server.tool(
        name=SYNC_GCS_CSV_TO_SALESFORCE,
        annotations=ToolAnnotations(
            title="Sync a GCS CSV into Salesforce",
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=True,
        ),
    )
    async def sync_gcs_csv_to_salesforce(
        csv_key: Annotated[str, Field(description="File key in the bucket, e.g. exports/contacts.csv.")],
        ctx: ToolContext,
        bucket: str | None = None,
        service_account_json: Annotated[
            str | dict[str, Any] | None,
            Field(description="Service-account key (JSON), for a new GCS connection."),
        ] = None,
        gcs_connection_id: str | None = None,
        salesforce_domain: Annotated[str | None, Field(description="e.g. acme.my.salesforce.com")] = None,
        salesforce_connection_id: str | None = None,
        redirect_url: str | None = None,
        target_object: str = "Contact",
        identity_source_field: Annotated[str, Field(description="CSV column identifying a record.")] = "email",
        identity_target_field: str = "Email",
        identity_function: IdentityFunction = "Equality",
        field_mappings: Annotated[
            dict[str, str] | None, Field(description="CSV column → target field; default: match names.")
        ] = None,
        mode: Mode = "updateOrCreate",
        schedule: Schedule | None = None,
        run: Annotated[RunPolicy, Field(description="if_needed: unless it already ran fine.")] = "if_needed",
        dry_run: Annotated[bool, Field(description="Check and show the plan; create nothing.")] = False,
        timeout_s: Annotated[float, Field(gt=0, description="Seconds to wait at most (capped below 60).")] = 45,
    ) -> CallToolResult | InputRequiredResult:
        """Set up and run a GCS CSV → Salesforce sync in one call: connections (OAuth: returns auth_url for the
        user), schema caches, a checked plan, model, sync, run. Resumable: call again with the same inputs."""
        request = SyncRequest(
            csv_key=csv_key,
            bucket=bucket,
            service_account_json=(
                json.dumps(service_account_json) if isinstance(service_account_json, dict) else service_account_json
            ),
            gcs_connection_id=gcs_connection_id,
            salesforce_connection_id=salesforce_connection_id,
            salesforce_domain=salesforce_domain,
            redirect_url=redirect_url,
            target_object=target_object,
            identity_source_field=identity_source_field,
            identity_target_field=identity_target_field,
            identity_function=identity_function,
            field_mappings=field_mappings,
            mode=mode,
            schedule=schedule or Schedule(),
            run=run,
            dry_run=dry_run,
        )
        problems = request.problems()
        if problems:
            return error_result("Invalid arguments (nothing was sent to Polytomic):\n- " + "\n- ".join(problems))
        return await run_seed_workflow(ctx, request, Deadline(bounded_timeout(ctx, timeout_s)))
