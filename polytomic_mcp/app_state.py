"""What every request shares (the lifespan value) and how a tool reaches it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context

from polytomic_mcp.client import PolytomicClient
from polytomic_mcp.settings import RequestScope, Settings, request_scope
from polytomic_mcp.tools.executor import OperationCall
from polytomic_mcp.tools.operation_tools import OperationToolIndex
from polytomic_mcp.tools.toolsets import ToolsetSelection


@dataclass(slots=True)
class AppState:
    """Settings, the one HTTP client, the tool index and the toolset selection."""

    settings: Settings
    client: PolytomicClient
    tools: OperationToolIndex
    selection: ToolsetSelection


ToolContext = Context[AppState, Any]


def app_state(context: ToolContext) -> AppState:
    state: AppState = context.request_context.lifespan_context
    return state


def scope_of(context: ToolContext) -> RequestScope:
    """This request's credentials and access mode (headers over HTTP, settings on stdio)."""
    return request_scope(app_state(context).settings, context.headers)


def operation_call(context: ToolContext) -> OperationCall:
    """An OperationCall for this request's credentials and access mode."""
    state = app_state(context)
    return OperationCall(state.client, state.settings, scope_of(context), over_http=context.headers is not None)
