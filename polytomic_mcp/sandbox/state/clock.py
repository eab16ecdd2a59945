"""Sandbox time: the wall clock, or simulated instants that only move when told (``step``).

In step mode every tenant has its own instant (kept in the store by ``Runtime``), so one
tenant's requests never move another's time, and resetting a tenant resets its clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

# Simulated time starts at a fixed instant so step-mode runs produce identical timestamps.
STEP_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def iso(ts: float | None) -> str | None:
    """RFC 3339 UTC timestamp with millisecond precision, as Polytomic prints them."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
