"""The Starlette application: the ``/api`` surface built from the catalog, plus ``/sandbox`` admin."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio
import anyio.lowlevel
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from polytomic_mcp.catalog import load_catalog
from polytomic_mcp.sandbox.config import DEFAULT_CONFIG, SandboxConfig
from polytomic_mcp.sandbox.engine import recovery
from polytomic_mcp.sandbox.engine.catch_up import catch_up
from polytomic_mcp.sandbox.errors import ApiError
from polytomic_mcp.sandbox.handlers import register_all
from polytomic_mcp.sandbox.handlers.generic import generic_handler
from polytomic_mcp.sandbox.http import admin, faults, idempotency, seed_objects, versions
from polytomic_mcp.sandbox.http.context import HANDLERS, Call, Handler, Reply, Tenant
from polytomic_mcp.sandbox.http.request_log import LoggedRequest, RequestLog
from polytomic_mcp.sandbox.http.routing import AmbiguousPath, MethodNotAllowed, Router
from polytomic_mcp.sandbox.http.shaping import ID_SOURCE
from polytomic_mcp.sandbox.http.tenancy import authenticate
from polytomic_mcp.sandbox.http.validation import check_body, decode_body, parse_query
from polytomic_mcp.sandbox.state.runtime import open_runtime
from polytomic_mcp.sandbox.state.tenant_setup import configured_seed, ensure_tenant

log = logging.getLogger("polytomic_mcp.sandbox")


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def to_response(reply: Reply, version: str) -> Response:
    headers = {**reply.headers, versions.HEADER: version}
    if reply.content is not None:
        return Response(reply.content, status_code=reply.status, headers=headers, media_type=reply.media_type)
    if reply.body is None:
        return Response(status_code=reply.status, headers=headers)
    return Response(encode(reply.body), status_code=reply.status, headers=headers, media_type=reply.media_type)


def error_reply(error: ApiError, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=error.status, body=error.body(), headers=headers or {})


class ConnectionDropped(Exception):
    """Raised when a fault asks to drop the connection and the server gives no way to do it."""


@dataclass
class Prepared:
    """Outcome of the cheap first phase: either a ready answer or a call to run."""

    reply: Reply | None = None
    call: Call | None = None
    decision: faults.Decision | None = None
    tenant: str | None = None  # known once the caller authenticated
    operation: str | None = None  # known once the path matched a route
    version: str = versions.CURRENT  # the API version that serves the request


class SandboxApp:
    """Holds the runtime and turns HTTP requests into handler calls."""

    def __init__(self, config: SandboxConfig) -> None:
        catalog = load_catalog()
        self.runtime = open_runtime(config, catalog)
        # An earlier process on this database may have died mid-request or mid-run.
        idempotency.release_in_flight(self.runtime.store)
        recovery.after_restart(self.runtime)
        aliases = {path: name for path, (name, _) in versions.REMOVED_PATHS.items()}
        self.router = Router(catalog, aliases)
        self.default_version = catalog.default_api_version
        self.requests = RequestLog()
        self._handlers: dict[str, Handler] = {}
        for op in catalog.operations:
            self._handlers[op.name] = HANDLERS.get(op.name) or generic_handler(op, catalog)

    # -- phase 1: authenticate, route, validate (no handler work yet) ---------------------
    def prepare(
        self, method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str], raw: bytes, base_url: str
    ) -> Prepared:
        runtime = self.runtime
        org: str | None = None
        operation: str | None = None
        version = self.default_version
        try:
            version = versions.negotiate(headers.get("x-polytomic-version"), self.default_version)
            tenant = authenticate(runtime.store, headers.get("authorization"))
            org = tenant.org_id
            decision = faults.decide(runtime.store, tenant.org_id)
            if decision.outcome == "rate_limited":
                retry = str(decision.config.retry_after_seconds)
                error = ApiError(429, "rate limit exceeded; retry after the Retry-After delay", "rate_limited")
                return Prepared(reply=error_reply(error, {"Retry-After": retry}), tenant=org, version=version)
            if decision.outcome == "error":
                status = decision.config.error_status
                error = ApiError(status, "the sandbox injected a server error", "injected_fault")
                return Prepared(reply=error_reply(error), tenant=org, version=version)
            if decision.outcome == "drop":
                return Prepared(decision=decision, tenant=org, version=version)
            if runtime.stepped:
                runtime.advance_clock(tenant.org_id, runtime.config.step_seconds)
            match = self.router.resolve(method, path)
            if match is None:
                raise ApiError(404, f"no route for {method} {path}", "route_not_found")
            versions.check_path(match.template, version)
            op = match.operation
            operation = op.name
            body = versions.adapt_request(op.name, version, decode_body(op, raw))
            call = Call(
                runtime=runtime,
                op=op,
                tenant=tenant,
                path=match.path_params,
                query=parse_query(op, query),
                body=check_body(op, body),
                headers=headers,
                base_url=base_url,
                version=version,
            )
            return Prepared(call=call, decision=decision, tenant=org, operation=operation, version=version)
        except AmbiguousPath:
            error = ApiError(
                404,
                f"{method} {path} fits more than one route; send the '/' inside the schema id encoded as %2F",
                "route_not_found",
            )
            return Prepared(reply=error_reply(error), tenant=org, version=version)
        except MethodNotAllowed as exc:
            error = ApiError(
                405, f"{method} is not allowed here; allowed: {', '.join(exc.allowed)}", "method_not_allowed"
            )
            allow = {"Allow": ", ".join(exc.allowed)}
            return Prepared(reply=error_reply(error, allow), tenant=org, version=version)
        except ApiError as error:
            return Prepared(reply=error_reply(error), tenant=org, operation=operation, version=version)

    # -- phase 2: idempotency, then the handler -------------------------------------------
    def execute(self, call: Call, latency_ms: int) -> Reply:
        store = call.store
        key = call.headers.get("idempotency-key") if call.op.method != "GET" else None
        if key is not None:
            try:
                stored = idempotency.begin(store, call.tenant.org_id, key, call.now())
            except ApiError as error:
                return error_reply(error)
            if stored is not None:
                return stored
        if latency_ms:
            time.sleep(latency_ms / 1000)
        reply = self.run_handler(call)
        if key is not None:
            content = (
                reply.content if reply.content is not None else (b"" if reply.body is None else encode(reply.body))
            )
            idempotency.finish(store, call.tenant.org_id, key, reply.status, reply.headers, content)
        return reply

    def run_handler(self, call: Call) -> Reply:
        """Bring the tenant up to date, then run the operation's handler."""
        try:
            self.observe(call.tenant.org_id)
        except ApiError as error:
            return error_reply(error)
        return self.handle(call)

    def handle(self, call: Call) -> Reply:
        """The operation's handler alone; its errors become replies, ids come from the call's tenant."""
        ids = ID_SOURCE.set(call.new_id)
        try:
            reply = self._handlers[call.op.name](call)
            reply.body = versions.adapt_response(call.op.name, call.version, reply.body)
            return reply
        except ApiError as error:
            return error_reply(error)
        except Exception:
            log.exception("sandbox handler %s failed", call.op.name)
            return error_reply(ApiError(500, "internal sandbox error", "internal_error"))
        finally:
            ID_SOURCE.reset(ids)

    def observe(self, org: str) -> None:
        """Seed a new tenant (world, then objects), then let its time-driven state catch up with the clock."""
        if ensure_tenant(self.runtime, org):
            document, _ = configured_seed(self.runtime)
            if seed_objects.has_objects(document):
                try:
                    with self.runtime.store.transaction():
                        seed_objects.apply(self, org, document)
                except ApiError:
                    self.runtime.store.drop_tenant(org)  # the next request tries again, and says why again
                    raise
        catch_up(self.runtime, org)

    def tenant_for(self, headers: dict[str, str]) -> Tenant:
        return authenticate(self.runtime.store, headers.get("authorization"))


