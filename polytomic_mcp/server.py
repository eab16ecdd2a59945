"""The MCP server: adapts the tool registry (operation, workflow and discovery tools) to
the SDK, and adds resources, completions and prompts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from mcp.server import MCPServer
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.request_state import RequestStateSecurity
from mcp.types import (
    CallToolResult,
    GetPromptResult,
    InputRequiredResult,
    ListToolsResult,
    PaginatedRequestParams,
    Prompt,
    Resource,
    ResourceTemplate,
    Tool,
)
from pydantic import AnyUrl

from polytomic_mcp import __version__
from polytomic_mcp.client import PolytomicClient
from polytomic_mcp.completions import register_completions
from polytomic_mcp.determinism import deterministic
from polytomic_mcp.errors import SettingsError
from polytomic_mcp.instructions import SessionInstructions, fail_closed_scope, instructions_for, scope_of_request
from polytomic_mcp.prompts import add_prompts, install_prompt_guard, load_prompt_specs
from polytomic_mcp.resources import register_resources
from polytomic_mcp.settings import RequestScope, Settings, request_scope
from polytomic_mcp.stdio_transport import serve_stdio
from polytomic_mcp.tools.context import AppState
from polytomic_mcp.tools.profiles import choose_profile
from polytomic_mcp.tools.registry import ToolRegistry

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("polytomic_mcp.server")

STATE_TTL_S = 600.0
STATE_TTL_MARGIN_S = 60.0


class PolytomicServer(MCPServer[AppState]):
    """MCPServer whose tools/list and tools/call go to the tool registry (both kinds of tool)."""

    def __init__(
        self,
        settings: Settings,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> None:
        self.polytomic_settings = settings
        self.base_url = base_url
        self.registry = ToolRegistry.for_settings(settings)
        self._read_on_first_use = False

        @asynccontextmanager
        async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
            client = PolytomicClient(
                base_url=base_url,
                api_version=settings.api_version,
                timeout=settings.timeout,
                max_retries=settings.max_retries,
                retry_budget=settings.retry_budget,
                transport=transport,
            )
            try:
                yield self.registry.app_state(client)
            finally:
                await client.aclose()

        operator_scope = request_scope(settings, None)
        super().__init__(
            "polytomic",
            # Replaced per request by SessionInstructions; this is the operator's own scope.
            instructions=instructions_for(operator_scope, self.registry.listed_names(operator_scope)),
            version=__version__,
            lifespan=lifespan,
            log_level=settings.log_level.upper(),  # type: ignore[arg-type]
            # Confirmation tickets ride the sealed request_state; it must outlive the time to answer.
            request_state_security=RequestStateSecurity.ephemeral(
                ttl=max(STATE_TTL_S, settings.confirm_timeout + STATE_TTL_MARGIN_S)
            ),
            **kwargs,
        )

    async def _handle_list_tools(
        self, ctx: ServerRequestContext[AppState], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        params_of_client = ctx.session.client_params
        client_name = params_of_client.client_info.name if params_of_client else None
        profile = choose_profile(self.polytomic_settings.client_profile, client_name)
        try:
            return ListToolsResult(
                tools=await self.tools_listing(scope_of_request(self.polytomic_settings, ctx.request), profile)
            )
        except SettingsError as bad_header:  # e.g. an X-Polytomic-Deny naming nothing known
            # Fail closed: a header we cannot read never widens what is listed.
            logger.info("tools/list with an unreadable header (%s); listing read-only tools", bad_header)
            return ListToolsResult(tools=await self.tools_listing(fail_closed_scope(self.polytomic_settings), profile))

    async def run_stdio_async(self) -> None:
        """stdio, with a JSON-RPC error for every message the SDK's reader cannot read (see stdio_transport)."""
        await serve_stdio(self._lowlevel_server)

    async def tools_listing(self, scope: RequestScope, profile: str = "standard") -> list[Tool]:
        return self.registry.listing(scope, profile)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        if context is None:  # the SDK passes one for every tools/call; tools need its credentials
            raise RuntimeError("tools are called within an MCP request")
        with deterministic(self.polytomic_settings.deterministic):
            return await self.registry.call(name, arguments, context)

    # Resources and the shipped prompts are added on the first request that reads them, not at
    # start-up: the prompt files' YAML and the SDK's signature checks of each resource reader
    # are ~35 ms that a client would otherwise wait for before its first tools/list.
    def _add_on_first_use(self) -> None:
        if not self._read_on_first_use:
            register_resources(self)
            add_prompts(self, load_prompt_specs())
            self._read_on_first_use = True

    async def list_prompts(self) -> list[Prompt]:
        self._add_on_first_use()
        return await super().list_prompts()

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[AppState, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        self._add_on_first_use()
        return await super().get_prompt(name, arguments, context)

    async def list_resources(self) -> list[Resource]:
        self._add_on_first_use()
        return await super().list_resources()

    async def list_resource_templates(self) -> list[ResourceTemplate]:
        self._add_on_first_use()
        return await super().list_resource_templates()

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[AppState, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        self._add_on_first_use()
        return await super().read_resource(uri, context)


def build_server(
    settings: Settings, base_url: str, transport: httpx.AsyncBaseTransport | None = None
) -> PolytomicServer:
    """The full server: every tool, plus resources, completions and prompts.

    `transport` lets tests and the in-process sandbox swap the network for an ASGI
    transport; the client code is the same either way.
    """
    server = PolytomicServer(settings, base_url, transport)
    server.middleware.append(SessionInstructions(settings, server.registry.listed_names))
    register_completions(server)
    install_prompt_guard(server)  # resources and prompts themselves are added on first use (above)
    return server
