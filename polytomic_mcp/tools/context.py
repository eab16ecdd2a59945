"""The request context: what one tool call, resource read or completion works with.

`AppState` is shared by every request of a server (the lifespan value): settings, the one
HTTP client, the operation tools, the toolset selection and the guard's shared services.
`RequestContext` adds what is particular to one request: its credentials and access mode
(HTTP headers may narrow the operator's settings), its guard, the API as that request may
call it, and the MCP session for progress and elicitation.

Handlers take a `RequestContext`, not the SDK's `Context`, so a test can call any handler
with `RequestContext.direct(settings, client)` and no server at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from mcp.server.elicitation import UrlElicitationResult
from mcp.server.mcpserver import Context
from mcp.types import ClientCapabilities

from polytomic_mcp.client import PolytomicClient
from polytomic_mcp.guardrails.guard import Guard, GuardServices
from polytomic_mcp.settings import AccessMode, RequestScope, Settings, request_scope
from polytomic_mcp.tools.api import Api
from polytomic_mcp.tools.hints import Hints
from polytomic_mcp.tools.operations.executor import OperationCall
from polytomic_mcp.tools.operations.tools import OperationTool, OperationToolIndex
from polytomic_mcp.tools.toolsets import ToolsetSelection


@dataclass(frozen=True, slots=True)
class AppState:
    """Settings, the one HTTP client, the operation tools, the toolset selection, the guard's
    services, and what a request with a given scope sees listed (for advice that names only
    usable tools).

    `process_session` is the MCP session of every request without an HTTP session id: one per
    lifespan, so the stdio process, or one in-memory client connection.
    """

    settings: Settings
    client: PolytomicClient
    tools: OperationToolIndex
    selection: ToolsetSelection
    guard: GuardServices
    process_session: str
    listed_names: Callable[[RequestScope], frozenset[str]]
    hand_written_allowed: Callable[[str, RequestScope], bool]


SdkContext = Context[AppState, Any]


class RequestContext:
    """One request's credentials, access mode, API and (when there is one) MCP session."""

    def __init__(self, state: AppState, scope: RequestScope, over_http: bool, session: SdkContext | None) -> None:
        self.state = state
        self.scope = scope
        self.over_http = over_http
        self.session = session

    @classmethod
    def of(cls, session: SdkContext) -> RequestContext:
        """From the SDK's context; raises SettingsError when a request header is unusable."""
        state: AppState = session.request_context.lifespan_context
        headers = session.headers
        return cls(state, request_scope(state.settings, headers), headers is not None, session)

    @classmethod
    def direct(cls, settings: Settings, client: PolytomicClient) -> RequestContext:
        """For a handler called outside MCP (tests, scripts): no progress, no elicitation."""
        from polytomic_mcp.tools.registry import ToolRegistry  # the registry itself builds contexts

        registry = ToolRegistry.for_settings(settings)
        return cls(registry.app_state(client), request_scope(settings, None), over_http=False, session=None)

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def access_mode(self) -> AccessMode:
        return self.scope.access_mode

    @cached_property
    def guard(self) -> Guard:
        """This call's guard: tier, deny list, safe mode, confirmation, audit (`guardrails/`)."""
        return Guard(self.state.guard, self.scope, self.session, self.over_http, self.state.process_session)

    @cached_property
    def operations(self) -> OperationCall:
        """Operation calls with this request's credentials, access mode and guard."""
        return OperationCall(self.state.client, self.settings, self.scope, self.guard, lambda: self.api)

    def allows(self, tool: OperationTool) -> bool:
        """Whether this request may run an operation (tier and deny list; confirmation comes later)."""
        operation = tool.operation
        return self.access_mode.allows(operation.read_only, operation.destructive) and not (
            self.guard.deny.denies_operation(operation)
        )

    @cached_property
    def api(self) -> Api:
        """Operations by name, for hand-written code; one per request, so it counts its calls."""
        return Api(self.operations, self.state.tools)

    @cached_property
    def hints(self) -> Hints:
        """Names tools in advice the way this request can reach them."""
        state = self.state

        def allowed(name: str) -> bool:
            tool = state.tools.get(name)
            return self.allows(tool) if tool is not None else state.hand_written_allowed(name, self.scope)

        return Hints(state.listed_names(self.scope), allowed, self.access_mode, state.tools)

    # -- the MCP session (absent in direct calls) ------------------------------------------

    async def report_progress(self, done: float, total: float | None, message: str) -> None:
        if self.session is not None:
            await self.session.report_progress(done, total, message=message)

    @property
    def client_capabilities(self) -> ClientCapabilities | None:
        return self.session.client_capabilities if self.session is not None else None

    @property
    def protocol_version(self) -> str | None:
        return self.session.protocol_version if self.session is not None else None

    @property
    def request_state(self) -> str | None:
        """The state this tool sent with its last question (2026-era retries; sealed by the SDK)."""
        return self.session.request_state if self.session is not None else None

    @property
    def input_responses(self) -> dict[str, Any]:
        """Answers to this tool's earlier input requests (2026-era retries)."""
        if self.session is None:
            return {}
        return dict(self.session.input_responses or {})

    async def elicit_url(self, message: str, url: str, elicitation_id: str) -> UrlElicitationResult:
        """Ask the user mid-call to open a URL (handshake-era clients with a back-channel)."""
        if self.session is None:
            raise RuntimeError("no MCP session to ask the user through")
        return await self.session.elicit_url(message, url, elicitation_id)
