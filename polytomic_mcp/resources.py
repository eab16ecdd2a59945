"""polytomic:// resources, resource templates and completions.

Every resource is compact JSON (`application/json`) with the stable shape below. Members
the API leaves out come back as null; lists are capped where noted and say so. Ids to
fill the templates come from completions (names → ids), find_resources, or tool results.
Ids with reserved characters (a schema id such as `exports/users.csv`) are
percent-encoded in the URI.

polytomic://connections/{connection_id}/schemas
    {connection_id, schema_cache{status, ready, last_refresh_finished},
     schemas[{id, name, fields[name]}], schemas_total}
polytomic://connections/{connection_id}/schemas/{schema_id}
    {connection_id, id, name, fields[{id, name, type, primary_key?}]}
polytomic://connections/{connection_id}/targets
    {connection_id, targets[{id, name, modes[id], identity_required_for[id]}]}
polytomic://connections/{connection_id}/targets/{target_id}/fields
    {connection_id, target_id, name, refreshed_at, modes[id], identity_required_for[id],
     properties{…the target's own flags}, identity_function_labels{id: label},
     filter_functions{id: {label, requires_value}}, default_filter_functions[id],
     fields[{id, name, type, required, supports_identity, identity_functions[id]?,
             values[text]?, references?, takes?, source_type, createable, updateable,
             filterable, encryptable, association, multiple_associations,
             filter_functions[id]?, description?}]}
    (the complete picture; model_sync_targets_get_fields gives the essentials. identity_functions
    only on fields that support identity; values on picklists the API lists values for;
    references/takes on lookups: the object they point at and what value they take;
    filter_functions only where a field's differ from default_filter_functions)
polytomic://models/{model_id}
    {id, name, connection_id, configuration, identifier, fields[{name, type}]}
polytomic://syncs/{sync_id}
    {id, name, mode, target_connection_id, target_object, schedule, active, model_ids,
     identity[{source_field, target, function}],
     fields[{target, source_field or override_value}], problems[text],
     status{current_execution{id, status}, last_execution{id, status, counts},
            next_execution_time}}
polytomic://syncs/{sync_id}/executions/{execution_id}
    {sync_id, id, status, started_at, completed_at, counts{total, insert, update, error, ...},
     type, created_at, errors[text] (first 20), errors_total}
polytomic://connection-types/{type_id}
    {type_id, name, capabilities{source, destination}, use_oauth, required[name],
     members{name: {type, required?, enum?, default?, sensitive?, read_only?, hidden?,
                    members?, items?, description?}}}
polytomic://operations (static)
    {count, operations[{tool, method, path, purpose, toolset, read_only}]}

Unknown ids are a resource-not-found error (-32602) whose message says how to find a valid
id; other API failures are a resource error carrying the API's message and next step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from polytomic_mcp.client import PolytomicError
from polytomic_mcp.errors import PolytomicMcpError
from polytomic_mcp.tokens import compact_json
from polytomic_mcp.tools.api import Api
from polytomic_mcp.tools.boundary import error_text
from polytomic_mcp.tools.connection_config import configuration_view
from polytomic_mcp.tools.context import RequestContext, SdkContext
from polytomic_mcp.tools.operations.tools import operation_tools
from polytomic_mcp.tools.shaping.sanitize import sanitize
from polytomic_mcp.tools.tool_names import FIND_RESOURCES
from polytomic_mcp.tools.views import (
    JsonObject,
    cache_view,
    counts_of,
    execution_view,
    field_mappings,
    identity_mappings,
    items,
    model_view,
    obj,
    schema_field_row,
    schema_row,
    sync_problems,
    sync_summary,
    target_field_details,
    target_object_row,
)

JSON = "application/json"
MAX_EXECUTION_ERRORS = 20
MAX_SCHEMAS = 500


def resource_json(value: Any) -> str:
    """Resource text: upstream data cleaned like tool results (invisible characters, secrets)."""
    return compact_json(sanitize(value))


@contextmanager
def api_failures(what: str, ident: str, hint: str) -> Iterator[None]:
    """A 404 → ResourceNotFoundError naming how to find a valid id; any other failure → ResourceError."""
    try:
        yield
    except PolytomicMcpError as failure:
        if isinstance(failure, PolytomicError) and failure.status == 404:
            raise ResourceNotFoundError(f"No {what} {ident!r} (Polytomic answered 404). {hint}") from None
        raise ResourceError(error_text(failure, "resources/read")) from None


def api_of(context: SdkContext) -> Api:
    """The API with this request's credentials; an unusable header is a resource error."""
    try:
        return RequestContext.of(context).api
    except PolytomicMcpError as failure:
        raise ResourceError(error_text(failure, "resources/read")) from None


FIND_CONNECTION = f"Find connection ids with {FIND_RESOURCES} or by completing connection_id."
FIND_SYNC = f"Find sync ids with {FIND_RESOURCES} or by completing sync_id."


