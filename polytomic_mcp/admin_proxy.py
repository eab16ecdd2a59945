"""The sandbox's `/sandbox/*` admin routes on the MCP port (`serve --http --sandbox`).

A scorer or a test then reaches the state an agent left behind at the same address as
`/mcp`: records, buckets, faults, the clock, reset and seed. Requests are forwarded over
loopback to the sandbox, as the MCP server's own API calls are, after the same Host/Origin
checks as `/mcp`. A request without an Authorization header acts in the default tenant
(the one an MCP request without a key uses); a bearer key selects its own tenant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

PREFIX = "/sandbox/"
# Hop-by-hop headers and the ones the forwarding client sets itself.
NOT_FORWARDED = frozenset({"host", "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "te"})


class SandboxAdminRoutes:
    """ASGI wrapper: `/sandbox/*` goes to the sandbox at `sandbox_url`, everything else to `app`."""

    def __init__(
        self, app: ASGIApp, sandbox_url: str, default_authorization: str, security: TransportSecuritySettings
    ) -> None:
        self.app = app
        self.sandbox_url = sandbox_url.rstrip("/")
        self.default_authorization = default_authorization
        self.security = TransportSecurityMiddleware(security)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        refused = await self.security.validate_request(Request(scope, receive), is_post=False)
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.forward(scope, receive, send)

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in scope.get("headers", [])
            if name.decode("latin-1").lower() not in NOT_FORWARDED
        ]
        if not any(name.lower() == "authorization" for name, _ in headers):
            headers.append(("authorization", self.default_authorization))
        url = self.sandbox_url + raw_path(scope)
        if scope.get("query_string"):
            url += "?" + bytes(scope["query_string"]).decode("latin-1")

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return
                yield bytes(message.get("body", b""))
                if not message.get("more_body", False):
                    return

        async with httpx.AsyncClient(timeout=httpx.Timeout(60.0)) as client:
            request = client.build_request(str(scope["method"]), url, headers=headers, content=body())
            try:
                answer = await client.send(request, stream=True)
            except httpx.HTTPError as failure:
                message = f"the sandbox did not answer ({type(failure).__name__})"
                unreachable = JSONResponse({"status": 502, "message": message, "key": "bad_gateway"}, status_code=502)
                await unreachable(scope, receive, send)
                return
            try:
                await send(
                    {
                        "type": "http.response.start",
                        "status": answer.status_code,
                        "headers": [
                            (name.encode("latin-1"), value.encode("latin-1"))
                            for name, value in answer.headers.multi_items()
                            if name.lower() not in ("connection", "keep-alive", "transfer-encoding")
                        ],
                    }
                )
                async for chunk in answer.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
            finally:
                await answer.aclose()


def raw_path(scope: Scope) -> str:
    """The path as sent (still percent-encoded, so an id with an encoded `/` stays one segment)."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("latin-1").partition("?")[0]
    from urllib.parse import quote

    return quote(str(scope["path"]), safe="/")
