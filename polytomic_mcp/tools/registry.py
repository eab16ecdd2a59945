"""Every tool the server offers, both kinds, listed and called the same way.

Operation tools come from the catalog (`tools/operations/`); hand-written tools from
`tools/inventory.py`. `server.py` adapts this registry to the SDK: its tools/list handler
calls `listing`, its tools/call handler calls `call`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp.types import CallToolResult, InputRequiredResult, Tool

from polytomic_mcp.errors import UserInputError
from polytomic_mcp.settings import RequestScope, Settings
from polytomic_mcp.tools.boundary import guarded
from polytomic_mcp.tools.context import RequestContext, SdkContext
from polytomic_mcp.tools.definition import HandWrittenTool
from polytomic_mcp.tools.operations.tools import OperationTool, OperationToolIndex
from polytomic_mcp.tools.policy import check_allowed
from polytomic_mcp.tools.profiles import adapt_tool, listed_operation_tool
from polytomic_mcp.tools.shaping.shape import ShapeOptions, shaped_result
from polytomic_mcp.tools.toolsets import ToolsetSelection, fit_toolsets


class ToolRegistry:
    """What each request may list and call, and the one way a call is run."""

    def __init__(
        self,
        settings: Settings,
        operations: OperationToolIndex,
        hand_written: Sequence[HandWrittenTool[Any]],
        selection: ToolsetSelection,
    ) -> None:
        self.settings = settings
        self.operations = operations
        self.hand_written = {tool.name: tool for tool in hand_written}
        self.selection = selection

    # -- listing -------------------------------------------------------------------------

    def listed_hand_written(self, scope: RequestScope) -> list[HandWrittenTool[Any]]:
        """Hand-written tools that write are hidden in read-only mode, unless they check each call."""
        return [
            tool
            for tool in self.hand_written.values()
            if tool.checks_access_per_call or scope.access_mode.allows(tool.read_only)
        ]

    def listed_operations(self, scope: RequestScope, room: int | None) -> list[OperationTool]:
        """Selected operation tools the mode allows, whole toolsets first-come within `room`."""
        chosen = self.operations.matching(
            lambda op: self.selection.selects(op) and scope.access_mode.allows(op.read_only)
        )
        return fit_toolsets(chosen, room)

    def listing(self, scope: RequestScope, profile: str = "standard") -> list[Tool]:
        """Hand-written tools first, then the selected operation tools, shaped for the profile."""
        own = self.listed_hand_written(scope)
        cap = self.settings.max_tools
        room = max(cap - len(own), 0) if cap else None
        return [
            *(adapt_tool(tool.listed, profile) for tool in own),
            *(listed_operation_tool(tool.name, profile) for tool in self.listed_operations(scope, room)),
        ]

    # -- calling -------------------------------------------------------------------------

    async def call(
        self, name: str, arguments: dict[str, Any], session: SdkContext
    ) -> CallToolResult | InputRequiredResult:
        budget = self.settings.result_tokens

        async def run() -> CallToolResult | InputRequiredResult:
            request = RequestContext.of(session)
            operation_tool = self.operations.get(name)
            if operation_tool is not None and operation_tool.name == name:
                return await request.operations.run(operation_tool, arguments)
            tool = self.hand_written.get(name)
            if tool is None:
                raise UserInputError(f"Unknown tool: {name}")
            if not tool.checks_access_per_call:  # the read-only refusal comes before the arguments are read
                check_allowed(name, not tool.read_only, request.access_mode, self.settings, request.over_http)
            outcome = await tool.run(arguments, request)
            if isinstance(outcome, dict):
                return shaped_result(outcome, ShapeOptions(budget=budget))
            return outcome  # a finished result, or a question for the user (URL elicitation)

        return await guarded(name, budget, run)
