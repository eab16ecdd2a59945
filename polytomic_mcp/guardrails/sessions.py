"""Session safe mode (`--safe-mode session`): the agent may create objects, and may change or
delete only the objects it created in the same MCP session.

Which session a request belongs to:

- streamable HTTP (stateful): the `Mcp-Session-Id` the SDK issued at initialize;
- stdio: the process (one client per process); in memory: the client connection;
- 2026-07-28 requests over HTTP, and stateless HTTP: no session. They may still create,
  but every other write is refused, since nothing ties an object to whoever asks next.

A write counts as a create when its path names no existing object (`POST /api/syncs`);
the id Polytomic answers with is recorded for the session. Any other write names an
object by the first id in its path (`/api/syncs/{id}/…`, `/api/connections/{connection_id}/…`)
and runs only if that object was created in this session; its children (a sync's
executions, a bulk sync's schedules) belong to it. A destructive operation without an
id in its path changes organization-wide settings and is refused.

The record lives in memory, per server process, bounded to the most recent sessions;
objects are tied to the session and the key that created them.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from polytomic_mcp.catalog import Operation
from polytomic_mcp.errors import AccessDeniedError

MAX_SESSIONS = 4096
_PARAM = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True, slots=True)
class SessionIdentity:
    """`kind` is http, process or none; `key` identifies the session (None when there is none)."""

    kind: str
    key: str | None

    @property
    def exists(self) -> bool:
        return self.key is not None


def addressed_object(operation: Operation, arguments: dict[str, Any]) -> tuple[str, str] | None:
    """(collection path, id) of the object a write names by its first path id; None for a create."""
    match = _PARAM.search(operation.path)
    if match is None:
        return None
    return operation.path[: match.start()], str(arguments.get(match.group(1), ""))


def created_object(operation: Operation, body: Any) -> tuple[str, str] | None:
    """(collection path, id) of what a create made, from Polytomic's answer."""
    if _PARAM.search(operation.path) or operation.read_only or operation.destructive:
        return None
    data = body.get("data") if isinstance(body, dict) else None
    ident = data.get("id") if isinstance(data, dict) else None
    return (operation.path.rstrip("/") + "/", str(ident)) if ident else None


class SessionLedger:
    """The objects each session created (collection path and id), per key fingerprint."""

    def __init__(self, max_sessions: int = MAX_SESSIONS) -> None:
        self._created: OrderedDict[tuple[str, str | None], set[tuple[str, str]]] = OrderedDict()
        self._max = max_sessions
        self._lock = threading.Lock()

    def record(self, session: SessionIdentity, key: str | None, obj: tuple[str, str]) -> None:
        if session.key is None:
            return
        with self._lock:
            owned = self._created.setdefault((session.key, key), set())
            owned.add(obj)
            self._created.move_to_end((session.key, key))
            while len(self._created) > self._max:
                self._created.popitem(last=False)

    def owns(self, session: SessionIdentity, key: str | None, obj: tuple[str, str]) -> bool:
        if session.key is None:
            return False
        with self._lock:
            return obj in self._created.get((session.key, key), set())


def _kind_of(collection: str) -> str:
    return collection.strip("/").removeprefix("api/").replace("/", " ") or "object"


def check_session_owns(
    tool: str,
    operation: Operation,
    arguments: dict[str, Any],
    session: SessionIdentity,
    key: str | None,
    ledger: SessionLedger,
) -> None:
    """Raise AccessDeniedError unless safe mode allows this write."""
    if operation.read_only:
        return
    target = addressed_object(operation, arguments)
    rule = (
        "Safe mode (--safe-mode session) lets the agent create objects and change or delete only the ones "
        "it created in this MCP session."
    )
    if target is None:
        if not operation.destructive:
            return
        raise AccessDeniedError(
            f"{tool} changes organization-wide settings, so it was not run. {rule} Only the operator can turn "
            "safe mode off."
        )
    if not session.exists:
        raise AccessDeniedError(
            f"{tool} changes an existing object, and this request belongs to no MCP session (2026-07-28 "
            f"requests over HTTP, and stateless HTTP, carry none), so it was not run. {rule} Use stdio or "
            "stateful HTTP, or ask the operator to turn safe mode off."
        )
    if not ledger.owns(session, key, target):
        collection, ident = target
        raise AccessDeniedError(
            f"{tool} changes {_kind_of(collection)} {ident}, which was not created in this MCP session, so it "
            f"was not run. {rule} Create a new one instead, or ask the user to change it in Polytomic."
        )
