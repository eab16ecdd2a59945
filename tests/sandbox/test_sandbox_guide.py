"""Polytomic's guide "Syncing contacts from Google Cloud Storage to Salesforce", sent verbatim.

Every request carries the guide's headers (``X-Polytomic-Version: 2024-02-08``) and its bodies
as printed: the ``https://`` Salesforce domain, the ``gcs://bucket/path`` bucket, the model key
relative to that path, ``"function": "equality"`` and ``"frequency": "Manual"``. Only the
guide's placeholders are filled in: the API key, the service-account key JSON and the ids
earlier steps answered. The sync then runs and the Contacts must be what the CSV says.
"""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from typing import Any

import httpx
import pytest
from sandbox_flows import SERVICE_ACCOUNT, advance

from polytomic_mcp.sandbox import RunningSandbox

KEY = "guide-key"
VERSION = "2024-02-08"
CSV_TEXT = resources.files("polytomic_mcp.sandbox.seeds").joinpath("high_paying_users.csv").read_text("utf-8")
EXISTING = [("grace.lovelace0@example.com", "Old", "Name0"), ("ALAN.SMITH33@example.com", "Old", "Name33")]
WORLD = {
    "buckets": [
        {
            "name": "mybucket",
            "files": [
                {"key": "mypath/high_paying_users.csv", "content": CSV_TEXT},
                {"key": "high_paying_users.csv", "content": "email,first_name,last_name\nroot@example.com,R,Oot\n"},
                {"key": "elsewhere/other.csv", "content": "email\nx@example.com\n"},
            ],
        }
    ],
    "salesforce": [
        {
            "domain": "example.my.salesforce.com",
            "objects": [
                {"name": "Contact", "records": [{"Email": e, "FirstName": f, "LastName": n} for e, f, n in EXISTING]},
                {"name": "Account", "records": [{"Name": "Acme Corp"}]},
            ],
        }
    ],
}


def guide_headers() -> dict[str, str]:
    """The headers every curl call of the guide sends."""
    return {
        "accept": "application/json",
        "content-type": "application/json",
        "X-Polytomic-Version": VERSION,
        "Authorization": f"Bearer {KEY}",
    }


def send(sandbox: RunningSandbox, method: str, path: str, body: str | None = None) -> httpx.Response:
    response = httpx.request(method, f"{sandbox.base_url}{path}", headers=guide_headers(), content=body, timeout=30)
    assert response.headers["x-polytomic-version"] == VERSION
    return response


@pytest.fixture
def world(sandbox: RunningSandbox) -> RunningSandbox:
    admin = {"Authorization": f"Bearer {KEY}"}
    loaded = httpx.post(f"{sandbox.base_url}/sandbox/seed", headers=admin, content=json.dumps(WORLD).encode())
    assert loaded.status_code == 200, loaded.text
    return sandbox


def expected_contacts() -> dict[str, tuple[str, str]]:
    """updateOrCreate on email over the CSV, worked out here: rows without a valid email fail,
    the last row of an email wins, existing contacts keep their first-created email spelling."""
    final = {email.casefold(): (first, last) for email, first, last in EXISTING}
    for row in csv.DictReader(io.StringIO(CSV_TEXT)):
        email = row["email"].strip()
        local, _, domain = email.partition("@")
        if not local or "@" in domain or "." not in domain[1:-1] or " " in email:
            continue
        key = email.casefold()
        last = row["last_name"].strip()
        if not last and key not in final:
            continue  # cannot create a Contact without LastName
        final[key] = (row["first_name"].strip(), last or final[key][1])  # an empty cell keeps LastName
    return final


