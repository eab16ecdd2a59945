"""stdio with an answer for every line: the SDK's stdio transport, plus JSON-RPC errors for
the messages it cannot read.

The SDK's reader hands a line it cannot parse (nested deeper than its JSON parser goes, a
lone surrogate escape, not JSON, not a JSON-RPC message) to the server as an exception,
and the server drops it: the client waits forever. Here each such line is answered with a
JSON-RPC error: -32700 (parse error) when the line is not JSON the server reads, -32600
(invalid request) when it is JSON but not a message, carrying the request's id when
Python's own parser can still read one, else null. The SDK keeps everything else,
including its guard of fd 0 and 1 (stray reads see EOF, stray prints go to stderr).

Error texts say what was wrong, never what the line held (it may carry a secret).
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import anyio
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp.types import ErrorData, JSONRPCError
from pydantic import ValidationError

from polytomic_mcp.jsonrpc_errors import INVALID_REQUEST, NOT_A_MESSAGE, PARSE_ERROR, request_id

logger = logging.getLogger("polytomic_mcp.stdio")

Item = TypeVar("Item")


def error_for(failure: Exception) -> JSONRPCError:
    """The JSON-RPC error answering a line the SDK could not read."""
    if not isinstance(failure, ValidationError):
        return JSONRPCError(
            jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message="Parse error: unreadable message")
        )
    first = failure.errors(include_url=False)[0]
    raw = first.get("input")
    if first.get("type") == "json_invalid":
        reason = str(first.get("msg", "invalid JSON")).removeprefix("Invalid JSON: ")
        depth = " (this server reads JSON nested at most about 200 levels deep)" if "recursion" in reason else ""
        message = f"Parse error: {reason}{depth}"
        return JSONRPCError(jsonrpc="2.0", id=request_id(raw), error=ErrorData(code=PARSE_ERROR, message=message))
    return JSONRPCError(jsonrpc="2.0", id=request_id(raw), error=ErrorData(code=INVALID_REQUEST, message=NOT_A_MESSAGE))


class AnsweringReadStream(Generic[Item]):
    """The SDK's read stream, minus the exceptions: each is answered on the write stream instead."""

    def __init__(self, inner: Any, write: Any) -> None:
        self._inner = inner
        self._write = write

    @property
    def last_context(self) -> Any:
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> Item:
        while True:
            item = await self._inner.receive()
            if not isinstance(item, Exception):
                return item  # type: ignore[no-any-return]
            if _blank(item):
                continue  # an empty line between messages is not a message
            answer = error_for(item)
            logger.info("answered an unreadable stdio message with JSON-RPC error %d", answer.error.code)
            await self._write.send(SessionMessage(answer))

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Item:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _blank(failure: Exception) -> bool:
    if not isinstance(failure, ValidationError):
        return False
    raw = failure.errors(include_url=False)[0].get("input")
    return isinstance(raw, str) and not raw.strip()


async def serve_stdio(server: Server[Any]) -> None:
    """Serve MCP on stdin/stdout until stdin closes (what `MCPServer.run_stdio_async` does, answering)."""
    async with stdio_server() as (read_stream, write_stream):
        answering: AnsweringReadStream[SessionMessage | Exception] = AnsweringReadStream(read_stream, write_stream)
        await server.run(answering, write_stream, server.create_initialization_options())
