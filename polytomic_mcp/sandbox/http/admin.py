"""The ``/sandbox`` admin surface for tests, demos and evaluations.

Tenant-scoped routes take the same ``Authorization`` header as the API and act on that
tenant. The OAuth consent page and record-log files are reached by browser-style links that
carry an unguessable token instead.
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from polytomic_mcp.sandbox.engine import oauth
from polytomic_mcp.sandbox.errors import ApiError, bad_request
from polytomic_mcp.sandbox.http import faults, seed_objects
from polytomic_mcp.sandbox.state.clock import iso
from polytomic_mcp.sandbox.world import files, salesforce, seed
from polytomic_mcp.sandbox.world.connection_types import TYPES

if TYPE_CHECKING:
    from polytomic_mcp.sandbox.http.app import SandboxApp

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
    """Forget the tenant's objects and world; its next request starts again from the seed."""
    sandbox.runtime.store.drop_tenant(org)
    sandbox.requests.clear(org)
    return {"organization_id": org, "reset": True}


def request_log(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    """The tenant's recent API requests: method, path as sent, operation routed to, status."""
    return sandbox.requests.entries(org)


def load_seed(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    """Add a JSON or YAML seed to the tenant's world (``?replace=true`` resets the tenant first),
    then create its objects; answers what was added and the objects' ids by name."""
    document = seed.parse_text(raw.decode("utf-8"))
    store = sandbox.runtime.store
    replace = request.query_params.get("replace") == "true"
    if not replace:
        sandbox.observe(org)
    with store.transaction():  # all or nothing: a refused seed leaves the tenant as it was
        if replace:
            store.drop_tenant(org)
            store.set_meta(f"tenant:{org}:ready", "1")
        added: dict[str, Any] = dict(seed.apply(store, org, document, None))
        if seed_objects.has_objects(document):
            added["ids"] = seed_objects.apply(sandbox, org, document)
    if replace:
        sandbox.requests.clear(org)
    return added


def add_file(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    """Put a file in a bucket: the raw body is its content, or JSON ``{"path": ...}`` names a local file."""
    sandbox.observe(org)
    bucket = request.path_params["bucket"]
    key = request.query_params.get("key") or ""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = _json_body(raw)
        key = key or str(body.get("key") or "")
        if "path" in body:
            info = files.put_file(sandbox.runtime.store, org, bucket, key, local_path=str(body["path"]))
        else:
            info = files.put_file(
                sandbox.runtime.store, org, bucket, key, content=str(body.get("content", "")).encode()
            )
    else:
        info = files.put_file(sandbox.runtime.store, org, bucket, key, content=raw)
    return {"bucket": info.bucket, "key": info.key, "size": info.size}


def list_bucket(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    sandbox.observe(org)
    bucket = request.path_params["bucket"]
    if not files.bucket_exists(sandbox.runtime.store, org, bucket):
        raise ApiError(404, f"bucket {bucket} not found", "not_found")
    return [{"key": f.key, "size": f.size} for f in files.list_files(sandbox.runtime.store, org, bucket)]


def read_file(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    """A bucket file's content as text (``?key=K``), for a scorer comparing what was synced with it."""
    sandbox.observe(org)
    key = request.query_params.get("key") or ""
    if not key:
        raise bad_request("pass key=<file key>", "key")
    with files.open_text(sandbox.runtime.store, org, request.path_params["bucket"], key) as handle:
        return Response(handle.read(), media_type="text/csv; charset=utf-8")


def _org_domain(sandbox: SandboxApp, request: Request, org: str) -> str:
    """The Salesforce org a request names, by ``domain`` or by a ``connection_id`` pointing at it."""
    domain = request.query_params.get("domain")
    connection_id = request.query_params.get("connection_id")
    if connection_id:
        connection = sandbox.runtime.store.get(org, "connection", connection_id)
        if connection is None or connection["type"] != "salesforce":
            raise ApiError(404, f"no Salesforce connection {connection_id}", "not_found")
        domain = connection["configuration"]["domain"]
    if not domain:
        raise bad_request("pass domain=<org domain> or connection_id=<salesforce connection>", "domain")
    try:
        domain = salesforce.normalize_domain(domain)
    except ValueError as exc:
        raise bad_request(f"domain: {exc}", "domain") from None
    if not salesforce.org_exists(sandbox.runtime.store, org, domain):
        raise ApiError(404, f"no Salesforce org {domain}", "not_found")
    return domain


def inspect_records(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    """Records of one object of a simulated Salesforce org (``?where.Email=...`` filters)."""
    sandbox.observe(org)
    domain = _org_domain(sandbox, request, org)
    name = request.path_params["object"]
    obj = salesforce.get_object(sandbox.runtime.store, org, domain, name)
    if obj is None:
        raise ApiError(404, f"no object {name} in {domain}", "not_found")
    params = request.query_params
    where = {k[len("where.") :]: v for k, v in params.items() if k.startswith("where.")}
    limit = int(params.get("limit") or 1000)
    offset = int(params.get("offset") or 0)
    records = salesforce.list_records(sandbox.runtime.store, obj, limit=limit, offset=offset, where=where)
    return {
        "domain": domain,
        "object": name,
        "total": salesforce.count_records(sandbox.runtime.store, obj),
        "records": records,
    }


def describe_world(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    """What the tenant's simulated world holds, whether or not a connection points at it yet."""
    sandbox.observe(org)
    store = sandbox.runtime.store
    return {
        "buckets": [
            {"name": bucket, "files": [f.key for f in files.list_files(store, org, bucket)]}
            for bucket in files.list_buckets(store, org)
        ],
        "salesforce_orgs": [
            {"domain": domain, "objects": [o.name for o in salesforce.list_objects(store, org, domain)]}
            for domain in salesforce.list_orgs(store, org)
        ],
        "clock": {"mode": sandbox.runtime.config.clock, "now": iso(sandbox.runtime.now(org))},
        "note": "A simulated world: any service-account JSON reads these buckets, and a Salesforce "
        "connection is authorized by opening its auth_url.",
    }


def get_faults(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    return faults.load(sandbox.runtime.store, org).__dict__


def put_faults(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    config = faults.FaultConfig.from_json(_json_body(raw))
    faults.save(sandbox.runtime.store, org, config)
    return config.__dict__


def clock_state(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    """The clock mode and the tenant's current time (in step mode each tenant has its own)."""
    runtime = sandbox.runtime
    return {"mode": runtime.config.clock, "now": iso(runtime.now(org))}


def advance_clock(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    runtime = sandbox.runtime
    if runtime.config.clock != "step":
        raise ApiError(409, "the clock only moves on request in step mode", "clock_not_steppable")
    seconds = _json_body(raw).get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise bad_request("seconds must be a non-negative number", "seconds")
    runtime.advance_clock(org, float(seconds))
    return {"mode": "step", "now": iso(runtime.now(org))}


def approve_oauth(sandbox: SandboxApp, request: Request, org: str, raw: bytes) -> Any:
    """Authorize the tenant's pending OAuth connections, as a user opening each auth_url would:
    the one named by ``{"connection_id": …}``, or every pending one without it."""
    body = _json_body(raw)
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object, optionally with connection_id", "connection_id")
    wanted = body.get("connection_id")
    if wanted is not None and not isinstance(wanted, str):
        raise bad_request("connection_id must be a string (a connection id)", "connection_id")
    sandbox.observe(org)
    runtime = sandbox.runtime
    waiting = oauth.pending(runtime, org)
    if wanted is not None:
        if wanted not in waiting:
            if runtime.store.get(org, "connection", wanted) is None:
                raise ApiError(404, f"no connection {wanted}", "not_found", {"field": "connection_id"})
            raise ApiError(
                409, f"connection {wanted} has no pending authorization", "no_pending_oauth", {"field": "connection_id"}
            )
        waiting = [wanted]
    approved = []
    for connection_id in waiting:
        state = oauth.state_of(runtime, org, connection_id)
        if state is None or oauth.claim(runtime, state) is None:
            continue
        doc = oauth.authorize(runtime, org, connection_id)
        if doc is not None:
            approved.append({"connection_id": connection_id, "name": doc["name"], "status": doc["status"]})
    return {"approved": approved}


async def oauth_authorize(sandbox: SandboxApp, request: Request) -> Response:
    """The consent page an ``auth_url`` opens: a plain GET authorizes the connection."""
    state = request.query_params.get("state", "")

    def work() -> tuple[str | None, str]:
        claimed = oauth.claim(sandbox.runtime, state)
        if claimed is None:
            return None, "This authorization link is unknown or was already used."
        org, connection_id = claimed
        sandbox.observe(org)
        doc = oauth.authorize(sandbox.runtime, org, connection_id)
        if doc is None:
            return None, "The connection this link was made for no longer exists."
        return doc.get("redirect_url"), str(doc["name"])

    redirect, message = await anyio.to_thread.run_sync(work)
    if redirect:
        return RedirectResponse(redirect, status_code=302)
    if message.startswith("This authorization") or message.startswith("The connection"):
        return HTMLResponse(_page("Authorization failed", message), status_code=400)
    return HTMLResponse(_page("Connected", f"{html.escape(message)} is connected. You can close this window."))


def _page(title: str, text: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{text}</p></body></html>"
    )


async def log_file(sandbox: SandboxApp, request: Request) -> Response:
    """A log file behind a signed-style URL, as JSON lines: a model-sync record log (only the
    errors log has entries) or a bulk execution's console log."""
    token = request.path_params["token"]

    def work() -> str | None:
        store = sandbox.runtime.store
        raw = store.get_meta(f"logfile:{token}")
        if raw is None:
            return None
        org, execution_id, log_type = raw.split("|")
        if log_type == "bulk":  # a bulk execution's console log
            bulk = store.get(org, "bulk_execution", execution_id) or {}
            return "".join(json.dumps(entry) + "\n" for entry in bulk.get("console", []))
        execution = store.get(org, "execution", execution_id) or {}
        lines = execution.get("record_errors", []) if log_type == "errors" else []
        return "".join(json.dumps({"error": line}) + "\n" for line in lines)

    text = await anyio.to_thread.run_sync(work)
    if text is None:
        return _not_found("log file not found or expired")
    return Response(text, media_type="application/x-ndjson")


def _not_found(message: str) -> JSONResponse:
    return JSONResponse({"status": 404, "message": message, "key": "not_found", "metadata": {}}, status_code=404)


async def logo(sandbox: SandboxApp, request: Request) -> Response:
    """The ``logo_url`` of a connection type: a small SVG badge."""
    name = request.path_params["name"]
    kind = TYPES.get(name.removesuffix(".svg")) if name.endswith(".svg") else None
    if kind is None:
        return _not_found(f"no logo {name}")
    return Response(kind.logo_svg(), media_type="image/svg+xml")


async def harbor_mcp(sandbox: SandboxApp, request: Request) -> Response:
    """A Harbor's ``mcp_server_url``: the harbor is kept, but the sandbox runs no MCP server for it."""
    harbor_id = request.path_params["harbor_id"]

    def exists() -> bool:
        store = sandbox.runtime.store
        org = store.get_meta(f"harbor:{harbor_id}")
        return org is not None and store.get(org, "/api/harbors", harbor_id) is not None

    if not await anyio.to_thread.run_sync(exists):
        return _not_found(f"harbor {harbor_id} not found")
    message = f"harbor {harbor_id} exists, but the sandbox does not serve Harbor MCP sessions"
    body = {"status": 501, "message": message, "key": "not_implemented", "metadata": {"harbor_id": harbor_id}}
    return JSONResponse(body, status_code=501)


def _bound(
    sandbox: SandboxApp, page: Callable[[SandboxApp, Request], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await page(sandbox, request)

    return endpoint


def routes(sandbox: SandboxApp) -> list[Route]:
    def route(path: str, action: AdminAction, method: str) -> Route:
        return Route(path, _tenant_route(sandbox, action), methods=[method])

    return [
        route("/sandbox/reset", reset_tenant, "POST"),
        route("/sandbox/seed", load_seed, "POST"),
        route("/sandbox/requests", request_log, "GET"),
        route("/sandbox/world", describe_world, "GET"),
        route("/sandbox/buckets/{bucket}", list_bucket, "GET"),
        route("/sandbox/buckets/{bucket}/files", add_file, "POST"),
        route("/sandbox/buckets/{bucket}/files", read_file, "GET"),
        route("/sandbox/salesforce/objects/{object}/records", inspect_records, "GET"),
        route("/sandbox/faults", get_faults, "GET"),
        route("/sandbox/faults", put_faults, "PUT"),
        route("/sandbox/clock", clock_state, "GET"),
        route("/sandbox/clock/advance", advance_clock, "POST"),
        route("/sandbox/oauth/approve", approve_oauth, "POST"),
        Route("/sandbox/oauth/authorize", _bound(sandbox, oauth_authorize), methods=["GET"]),
        Route("/sandbox/logfiles/{token}/{filename}", _bound(sandbox, log_file), methods=["GET"]),
        Route("/sandbox/logos/{name}", _bound(sandbox, logo), methods=["GET"]),
        Route("/sandbox/harbors/{harbor_id}/mcp", _bound(sandbox, harbor_mcp), methods=["GET", "POST", "DELETE"]),
    ]
