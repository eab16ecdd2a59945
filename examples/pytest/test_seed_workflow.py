"""An evaluation written as pytest tests with the polytomic_mcp plugin's fixtures (installed with
the package: nothing to configure). Run: `pytest examples/pytest`."""

from __future__ import annotations

from typing import Any

import pytest

SEED = {
    "connections": [
        {
            "name": "GCS drop",
            "type": "gcs",
            "configuration": {"service_account": '{"type": "service_account"}', "bucket": "sandbox-exports"},
        },
        {"name": "Salesforce", "type": "salesforce", "configuration": {"domain": "acme.my.salesforce.com"}},
    ],
    "models": [
        {
            "name": "Users",
            "connection": "GCS drop",
            "configuration": {"model_from": "single_file", "key": "high_paying_users.csv"},
        }
    ],
    "syncs": [
        {
            "name": "Users to Contacts",
            "model": "Users",
            "target": {"connection": "Salesforce", "object": "Contact"},
            "mode": "updateOrCreate",
            "identity": {"source": "email", "target": "Email"},
            "fields": [{"source": "first_name", "target": "FirstName"}, {"source": "last_name", "target": "LastName"}],
        }
    ],
}


async def test_the_composite_tool_sets_up_and_runs_the_seed_workflow(
    polytomic_tenant: Any, polytomic_session: Any
) -> None:
    async with polytomic_session() as client:
        result = await client.call_tool(
            "sync_gcs_csv_to_salesforce",
            {
                "csv_key": "high_paying_users.csv",
                "bucket": "sandbox-exports",
                "service_account_json": '{"type": "service_account"}',
                "salesforce_domain": "acme.my.salesforce.com",
            },
        )
    assert not result.is_error
    await polytomic_tenant.assert_state(
        {
            "records": [
                {
                    "object": "Contact",
                    "match_csv": {"bucket": "sandbox-exports", "key": "high_paying_users.csv"},
                    "key_column": "email",
                    "key_field": "Email",
                    "columns": {"first_name": "FirstName", "last_name": "LastName"},
                    "ignore_keys": ["not-an-email", "amelie.dubois27@example.com"],
                }
            ],
            "objects": [{"kind": "syncs", "count": 1}],
        }
    )


@pytest.mark.polytomic_seed(SEED)
async def test_a_seeded_sync_runs_once(polytomic_tenant: Any, polytomic_session: Any) -> None:
    sync_id = polytomic_tenant.seed_ids["syncs"]["Users to Contacts"]
    async with polytomic_session() as client:
        run = await client.call_tool("run_sync_and_wait", {"sync_id": sync_id})
    assert run.structured_content["execution"]["status"] == "completed"
    await polytomic_tenant.assert_state(
        {
            "executions": [{"sync": "Users to Contacts", "count": 1, "status": "completed"}],
            "requests": {"forbid": ["model_sync_delete"]},
        }
    )
