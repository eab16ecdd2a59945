"""The streamable-HTTP app: Host/Origin protection and per-request keys (`serve` runs it on uvicorn).

Each request's `Authorization: Bearer <Polytomic key>` is the key its API calls use, so
one server serves many users. With neither a request key nor a server key the request is
refused with 401 before it reaches MCP. With the sandbox as backend the server always has
a key (the default tenant's), and the sandbox's `/sandbox/*` admin routes are served next to
`/mcp` (admin_proxy.py). A body that is JSON but no JSON-RPC message is answered with
-32600 and its id, without the SDK's quote of the body.
"""

from __future__ import annotations

import json

from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from polytomic_mcp.admin_proxy import SandboxAdminRoutes
from polytomic_mcp.jsonrpc_errors import INVALID_REQUEST, NOT_A_MESSAGE, request_id
from polytomic_mcp.server import PolytomicServer
from polytomic_mcp.settings import Settings, bearer_token, comma_items

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def transport_security(settings: Settings, host: str) -> TransportSecuritySettings:
    """Loopback names always; the bound host when it is a real name; plus the configured lists.

    Protection stays on even when binding 0.0.0.0 (the SDK would turn it off): exposing
    the server beyond loopback requires naming the hosts it is reached by.
    """
    hosts = [f"{name}:*" for name in LOOPBACK_HOSTS] + list(LOOPBACK_HOSTS)
    if host not in ("0.0.0.0", "::", "", *LOOPBACK_HOSTS):
        hosts += [host, f"{host}:*"]
    hosts += comma_items(settings.allowed_hosts)
    origins = [f"http://{name}:*" for name in LOOPBACK_HOSTS] + [f"http://{name}" for name in LOOPBACK_HOSTS]
    origins += comma_items(settings.allowed_origins)
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


class RequireKey:
    """ASGI middleware: 401 unless the request carries a bearer key or the server has one."""

    def __init__(self, app: ASGIApp, server_has_key: bool) -> None:
        self.app = app
        self.server_has_key = server_has_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.server_has_key:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if bearer_token(headers) is not None:
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": -32001, "message": "Send 'Authorization: Bearer <Polytomic API key>'."},
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b'Bearer realm="polytomic"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class NoEchoedRequests:
    """ASGI middleware: the SDK answers a body that is JSON but not a JSON-RPC message with a 400
    whose text quotes the body (pydantic's `input_value=…`, secrets included). That answer is
    replaced by -32600 with the request's id when it can be read; every other answer passes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        held: list[Message] = []

        async def reading() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 400:
                held.append(message)  # wait for the body: it decides what is sent
                return
            if not held:
                await send(message)
                return
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                for part in _without_echo(held, bytes(body)):
                    await send(part)

        await self.app(scope, reading, sending)


def _without_echo(held: list[Message], request_body: bytes) -> list[Message]:
    start, *parts = held
    answer = b"".join(bytes(part.get("body", b"")) for part in parts)
    try:
        error = json.loads(answer)["error"]
    except (ValueError, KeyError, TypeError):
        return held
    if not str(error.get("message", "")).startswith("Validation error"):
        return held
    replaced = json.dumps(
        {"jsonrpc": "2.0", "id": request_id(request_body), "error": {"code": INVALID_REQUEST, "message": NOT_A_MESSAGE}}
    ).encode()
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(replaced)).encode()))
    return [{**start, "headers": headers}, {"type": "http.response.body", "body": replaced}]


def build_http_app(
    server: PolytomicServer, settings: Settings, host: str, stateless: bool, sandbox_url: str | None = None
) -> ASGIApp:
    """The MCP app; with `sandbox_url`, also the sandbox's admin routes under the same checks."""
    security = transport_security(settings, host)
    app: Starlette = server.streamable_http_app(stateless_http=stateless, transport_security=security, host=host)
    credentials = settings.server_credentials()
    app.add_middleware(NoEchoedRequests)
    app.add_middleware(RequireKey, server_has_key=credentials is not None)
    if sandbox_url is None or credentials is None:
        return app
    return SandboxAdminRoutes(app, sandbox_url, credentials.authorization(), security)
