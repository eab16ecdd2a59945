"""What the user sees before confirming a destructive operation, and what a delete leaves behind.

A preview names the object the operation acts on (kind, name, id, read with the GET at the
same path, or at its parent's path for actions like `/cancel`), what is tied to it (a
connection's models, syncs and bulk syncs; a model's connection and syncs; a sync's model
and connections; a bulk sync's connections) and, for a full replacement (`PUT`), a
field-by-field diff of the current object against the request: changed, added, removed list
items, and members the request leaves out (a full replacement may clear them; the members
that say what and whose the object is, `id`, `type`, `organization_id`, are not listed for
that). Secret members are never shown, only whether they change. Reads that fail leave a
note instead of stopping the preview.

Names come from users' systems: they are cleaned of invisible characters and quoted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from polytomic_mcp.catalog import Operation, load_catalog
from polytomic_mcp.errors import PolytomicMcpError
from polytomic_mcp.tools.operations.tools import OperationTool
from polytomic_mcp.tools.shaping.sanitize import MASK, PAIR_CONTAINERS, clean_text, is_secret_name

VALUE_CHARS = 80
DIFF_CHARS = 200
MAX_ROWS = 20

KINDS = {
    "model_sync": "model sync",
    "bulk_sync": "bulk sync",
    "connections": "connection",
    "models": "model",
    "executions": "execution",
    "schedules": "schedule",
    "schemas": "schema",
    "harbors": "harbor",
    "users": "user",
    "webhooks": "webhook",
    "policies": "policy",
    "roles": "role",
    "error_handling": "error handling",
    "notifications": "notification settings",
    "proxy": "proxy settings",
}


class Reader(Protocol):
    """Reads operations by catalog name (`tools/api.py`'s Api)."""

    async def data(self, operation: str, idempotency_key: str | None = None, **arguments: Any) -> Any: ...

    async def all_pages(self, operation: str, limit: int = 500, **arguments: Any) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class ObjectRef:
    kind: str
    id: str | None
    name: str | None

    def label(self) -> str:
        name = f' "{clean_text(self.name)[:VALUE_CHARS]}"' if self.name else ""
        return f"{self.kind}{name} (id {self.id})" if self.id else f"{self.kind}{name}"

    def view(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": clean_text(self.name) if self.name else None}


# The delete tools named in remove_with, and the name of the id argument each takes.
REMOVE_ARGUMENT = {
    "models_delete": "model_id",
    "model_sync_delete": "sync_id",
    "bulk_sync_delete": "bulk_sync_id",
    "connections_delete": "connection_id",
}


@dataclass(frozen=True, slots=True)
class Related:
    """An object tied to the subject: the subject `uses` it, or it is `used_by` the subject; `role` says how."""

    ref: ObjectRef
    relation: str
    role: str
    remove_with: str | None = None  # the tool that deletes it

    def label(self) -> str:
        return f"{self.ref.label()} ({self.role})"

    def view(self) -> dict[str, Any]:
        out = {**self.ref.view(), "relation": self.relation, "role": self.role}
        if self.remove_with and self.ref.id:
            out["remove_with"] = f"{self.remove_with}({REMOVE_ARGUMENT[self.remove_with]}='{self.ref.id}')"
        return out


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    current: Any
    requested: Any
    secret: bool = False

    def line(self) -> str:
        if self.secret:
            return f"- {self.field}: {self._secret_change()}"
        return f"- {self.field}: {_shown(self.current, DIFF_CHARS)} → {self._requested_text()}"

    def _requested_text(self) -> str:
        if self.requested is _OMITTED:
            return OMITTED_TEXT
        if self.requested is _REMOVED:
            return "removed"
        return _shown(self.requested, DIFF_CHARS)

    def _secret_change(self) -> str:
        if self.requested is _OMITTED:
            return "secret value not in the request (not shown)"
        return "secret value is replaced (not shown)"

    def view(self) -> dict[str, Any]:
        if self.secret:
            return {"field": self.field, "change": self._secret_change()}
        plain = self.requested not in (_OMITTED, _REMOVED)
        requested = _clip(self.requested) if plain else self._requested_text()
        return {"field": self.field, "current": _clip(self.current), "requested": requested}


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


OMITTED_TEXT = "not in the request (a full replacement may clear it)"
IDENTITY_MEMBERS = frozenset({"id", "type", "organization_id"})
_OMITTED: Any = _Marker("omitted")
_REMOVED: Any = _Marker("removed")
_ABSENT: Any = _Marker("absent")


@dataclass
class Preview:
    """One destructive call, as the user is asked to confirm it."""

    tool: str
    purpose: str
    method: str
    subject: ObjectRef
    related: list[Related] = field(default_factory=list)
    changes: list[Change] | None = None  # None: not an update
    notes: list[str] = field(default_factory=list)

    @property
    def is_delete(self) -> bool:
        return self.method == "DELETE"

    def remains(self) -> list[Related]:
        """What a delete leaves behind (the objects the subject used)."""
        return [r for r in self.related if r.relation == "uses"] if self.is_delete else []

    def message(self) -> str:
        """The text of the confirmation form."""
        lines = [f"The AI agent asks to run {self.tool}: {self.purpose}", f"On: {self.subject.label()}"]
        uses = [r for r in self.related if r.relation == "uses"]
        used_by = [r for r in self.related if r.relation != "uses"]
        if used_by:
            lines.append("Tied to it: " + "; ".join(r.label() for r in used_by[:MAX_ROWS]))
        if uses:
            lines.append("It uses: " + "; ".join(r.label() for r in uses[:MAX_ROWS]))
        if self.changes is not None:
            if self.changes:
                lines.append("Changes:")
                lines += [change.line() for change in self.changes[:MAX_ROWS]]
                if len(self.changes) > MAX_ROWS:
                    lines.append(f"- … and {len(self.changes) - MAX_ROWS} more")
            else:
                lines.append("Changes: none (the request repeats the current values).")
        if self.is_delete and uses:
            lines.append("After the delete these remain: " + "; ".join(r.ref.label() for r in uses[:MAX_ROWS]))
        lines += self.notes
        lines.append("Nothing happens unless you confirm. Decline or cancel to stop it.")
        return "\n".join(lines)

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tool": self.tool, "does": self.purpose, "object": self.subject.view()}
        if self.related:
            out["related"] = [r.view() for r in self.related[:MAX_ROWS]]
        if self.changes is not None:
            out["changes"] = [c.view() for c in self.changes[:MAX_ROWS]]
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def overwrite_preview(
    tool: str, purpose: str, subject: ObjectRef, current: dict[str, Any], requested: dict[str, Any]
) -> Preview:
    """A preview for an overwrite a workflow is about to make: the field-by-field diff of the
    members `requested` names (and those of `current` it leaves out, which are cleared)."""
    return Preview(tool, purpose, "PUT", subject, changes=diff(current, requested, list(requested) + list(current)))


# -- reading the subject and what is tied to it ------------------------------------------


@cache
def _gets_by_path() -> dict[str, Operation]:
    return {op.path: op for op in load_catalog().operations if op.method == "GET"}


def subject_read(operation: Operation) -> Operation | None:
    """The GET that reads the object `operation` acts on: the same path, or the nearest parent
    path ending in an id (`/api/syncs/{id}/cancel` → `/api/syncs/{id}`)."""
    segments = operation.path.rstrip("/").split("/")
    gets = _gets_by_path()
    for end in range(len(segments), 2, -1):
        candidate = "/".join(segments[:end])
        at_full_path = end == len(segments)
        if candidate in gets and (at_full_path or segments[end - 1].startswith("{")):
            return gets[candidate]
    return None


def kind_of(operation: Operation) -> str:
    last = operation.group.split(".")[-1]
    return KINDS.get(operation.group, KINDS.get(last, last.replace("_", " ")))


def _ref(kind: str, value: Any, fallback_id: str | None = None) -> ObjectRef:
    data = value if isinstance(value, dict) else {}
    name = data.get("name") or data.get("email") or data.get("label")
    ident = data.get("id") or fallback_id
    return ObjectRef(kind, str(ident) if ident else None, str(name) if name else None)


async def _read(reader: Reader, operation: str, notes: list[str], **arguments: Any) -> Any:
    try:
        return await reader.data(operation, **arguments)
    except PolytomicMcpError:
        notes.append(f"(Could not read {operation} for this preview.)")
        return None


async def _list(reader: Reader, operation: str, notes: list[str], **arguments: Any) -> list[dict[str, Any]]:
    try:
        rows = await reader.all_pages(operation, **arguments)
    except PolytomicMcpError:
        notes.append(f"(Could not list {operation} for this preview.)")
        return []
    return [row for row in rows if isinstance(row, dict)]


def _sync_model_ids(sync: dict[str, Any]) -> list[str]:
    ids = [str(i) for i in sync.get("model_ids") or []]
    sources = [sync.get("identity") or {}, *(sync.get("fields") or [])]
    for item in sources:
        source = item.get("source") if isinstance(item, dict) else None
        model_id = source.get("model_id") if isinstance(source, dict) else None
        if model_id and str(model_id) not in ids:
            ids.append(str(model_id))
    return ids


async def _connection_related(reader: Reader, connection_id: str, notes: list[str]) -> list[Related]:
    models = [m for m in await _list(reader, "models_list", notes) if m.get("connection_id") == connection_id]
    model_ids = {str(m.get("id")) for m in models}
    syncs = [
        s
        for s in await _list(reader, "model_sync_list", notes)
        if (s.get("target") or {}).get("connection_id") == connection_id or set(_sync_model_ids(s)) & model_ids
    ]
    bulk = [
        b
        for b in await _list(reader, "bulk_sync_list", notes)
        if connection_id in (b.get("source_connection_id"), b.get("destination_connection_id"))
    ]
    return [
        *(Related(_ref("model", m), "used_by", "reads from it", "models_delete") for m in models),
        *(Related(_ref("model sync", s), "used_by", "syncs from or to it", "model_sync_delete") for s in syncs),
        *(Related(_ref("bulk sync", b), "used_by", "copies from or to it", "bulk_sync_delete") for b in bulk),
    ]


async def _model_related(reader: Reader, model: dict[str, Any], notes: list[str]) -> list[Related]:
    related: list[Related] = []
    if model.get("connection_id"):
        connection = await _read(reader, "connections_get", notes, id=model["connection_id"])
        ref = _ref("connection", connection, str(model["connection_id"]))
        related.append(Related(ref, "uses", "its source connection", "connections_delete"))
    model_id = str(model.get("id"))
    for sync in await _list(reader, "model_sync_list", notes):
        if model_id in _sync_model_ids(sync):
            related.append(Related(_ref("model sync", sync), "used_by", "syncs this model", "model_sync_delete"))
    return related


async def _sync_related(reader: Reader, sync: dict[str, Any], notes: list[str]) -> list[Related]:
    related: list[Related] = []
    connection_ids: list[tuple[str, str]] = []
    for model_id in _sync_model_ids(sync):
        model = await _read(reader, "models_get", notes, id=model_id)
        related.append(Related(_ref("model", model, model_id), "uses", "its model", "models_delete"))
        if isinstance(model, dict) and model.get("connection_id"):
            connection_ids.append((str(model["connection_id"]), "the model's source connection"))
    target = (sync.get("target") or {}).get("connection_id")
    if target:
        connection_ids.append((str(target), "its target connection"))
    for connection_id, role in connection_ids:
        connection = await _read(reader, "connections_get", notes, id=connection_id)
        related.append(Related(_ref("connection", connection, connection_id), "uses", role, "connections_delete"))
    return related


async def _bulk_related(reader: Reader, bulk: dict[str, Any], notes: list[str]) -> list[Related]:
    related: list[Related] = []
    for member, relation in (("source_connection_id", "source"), ("destination_connection_id", "destination")):
        if bulk.get(member):
            connection = await _read(reader, "connections_get", notes, id=bulk[member])
            ref = _ref("connection", connection, str(bulk[member]))
            related.append(Related(ref, "uses", f"its {relation} connection", "connections_delete"))
    return related


async def build_preview(tool: OperationTool, arguments: dict[str, Any], reader: Reader) -> Preview:
    """Read what a destructive call would act on; a read that fails leaves a note."""
    operation = tool.operation
    parts = tool.arguments.split(arguments)
    notes: list[str] = []
    read_op = subject_read(operation)
    current: Any = None
    if read_op is not None:
        read_args = {p.name: parts["path"][p.name] for p in read_op.path_params if p.name in parts["path"]}
        current = await _read(reader, read_op.name, notes, **read_args)
    id_params = [p.name for p in (read_op or operation).path_params if p.name in parts["path"]]
    fallback_id = str(parts["path"][id_params[-1]]) if id_params else None
    subject = _ref(kind_of(read_op or operation), current, fallback_id)
    preview = Preview(tool.name, operation.purpose, operation.method, subject, notes=notes)
    if isinstance(current, dict) and read_op is not None and read_op.path == operation.path.rstrip("/"):
        getter = read_op.name
        if getter == "connections_get" and subject.id:
            preview.related = await _connection_related(reader, subject.id, notes)
            if operation.method == "DELETE":
                preview.notes.append(_force_note(parts["query"].get("force")))
        elif getter == "models_get":
            preview.related = await _model_related(reader, current, notes)
        elif getter == "model_sync_get":
            preview.related = await _sync_related(reader, current, notes)
        elif getter == "bulk_sync_get":
            preview.related = await _bulk_related(reader, current, notes)
    if operation.method == "PUT" and isinstance(parts["body"], dict):
        schema_members = list(((operation.request_body or {}).get("properties") or {}).keys())
        preview.changes = diff(current if isinstance(current, dict) else {}, parts["body"], schema_members)
    return preview


def _force_note(force: Any) -> str:
    if force:
        return "force=true: the models, syncs and bulk syncs tied to it are deleted with it."
    return "Without force=true, Polytomic refuses the delete while models or syncs are tied to it."


# -- the diff --------------------------------------------------------------------------------


def diff(current: dict[str, Any], requested: dict[str, Any], members: list[str]) -> list[Change]:
    """Changes for each member (in order, once): nested objects member by member, lists whole."""
    changes: list[Change] = []
    seen: set[str] = set()
    for name in members:
        if name in seen:
            continue
        seen.add(name)
        before = current.get(name, _ABSENT)
        after = requested.get(name, _ABSENT)
        if after is _ABSENT and name in IDENTITY_MEMBERS:
            continue
        changes += _diff_value(name, name, before, after)
    return changes


def _is_secret(path: str, name: str, before: Any) -> bool:
    """A secret by its name, by what it sits in (header or query values), or because Polytomic
    answered it masked (`********`: the connection type marks it sensitive)."""
    masked = isinstance(before, str) and bool(before) and set(before) == {"*"}
    containers = {part.split("[", 1)[0].lower() for part in path.split(".")}
    return is_secret_name(name) or masked or bool(containers & PAIR_CONTAINERS)


def _diff_value(path: str, name: str, before: Any, after: Any) -> list[Change]:
    if after is _ABSENT:
        if before is _ABSENT or before in (None, "", [], {}):
            return []
        return [Change(path, before, _OMITTED, secret=_is_secret(path, name, before))]
    if before is _ABSENT:
        before = None
    if is_secret_name(name) or (_is_secret(path, name, before) and not isinstance(after, dict | list)):
        return [] if before in (after, MASK) and after in (before, MASK) else [Change(path, MASK, MASK, secret=True)]
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[Change] = []
        for key in [*after, *(k for k in before if k not in after)]:
            changes += _diff_value(f"{path}.{key}", key, before.get(key, _ABSENT), after.get(key, _ABSENT))
        return changes
    if isinstance(before, list) and isinstance(after, list):
        return _diff_list(path, name, before, after)
    return [] if before == after else [Change(path, before, after)]


def _diff_list(path: str, name: str, before: list[Any], after: list[Any]) -> list[Change]:
    """Item by item: changed items member by member, then the items added or removed at the end."""
    changes: list[Change] = []
    for index in range(max(len(before), len(after))):
        where = f"{path}[{index}]"
        if index >= len(after):
            changes.append(Change(where, before[index], _REMOVED))
        elif index >= len(before):
            changes.append(Change(where, None, after[index]))
        else:
            changes += _diff_value(where, name, before[index], after[index])
    return changes


def _clip(value: Any, limit: int = VALUE_CHARS) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = clean_text(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(value: Any, limit: int = VALUE_CHARS) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict | list):
        return str(_clip(value, limit))
    clipped = _clip(value, limit)
    return json.dumps(clipped, ensure_ascii=False) if isinstance(clipped, str) else str(clipped).lower()
