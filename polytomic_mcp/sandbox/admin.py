"""The ``/sandbox`` admin surface: reset, faults, clock (more in later modules)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from polytomic_mcp.sandbox import faults
from polytomic_mcp.sandbox.clock import iso
from polytomic_mcp.sandbox.errors import ApiError, bad_request

if TYPE_CHECKING:
    from polytomic_mcp.sandbox.app import SandboxApp

AdminAction = Callable[["SandboxApp", Request, str, bytes], Any]


def _json_body(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request("body must be JSON") from None


def _tenant_route(sandbox: SandboxApp, action: AdminAction) -> Callable[[Request], Awaitable[Response]]:
    """Admin calls act on the tenant of the caller's Authorization header, like the API."""

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}

        def work() -> Any:
            tenant = sandbox.tenant_for(headers)
            return action(sandbox, request, tenant.org_id, raw)

        try:
            result = await anyio.to_thread.run_sync(work)
        except ApiError as error:
            return JSONResponse(error.body(), status_code=error.status)
        if isinstance(result, Response):
            return result
        return JSONResponse({"data": result})

    return endpoint


def reset_tenant(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    sandbox.runtime.store.drop_tenant(org)
    return {"organization_id": org, "reset": True}


def get_faults(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    return faults.load(sandbox.runtime.store, org).__dict__


def put_faults(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    config = faults.FaultConfig.from_json(_json_body(raw))
    faults.save(sandbox.runtime.store, org, config)
    return config.__dict__


def clock_state(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    runtime = sandbox.runtime
    return {"mode": runtime.config.clock, "now": iso(runtime.now())}


def advance_clock(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    runtime = sandbox.runtime
    if runtime.config.clock != "step":
        raise ApiError(409, "the clock only moves on request in step mode", "clock_not_steppable")
    seconds = _json_body(raw).get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise bad_request("seconds must be a non-negative number", "seconds")
    runtime.clock.advance(float(seconds))
    return {"mode": "step", "now": iso(runtime.now())}


def routes(sandbox: SandboxApp) -> list[Route]:
    def route(path: str, action: AdminAction, method: str) -> Route:
        return Route(path, _tenant_route(sandbox, action), methods=[method])

    return [
        route("/sandbox/reset", reset_tenant, "POST"),
        route("/sandbox/faults", get_faults, "GET"),
        route("/sandbox/faults", put_faults, "PUT"),
        route("/sandbox/clock", clock_state, "GET"),
        route("/sandbox/clock/advance", advance_clock, "POST"),
    ]
