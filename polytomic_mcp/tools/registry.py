"""Every tool the server offers, both kinds, listed and called the same way.

Operation tools come from the catalog (`tools/operations/`); hand-written tools from
`tools/inventory.py`. `server.py` adapts this registry to the SDK: its tools/list handler
calls `listing`, its tools/call handler calls `call`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp.types import CallToolResult, InputRequiredResult, Tool

from polytomic_mcp.client import PolytomicClient
from polytomic_mcp.errors import UserInputError
from polytomic_mcp.settings import AccessMode, RequestScope, Settings
from polytomic_mcp.tools.boundary import guarded
from polytomic_mcp.tools.context import AppState, RequestContext, SdkContext
from polytomic_mcp.tools.definition import HandWrittenTool
from polytomic_mcp.tools.operations.tools import OperationTool, OperationToolIndex, operation_tools
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
        self._listed_names: dict[AccessMode, frozenset[str]] = {}

    @classmethod
    def for_settings(cls, settings: Settings) -> ToolRegistry:
        """Every tool, selected as the settings say (what the server lists)."""
        from polytomic_mcp.tools.inventory import HAND_WRITTEN_TOOLS  # the inventory imports every tool

        return cls(settings, operation_tools(), HAND_WRITTEN_TOOLS, ToolsetSelection.parse(settings.toolsets))

    def app_state(self, client: PolytomicClient) -> AppState:
        read_only = frozenset(name for name, tool in self.hand_written.items() if tool.read_only)
        return AppState(self.settings, client, self.operations, self.selection, self.listed_names, read_only)

    def listed_names(self, scope: RequestScope) -> frozenset[str]:
        """Names of the tools a request with this scope sees (what it lists depends only on the mode)."""
        mode = scope.access_mode
        if mode not in self._listed_names:
            own = self.listed_hand_written(scope)
            names = [tool.name for tool in own] + [tool.name for tool in self.listed_operations(scope, self.room(own))]
            self._listed_names[mode] = frozenset(names)
        return self._listed_names[mode]

    def room(self, own: list[HandWrittenTool[Any]]) -> int | None:
        """How many operation tools fit under the tool cap after the hand-written ones."""
        cap = self.settings.max_tools
        return max(cap - len(own), 0) if cap else None

    # -- listing -------------------------------------------------------------------------

    def listed_hand_written(self, scope: RequestScope) -> list[HandWrittenTool[Any]]:
        """Hand-written tools that write are hidden in read-only mode (every listed tool is then read-only)."""
        return [tool for tool in self.hand_written.values() if scope.access_mode.allows(tool.read_only)]

    def listed_operations(self, scope: RequestScope, room: int | None) -> list[OperationTool]:
        """Selected operation tools the mode allows, whole toolsets first-come within `room`."""
        chosen = self.operations.matching(
            lambda op: self.selection.selects(op) and scope.access_mode.allows(op.read_only)
        )
        return fit_toolsets(chosen, room)

    def listing(self, scope: RequestScope, profile: str = "standard") -> list[Tool]:
        """Hand-written tools first, then the selected operation tools, shaped for the profile."""
        own = self.listed_hand_written(scope)
        return [
            *(adapt_tool(tool.listed, profile) for tool in own),
            *(listed_operation_tool(tool.name, profile) for tool in self.listed_operations(scope, self.room(own))),
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
            outcome = await tool.run(arguments, request)
            if isinstance(outcome, dict):
                return shaped_result(outcome, ShapeOptions(budget=budget))
            return outcome  # a finished result, or a question for the user (URL elicitation)

        return await guarded(name, budget, run)
