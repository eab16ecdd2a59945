"""Models, jobs, model-sync validation, sync modes, execution progression, cancel and events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_flows import (
    SEED_BUCKET,
    advance,
    create_gcs,
    create_model,
    create_salesforce,
    create_sync,
    sync_body,
    wait_fresh,
)


@pytest.fixture
def connected(api: httpx.Client) -> dict[str, str]:
    gcs, salesforce = create_gcs(api), create_salesforce(api)
    wait_fresh(api, gcs["id"])
    wait_fresh(api, salesforce["id"])
    return {"gcs": gcs["id"], "salesforce": salesforce["id"]}


def _add_csv(api: httpx.Client, key: str, text: str, gcs_id: str) -> None:
    assert (
        api.post(f"/sandbox/buckets/{SEED_BUCKET}/files", params={"key": key}, content=text.encode()).status_code == 200
    )
    assert api.post(f"/api/connections/{gcs_id}/schemas/refresh").status_code == 202
    advance(api, 2)


def _run(api: httpx.Client, sync_id: str) -> dict[str, Any]:
    started = api.post(f"/api/syncs/{sync_id}/executions", json={}).json()["data"]
    advance(api, 3)
    return dict(api.get(f"/api/syncs/{sync_id}/executions/{started['id']}").json()["data"])


def _contacts(api: httpx.Client, salesforce_id: str, **where: str) -> list[dict[str, Any]]:
    params = {"connection_id": salesforce_id, "limit": "5000", **{f"where.{k}": v for k, v in where.items()}}
    return list(api.get("/sandbox/salesforce/objects/Contact/records", params=params).json()["data"]["records"])


def test_model_fields_sample_and_async_job(api: httpx.Client, connected: dict[str, str]) -> None:
    model = create_model(api, connected["gcs"])
    assert [f["name"] for f in model["fields"]][:3] == ["email", "first_name", "last_name"]
    limited = api.post(
        "/api/models",
        json={
            "name": "few",
            "connection_id": connected["gcs"],
            "fields": ["email"],
            "configuration": {"model_from": "single_file", "key": "high_paying_users.csv"},
        },
    )
    assert [f["name"] for f in limited.json()["data"]["fields"]] == ["email"]
    unknown = api.post(
        "/api/models",
        json={
            "name": "m",
            "connection_id": connected["gcs"],
            "configuration": {"model_from": "single_file", "key": "missing.csv"},
        },
    )
    assert unknown.status_code == 422 and "high_paying_users.csv" in unknown.json()["message"]
    job = api.post(
        "/api/models?async=true",
        json={
            "name": "later",
            "connection_id": connected["gcs"],
            "configuration": {"model_from": "single_file", "key": "high_paying_users.csv"},
        },
    ).json()["job"]
    assert job["status"] == "created"
    seen = [api.get(f"/api/jobs/createmodel/{job['job_id']}").json()["data"]["status"]]
    advance(api, 0.25)
    seen.append(api.get(f"/api/jobs/createmodel/{job['job_id']}").json()["data"]["status"])
    advance(api, 0.25)
    done = api.get(f"/api/jobs/createmodel/{job['job_id']}").json()["data"]
    assert seen == ["created", "running"] and done["status"] == "done"
    assert api.get(f"/api/models/{done['result']['id']}").json()["data"]["name"] == "later"
    assert api.get(f"/api/jobs/nonsense/{job['job_id']}").status_code == 400
    sample_job = api.get(f"/api/models/{model['id']}/sample?async=true").json()["job"]
    advance(api, 1)
    sample = api.get(f"/api/jobs/samplemodel/{sample_job['job_id']}").json()["data"]["result"]
    assert len(sample["records"]) == 10
    preview = api.post(
        "/api/model-preview",
        json={
            "name": "p",
            "connection_id": connected["gcs"],
            "configuration": {"model_from": "single_file", "key": "high_paying_users.csv"},
        },
    )
    assert preview.status_code == 200 and len(preview.json()["data"]["fields"]) == 7
    assert len(api.get("/api/models").json()["data"]) == 3  # preview saved nothing


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        (lambda b: b["target"].update(object="Contacts"), "target.object", "available: Account, Contact, Lead"),
        (lambda b: b.update(mode="replace"), "mode", "supported: create, update, updateOrCreate, remove"),
        (lambda b: b["fields"][0].update(target="First_Name"), "fields[0].target", "is not a field of Contact"),
        (lambda b: b["fields"][1]["source"].update(field="surname"), "fields[1].source.field", "fields: email"),
        (lambda b: b["identity"].update(target="FirstName"), "identity.target", "fields that support identity"),
        (lambda b: b["identity"].update(function="ISubstring"), "identity.function", "allowed: Equality"),
        (lambda b: b.pop("identity"), "identity", "requires an identity"),
        (lambda b: b["schedule"].update(frequency="daily", hour="25"), "schedule.hour", "from 0 to 23"),
        (lambda b: b["schedule"].update(frequency="weekly"), "schedule.day_of_week", "required"),
        (lambda b: b["schedule"].pop("frequency"), "schedule.frequency", "one of: manual"),
        (lambda b: b["target"].update(connection_id="missing"), "target.connection_id", "no such connection"),
        (lambda b: b["fields"][0]["source"].update(model_id="missing"), "fields[0].source.model_id", "no such model"),
    ],
)
def test_sync_create_rejects_what_upstream_would(
    api: httpx.Client, connected: dict[str, str], change: Any, field: str, fragment: str
) -> None:
    model = create_model(api, connected["gcs"])
    body = sync_body(model["id"], connected["salesforce"])
    change(body)
    response = api.post("/api/syncs", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["metadata"]["field"] == field
    assert fragment in response.json()["message"]
    assert api.get("/api/syncs").json()["data"] == []


def test_unknown_enum_values_fail_request_validation(api: httpx.Client, connected: dict[str, str]) -> None:
    model = create_model(api, connected["gcs"])
    body = sync_body(model["id"], connected["salesforce"])
    body["schedule"]["frequency"] = "fortnightly"
    response = api.post("/api/syncs", json=body)
    assert response.status_code == 400 and response.json()["metadata"]["field"] == "schedule.frequency"


def test_sync_needs_a_healthy_target(api: httpx.Client) -> None:
    gcs, salesforce = create_gcs(api), create_salesforce(api, authorize=False)
    wait_fresh(api, gcs["id"])
    model = create_model(api, gcs["id"])
    response = api.post("/api/syncs", json=sync_body(model["id"], salesforce["id"]))
    assert response.status_code == 422 and "not healthy" in response.json()["message"]


def test_execution_moves_through_its_statuses_and_emits_events(api: httpx.Client, connected: dict[str, str]) -> None:
    model = create_model(api, connected["gcs"])
    sync = create_sync(api, model["id"], connected["salesforce"])
    started = api.post(f"/api/syncs/{sync['id']}/executions", json={}).json()["data"]
    url = f"/api/syncs/{sync['id']}/executions/{started['id']}"
    statuses = [api.get(url).json()["data"]["status"]]
    for step in (0.25, 0.25, 1.0, 1.0):
        advance(api, step)
        statuses.append(api.get(url).json()["data"]["status"])
    assert statuses == ["created", "queued", "running", "running", "completed"]
    again = api.post(f"/api/syncs/{sync['id']}/executions", json={})
    assert again.status_code == 200
    conflict = api.post(f"/api/syncs/{sync['id']}/executions", json={})
    assert conflict.status_code == 409 and conflict.json()["key"] == "execution_in_progress"
    listed = api.get(f"/api/syncs/{sync['id']}/executions").json()
    assert [e["id"] for e in listed["data"]][1] == started["id"]
    status = api.get(f"/api/syncs/{sync['id']}/status").json()["data"]
    assert status["last_execution"]["id"] == started["id"] and status["current_execution"]["status"] == "created"
    logs = api.get(f"{url}/consolelog").json()["data"]["entries"]
    assert [e["message"] for e in logs][:3] == ["Execution created", "Queued", "Running"]
    assert "inserted" in logs[-1]["message"]
    events = api.get("/api/events", params={"limit": "100"}).json()["data"]
    assert [e["type"] for e in events] == ["sync.running", "sync.completed_with_errors"]
    assert events[1]["event"]["execution_id"] == started["id"]
    errors_url = api.get(f"{url}/errors").json()["data"]["urls"][0]
    lines = httpx.get(errors_url).text.splitlines()
    assert len(lines) == 2 and "invalid email" in "".join(lines)
    redirect = api.get(f"{url}/errors/errors-0001.jsonl", follow_redirects=False)
    assert redirect.status_code == 302 and "/sandbox/logfiles/" in redirect.headers["location"]


def test_cancel_stops_a_run_before_it_writes(api: httpx.Client, connected: dict[str, str]) -> None:
    model = create_model(api, connected["gcs"])
    sync = create_sync(api, model["id"], connected["salesforce"])
    before = len(_contacts(api, connected["salesforce"]))
    started = api.post(f"/api/syncs/{sync['id']}/executions", json={}).json()["data"]
    advance(api, 1)
    cancel = api.post(f"/api/syncs/{sync['id']}/executions/{started['id']}/cancel")
    assert cancel.status_code == 200 and "canceling" in cancel.json()["data"]["message"]
    url = f"/api/syncs/{sync['id']}/executions/{started['id']}"
    assert api.get(url).json()["data"]["status"] == "canceling"
    advance(api, 5)
    assert api.get(url).json()["data"]["status"] == "canceled"
    assert len(_contacts(api, connected["salesforce"])) == before
    assert "sync.canceled" in [e["type"] for e in api.get("/api/events").json()["data"]]
    assert api.post(f"/api/syncs/{sync['id']}/executions/{started['id']}/cancel").status_code == 409


def test_modes_create_update_remove(api: httpx.Client, connected: dict[str, str]) -> None:
    csv = (
        "email,first_name,last_name\nFOX.MULDER@fbi.example.gov,Fox,Mulder-Updated\nnew.person@example.com,New,Person\n"
    )
    _add_csv(api, "people.csv", csv, connected["gcs"])
    model = create_model(api, connected["gcs"], key="people.csv")
    sf = connected["salesforce"]

    def run(mode: str) -> dict[str, Any]:
        sync = api.post("/api/syncs", json=sync_body(model["id"], sf, mode)).json()["data"]
        execution = _run(api, sync["id"])
        assert execution["status"] == "completed", execution
        return dict(execution["counts"])

    assert run("update") == {"total": 2, "insert": 0, "update": 1, "delete": 0, "error": 0, "upserts": 0, "warnings": 0}
    assert _contacts(api, sf, Email="fox.mulder@fbi.example.gov")[0]["LastName"] == "Mulder-Updated"
    assert _contacts(api, sf, Email="new.person@example.com") == []
    created = run("create")
    assert (created["insert"], created["update"]) == (1, 0)
    assert _contacts(api, sf, Email="NEW.PERSON@example.com")[0]["FirstName"] == "New"
    assert run("create")["insert"] == 0  # nothing new the second time
    removed = run("remove")
    assert removed["delete"] == 2
    assert _contacts(api, sf, Email="fox.mulder@fbi.example.gov") == []


def test_bad_rows_become_record_errors(api: httpx.Client, connected: dict[str, str]) -> None:
    csv = (
        "email,first_name,last_name,score\n"
        "a@example.com,A,Alpha,1\n"
        ",B,Beta,2\n"
        "c@example.com,C,,3\n"
        "d@example.com,D,Delta,lots\n"
    )
    _add_csv(api, "bad.csv", csv, connected["gcs"])
    model = create_model(api, connected["gcs"], key="bad.csv")
    body = sync_body(model["id"], connected["salesforce"])
    body["fields"].append({"source": {"model_id": model["id"], "field": "score"}, "target": "Monthly_Spend__c"})
    sync = api.post("/api/syncs", json=body).json()["data"]
    execution = _run(api, sync["id"])
    assert execution["status"] == "completed"
    assert (execution["counts"]["total"], execution["counts"]["insert"], execution["counts"]["error"]) == (4, 1, 3)
    joined = " | ".join(execution["errors"])
    assert "row 2: no value for the identity field" in joined
    assert "row 3: REQUIRED_FIELD_MISSING: Contact.LastName" in joined
    assert "row 4: Monthly_Spend__c: 'lots' is not a valid currency" in joined


def test_sync_list_get_update_activate_delete(api: httpx.Client, connected: dict[str, str]) -> None:
    model = create_model(api, connected["gcs"])
    made = [create_sync(api, model["id"], connected["salesforce"]) for _ in range(3)]
    first = api.get("/api/syncs", params={"limit": "2"}).json()
    assert len(first["data"]) == 2 and first["pagination"]["next_page_token"]
    assert first["data"][0]["target_object"] == "Contact" and first["data"][0]["model_ids"] == [model["id"]]
    rest = api.get("/api/syncs", params={"limit": "2", "page_token": first["pagination"]["next_page_token"]}).json()
    assert [s["id"] for s in first["data"] + rest["data"]] == [s["id"] for s in made]
    body = sync_body(model["id"], connected["salesforce"], "update")
    updated = api.put(f"/api/syncs/{made[0]['id']}", json={**body, "name": "renamed"}).json()["data"]
    assert (updated["name"], updated["mode"], updated["created_at"]) == ("renamed", "update", made[0]["created_at"])
    assert api.post(f"/api/syncs/{made[0]['id']}/activate", json={"active": False}).json()["data"]["active"] is False
    assert [s["id"] for s in api.get("/api/syncs", params={"active": "false"}).json()["data"]] == [made[0]["id"]]
    assert api.delete(f"/api/syncs/{made[0]['id']}").status_code == 204
    assert api.get(f"/api/syncs/{made[0]['id']}").status_code == 404


def test_an_update_by_another_key_keeps_who_created_either_kind_of_sync(
    api: httpx.Client, connected: dict[str, str]
) -> None:
    org = api.get("/api/me").json()["data"]["organization_id"]
    user = api.post(f"/api/organizations/{org}/users", json={"email": "second@example.com", "role": "admin"})
    minted = api.post(f"/api/organizations/{org}/users/{user.json()['data']['id']}/keys").json()["data"]["value"]
    other = httpx.Client(base_url=api.base_url, headers={"Authorization": f"Bearer {minted}"}, timeout=30)
    bulk_body = {
        "name": "Salesforce to GCS",
        "source_connection_id": connected["salesforce"],
        "destination_connection_id": connected["gcs"],
        "destination_configuration": {},
        "default_schedule": {"frequency": "manual"},
    }
    bulk = api.post("/api/bulk/syncs", json=bulk_body).json()["data"]
    model = create_model(api, connected["gcs"])
    sync = create_sync(api, model["id"], connected["salesforce"])
    with other:
        bulk_after = other.put(f"/api/bulk/syncs/{bulk['id']}", json={**bulk_body, "name": "renamed"}).json()["data"]
        body = {**sync_body(model["id"], connected["salesforce"]), "name": "renamed"}
        sync_after = other.put(f"/api/syncs/{sync['id']}", json=body).json()["data"]
    for before, after in ((bulk, bulk_after), (sync, sync_after)):
        assert after["name"] == "renamed"
        assert after["created_by"] == before["created_by"]  # the creator stays
        assert after["updated_by"] != before["created_by"]  # the other key is who changed it
