"""Console log entries of executions: a short, human-readable story of each run."""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.state.clock import iso


def append(doc: dict[str, Any], at: float, level: str, message: str, **payload: Any) -> None:
    entries: list[dict[str, Any]] = doc.setdefault("console", [])
    entries.append(
        {
            "id": str(len(entries) + 1),
            "timestamp": iso(at),
            "level": level,
            "message": message,
            "payload": payload or None,
        }
    )


def page(doc: dict[str, Any], limit: int | None, after: str | None) -> dict[str, Any]:
    entries: list[dict[str, Any]] = list(doc.get("console", []))
    if after:
        entries = [e for e in entries if int(e["id"]) > int(after)] if after.isdigit() else []
    size = max(1, min(int(limit or 50), 50))
    chosen = entries[:size]
    more = len(entries) > size
    return {"entries": chosen, "next_cursor": chosen[-1]["id"] if more and chosen else None}