def test_the_guide_verbatim_ends_with_the_right_contacts(world: RunningSandbox) -> None:
    client = httpx.Client(base_url=world.base_url, headers={"Authorization": f"Bearer {KEY}"})
    # 1. Create a Salesforce connection (the guide's body, byte for byte), then open auth_url.
    created = send(
        world,
        "POST",
        "/api/connections",
        '{"name": "Salesforce Connection","type": "salesforce", '
        '"configuration": {"domain": "https://example.my.salesforce.com"}}',
    )
    assert created.status_code == 200, created.text
    salesforce = created.json()["data"]
    assert salesforce["configuration"]["domain"] == "example.my.salesforce.com"
    assert httpx.get(salesforce["auth_url"]).status_code == 200
    # 2. Create a Google Cloud Storage connection; the bucket names a path inside the bucket.
    key_json = json.dumps(SERVICE_ACCOUNT)  # the guide's "service_account_json_key" placeholder
    created = send(
        world,
        "POST",
        "/api/connections",
        '{"name": "Google Cloud Storage Connection","type": "gcs", "configuration": { "service_account": '
        + key_json
        + ', "bucket": "gcs://mybucket/mypath"}}',
    )
    assert created.status_code == 200, created.text
    gcs = created.json()["data"]
    assert gcs["configuration"]["bucket"] == "mybucket/mypath"
    # 3. Verify connection readiness.
    for connection in (salesforce, gcs):
        for _ in range(10):
            status = send(world, "GET", f"/api/connections/{connection['id']}/schemas/status").json()["data"]
            if status["cache_status"] == "fresh":
                break
            advance(client, 1)
        assert status["cache_status"] == "fresh"
    # 4. Create a source model over the CSV: its key is relative to the connection's path.
    created = send(
        world,
        "POST",
        "/api/models",
        '{"name": "High paying users", "connection_id": "' + gcs["id"] + '", '
        '"configuration": {"model_from": "single_file", "key": "high_paying_users.csv"}}',
    )
    assert created.status_code == 200, created.text
    model = created.json()["data"]
    assert [f["name"] for f in model["fields"]][:3] == ["email", "first_name", "last_name"]
    # 5. List the target objects, then create the sync with the guide's spellings.
    objects = send(world, "GET", f"/api/connections/{salesforce['id']}/modelsync/targetobjects").json()["data"]
    assert "Contact" in [o["id"] for o in objects]
    source = '{"model_id": "' + model["id"] + '", "field": '
    created = send(
        world,
        "POST",
        "/api/syncs",
        '{"name": "GCS Contacts Sync", "mode": "updateOrCreate", '
        '"target": {"connection_id": "' + salesforce["id"] + '", "object": "Contact"}, '
        '"identity": {"source": ' + source + '"email"}, "target": "Email", "function": "equality"}, '
        '"fields": [{"source": ' + source + '"first_name"}, "target": "FirstName"}, '
        '{"source": ' + source + '"last_name"}, "target": "LastName"}], '
        '"schedule": {"frequency": "Manual"}}',
    )
    assert created.status_code == 200, created.text
    sync = created.json()["data"]
    assert sync["identity"]["function"] == "Equality" and sync["schedule"]["frequency"] == "manual"
    # Run it and read the Contacts.
    started = send(world, "POST", f"/api/syncs/{sync['id']}/executions", "{}")
    assert started.status_code == 200, started.text
    advance(client, 5)
    execution = send(world, "GET", f"/api/syncs/{sync['id']}/executions/{started.json()['data']['id']}")
    data = execution.json()["data"]
    assert data["status"] == "completed", data
    expected = expected_contacts()
    records = client.get(
        "/sandbox/salesforce/objects/Contact/records", params={"connection_id": salesforce["id"], "limit": 5000}
    ).json()["data"]["records"]
    got = {str(r["Email"]).strip().casefold(): (r["FirstName"] or "", r["LastName"]) for r in records}
    assert got == expected
    assert data["counts"]["total"] == len(list(csv.DictReader(io.StringIO(CSV_TEXT))))
    assert data["counts"]["insert"] == len(expected) - len(EXISTING)
    # The files outside the connection's path were never read.
    assert "root@example.com" not in got and "x@example.com" not in got


def test_the_guide_connections_reuse_across_spellings(world: RunningSandbox) -> None:
    """Every accepted spelling is stored as one normalised form, which is what a caller
    compares to find a connection it made before."""
    domains = [
        "https://example.my.salesforce.com",
        "https://Example.My.Salesforce.com/",
        "http://example.my.salesforce.com/lightning/page",
        " example.my.salesforce.com ",
        "example.my.salesforce.com:443",
    ]
    stored: set[Any] = set()
    for domain in domains:
        body = {"name": "sf", "type": "salesforce", "configuration": {"domain": domain}}
        response = send(world, "POST", "/api/connections", json.dumps(body))
        assert response.status_code == 200, (domain, response.text)
        stored.add(response.json()["data"]["configuration"]["domain"])
    buckets = ["gcs://mybucket/mypath", "gs://mybucket/mypath/", "GS://mybucket//mypath", "mybucket/mypath"]
    for bucket in buckets:
        body = {"name": "gcs", "type": "gcs", "configuration": {"service_account": SERVICE_ACCOUNT, "bucket": bucket}}
        response = send(world, "POST", "/api/connections", json.dumps(body))
        assert response.status_code == 200, (bucket, response.text)
        stored.add(response.json()["data"]["configuration"]["bucket"])
    assert stored == {"example.my.salesforce.com", "mybucket/mypath"}


@pytest.mark.parametrize(
    ("configuration", "field", "fragment"),
    [
        ({"type": "salesforce", "configuration": {"domain": "ftp://example.my.salesforce.com"}}, "domain", "ftp"),
        ({"type": "salesforce", "configuration": {"domain": "https://"}}, "domain", "not a host name"),
        (
            {"type": "salesforce", "configuration": {"domain": "https://other.my.salesforce.com"}},
            "domain",
            "no Salesforce org answers at 'other.my.salesforce.com'",
        ),
        ({"type": "gcs", "configuration": {"bucket": "s3://mybucket/mypath"}}, "bucket", "not a gcs location"),
        ({"type": "gcs", "configuration": {"bucket": "gs://"}}, "bucket", "name a bucket"),
        ({"type": "gcs", "configuration": {"bucket": "gs://mybucket/../etc"}}, "bucket", "'..'"),
        ({"type": "gcs", "configuration": {"bucket": "gs://nobucket/mypath"}}, "bucket", "does not exist"),
    ],
)
def test_unusable_locations_are_refused_and_change_nothing(
    world: RunningSandbox, configuration: dict[str, Any], field: str, fragment: str
) -> None:
    body = {"name": "bad", **configuration}
    if body["type"] == "gcs":
        body["configuration"]["service_account"] = SERVICE_ACCOUNT
    response = send(world, "POST", "/api/connections", json.dumps(body))
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["metadata"]["field"] == field and fragment in error["message"]
    assert send(world, "GET", "/api/connections").json()["data"] == []
