"""The handler contract: what a handler is given (the caller's tenant and the parsed request) and
what it answers, plus the registry of hand-written handlers by operation name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from polytomic_mcp.catalog import Operation
from polytomic_mcp.sandbox.errors import not_found
from polytomic_mcp.sandbox.http.shaping import MISSING, conform, data_schema
from polytomic_mcp.sandbox.state.clock import iso
from polytomic_mcp.sandbox.state.runtime import Runtime
from polytomic_mcp.sandbox.state.store import Store


@dataclass(frozen=True)
class Tenant:
    """One organization as seen by the sandbox; every credential maps to exactly one."""

    org_id: str
    credential: str  # "bearer" or "basic"
    key_fingerprint: str  # a hash, never the key itself


@dataclass
class Call:
    """One API request after routing, authentication and validation."""

    runtime: Runtime
    op: Operation
    tenant: Tenant
    path: dict[str, str]
    query: dict[str, Any]
    body: Any
    headers: Mapping[str, str]
    base_url: str
    version: str  # the API version the request is served with (X-Polytomic-Version)

    @property
    def store(self) -> Store:
        return self.runtime.store

    @property
    def org(self) -> str:
        return self.tenant.org_id

    def now(self) -> float:
        return self.runtime.now(self.tenant.org_id)

    def new_id(self) -> str:
        return self.runtime.new_id(self.tenant.org_id)

    def token(self, nbytes: int) -> str:
        return self.runtime.token(self.tenant.org_id, nbytes)

    def now_iso(self) -> str:
        stamp = iso(self.now())
        assert stamp is not None
        return stamp

    def body_dict(self) -> dict[str, Any]:
        return dict(self.body) if isinstance(self.body, dict) else {}

    @property
    def actor(self) -> dict[str, str]:
        """Who made the call, as Polytomic records it in `created_by` and `updated_by`."""
        return {"id": self.tenant.key_fingerprint, "name": "API key", "type": "apikey"}

    def stamps(self, existing: dict[str, Any] | None) -> dict[str, Any]:
        """Who and when, as a saved object records them: the creator and creation time are kept
        on update; the caller and now become the updater."""
        now, actor = self.now_iso(), self.actor
        return {
            "organization_id": self.org,
            "created_at": existing["created_at"] if existing else now,
            "created_by": existing.get("created_by", actor) if existing else actor,
            "updated_at": now,
            "updated_by": actor,
        }

    def document(self, kind: str, ident: str, what: str) -> dict[str, Any]:
        """The tenant's stored document of `kind`, or a 404 that calls it `what`."""
        doc = self.store.get(self.org, kind, ident)
        if doc is None:
            raise not_found(what, ident)
        return doc


@dataclass
class Reply:
    """What a handler answers; ``body`` None means no JSON body."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    media_type: str = "application/json"


Handler = Callable[[Call], Reply]
HANDLERS: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler for catalog operations by name."""

    def register(fn: Handler) -> Handler:
        for name in names:
            if name in HANDLERS:
                raise RuntimeError(f"two handlers for {name}")
            HANDLERS[name] = fn
        return fn

    return register


def saved(call: Call, kind: str, doc: dict[str, Any]) -> Reply:
    """Store the document as the tenant's `kind` and answer with it."""
    call.store.put(call.org, kind, doc["id"], doc)
    return envelope(call, doc)


def envelope(call: Call, data: Any, status: int = 200, **siblings: Any) -> Reply:
    """``{"data": data, ...}`` with data fitted to the operation's response schema."""
    schema = call.op.response_body or {}
    fitted = conform(data, data_schema(schema), schema)
    body: dict[str, Any] = {"data": None if fitted is MISSING else fitted}
    for name, value in siblings.items():
        member = schema.get("properties", {}).get(name)
        if member is None:
            continue
        sibling = conform(value, member, schema)
        if sibling is not MISSING:
            body[name] = sibling
    return Reply(status=status, body=body)