def _base_url(request: Request, config: SandboxConfig) -> str:
    if config.public_base_url:
        return config.public_base_url.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def raw_path(scope: Scope) -> str:
    """The request path as sent, still percent-encoded, so routing can split it before decoding.
    ``raw_path`` is optional in ASGI (without it the decoded path is re-encoded, which loses only
    the difference between ``/`` and ``%2F``) and older servers left the query string on it."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("latin-1").partition("?")[0]
    return quote(str(scope["path"]), safe="/")


def _headers(request: Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


RAW_SEND = "polytomic_sandbox.raw_send"


async def _drop_connection(scope: Scope) -> None:
    """Close the socket without answering. Under uvicorn the server's own ``send`` is bound to
    the connection's request cycle, which holds the transport; elsewhere (an in-process ASGI
    transport) the request fails with an exception instead."""
    cycle = getattr(scope.get(RAW_SEND), "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionDropped("the sandbox dropped this connection (fault injection)")
    transport.close()
    await anyio.lowlevel.checkpoint()  # let the server notice the disconnect before the app returns


def create_api_endpoint(sandbox: SandboxApp) -> Any:
    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        headers = _headers(request)
        raw = await request.body()
        path = raw_path(scope)
        prepared = await anyio.to_thread.run_sync(
            sandbox.prepare,
            request.method,
            path,
            list(request.query_params.multi_items()),
            headers,
            raw,
            _base_url(request, sandbox.runtime.config),
        )

        def logged(status: int) -> None:
            if prepared.tenant is not None:
                entry = LoggedRequest(request.method, path, prepared.operation, status)
                sandbox.requests.add(prepared.tenant, entry)

        if prepared.reply is not None:
            logged(prepared.reply.status)
            await to_response(prepared.reply, prepared.version)(scope, receive, send)
            return
        if prepared.call is None:  # a drop fault
            logged(0)
            await _drop_connection(scope)
            return
        latency = prepared.decision.config.latency_ms if prepared.decision else 0
        reply = await anyio.to_thread.run_sync(sandbox.execute, prepared.call, latency)
        logged(reply.status)
        if prepared.decision is not None and prepared.decision.outcome == "lose":  # done, but the answer is lost
            await _drop_connection(scope)
            return
        await to_response(reply, prepared.version)(scope, receive, send)

    return endpoint


class _RawEndpoint:
    """Lets Starlette route to a plain ASGI callable."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class SandboxStarlette(Starlette):
    """Starlette that remembers the server's raw ``send`` (needed to drop a connection)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[RAW_SEND] = send
        await super().__call__(scope, receive, send)


class AnyPath(Convertor[str]):
    """Like Starlette's `path`, but also across line breaks: an id holding a percent-encoded CR or LF
    must reach the API router (and its request log), not Starlette's plain 404."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("anypath", AnyPath())


def create_app(config: SandboxConfig = DEFAULT_CONFIG) -> Starlette:
    """A fresh sandbox: its own database, clock and world."""
    register_all()
    sandbox = SandboxApp(config)
    api = _RawEndpoint(create_api_endpoint(sandbox))
    routes = [
        Route("/api/{rest:anypath}", api, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        *admin.routes(sandbox),
    ]
    app = SandboxStarlette(routes=routes)
    app.state.sandbox = sandbox
    return app
