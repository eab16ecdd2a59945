"""Connections and connection types: configuration checks against the simulated world, OAuth
through the sandbox's own consent page, secrets masked on every read."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from polytomic_mcp.sandbox.engine import oauth, schema_cache
from polytomic_mcp.sandbox.errors import ApiError, bad_request, not_found
from polytomic_mcp.sandbox.http.context import Call, Reply, envelope, handles
from polytomic_mcp.sandbox.http.validation import check_against
from polytomic_mcp.sandbox.world import files, salesforce
from polytomic_mcp.sandbox.world.connection_types import TYPES, ConnectionType

KIND = "connection"
MASK = "********"
NOT_AUTHORIZED = "authorization required: open auth_url to connect this account"


# -- configuration ---------------------------------------------------------------------------


def connection_type(type_id: str) -> ConnectionType:
    found = TYPES.get(type_id)
    if found is None:
        raise bad_request(f"unknown connection type {type_id!r}; known: {', '.join(sorted(TYPES))}", "type")
    return found


def mask(schema: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Configuration with every member marked sensitive (at any depth) replaced by a mask."""
    props = schema.get("properties", {})
    out: dict[str, Any] = {}
    for key, value in config.items():
        member = props.get(key, {})
        if member.get("hidden") and member.get("sensitive"):
            continue
        if member.get("sensitive"):
            out[key] = MASK if value not in (None, "") else value
        elif isinstance(value, dict) and member.get("type") == "object":
            out[key] = mask(member, value)
        else:
            out[key] = value
    return out


def _writable(kind: ConnectionType, config: dict[str, Any]) -> dict[str, Any]:
    """Drops read-only members a caller may send back from an earlier read."""
    return {k: v for k, v in config.items() if k not in kind.read_only}


def _check_world(call: Call, kind: ConnectionType, config: dict[str, Any]) -> dict[str, Any]:
    """Validates against the simulated upstream; returns the members it normalised (bucket,
    domain) and the read-only members it learnt."""
    learnt: dict[str, Any] = {}
    if kind.id == "gcs":
        try:
            account = json.loads(str(config["service_account"]))
        except ValueError:
            raise bad_request(
                "service_account is not valid JSON: paste the whole service-account key file", "service_account"
            ) from None
        if not isinstance(account, dict):
            raise bad_request("service_account must be a JSON object (a service-account key file)", "service_account")
        learnt["bucket"] = _readable_bucket(call, config, kind.id, "the service account")
        learnt["project_id"] = str(account.get("project_id") or "")
        learnt["client_email"] = str(account.get("client_email") or "")
    elif kind.id == "s3":
        if config.get("auth_mode", "access_key_and_secret") == "access_key_and_secret":
            for member in ("aws_access_key_id", "aws_secret_access_key"):
                if not config.get(member):
                    raise bad_request(f"{member} is required with access_key_and_secret", member)
        elif not config.get("iam_role_arn"):
            raise bad_request("iam_role_arn is required with iam_role", "iam_role_arn")
        learnt["s3_bucket_name"] = _readable_bucket(call, config, kind.id, "the credentials")
        learnt["external_id"] = call.org
    elif kind.id == "salesforce":
        try:
            domain = salesforce.normalize_domain(str(config["domain"]))
        except ValueError as exc:
            raise bad_request(f"domain: {exc}", "domain") from None
        if not salesforce.org_exists(call.store, call.org, domain):
            raise bad_request(f"no Salesforce org answers at {domain!r}", "domain")
        learnt["domain"] = domain
        mode = config.get("connect_mode", "browser")
        if mode in ("clientcredentials", "api") and not (config.get("client_id") and config.get("client_secret")):
            raise bad_request(f"client_id and client_secret are required with connect_mode {mode}", "client_id")
    elif kind.id == "postgresql" and config.get("ssh") and not config.get("ssh_host"):
        raise bad_request("ssh_host is required when ssh is on", "ssh_host")
    return learnt


def _location(config: dict[str, Any], connection_type: str) -> files.Location:
    member = files.BUCKET_MEMBER[connection_type]
    try:
        return files.parse_location(str(config[member]), connection_type)
    except ValueError as exc:
        raise bad_request(f"{member}: {exc}", member) from None


