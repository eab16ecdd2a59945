"""The sandbox's seed objects, created through the MCP server's own tools.

Use it from any test that needs real objects behind the server (a sandbox started with
`start_sandbox(SandboxConfig(clock="step"))`; `seed_server` builds the server for a tenant):

    async with Client(seed_server(sandbox.base_url, "my-test-tenant")) as client:
        seed = await setup_seed(client)                # connections, model, sync, one run
        seed = await setup_seed(client, run=False)     # the same, never run

What it builds (the GCS CSV → Salesforce flow of Polytomic's guide):

* a GCS connection to the seed bucket `sandbox-exports` (service account JSON as a string);
* a Salesforce connection to `acme.my.salesforce.com`, authorized by GETting its auth_url
  the way a user's browser would;
* both schema caches fresh (polled with schemas_get_status; in step-clock mode each API
  request moves simulated time on, so polling alone makes progress);
* a model over `high_paying_users.csv`;
* a manual sync to Salesforce Contact, `updateOrCreate` on email → Email, mapping
  first_name, last_name and monthly_spend (→ Monthly_Spend__c, a currency field);
* optionally one run, waited for until it ends. The seed CSV has planted bad rows (no email,
  a malformed email, `n/a` in monthly_spend), so that run completes with record errors.

Every step asserts the tool succeeded and says which step failed otherwise. The pieces
(create_gcs_connection, …) are public too, for tests that need only part of the flow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from mcp.client import Client

from polytomic_mcp.server import PolytomicServer, build_server
from polytomic_mcp.settings import Settings

SERVICE_ACCOUNT_JSON = json.dumps(
    {"type": "service_account", "project_id": "sandbox-project", "client_email": "loader@sandbox-project.iam"}
)
SEED_BUCKET = "sandbox-exports"
SEED_FILE = "high_paying_users.csv"
SEED_DOMAIN = "acme.my.salesforce.com"
SEED_COLUMNS = ("email", "first_name", "last_name", "company", "plan", "monthly_spend", "signup_date")
TERMINAL = frozenset({"completed", "failed", "canceled", "interrupted"})


@dataclass(frozen=True)
class SeedIds:
    """Ids of what setup_seed created; execution_id is None when it did not run the sync."""

    gcs_connection_id: str
    salesforce_connection_id: str
    model_id: str
    sync_id: str
    execution_id: str | None = None
    execution: dict[str, Any] | None = None


def seed_server(base_url: str, api_key: str, **settings: Any) -> PolytomicServer:
    """A full server on a sandbox; each api_key is its own tenant, so tests do not share objects.
    `settings` override the defaults (e.g. confirm_destructive="never" where a test is about something else)."""
    return build_server(Settings(api_key=api_key, sandbox=True, poll_interval=0.01, **settings), base_url)


def result_text(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must succeed; its structured content."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool} failed: {result_text(result)}"
    assert isinstance(result.structured_content, dict), f"{tool} gave no structured content"
    return result.structured_content


async def data(client: Client, tool: str, arguments: dict[str, Any]) -> Any:
    """The API `data` of an operation tool call."""
    return (await call(client, tool, arguments))["data"]


async def create_gcs_connection(client: Client, name: str = "GCS drop") -> str:
    configuration = {"service_account": SERVICE_ACCOUNT_JSON, "bucket": SEED_BUCKET}
    created = await data(client, "connections_create", {"name": name, "type": "gcs", "configuration": configuration})
    return str(created["id"])


async def authorize(auth_url: str) -> None:
    """Complete OAuth the way a user's browser does: open the auth_url."""
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(auth_url, follow_redirects=False)
    assert consent.status_code in (200, 302, 303), f"OAuth consent failed: {consent.status_code} {consent.text}"


async def create_salesforce_connection(client: Client, name: str = "Salesforce", authorized: bool = True) -> str:
    """A Salesforce connection; opened auth_url unless `authorized` is False (then it stays unhealthy)."""
    created = await data(
        client, "connections_create", {"name": name, "type": "salesforce", "configuration": {"domain": SEED_DOMAIN}}
    )
    if authorized:
        assert created.get("auth_url"), f"salesforce connection came back without auth_url: {created}"
        await authorize(str(created["auth_url"]))
    return str(created["id"])


async def wait_until_fresh(client: Client, connection_id: str, attempts: int = 40) -> dict[str, Any]:
    """Poll the schema cache status until it is fresh (each request advances the step clock)."""
    status: dict[str, Any] = {}
    for _ in range(attempts):
        status = await data(client, "schemas_get_status", {"connection_id": connection_id})
        if status.get("cache_status") == "fresh":
            return status
    raise AssertionError(f"schema cache of {connection_id} never became fresh: {status}")


async def create_model(client: Client, gcs_connection_id: str, name: str = "High paying users") -> str:
    configuration = {"model_from": "single_file", "key": SEED_FILE, "file_format": "csv"}
    created = await data(
        client, "models_create", {"name": name, "connection_id": gcs_connection_id, "configuration": configuration}
    )
    return str(created["id"])


def sync_arguments(model_id: str, salesforce_connection_id: str, name: str) -> dict[str, Any]:
    def source(field: str) -> dict[str, str]:
        return {"model_id": model_id, "field": field}

    return {
        "name": name,
        "mode": "updateOrCreate",
        "target": {"connection_id": salesforce_connection_id, "object": "Contact"},
        "identity": {"source": source("email"), "target": "Email", "function": "Equality"},
        "fields": [
            {"source": source("first_name"), "target": "FirstName"},
            {"source": source("last_name"), "target": "LastName"},
            {"source": source("monthly_spend"), "target": "Monthly_Spend__c"},
        ],
        "schedule": {"frequency": "manual"},
        "active": True,
    }


async def create_sync(
    client: Client, model_id: str, salesforce_connection_id: str, name: str = "High payers to Salesforce"
) -> str:
    created = await data(client, "model_sync_create", sync_arguments(model_id, salesforce_connection_id, name))
    return str(created["id"])


async def run_to_end(client: Client, sync_id: str, attempts: int = 120) -> dict[str, Any]:
    """Start one execution and poll it until it reaches a terminal status."""
    started = await data(client, "model_sync_start", {"sync_id": sync_id})
    execution: dict[str, Any] = started
    for _ in range(attempts):
        execution = await data(client, "model_sync_executions_get", {"sync_id": sync_id, "execution_id": started["id"]})
        if execution.get("status") in TERMINAL:
            return execution
    raise AssertionError(f"execution {started['id']} never finished: {execution}")


async def setup_seed(client: Client, run: bool = True) -> SeedIds:
    """Create the whole seed flow; run the sync once when `run` (the default)."""
    gcs_id = await create_gcs_connection(client)
    salesforce_id = await create_salesforce_connection(client)
    await wait_until_fresh(client, gcs_id)
    await wait_until_fresh(client, salesforce_id)
    model_id = await create_model(client, gcs_id)
    sync_id = await create_sync(client, model_id, salesforce_id)
    if not run:
        return SeedIds(gcs_id, salesforce_id, model_id, sync_id)
    execution = await run_to_end(client, sync_id)
    return SeedIds(gcs_id, salesforce_id, model_id, sync_id, str(execution["id"]), execution)
