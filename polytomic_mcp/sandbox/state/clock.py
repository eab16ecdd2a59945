"""Sandbox time: the wall clock, or a simulated clock that only moves when told (``step``)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from polytomic_mcp.sandbox.config import ClockMode

# Simulated time starts at a fixed instant so step-mode runs produce identical timestamps.
STEP_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class Clock:
    """Seconds since the Unix epoch; thread-safe."""

    def __init__(self, mode: ClockMode, start: float | None = None) -> None:
        self.mode = mode
        self._lock = threading.Lock()
        self._simulated = STEP_EPOCH if start is None else start

    def now(self) -> float:
        if self.mode == "real":
            return time.time()
        with self._lock:
            return self._simulated

    def advance(self, seconds: float) -> float:
        """Move simulated time forward (a no-op in real mode); returns the new time."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        if self.mode == "real":
            return time.time()
        with self._lock:
            self._simulated += seconds
            return self._simulated


def iso(ts: float | None) -> str | None:
    """RFC 3339 UTC timestamp with millisecond precision, as Polytomic prints them."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
