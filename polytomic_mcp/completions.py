"""Completions that turn names into ids, for resource templates and prompt arguments.

The typed text is ranked against names and ids (same ranking as find_resources) and the
ids come back, best first, at most 20. Dependent arguments (schema_id and target_id need
connection_id; execution_id needs sync_id) read the already-resolved arguments the client
sends in the completion context. Any failure (no key, API error, missing dependency)
completes to nothing: a completion is a convenience, never a protocol error.

The SDK's completion decorator does not pass the request context, which holds the
credentials; `CompletionRequestCapture` (server middleware, public API) keeps it in a
context variable for the duration of each completion/complete request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference

from polytomic_mcp.errors import PolytomicMcpError
from polytomic_mcp.tools.api import Api
from polytomic_mcp.tools.boundary import error_text
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.name_match import ranked
from polytomic_mcp.tools.views import items, obj, type_id_of
from polytomic_mcp.tools.world import bucket_names, visible_files, visible_world

logger = logging.getLogger("polytomic_mcp.completions")

MAX_VALUES = 20
MAX_LISTED = 500
MAX_EXECUTIONS = 50
MAX_CONNECTIONS_SCANNED = 3

Candidate = tuple[str, str]  # (id, name)
Arguments = dict[str, str]
CandidateSource = Callable[[RequestContext, Arguments], Awaitable[list[Candidate]]]

_completion_request: ContextVar[ServerRequestContext[Any, Any] | None] = ContextVar(
    "polytomic_completion_request", default=None
)


class CompletionRequestCapture:
    """Server middleware: remembers the request context while a completion runs."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "completion/complete":
            return await call_next(ctx)
        token = _completion_request.set(ctx)
        try:
            return await call_next(ctx)
        finally:
            _completion_request.reset(token)


# -- candidates ------------------------------------------------------------------------


def _pairs(rows: list[dict[str, Any]]) -> list[Candidate]:
    return [(str(row["id"]), str(row.get("name") or "")) for row in rows if row.get("id")]


async def connections(request: RequestContext, _: Arguments) -> list[Candidate]:
    return _pairs(items(await request.api.data("connections_list")))


async def models(request: RequestContext, _: Arguments) -> list[Candidate]:
    return _pairs(items(await request.api.data("models_list")))


async def syncs(request: RequestContext, _: Arguments) -> list[Candidate]:
    return _pairs(items(await request.api.all_pages("model_sync_list", limit=MAX_LISTED)))


async def model_and_bulk_syncs(request: RequestContext, arguments: Arguments) -> list[Candidate]:
    """Both kinds of sync: the workflow tools take either id."""
    return await syncs(request, arguments) + _pairs(items(await request.api.data("bulk_sync_list")))


async def connection_types(request: RequestContext, _: Arguments) -> list[Candidate]:
    return _pairs(items(await request.api.data("connections_get_types")))


async def schemas(request: RequestContext, arguments: Arguments) -> list[Candidate]:
    connection_id = arguments.get("connection_id")
    if not connection_id:
        return []
    source = obj(await request.api.data("bulk_sync_get_source", connection_id=connection_id))
    return _pairs(items(source.get("schemas")))


async def targets(request: RequestContext, arguments: Arguments) -> list[Candidate]:
    connection_id = arguments.get("connection_id")
    if not connection_id:
        return []
    return _pairs(items(await request.api.data("model_sync_targets_list", connection_id=connection_id)))


async def executions(request: RequestContext, arguments: Arguments) -> list[Candidate]:
    """Executions of the sync, newest first; the status stands in for a name."""
    sync_id = arguments.get("sync_id")
    if not sync_id:
        return []
    runs = items(await request.api.all_pages("model_sync_executions_list", limit=MAX_EXECUTIONS, sync_id=sync_id))
    runs.sort(key=lambda run: str(run.get("created_at") or ""), reverse=True)
    return [(str(run["id"]), str(run.get("status") or "")) for run in runs if run.get("id")]


async def _connections_of_type(api: Api, type_id: str) -> list[dict[str, Any]]:
    return [row for row in items(await api.data("connections_list")) if type_id_of(row) == type_id]


async def gcs_buckets(request: RequestContext, _: Arguments) -> list[Candidate]:
    """Buckets in reach: those GCS connections point at and, in the sandbox, every seeded one."""
    world = await visible_world(request, with_files=False)
    return [(name, name) for name in bucket_names(world)]


