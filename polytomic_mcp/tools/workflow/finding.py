"""find_resources and describe_connection: names to ids, and what a connection offers.

find_resources result:

    results     [{kind: connection, id, name, type, status}
                 | {kind: model, id, name, connection_id}
                 | {kind: sync, id, name, target_object, active, running, last_run}
                 | {kind: bulk_sync, id, name, source_connection_id, destination_connection_id, active,
                    running, last_run}
                 | {kind: bucket, name, connection_ids, files?} | {kind: file, name, bucket}
                 | {kind: salesforce_org, name (its domain), connection_ids, objects?}]
                best match first (exact name or id > prefix > whole word > substring);
                last_run {id, status, finished_at, records, errors} (null: never ran) is read
                for the syncs shown only, one status call each
    total_matches, and `more` when more matched than `limit`
    unavailable {kind: error text} for kinds whose listing failed (absent when all worked)

describe_connection result:

    connection    {id, name, type, type_name, status, status_error?}
    health        "ok", or what is wrong and what to do (OAuth not completed, unhealthy)
    capabilities  {source, destination, use_oauth}
    schema_cache  {status, ready, last_refresh_finished}
    schemas       sources: [{id, name, fields?: [names]}] (fields for the first 10), schemas_total
    targets       destinations: [{id, name, modes, identity_required_for}], targets_total
    next          [text]: where fields and types are, or what to wait for
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from mcp.types import ToolAnnotations
from pydantic import Field

from polytomic_mcp.errors import PolytomicMcpError
from polytomic_mcp.tools.api import Api
from polytomic_mcp.tools.boundary import error_text
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.definition import HandWrittenTool, Payload, ToolInput
from polytomic_mcp.tools.hints import Hints
from polytomic_mcp.tools.name_match import ranked
from polytomic_mcp.tools.tool_names import DESCRIBE_CONNECTION, FIND_RESOURCES, WAIT_SCHEMA_READY
from polytomic_mcp.tools.views import (
    HEALTHY,
    JsonObject,
    brief_failure,
    cache_view,
    items,
    obj,
    schema_row,
    short_text,
    target_object_row,
    type_id_of,
)
from polytomic_mcp.tools.world import World, visible_world

Kind = Literal["connections", "models", "syncs", "bulk_syncs", "buckets", "files", "salesforce_orgs"]
OBJECT_KINDS: tuple[Kind, ...] = ("connections", "models", "syncs", "bulk_syncs")
WORLD_KINDS: tuple[Kind, ...] = ("buckets", "files", "salesforce_orgs")
ALL_KINDS: tuple[Kind, ...] = OBJECT_KINDS + WORLD_KINDS
MAX_LISTED = 1000
SCHEMAS_WITH_FIELDS = 10
MAX_SCHEMAS = 50
MAX_TARGETS = 40


# -- find_resources --------------------------------------------------------------------


def connection_result(item: JsonObject) -> JsonObject:
    return {
        "kind": "connection",
        "id": item.get("id"),
        "name": item.get("name"),
        "type": type_id_of(item),
        "status": item.get("status"),
    }


def model_result(item: JsonObject) -> JsonObject:
    return {"kind": "model", "id": item.get("id"), "name": item.get("name"), "connection_id": item.get("connection_id")}


def sync_result(item: JsonObject) -> JsonObject:
    target = obj(item.get("target"))
    return {
        "kind": "sync",
        "id": item.get("id"),
        "name": item.get("name"),
        "target_object": item.get("target_object") or target.get("object"),
        "active": item.get("active"),
    }


def bulk_sync_result(item: JsonObject) -> JsonObject:
    return {
        "kind": "bulk_sync",
        "id": item.get("id"),
        "name": item.get("name"),
        "source_connection_id": item.get("source_connection_id"),
        "destination_connection_id": item.get("destination_connection_id"),
        "active": item.get("active"),
    }


async def _list_plain(api: Api, operation: str) -> list[JsonObject]:
    return items(await api.data(operation))


async def _list_paged(api: Api, operation: str) -> list[JsonObject]:
    return items(await api.all_pages(operation, limit=MAX_LISTED))


Lister = Callable[[Api, str], Awaitable[list[JsonObject]]]

# kind -> (list operation, how to list it, row shape)
LISTINGS: dict[str, tuple[str, Lister, Callable[[JsonObject], JsonObject]]] = {
    "connections": ("connections_list", _list_plain, connection_result),
    "models": ("models_list", _list_plain, model_result),
    "syncs": ("model_sync_list", _list_paged, sync_result),
    "bulk_syncs": ("bulk_sync_list", _list_plain, bulk_sync_result),
}


def world_rows(world: World, kinds: list[Kind]) -> list[JsonObject]:
    """Buckets, their files and Salesforce orgs as result rows (an org's name is its domain)."""
    rows: list[JsonObject] = []
    if "buckets" in kinds:
        rows += [bucket.view() for bucket in world.buckets.values()]
    if "files" in kinds:
        rows += [{"kind": "file", "name": key, "bucket": name} for name, b in world.buckets.items() for key in b.files]
    if "salesforce_orgs" in kinds:
        for org in world.orgs.values():
            view = org.view()
            rows.append({"kind": "salesforce_org", "name": view.pop("domain"), **view})
    return rows


async def list_kinds(
    request: RequestContext, kinds: list[Kind]
) -> tuple[list[JsonObject], dict[str, PolytomicMcpError]]:
    """Rows of every requested kind, plus the kinds whose listing failed and why."""
    rows: list[JsonObject] = []
    unavailable: dict[str, PolytomicMcpError] = {}
    connections: list[JsonObject] | None = None  # read once: the world is seen through them too
    for kind in kinds:
        if kind in WORLD_KINDS:
            continue
        operation, lister, shape = LISTINGS[kind]
        try:
            listed = await lister(request.api, operation)
        except PolytomicMcpError as failure:
            unavailable[kind] = failure
            continue
        if kind == "connections":
            connections = listed
        rows.extend(shape(item) for item in listed)
    wanted_world = [kind for kind in kinds if kind in WORLD_KINDS]
    if wanted_world:
        try:
            world = await visible_world(request, with_files="files" in wanted_world, connections=connections)
            rows.extend(world_rows(world, wanted_world))
        except PolytomicMcpError as failure:
            unavailable.update(dict.fromkeys(wanted_world, failure))
    return rows, unavailable


def last_run_view(status: JsonObject) -> JsonObject:
    """Whether a run is going on and how the last one ended, from a sync's status."""
    last = obj(status.get("last_execution"))
    counts = obj(last.get("counts"))
    run: JsonObject | None = None
    if last:
        run = {
            "id": last.get("id"),
            "status": last.get("status"),
            "finished_at": last.get("completed_at"),
            "records": counts.get("total", last.get("record_count")),
            "errors": counts.get("error", last.get("error_count")),
        }
    return {"running": bool(status.get("current_execution")), "last_run": run}


# kind of row -> (status operation, its path argument)
STATUS_READS = {"sync": ("model_sync_get_status", "sync_id"), "bulk_sync": ("bulk_sync_get_status", "bulk_sync_id")}


async def add_run_state(api: Api, rows: list[JsonObject]) -> None:
    """Each shown sync's running flag and last run; a status that cannot be read says so."""
    for row in rows:
        read = STATUS_READS.get(str(row.get("kind")))
        if read is None or not row.get("id"):
            continue
        operation, argument = read
        try:
            row.update(last_run_view(obj(await api.data(operation, **{argument: str(row["id"])}))))
        except PolytomicMcpError as failure:
            row["last_run"] = f"unavailable: {brief_failure(error_text(failure, FIND_RESOURCES))}"


def find_payload(rows: list[JsonObject], query: str, limit: int, unavailable: dict[str, str]) -> JsonObject:
    matches = ranked(rows, query, lambda row: str(row.get("name") or ""), lambda row: str(row.get("id") or ""))
    payload: JsonObject = {"results": [row for _, row in matches[:limit]], "total_matches": len(matches)}
    if len(matches) > limit:
        payload["more"] = (
            f"{len(matches) - limit} more matches not shown: narrow the query, pick kinds, or raise limit."
        )
    if unavailable:
        payload["unavailable"] = unavailable
    return payload


# -- describe_connection ---------------------------------------------------------------


async def load_connection(api: Api, connection_id: str) -> JsonObject:
    missing = (
        f"No connection with id {connection_id!r} (Polytomic answered 404). Look it up by name with "
        f"{FIND_RESOURCES}(query=..., kinds=['connections'])."
    )
    return obj(await api.existing("connections_get", missing, connection_id=connection_id))


async def connection_type(api: Api, type_id: str | None) -> JsonObject:
    """The type's entry in the connection type list (capabilities, OAuth); empty when unknown."""
    if not type_id:
        return {}
    for entry in items(await api.data("connections_get_types")):
        if entry.get("id") == type_id:
            return entry
    return {}


def health_text(connection: JsonObject, kind: JsonObject, hint: Hints) -> str:
    status = connection.get("status")
    if status in (None, HEALTHY):
        return "ok"
    update = hint("connections_update")
    if kind.get("use_oauth"):
        return (
            f"status {status}: authorization (OAuth) is not complete. The user must open the auth_url returned "
            f"when the connection was created ({update} with reconnect=true returns a new one); then "
            f"{hint(WAIT_SCHEMA_READY)}."
        )
    return (
        f"status {status}: the connection does not work as configured. Check its configuration "
        f"({hint('connections_test_connection')}), fix it with {update}, then describe it again."
    )


async def source_schemas(api: Api, connection_id: str) -> JsonObject:
    source = obj(await api.data("bulk_sync_get_source", connection_id=connection_id, include_fields=True))
    schemas = items(source.get("schemas"))
    rows = [schema_row(schema, index < SCHEMAS_WITH_FIELDS) for index, schema in enumerate(schemas[:MAX_SCHEMAS])]
    return {"schemas": rows, "schemas_total": len(schemas)}


async def target_objects(api: Api, connection_id: str) -> JsonObject:
    targets = items(await api.data("model_sync_targets_list", connection_id=connection_id))
    return {"targets": [target_object_row(t) for t in targets[:MAX_TARGETS]], "targets_total": len(targets)}


async def offerings(api: Api, connection_id: str, capabilities: JsonObject) -> tuple[JsonObject, list[str]]:
    """Schemas (sources) and target objects (destinations); failures become notes."""
    found: JsonObject = {}
    notes: list[str] = []
    # An unknown type (no capabilities) is tried both ways: the API says what applies.
    as_source = capabilities.get("source", True)
    as_destination = capabilities.get("destination", True)
    for wanted, reader, label in (
        (as_source, source_schemas, "schemas"),
        (as_destination, target_objects, "target objects"),
    ):
        if not wanted:
            continue
        try:
            found.update(await reader(api, connection_id))
        except PolytomicMcpError as failure:
            notes.append(f"Could not list its {label}: {brief_failure(error_text(failure, DESCRIBE_CONNECTION))}")
    return found, notes


def next_hints(connection_id: str, described: JsonObject, hint: Hints) -> list[str]:
    hints: list[str] = []
    cache = obj(described.get("schema_cache"))
    if cache and not cache.get("ready"):
        hints.append(
            f"Schema cache not ready: {hint(WAIT_SCHEMA_READY, connection_ids=[connection_id])}, then describe again."
        )
    if described.get("schemas"):
        hints.append(f"Field types of one schema: polytomic://connections/{connection_id}/schemas/{{schema_id}}.")
    if described.get("targets"):
        hints.append(
            f"Target fields (types, identity support): polytomic://connections/{connection_id}/targets/{{target_id}}"
            f"/fields, or {hint('model_sync_targets_get_fields')}."
        )
    return hints


async def describe(request: RequestContext, connection_id: str) -> JsonObject:
    api = request.api
    connection = await load_connection(api, connection_id)
    kind = await connection_type(api, type_id_of(connection))
    capabilities = obj(kind.get("capabilities"))
    view: JsonObject = {
        "id": connection.get("id"),
        "name": connection.get("name"),
        "type": type_id_of(connection),
        "type_name": kind.get("name") or obj(connection.get("type")).get("name"),
        "status": connection.get("status"),
    }
    status_error = short_text(connection.get("status_error"), 200)
    if status_error:
        view["status_error"] = status_error
    described: JsonObject = {
        "connection": view,
        "health": health_text(connection, kind, request.hints),
        "capabilities": {
            "source": capabilities.get("source"),
            "destination": capabilities.get("destination"),
            "use_oauth": kind.get("use_oauth"),
        },
        "schema_cache": cache_view(obj(await api.data("schemas_get_status", connection_id=connection_id))),
    }
    if connection.get("status") not in (None, HEALTHY):
        # An unhealthy connection lists nothing; the health text says how to fix it first.
        described["next"] = ["Its schemas and target objects are listed once it is healthy: describe it again then."]
        return described
    found, notes = await offerings(api, connection_id, capabilities)
    described.update(found)
    described["next"] = [*notes, *next_hints(connection_id, described, request.hints)]
    return described


class FindResourcesInput(ToolInput):
    query: Annotated[str, Field(description="Name words, case-insensitive (or an id); empty lists all.")] = ""
    kinds: Annotated[list[Kind] | None, Field(description="Only these kinds; default all.")] = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20


async def find_resources(args: FindResourcesInput, request: RequestContext) -> Payload:
    wanted = list(dict.fromkeys(args.kinds)) if args.kinds else list(ALL_KINDS)
    rows, unavailable = await list_kinds(request, wanted)
    if unavailable and len(unavailable) == len(wanted):
        raise next(iter(unavailable.values()))  # nothing could be listed: say why, once
    reasons = {kind: error_text(failure, FIND_RESOURCES) for kind, failure in unavailable.items()}
    payload = find_payload(rows, args.query, args.limit, reasons)
    await add_run_state(request.api, payload["results"])
    return payload


FIND_RESOURCES_TOOL = HandWrittenTool(
    name=FIND_RESOURCES,
    title="Find by name",
    description="Find by name: connections, models, syncs and bulk syncs (with status and last run), and the "
    "buckets, files and Salesforce orgs in reach; ids and key facts, best match first.",
    input_model=FindResourcesInput,
    annotations=ToolAnnotations(read_only_hint=True, open_world_hint=True),
    handler=find_resources,
)


class DescribeConnectionInput(ToolInput):
    connection_id: Annotated[str, Field(description="Connection id (find_resources turns a name into one).")]


async def describe_connection(args: DescribeConnectionInput, request: RequestContext) -> Payload:
    return await describe(request, args.connection_id.strip())


DESCRIBE_CONNECTION_TOOL = HandWrittenTool(
    name=DESCRIBE_CONNECTION,
    title="Describe a connection",
    description="What a connection offers: health, source schemas with fields, or target objects with modes.",
    input_model=DescribeConnectionInput,
    annotations=ToolAnnotations(read_only_hint=True, open_world_hint=True),
    handler=describe_connection,
)
