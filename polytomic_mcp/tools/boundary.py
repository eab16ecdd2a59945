"""The one place an exception becomes what the agent reads.

Every tool call (operation and hand-written alike) runs inside `guarded`. Expected failures
(`PolytomicMcpError`) become an `isError` result with their text — or, when they carry a
structured report, that report shaped like any result. Anything else is a bug: it is logged
with its traceback and the agent is told the server failed, never the exception's text
(which may quote input). Cancellation passes through untouched. `InputRequired` is not a
failure: the call must ask the user first (the guard's confirmation, 2026-07-28 clients),
and its `InputRequiredResult` is the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from mcp.types import CallToolResult, InputRequiredResult

from polytomic_mcp.client import PolytomicError
from polytomic_mcp.errors import InputRequired, PolytomicMcpError
from polytomic_mcp.tools.results import api_error_text, error_result
from polytomic_mcp.tools.shaping.sanitize import clean_text
from polytomic_mcp.tools.shaping.shape import ShapeOptions, shaped_result

logger = logging.getLogger("polytomic_mcp.tools")

R = TypeVar("R")


def error_text(failure: PolytomicMcpError, tool: str) -> str:
    """What failed and what to do next, naming the operation that failed where there was one."""
    if isinstance(failure, PolytomicError):
        return api_error_text(failure.operation or tool, failure)
    return clean_text(str(failure))


def failure_result(failure: PolytomicMcpError, tool: str, budget: int) -> CallToolResult:
    if failure.payload is not None:
        return shaped_result(failure.payload, ShapeOptions(budget=budget), is_error=True)
    return error_result(error_text(failure, tool))


def internal_error(tool: str) -> CallToolResult:
    return error_result(f"{tool} failed inside the MCP server (not in Polytomic); see the server log.")


async def guarded(tool: str, budget: int, call: Callable[[], Awaitable[R]]) -> R | CallToolResult | InputRequiredResult:
    """Run one tool call; every exception it raises becomes an error result here."""
    try:
        return await call()
    except InputRequired as question:
        return question.result
    except PolytomicMcpError as failure:
        return failure_result(failure, tool, budget)
    except Exception:
        logger.exception("tool %s failed unexpectedly", tool)
        return internal_error(tool)
