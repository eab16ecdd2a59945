"""Organization events: a time window with a limit, oldest first."""

from __future__ import annotations

from polytomic_mcp.sandbox.engine import events
from polytomic_mcp.sandbox.errors import ApiError
from polytomic_mcp.sandbox.http.context import Call, Reply, envelope, handles
from polytomic_mcp.sandbox.state.clock import parse_iso

RETENTION_SECONDS = 48 * 3600


def _instant(call: Call, name: str) -> float | None:
    raw = call.query.get(name)
    if raw is None:
        return None
    try:
        return parse_iso(str(raw))
    except ValueError:
        raise ApiError(422, f"{name} must be an RFC 3339 timestamp", "validation_failed", {"field": name}) from None


@handles("events_list")
def list_events(call: Call) -> Reply:
    after, before = _instant(call, "starting_after"), _instant(call, "ending_before")
    limit = int(call.query.get("limit") or 10)
    if not 1 <= limit <= 100:
        raise ApiError(422, "limit must be between 1 and 100", "validation_failed", {"field": "limit"})
    kind = call.query.get("type")
    if kind is not None and kind not in events.EVENT_TYPES:
        raise ApiError(
            422, f"unknown event type {kind!r}; see /api/events_types", "validation_failed", {"field": "type"}
        )
    oldest = call.now() - RETENTION_SECONDS
    chosen = [
        e
        for e in call.store.list(call.org, events.KIND)
        if e["at"] >= oldest
        and (after is None or e["at"] > after)
        and (before is None or e["at"] < before)
        and (kind is None or e["type"] == kind)
    ]
    chosen.sort(key=lambda e: e["at"])
    return envelope(call, chosen[:limit])


@handles("events_get_types")
def event_types(call: Call) -> Reply:
    return envelope(call, list(events.EVENT_TYPES))
