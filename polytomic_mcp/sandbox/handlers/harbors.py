"""Harbors: create answers with the harbor and its first API key; drafts promote to versions."""

from __future__ import annotations

from polytomic_mcp.sandbox.errors import not_found
from polytomic_mcp.sandbox.http.context import Call, Reply, envelope, handles
from polytomic_mcp.sandbox.state.store import join_key

HARBORS = "/api/harbors"
CONTEXTS = "/api/harbors/{}/contexts"
VERSIONS = "/api/harbors/{}/contexts/{}/versions"
KEYS = "/api/harbors/{}/keys"


@handles("harbors_create")
def create_harbor(call: Call) -> Reply:
    now = call.now_iso()
    harbor_id = call.new_id()
    harbor = {
        **call.body_dict(),
        "id": harbor_id,
        "organization_id": call.org,
        "status": "ready",
        "mcp_server_url": f"{call.base_url}/sandbox/harbors/{harbor_id}/mcp",
        "created_at": now,
        "updated_at": now,
    }
    call.store.put(call.org, HARBORS, harbor["id"], harbor)
    call.store.set_meta(f"harbor:{harbor_id}", call.org)  # its MCP URL carries no credentials
    key = {"id": call.new_id(), "mode": "read-write", "created_at": now, "key_hint": "sbx_…"}
    call.store.put(call.org, KEYS, key["id"], key, harbor["id"])
    value = "sbx_harbor_" + call.token(18)
    return envelope(call, {"harbor": harbor, "api_key": {**key, "value": value}})


@handles("harbors_promote_context_draft")
def promote_draft(call: Call) -> Reply:
    harbor_id, context_id = call.path["harbor_id"], call.path["context_id"]
    if call.store.get(call.org, HARBORS, harbor_id) is None:
        raise not_found("harbor", harbor_id)
    context = call.store.get(call.org, CONTEXTS, context_id)
    if context is None:
        raise not_found("context", context_id)
    scope = join_key(harbor_id, context_id)
    draft = call.store.get(call.org, "settings:/api/harbors/{}/contexts/{}/draft", scope) or {}
    number = len(call.store.list(call.org, VERSIONS, scope)) + 1
    version: dict[str, object] = {
        "id": call.new_id(),
        "version": number,
        "title": draft.get("title", context.get("title")),
        "content": draft.get("content", context.get("content")),
        "published_at": call.now_iso(),
        "published_by_type": "api_key",
    }
    call.store.put(call.org, VERSIONS, str(version["id"]), version, scope)
    context.update(title=version["title"], content=version["content"], updated_at=call.now_iso())
    call.store.put(call.org, CONTEXTS, context_id, context, harbor_id)
    return envelope(call, version)
