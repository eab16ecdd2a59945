"""The seed workflow end to end over real HTTP, driven by the official Polytomic SDK unchanged.

GCS CSV → Salesforce Contacts, updateOrCreate keyed on email: OAuth through the sandbox's
consent page, schema caches, a model over the CSV, target discovery, the sync, its run, and
the records it leaves in the simulated Salesforce org.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from importlib import resources
from typing import Any

import httpx
import pytest
import yaml
from polytomic import Polytomic
from polytomic.core.api_error import ApiError as SdkApiError
from sandbox_flows import SEED_BUCKET, SEED_DOMAIN, SEED_FILE, SERVICE_ACCOUNT

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox

KEY = "sdk-workflow-key"


@pytest.fixture
def polling_sandbox() -> Iterator[RunningSandbox]:
    # Every API request moves simulated time by one second, so the SDK's polls make progress.
    with start_sandbox(SandboxConfig(clock="step", step_seconds=1.0)) as running:
        yield running


def _seed_text(name: str) -> str:
    return resources.files("polytomic_mcp.sandbox.seeds").joinpath(name).read_text(encoding="utf-8")


def _expected_outcome() -> dict[str, Any]:
    """What updateOrCreate on email must do with the shipped CSV, worked out independently."""
    seed = yaml.safe_load(_seed_text("default.yaml"))
    contacts = next(o for o in seed["salesforce"][0]["objects"] if o["name"] == "Contact")["records"]
    known = {c["Email"].strip().casefold() for c in contacts}
    inserts = updates = errors = 0
    final_names: dict[str, tuple[str, str]] = {}
    rows = list(csv.DictReader(io.StringIO(_seed_text(SEED_FILE))))
    for row in rows:
        email = row["email"].strip()
        if not email or "@" not in email:
            errors += 1
            continue
        try:
            float(row["monthly_spend"])
        except ValueError:
            errors += 1
            continue
        key = email.casefold()
        if key in known:
            updates += 1
        else:
            inserts += 1
            known.add(key)
        final_names[key] = (row["first_name"], row["last_name"])
    return {
        "total": len(rows),
        "insert": inserts,
        "update": updates,
        "error": errors,
        "names": final_names,
        "contacts_after": len(contacts) + inserts,
    }


def _poll(check: Any, what: str, attempts: int = 60) -> Any:
    for _ in range(attempts):
        result = check()
        if result:
            return result
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_seed_workflow_with_the_official_sdk(polling_sandbox: RunningSandbox) -> None:
    base = polling_sandbox.base_url
    client = Polytomic(base_url=base, token=KEY)

    salesforce = client.connections.create(
        name="Salesforce",
        type="salesforce",
        configuration={"domain": SEED_DOMAIN},
        redirect_url="https://app.example.com/oauth-done",
        idempotency_key="create-salesforce-1",
    ).data
    assert salesforce is not None and salesforce.id and salesforce.auth_url
    assert salesforce.auth_url.startswith(f"{base}/sandbox/oauth/authorize?")
    assert salesforce.status != "healthy"

    with pytest.raises(SdkApiError) as not_ready:
        client.model_sync.targets.get_target_fields(salesforce.id, target="Contact")
    assert not_ready.value.status_code == 400
    assert "not healthy" in str(not_ready.value.body)

    consent = httpx.get(salesforce.auth_url, follow_redirects=False)
    assert consent.status_code == 302
    assert consent.headers["location"] == "https://app.example.com/oauth-done"

    gcs = client.connections.create(
        name="GCS drop", type="gcs", configuration={"service_account": SERVICE_ACCOUNT, "bucket": SEED_BUCKET}
    ).data
    assert gcs is not None and gcs.id
    assert gcs.configuration is not None and gcs.configuration["service_account"] == "********"

    for connection_id in (salesforce.id, gcs.id):
        status = _poll(
            lambda cid=connection_id: (s := client.schemas.get_status(cid).data) and s.cache_status == "fresh" and s,
            "schema cache",
        )
        assert status.last_refresh_finished is not None and status.last_refresh_started is not None
        assert status.last_refresh_finished >= status.last_refresh_started
    assert client.connections.get(salesforce.id).data.status == "healthy"  # type: ignore[union-attr]

    model = client.models.create(
        name="High paying users",
        connection_id=gcs.id,
        configuration={"model_from": "single_file", "key": SEED_FILE},
    ).data
    assert model is not None and model.id and model.fields is not None
    types = {f.name: f.type for f in model.fields}
    assert types["email"] == "string" and types["monthly_spend"] == "number" and types["signup_date"] == "datetime"
    sample = client.models.sample(model.id).data
    assert sample is not None and sample.records
    assert sample.records[0]["email"]["value"] == "grace.lovelace0@example.com"
    assert sample.records[0]["monthly_spend"]["value"] == 10259.0

    objects = client.model_sync.targets.list(salesforce.id).data or []
    contact = next(o for o in objects if o.id == "Contact")
    assert {m.id for m in contact.modes or []} >= {"create", "update", "updateOrCreate", "remove"}
    target = client.model_sync.targets.get_target_fields(salesforce.id, target="Contact").data
    assert target is not None and target.fields is not None
    email = next(f for f in target.fields if f.id == "Email")
    assert email.supports_identity and "Equality" in [fn.id for fn in email.identity_functions or []]

    def source(field: str) -> dict[str, str]:
        return {"model_id": model.id, "field": field}  # type: ignore[union-attr, dict-item]

    sync = client.model_sync.create(
        name="CSV contacts → Salesforce",
        mode="updateOrCreate",
        target={"connection_id": salesforce.id, "object": "Contact"},
        identity={"source": source("email"), "target": "Email", "function": "Equality"},
        fields=[
            {"source": source("first_name"), "target": "FirstName"},
            {"source": source("last_name"), "target": "LastName"},
            {"source": source("monthly_spend"), "target": "Monthly_Spend__c"},
        ],
        schedule={"frequency": "manual"},
        active=True,
        idempotency_key="create-sync-1",
    ).data
    assert sync is not None and sync.id and sync.model_ids == [model.id] and sync.problems == []

    started = client.model_sync.start(sync.id, idempotency_key="run-sync-1").data
    assert started is not None and started.id and started.status == "created"
    seen: list[str] = []

    def finished() -> Any:
        execution = client.model_sync.executions.get(sync.id, started.id).data  # type: ignore[arg-type, union-attr]
        assert execution is not None and execution.status is not None
        if not seen or seen[-1] != execution.status:
            seen.append(execution.status)
        return execution if execution.status in ("completed", "failed", "canceled") else None

    execution = _poll(finished, "the execution")
    assert execution.status == "completed", execution.errors
    assert seen[-1] == "completed" and "running" in seen

    expected = _expected_outcome()
    counts = execution.counts
    assert counts is not None
    assert (counts.total, counts.insert, counts.update, counts.error) == (
        expected["total"],
        expected["insert"],
        expected["update"],
        expected["error"],
    )
    assert counts.error == 3 and counts.update >= 12
    assert any("invalid email" in e for e in execution.errors or [])
    assert any("Monthly_Spend__c" in e for e in execution.errors or [])
    assert any("no value for the identity field" in e for e in execution.errors or [])

    records = httpx.get(
        f"{base}/sandbox/salesforce/objects/Contact/records",
        params={"connection_id": salesforce.id, "limit": "5000"},
        headers={"Authorization": f"Bearer {KEY}"},
    ).json()["data"]
    assert records["total"] == expected["contacts_after"]
    by_email = {r["Email"].strip().casefold(): r for r in records["records"]}
    for key, (first, last) in expected["names"].items():
        assert (by_email[key]["FirstName"], by_email[key]["LastName"]) == (first, last), key
    assert not any(r["FirstName"] == "Old" for r in records["records"])
    assert "not-an-email" not in by_email

    status = client.model_sync.get_status(sync.id).data
    assert status is not None and status.last_execution is not None and status.last_execution.id == started.id
    event_types = [e.type for e in client.events.list(limit=100).data or []]
    assert "sync.running" in event_types and "sync.completed_with_errors" in event_types

    replay = client.model_sync.start(sync.id, idempotency_key="run-sync-1").data
    assert replay is not None and replay.id == started.id
