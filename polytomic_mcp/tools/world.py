"""What the agent's world holds, as far as this server can see it: buckets and their files,
Salesforce orgs, and in the sandbox the whole simulated world.

On the real API the server sees the world through connections: a GCS connection names
its bucket and, once its schemas are cached, the bucket's files; a Salesforce connection
names its org's domain. The sandbox also answers `GET /sandbox/world` (its seeded buckets,
files and orgs, whether or not a connection points at them); the server asks it with the
request's own credentials, exactly like any API call, and does without it elsewhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from polytomic_mcp.client import PolytomicError
from polytomic_mcp.errors import PolytomicMcpError
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.views import JsonObject, items, obj, type_id_of

logger = logging.getLogger("polytomic_mcp.world")

WORLD_PATH = "/sandbox/world"
MAX_FILES_PER_BUCKET = 50


@dataclass
class Bucket:
    name: str
    connection_ids: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def view(self) -> JsonObject:
        row: JsonObject = {"kind": "bucket", "name": self.name, "connection_ids": self.connection_ids}
        if self.files:
            row["files"] = self.files[:MAX_FILES_PER_BUCKET]
            if len(self.files) > MAX_FILES_PER_BUCKET:
                row["files_total"] = len(self.files)
        return row


@dataclass
class SalesforceOrg:
    domain: str
    connection_ids: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)

    def view(self) -> JsonObject:
        row: JsonObject = {"kind": "salesforce_org", "domain": self.domain, "connection_ids": self.connection_ids}
        if self.objects:
            row["objects"] = self.objects
        return row


@dataclass
class World:
    """What is visible, and whether the backend is the sandbox (known from its world route)."""

    buckets: dict[str, Bucket] = field(default_factory=dict)
    orgs: dict[str, SalesforceOrg] = field(default_factory=dict)
    sandbox: JsonObject | None = None  # the sandbox's own description of its world

    def bucket(self, name: str) -> Bucket:
        return self.buckets.setdefault(name, Bucket(name))

    def org(self, domain: str) -> SalesforceOrg:
        return self.orgs.setdefault(domain, SalesforceOrg(domain))


async def sandbox_world(request: RequestContext) -> JsonObject | None:
    """The sandbox's description of its world; None on a backend that has no such route."""
    credentials = request.scope.credentials
    if credentials is None:
        return None
    try:
        response = await request.state.client.request("GET", WORLD_PATH, credentials=credentials)
    except PolytomicError as failure:
        if failure.status not in (404, 405):
            logger.info("the world route failed: %s", failure.status)
        return None
    body = obj(response.data)
    return obj(body.get("data")) or None


async def visible_world(
    request: RequestContext, with_files: bool = True, connections: list[JsonObject] | None = None
) -> World:
    """The world in reach; `connections` is the connection list when the caller already read it."""
    world = World()
    if connections is None:
        connections = items(await request.api.data("connections_list"))
    for connection in connections:
        configuration = obj(connection.get("configuration"))
        kind = type_id_of(connection)
        if kind == "gcs" and configuration.get("bucket"):
            world.bucket(str(configuration["bucket"])).connection_ids.append(str(connection.get("id")))
        elif kind == "salesforce" and configuration.get("domain"):
            world.org(str(configuration["domain"])).connection_ids.append(str(connection.get("id")))
    described = await sandbox_world(request)
    if described is not None:
        world.sandbox = described
        for bucket in items(described.get("buckets")):
            world.bucket(str(bucket.get("name"))).files = [str(f) for f in bucket.get("files") or []]
        for org in items(described.get("salesforce_orgs")):
            world.org(str(org.get("domain"))).objects = [str(o) for o in org.get("objects") or []]
    if with_files:
        await _files_from_connections(request, world)
    return world


async def _files_from_connections(request: RequestContext, world: World) -> None:
    """Files of buckets the sandbox did not describe, from their connections' cached schemas."""
    for bucket in world.buckets.values():
        if bucket.files or not bucket.connection_ids:
            continue
        try:
            source = obj(await request.api.data("bulk_sync_get_source", connection_id=bucket.connection_ids[0]))
        except PolytomicMcpError:
            continue  # schemas not cached yet: the bucket is listed without its files
        bucket.files = [str(schema.get("id")) for schema in items(source.get("schemas")) if schema.get("id")]


def bucket_names(world: World) -> list[str]:
    return sorted(world.buckets)


def visible_files(world: World, bucket: str | None) -> list[str]:
    if bucket is not None:
        return list(world.buckets[bucket].files) if bucket in world.buckets else []
    return [f"{name}/{key}" for name, found in sorted(world.buckets.items()) for key in found.files]
