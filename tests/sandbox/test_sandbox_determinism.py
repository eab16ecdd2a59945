"""Step mode is reproducible per tenant: ids (UUIDv5 of tenant and sequence), OAuth state,
timestamps and execution timing come from the tenant's own requests; each tenant has its own
clock, and a reset resets it. Also: the admin route that approves a pending OAuth, and seeds
that pre-create (authorized) connections, models and syncs. Real HTTP against a step sandbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sandbox_flows import (
    SEED_DOMAIN,
    SERVICE_ACCOUNT,
    client_for,
    create_gcs,
    create_model,
    create_salesforce,
    create_sync,
)

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox

STEP = SandboxConfig(clock="step", step_seconds=1.0)
EPOCH = "2026-01-01T00:00:00.000Z"


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(STEP) as running:
        yield running


def seed_flow(client: httpx.Client) -> list[tuple[str, int, str]]:
    """The seed workflow over raw HTTP (no browser: the approve route); every answer, as sent."""
    answers: list[tuple[str, int, str]] = []

    def send(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = client.request(method, path, **kwargs)
        answers.append((path, response.status_code, response.text))
        assert response.status_code < 400, response.text
        return dict(response.json()).get("data") or {}

    gcs = create_gcs(client)
    salesforce = create_salesforce(client, authorize=False)
    answers.append(("salesforce", 200, str(salesforce)))
    send("POST", "/sandbox/oauth/approve", json={"connection_id": salesforce["id"]})
    for connection in (gcs["id"], salesforce["id"]):
        while send("GET", f"/api/connections/{connection}/schemas/status").get("cache_status") != "fresh":
            pass
    model = create_model(client, gcs["id"])
    sync = create_sync(client, model["id"], salesforce["id"])
    answers.append(("created", 200, f"{gcs}{model}{sync}"))
    execution = send("POST", f"/api/syncs/{sync['id']}/executions")
    while execution.get("status") not in ("completed", "failed"):
        execution = send("GET", f"/api/syncs/{sync['id']}/executions/{execution['id']}")
    send("GET", f"/api/syncs/{sync['id']}/executions")
    send("GET", "/api/events")
    return answers


def test_a_reset_tenant_answers_the_same_requests_byte_for_byte(sandbox: RunningSandbox) -> None:
    with client_for(sandbox, "repeat-me") as client:
        first = seed_flow(client)
        assert client.post("/sandbox/reset").status_code == 200
        second = seed_flow(client)
    assert len(first) == len(second) > 10
    for one, two in zip(first, second, strict=True):
        assert one == two
    assert '"status":"completed"' in first[-3][2]


def test_ids_are_uuid5_of_the_tenant_and_sequence_and_differ_between_tenants(sandbox: RunningSandbox) -> None:
    with client_for(sandbox, "tenant-a") as a, client_for(sandbox, "tenant-b") as b:
        ids_a = [create_gcs(a)["id"] for _ in range(3)]
        ids_b = [create_gcs(b)["id"] for _ in range(3)]
    assert all(uuid.UUID(i).version == 5 for i in ids_a + ids_b)
    assert len(set(ids_a)) == 3
    assert not set(ids_a) & set(ids_b)


def test_every_tenant_has_its_own_clock_and_a_reset_resets_it(sandbox: RunningSandbox) -> None:
    with client_for(sandbox, "busy") as busy, client_for(sandbox, "idle") as idle:
        for _ in range(5):
            busy.get("/api/connections")
        assert busy.post("/sandbox/clock/advance", json={"seconds": 100}).status_code == 200
        assert busy.get("/sandbox/clock").json()["data"]["now"] == "2026-01-01T00:01:45.000Z"
        assert idle.get("/sandbox/clock").json()["data"]["now"] == EPOCH
        assert busy.post("/sandbox/reset").status_code == 200
        assert busy.get("/sandbox/clock").json()["data"]["now"] == EPOCH


def test_approve_authorizes_pending_oauth_and_refuses_what_is_not_pending(sandbox: RunningSandbox) -> None:
    with client_for(sandbox, "approver") as client:
        first = create_salesforce(client, authorize=False)
        second = create_salesforce(client, authorize=False)
        gcs = create_gcs(client)
        one = client.post("/sandbox/oauth/approve", json={"connection_id": first["id"]})
        assert one.status_code == 200, one.text
        assert one.json()["data"]["approved"] == [
            {"connection_id": first["id"], "name": "Salesforce", "status": "healthy"}
        ]
        assert client.get(f"/api/connections/{first['id']}").json()["data"]["status"] == "healthy"
        assert client.get(f"/api/connections/{second['id']}").json()["data"]["status"] != "healthy"
        again = client.post("/sandbox/oauth/approve", json={"connection_id": first["id"]})
        assert again.status_code == 409 and again.json()["metadata"]["field"] == "connection_id"
        assert client.post("/sandbox/oauth/approve", json={"connection_id": gcs["id"]}).status_code == 409
        missing = client.post("/sandbox/oauth/approve", json={"connection_id": "nope"})
        assert missing.status_code == 404
        wrong = client.post("/sandbox/oauth/approve", json={"connection_id": 7})
        assert wrong.status_code == 400 and "connection_id" in wrong.json()["message"]
        rest = client.post("/sandbox/oauth/approve").json()["data"]["approved"]
        assert [entry["connection_id"] for entry in rest] == [second["id"]]
        # the browser link of an approved connection is used up
        assert httpx.get(second["auth_url"]).status_code == 400


SEEDED = {
    "connections": [
        {
            "name": "GCS drop",
            "type": "gcs",
            "configuration": {"service_account": SERVICE_ACCOUNT, "bucket": "sandbox-exports"},
        },
        {"name": "Salesforce", "type": "salesforce", "configuration": {"domain": SEED_DOMAIN}},
        {"name": "Pending", "type": "salesforce", "configuration": {"domain": SEED_DOMAIN}, "authorized": False},
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
            "fields": [{"source": "first_name", "target": "FirstName"}],
        }
    ],
}


def test_a_seed_pre_creates_authorized_connections_models_and_syncs(sandbox: RunningSandbox) -> None:
    with client_for(sandbox, "preset") as client:
        loaded = client.post("/sandbox/seed", json=SEEDED)
        assert loaded.status_code == 200, loaded.text
        ids = loaded.json()["data"]["ids"]
        salesforce = client.get(f"/api/connections/{ids['connections']['Salesforce']}").json()["data"]
        assert salesforce["status"] == "healthy"
        pending = client.get(f"/api/connections/{ids['connections']['Pending']}").json()["data"]
        assert pending["status"] != "healthy"
        status = client.get(f"/api/connections/{ids['connections']['GCS drop']}/schemas/status").json()["data"]
        assert status["cache_status"] == "fresh"
        sync = client.get(f"/api/syncs/{ids['syncs']['Users to Contacts']}").json()["data"]
        assert sync["identity"]["target"] == "Email"
        assert sync["target"]["connection_id"] == ids["connections"]["Salesforce"]
        assert [p["connection_id"] for p in client.post("/sandbox/oauth/approve").json()["data"]["approved"]] == [
            ids["connections"]["Pending"]
        ]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"models": [{"name": "M", "connection": "Nowhere", "configuration": {}}]}, "models[0] (M).connection"),
        ({"syncs": [{"name": "S", "model": "Users", "target": "Contact"}]}, "syncs[0] (S).target"),
        ({"connections": [{"name": "X", "type": "gcs", "configuration": {"bucket": "nope"}}]}, "connections[0] (X)"),
        ({"connections": [{"type": "gcs"}]}, "connections[0].name"),
    ],
)
def test_a_bad_seed_object_is_refused_naming_the_member(
    sandbox: RunningSandbox, change: dict[str, Any], named: str
) -> None:
    document = {**SEEDED, **change}
    with client_for(sandbox, "bad-seed") as client:
        refused = client.post("/sandbox/seed", json=document)
        assert refused.status_code == 400
        assert named in refused.json()["message"], refused.text
        assert client.get("/api/connections").json()["data"] == []  # nothing of it stayed
