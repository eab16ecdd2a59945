"""Ids that contain ``/`` (a file in a folder) travel percent-encoded in one path segment."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sandbox_flows import SEED_BUCKET, advance, create_gcs, create_model, create_salesforce, sync_body, wait_fresh

FOLDER_FILE = "exports/contacts.csv"
ENCODED = quote(FOLDER_FILE, safe="")  # exports%2Fcontacts.csv
CSV = (
    "email,first_name,last_name\n"
    "FOX.MULDER@fbi.example.gov,Fox,Mulder-From-Folder\n"
    "folder.one@example.com,Folder,One\n"
    "folder.two@example.com,Folder,Two\n"
    ",No,Email\n"
)


@pytest.fixture
def folder(api: httpx.Client) -> dict[str, str]:
    """The seed world plus ``exports/contacts.csv``, added through the admin surface."""
    added = api.post(f"/sandbox/buckets/{SEED_BUCKET}/files", params={"key": FOLDER_FILE}, content=CSV.encode())
    assert added.status_code == 200 and added.json()["data"]["key"] == FOLDER_FILE
    gcs, salesforce = create_gcs(api), create_salesforce(api)
    wait_fresh(api, gcs["id"])
    wait_fresh(api, salesforce["id"])
    return {"gcs": gcs["id"], "salesforce": salesforce["id"]}


def test_encoded_slash_stays_in_its_segment(api: httpx.Client, folder: dict[str, str]) -> None:
    assert ENCODED == "exports%2Fcontacts.csv"
    url = f"/api/connections/{folder['gcs']}/schemas/{ENCODED}"
    schema = api.get(url)
    assert schema.status_code == 200, schema.text
    assert schema.json()["data"]["id"] == FOLDER_FILE
    assert [f["id"] for f in schema.json()["data"]["fields"]] == ["email", "first_name", "last_name"]
    records = api.get(f"{url}/records").json()["data"]
    assert records[0]["last_name"] == "Mulder-From-Folder"
    # Unencoded (as the official SDK sends it), the schema id spans two segments and reaches
    # the same schema: no route matches segment by segment, and only schemas_get fits.
    plain = api.get(f"/api/connections/{folder['gcs']}/schemas/{FOLDER_FILE}")
    assert plain.status_code == 200 and plain.json()["data"] == schema.json()["data"]
    # Other escapes decode too, and an id that is not there is a 404 about the schema.
    missing = api.get(f"/api/connections/{folder['gcs']}/schemas/exports%2Fmissing%20file.csv")
    assert missing.status_code == 404 and "exports/missing file.csv" in missing.json()["message"]


def test_schema_field_routes_keep_encoded_ids_apart(api: httpx.Client, folder: dict[str, str]) -> None:
    base = f"/api/connections/{folder['gcs']}/schemas/{ENCODED}"
    body = {"fields": [{"field_id": "region/code", "label": "Region", "type": "string"}]}
    assert api.post(f"{base}/fields", json=body).status_code == 204
    field_url = f"{base}/fields/{quote('region/code', safe='')}"
    patched = api.patch(field_url, json={"label": "Sales region"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"] == {
        "id": "region/code",
        "name": "Sales region",
        "type": "string",
        "path": None,
        "user_managed": True,
    }
    fields = {f["id"]: f for f in api.get(base).json()["data"]["fields"]}
    assert fields["region/code"]["name"] == "Sales region"
    # The same text split differently (schema "exports", field "contacts.csv/region/code") is
    # another key, not this field.
    elsewhere = f"/api/connections/{folder['gcs']}/schemas/exports/fields/{quote('contacts.csv/region/code', safe='')}"
    assert api.delete(elsewhere).status_code == 404
    keys = {"fields": [{"field_id": "email", "is_primary_key": True}]}
    assert api.put(f"{base}/primary_keys", json=keys).status_code == 204
    fields = {f["id"]: f for f in api.get(base).json()["data"]["fields"]}
    assert fields["email"]["is_primary_key"] is True
    assert api.delete(field_url).status_code == 204
    assert "region/code" not in {f["id"] for f in api.get(base).json()["data"]["fields"]}


def _contact(api: httpx.Client, salesforce_id: str, email: str) -> dict[str, Any]:
    params = {"connection_id": salesforce_id, "where.Email": email}
    records = api.get("/sandbox/salesforce/objects/Contact/records", params=params).json()["data"]["records"]
    assert len(records) == 1, records
    return dict(records[0])


def test_model_and_sync_from_a_file_in_a_folder(api: httpx.Client, folder: dict[str, str]) -> None:
    model = create_model(api, folder["gcs"], key=FOLDER_FILE)
    assert model["configuration"]["key"] == FOLDER_FILE
    assert [f["name"] for f in model["fields"]] == ["email", "first_name", "last_name"]
    sync = api.post("/api/syncs", json=sync_body(model["id"], folder["salesforce"])).json()["data"]
    started = api.post(f"/api/syncs/{sync['id']}/executions", json={}).json()["data"]
    advance(api, 3)
    url = f"/api/syncs/{sync['id']}/executions/{started['id']}"
    execution = api.get(url).json()["data"]
    assert execution["status"] == "completed", execution
    counts = execution["counts"]
    assert (counts["total"], counts["insert"], counts["update"], counts["error"]) == (4, 2, 1, 1)
    assert execution["errors"] == ["row 4: no value for the identity field (Email)"]
    assert _contact(api, folder["salesforce"], "fox.mulder@fbi.example.gov")["LastName"] == "Mulder-From-Folder"
    assert _contact(api, folder["salesforce"], "folder.two@example.com")["FirstName"] == "Folder"
    # A log file name with an encoded slash still names one file of the errors log.
    redirect = api.get(f"{url}/errors/{quote('2024/errors-0001.jsonl', safe='')}", follow_redirects=False)
    assert redirect.status_code == 302
    lines = httpx.get(redirect.headers["location"]).text.splitlines()
    assert len(lines) == 1 and "no value for the identity field" in lines[0]


def test_bulk_sync_schema_routes_take_a_file_in_a_folder(api: httpx.Client, folder: dict[str, str]) -> None:
    created = api.post(
        "/api/bulk/syncs",
        json={
            "name": "folder export",
            "source_connection_id": folder["gcs"],
            "destination_connection_id": folder["salesforce"],
            "destination_configuration": {},
            "default_schedule": {"frequency": "manual"},
            "schemas": [FOLDER_FILE],
        },
    )
    assert created.status_code == 200, created.text
    bulk = created.json()["data"]
    base = f"/api/bulk/syncs/{bulk['id']}"
    schema = api.get(f"{base}/schemas/{ENCODED}")
    assert schema.status_code == 200 and schema.json()["data"]["id"] == FOLDER_FILE
    updated = api.put(f"{base}/schemas/{ENCODED}", json={"user_output_name": "contacts"})
    assert updated.status_code == 200 and updated.json()["data"]["user_output_name"] == "contacts"
    started = api.post(f"{base}/executions", json={}).json()["data"]
    cancel = api.post(f"{base}/schemas/{ENCODED}/cancel")
    assert cancel.status_code == 200 and FOLDER_FILE in cancel.json()["data"]["message"]
    advance(api, 5)
    first = api.get(f"{base}/executions/{started['id']}").json()["data"]
    assert [(s["schema"], s["status"]) for s in first["schemas"]] == [(FOLDER_FILE, "canceled")]
    again = api.post(f"{base}/executions", json={}).json()["data"]
    advance(api, 5)
    execution = api.get(f"{base}/executions/{again['id']}").json()["data"]
    assert execution["status"] == "completed"
    assert [(s["schema"], s["record_count"]) for s in execution["schemas"]] == [(FOLDER_FILE, 4)]
    log = api.get(f"{base}/executions/{again['id']}/schemas/{ENCODED}/consolelog").json()["data"]["entries"]
    assert f"{FOLDER_FILE}: copied 4 records" in [e["message"] for e in log]
    other = api.get(f"{base}/executions/{again['id']}/schemas/{quote('exports/other.csv', safe='')}/consolelog")
    assert other.status_code == 404
    # The execution's log links open (no key needed), as JSON lines of its console log.
    url = api.get(f"{base}/executions/{again['id']}/logs").json()["data"]["URLs"][0]
    lines = [json.loads(line) for line in httpx.get(url).text.splitlines()]
    assert f"{FOLDER_FILE}: copied 4 records" in [line["message"] for line in lines]
    job = api.post(f"{base}/executions/{again['id']}/logs/export").json()["job"]
    advance(api, 1)
    exported = api.get(f"/api/jobs/exportlogs/{job['job_id']}").json()["data"]
    assert exported["status"] == "done"
    assert httpx.get(exported["result"]["url"]).text.splitlines() == httpx.get(url).text.splitlines()
