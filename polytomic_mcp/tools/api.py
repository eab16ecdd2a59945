"""The API as hand-written code sees it: call an operation by its catalog name, get its data.

Calls go through the same `OperationCall` as the typed operation tools, so argument
validation, the access mode and the guard (a destructive step asks the user first) apply
to every step a workflow, resource or completion takes. Failures are raised, never
returned: `InvalidArgumentsError` or `AccessDeniedError` before anything is sent,
`NotConfirmedError` when the user did not confirm, `PolytomicError` (with `operation` set)
when the API refused. A 2026-07-28 client is asked by raising `InputRequired`, which ends
the call; the client calls again with the answer, so a workflow must be safe to repeat.
"""

from __future__ import annotations

from typing import Any

from polytomic_mcp.client import PolytomicError
from polytomic_mcp.errors import NotFoundError
from polytomic_mcp.guardrails.previews import Preview
from polytomic_mcp.tools.operations.executor import OperationCall
from polytomic_mcp.tools.operations.tools import OperationTool, OperationToolIndex
from polytomic_mcp.tools.results import next_page_token


class Api:
    """Operation calls for one request (it counts how many it sent)."""

    def __init__(self, call: OperationCall, tools: OperationToolIndex) -> None:
        self._call = call
        self._tools = tools
        self.requests = 0

    def _tool(self, operation: str) -> OperationTool:
        tool = self._tools.get(operation)
        if tool is None:  # a programming error: the literal-names test keeps these in the catalog
            raise KeyError(f"unknown operation {operation!r}")
        return tool

    def argument_names(self, operation: str) -> set[str]:
        """The arguments an operation's tool takes (to keep only those when re-sending an object)."""
        return set(self._tool(operation).input_schema.get("properties", {}))

    async def envelope(
        self, operation: str, idempotency_key: str | None = None, **arguments: Any
    ) -> tuple[int, Any, str | None]:
        """(status, whole JSON body, Location) of one operation.

        `idempotency_key` makes a create safe to repeat: Polytomic replays the first answer.
        """
        tool = self._tool(operation)
        checked = self._call.check(tool, {k: v for k, v in arguments.items() if v is not None})
        self.requests += 1
        response, _ = await self._call.send(tool, checked, idempotency_key)
        return response

    async def confirm_overwrite(self, operation: str, preview: Preview | None = None, **arguments: Any) -> None:
        """Ask the user to confirm one exact call before a workflow makes it (an overwrite).

        Call it with the operation and the very arguments the workflow will send next; it
        returns once the user confirmed, and that call then runs without asking again. It raises
        `NotConfirmedError` (declined, cancelled, timed out, no way to ask) or `InputRequired`
        (a 2026-07-28 client: the tool call ends, and the retry brings the answer). `preview`
        (`guardrails.overwrite_preview`) shows the workflow's own field-by-field diff; without it,
        the object is read and diffed against the arguments as for any destructive operation.
        With `--confirm-destructive never` it returns at once. Tier and deny list apply first.
        """
        tool = self._tool(operation)
        checked = self._call.check(tool, {k: v for k, v in arguments.items() if v is not None})
        await self._call.confirm(tool, checked, preview)

    async def data(self, operation: str, idempotency_key: str | None = None, **arguments: Any) -> Any:
        """The `data` member of an operation's answer."""
        _, body, _ = await self.envelope(operation, idempotency_key, **arguments)
        return body.get("data") if isinstance(body, dict) else body

    async def existing(self, operation: str, missing: str, **arguments: Any) -> Any:
        """The `data` of a read whose ids the caller gave; NotFoundError(`missing`) when Polytomic answers 404."""
        try:
            return await self.data(operation, **arguments)
        except PolytomicError as failure:
            if failure.status == 404:
                raise NotFoundError(missing) from None
            raise

    async def all_pages(self, operation: str, limit: int = 500, **arguments: Any) -> list[Any]:
        """Every item of a paged list (bounded by `limit` items)."""
        paging = self._tool(operation).operation
        items: list[Any] = []
        token: str | None = None
        while True:
            _, body, _ = await self.envelope(operation, page_token=token, **arguments)
            page = body.get("data") if isinstance(body, dict) else None
            items.extend(page or [])
            token = next_page_token(paging, body)
            if not token or len(items) >= limit:
                return items[:limit]
