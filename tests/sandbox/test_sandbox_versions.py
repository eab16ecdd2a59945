"""``X-Polytomic-Version`` selects behaviour where the 2025-09-18 migration changed it: the model-sync
list, the target-fields route, bulk-sync schedules and bulk-sync ``resync``. Unknown versions are
refused; the official SDK and the server's client (both on 2025-09-18) keep working."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from polytomic import Polytomic
from sandbox_flows import create_gcs, create_model, create_salesforce, sync_body, wait_fresh

from polytomic_mcp.sandbox import RunningSandbox

OLD = {"X-Polytomic-Version": "2024-02-08"}
NEW = {"X-Polytomic-Version": "2025-09-18"}


@pytest.fixture
def connected(api: httpx.Client) -> dict[str, str]:
    gcs, salesforce = create_gcs(api), create_salesforce(api)
    wait_fresh(api, gcs["id"])
    wait_fresh(api, salesforce["id"])
    return {"gcs": gcs["id"], "salesforce": salesforce["id"]}


def _bulk_body(connected: dict[str, str], **schedule: Any) -> dict[str, Any]:
    return {
        "name": "nightly copy",
        "source_connection_id": connected["gcs"],
        "destination_connection_id": connected["salesforce"],
        "destination_configuration": {},
        **schedule,
    }


@pytest.mark.parametrize("version", ["1999-01-01", "2025-09-19", "latest", "2024-2-8"])
def test_a_version_that_never_existed_is_refused(api: httpx.Client, version: str) -> None:
    body = {"name": "w", "endpoint": "https://hooks.example.com", "secret": "s"}
    response = api.post("/api/webhooks", json=body, headers={"X-Polytomic-Version": version})
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["key"] == "unsupported_version" and error["metadata"]["field"] == "X-Polytomic-Version"
    for known in ("2021-05-23", "2022-12-12", "2023-04-25", "2024-02-08", "2025-09-18"):
        assert known in error["message"]
    assert response.headers["x-polytomic-version"] == "2025-09-18"
    assert api.get("/api/webhooks").json()["data"] == []  # nothing was created


def test_every_known_version_is_served_and_echoed(api: httpx.Client) -> None:
    for version in ("2021-05-23", "2022-12-12", "2023-04-25", "2024-02-08", "2025-09-18"):
        response = api.get("/api/connections", headers={"X-Polytomic-Version": version})
        assert response.status_code == 200 and response.headers["x-polytomic-version"] == version
    assert api.get("/api/connections").headers["x-polytomic-version"] == "2025-09-18"  # the default


def test_model_sync_list_pages_light_items_now_and_answers_all_in_full_before(
    api: httpx.Client, connected: dict[str, str]
) -> None:
    model = create_model(api, connected["gcs"])
    made = []
    for index in range(3):
        body = {**sync_body(model["id"], connected["salesforce"]), "name": f"sync {index}"}
        made.append(api.post("/api/syncs", json=body).json()["data"]["id"])
    first = api.get("/api/syncs", params={"limit": 2}, headers=NEW).json()
    assert [s["id"] for s in first["data"]] == made[:2]
    assert all("fields" not in s and s["target_connection_id"] == connected["salesforce"] for s in first["data"])
    token = first["pagination"]["next_page_token"]
    second = api.get("/api/syncs", params={"limit": 2, "page_token": token}, headers=NEW).json()
    assert [s["id"] for s in second["data"]] == made[2:] and second["pagination"]["next_page_token"] is None
    assert api.get("/api/syncs", params={"limit": 51}, headers=NEW).status_code == 400
    old = api.get("/api/syncs", params={"limit": 1}, headers=OLD).json()
    assert "pagination" not in old and [s["id"] for s in old["data"]] == made
    full = old["data"][0]
    assert [f["target"] for f in full["fields"]] == ["FirstName", "LastName"]
    assert full["identity"]["target"] == "Email" and full["target"]["object"] == "Contact"


def test_target_fields_route_moved_in_2025(api: httpx.Client, connected: dict[str, str]) -> None:
    base = f"/api/connections/{connected['salesforce']}/modelsync"
    current = api.get(f"{base}/target/fields", params={"target": "Contact"}, headers=NEW)
    assert current.status_code == 200
    fields = [f["id"] for f in current.json()["data"]["fields"]]
    assert "Email" in fields and "LastName" in fields
    old_route = api.get(f"{base}/target", params={"target": "Contact"}, headers=OLD)
    assert old_route.status_code == 200 and old_route.json() == current.json()
    assert api.get(f"{base}/target/fields", params={"target": "Contact"}, headers=OLD).json() == current.json()
    gone = api.get(f"{base}/target", params={"target": "Contact"}, headers=NEW)
    assert gone.status_code == 404
    assert "/modelsync/target/fields" in gone.json()["message"] and "2024-02-08" in gone.json()["message"]


def test_bulk_sync_schedule_object_before_2025_and_default_schedule_now(
    api: httpx.Client, connected: dict[str, str]
) -> None:
    schedule = {"frequency": "daily", "hour": "05", "minute": "30"}
    old = api.post("/api/bulk/syncs", json=_bulk_body(connected, schedule=schedule, discover=True), headers=OLD)
    assert old.status_code == 200, old.text
    shown = old.json()["data"]
    assert shown["schedule"] == schedule and shown["discover"] is True
    assert "default_schedule" not in shown and "additional_schedules" not in shown
    now = api.get(f"/api/bulk/syncs/{shown['id']}", headers=NEW).json()["data"]
    assert {k: now["default_schedule"][k] for k in schedule} == schedule
    assert now["automatically_add_new_objects"] == "all" and "schedule" not in now
    # Several schedules: 2024-02-08's multi frequency is 2025-09-18's additional_schedules.
    multi = {
        "frequency": "multi",
        "multi": {
            "schedules": [
                {"item": "incrementalFields", "schedule": {"frequency": "hourly", "minute": "15"}},
                {"item": "nonincrementalFields", "schedule": {"frequency": "weekly", "day_of_week": "monday"}},
            ]
        },
    }
    made = api.post("/api/bulk/syncs", json=_bulk_body(connected, schedule=multi), headers=OLD)
    assert made.status_code == 200, made.text
    assert made.json()["data"]["schedule"] == multi
    as_now = api.get(f"/api/bulk/syncs/{made.json()['data']['id']}", headers=NEW).json()["data"]
    assert as_now["default_schedule"]["frequency"] == "manual"
    assert [(s["frequency"], s["selective_mode"]) for s in as_now["additional_schedules"]] == [
        ("hourly", "incrementalFields"),
        ("weekly", "nonincrementalFields"),
    ]
    listed = api.get("/api/bulk/syncs", headers=OLD).json()["data"]
    assert [b["schedule"]["frequency"] for b in listed] == ["daily", "multi"]


@pytest.mark.parametrize(
    ("headers", "extra", "field", "fragment"),
    [
        (NEW, {"schedule": {"frequency": "daily"}}, "schedule", "default_schedule"),
        (NEW, {"default_schedule": {"frequency": "manual"}, "discover": True}, "discover", "automatically_add"),
        (OLD, {"default_schedule": {"frequency": "manual"}}, "default_schedule", "2025-09-18"),
        (OLD, {}, "schedule", "schedule is required"),
    ],
)
def test_each_version_refuses_the_other_eras_schedule(
    api: httpx.Client,
    connected: dict[str, str],
    headers: dict[str, str],
    extra: dict[str, Any],
    field: str,
    fragment: str,
) -> None:
    response = api.post("/api/bulk/syncs", json=_bulk_body(connected, **extra), headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["metadata"]["field"] == field and fragment in response.json()["message"]
    assert api.get("/api/bulk/syncs").json()["data"] == []


def test_bulk_resync_flag_before_2025_resync_mode_now(api: httpx.Client, connected: dict[str, str]) -> None:
    bulk = api.post("/api/bulk/syncs", json=_bulk_body(connected, default_schedule={"frequency": "manual"})).json()
    url = f"/api/bulk/syncs/{bulk['data']['id']}/executions"
    refused = api.post(url, json={"resync": True}, headers=NEW)
    assert refused.status_code == 400 and refused.json()["metadata"]["field"] == "resync"
    assert "resync_mode" in refused.json()["message"]
    old = api.post(url, json={"resync": True}, headers=OLD)
    assert old.status_code == 200, old.text
    assert old.json()["data"]["is_resync"] is True
    api.post(f"/api/bulk/syncs/{bulk['data']['id']}/cancel")


def test_official_sdk_on_both_versions(sandbox: RunningSandbox, api: httpx.Client, connected: dict[str, str]) -> None:
    model = create_model(api, connected["gcs"])
    api.post("/api/syncs", json=sync_body(model["id"], connected["salesforce"]))
    current = Polytomic(token="test-key", base_url=sandbox.base_url)
    listed = current.model_sync.list()
    assert [s.target_object for s in listed.data or []] == ["Contact"]
    older = Polytomic(token="test-key", base_url=sandbox.base_url, version="2024-02-08")
    full = older.model_sync.list().data or []
    # The SDK's 2025-09-18 list item keeps the members it does not declare as they came.
    assert [f["target"] for f in full[0].fields] == ["FirstName", "LastName"]  # type: ignore[attr-defined]
