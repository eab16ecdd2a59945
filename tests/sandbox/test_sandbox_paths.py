"""Paths: a bucket's folder scopes a connection, schema ids with unencoded ``/`` (as the official
SDK sends them) reach their routes, open enums read as Polytomic reads them, and every URL the
sandbox hands out answers."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from polytomic import Polytomic
from sandbox_flows import SEED_BUCKET, SEED_DOMAIN, SERVICE_ACCOUNT, advance, create_salesforce, sync_body, wait_fresh

from polytomic_mcp.sandbox import RunningSandbox

FILES = {
    "root.csv": "email,first_name,last_name\nroot@example.com,Root,Level\n",
    "exports/2026/users.csv": "email,first_name,last_name\nu1@example.com,U,One\nu2@example.com,U,Two\n",
    "exports/2026/notes.txt": "not a table\n",
    "exports/team.csv": "email,first_name,last_name\nt1@example.com,T,One\n",
    "exportsX/near.csv": "email\nnear@example.com\n",
}


@pytest.fixture
def files(api: httpx.Client) -> None:
    for key, text in FILES.items():
        added = api.post(f"/sandbox/buckets/{SEED_BUCKET}/files", params={"key": key}, content=text.encode())
        assert added.status_code == 200, added.text


def gcs_at(api: httpx.Client, bucket: str) -> dict[str, Any]:
    body = {"name": "scoped", "type": "gcs", "configuration": {"service_account": SERVICE_ACCOUNT, "bucket": bucket}}
    response = api.post("/api/connections", json=body)
    assert response.status_code == 200, response.text
    connection = dict(response.json()["data"])
    wait_fresh(api, connection["id"])
    return connection


def test_a_bucket_folder_scopes_schemas_models_and_runs(api: httpx.Client, files: None) -> None:
    scoped = gcs_at(api, f"gs://{SEED_BUCKET}/exports/")
    assert scoped["configuration"]["bucket"] == f"{SEED_BUCKET}/exports"
    source = api.get(f"/api/connections/{scoped['id']}/bulksync/source").json()["data"]
    assert [s["id"] for s in source["schemas"]] == ["2026/users.csv", "team.csv"]  # relative, CSV only, inside
    inside = api.get(f"/api/connections/{scoped['id']}/schemas/2026%2Fusers.csv/records").json()["data"]
    assert [r["email"] for r in inside] == ["u1@example.com", "u2@example.com"]
    outside = api.post(
        "/api/models",
        json={
            "name": "m",
            "connection_id": scoped["id"],
            "configuration": {"model_from": "single_file", "key": "root.csv"},
        },
    )
    assert outside.status_code == 422 and "2026/users.csv" in outside.json()["message"]
    full_key = api.post(
        "/api/models",
        json={
            "name": "m",
            "connection_id": scoped["id"],
            "configuration": {"model_from": "single_file", "key": "exports/team.csv"},
        },
    )
    assert full_key.status_code == 422  # keys are relative to the folder
    model = api.post(
        "/api/models",
        json={
            "name": "m",
            "connection_id": scoped["id"],
            "configuration": {"model_from": "single_file", "key": "team.csv"},
        },
    ).json()["data"]
    sample = api.get(f"/api/models/{model['id']}/sample").json()["data"]["records"]
    assert [r["email"]["value"] for r in sample] == ["t1@example.com"]
    salesforce = create_salesforce(api)
    wait_fresh(api, salesforce["id"])
    sync = api.post("/api/syncs", json=sync_body(model["id"], salesforce["id"])).json()["data"]
    started = api.post(f"/api/syncs/{sync['id']}/executions", json={}).json()["data"]
    advance(api, 5)
    done = api.get(f"/api/syncs/{sync['id']}/executions/{started['id']}").json()["data"]
    assert done["status"] == "completed" and done["counts"]["insert"] == 1
    bulk = api.post(
        "/api/bulk/syncs",
        json={
            "name": "copy",
            "source_connection_id": scoped["id"],
            "destination_connection_id": salesforce["id"],
            "destination_configuration": {},
            "default_schedule": {"frequency": "manual"},
        },
    ).json()["data"]
    run = api.post(f"/api/bulk/syncs/{bulk['id']}/executions", json={}).json()["data"]
    advance(api, 5)
    copied = api.get(f"/api/bulk/syncs/{bulk['id']}/executions/{run['id']}").json()["data"]
    assert {s["schema"]: s["record_count"] for s in copied["schemas"]} == {"2026/users.csv": 2, "team.csv": 1}


def test_a_folder_with_no_files_is_an_empty_connection(api: httpx.Client, files: None) -> None:
    empty = gcs_at(api, f"{SEED_BUCKET}/nothing-here")
    assert api.get(f"/api/connections/{empty['id']}/bulksync/source").json()["data"]["schemas"] == []


def test_the_sdk_sends_slashes_unencoded_and_reaches_the_schema(
    sandbox: RunningSandbox, api: httpx.Client, files: None
) -> None:
    whole = gcs_at(api, SEED_BUCKET)
    client = Polytomic(token="test-key", base_url=sandbox.base_url)
    schema = client.schemas.get(whole["id"], "exports/2026/users.csv").data
    assert schema is not None and schema.id == "exports/2026/users.csv"
    assert [f.id for f in schema.fields or []] == ["email", "first_name", "last_name"]
    records = client.schemas.get_records(whole["id"], "exports/2026/users.csv").data or []
    assert [r["email"] for r in records] == ["u1@example.com", "u2@example.com"]
    client.schemas.set_primary_keys(
        whole["id"], "exports/2026/users.csv", fields=[{"field_id": "email", "is_primary_key": True}]
    )
    keyed = client.schemas.get(whole["id"], "exports/2026/users.csv").data
    assert keyed is not None and [f.id for f in keyed.fields or [] if f.is_primary_key] == ["email"]
    logged = api.get("/sandbox/requests").json()["data"]
    assert [e["operation"] for e in logged if "2026/users.csv" in e["path"]] == [
        "schemas_get",
        "schemas_get_records",
        "schemas_set_primary_keys",
        "schemas_get",
    ]


def test_open_enums_read_case_insensitively_and_keep_unknown_values(api: httpx.Client, files: None) -> None:
    gcs = gcs_at(api, SEED_BUCKET)
    salesforce = create_salesforce(api)
    wait_fresh(api, salesforce["id"])
    model = api.post(
        "/api/models",
        json={
            "name": "m",
            "connection_id": gcs["id"],
            "configuration": {"model_from": "single_file", "key": "root.csv"},
        },
    ).json()["data"]
    body = sync_body(model["id"], salesforce["id"], mode="UPDATEORCREATE")
    body["identity"]["function"] = "EQUALITY"
    body["schedule"] = {"frequency": "Daily", "hour": "05", "minute": "00"}
    body["model_filters"] = {
        "conditions": [{"source": {"model_id": model["id"], "field": "email"}, "function": "isnotnull"}]
    }
    created = api.post("/api/syncs", json=body)
    assert created.status_code == 200, created.text
    sync = created.json()["data"]
    assert (sync["mode"], sync["identity"]["function"], sync["schedule"]["frequency"]) == (
        "updateOrCreate",
        "Equality",
        "daily",
    )
    assert sync["model_filters"]["conditions"][0]["function"] == "IsNotNull"
    assert [s["id"] for s in api.get("/api/syncs", params={"mode": "updateorcreate"}).json()["data"]] == [sync["id"]]
    unknown = dict(body, identity={**body["identity"], "function": "Fuzzy"})
    refused = api.post("/api/syncs", json=unknown)
    assert refused.status_code == 422 and "allowed: Equality" in refused.json()["message"]
    bulk = api.post(
        "/api/bulk/syncs",
        json={
            "name": "b",
            "source_connection_id": gcs["id"],
            "destination_connection_id": salesforce["id"],
            "destination_configuration": {},
            "default_schedule": {"frequency": "MANUAL"},
            "normalize_names": "Someday",
            "mode": "Replicate",
        },
    )
    assert bulk.status_code == 200, bulk.text
    shown = api.get(f"/api/bulk/syncs/{bulk.json()['data']['id']}").json()["data"]
    assert (shown["normalize_names"], shown["mode"], shown["default_schedule"]["frequency"]) == (
        "Someday",
        "replicate",
        "manual",
    )


URL = re.compile(r"https?://[^\s\"'<>]+")


def urls_in(value: Any) -> list[str]:
    return URL.findall(json.dumps(value))


def test_every_url_the_sandbox_hands_out_answers(sandbox: RunningSandbox, api: httpx.Client, files: None) -> None:
    handed: list[str] = []
    handed += urls_in(api.get("/api/connection_types").json())
    gcs = gcs_at(api, SEED_BUCKET)
    created = api.post(
        "/api/connections", json={"name": "sf", "type": "salesforce", "configuration": {"domain": SEED_DOMAIN}}
    ).json()
    handed += urls_in(created)
    salesforce = created["data"]
    assert httpx.get(salesforce["auth_url"]).status_code == 200
    wait_fresh(api, salesforce["id"])
    handed += urls_in(api.get(f"/api/connections/{gcs['id']}").json())
    model = api.post(
        "/api/models",
        json={
            "name": "m",
            "connection_id": gcs["id"],
            "configuration": {"model_from": "single_file", "key": "root.csv"},
        },
    ).json()["data"]
    sync = api.post("/api/syncs", json=sync_body(model["id"], salesforce["id"])).json()["data"]
    run = api.post(f"/api/syncs/{sync['id']}/executions", json={}).json()["data"]
    advance(api, 5)
    execution = f"/api/syncs/{sync['id']}/executions/{run['id']}"
    handed += urls_in(api.get(f"{execution}/logs").json())
    handed += urls_in(api.get(f"{execution}/errors").json())
    redirect = api.get(f"{execution}/inserts/inserts-0001.jsonl")
    assert redirect.status_code == 302
    handed.append(redirect.headers["location"])
    bulk = api.post(
        "/api/bulk/syncs",
        json={
            "name": "b",
            "source_connection_id": gcs["id"],
            "destination_connection_id": salesforce["id"],
            "destination_configuration": {},
            "default_schedule": {"frequency": "manual"},
        },
    ).json()["data"]
    bulk_run = api.post(f"/api/bulk/syncs/{bulk['id']}/executions", json={}).json()["data"]
    advance(api, 5)
    logs = f"/api/bulk/syncs/{bulk['id']}/executions/{bulk_run['id']}/logs"
    handed += urls_in(api.get(logs).json())
    job = api.post(f"{logs}/export").json()["job"]
    advance(api, 2)
    handed += urls_in(api.get(f"/api/jobs/exportlogs/{job['job_id']}").json())
    harbor = api.post("/api/harbors", json={"name": "h", "backing_mode": "managed"}).json()["data"]
    handed += urls_in(harbor)
    refresh = api.post(f"/api/connections/{gcs['id']}/schemas/refresh")
    assert refresh.status_code == 202
    handed.append(sandbox.base_url + refresh.headers["location"])
    handed = [u for u in dict.fromkeys(handed) if u.startswith(sandbox.base_url)]
    kinds = {re.sub(r"/[^/]*$", "", u.removeprefix(sandbox.base_url).split("?")[0]) for u in handed}
    for expected in ("/sandbox/logos", "/sandbox/oauth", f"/api/connections/{gcs['id']}/schemas"):
        assert expected in kinds, (expected, kinds)
    assert any("/sandbox/logfiles/" in u for u in handed) and any(u.endswith("/mcp") for u in handed)
    for url in handed:
        if url == salesforce["auth_url"]:
            continue  # answered 200 above; a consent link works once, as OAuth links do
        answer = httpx.get(url, headers={"Authorization": "Bearer test-key"})
        if url.endswith("/mcp"):  # the harbor is kept; its MCP server is not emulated, and says so
            assert answer.status_code == 501 and "does not serve Harbor MCP" in answer.json()["message"]
            continue
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:200])
        if "/sandbox/logos/" in url:
            assert answer.headers["content-type"].startswith("image/svg+xml") and answer.text.startswith("<svg")
    assert httpx.get(f"{sandbox.base_url}/sandbox/logos/nothing.svg").status_code == 404
