"""Faults, the clock, persistence in a database file, seeds, bulk syncs and tenant reset."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import yaml
from sandbox_flows import (
    SEED_FILE,
    advance,
    client_for,
    create_gcs,
    create_model,
    create_salesforce,
    create_sync,
    wait_fresh,
)

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.sandbox.seeds import generate_default
from polytomic_mcp.sandbox.world import seed as seed_module


def _statuses(api: httpx.Client, count: int) -> list[int]:
    return [api.get("/api/webhooks").status_code for _ in range(count)]


def test_rate_limit_every_nth_request_with_retry_after(api: httpx.Client) -> None:
    assert api.put("/sandbox/faults", json={"rate_limit_every": 3, "retry_after_seconds": 7}).status_code == 200
    responses = [api.get("/api/webhooks") for _ in range(6)]
    assert [r.status_code for r in responses] == [200, 200, 429, 200, 200, 429]
    assert responses[2].headers["retry-after"] == "7"
    assert responses[2].json()["key"] == "rate_limited"
    assert api.get("/sandbox/faults").json()["data"]["rate_limit_every"] == 3


def test_error_rate_is_deterministic_from_the_seed(api: httpx.Client) -> None:
    api.put("/sandbox/faults", json={"seed": 42, "error_rate": 0.5, "error_status": 502})
    first = _statuses(api, 20)
    api.put("/sandbox/faults", json={"seed": 42, "error_rate": 0.5, "error_status": 502})
    second = _statuses(api, 20)
    assert first == second and set(first) == {200, 502}
    api.put("/sandbox/faults", json={"seed": 7, "error_rate": 0.5, "error_status": 502})
    assert _statuses(api, 20) != first
    api.put("/sandbox/faults", json={})
    assert set(_statuses(api, 5)) == {200}


def test_faults_are_per_tenant(sandbox: RunningSandbox, api: httpx.Client) -> None:
    api.put("/sandbox/faults", json={"error_rate": 1.0})
    assert api.get("/api/webhooks").status_code == 503
    with client_for(sandbox, "other-tenant") as other:
        assert other.get("/api/webhooks").status_code == 200


def test_dropped_connections_and_latency(api: httpx.Client) -> None:
    api.put("/sandbox/faults", json={"drop_every": 2})
    assert api.get("/api/webhooks").status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/api/webhooks")
    api.put("/sandbox/faults", json={"latency_ms": 200})
    started = time.perf_counter()
    assert api.get("/api/webhooks").status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_fault_settings_are_validated(api: httpx.Client) -> None:
    assert api.put("/sandbox/faults", json={"error_rate": 2}).status_code == 400
    assert api.put("/sandbox/faults", json={"error_status": 404}).status_code == 400
    unknown = api.put("/sandbox/faults", json={"explode": True})
    assert unknown.status_code == 400 and "known:" in unknown.json()["message"]


def test_clock_admin(api: httpx.Client) -> None:
    assert api.get("/sandbox/clock").json()["data"] == {"mode": "step", "now": "2026-01-01T00:00:00.000Z"}
    assert api.post("/sandbox/clock/advance", json={"seconds": 90}).json()["data"]["now"] == "2026-01-01T00:01:30.000Z"
    assert api.post("/sandbox/clock/advance", json={"seconds": -1}).status_code == 400
    with start_sandbox(SandboxConfig()) as real, client_for(real) as client:
        refused = client.post("/sandbox/clock/advance", json={"seconds": 1})
        assert refused.status_code == 409 and client.get("/sandbox/clock").json()["data"]["mode"] == "real"


def test_state_survives_a_restart_on_the_same_database(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=str(tmp_path / "sandbox.sqlite"), clock="step", step_seconds=0.0)
    with start_sandbox(config) as first, client_for(first) as api:
        gcs, salesforce = create_gcs(api), create_salesforce(api)
        wait_fresh(api, gcs["id"])
        wait_fresh(api, salesforce["id"])
        model = create_model(api, gcs["id"])
        sync = create_sync(api, model["id"], salesforce["id"])
        execution = api.post(f"/api/syncs/{sync['id']}/executions", json={}).json()["data"]
        api.post(
            "/api/webhooks",
            json={"endpoint": "https://x.example.com", "secret": "s"},
            headers={"Idempotency-Key": "persisted-key-1"},
        )
        contacts_before = api.get(
            "/sandbox/salesforce/objects/Contact/records", params={"connection_id": salesforce["id"]}
        ).json()["data"]["total"]
    with start_sandbox(config) as second, client_for(second) as api:
        assert [c["id"] for c in api.get("/api/connections").json()["data"]] == [gcs["id"], salesforce["id"]]
        assert api.get(f"/api/connections/{salesforce['id']}").json()["data"]["status"] == "healthy"
        assert api.get(f"/api/models/{model['id']}").json()["data"]["name"] == model["name"]
        assert api.get(f"/api/syncs/{sync['id']}").json()["data"]["mode"] == "updateOrCreate"
        # The step clock starts over after a restart; the run is still pending and finishes once time passes.
        advance(api, 10)
        finished = api.get(f"/api/syncs/{sync['id']}/executions/{execution['id']}").json()["data"]
        assert finished["status"] == "completed" and finished["counts"]["insert"] > 0
        records = api.get(
            "/sandbox/salesforce/objects/Contact/records", params={"connection_id": salesforce["id"]}
        ).json()["data"]
        assert records["total"] == contacts_before + finished["counts"]["insert"]
        replay = api.post(
            "/api/webhooks",
            json={"endpoint": "https://y.example.com", "secret": "s"},
            headers={"Idempotency-Key": "persisted-key-1"},
        )
        assert replay.json()["data"]["endpoint"] == "https://x.example.com"


def test_reset_and_custom_seeds(api: httpx.Client) -> None:
    api.post("/api/webhooks", json={"endpoint": "https://x.example.com", "secret": "s"})
    assert api.post("/sandbox/reset").json()["data"]["reset"] is True
    assert api.get("/api/webhooks").json()["data"] == []
    document = {
        "buckets": [{"name": "extra", "files": [{"key": "a.csv", "content": "id,name\n1,x\n"}]}],
        "salesforce": [
            {
                "domain": "globex.my.salesforce.com",
                "objects": [
                    {
                        "name": "Invoice__c",
                        "fields": [
                            {"id": "Number__c", "type": "string", "identity": True},
                            {"id": "Amount__c", "type": "currency"},
                        ],
                        "records": [{"Number__c": "INV-1", "Amount__c": "10.5"}],
                    }
                ],
            }
        ],
    }
    loaded = api.post("/sandbox/seed", content=yaml.safe_dump(document).encode())
    assert loaded.json()["data"] == {"buckets": 1, "files": 1, "orgs": 1, "objects": 1, "records": 1}
    assert [f["key"] for f in api.get("/sandbox/buckets/extra").json()["data"]] == ["a.csv"]
    invoices = api.get(
        "/sandbox/salesforce/objects/Invoice__c/records", params={"domain": "globex.my.salesforce.com"}
    ).json()["data"]
    assert invoices["records"][0]["Amount__c"] == 10.5 and invoices["records"][0]["Id"].startswith("a0X")
    bad = api.post(
        "/sandbox/seed", content=b"salesforce: [{domain: x, objects: [{name: Contact, records: [{Nope: 1}]}]}]"
    )
    assert bad.status_code == 400 and "unknown field" in bad.json()["message"]
    assert api.post("/sandbox/seed", content=b"- just a list").status_code == 400


def test_config_seed_dict_replaces_the_default(tmp_path: Path) -> None:
    custom = {"buckets": [{"name": "only-bucket", "files": [{"key": "x.csv", "content": "a\n1\n"}]}]}
    with start_sandbox(SandboxConfig(clock="step", seed=custom)) as running, client_for(running) as api:
        assert api.get("/sandbox/buckets/only-bucket").status_code == 200
        assert api.get("/sandbox/buckets/sandbox-exports").status_code == 404
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text(yaml.safe_dump({"buckets": [{"name": "b", "files": [{"key": "f.csv", "path": "f.csv"}]}]}))
    (tmp_path / "f.csv").write_text("k\nv\n")
    with start_sandbox(SandboxConfig(clock="step", seed=seed_file)) as running, client_for(running) as api:
        assert api.get("/sandbox/buckets/b").json()["data"] == [{"key": "f.csv", "size": 4}]


def test_default_seed_files_match_their_generator() -> None:
    folder = Path(generate_default.__file__).parent
    assert (folder / SEED_FILE).read_text(encoding="utf-8") == generate_default.render()
    document, _ = seed_module.resolve(None)
    assert document == generate_default.seed_document()
    text = generate_default.render()
    assert "MATEO.GARCIA10@Example.com" in text and ",n/a," in text and "\n,Alan" in text
    assert any(ch in text for ch in "ŁøüéÖ")


def test_bulk_sync_runs_and_counts_rows(api: httpx.Client) -> None:
    gcs, salesforce = create_gcs(api), create_salesforce(api)
    blocked = api.post(
        "/api/bulk/syncs",
        json={
            "name": "b",
            "source_connection_id": gcs["id"],
            "destination_connection_id": salesforce["id"],
            "destination_configuration": {},
            "default_schedule": {"frequency": "manual"},
        },
    )
    assert blocked.status_code == 400 and "cache refresh in progress" in blocked.json()["message"]
    wait_fresh(api, gcs["id"])
    wait_fresh(api, salesforce["id"])
    bulk = api.post(
        "/api/bulk/syncs",
        json={
            "name": "b",
            "source_connection_id": gcs["id"],
            "destination_connection_id": salesforce["id"],
            "destination_configuration": {},
            "default_schedule": {"frequency": "daily", "hour": "02", "minute": "30"},
        },
    ).json()["data"]
    schemas = api.get(f"/api/bulk/syncs/{bulk['id']}/schemas").json()["data"]
    assert [s["id"] for s in schemas] == [SEED_FILE] and schemas[0]["enabled"] is True
    started = api.post(f"/api/bulk/syncs/{bulk['id']}/executions", json={}).json()["data"]
    url = f"/api/bulk/syncs/{bulk['id']}/executions/{started['id']}"
    statuses = [api.get(url).json()["data"]["status"]]
    advance(api, 1)
    statuses.append(api.get(url).json()["data"]["status"])
    advance(api, 2)
    done = api.get(url).json()["data"]
    assert statuses == ["created", "running"] and done["status"] == "completed"
    assert done["record_count"] == 300 and done["schemas"][0]["record_count"] == 300
    status = api.get(f"/api/bulk/syncs/{bulk['id']}/status").json()["data"]
    assert status["last_execution"]["id"] == started["id"]
    board = api.get("/api/bulk/syncs/status", params={"sync_id": bulk["id"]}).json()["data"]
    assert board[0]["status"] == "completed"
    types = [e["type"] for e in api.get("/api/events").json()["data"]]
    assert types == ["bulk_sync.running", "bulk_sync.completed"]
    disabled = api.patch(
        f"/api/bulk/syncs/{bulk['id']}/schemas", json={"schemas": [{"id": SEED_FILE, "enabled": False}]}
    )
    assert disabled.json()["data"][0]["enabled"] is False
    unknown = api.post(f"/api/bulk/syncs/{bulk['id']}/executions", json={"schemas": [SEED_FILE]})
    assert unknown.status_code == 422
