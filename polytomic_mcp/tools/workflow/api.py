"""The API as workflow code sees it: call an operation by name, get its data or one error.

Calls go through the same OperationCall as the typed tools, so argument validation and
the access mode apply to every step a workflow takes.
"""

from __future__ import annotations

from typing import Any

from mcp.types import CallToolResult

from polytomic_mcp.app_state import ToolContext, app_state, operation_call
from polytomic_mcp.client import PolytomicError
from polytomic_mcp.tools.executor import OperationCall
from polytomic_mcp.tools.operation_tools import OperationToolIndex
from polytomic_mcp.tools.results import api_error_text, next_page_token


class StepError(Exception):
    """A workflow step failed; `text` says what and what to do next."""

    def __init__(self, text: str, status: int | None = None, key: str | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.status = status
        self.key = key


class Api:
    """Operation calls for one tool invocation."""

    def __init__(self, call: OperationCall, tools: OperationToolIndex) -> None:
        self._call = call
        self._tools = tools
        self.requests = 0

    @classmethod
    def for_context(cls, context: ToolContext) -> Api:
        return cls(operation_call(context), app_state(context).tools)

    async def envelope(
        self, operation: str, idempotency_key: str | None = None, **arguments: Any
    ) -> tuple[int, Any, str | None]:
        """(status, whole JSON body, Location) of one operation; StepError on any failure.

        `idempotency_key` makes a create safe to repeat: Polytomic replays the first answer.
        """
        tool = self._tools.get(operation)
        if tool is None:
            raise StepError(f"unknown operation {operation}")
        checked = self._call.check(tool, {k: v for k, v in arguments.items() if v is not None})
        if isinstance(checked, CallToolResult):
            raise StepError("".join(getattr(block, "text", "") for block in checked.content))
        self.requests += 1
        try:
            return await self._call.raw(tool, checked, idempotency_key)
        except PolytomicError as failure:
            text = api_error_text(tool.name, failure)
            raise StepError(text, failure.status, failure.key) from None

    async def data(self, operation: str, idempotency_key: str | None = None, **arguments: Any) -> Any:
        """The `data` member of an operation's answer."""
        _, body, _ = await self.envelope(operation, idempotency_key, **arguments)
        return body.get("data") if isinstance(body, dict) else body

    async def all_pages(self, operation: str, limit: int = 500, **arguments: Any) -> list[Any]:
        """Every item of a paged list (bounded by `limit` items)."""
        items: list[Any] = []
        token: str | None = None
        while True:
            _, body, _ = await self.envelope(operation, page_token=token, **arguments)
            page = body.get("data") if isinstance(body, dict) else None
            items.extend(page or [])
            tool = self._tools.get(operation)
            token = next_page_token(tool.operation, body) if tool is not None else None
            if not token or len(items) >= limit:
                return items[:limit]
