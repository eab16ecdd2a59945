"""The API as hand-written code sees it: call an operation by its catalog name, get its data.

Calls go through the same `OperationCall` as the typed operation tools, so argument
validation and the access mode apply to every step a workflow, resource or completion
takes. Failures are raised, never returned: `InvalidArgumentsError` or `AccessDeniedError`
before anything is sent, `PolytomicError` (with `operation` set) when the API refused.
"""

from __future__ import annotations

from typing import Any

from polytomic_mcp.client import PolytomicError
from polytomic_mcp.errors import NotFoundError
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

    async def envelope(
        self, operation: str, idempotency_key: str | None = None, **arguments: Any
    ) -> tuple[int, Any, str | None]:
        """(status, whole JSON body, Location) of one operation.

        `idempotency_key` makes a create safe to repeat: Polytomic replays the first answer.
        """
        tool = self._tool(operation)
        checked = self._call.check(tool, {k: v for k, v in arguments.items() if v is not None})
        self.requests += 1
        return await self._call.raw(tool, checked, idempotency_key)

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
