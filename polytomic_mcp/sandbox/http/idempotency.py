"""``Idempotency-Key``: the first request with a key fixes the answer for 24 hours, per tenant."""

from __future__ import annotations

import json
import re

from polytomic_mcp.sandbox.errors import bad_request, conflict
from polytomic_mcp.sandbox.http.context import Reply
from polytomic_mcp.sandbox.state.store import Store

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,255}$")
RETENTION_SECONDS = 24 * 3600.0


def begin(store: Store, tenant: str, key: str, now: float) -> Reply | None:
    """Claim the key. Returns the stored answer to replay, None to go ahead, or raises 409."""
    if not KEY_PATTERN.match(key):
        raise bad_request("Idempotency-Key must be 8-255 characters of letters, digits, '-' or '_'", "Idempotency-Key")
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT state, created_at, status, headers, body FROM idempotency WHERE tenant = ? AND key = ?",
            (tenant, key),
        ).fetchone()
        if row is not None and now - float(row[1]) > RETENTION_SECONDS:
            conn.execute("DELETE FROM idempotency WHERE tenant = ? AND key = ?", (tenant, key))
            row = None
        if row is None:
            conn.execute(
                "INSERT INTO idempotency (tenant, key, state, created_at) VALUES (?, ?, 'in_flight', ?)",
                (tenant, key, now),
            )
            return None
    state, _, status, headers, body = row
    if state == "in_flight":
        raise conflict(
            "a request with this Idempotency-Key is still in progress; retry later", key="idempotency_in_flight"
        )
    return Reply(status=int(status), headers=dict(json.loads(headers)), content=bytes(body))


def release_in_flight(store: Store) -> int:
    """Forget claims whose request never answered (the process ended while it ran), so the key
    can be used again; returns how many were released."""
    with store.lock:
        return store.conn.execute("DELETE FROM idempotency WHERE state = 'in_flight'").rowcount


def finish(store: Store, tenant: str, key: str, status: int, headers: dict[str, str], content: bytes) -> None:
    with store.lock:
        store.conn.execute(
            "UPDATE idempotency SET state = 'done', status = ?, headers = ?, body = ? WHERE tenant = ? AND key = ?",
            (status, json.dumps(headers), content, tenant, key),
        )
