"""Seed sections that pre-create API objects: ``connections`` (OAuth ones already authorized),
``models`` and ``syncs``, so a scenario can start from a world that is already set up.

Each object is created through the sandbox's own handler for the API operation, with the
same validation as a request, in the tenant being seeded; its schema cache is made fresh at
once. Objects name each other by ``name`` (a model's ``connection``, a sync's ``model`` and
``target.connection``)::

    connections:
      - {name: GCS drop, type: gcs, configuration: {service_account: "{}", bucket: sandbox-exports}}
      - {name: Salesforce, type: salesforce, configuration: {domain: acme.my.salesforce.com}}
    models:
      - {name: Users, connection: GCS drop, configuration: {model_from: single_file, key: users.csv}}
    syncs:
      - name: Users to Contacts
        model: Users
        target: {connection: Salesforce, object: Contact}
        mode: updateOrCreate
        identity: {source: email, target: Email}
        fields: [{source: first_name, target: FirstName}]

A problem is a 400 naming the section, the object and the member (``syncs[0] (Users to
Contacts).model``), with the handler's own message when the API would refuse the object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from polytomic_mcp.sandbox.engine import oauth, schema_cache
from polytomic_mcp.sandbox.errors import ApiError, bad_request
from polytomic_mcp.sandbox.http.context import Call, Tenant
from polytomic_mcp.sandbox.http.validation import check_body

if TYPE_CHECKING:
    from polytomic_mcp.sandbox.http.app import SandboxApp

SECTIONS = ("connections", "models", "syncs")
SEED_BASE_URL = "http://sandbox.seed"  # only ever in auth_urls that are authorized at once


def has_objects(document: dict[str, Any]) -> bool:
    return any(document.get(section) for section in SECTIONS)


class _Seeding:
    def __init__(self, sandbox: SandboxApp, org: str) -> None:
        self.sandbox = sandbox
        self.org = org
        self.ids: dict[str, dict[str, str]] = {section: {} for section in SECTIONS}

    def create(self, where: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        op = self.sandbox.runtime.catalog.get(operation)
        try:
            checked = check_body(op, body)
        except ApiError as error:
            field = error.metadata.get("field")
            raise bad_request(f"{where}{'.' + str(field) if field else ''}: {error.message}", where) from None
        call = Call(
            runtime=self.sandbox.runtime,
            op=op,
            tenant=Tenant(self.org, "seed", "seed"),
            path={},
            query={},
            body=checked,
            headers={},
            base_url=SEED_BASE_URL,
            version=self.sandbox.default_version,
        )
        reply = self.sandbox.handle(call)  # no catch-up: seeding runs inside one transaction
        if reply.status >= 400:
            message = (reply.body or {}).get("message", "refused") if isinstance(reply.body, dict) else "refused"
            raise bad_request(f"{where}: {message}", where)
        return dict(reply.body["data"])

    def lookup(self, section: str, where: str, name: Any) -> str:
        if not isinstance(name, str) or name not in self.ids[section]:
            known = ", ".join(sorted(self.ids[section])) or "none"
            raise bad_request(f"{where}: no {section[:-1]} named {name!r} earlier in the seed (seeded: {known})", where)
        return self.ids[section][name]


def _entries(document: dict[str, Any], section: str) -> list[tuple[str, dict[str, Any]]]:
    value = document.get(section) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise bad_request(f"seed {section} must be a list of mappings", section)
    out = []
    for index, entry in enumerate(value):
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request(f"{section}[{index}].name: every seeded object needs a name", section)
        out.append((f"{section}[{index}] ({name})", entry))
    return out


def apply(sandbox: SandboxApp, org: str, document: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Create the seed's objects in the tenant; returns their ids by section and name. Callers run
    it inside one store transaction, so a seed refused half-way leaves nothing behind."""
    seeding = _Seeding(sandbox, org)
    runtime = sandbox.runtime
    for where, entry in _entries(document, "connections"):
        authorized = entry.get("authorized", True)
        if not isinstance(authorized, bool):
            raise bad_request(f"{where}.authorized: expected true or false", "connections")
        body = {k: v for k, v in entry.items() if k != "authorized"}
        created = seeding.create(where, "connections_create", body)
        connection_id = str(created["id"])
        state = oauth.state_of(runtime, org, connection_id)
        if state is not None and authorized:
            oauth.claim(runtime, state)
            oauth.authorize(runtime, org, connection_id)
        schema_cache.finish_now(runtime, org, connection_id)
        seeding.ids["connections"][str(entry["name"])] = connection_id
    for where, entry in _entries(document, "models"):
        body = {k: v for k, v in entry.items() if k != "connection"}
        body["connection_id"] = seeding.lookup("connections", f"{where}.connection", entry.get("connection"))
        seeding.ids["models"][str(entry["name"])] = str(seeding.create(where, "models_create", body)["id"])
    for where, entry in _entries(document, "syncs"):
        seeding.ids["syncs"][str(entry["name"])] = str(
            seeding.create(where, "model_sync_create", _sync_body(seeding, where, entry))["id"]
        )
    return seeding.ids


def _sync_body(seeding: _Seeding, where: str, entry: dict[str, Any]) -> dict[str, Any]:
    model_id = seeding.lookup("models", f"{where}.model", entry.get("model"))
    target = entry.get("target")
    if not isinstance(target, dict):
        raise bad_request(f"{where}.target: expected {{connection: <name>, object: <object>}}", "syncs")
    connection_id = seeding.lookup("connections", f"{where}.target.connection", target.get("connection"))

    def source(field: Any, member: str) -> dict[str, Any]:
        if not isinstance(field, str) or not field:
            raise bad_request(f"{where}.{member}: expected the name of a model field", "syncs")
        return {"model_id": model_id, "field": field}

    identity = entry.get("identity")
    body: dict[str, Any] = {k: v for k, v in entry.items() if k not in ("model", "target", "identity", "fields")}
    body.setdefault("schedule", {"frequency": "manual"})
    body.setdefault("active", True)
    body["target"] = {**{k: v for k, v in target.items() if k != "connection"}, "connection_id": connection_id}
    if identity is not None:
        if not isinstance(identity, dict):
            raise bad_request(f"{where}.identity: expected {{source, target, function}}", "syncs")
        body["identity"] = {
            "function": "Equality",
            **identity,
            "source": source(identity.get("source"), "identity.source"),
        }
    fields = entry.get("fields") or []
    if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
        raise bad_request(f"{where}.fields: expected a list of {{source, target}}", "syncs")
    body["fields"] = [{**f, "source": source(f.get("source"), f"fields[{i}].source")} for i, f in enumerate(fields)]
    return body
