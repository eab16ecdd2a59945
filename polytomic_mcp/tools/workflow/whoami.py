"""whoami: where this session is and what it can see, in one call.

Result:

    backend       {kind: sandbox | polytomic, host, api_version}
    organization  {id, name} of the key in use (null when the API does not say)
    access_mode, toolsets, listed_tools (how many)
    world         {buckets: [{name, connection_ids, files?}], salesforce_orgs: [{domain, connection_ids, objects?}]}
    sandbox       (sandbox only) what is simulated: any service-account JSON works, which domains exist
    next          where to go from here
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mcp.types import ToolAnnotations

from polytomic_mcp.errors import PolytomicMcpError
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.definition import HandWrittenTool, Payload, ToolInput
from polytomic_mcp.tools.tool_names import FIND_RESOURCES, SYNC_GCS_CSV_TO_SALESFORCE, WHOAMI
from polytomic_mcp.tools.views import JsonObject, obj
from polytomic_mcp.tools.world import World, visible_world


class WhoamiInput(ToolInput):
    pass


async def _organization(request: RequestContext) -> JsonObject | None:
    try:
        me = obj(await request.api.data("identity_get"))
    except PolytomicMcpError:
        return None
    return {"id": me.get("organization_id"), "name": me.get("organization_name")}


def _sandbox_facts(world: World) -> JsonObject:
    described = world.sandbox or {}
    facts: JsonObject = {
        "service_accounts": "any service-account JSON is accepted (nothing leaves this machine)",
        "salesforce_domains": sorted(world.orgs),
        "oauth": "opening a connection's auth_url authorizes it at once",
    }
    for key in ("clock", "note"):
        if described.get(key):
            facts[key] = described[key]
    return facts


async def whoami(args: WhoamiInput, request: RequestContext) -> Payload:
    world = await visible_world(request, with_files=True)
    sandbox = request.settings.sandbox or world.sandbox is not None
    base = urlsplit(request.state.client.base_url)
    payload: Payload = {
        "backend": {
            "kind": "sandbox" if sandbox else "polytomic",
            "host": base.netloc,
            "api_version": request.state.client.api_version,
        },
        "organization": await _organization(request),
        "access_mode": request.access_mode.value,
        "toolsets": request.state.selection.describe(),
        "listed_tools": len(request.state.listed_names(request.scope)),
        "world": {
            "buckets": [bucket.view() for bucket in world.buckets.values()],
            "salesforce_orgs": [org.view() for org in world.orgs.values()],
        },
    }
    if sandbox:
        payload["sandbox"] = _sandbox_facts(world)
    steps = [f"Find objects by name with {request.hints(FIND_RESOURCES)}"]
    if SYNC_GCS_CSV_TO_SALESFORCE in request.hints.listed:
        steps.append(f"set up a CSV → Salesforce sync with {SYNC_GCS_CSV_TO_SALESFORCE} (dry_run first)")
    payload["next"] = "; ".join(steps) + "."
    return payload


WHOAMI_TOOL = HandWrittenTool(
    name=WHOAMI,
    title="Where am I",
    description="Backend (sandbox or API), organization, access mode, and the buckets, files and Salesforce orgs "
    "this session can reach. Call it first.",
    input_model=WhoamiInput,
    annotations=ToolAnnotations(read_only_hint=True),
    handler=whoami,
)
