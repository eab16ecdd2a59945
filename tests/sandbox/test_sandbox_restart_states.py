"""Restart recovery for the executions (model and bulk) a crash can leave behind other than a run that was
writing (tests/sandbox/test_sandbox_restart.py kills one of those): an execution being
canceled is canceled, and one that had not started writing goes on and completes. Each is
left unfinished in a real SQLite file by a sandbox that stops, then read by a new sandbox
started on the same file."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
from sandbox_flows import advance, client_for, create_gcs, create_model, create_salesforce, create_sync, wait_fresh

from polytomic_mcp.sandbox import SandboxConfig, start_sandbox

KEY = "restart-states"


def stored_status(config: SandboxConfig, execution_id: str) -> str:
    """An execution's status as the database file holds it, read without a sandbox."""
    assert config.db_path is not None
    with closing(sqlite3.connect(config.db_path)) as db:
        (body,) = db.execute("SELECT body FROM docs WHERE id = ?", (execution_id,)).fetchone()
    return str(json.loads(body)["status"])


def set_up_sync(api: httpx.Client) -> str:
    gcs = create_gcs(api)
    salesforce = create_salesforce(api)
    wait_fresh(api, gcs["id"])
    wait_fresh(api, salesforce["id"])
    model = create_model(api, gcs["id"])
    return str(create_sync(api, model["id"], salesforce["id"])["id"])


def execution(api: httpx.Client, sync_id: str, execution_id: str) -> dict[str, Any]:
    response = api.get(f"/api/syncs/{sync_id}/executions/{execution_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def console(api: httpx.Client, sync_id: str, execution_id: str) -> list[str]:
    body = api.get(f"/api/syncs/{sync_id}/executions/{execution_id}/consolelog").json()["data"]
    return [str(entry["message"]) for entry in body["entries"]]


def test_a_cancellation_in_progress_is_completed_after_a_restart(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=str(tmp_path / "sandbox.db"), clock="step")
    with start_sandbox(config) as first, client_for(first, KEY) as api:
        sync_id = set_up_sync(api)
        started = api.post(f"/api/syncs/{sync_id}/executions", json={}).json()["data"]
        assert api.post(f"/api/syncs/{sync_id}/cancel", json={}).status_code == 200
    assert stored_status(config, started["id"]) == "canceling"  # what the stopped process left
    with start_sandbox(config) as second, client_for(second, KEY) as api:
        settled = execution(api, sync_id, started["id"])
        messages = console(api, sync_id, started["id"])
        again = api.post(f"/api/syncs/{sync_id}/executions", json={})
    assert settled["status"] == "canceled"
    assert any("the sandbox restarted; the cancellation is complete" in m.lower() for m in messages), messages
    assert again.status_code == 200, again.text  # nothing is left running: the sync runs again


def test_an_execution_that_had_not_started_writing_goes_on(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=str(tmp_path / "sandbox.db"), clock="step")
    with start_sandbox(config) as first, client_for(first, KEY) as api:
        sync_id = set_up_sync(api)
        started = api.post(f"/api/syncs/{sync_id}/executions", json={}).json()["data"]
    assert stored_status(config, started["id"]) in ("created", "queued")
    with start_sandbox(config) as second, client_for(second, KEY) as api:
        waiting = execution(api, sync_id, started["id"])
        busy = api.post(f"/api/syncs/{sync_id}/executions", json={})
        advance(api, 10)
        done = execution(api, sync_id, started["id"])
        messages = console(api, sync_id, started["id"])
    assert waiting["status"] not in ("failed", "canceled", "completed")
    assert busy.status_code == 409  # it is still the sync's running execution
    assert done["status"] == "completed" and done["counts"]["total"] == 300
    assert any("the sandbox restarted; this execution goes on" in m.lower() for m in messages), messages


def set_up_bulk_sync(api: httpx.Client) -> str:
    gcs = create_gcs(api)
    salesforce = create_salesforce(api)
    wait_fresh(api, salesforce["id"])
    body = {
        "name": "Salesforce to GCS",
        "source_connection_id": salesforce["id"],
        "destination_connection_id": gcs["id"],
        "destination_configuration": {},
        "default_schedule": {"frequency": "manual"},
    }
    response = api.post("/api/bulk/syncs", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["id"])


def bulk_state(api: httpx.Client, bulk_id: str, execution_id: str) -> tuple[str, list[str]]:
    got = api.get(f"/api/bulk/syncs/{bulk_id}/executions/{execution_id}")
    assert got.status_code == 200, got.text
    log = api.get(f"/api/bulk/syncs/{bulk_id}/executions/{execution_id}/consolelog").json()["data"]
    return str(got.json()["data"]["status"]), [str(entry["message"]) for entry in log["entries"]]


def test_bulk_executions_are_settled_the_same_way(tmp_path: Path) -> None:
    config = SandboxConfig(db_path=str(tmp_path / "sandbox.db"), clock="step")
    with start_sandbox(config) as first, client_for(first, KEY) as api:
        canceled_id = set_up_bulk_sync(api)
        going_on_id = set_up_bulk_sync(api)
        going_on = api.post(f"/api/bulk/syncs/{going_on_id}/executions", json={}).json()["data"]
        to_cancel = api.post(f"/api/bulk/syncs/{canceled_id}/executions", json={}).json()["data"]
        # The last request: each one moves the step clock, which would let the cancellation finish.
        assert api.post(f"/api/bulk/syncs/{canceled_id}/cancel", json={}).status_code == 200
    assert stored_status(config, to_cancel["id"]) == "canceling"
    assert stored_status(config, going_on["id"]) not in ("completed", "failed", "canceled")
    with start_sandbox(config) as second, client_for(second, KEY) as api:
        canceled, canceled_log = bulk_state(api, canceled_id, to_cancel["id"])
        advance(api, 30)
        finished, finished_log = bulk_state(api, going_on_id, going_on["id"])
    assert canceled == "canceled"
    assert any("the cancellation is complete" in message for message in canceled_log), canceled_log
    assert finished == "completed"
    assert any("this execution goes on" in message for message in finished_log), finished_log