# -- readers (one per resource; each returns the payload) ------------------------------


async def connection_schemas(api: Api, connection_id: str) -> JsonObject:
    with api_failures("connection", connection_id, FIND_CONNECTION):
        cache = cache_view(obj(await api.data("schemas_get_status", connection_id=connection_id)))
        source = obj(await api.data("bulk_sync_get_source", connection_id=connection_id, include_fields=True))
    schemas = items(source.get("schemas"))
    return {
        "connection_id": connection_id,
        "schema_cache": cache,
        "schemas": [schema_row(schema, with_fields=True) for schema in schemas[:MAX_SCHEMAS]],
        "schemas_total": len(schemas),
    }


async def schema_by_id(api: Api, connection_id: str, schema_id: str) -> JsonObject:
    """One schema; ids holding a slash (files in folders) may not route, so look in the full listing then."""
    try:
        return obj(await api.data("schemas_get", connection_id=connection_id, schema_id=schema_id))
    except PolytomicError as failure:
        if failure.status != 404 or "/" not in schema_id:
            raise
        source = obj(await api.data("bulk_sync_get_source", connection_id=connection_id, include_fields=True))
        for schema in items(source.get("schemas")):
            if schema.get("id") == schema_id:
                return schema
        raise


async def connection_schema(api: Api, connection_id: str, schema_id: str) -> JsonObject:
    hint = f"List the schemas with polytomic://connections/{connection_id}/schemas, or complete schema_id."
    with api_failures(f"schema in connection {connection_id}:", schema_id, hint):
        schema = await schema_by_id(api, connection_id, schema_id)
    return {
        "connection_id": connection_id,
        "id": schema.get("id", schema_id),
        "name": schema.get("name"),
        "fields": [schema_field_row(field) for field in items(schema.get("fields"))],
    }


async def connection_targets(api: Api, connection_id: str) -> JsonObject:
    with api_failures("connection", connection_id, FIND_CONNECTION):
        targets = items(await api.data("model_sync_targets_list", connection_id=connection_id))
    return {"connection_id": connection_id, "targets": [target_object_row(target) for target in targets]}


async def target_fields(api: Api, connection_id: str, target_id: str) -> JsonObject:
    hint = f"List target objects with polytomic://connections/{connection_id}/targets, or complete target_id."
    with api_failures(f"target object in connection {connection_id}:", target_id, hint):
        target = obj(await api.data("model_sync_targets_get_fields", connection_id=connection_id, target=target_id))
    modes = items(target.get("modes"))
    return {
        "connection_id": connection_id,
        "target_id": target.get("id") or target_id,
        "name": target.get("name"),
        "refreshed_at": target.get("refreshed_at"),
        "modes": [mode.get("mode") or mode.get("id") for mode in modes],
        "identity_required_for": [
            mode.get("mode") or mode.get("id") for mode in modes if mode.get("requires_identity")
        ],
        **target_field_details(target),
    }


async def model(api: Api, model_id: str) -> JsonObject:
    with api_failures("model", model_id, f"Find model ids with {FIND_RESOURCES} or by completing model_id."):
        return model_view(obj(await api.data("models_get", model_id=model_id)))


def _execution_brief(execution: Any, with_counts: bool = False) -> JsonObject | None:
    execution = obj(execution)
    if not execution:
        return None
    brief: JsonObject = {"id": execution.get("id"), "status": execution.get("status")}
    if with_counts:
        brief["counts"] = counts_of(execution)
    return brief


async def sync(api: Api, sync_id: str) -> JsonObject:
    with api_failures("sync", sync_id, FIND_SYNC):
        found = obj(await api.data("model_sync_get", sync_id=sync_id))
        status = obj(await api.data("model_sync_get_status", sync_id=sync_id))
    return {
        **sync_summary(found),
        "model_ids": found.get("model_ids") or [],
        "identity": identity_mappings(found),
        "fields": field_mappings(found),
        "problems": sync_problems(found),
        "status": {
            "current_execution": _execution_brief(status.get("current_execution")),
            "last_execution": _execution_brief(status.get("last_execution"), with_counts=True),
            "next_execution_time": status.get("next_execution_time"),
        },
    }


async def execution(api: Api, sync_id: str, execution_id: str) -> JsonObject:
    hint = f"Complete execution_id (given sync_id), or see the latest runs with diagnose_sync(sync_id='{sync_id}')."
    with api_failures(f"execution of sync {sync_id}:", execution_id, hint):
        found = obj(await api.data("model_sync_executions_get", sync_id=sync_id, execution_id=execution_id))
    errors = [str(message) for message in found.get("errors") or []]
    return {
        "sync_id": sync_id,
        **execution_view(found),
        "type": found.get("type"),
        "created_at": found.get("created_at"),
        "errors": errors[:MAX_EXECUTION_ERRORS],
        "errors_total": len(errors),
    }


