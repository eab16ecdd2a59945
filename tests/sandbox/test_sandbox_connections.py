"""Connection types, configuration checks against the simulated world, OAuth, schema caches."""

from __future__ import annotations

import json

import httpx
from sandbox_flows import SEED_BUCKET, SEED_DOMAIN, SERVICE_ACCOUNT, advance, create_gcs, create_salesforce

from polytomic_mcp.sandbox import RunningSandbox


def test_connection_types_describe_their_configuration(api: httpx.Client) -> None:
    listed = {t["id"]: t for t in api.get("/api/connection_types").json()["data"]}
    assert {"gcs", "s3", "salesforce", "hubspot", "postgresql", "snowflake", "webhook"} <= set(listed)
    assert listed["webhook"]["capabilities"] == {
        "source": False,
        "destination": True,
        "enrichment": False,
        "logging": False,
        "orchestration": False,
    }
    assert listed["salesforce"]["use_oauth"] is True
    schema = api.get("/api/connection_types/gcs").json()
    assert schema["required"] == ["service_account", "bucket"]
    assert schema["properties"]["service_account"]["sensitive"] is True
    assert api.get("/api/connection_types/postgresql").json()["properties"]["password"]["sensitive"] is True
    assert api.get("/api/connection_types/nope").status_code == 404


def test_gcs_configuration_is_checked(api: httpx.Client) -> None:
    def create(configuration: dict[str, object]) -> httpx.Response:
        return api.post("/api/connections", json={"name": "g", "type": "gcs", "configuration": configuration})

    missing = create({"service_account": SERVICE_ACCOUNT})
    assert missing.status_code == 400 and missing.json()["metadata"]["field"] == "configuration.bucket"
    not_json = create({"service_account": "this is not json", "bucket": SEED_BUCKET})
    assert not_json.status_code == 400
    assert "service_account is not valid JSON" in not_json.json()["message"]
    assert "this is not json" not in not_json.text
    no_bucket = create({"service_account": SERVICE_ACCOUNT, "bucket": "no-such-bucket"})
    assert no_bucket.status_code == 400 and "does not exist" in no_bucket.json()["message"]
    wrong_type = create({"service_account": SERVICE_ACCOUNT, "bucket": 7})
    assert wrong_type.status_code == 400 and wrong_type.json()["metadata"]["field"] == "configuration.bucket"
    assert api.get("/api/connections").json()["data"] == []
    unknown = api.post("/api/connections", json={"name": "x", "type": "oracle", "configuration": {}})
    assert unknown.status_code == 400 and "known:" in unknown.json()["message"]


def test_secrets_never_come_back(api: httpx.Client) -> None:
    created = api.post(
        "/api/connections",
        json={
            "name": "pg",
            "type": "postgresql",
            "configuration": {
                "hostname": "db.internal",
                "port": 5432,
                "database": "app",
                "username": "u",
                "password": "hunter2-secret",
            },
        },
    )
    assert created.status_code == 200
    connection = created.json()["data"]
    assert connection["configuration"]["password"] == "********"
    assert connection["configuration"]["hostname"] == "db.internal"
    for text in (created.text, api.get(f"/api/connections/{connection['id']}").text, api.get("/api/connections").text):
        assert "hunter2-secret" not in text
    gcs = create_gcs(api)
    shown = api.get(f"/api/connections/{gcs['id']}").json()["data"]["configuration"]
    assert shown["service_account"] == "********" and shown["project_id"] == "sandbox-project"
    # Sending the mask back on update keeps the stored secret.
    updated = api.put(f"/api/connections/{gcs['id']}", json={"name": "renamed", "configuration": shown})
    assert updated.status_code == 200 and updated.json()["data"]["name"] == "renamed"


def test_oauth_consent_page_without_redirect(sandbox: RunningSandbox, api: httpx.Client) -> None:
    salesforce = create_salesforce(api, authorize=False)
    assert salesforce["status"] == "unhealthy" and "auth_url" in salesforce["status_error"]
    assert salesforce["auth_url"].startswith(f"{sandbox.base_url}/sandbox/oauth/authorize?state=")
    sid = salesforce["id"]
    refused = api.post(f"/api/connections/{sid}/schemas/refresh")
    assert refused.status_code == 400 and refused.json()["key"] == "connection_unhealthy"
    assert api.get(f"/api/connections/{sid}/modelsync/targetobjects").status_code == 400
    assert api.get(f"/api/connections/{sid}/schemas/status").json()["data"]["cache_status"] is None
    page = httpx.get(salesforce["auth_url"])
    assert page.status_code == 200 and "is connected" in page.text
    again = httpx.get(salesforce["auth_url"])
    assert again.status_code == 400
    connection = api.get(f"/api/connections/{sid}").json()["data"]
    assert connection["status"] == "healthy"
    assert connection["configuration"]["username"] == "integration@acme.example.com"
    assert "oauth_refresh_token" not in connection["configuration"]
    assert api.get(f"/api/connections/{sid}/schemas/status").json()["data"]["cache_status"] == "refreshing"


def test_salesforce_domain_must_exist(api: httpx.Client) -> None:
    response = api.post(
        "/api/connections",
        json={"name": "sf", "type": "salesforce", "configuration": {"domain": "nobody.my.salesforce.com"}},
    )
    assert response.status_code == 400 and response.json()["metadata"]["field"] == "domain"
    direct = api.post(
        "/api/connections",
        json={
            "name": "sf",
            "type": "salesforce",
            "configuration": {
                "domain": SEED_DOMAIN,
                "connect_mode": "api",
                "client_id": "id",
                "client_secret": "shh-client-secret",
            },
        },
    )
    assert direct.status_code == 200 and direct.json()["data"]["status"] == "healthy"
    assert "auth_url" not in direct.json()["data"] and "shh-client-secret" not in direct.text


