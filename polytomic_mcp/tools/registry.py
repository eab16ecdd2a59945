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
from polytomic_mcp.errors import AccessDeniedError, UserInputError
from polytomic_mcp.guardrails.guard import GuardServices, new_process_session
from polytomic_mcp.guardrails.tiers import DenyList, read_only_refusal
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
        # Validates --deny and opens --audit-log: a bad setting stops the server at start-up.
        self.guard = GuardServices.start(settings, frozenset(self.hand_written))
        self._listed_names: dict[tuple[AccessMode, tuple[str, ...]], frozenset[str]] = {}

    @classmethod
    def for_settings(cls, settings: Settings) -> ToolRegistry:
        """Every tool, selected as the settings say (what the server lists)."""
        from polytomic_mcp.tools.inventory import HAND_WRITTEN_TOOLS  # the inventory imports every tool

        return cls(settings, operation_tools(), HAND_WRITTEN_TOOLS, ToolsetSelection.parse(settings.toolsets))

    def app_state(self, client: PolytomicClient) -> AppState:
        """What every request of one lifespan shares (one MCP connection in memory, the process on stdio)."""
        return AppState(
            self.settings,
            client,
            self.operations,
            self.selection,
            self.guard,
            new_process_session(),
            self.listed_names,
            self.hand_written_allowed,
        )

    # -- listing -------------------------------------------------------------------------

    def hand_written_allowed(self, name: str, scope: RequestScope) -> bool:
        tool = self.hand_written.get(name)
        if tool is None or self.guard.deny_list(scope).denies_tool(name):
            return False
        return tool.allowed_in(scope.access_mode)

    def listed_hand_written(self, scope: RequestScope, deny: DenyList) -> list[HandWrittenTool[Any]]:
        """Hand-written tools the tier and deny list allow (in read-only mode, only read-only ones)."""
        return [
            tool
            for tool in self.hand_written.values()
            if not deny.denies_tool(tool.name) and tool.allowed_in(scope.access_mode)
        ]

    def listed_operations(self, scope: RequestScope, room: int | None, deny: DenyList) -> list[OperationTool]:
        """Selected operation tools the tier and deny list allow, whole toolsets first-come within `room`."""
        chosen = self.operations.matching(
            lambda op: (
                self.selection.selects(op)
                and scope.access_mode.allows(op.read_only, op.destructive)
                and not deny.denies_operation(op)
            )
        )
        return fit_toolsets(chosen, room)

    def listing(self, scope: RequestScope, profile: str = "standard") -> list[Tool]:
        """Hand-written tools first, then the selected operation tools, shaped for the profile.

        Raises UnknownDenyNameError when the request's X-Polytomic-Deny header names nothing known.
        """
        own, operations = self._listed(scope)
        return [
            *(adapt_tool(tool.listed_in(scope.access_mode), profile) for tool in own),
            *(listed_operation_tool(tool.name, profile) for tool in operations),
        ]

    def _listed(self, scope: RequestScope) -> tuple[list[HandWrittenTool[Any]], list[OperationTool]]:
        deny = self.guard.deny_list(scope)
        own = self.listed_hand_written(scope, deny)
        cap = self.settings.max_tools
        room = max(cap - len(own), 0) if cap else None
        return own, self.listed_operations(scope, room, deny)

    def listed_names(self, scope: RequestScope) -> frozenset[str]:
        """Names of the tools a request with this scope sees (they depend on its mode and deny list only)."""
        key = (scope.access_mode, scope.denied)
        if key not in self._listed_names:
            own, operations = self._listed(scope)
            self._listed_names[key] = frozenset([tool.name for tool in own] + [tool.name for tool in operations])
        return self._listed_names[key]

    # -- calling -------------------------------------------------------------------------

    async def call(
        self, name: str, arguments: dict[str, Any], session: SdkContext
    ) -> CallToolResult | InputRequiredResult:
        budget = self.settings.result_tokens

        async def run() -> CallToolResult | InputRequiredResult:
            request = RequestContext.of(session)
            with request.guard.tool_call(name) as span:
                outcome = await guarded(name, budget, lambda: self._run(name, arguments, request))
                span.finish(outcome_label(outcome))
                return outcome

        return await guarded(name, budget, run)

    async def _run(
        self, name: str, arguments: dict[str, Any], request: RequestContext
    ) -> CallToolResult | InputRequiredResult:
        operation_tool = self.operations.get(name)
        if operation_tool is not None and operation_tool.name == name:
            return await request.operations.run(operation_tool, arguments)
        tool = self.hand_written.get(name)
        if tool is None:
            raise UserInputError(f"Unknown tool: {name}")
        request.guard.check_tool(name)
        # Refused whole, before any step it would take; a runner of operations leaves it to each one.
        if not tool.runs_operations and not tool.allowed_in(request.access_mode):
            raise AccessDeniedError(read_only_refusal(name, request.access_mode, self.settings, request.over_http))
        outcome = await tool.run(arguments, request)
        if isinstance(outcome, dict):
            return shaped_result(outcome, ShapeOptions(budget=self.settings.result_tokens))
        if isinstance(outcome, InputRequiredResult):  # a workflow's own question (URL elicitation)
            return request.guard.carry_state(outcome)
        return outcome


def outcome_label(outcome: CallToolResult | InputRequiredResult) -> str:
    if isinstance(outcome, InputRequiredResult):
        return "input_required"
    return "error" if outcome.is_error else "ok"
