"""Organization events (``GET /api/events``): what syncs did, kept per tenant."""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.state.clock import iso
from polytomic_mcp.sandbox.state.runtime import Runtime

KIND = "event"
EVENT_TYPES = (
    "sync.running",
    "sync.completed",
    "sync.completed_with_errors",
    "sync.failed",
    "sync.canceled",
    "bulk_sync.running",
    "bulk_sync.completed",
    "bulk_sync.completed_with_error",
    "bulk_sync.failed",
    "bulk_sync.canceled",
)


def emit(runtime: Runtime, org: str, event_type: str, at: float, payload: dict[str, Any]) -> None:
    event_id = runtime.new_id(org)
    event: dict[str, Any] = {
        "id": event_id,
        "type": event_type,
        "organization_id": org,
        "created_at": iso(at),
        "at": at,
        "event": {"organization_id": org, **payload},
    }
    runtime.store.put(org, KIND, event_id, event)
