"""How the connections a sync reads and writes are doing: one row per connection and role,
for the diagnoses of model and bulk syncs alike."""

from __future__ import annotations

from contextlib import suppress

from polytomic_mcp.errors import PolytomicMcpError
from polytomic_mcp.tools.api import Api
from polytomic_mcp.tools.boundary import error_text
from polytomic_mcp.tools.views import HEALTHY, JsonObject, brief_failure, cache_view, connection_row, obj, short_text


async def connection_health(api: Api, roles: list[tuple[str, str]], with_cache: bool) -> list[JsonObject]:
    """For each (connection id, role): its row and whether it is healthy, or why it cannot be read;
    with `with_cache`, its schema cache too."""
    rows: list[JsonObject] = []
    for connection_id, role in roles:
        try:
            connection = obj(await api.data("connections_get", connection_id=connection_id))
        except PolytomicMcpError as failure:
            problem = brief_failure(error_text(failure, "connections_get"))
            rows.append({"role": role, "id": connection_id, "healthy": False, "problem": problem})
            continue
        row = {"role": role, **connection_row(connection), "healthy": connection.get("status") in (None, HEALTHY)}
        if not row["healthy"] and short_text(connection.get("status_error"), 160):
            row["status_error"] = short_text(connection.get("status_error"), 160)
        if with_cache:
            with suppress(PolytomicMcpError):  # cache status is a hint; a failure here says nothing about the sync
                row["schema_cache"] = cache_view(obj(await api.data("schemas_get_status", connection_id=connection_id)))
        rows.append(row)
    return rows
