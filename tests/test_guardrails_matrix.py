"""Every destructive operation of the catalog, for every client kind (both eras; accepts, declines,
cannot elicit), against real objects in the sandbox (`guard_matrix.py`, which also prints the table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polytomic_mcp.sandbox import SandboxConfig, start_sandbox
from tests.guard_matrix import KINDS, destructive_tools, markdown, run_matrix


@pytest.mark.slow
async def test_every_destructive_operation_runs_only_when_the_user_confirms(tmp_path: Path) -> None:
    with start_sandbox(SandboxConfig(clock="step")) as sandbox:
        matrix = await run_matrix(sandbox, tmp_path)
    tools = destructive_tools()
    assert len(tools) == 53 and set(matrix) == {kind.label for kind in KINDS}
    for kind, cells in matrix.items():
        for tool in tools:
            cell = cells[tool.name]
            where = f"{tool.name} / {kind}: {cell}"
            if kind.endswith("accepts"):
                assert cell.sent and cell.asked == 1 and cell.confirmation == "confirmed", where
            elif kind.endswith("declines"):
                assert not cell.sent and cell.asked == 1 and cell.confirmation == "declined", where
            else:
                assert not cell.sent and cell.asked == 0 and cell.confirmation == "unsupported", where
            if not cell.sent and cell.before is not None:
                assert cell.before and cell.after, f"the object changed although nothing was sent: {where}"
    deletes = [t.name for t in tools if t.operation.method == "DELETE" and matrix[KINDS[0].label][t.name].before]
    for kind in ("2026: accepts", "legacy: accepts"):
        gone = [name for name in deletes if matrix[kind][name].after is False]
        assert {"model_sync_delete", "models_delete", "connections_delete", "bulk_sync_delete"} <= set(gone), kind
    table = markdown(matrix)
    assert table.count("\n") == len(tools) + 1 and "| `model_sync_delete` | confirmed → sent, 204" in table
