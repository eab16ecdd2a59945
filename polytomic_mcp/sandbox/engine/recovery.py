"""Starting on a database an earlier sandbox process left behind (``--db``), possibly killed in
the middle of a run: executions it left unfinished are settled so the syncs can run again.

A model-sync execution that was writing records fails ("the sandbox restarted …"): the records
it wrote before the restart stay, its counts are lost. One being canceled is canceled. Any other
unfinished execution (created, queued, or running but not yet writing; bulk executions, which
copy nothing until they finish) goes on from where it was. Each gets a console-log entry saying
the sandbox restarted.
"""

from __future__ import annotations

from polytomic_mcp.sandbox.engine import bulk_executions, executions
from polytomic_mcp.sandbox.state.runtime import Runtime


def after_restart(runtime: Runtime) -> None:
    for tenant, kind, ident in runtime.store.all_pending():
        if kind == executions.KIND:
            executions.after_restart(runtime, tenant, ident)
        elif kind == bulk_executions.KIND:
            bulk_executions.after_restart(runtime, tenant, ident)
