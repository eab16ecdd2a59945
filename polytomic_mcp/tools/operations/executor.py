"""Running an operation tool: the guard, validation, the HTTP call, and result shaping.

The typed operation tools, `call_read_operation`/`call_write_operation` and every operation
a hand-written tool calls (through `tools/api.py`) come through `check` and `send`, so they
share the same guard (tier, deny list, safe mode, the user's confirmation of destructive
operations, the audit trail; `guardrails/`), validation and result shaping. Failures are raised;
`tools/boundary.py` turns them into results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mcp.types import CallToolResult

from polytomic_mcp.client import PolytomicClient, PolytomicError
from polytomic_mcp.errors import ArgumentProblem, InvalidArgumentsError, MissingCredentialsError
from polytomic_mcp.guardrails.guard import CallRecord, Guard
from polytomic_mcp.guardrails.previews import Preview, Reader, build_preview
from polytomic_mcp.settings import RequestScope, Settings
from polytomic_mcp.tools.operations.input_schema import returns_list
from polytomic_mcp.tools.operations.tools import OperationTool
from polytomic_mcp.tools.operations.wire import fill_path, wire_problems
from polytomic_mcp.tools.results import structured_payload
from polytomic_mcp.tools.shaping.operation_views import operation_view
from polytomic_mcp.tools.shaping.shape import ShapeOptions, plain_result, shaped_result
from polytomic_mcp.tools.validation import validate_arguments

logger = logging.getLogger("polytomic_mcp.tools")

NO_CREDENTIALS = (
    "No Polytomic API key for this request. Set POLYTOMIC_API_KEY (stdio), send "
    "'Authorization: Bearer <key>' (HTTP), or start the server with --sandbox to use the offline sandbox."
)


def empty_path_ids(tool: OperationTool, arguments: dict[str, Any]) -> list[ArgumentProblem]:
    """Path ids given as empty or blank strings: sent, they would address the collection, not an object."""
    return [
        ArgumentProblem(name, "must not be empty or blank; give the id of an existing object")
        for name, target in tool.arguments.targets.items()
        if target.location == "path" and not str(arguments.get(name, "x")).strip(" \t\r\n")
    ]


class OperationCall:
    """Everything needed to run operation tools for one request."""

    def __init__(
        self,
        client: PolytomicClient,
        settings: Settings,
        scope: RequestScope,
        guard: Guard,
        reader: Callable[[], Reader],
    ) -> None:
        self.client = client
        self.settings = settings
        self.scope = scope
        self.guard = guard
        self._reader = reader  # the request's Api, for the reads a preview needs

    def check(self, tool: OperationTool, arguments: dict[str, Any]) -> dict[str, Any]:
        """Tier and deny list, then validation (schema, ids, what fits on the wire); the arguments
        to send. Raises before anything is sent."""
        self.guard.check(tool)
        current, _ = tool.arguments.resolve_aliases(arguments)  # old names still work; `run` says so
        problems = (
            validate_arguments(tool.input_schema, current)
            or empty_path_ids(tool, current)
            or wire_problems(tool, current)
        )
        if problems:
            raise InvalidArgumentsError(tool.name, problems)
        if self.scope.credentials is None:
            raise MissingCredentialsError(NO_CREDENTIALS)
        return current

    async def _raw(
        self, tool: OperationTool, arguments: dict[str, Any], idempotency_key: str | None = None
    ) -> tuple[int, Any, str | None]:
        """The HTTP call itself; only `send` calls it, through the guard. (status, body, Location)."""
        assert self.scope.credentials is not None, "check() refuses calls without credentials"
        parts = tool.arguments.split(arguments)
        op = tool.operation
        try:
            response = await self.client.request(
                op.method,
                fill_path(op.path, parts["path"]),
                credentials=self.scope.credentials,
                query=parts["query"] or None,
                json=parts["body"] if op.request_body is not None else None,
                headers={k: str(v) for k, v in parts["header"].items()} or None,
                idempotency_key=idempotency_key,
            )
        except PolytomicError as failure:
            failure.operation = tool.name  # errors name the operation that failed, not the tool that called it
            raise
        return response.status, response.data, response.headers.get("location")

    async def send(
        self, tool: OperationTool, checked: dict[str, Any], idempotency_key: str | None = None
    ) -> tuple[tuple[int, Any, str | None], CallRecord]:
        """Send a call that passed `check`, through the guard (safe mode, confirmation, audit)."""
        return await self.guard.send(tool, checked, lambda: self._raw(tool, checked, idempotency_key), self._reader())

    async def confirm(self, tool: OperationTool, checked: dict[str, Any], preview: Preview | None) -> None:
        """Ask the user now to confirm this exact call (a workflow's overwrite); sending it later asks no more."""
        self.guard.check_session(tool, checked)
        shown = preview if preview is not None else await build_preview(tool, checked, self._reader())
        await self.guard.confirm(tool.operation.name, checked, shown)

    async def run(self, tool: OperationTool, arguments: dict[str, Any]) -> CallToolResult:
        checked = self.check(tool, arguments)
        (status, body, location), record = await self.send(tool, checked)
        # The call is done: from here on nothing may turn it into a reported failure.
        try:
            payload = operation_view(
                tool.operation.name, structured_payload(tool.operation, status, body, location), checked
            )
            if record.preview is not None and record.preview.is_delete:
                payload.update(left_behind(record.preview))
            _, renamed = tool.arguments.resolve_aliases(arguments)
            if renamed:
                notes = [str(payload["note"])] if payload.get("note") else []
                payload["note"] = "; ".join([*renamed, *notes])
            local = tool.arguments.split(checked)["local"]
            options = ShapeOptions(
                budget=self.settings.result_tokens,
                list_result=returns_list(tool.operation),
                fields=local.get("fields"),
                skip=int(local.get("skip") or 0),
            )
        except Exception:
            logger.exception("building the result of %s failed; answering with its plain JSON", tool.name)
            return plain_result({"data": body, "status": status})
        return shaped_result(payload, options)


def left_behind(preview: Preview) -> dict[str, Any]:
    """What a delete left in place, and how to remove each (a delete result's extra members)."""
    remains = preview.remains()
    if not remains:
        return {"deleted": preview.subject.view()}
    return {
        "deleted": preview.subject.view(),
        "left_behind": [r.view() for r in remains],
        "note": "These were not deleted. Remove each with the tool named in remove_with (after the user agrees; "
        "one that is not listed runs through call_write_operation), or keep them for other syncs.",
    }
