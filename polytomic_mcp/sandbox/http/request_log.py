"""What each tenant asked the sandbox: method, path as sent, the operation it was routed to, status.

Kept in memory and bounded per tenant, for tests and evaluations that must prove which
route a request reached (a path-traversal id must never reach another operation's route).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass

KEPT_PER_TENANT = 10_000


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    path: str  # percent-encoded, as it arrived
    operation: str | None  # None when no route matched
    status: int


class RequestLog:
    """A bounded, thread-safe log of requests per tenant (oldest entries fall off)."""

    def __init__(self, kept: int = KEPT_PER_TENANT) -> None:
        self._kept = kept
        self._lock = threading.Lock()
        self._by_tenant: dict[str, deque[LoggedRequest]] = {}

    def add(self, tenant: str, entry: LoggedRequest) -> None:
        with self._lock:
            self._by_tenant.setdefault(tenant, deque(maxlen=self._kept)).append(entry)

    def entries(self, tenant: str) -> list[dict[str, object]]:
        with self._lock:
            return [asdict(entry) for entry in self._by_tenant.get(tenant, ())]

    def clear(self, tenant: str) -> None:
        with self._lock:
            self._by_tenant.pop(tenant, None)
