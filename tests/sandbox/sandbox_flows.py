"""Helpers shared by sandbox tests: the seed workflow's requests, written once."""

from __future__ import annotations

import json
from typing import Any

import httpx

from polytomic_mcp.sandbox import RunningSandbox


def client_for(sandbox: RunningSandbox, key: str = "test-key") -> httpx.Client:
    """An HTTP client for the sandbox acting as the tenant of ``key``."""
    return httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


SERVICE_ACCOUNT = json.dumps(
    {"type": "service_account", "project_id": "sandbox-project", "client_email": "loader@sandbox-project.iam"}
)
SEED_BUCKET = "sandbox-exports"
SEED_FILE = "high_paying_users.csv"
SEED_DOMAIN = "acme.my.salesforce.com"


def advance(client: httpx.Client, seconds: float) -> None:
    response = client.post("/sandbox/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text


def create_gcs(client: httpx.Client, **extra: Any) -> dict[str, Any]:
    body = {
        "name": "GCS drop",
        "type": "gcs",
        "configuration": {"service_account": SERVICE_ACCOUNT, "bucket": SEED_BUCKET},
        **extra,
    }
    response = client.post("/api/connections", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def create_salesforce(client: httpx.Client, authorize: bool = True) -> dict[str, Any]:
    body = {"name": "Salesforce", "type": "salesforce", "configuration": {"domain": SEED_DOMAIN}}
    response = client.post("/api/connections", json=body)
    assert response.status_code == 200, response.text
    data = dict(response.json()["data"])
    if authorize and data.get("auth_url"):
        consent = httpx.get(data["auth_url"], follow_redirects=False)
        assert consent.status_code in (200, 302, 303), consent.text
    return data


def wait_fresh(client: httpx.Client, connection_id: str, step: float = 1.0, attempts: int = 30) -> dict[str, Any]:
    for _ in range(attempts):
        status = client.get(f"/api/connections/{connection_id}/schemas/status").json()["data"]
        if status.get("cache_status") == "fresh":
            return dict(status)
        advance(client, step)
    raise AssertionError(f"schema cache of {connection_id} never became fresh")


def create_model(client: httpx.Client, connection_id: str, key: str = SEED_FILE) -> dict[str, Any]:
    body = {
        "name": "High paying users",
        "connection_id": connection_id,
        "configuration": {"model_from": "single_file", "key": key},
    }
    response = client.post("/api/models", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def sync_body(model_id: str, salesforce_id: str, mode: str = "updateOrCreate") -> dict[str, Any]:
    return {
        "name": "CSV contacts → Salesforce",
        "mode": mode,
        "target": {"connection_id": salesforce_id, "object": "Contact"},
        "identity": {"source": {"model_id": model_id, "field": "email"}, "target": "Email", "function": "Equality"},
        "fields": [
            {"source": {"model_id": model_id, "field": "first_name"}, "target": "FirstName"},
            {"source": {"model_id": model_id, "field": "last_name"}, "target": "LastName"},
        ],
        "schedule": {"frequency": "manual"},
        "active": True,
    }


def create_sync(
    client: httpx.Client, model_id: str, salesforce_id: str, mode: str = "updateOrCreate"
) -> dict[str, Any]:
    response = client.post("/api/syncs", json=sync_body(model_id, salesforce_id, mode))
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])
