"""Running an operation tool: policy, validation, the HTTP call, and result shaping.

The typed operation tools, `call_operation` and every operation a hand-written tool calls
(through `tools/api.py`) come through here, so they share the same validation, access
policy and result shaping. Failures are raised; `tools/boundary.py` turns them into results.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.types import CallToolResult

from polytomic_mcp.client import PolytomicClient, PolytomicError
from polytomic_mcp.errors import ArgumentProblem, InvalidArgumentsError, MissingCredentialsError
from polytomic_mcp.settings import RequestScope, Settings
from polytomic_mcp.tools.operations.input_schema import returns_list
from polytomic_mcp.tools.operations.tools import OperationTool
from polytomic_mcp.tools.operations.wire import fill_path, path_segment, wire_problems
from polytomic_mcp.tools.policy import check_allowed
from polytomic_mcp.tools.results import structured_payload
from polytomic_mcp.tools.shaping.shape import ShapeOptions, plain_result, shaped_result
from polytomic_mcp.tools.validation import validate_arguments

__all__ = ["OperationCall", "fill_path", "path_segment"]

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

    def __init__(self, client: PolytomicClient, settings: Settings, scope: RequestScope, over_http: bool) -> None:
        self.client = client
        self.settings = settings
        self.scope = scope
        self.over_http = over_http

    def check(self, tool: OperationTool, arguments: dict[str, Any]) -> dict[str, Any]:
        """Policy, then validation (schema, ids, what fits on the wire); the arguments to send.
        Raises before anything is sent."""
        check_allowed(tool.name, not tool.read_only, self.scope.access_mode, self.settings, self.over_http)
        problems = (
            validate_arguments(tool.input_schema, arguments)
            or empty_path_ids(tool, arguments)
            or wire_problems(tool, arguments)
        )
        if problems:
            raise InvalidArgumentsError(tool.name, problems)
        if self.scope.credentials is None:
            raise MissingCredentialsError(NO_CREDENTIALS)
        return arguments

    async def raw(
        self, tool: OperationTool, arguments: dict[str, Any], idempotency_key: str | None = None
    ) -> tuple[int, Any, str | None]:
        """Send a call that passed `check`; (status, body, Location). Raises PolytomicError."""
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

    async def run(self, tool: OperationTool, arguments: dict[str, Any]) -> CallToolResult:
        checked = self.check(tool, arguments)
        status, body, location = await self.raw(tool, checked)
        # The call is done: from here on nothing may turn it into a reported failure.
        try:
            payload = structured_payload(tool.operation, status, body, location)
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
