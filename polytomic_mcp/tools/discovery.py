"""Discovery tools: search, describe and call any API operation by name.

With these three tools every operation is reachable, whatever toolsets are listed.
`call_read_operation` and `call_write_operation` go through the same validation, access
policy and result shaping as the typed tool they stand in for; reads and writes are
separate tools so that each one's annotations are true of every call it makes.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from polytomic_mcp.errors import ArgumentProblem, InvalidArgumentsError, NotFoundError
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.definition import HandWrittenTool, Payload, ToolInput
from polytomic_mcp.tools.operations.search import operation_search
from polytomic_mcp.tools.operations.tools import OperationTool
from polytomic_mcp.tools.schema_shaping import BRIEF_NOTE
from polytomic_mcp.tools.shaping.shape import ShapeOptions, shaped_result
from polytomic_mcp.tools.tool_names import (
    CALL_READ_OPERATION,
    CALL_WRITE_OPERATION,
    DESCRIBE_OPERATION,
    SEARCH_OPERATIONS,
)
from polytomic_mcp.tools.toolsets import ALL_TOOLSETS

MAX_RESPONSE_FIELDS = 30


def _lookup(request: RequestContext, name: str) -> OperationTool:
    tool = request.state.tools.get(name.strip())
    if tool is not None:
        return tool
    suggestions = [hit.tool.name for hit in operation_search().search(name, limit=3)]
    hint = f" Closest: {', '.join(suggestions)}." if suggestions else ""
    raise NotFoundError(f"No operation named {name!r}.{hint} Use {SEARCH_OPERATIONS} to find one.")


def _example_value(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return "..."
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "$ref" in schema:
        return {}
    return {"integer": 0, "number": 0, "boolean": True, "array": []}.get(str(kind), "...")


def example_arguments(tool: OperationTool) -> dict[str, Any]:
    properties = tool.input_schema.get("properties", {})
    return {name: _example_value(properties[name]) for name in tool.input_schema.get("required", [])}


def _fields_of(schema: Any, defs: dict[str, Any], depth: int = 0) -> Any:
    """A compact picture of a response schema: member names, lists as [ ... ]."""
    if not isinstance(schema, dict) or depth > 2:
        return "…"
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _fields_of(defs.get(ref.rsplit("/", 1)[-1], {}), defs, depth)
    for branch in schema.get("anyOf", []):
        if branch.get("type") != "null":
            return _fields_of(branch, defs, depth)
    if "properties" in schema:
        names = list(schema["properties"])[:MAX_RESPONSE_FIELDS]
        if depth >= 1:
            return names
        return {name: _fields_of(schema["properties"][name], defs, depth + 1) for name in names}
    if "items" in schema:
        return [_fields_of(schema["items"], defs, depth)]
    kind = schema.get("type")
    return kind[0] if isinstance(kind, list) else (kind or "any")


def response_summary(tool: OperationTool) -> Any:
    body = tool.operation.response_body
    if not body:
        return "no JSON body"
    return _fields_of(body, body.get("$defs", {}))


def describe(tool: OperationTool, request: RequestContext) -> dict[str, Any]:
    op = tool.operation
    state = request.state
    allowed = request.allows(tool)
    brief_listing = tool.description.endswith(BRIEF_NOTE)
    described: dict[str, Any] = {
        "tool": tool.name,
        "method": op.method,
        "path": op.path,
        "purpose": tool.description.removesuffix(BRIEF_NOTE).rstrip(),
        "toolset": tool.toolset,
        "listed": state.selection.selects(op),
        "safety": {
            "read_only": op.read_only,
            "destructive": op.destructive,
            "idempotent": op.idempotent,
            **({"confirmed_by_user": True} if op.destructive and request.scope.confirm_destructive else {}),
        },
        "allowed_now": allowed,
        "input_schema": tool.input_schema,
        "response": response_summary(tool),
        "example": {
            "tool": runner_for(tool),
            "arguments": {"operation": tool.name, "arguments": example_arguments(tool)},
        },
    }
    if op.pagination:
        described["pagination"] = "pass next_page_token back as the paging argument"
    if op.async_info:
        described["background_work"] = {"poll": op.async_info.poll, "done_when": op.async_info.done_when}
    if op.notes:
        described["notes"] = list(op.notes)
    if brief_listing:
        described["note"] = (
            "input_schema is the full schema arguments are checked against; tools/list shows this tool "
            "with its rarely used nested members cut to their bare type"
        )
    return described


class SearchOperationsInput(ToolInput):
    query: Annotated[str, Field(description="Words: what you want to do, a resource, a field name.")]
    toolset: Annotated[str | None, Field(description="Only this toolset, e.g. bulk_syncs.")] = None
    limit: Annotated[int, Field(ge=1, le=25)] = 8


async def search_operations(args: SearchOperationsInput, request: RequestContext) -> CallToolResult:
    if args.toolset is not None and args.toolset not in ALL_TOOLSETS:
        expected = f"unknown {args.toolset!r}; expected one of: {', '.join(ALL_TOOLSETS)}"
        raise InvalidArgumentsError(SEARCH_OPERATIONS, [ArgumentProblem("toolset", expected)])
    selection = request.state.selection
    hits = operation_search().search(args.query, limit=args.limit, toolset=args.toolset)
    rows = [
        {
            "tool": hit.tool.name,
            "does": hit.tool.operation.purpose,
            "call": f"{hit.tool.operation.method} {hit.tool.operation.path}",
            **({} if selection.selects(hit.tool.operation) else {"listed": False}),
            **({} if request.allows(hit.tool) else {"allowed_now": False}),
        }
        for hit in hits
    ]
    if not rows:
        return catalog_result(
            {"results": [], "next": "No operation matches these words; try other or fewer words."}, request
        )
    listed = request.hints.listed
    runners = [f"{name} ({kind})" for name, kind in ((CALL_READ_OPERATION, "reads"), (CALL_WRITE_OPERATION, "writes"))]
    reachable = [text for text in runners if text.split(" ")[0] in listed]
    through = f" Unlisted ones run through {' or '.join(reachable)}." if reachable else ""
    return catalog_result({"results": rows, "next": f"Inputs: {DESCRIBE_OPERATION}.{through}"}, request)


SEARCH_OPERATIONS_TOOL = HandWrittenTool(
    name=SEARCH_OPERATIONS,
    title="Search API operations",
    description="Find Polytomic API operations (all 198, listed or not) by words; ranked, compact.",
    input_model=SearchOperationsInput,
    annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False),
    handler=search_operations,
)


class DescribeOperationInput(ToolInput):
    operation: Annotated[str, Field(description="Tool name from search_operations.")]


def catalog_result(payload: Payload, request: RequestContext, tables: bool = True) -> CallToolResult:
    """A result made only of the catalog's words: shaped and budgeted like any other, but neither
    fenced as untrusted data nor masked (nothing in it came from Polytomic or the systems behind it)."""
    options = ShapeOptions(budget=request.settings.result_tokens, server_words=True, tables=tables)
    return shaped_result(payload, options)


async def describe_operation(args: DescribeOperationInput, request: RequestContext) -> CallToolResult:
    # tables=False: the input schema and the example keep their exact shape in the text.
    return catalog_result(describe(_lookup(request, args.operation), request), request, tables=False)


DESCRIBE_OPERATION_TOOL = HandWrittenTool(
    name=DESCRIBE_OPERATION,
    title="Describe an API operation",
    description="One operation in full: input schema, response fields, paging, safety, an example call.",
    input_model=DescribeOperationInput,
    annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False),
    handler=describe_operation,
)


class CallOperationInput(ToolInput):
    operation: Annotated[str, Field(description="Tool name from search_operations.")]
    arguments: Annotated[dict[str, Any] | None, Field(description="Its arguments, as describe_operation shows.")] = None


def runner_for(tool: OperationTool) -> str:
    """The discovery tool that runs this operation: reads and writes are separate tools, so
    each can carry annotations that are true of everything it does."""
    return CALL_READ_OPERATION if tool.read_only else CALL_WRITE_OPERATION


async def _run(runner: str, args: CallOperationInput, request: RequestContext) -> CallToolResult:
    tool = _lookup(request, args.operation)
    if runner_for(tool) != runner:
        kind = "only reads" if tool.read_only else "changes data"
        raise InvalidArgumentsError(
            runner, [ArgumentProblem("operation", f"{tool.name} {kind}: run it with {runner_for(tool)}")]
        )
    return await request.operations.run(tool, args.arguments or {})


async def call_read_operation(args: CallOperationInput, request: RequestContext) -> CallToolResult:
    return await _run(CALL_READ_OPERATION, args, request)


async def call_write_operation(args: CallOperationInput, request: RequestContext) -> CallToolResult:
    return await _run(CALL_WRITE_OPERATION, args, request)


CALL_READ_OPERATION_TOOL = HandWrittenTool(
    name=CALL_READ_OPERATION,
    title="Run an API read",
    description="Run any read-only operation (get, list, status) by name, listed or not.",
    input_model=CallOperationInput,
    annotations=ToolAnnotations(read_only_hint=True),
    handler=call_read_operation,
)

CALL_WRITE_OPERATION_TOOL = HandWrittenTool(
    name=CALL_WRITE_OPERATION,
    title="Run an API write",
    description="Run any operation that changes data (create, update, delete, start) by name, listed or not.",
    input_model=CallOperationInput,
    annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False),
    handler=call_write_operation,
    runs_operations=True,
)
