"""Schema-cache readiness of connections: what one connection's cache looks like now, and
starting a refresh where none ever ran (`wait_schema_ready` and the composite poll this)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polytomic_mcp.tools.api import Api
from polytomic_mcp.tools.views import HEALTHY, cache_is_ready


@dataclass
class ConnectionReadiness:
    """What one connection's schema cache looks like right now."""

    id: str
    name: str | None = None
    health: str | None = None
    cache_status: str | None = None
    last_refresh_started: str | None = None
    last_refresh_finished: str | None = None
    ready: bool = False
    refresh_started: bool = False
    problem: str | None = None

    def summary(self) -> dict[str, Any]:
        row: dict[str, Any] = {"id": self.id, "ready": self.ready, "cache_status": self.cache_status}
        for key in ("name", "health", "last_refresh_started", "last_refresh_finished", "problem"):
            value = getattr(self, key)
            if value:
                row[key] = value
        if self.refresh_started:
            row["refresh_started"] = True
        return row


async def check_connection(api: Api, readiness: ConnectionReadiness, may_refresh: bool) -> None:
    """Update `readiness` from the API; start a refresh if one is needed and none is running."""
    if readiness.name is None or readiness.health != HEALTHY:
        connection = await api.data("connections_get", connection_id=readiness.id)
        readiness.name = connection.get("name")
        readiness.health = connection.get("status")
    if readiness.health and readiness.health != HEALTHY:
        readiness.problem = (
            f"connection status is {readiness.health!r}, not healthy: if it was just created with an auth_url, "
            "the user must open that URL; otherwise connections_get shows status_error"
        )
        return
    readiness.problem = None
    status = await api.data("schemas_get_status", connection_id=readiness.id)
    readiness.cache_status = status.get("cache_status")
    readiness.last_refresh_started = status.get("last_refresh_started")
    readiness.last_refresh_finished = status.get("last_refresh_finished")
    readiness.ready = cache_is_ready(status)
    never_refreshed = not readiness.cache_status and not readiness.last_refresh_started
    if not readiness.ready and never_refreshed and may_refresh and not readiness.refresh_started:
        await api.envelope("schemas_refresh", connection_id=readiness.id)
        readiness.refresh_started = True
