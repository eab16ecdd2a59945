"""Advances time-driven state lazily: whenever a tenant is observed (any API or admin request),
every pending schema refresh, job and execution of that tenant catches up with the clock.
No background threads, so step-mode runs are fully deterministic."""

from __future__ import annotations

from polytomic_mcp.sandbox.engine import bulk_executions, executions, jobs, schema_cache
from polytomic_mcp.sandbox.state.runtime import Runtime


def catch_up(runtime: Runtime, org: str) -> None:
    for kind, ident in runtime.store.pending(org):
        if kind == schema_cache.KIND:
            schema_cache.advance(runtime, org, ident)
        elif kind == jobs.KIND:
            jobs.advance(runtime, org, ident)
        elif kind == executions.KIND:
            executions.advance(runtime, org, ident)
        elif kind == bulk_executions.KIND:
            bulk_executions.advance(runtime, org, ident)
        else:
            runtime.store.clear_pending(org, kind, ident)
