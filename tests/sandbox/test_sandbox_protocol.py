"""Protocol details: tenants, version echo, error bodies, validation, idempotency, pagination."""

from __future__ import annotations

import base64
import threading
import time

import httpx
from sandbox_flows import client_for

from polytomic_mcp.sandbox import RunningSandbox


def test_missing_key_is_401_with_error_body(sandbox: RunningSandbox) -> None:
    response = httpx.get(f"{sandbox.base_url}/api/connections", headers={"X-Polytomic-Version": "2024-02-08"})
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "message": "missing API key: send Authorization: Bearer <key>",
        "key": "unauthorized",
        "metadata": {},
    }
    assert response.headers["x-polytomic-version"] == "2024-02-08"


def test_two_keys_see_only_their_own_objects(sandbox: RunningSandbox) -> None:
    with client_for(sandbox, "alice") as alice, client_for(sandbox, "bob") as bob:
        hook = alice.post("/api/webhooks", json={"endpoint": "https://a.example.com", "secret": "alice-secret"})
        assert hook.status_code == 200
        hook_id = hook.json()["data"]["id"]
        assert [w["id"] for w in alice.get("/api/webhooks").json()["data"]] == [hook_id]
        assert bob.get("/api/webhooks").json()["data"] == []
        across = bob.get(f"/api/webhooks/{hook_id}")
        assert across.status_code == 404
        assert across.json()["key"] == "not_found"
        assert bob.delete(f"/api/webhooks/{hook_id}").status_code == 404
        assert alice.get(f"/api/webhooks/{hook_id}").status_code == 200
        orgs = {c.get("/api/me").json()["data"]["organization_id"] for c in (alice, bob)}
        assert len(orgs) == 2


def test_basic_credentials_act_in_an_organization_the_key_created(sandbox: RunningSandbox) -> None:
    with client_for(sandbox, "partner-key") as partner:
        child = partner.post("/api/organizations", json={"name": "Child"}).json()["data"]["id"]
        token = base64.b64encode(f"{child}:partner-key".encode()).decode()
        acting = httpx.get(f"{sandbox.base_url}/api/me", headers={"Authorization": f"Basic {token}"})
        assert acting.status_code == 200
        assert acting.json()["data"]["organization_id"] == child
        stranger = base64.b64encode(f"{child}:other-key".encode()).decode()
        refused = httpx.get(f"{sandbox.base_url}/api/me", headers={"Authorization": f"Basic {stranger}"})
        assert refused.status_code == 403


def test_secrets_are_masked_on_read(api: httpx.Client) -> None:
    created = api.post("/api/webhooks", json={"endpoint": "https://x.example.com", "secret": "do-not-echo"})
    assert "do-not-echo" not in created.text
    hook_id = created.json()["data"]["id"]
    assert "do-not-echo" not in api.get(f"/api/webhooks/{hook_id}").text
    assert api.get(f"/api/webhooks/{hook_id}").json()["data"]["endpoint"] == "https://x.example.com"


