"""OAuth of browser-mode connections (Salesforce, HubSpot): a pending authorization per
connection, completed by the consent page (a browser opening ``auth_url``) or by the admin
route ``POST /sandbox/oauth/approve`` (a harness standing in for the user)."""

from __future__ import annotations

import json
from typing import Any

from polytomic_mcp.sandbox.engine import schema_cache
from polytomic_mcp.sandbox.state.clock import iso
from polytomic_mcp.sandbox.state.runtime import Runtime

CONNECTION = "connection"


def _state_key(state: str) -> str:
    return f"oauth:{state}"


def _pending_key(org: str, connection_id: str) -> str:
    # Under the tenant's prefix, so a reset forgets its pending authorizations.
    return f"tenant:{org}:oauth:{connection_id}"


def begin(runtime: Runtime, org: str, connection_id: str) -> str:
    """A new pending authorization for the connection; returns its state (one use)."""
    state = runtime.token(org, 24)
    store = runtime.store
    with store.transaction():
        previous = store.get_meta(_pending_key(org, connection_id))
        if previous is not None:
            store.delete_meta(_state_key(previous))
        store.set_meta(_state_key(state), json.dumps({"org": org, "connection_id": connection_id}))
        store.set_meta(_pending_key(org, connection_id), state)
    return state


def claim(runtime: Runtime, state: str) -> tuple[str, str] | None:
    """The (tenant, connection id) a state was made for, consuming it; None when unknown or used."""
    store = runtime.store
    with store.transaction():
        raw = store.get_meta(_state_key(state)) if state else None
        if raw is None:
            return None
        claimed = json.loads(raw)
        org, connection_id = str(claimed["org"]), str(claimed["connection_id"])
        store.delete_meta(_state_key(state))
        store.delete_meta(_pending_key(org, connection_id))
    return org, connection_id


def pending(runtime: Runtime, org: str) -> list[str]:
    """Ids of the tenant's connections waiting for authorization, oldest first by id order."""
    prefix = _pending_key(org, "")
    return [key[len(prefix) :] for key in runtime.store.meta_keys(prefix)]


def state_of(runtime: Runtime, org: str, connection_id: str) -> str | None:
    return runtime.store.get_meta(_pending_key(org, connection_id))


def authorize(runtime: Runtime, org: str, connection_id: str) -> dict[str, Any] | None:
    """Mark the connection authorized (healthy, schema refresh started); None if it is gone."""
    store = runtime.store
    doc = store.get(org, CONNECTION, connection_id)
    if doc is None:
        return None
    domain = str(doc["configuration"].get("domain", ""))
    doc["configuration"].update(
        oauth_refresh_token=runtime.token(org, 32),
        username=store.get_meta(f"tenant:{org}:sfuser:{domain.lower()}") or f"integration@{domain}",
        instance_url_override=f"https://{domain}" if domain else None,
    )
    doc.update(status="healthy", status_error=None, updated_at=iso(runtime.now(org)))
    store.put(org, CONNECTION, connection_id, doc)
    schema_cache.begin(runtime, org, connection_id)
    return doc