def test_schema_cache_progression_and_refresh(api: httpx.Client) -> None:
    gcs = create_gcs(api)
    status_url = f"/api/connections/{gcs['id']}/schemas/status"
    first = api.get(status_url).json()["data"]
    assert first["cache_status"] == "refreshing"
    assert first["last_refresh_started"] == "2026-01-01T00:00:00.000Z"
    assert first["last_refresh_finished"] is None
    blocked = api.post(
        "/api/models",
        json={"name": "m", "connection_id": gcs["id"], "configuration": {"model_from": "single_file", "key": "x.csv"}},
    )
    assert blocked.status_code == 400 and "cache refresh in progress" in blocked.json()["message"]
    advance(api, 1.0)
    assert api.get(status_url).json()["data"]["cache_status"] == "refreshing"
    advance(api, 0.5)
    fresh = api.get(status_url).json()["data"]
    assert fresh == {
        "cache_status": "fresh",
        "last_refresh_started": "2026-01-01T00:00:00.000Z",
        "last_refresh_finished": "2026-01-01T00:00:01.500Z",
    }
    schema = api.get(f"/api/connections/{gcs['id']}/schemas/high_paying_users.csv").json()["data"]
    types = {f["id"]: f["type"] for f in schema["fields"]}
    assert types == {
        "email": "string",
        "first_name": "string",
        "last_name": "string",
        "company": "string",
        "plan": "string",
        "monthly_spend": "number",
        "signup_date": "datetime",
    }
    records = api.get(f"/api/connections/{gcs['id']}/schemas/high_paying_users.csv/records").json()["data"]
    assert len(records) == 10 and records[0]["email"] == "grace.lovelace0@example.com"

    added = api.post(f"/sandbox/buckets/{SEED_BUCKET}/files", params={"key": "new.csv"}, content=b"id,ok\n1,true\n")
    assert added.status_code == 200
    assert api.get(f"/api/connections/{gcs['id']}/schemas/new.csv").status_code == 404  # not cached yet
    refreshed = api.post(f"/api/connections/{gcs['id']}/schemas/refresh")
    assert refreshed.status_code == 202 and refreshed.content == b""
    assert refreshed.headers["location"] == status_url
    during = api.get(status_url).json()["data"]
    assert during["cache_status"] == "refreshing" and during["last_refresh_finished"] == fresh["last_refresh_finished"]
    advance(api, 2)
    new = api.get(f"/api/connections/{gcs['id']}/schemas/new.csv").json()["data"]
    assert {f["id"]: f["type"] for f in new["fields"]} == {"id": "number", "ok": "boolean"}


def test_target_objects_and_fields(api: httpx.Client) -> None:
    salesforce = create_salesforce(api)
    sid = salesforce["id"]
    assert api.get(f"/api/connections/{sid}/modelsync/targetobjects").status_code == 400  # still refreshing
    advance(api, 2)
    objects = {o["id"]: o for o in api.get(f"/api/connections/{sid}/modelsync/targetobjects").json()["data"]}
    assert {"Contact", "Lead", "Account"} <= set(objects)
    modes = {m["id"]: m["requires_identity"] for m in objects["Contact"]["modes"]}
    assert modes == {"create": False, "update": True, "updateOrCreate": True, "remove": True}
    for name in ("Contact", "Lead", "Account"):
        target = api.get(f"/api/connections/{sid}/modelsync/target/fields", params={"target": name}).json()["data"]
        identity = [f["id"] for f in target["fields"] if f["supports_identity"]]
        assert "Id" in identity and "External_Id__c" in identity
    contact = api.get(f"/api/connections/{sid}/modelsync/target/fields", params={"target": "Contact"}).json()["data"]
    email = next(f for f in contact["fields"] if f["id"] == "Email")
    assert email["identity_functions"][0]["id"] == "Equality" and email["type"] == "string"
    assert next(f for f in contact["fields"] if f["id"] == "LastName")["required"] is True
    missing = api.get(f"/api/connections/{sid}/modelsync/target/fields", params={"target": "Opportunity"})
    assert missing.status_code == 404 and "available: Account, Contact, Lead" in missing.json()["message"]


def test_connection_in_use_cannot_be_deleted_without_force(api: httpx.Client) -> None:
    gcs = create_gcs(api)
    advance(api, 2)
    model = api.post(
        "/api/models",
        json={
            "name": "m",
            "connection_id": gcs["id"],
            "configuration": {"model_from": "single_file", "key": "high_paying_users.csv"},
        },
    ).json()["data"]
    refused = api.delete(f"/api/connections/{gcs['id']}")
    assert refused.status_code == 422 and refused.json()["key"] == "connection_in_use"
    assert model["id"] in refused.json()["metadata"]["dependants"]
    assert api.delete(f"/api/connections/{gcs['id']}", params={"force": "true"}).status_code == 204
    assert api.get(f"/api/models/{model['id']}").status_code == 404


def test_parameter_values_list_buckets(api: httpx.Client) -> None:
    values = api.post("/api/connection_types/gcs/parameter_values", json={"field": "bucket"}).json()["data"]
    assert [v["value"] for v in values["bucket"]["values"]] == ["empty-bucket", "sandbox-exports"]
    assert json.loads(SERVICE_ACCOUNT)["type"] == "service_account"