async def connection_type(api: Api, type_id: str) -> JsonObject:
    hint = "Complete type_id, or list types with connections_get_types."
    with api_failures("connection type", type_id, hint):
        listed = next(
            (entry for entry in items(await api.data("connections_get_types")) if entry.get("id") == type_id), {}
        )
        _, body, _ = await api.envelope("connections_get_type_schema", type_id=type_id)
    document = obj(body)
    # The route answers with the schema document itself; tolerate a {data: …} envelope too.
    if isinstance(document.get("data"), dict):
        document = document["data"]
    if not listed and not document:
        raise ResourceNotFoundError(f"No connection type {type_id!r}. {hint}")
    return {
        "type_id": type_id,
        "name": listed.get("name"),
        "capabilities": {
            "source": obj(listed.get("capabilities")).get("source"),
            "destination": obj(listed.get("capabilities")).get("destination"),
        },
        "use_oauth": listed.get("use_oauth"),
        **configuration_view(document),
    }


def operations_index() -> JsonObject:
    rows = [
        {
            "tool": tool.name,
            "method": tool.operation.method,
            "path": tool.operation.path,
            "purpose": tool.operation.purpose,
            "toolset": tool.toolset,
            "read_only": tool.read_only,
        }
        for tool in operation_tools()
    ]
    return {"count": len(rows), "operations": rows}


# -- registration ----------------------------------------------------------------------


def register_resources(server: MCPServer[Any]) -> None:
    """The resources above and their templates (`completions.register_completions` fills them)."""

    @server.resource(
        "polytomic://connections/{connection_id}/schemas",
        name="connection_schemas",
        title="Connection schemas",
        description="A source connection's schemas (tables, files, objects) with their field names.",
        mime_type=JSON,
    )
    async def read_connection_schemas(connection_id: str, ctx: SdkContext) -> str:
        return resource_json(await connection_schemas(api_of(ctx), connection_id))

    @server.resource(
        "polytomic://connections/{connection_id}/schemas/{schema_id}",
        name="connection_schema",
        title="Schema fields",
        description="One schema of a source connection: its fields with types.",
        mime_type=JSON,
    )
    async def read_connection_schema(connection_id: str, schema_id: str, ctx: SdkContext) -> str:
        return resource_json(await connection_schema(api_of(ctx), connection_id, schema_id))

    @server.resource(
        "polytomic://connections/{connection_id}/targets",
        name="connection_targets",
        title="Target objects",
        description="A destination's target objects and the sync modes each supports.",
        mime_type=JSON,
    )
    async def read_connection_targets(connection_id: str, ctx: SdkContext) -> str:
        return resource_json(await connection_targets(api_of(ctx), connection_id))

    @server.resource(
        "polytomic://connections/{connection_id}/targets/{target_id}/fields",
        name="target_fields",
        title="Target fields",
        description="Every detail of one target object's fields: types, identity, picklists, lookups, filters.",
        mime_type=JSON,
    )
    async def read_target_fields(connection_id: str, target_id: str, ctx: SdkContext) -> str:
        return resource_json(await target_fields(api_of(ctx), connection_id, target_id))

    @server.resource(
        "polytomic://models/{model_id}",
        name="model",
        title="Model",
        description="A model: its source connection, configuration and fields.",
        mime_type=JSON,
    )
    async def read_model(model_id: str, ctx: SdkContext) -> str:
        return resource_json(await model(api_of(ctx), model_id))

    @server.resource(
        "polytomic://syncs/{sync_id}",
        name="sync",
        title="Model sync",
        description="A model sync: target, mode, identity, field mappings, problems and current status.",
        mime_type=JSON,
    )
    async def read_sync(sync_id: str, ctx: SdkContext) -> str:
        return resource_json(await sync(api_of(ctx), sync_id))

    @server.resource(
        "polytomic://syncs/{sync_id}/executions/{execution_id}",
        name="execution",
        title="Sync execution",
        description="One execution of a model sync: status, times, counts and its first errors.",
        mime_type=JSON,
    )
    async def read_execution(sync_id: str, execution_id: str, ctx: SdkContext) -> str:
        return resource_json(await execution(api_of(ctx), sync_id, execution_id))

    @server.resource(
        "polytomic://connection-types/{type_id}",
        name="connection_type",
        title="Connection type configuration",
        description="What configuring a connection of this type takes: members, types, choices, secrets.",
        mime_type=JSON,
    )
    async def read_connection_type(type_id: str, ctx: SdkContext) -> str:
        return resource_json(await connection_type(api_of(ctx), type_id))

    @server.resource(
        "polytomic://operations",
        name="operations",
        title="API operations",
        description="Index of every Polytomic API operation: tool name, method, path, purpose, toolset, read_only.",
        mime_type=JSON,
    )
    def read_operations() -> str:
        return resource_json(operations_index())