async def gcs_files(request: RequestContext, arguments: Arguments) -> list[Candidate]:
    """Keys of the files in the bucket already chosen, or in every bucket in reach."""
    world = await visible_world(request, with_files=True)
    chosen = arguments.get("bucket")
    keys = visible_files(world, chosen) if chosen else [key for b in world.buckets.values() for key in b.files]
    return [(key, key) for key in dict.fromkeys(keys)]


async def salesforce_objects(request: RequestContext, _: Arguments) -> list[Candidate]:
    found: list[Candidate] = []
    for row in (await _connections_of_type(request.api, "salesforce"))[:MAX_CONNECTIONS_SCANNED]:
        try:
            found.extend(await targets(request, {"connection_id": str(row.get("id"))}))
        except PolytomicMcpError:
            continue  # not authorized yet: it has no objects to offer
    if not found:  # no connection offers objects yet: the orgs in reach (sandbox) say which exist
        world = await visible_world(request, with_files=False)
        found = [(name, name) for org in world.orgs.values() for name in org.objects]
    return list(dict.fromkeys(found))


# Resource template variables, by name (the same name means the same thing in every template).
TEMPLATE_ARGUMENTS: dict[str, CandidateSource] = {
    "connection_id": connections,
    "model_id": models,
    "sync_id": syncs,
    "type_id": connection_types,
    "schema_id": schemas,
    "target_id": targets,
    "execution_id": executions,
}

# (prompt name, argument) -> candidates.
PROMPT_ARGUMENTS: dict[tuple[str, str], CandidateSource] = {
    ("triage_failing_sync", "sync"): model_and_bulk_syncs,
    ("setup_bulk_sync", "source_connection"): connections,
    ("setup_bulk_sync", "destination_connection"): connections,
    ("setup_gcs_csv_to_salesforce", "bucket"): gcs_buckets,
    ("setup_gcs_csv_to_salesforce", "csv_key"): gcs_files,
    ("setup_gcs_csv_to_salesforce", "salesforce_object"): salesforce_objects,
}

# Candidates whose order already means something (newest first) are filtered, not re-ranked.
KEEP_ORDER: frozenset[CandidateSource] = frozenset({executions})


# -- answering -------------------------------------------------------------------------


def source_for(ref: PromptReference | ResourceTemplateReference, argument: str) -> CandidateSource | None:
    if isinstance(ref, ResourceTemplateReference):
        if not ref.uri.startswith("polytomic://") or "{" + argument + "}" not in ref.uri:
            return None
        return TEMPLATE_ARGUMENTS.get(argument)
    return PROMPT_ARGUMENTS.get((ref.name, argument))


def matching_ids(candidates: list[Candidate], typed: str, keep_order: bool) -> list[str]:
    if keep_order:
        wanted = typed.strip().lower()
        chosen = [cid for cid, name in candidates if cid.lower().startswith(wanted) or name.lower().startswith(wanted)]
    else:
        chosen = [cid for _, (cid, _name) in ranked(candidates, typed, lambda c: c[1], lambda c: c[0])]
    return list(dict.fromkeys(chosen))


def completion_of(ids: list[str]) -> Completion:
    return Completion(values=ids[:MAX_VALUES], total=len(ids), has_more=len(ids) > MAX_VALUES)


EMPTY = Completion(values=[], total=0, has_more=False)


async def complete(
    server: MCPServer[Any],
    ref: PromptReference | ResourceTemplateReference,
    argument: CompletionArgument,
    context: CompletionContext | None,
) -> Completion:
    source = source_for(ref, argument.name)
    request = _completion_request.get()
    if source is None or request is None:
        return EMPTY
    resolved = dict((context.arguments if context else None) or {})
    try:
        context_of_request = RequestContext.of(Context(request_context=request, mcp_server=server))
        candidates = await source(context_of_request, resolved)
    except PolytomicMcpError as failure:
        first_line = error_text(failure, "completion").splitlines()[0]
        logger.info("completion of %s found nothing: %s", argument.name, first_line)
        return EMPTY
    except Exception:
        logger.exception("completion of %s failed", argument.name)
        return EMPTY
    return completion_of(matching_ids(candidates, argument.value, source in KEEP_ORDER))


def register_completions(server: MCPServer[Any]) -> None:
    """The completion handler, plus the middleware that gives it the request's credentials."""
    if not any(isinstance(m, CompletionRequestCapture) for m in server.middleware):
        server.middleware.append(CompletionRequestCapture())

    @server.completion()  # type: ignore[no-untyped-call, untyped-decorator]  # the SDK leaves it untyped
    async def complete_argument(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion:
        return await complete(server, ref, argument, context)
