"""Every catalog operation answers over HTTP, and every answer fits the catalog's schemas.

Objects each operation needs are created first through the API itself; path parameters are
filled from them by the resource the path names. Creates run before reads, deletes last.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from sandbox_flows import (
    SEED_FILE,
    advance,
    create_gcs,
    create_model,
    create_salesforce,
    create_sync,
    wait_fresh,
)

from polytomic_mcp.catalog import Operation, load_catalog
from polytomic_mcp.sandbox import RunningSandbox
from polytomic_mcp.sandbox.http.routing import is_param, split_path
from polytomic_mcp.sandbox.http.shaping import synthesize

CATALOG = load_catalog()

# Values for required request members that have no semantics of their own.
BODY_HINTS: dict[str, Any] = {
    "name": "contract object",
    "email": "person@example.com",
    "endpoint": "https://hooks.example.com/polytomic",
    "secret": "webhook-signing-secret",
    "content": "Context body",
    "title": "A context",
    "query": "select 1",
    "sql_template": "select * from t where id = {{id}}",
    "backing_mode": "managed",
    "enabled": True,
    "active": True,
    "field": "bucket",
    "queries": ["list connections"],
    "execution_id": "prepared-execution",
    "operation_id": "create_record",
    "schema_id": SEED_FILE,
    "lookup_key_field": "email",
    "lookup_key_value": "someone@example.com",
    "input": {"email": "someone@example.com"},
    "lookup": {"field": "email", "query": "some"},
    "subject": {"type": "user", "id": "00000000-0000-0000-0000-000000000000"},
    "request": {"method": "GET", "path": "/services/data"},
}

# Operations that read objects the sandbox never creates by itself; they must answer a
# well-formed 404 (checked against the error schema).
EXPECTED_NOT_FOUND = {
    "activity_get": "the sandbox records no Harbor activity events",
    "model_sync_targets_get_create_property": "Salesforce targets cannot be created, so no property has values",
}


def _validate(schema: dict[str, Any], body: Any, where: str) -> None:
    errors = list(Draft202012Validator(schema).iter_errors(body))
    assert not errors, f"{where}: {errors[0].message} at {list(errors[0].absolute_path)}"


# Deletes run deepest path first; dependants go before what they depend on.
LAST_DELETES = ("model_sync_delete", "bulk_sync_delete", "models_delete", "connections_delete", "organization_delete")


def _order(op: Operation) -> tuple[int, int]:
    if op.method == "DELETE":
        if op.name in LAST_DELETES:
            return (4, LAST_DELETES.index(op.name))
        return (3, -len(split_path(op.path)))
    if op.name.endswith("cancel"):
        return (2, 0)
    return (0, 0) if op.method == "POST" else (1, 0)


class World:
    """Ids of the objects created for the run, looked up by the path segment naming them."""

    def __init__(self, client: httpx.Client, raw_client: httpx.Client) -> None:
        self.client = client
        self.raw = raw_client
        self.ids: dict[str, str] = {}

    def post(self, path: str, body: Any, key: str) -> dict[str, Any]:
        response = self.client.post(path, json=body)
        assert response.status_code < 300, (path, response.text)
        data = response.json()["data"]
        self.ids[key] = data["id"]
        return dict(data)

    def build(self) -> None:
        c = self.client
        gcs = create_gcs(c)
        sf = create_salesforce(c)
        self.ids.update(connection=gcs["id"], salesforce=sf["id"])
        wait_fresh(c, gcs["id"])
        wait_fresh(c, sf["id"])
        model = create_model(c, gcs["id"])
        self.ids["model"] = model["id"]
        sync = create_sync(c, model["id"], sf["id"])
        self.ids["sync"] = sync["id"]
        started = c.post(f"/api/syncs/{sync['id']}/executions", json={})
        assert started.status_code == 200, started.text
        self.ids["execution"] = started.json()["data"]["id"]
        job = c.post(
            "/api/models?async=true",
            json={
                "name": "async",
                "connection_id": gcs["id"],
                "configuration": {"model_from": "single_file", "key": SEED_FILE},
            },
        )
        assert job.status_code == 200, job.text
        self.ids["job"] = job.json()["job"]["job_id"]
        bulk = self.post(
            "/api/bulk/syncs",
            {
                "name": "GCS to Salesforce bulk",
                "source_connection_id": sf["id"],
                "destination_connection_id": gcs["id"],
                "destination_configuration": {"format": "csv"},
                "default_schedule": {"frequency": "manual"},
            },
            "bulk",
        )
        started_bulk = c.post(f"/api/bulk/syncs/{bulk['id']}/executions", json={})
        assert started_bulk.status_code == 200, started_bulk.text
        self.ids["bulk_execution"] = started_bulk.json()["data"]["id"]
        schedule = c.post(
            f"/api/bulk/syncs/{bulk['id']}/schedules", json={"schedule": {"frequency": "daily", "hour": "05"}}
        )
        assert schedule.status_code == 200, schedule.text
        self.ids["schedule"] = schedule.json()["data"]["id"]
        schemas = c.get(f"/api/bulk/syncs/{bulk['id']}/schemas").json()["data"]
        self.ids["bulk_schema"] = schemas[0]["id"] if schemas else "Contact"
        made = c.post("/api/harbors", json={"name": "Harbor", "backing_mode": "managed"})
        assert made.status_code == 200, made.text
        h = self.ids["harbor"] = made.json()["data"]["harbor"]["id"]
        self.post(f"/api/harbors/{h}/contexts", {"title": "ctx", "content": "text"}, "context")
        self.post(f"/api/harbors/{h}/keys", {}, "harbor_key")
        self.post(f"/api/harbors/{h}/saved-queries", {"name": "q", "sql_template": "select 1"}, "saved_query")
        self.post(f"/api/harbors/{h}/users", {"email": "harbor-user@example.com"}, "harbor_user")
        self.post("/api/webhooks", {"endpoint": "https://hooks.example.com", "secret": "s3cret-value"}, "webhook")
        self.post("/api/permissions/policies", {"name": "policy"}, "policy")
        self.post("/api/permissions/roles", {"name": "role"}, "role")
        self.post("/api/organizations", {"name": "child org"}, "organization")
        self.post(f"/api/organizations/{self.ids['organization']}/users", {"email": "u@example.com"}, "org_user")
        self.post("/api/organization/users", {"email": "me@example.com"}, "current_user")
        field = c.post(
            f"/api/connections/{gcs['id']}/schemas/{SEED_FILE}/fields",
            json={"fields": [{"field_id": "score", "label": "Score", "type": "number"}]},
        )
        assert field.status_code < 300, field.text
        self.ids["field"] = "score"
        query = c.post(f"/api/connections/{gcs['id']}/query?query=select%201", json={})
        assert query.status_code == 200, query.text
        self.ids["query"] = query.json()["data"]["id"]
        session = self.client.post("/api/harbor/sessions", json={})
        assert session.status_code < 300, session.text
        self.ids["session"] = session.json()["data"].get("id") or session.json()["data"].get("session_id") or "session"

    def path_for(self, op: Operation) -> str:
        segments = split_path(op.path)
        bulk = op.path.startswith("/api/bulk")
        out: list[str] = []
        for index, segment in enumerate(segments):
            if not is_param(segment):
                out.append(segment)
                continue
            out.append(self._value(op, segment[1:-1], segments[index - 1], bulk))
        return "/" + "/".join(out)

    def _value(self, op: Operation, name: str, before: str, bulk: bool) -> str:
        ids = self.ids
        special = {
            ("jobs_get", "type"): "createmodel",
            ("jobs_get", "id"): ids["job"],
            ("model_sync_executions_get_log_urls", "type"): "records",
            ("model_sync_executions_get_logs", "type"): "records",
            ("model_sync_executions_get_logs", "filename"): "records-0001.json",
            ("model_sync_targets_get_create_property", "property"): "object_type",
            ("entities_get", "id"): ids["sync"],
            ("entities_get_for_partner", "id"): ids["model"],
        }
        if (op.name, name) in special:
            return special[(op.name, name)]
        by_segment = {
            "connections": ids["connection"],
            "models": ids["model"],
            "bulk": ids["bulk"],
            "entities": ids["sync"],
            "connection_types": "gcs",
            "enrichment": ids["connection"],
            "syncs": ids["bulk"] if bulk else ids["sync"],
            "executions": ids["bulk_execution"] if bulk else ids["execution"],
            "schedules": ids["schedule"],
            "schemas": ids["bulk_schema"] if bulk else SEED_FILE,
            "fields": ids["field"],
            "harbors": ids["harbor"],
            "contexts": ids["context"],
            "keys": ids["harbor_key"],
            "saved-queries": ids["saved_query"],
            "users": ids["harbor_user"],
            "organizations": ids["organization"],
            "webhooks": ids["webhook"],
            "policies": ids["policy"],
            "roles": ids["role"],
            "queries": ids["query"],
            "sessions": ids["session"],
            "harbor-activity": "no-such-event",
            "action-executions": "no-such-execution",
            "versions": ids.get("version", "none"),
        }
        value = by_segment.get(before)
        if before == "users" and op.path.startswith("/api/organization/"):
            value = ids["current_user"]
        elif before == "users" and op.path.startswith("/api/organizations/"):
            value = ids["org_user"]
        elif before == "connections" and "/shared" in op.path and op.path.startswith("/api/organizations"):
            value = ids["connection"]
        assert value is not None, f"no value for {{{name}}} after {before!r} in {op.path}"
        return value

    def body_for(self, op: Operation) -> Any:
        if op.request_body is None:
            return {} if op.method in ("POST", "PUT", "PATCH") else None
        overrides = {
            "connections_create": {
                "name": "Another GCS",
                "type": "gcs",
                "configuration": json.loads(
                    json.dumps({"service_account": '{"type": "service_account"}', "bucket": "sandbox-exports"})
                ),
            },
            "connections_update": {
                "name": "Renamed GCS",
                "configuration": {"service_account": '{"type": "service_account"}', "bucket": "sandbox-exports"},
            },
            "connections_test_connection": {
                "type": "gcs",
                "configuration": {"service_account": '{"type": "service_account"}', "bucket": "sandbox-exports"},
            },
            "connections_connect": {"name": "Connect", "redirect_url": "https://app.example.com/back", "type": "gcs"},
            "models_create": {
                "name": "m",
                "connection_id": self.ids["connection"],
                "configuration": {"model_from": "single_file", "key": SEED_FILE},
            },
            "models_update": {
                "name": "m2",
                "connection_id": self.ids["connection"],
                "configuration": {"model_from": "single_file", "key": SEED_FILE},
            },
            "models_preview": {
                "name": "p",
                "connection_id": self.ids["connection"],
                "configuration": {"model_from": "single_file", "key": SEED_FILE},
            },
            "model_sync_create": _sync_body(self.ids),
            "model_sync_update": _sync_body(self.ids),
            "bulk_sync_create": {
                "name": "b",
                "source_connection_id": self.ids["salesforce"],
                "destination_connection_id": self.ids["connection"],
                "destination_configuration": {},
                "default_schedule": {"frequency": "manual"},
            },
            "bulk_sync_update": {
                "name": "b2",
                "source_connection_id": self.ids["salesforce"],
                "destination_connection_id": self.ids["connection"],
                "destination_configuration": {},
                "default_schedule": {"frequency": "daily", "hour": "03", "minute": "00"},
            },
            "bulk_sync_schedules_update": {"schedule": {"frequency": "weekly", "dayOfWeek": "monday", "hour": "04"}},
            "connections_shared_connections_create_shared_connection": {
                "child_organization_id": self.ids["organization"]
            },
            "schemas_upsert_field": {"fields": [{"field_id": "score2", "label": "Score 2", "type": "number"}]},
            "schemas_set_primary_keys": {"fields": [{"field_id": "email", "is_primary_key": True}]},
            "schemas_patch_field": {"label": "Renamed score"},
            "model_sync_start": {},
            "bulk_sync_start": {},
        }
        if op.name in overrides:
            return overrides[op.name]
        return synthesize(op.request_body, op.request_body, BODY_HINTS)


def _sync_body(ids: dict[str, str]) -> dict[str, Any]:
    from sandbox_flows import sync_body

    return sync_body(ids["model"], ids["salesforce"])


def test_route_table_covers_every_operation() -> None:
    assert len(CATALOG.operations) == 198


def test_every_operation_answers_and_fits_its_schema(sandbox: RunningSandbox) -> None:
    headers = {"Authorization": "Bearer contract-key"}
    with (
        httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=30) as client,
        httpx.Client(base_url=sandbox.base_url, timeout=30) as raw,
    ):
        world = World(client, raw)
        world.build()
        advance(client, 60)
        answered: set[str] = set()
        promoted = client.post(
            f"/api/harbors/{world.ids['harbor']}/contexts/{world.ids['context']}/draft/promote", json={}
        )
        assert promoted.status_code == 200, promoted.text
        world.ids["version"] = promoted.json()["data"].get("id") or "v1"
        for op in sorted(CATALOG.operations, key=_order):
            advance(client, 5)  # let refreshes, jobs and executions started by earlier calls finish
            if op.name in ("model_sync_cancel", "model_sync_executions_cancel"):
                fresh = client.post(f"/api/syncs/{world.ids['sync']}/executions", json={})
                assert fresh.status_code == 200, fresh.text
                world.ids["execution"] = fresh.json()["data"]["id"]
            if op.name in ("bulk_sync_cancel", "bulk_sync_executions_cancel", "bulk_sync_schemas_cancel"):
                fresh = client.post(f"/api/bulk/syncs/{world.ids['bulk']}/executions", json={})
                assert fresh.status_code == 200, fresh.text
                world.ids["bulk_execution"] = fresh.json()["data"]["id"]
            if op.name == "models_delete":
                for other in client.get("/api/syncs").json()["data"]:
                    assert client.delete(f"/api/syncs/{other['id']}").status_code == 204
            path = world.path_for(op)
            params: dict[str, Any] = {}
            required_query = {
                "start_time": "2025-12-31T00:00:00Z",
                "end_time": "2026-01-02T00:00:00Z",
                "connection_id": world.ids["connection"],
                "schema_id": SEED_FILE,
                "operation_id": "create_record",
            }
            for param in op.query_params:
                if param.required:
                    params[param.name] = required_query[param.name]
            if op.name == "query_runner_run_query":
                params["query"] = "select 1"
            if op.name == "connections_delete":
                params["force"] = "true"  # models and bulk syncs made by earlier calls still use it
            if op.name in ("model_sync_get_source_fields", "model_sync_get_source", "models_get_enrichment_source"):
                params["params[key]"] = SEED_FILE
            if op.name == "model_sync_targets_get_target_fields":
                params["target"] = "Contact"
            if op.name == "bulk_sync_executions_list_status":
                params["all"] = "true"
            if op.name in (
                "model_sync_targets_get_target_fields",
                "model_sync_targets_list",
                "model_sync_targets_get_create_property",
            ):
                path = path.replace(world.ids["connection"], world.ids["salesforce"])
            response = client.request(op.method, path, params=params, json=world.body_for(op), follow_redirects=False)
            where = f"{op.name} {op.method} {path} -> {response.status_code}"
            if op.name in EXPECTED_NOT_FOUND:
                assert response.status_code == 404, where
                _validate(CATALOG.error_schema, response.json(), where)
                answered.add(op.name)
                continue
            assert response.status_code < 400, f"{where}: {response.text}"
            assert response.headers["x-polytomic-version"] == "2025-09-18", where
            if op.response_body is not None:
                assert response.headers["content-type"].startswith("application/json"), where
                _validate(op.response_body, response.json(), where)
            elif response.content:
                assert response.status_code in (301, 302, 303, 307), f"{where}: unexpected body {response.text[:200]}"
            answered.add(op.name)
        assert answered == {op.name for op in CATALOG.operations}