def test_bad_body_is_400_naming_the_field_and_changes_nothing(api: httpx.Client) -> None:
    missing = api.post("/api/webhooks", json={"endpoint": "https://x.example.com"})
    assert missing.status_code == 400
    assert missing.json()["metadata"]["field"] == "secret"
    wrong_type = api.post("/api/webhooks", json={"endpoint": 7, "secret": "s"})
    assert wrong_type.status_code == 400
    assert wrong_type.json()["metadata"]["field"] == "endpoint"
    assert "must be of type string" in wrong_type.json()["message"]
    unknown = api.post("/api/webhooks", json={"endpoint": "https://x", "secret": "s", "colour": "red"})
    assert unknown.status_code == 400 and unknown.json()["metadata"]["field"] == "colour"
    not_json = api.post("/api/webhooks", content=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert api.get("/api/webhooks").json()["data"] == []


def test_bad_query_is_400_naming_the_parameter(api: httpx.Client) -> None:
    response = api.get("/api/syncs", params={"limit": "lots"})
    assert response.status_code == 400
    assert response.json()["metadata"]["field"] == "limit"


def test_unknown_route_and_wrong_verb(api: httpx.Client) -> None:
    assert api.get("/api/nowhere").status_code == 404
    wrong = api.delete("/api/syncs/schedules")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET"


def test_idempotency_key_replays_the_first_answer(api: httpx.Client) -> None:
    headers = {"Idempotency-Key": "create-hook-0001"}
    body = {"endpoint": "https://x.example.com", "secret": "s"}
    first = api.post("/api/webhooks", json=body, headers=headers)
    second = api.post("/api/webhooks", json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(api.get("/api/webhooks").json()["data"]) == 1
    failed = api.post("/api/webhooks", json={"endpoint": "x"}, headers={"Idempotency-Key": "bad-request-01"})
    replayed = api.post("/api/webhooks", json=body, headers={"Idempotency-Key": "bad-request-01"})
    assert failed.status_code == 400
    # Validation runs before the key is claimed, so a rejected body does not burn the key.
    assert replayed.status_code == 200
    assert api.post("/api/webhooks", json=body, headers={"Idempotency-Key": "short"}).status_code == 400


def test_idempotency_key_in_flight_is_409(sandbox: RunningSandbox, api: httpx.Client) -> None:
    assert api.put("/sandbox/faults", json={"latency_ms": 600}).status_code == 200
    body = {"endpoint": "https://x.example.com", "secret": "s"}
    results: list[httpx.Response] = []

    def first() -> None:
        with client_for(sandbox) as other:
            results.append(other.post("/api/webhooks", json=body, headers={"Idempotency-Key": "slow-key-001"}))

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.3)  # the first request has claimed its key and is sleeping on the latency
    concurrent = api.post("/api/webhooks", json=body, headers={"Idempotency-Key": "slow-key-001"})
    thread.join()
    assert concurrent.status_code == 409
    assert concurrent.json()["key"] == "idempotency_in_flight"
    assert results[0].status_code == 200
    api.put("/sandbox/faults", json={})
    again = api.post("/api/webhooks", json=body, headers={"Idempotency-Key": "slow-key-001"})
    assert again.content == results[0].content


def test_idempotency_is_per_tenant(sandbox: RunningSandbox) -> None:
    body = {"endpoint": "https://x.example.com", "secret": "s"}
    with client_for(sandbox, "one") as one, client_for(sandbox, "two") as two:
        a = one.post("/api/webhooks", json=body, headers={"Idempotency-Key": "shared-key-01"})
        b = two.post("/api/webhooks", json=body, headers={"Idempotency-Key": "shared-key-01"})
        assert a.json()["data"]["id"] != b.json()["data"]["id"]


def test_generic_lifecycle_for_a_nested_resource(api: httpx.Client) -> None:
    harbor = api.post("/api/harbors", json={"name": "H", "backing_mode": "managed"}).json()["data"]["harbor"]["id"]
    ctx = api.post(f"/api/harbors/{harbor}/contexts", json={"title": "T", "content": "C"}).json()["data"]
    assert ctx["title"] == "T"
    listed = api.get(f"/api/harbors/{harbor}/contexts").json()
    assert [c["id"] for c in listed["data"]] == [ctx["id"]]
    updated = api.put(f"/api/harbors/{harbor}/contexts/{ctx['id']}", json={"title": "T2", "content": "C2"})
    assert updated.json()["data"]["title"] == "T2"
    assert api.get(f"/api/harbors/{harbor}/contexts/{ctx['id']}").json()["data"]["content"] == "C2"
    assert api.delete(f"/api/harbors/{harbor}/contexts/{ctx['id']}").status_code == 200
    assert api.get(f"/api/harbors/{harbor}/contexts/{ctx['id']}").status_code == 404
    assert api.get("/api/harbors/not-a-harbor/contexts").status_code == 404


def test_page_token_pagination(api: httpx.Client) -> None:
    created = api.post("/api/harbors", json={"name": "H", "backing_mode": "managed"}).json()["data"]
    harbor = created["harbor"]["id"]
    made = [created["api_key"]["id"]] + [
        api.post(f"/api/harbors/{harbor}/keys", json={}).json()["data"]["id"] for _ in range(5)
    ]
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params = {"limit": "2", **({"page_token": token} if token else {})}
        page = api.get(f"/api/harbors/{harbor}/keys", params=params).json()
        seen += [k["id"] for k in page["data"]]
        pages += 1
        token = page["pagination"]["next_page_token"]
        if not token:
            break
    assert seen == made and pages == 3
    assert api.get(f"/api/harbors/{harbor}/keys", params={"page_token": "garbage!"}).status_code == 400
