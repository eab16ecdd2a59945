"""Who the caller is, their organization, partner organizations and minted user keys."""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.errors import not_found
from polytomic_mcp.sandbox.http.context import Call, Reply, envelope, handles
from polytomic_mcp.sandbox.http.tenancy import record_child_org, register_minted_key


def own_organization(call: Call) -> dict[str, Any]:
    doc = call.store.get(call.org, "organization", call.org)
    if doc is None:
        now = call.now_iso()
        doc = {"id": call.org, "name": "Sandbox organization", "created_at": now, "updated_at": now}
        call.store.put(call.org, "organization", call.org, doc)
    return doc


@handles("identity_get")
def who_am_i(call: Call) -> Reply:
    org = own_organization(call)
    return envelope(
        call,
        {
            "id": call.tenant.key_fingerprint,
            "email": "sandbox@example.com",
            "is_user": call.tenant.credential == "bearer",
            "is_partner": call.tenant.credential == "basic",
            "is_organization": False,
            "is_system": False,
            "organization_id": call.org,
            "organization_name": org["name"],
            "role": "admin",
            "credential": {"method": call.tenant.credential, "mode": "read-write"},
        },
    )


@handles("organization_get_current")
def current_organization(call: Call) -> Reply:
    return envelope(call, own_organization(call))


@handles("organization_list")
def list_organizations(call: Call) -> Reply:
    own = own_organization(call)
    children = [d for d in call.store.list(call.org, "organization") if d["id"] != call.org]
    return envelope(call, [own, *children])


@handles("organization_create")
def create_organization(call: Call) -> Reply:
    now = call.now_iso()
    doc = {**call.body_dict(), "id": call.new_id(), "created_at": now, "updated_at": now}
    call.store.put(call.org, "organization", doc["id"], doc)
    record_child_org(call.store, call.org, doc["id"])
    return envelope(call, doc)


@handles("users_create_api_key")
def mint_user_key(call: Call) -> Reply:
    org_id, user_id = call.path["org_id"], call.path["id"]
    known_org = org_id == call.org or call.store.get(call.org, "organization", org_id) is not None
    if not known_org:
        raise not_found("organization", org_id)
    if call.store.get(call.org, "/api/organizations/{}/users", user_id) is None:
        raise not_found("user", user_id)
    key = "sbx_" + call.token(24)
    register_minted_key(call.store, key, org_id)
    return envelope(call, {"value": key})
