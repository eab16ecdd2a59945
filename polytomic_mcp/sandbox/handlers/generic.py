"""Behaviour derived from the catalog for routes without hand-written semantics.

Paths are grouped into *families*: a collection path (``/api/webhooks``) and its item path
(``/api/webhooks/{id}``). Collections list and create, items get, replace, patch and delete;
documents live in SQLite under the family's kind. Paths that are read and replaced in place
(``.../error-handling``) are *settings*. Anything else answers with the smallest object the
response schema allows, carrying the ids and request members it names.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from polytomic_mcp.catalog import Catalog, Operation
from polytomic_mcp.sandbox.errors import not_found
from polytomic_mcp.sandbox.http.context import Call, Handler, Reply, envelope
from polytomic_mcp.sandbox.http.pagination import paginate
from polytomic_mcp.sandbox.http.routing import is_param, split_path
from polytomic_mcp.sandbox.http.shaping import data_schema, resolve, synthesize
from polytomic_mcp.sandbox.state.store import join_key

Shape = tuple[str, ...]

# Kinds with hand-written behaviour get short names; both sides must agree on them.
KIND_NAMES: dict[str, str] = {
    "/api/connections": "connection",
    "/api/models": "model",
    "/api/syncs": "sync",
    "/api/bulk/syncs": "bulk_sync",
    "/api/organizations": "organization",
    "/api/syncs/{}/executions": "execution",
    "/api/bulk/syncs/{}/executions": "bulk_execution",
}

# Members never echoed back after they were written.
SENSITIVE_MEMBERS = frozenset({"secret", "password", "client_secret", "private_key", "token", "api_key"})
MASK = "********"


def shape_of(path: str) -> Shape:
    return tuple("{}" if is_param(s) else s for s in split_path(path))


def shape_text(shape: Shape) -> str:
    return "/" + "/".join(shape)


def kind_of(shape: Shape) -> str:
    text = shape_text(shape)
    return KIND_NAMES.get(text, text)


@dataclass(frozen=True)
class Families:
    """Which shapes are collections, items and settings, computed once from the catalog."""

    collections: frozenset[Shape]
    items: frozenset[Shape]
    settings: frozenset[Shape]

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Families:
        methods: dict[Shape, set[str]] = defaultdict(set)
        for op in catalog.operations:
            methods[shape_of(op.path)].add(op.method)
        # A collection lists and creates, or has items; a lone POST is an action (``/activate``).
        collections = {s for s, m in methods.items() if (*s, "{}") in methods or {"GET", "POST"} <= m}
        items = {(*c, "{}") for c in collections if (*c, "{}") in methods}
        settings = {s for s, m in methods.items() if {"GET", "PUT"} <= m and s not in collections and s not in items}
        return cls(frozenset(collections), frozenset(items), frozenset(settings))


_FAMILIES: dict[int, Families] = {}


def families_for(catalog: Catalog) -> Families:
    """Families of a catalog, computed once per catalog object."""
    key = id(catalog)
    if key not in _FAMILIES:
        _FAMILIES[key] = Families.from_catalog(catalog)
    return _FAMILIES[key]


def _param_names(op: Operation) -> list[str]:
    return [s[1:-1] for s in split_path(op.path) if is_param(s)]


def _scope(values: list[str]) -> str:
    return join_key(*values)


def check_parents(call: Call, shape: Shape, families: Families) -> None:
    """404 when a path names a parent object (``/harbors/{id}/...``) that does not exist."""
    values = [call.path[name] for name in _param_names(call.op)]
    position = 0
    for index, segment in enumerate(shape):
        if segment != "{}":
            continue
        prefix = shape[: index + 1]
        if prefix in families.items and prefix != shape:
            parent_kind = kind_of(prefix[:-1])
            if call.store.get(call.org, parent_kind, values[position]) is None:
                raise not_found(parent_kind.rsplit("/", 1)[-1].rstrip("s") or "object", values[position])
        position += 1


def masked(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: (MASK if k in SENSITIVE_MEMBERS and v else v) for k, v in doc.items()}


def generic_handler(op: Operation, catalog: Catalog) -> Handler:
    families = families_for(catalog)
    shape = shape_of(op.path)
    if shape in families.collections and op.method == "GET":
        return lambda call: _list(call, shape, families)
    if shape in families.collections and op.method == "POST":
        return lambda call: _create(call, shape, families)
    if shape in families.items:
        if op.method == "GET":
            return lambda call: _get(call, shape, families)
        if op.method in ("PUT", "PATCH"):
            return lambda call: _update(call, shape, families)
        if op.method == "DELETE":
            return lambda call: _delete(call, shape, families)
    if shape in families.settings:
        return lambda call: _settings(call, shape, families)
    return _action


def _collection_scope(call: Call, shape: Shape) -> str:
    names = _param_names(call.op)
    count = shape.count("{}")
    return _scope([call.path[n] for n in names[:count]])


def _list(call: Call, shape: Shape, families: Families) -> Reply:
    check_parents(call, shape, families)
    docs = call.store.list(call.org, kind_of(shape), _collection_scope(call, shape))
    page, siblings = paginate(call, [masked(d) for d in docs])
    return envelope(call, page, **siblings)


def _create(call: Call, shape: Shape, families: Families) -> Reply:
    check_parents(call, shape, families)
    now = call.now_iso()
    doc: dict[str, Any] = {**call.path, **call.body_dict()}
    doc.update(id=call.new_id(), created_at=now, updated_at=now)
    doc.setdefault("organization_id", call.org)
    # Some objects name their id after themselves (``session_id``); fill that alias too.
    alias = shape[-1].rstrip("s").replace("-", "_") + "_id"
    if alias in data_schema(call.op.response_body).get("properties", {}) or alias in _item_properties(call):
        doc.setdefault(alias, doc["id"])
    call.store.put(call.org, kind_of(shape), doc["id"], doc, _collection_scope(call, shape))
    return envelope(call, masked(doc))


def _item_properties(call: Call) -> dict[str, Any]:
    schema = call.op.response_body or {}
    resolved = resolve(data_schema(schema), schema)
    for alternative in resolved.get("anyOf", [resolved]):
        props = resolve(alternative, schema).get("properties")
        if props:
            return dict(props)
    return {}


def _load_item(call: Call, shape: Shape, families: Families) -> tuple[str, str, dict[str, Any] | None]:
    check_parents(call, shape, families)
    names = _param_names(call.op)
    ident = call.path[names[-1]]
    kind = kind_of(shape[:-1])
    return kind, ident, call.store.get(call.org, kind, ident)


def _get(call: Call, shape: Shape, families: Families) -> Reply:
    kind, ident, doc = _load_item(call, shape, families)
    if doc is None:
        raise not_found(kind.rsplit("/", 1)[-1], ident)
    return envelope(call, masked(doc))


def _update(call: Call, shape: Shape, families: Families) -> Reply:
    kind, ident, doc = _load_item(call, shape, families)
    collection_has_create = any(
        op.method == "POST" and shape_of(op.path) == shape[:-1] for op in call.runtime.catalog.operations
    )
    if doc is None and collection_has_create:
        raise not_found(kind.rsplit("/", 1)[-1], ident)
    now = call.now_iso()
    base = doc or {"id": ident, "created_at": now, "organization_id": call.org}
    system: dict[str, Any] = {k: base[k] for k in ("id", "created_at", "organization_id") if k in base}
    merged = {**base, **call.body_dict()} if call.op.method == "PATCH" else {**call.path, **call.body_dict()}
    merged.update(system)
    merged["updated_at"] = now
    names = _param_names(call.op)
    scope = _scope([call.path[n] for n in names[:-1]])
    call.store.put(call.org, kind, ident, merged, scope)
    return envelope(call, masked(merged))


def _delete(call: Call, shape: Shape, families: Families) -> Reply:
    kind, ident, doc = _load_item(call, shape, families)
    if doc is None:
        raise not_found(kind.rsplit("/", 1)[-1], ident)
    call.store.delete(call.org, kind, ident)
    if call.op.response_body is None:
        return Reply(status=204)
    return envelope(call, {**masked(doc), "deleted": True})


def _settings(call: Call, shape: Shape, families: Families) -> Reply:
    check_parents(call, shape, families)
    kind = "settings:" + shape_text(shape)
    scope = _scope([call.path[n] for n in _param_names(call.op)]) or "-"
    doc = call.store.get(call.org, kind, scope)
    if call.op.method == "PUT":
        doc = {**(doc or {}), **call.body_dict(), "updated_at": call.now_iso()}
        call.store.put(call.org, kind, scope, doc)
    current = doc or {}
    response = call.op.response_body or {}
    if "data" not in response.get("properties", {}):
        # A few settings answer without the envelope (global error subscribers).
        return Reply(body=synthesize(response, response, current))
    return envelope(call, synthesize(data_schema(response), response, {**call.path, **current}))


def _action(call: Call) -> Reply:
    response = call.op.response_body
    if response is None:
        return Reply(status=204)
    hints = {**call.body_dict(), **call.path, "organization_id": call.org}
    data = synthesize(data_schema(response), response, hints)
    if isinstance(data, list):
        data, siblings = paginate(call, data)
        return envelope(call, data, **siblings)
    siblings = {"pagination": {"next_page_token": None}} if call.op.pagination else {}
    return envelope(call, data, **siblings)
