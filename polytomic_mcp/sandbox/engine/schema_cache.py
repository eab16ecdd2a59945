"""Connection schema caches: a refresh starts ``refreshing`` and turns ``fresh`` after the configured
delay, at which moment the schemas are read from the simulated world and kept until the next refresh."""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.errors import ApiError
from polytomic_mcp.sandbox.state.clock import iso
from polytomic_mcp.sandbox.state.runtime import Runtime
from polytomic_mcp.sandbox.state.store import Store
from polytomic_mcp.sandbox.world import files, salesforce

KIND = "schema_cache"
CONNECTION = "connection"


def begin(runtime: Runtime, org: str, connection_id: str) -> None:
    """Start a refresh: the cache reads ``refreshing`` until the configured delay has passed."""
    store = runtime.store
    with store.transaction():
        doc = store.get(org, CONNECTION, connection_id)
        if doc is None:
            return
        now = runtime.now(org)
        previous = doc.get("cache") or {}
        doc["cache"] = {
            "status": "refreshing",
            "started": now,
            "due": now + runtime.config.schema_cache_seconds,
            "finished": previous.get("finished"),
        }
        store.put(org, CONNECTION, connection_id, doc)
        store.mark_pending(org, KIND, connection_id)


def finish_now(runtime: Runtime, org: str, connection_id: str) -> None:
    """Finish a refresh in progress at once (seeded connections start with a fresh cache)."""
    store = runtime.store
    with store.transaction():
        doc = store.get(org, CONNECTION, connection_id)
        cache = (doc or {}).get("cache")
        if doc is None or not cache or cache.get("status") != "refreshing":
            return
        cache["due"] = runtime.now(org)
        store.put(org, CONNECTION, connection_id, doc)
    advance(runtime, org, connection_id)


def advance(runtime: Runtime, org: str, connection_id: str) -> None:
    """Finish a refresh whose time has come (called by ``catch_up`` when the tenant is observed)."""
    store = runtime.store
    with store.transaction():
        doc = store.get(org, CONNECTION, connection_id)
        cache = (doc or {}).get("cache") or {}
        if doc is None or cache.get("status") != "refreshing":
            store.clear_pending(org, KIND, connection_id)
            return
        if runtime.now(org) < cache["due"]:
            return
        snapshot = {"schemas": compute(runtime, org, doc), "refreshed_at": iso(cache["due"])}
        store.put(org, KIND, connection_id, snapshot)
        doc["cache"] = {**cache, "status": "fresh", "finished": cache["due"]}
        store.put(org, CONNECTION, connection_id, doc)
        store.clear_pending(org, KIND, connection_id)


def status_view(doc: dict[str, Any]) -> dict[str, Any]:
    cache = doc.get("cache") or {}
    return {
        "cache_status": cache.get("status"),
        "last_refresh_started": iso(cache.get("started")),
        "last_refresh_finished": iso(cache.get("finished")),
    }


def ready_schemas(store: Store, org: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The cached schemas; 400 ``cache refresh in progress`` while a refresh runs, as upstream does."""
    cache = doc.get("cache") or {}
    if doc["status"] != "healthy":
        raise ApiError(
            400,
            f"connection {doc['id']} is not healthy ({doc.get('status_error') or doc['status']})",
            "connection_unhealthy",
            {"connection_id": doc["id"]},
        )
    if cache.get("status") != "fresh":
        raise ApiError(
            400,
            f"connection {doc['id']}: cache refresh in progress; poll /api/connections/{doc['id']}/schemas/status",
            "schema_cache_refreshing",
            {"connection_id": doc["id"]},
        )
    snapshot = store.get(org, KIND, doc["id"]) or {}
    return list(snapshot.get("schemas", []))


def compute(runtime: Runtime, org: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """What the connection offers right now in the simulated world: for a file connection, the CSV
    files inside its folder, named relative to it."""
    store = runtime.store
    config = doc["configuration"]
    if doc["type"] in ("gcs", "s3"):
        location = files.connection_location(doc)
        skip = int(config.get("skip_lines") or 0)
        schemas = []
        for info in files.list_files(store, org, location.bucket, location.prefix):
            name = location.relative(info.key)
            if name is None or not name.lower().endswith(".csv"):
                continue
            columns = files.infer_columns(store, org, location.bucket, info.key, skip)
            schemas.append(
                {
                    "id": name,
                    "name": name,
                    "fields": [
                        {
                            "id": c.name,
                            "name": c.name,
                            "type": c.type,
                            "remote_type": "string",
                            "is_primary_key": False,
                            "user_managed": False,
                            "example": c.example,
                        }
                        for c in columns
                    ],
                }
            )
        return schemas
    if doc["type"] == "salesforce":
        domain = str(config["domain"]).lower()
        return [
            {
                "id": obj.name,
                "name": obj.label,
                "fields": [
                    {
                        "id": f.id,
                        "name": f.label,
                        "type": f.polytomic_type,
                        "remote_type": f.type,
                        "is_primary_key": f.id == "Id",
                        "user_managed": False,
                    }
                    for f in obj.fields
                ],
            }
            for obj in salesforce.list_objects(store, org, domain)
        ]
    return []