def _readable_bucket(call: Call, config: dict[str, Any], connection_type: str, reader: str) -> str:
    """The configured bucket location, once the bucket is known to exist (else a 400 naming its member)."""
    location = _location(config, connection_type)
    if not files.bucket_exists(call.store, call.org, location.bucket):
        raise bad_request(
            f"bucket {location.bucket!r} does not exist or {reader} cannot read it",
            files.BUCKET_MEMBER[connection_type],
        )
    return location.text


def validated_configuration(call: Call, kind: ConnectionType, config: dict[str, Any]) -> dict[str, Any]:
    config = _writable(kind, config)
    schema = {k: v for k, v in kind.schema.items() if k != "$schema"}
    try:
        check_against(schema, config)
    except ApiError as error:
        field = error.metadata.get("field")
        raise ApiError(
            400,
            f"configuration.{error.message}",
            error.key,
            {"field": f"configuration.{field}" if field else "configuration"},
        ) from None
    return {**config, **_check_world(call, kind, config)}


def needs_oauth(kind: ConnectionType, config: dict[str, Any]) -> bool:
    return kind.use_oauth and config.get("connect_mode", "browser") in ("browser", "code")


# -- views -----------------------------------------------------------------------------------


def public_view(call: Call, doc: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    kind = TYPES[doc["type"]]
    view: dict[str, Any] = {
        "id": doc["id"],
        "name": doc["name"],
        "organization_id": call.org,
        "type": kind.summary(call.base_url),
        "configuration": mask(kind.schema, doc["configuration"]),
        "status": doc["status"],
        "status_error": doc.get("status_error"),
        "saved": True,
        "policies": doc.get("policies", []),
        "healthcheck_interval": doc.get("healthcheck_interval"),
    }
    if full:
        view.update(
            api_calls_last_24_hours=int(doc.get("api_calls", 0)),
            created_at=doc["created_at"],
            updated_at=doc["updated_at"],
            created_by=call.actor,
            rate_limit={"currently_limited": False},
        )
    return view


def load(call: Call, connection_id: str) -> dict[str, Any]:
    return call.document(KIND, connection_id, "connection")


def require_healthy(doc: dict[str, Any]) -> None:
    if doc["status"] != "healthy":
        raise ApiError(
            400,
            f"connection {doc['id']} is not healthy ({doc.get('status_error') or doc['status']})",
            "connection_unhealthy",
            {"connection_id": doc["id"], "status": doc["status"]},
        )


def _start_oauth(call: Call, doc: dict[str, Any]) -> str:
    state = oauth.begin(call.runtime, call.org, doc["id"])
    return f"{call.base_url}/sandbox/oauth/authorize?{urlencode({'state': state, 'connection': doc['name']})}"


# -- handlers --------------------------------------------------------------------------------


@handles("connections_get_types")
def list_types(call: Call) -> Reply:
    return envelope(call, [t.listing(call.base_url) for t in TYPES.values()])


@handles("connections_get_connection_type_schema")
def type_schema(call: Call) -> Reply:
    kind = TYPES.get(call.path["id"])
    if kind is None:
        raise not_found("connection type", call.path["id"])
    return Reply(body=kind.schema)


@handles("connections_get_type_parameter_values")
def type_parameter_values(call: Call) -> Reply:
    kind = TYPES.get(call.path["type"])
    if kind is None:
        raise not_found("connection type", call.path["type"])
    field = call.body_dict()["field"]
    values: list[dict[str, str]] = []
    if kind.id in ("gcs", "s3") and field in ("bucket", "s3_bucket_name"):
        prefix = f"tenant:{call.org}:bucket:"
        with call.store.lock:
            rows = call.store.conn.execute("SELECT key FROM meta WHERE key LIKE ? ORDER BY key", (prefix + "%",))
            names = [str(r[0])[len(prefix) :] for r in rows]
        values = [{"label": n, "value": n} for n in names]
    elif field in kind.schema.get("properties", {}) and "enum" in kind.schema["properties"][field]:
        values = [{"label": v, "value": v} for v in kind.schema["properties"][field]["enum"]]
    return envelope(call, {field: {"values": values, "allows_creation": False}})


@handles("connections_create")
def create(call: Call) -> Reply:
    body = call.body_dict()
    kind = connection_type(body["type"])
    config = validated_configuration(call, kind, dict(body["configuration"]))
    now = call.now_iso()
    doc: dict[str, Any] = {
        "id": call.new_id(),
        "name": body["name"],
        "type": kind.id,
        "configuration": config,
        "policies": body.get("policies", []),
        "healthcheck_interval": body.get("healthcheck_interval"),
        "redirect_url": body.get("redirect_url"),
        "created_at": now,
        "updated_at": now,
        "status": "healthy",
        "status_error": None,
    }
    auth_url = None
    if needs_oauth(kind, config):
        doc.update(status="unhealthy", status_error=NOT_AUTHORIZED)
        auth_url = _start_oauth(call, doc)
    return _save_and_answer(call, doc, auth_url)


def _save_and_answer(call: Call, doc: dict[str, Any], auth_url: str | None) -> Reply:
    """Store a created or updated connection; a healthy one starts caching its schemas."""
    call.store.put(call.org, KIND, doc["id"], doc)
    if doc["status"] == "healthy":
        schema_cache.begin(call.runtime, call.org, doc["id"])
    view = public_view(call, doc, full=False)
    if auth_url:
        view["auth_url"] = auth_url
    return envelope(call, view)


@handles("connections_get")
def get(call: Call) -> Reply:
    return envelope(call, public_view(call, load(call, call.path["id"])))


@handles("connections_list")
def list_all(call: Call) -> Reply:
    return envelope(call, [public_view(call, d) for d in call.store.list(call.org, KIND)])


@handles("connections_update")
def update(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    body = call.body_dict()
    if body.get("type") not in (None, doc["type"]):
        raise bad_request("a connection's type cannot change", "type")
    kind = TYPES[doc["type"]]
    incoming = dict(body["configuration"])
    # Masked values sent back unchanged mean "keep the stored secret".
    for key in kind.sensitive:
        if incoming.get(key) == MASK and key in doc["configuration"]:
            incoming[key] = doc["configuration"][key]
    preserved = {k: v for k, v in doc["configuration"].items() if k == "oauth_refresh_token"}
    config = {**preserved, **validated_configuration(call, kind, incoming)}
    doc.update(
        name=body["name"],
        configuration=config,
        policies=body.get("policies", doc.get("policies", [])),
        healthcheck_interval=body.get("healthcheck_interval", doc.get("healthcheck_interval")),
        updated_at=call.now_iso(),
    )
    auth_url = None
    if body.get("reconnect") and needs_oauth(kind, config):
        doc.update(status="unhealthy", status_error=NOT_AUTHORIZED)
        auth_url = _start_oauth(call, doc)
    return _save_and_answer(call, doc, auth_url)


def dependants(call: Call, connection_id: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for model in call.store.list(call.org, "model"):
        if model.get("connection_id") == connection_id:
            found.append(("model", model))
    for sync in call.store.list(call.org, "sync"):
        if sync.get("target", {}).get("connection_id") == connection_id:
            found.append(("sync", sync))
    for bulk in call.store.list(call.org, "bulk_sync"):
        if connection_id in (bulk.get("source_connection_id"), bulk.get("destination_connection_id")):
            found.append(("bulk_sync", bulk))
    return found


@handles("connections_delete")
def delete(call: Call) -> Reply:
    doc = load(call, call.path["id"])
    users = dependants(call, doc["id"])
    if users and not call.query.get("force"):
        names = ", ".join(f"{kind} {d.get('name') or d['id']}" for kind, d in users[:5])
        raise ApiError(
            422,
            f"connection in use by {names}; delete them first or pass force=true",
            "connection_in_use",
            {"dependants": [d["id"] for _, d in users]},
        )
    for kind, dependant in users:
        call.store.delete(call.org, kind, dependant["id"])
    call.store.delete(call.org, KIND, doc["id"])
    call.store.delete(call.org, schema_cache.KIND, doc["id"])
    return Reply(status=204)


@handles("connections_test_connection")
def test_connection(call: Call) -> Reply:
    body = call.body_dict()
    kind = connection_type(body["type"])
    config = dict(body["configuration"])
    if body.get("connection_id"):
        stored = load(call, body["connection_id"])
        config = {**stored["configuration"], **config}
    validated_configuration(call, kind, config)
    return Reply(status=204)
