"""Credentials → tenants.

The rule: a tenant is one organization. ``Authorization: Bearer K`` acts in the organization
whose id is a UUIDv5 of K (so the same key always finds the same state, and two keys never
share it), unless K is a user key minted through ``POST /api/organizations/{org}/users/{id}/keys``,
which acts in that organization. ``Authorization: Basic base64(ORG:K)`` acts in ORG on behalf of
K: allowed when ORG is K's own organization or one K created with ``POST /api/organizations``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid

from polytomic_mcp.sandbox.errors import ApiError
from polytomic_mcp.sandbox.http.context import Tenant
from polytomic_mcp.sandbox.state.store import Store

_NAMESPACE = uuid.UUID("8f4b7a52-3c1e-4d0a-9a57-6f2d1c0b9e31")


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def org_for_key(store: Store, key: str) -> str:
    """The organization a bearer key acts in."""
    minted = store.get_meta(f"apikey:{fingerprint(key)}")
    return minted or str(uuid.uuid5(_NAMESPACE, "bearer:" + key))


def register_minted_key(store: Store, key: str, org_id: str) -> None:
    store.set_meta(f"apikey:{fingerprint(key)}", org_id)


def record_child_org(store: Store, parent_org: str, child_org: str) -> None:
    store.set_meta(f"partner:{child_org}", parent_org)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, "unauthorized")


def authenticate(store: Store, authorization: str | None) -> Tenant:
    if not authorization:
        raise _unauthorized("missing API key: send Authorization: Bearer <key>")
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return Tenant(org_for_key(store, credentials), "bearer", fingerprint(credentials))
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise _unauthorized("malformed Basic credentials") from None
        org, sep, key = decoded.partition(":")
        if not sep or not key:
            raise _unauthorized("Basic credentials must be base64(organization_id:key)")
        try:
            org = str(uuid.UUID(org))
        except ValueError:
            raise _unauthorized("the Basic user name must be an organization id") from None
        own = org_for_key(store, key)
        if org != own and store.get_meta(f"partner:{org}") != own:
            raise ApiError(403, f"this key may not act in organization {org}", "forbidden")
        return Tenant(org, "basic", fingerprint(key))
    raise _unauthorized("unsupported Authorization scheme: use Bearer or Basic")
