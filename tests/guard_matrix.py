"""Every destructive operation × client kind, run for real: what happened, and whether the object
is still there afterwards.

For each client kind a fresh sandbox tenant gets a full set of real objects (the contract
test's `World`: connections, model, sync and its execution, bulk sync with a schedule,
harbor with context, key, saved query and user, webhook, policy, role, organization and
users). Each destructive operation is then called through an in-memory MCP client of that
kind, with arguments naming those objects, in an order where dependants go first; the
audit log says whether the call was sent, and a read of the object says whether it is
still there. `python tests/guard_matrix.py` prints the table as Markdown.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from mcp.client import Client

ROOT = Path(__file__).parents[1]
for path in (ROOT, ROOT / "tests" / "sandbox"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from test_sandbox_contract import World, _order  # noqa: E402

from polytomic_mcp.catalog import Operation  # noqa: E402
from polytomic_mcp.guardrails.previews import subject_read  # noqa: E402
from polytomic_mcp.sandbox import RunningSandbox  # noqa: E402
from polytomic_mcp.sandbox.http.routing import is_param, split_path  # noqa: E402
from polytomic_mcp.tools.operations.naming import tool_name  # noqa: E402
from polytomic_mcp.tools.operations.tools import OperationTool, operation_tools  # noqa: E402
from tests.guard_support import User  # noqa: E402
from tests.seed_setup import seed_server  # noqa: E402

# The GCS connection is still used (by the bulk sync's source schema and an async model): delete it all.
QUERY = {"connections_delete": {"force": True}}


@dataclass(frozen=True)
class ClientKind:
    label: str
    mode: str
    user: Callable[[], User | None]


KINDS = (
    ClientKind("2026: accepts", "auto", lambda: User("accept")),
    ClientKind("2026: declines", "auto", lambda: User("decline")),
    ClientKind("2026: cannot elicit", "auto", lambda: None),
    ClientKind("legacy: accepts", "legacy", lambda: User("accept")),
    ClientKind("legacy: declines", "legacy", lambda: User("decline")),
    ClientKind("legacy: cannot elicit", "legacy", lambda: None),
)


@dataclass(frozen=True)
class Cell:
    """One operation for one client kind."""

    asked: int  # confirmation forms the user was shown
    outcome: str  # the audit line's outcome: ok, error (sent, Polytomic refused) or not_confirmed
    confirmation: str
    status: int | None  # Polytomic's HTTP status when it was sent
    before: bool | None  # whether the object existed before the call (None: no read for it)
    after: bool | None

    @property
    def sent(self) -> bool:
        return self.outcome in ("ok", "error")

    def text(self) -> str:
        if not self.sent:
            state = "" if self.after is None else (", object kept" if self.after else ", object GONE")
            return f"not run ({self.confirmation}){state}"
        gone = self.before and self.after is False
        state = "" if self.after is None else (", object deleted" if gone else ", object kept")
        return f"confirmed → sent, {self.status}{state}"


def destructive_tools() -> list[OperationTool]:
    tools = [t for t in operation_tools() if t.operation.destructive]
    return sorted(tools, key=lambda t: _order(t.operation))


def path_values(world: World, op: Operation) -> dict[str, str]:
    segments = split_path(op.path)
    bulk = op.path.startswith("/api/bulk")
    return {
        segment[1:-1]: world._value(op, segment[1:-1], segments[index - 1], bulk)
        for index, segment in enumerate(segments)
        if is_param(segment)
    }


def tool_arguments(world: World, tool: OperationTool) -> dict[str, Any]:
    """The tool's arguments for the world's objects: path ids, and the contract test's body."""
    paths = path_values(world, tool.operation)
    body = world.body_for(tool.operation)
    arguments: dict[str, Any] = {}
    for name, target in tool.arguments.targets.items():
        if target.location == "path":
            arguments[name] = paths[target.wire_name]
        elif target.location == "body" and isinstance(body, dict) and target.wire_name in body:
            arguments[name] = body[target.wire_name]
    return {**arguments, **QUERY.get(tool.operation.name, {})}


async def object_exists(client: Client, world: World, op: Operation) -> bool | None:
    """Whether the object the operation acts on is there (its GET answers), or None without a GET."""
    read = subject_read(op)
    if read is None or read.path != op.path.rstrip("/"):
        return None
    paths = path_values(world, op)
    result = await client.call_tool(tool_name(read), {p.name: paths[p.name] for p in read.path_params})
    return not result.is_error


def build_world(sandbox: RunningSandbox, key: str) -> World:
    headers = {"Authorization": f"Bearer {key}"}
    with (
        httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=30) as client,
        httpx.Client(base_url=sandbox.base_url, timeout=30) as raw,
    ):
        world = World(client, raw)
        world.build()
    return world


def audit_lines(audit: Path) -> list[str]:
    return audit.read_text(encoding="utf-8").splitlines() if audit.exists() else []


async def run_kind(sandbox: RunningSandbox, kind: ClientKind, audit: Path) -> dict[str, Cell]:
    key = f"matrix-{kind.label.replace(' ', '').replace(':', '-')}"
    world = build_world(sandbox, key)
    user = kind.user()
    server = seed_server(sandbox.base_url, key, audit_log=str(audit), confirm_timeout=30)
    cells: dict[str, Cell] = {}
    async with Client(server, mode=kind.mode, elicitation_callback=user) as client:
        for tool in destructive_tools():
            before = await object_exists(client, world, tool.operation)
            shown = len(user.shown) if user else 0
            lines = len(audit_lines(audit))
            await client.call_tool(tool.name, tool_arguments(world, tool))
            records = [json.loads(line) for line in audit_lines(audit)[lines:]]
            final = [r for r in records if r["operation"] == tool.operation.name][-1]
            after = await object_exists(client, world, tool.operation)
            asked = (len(user.shown) if user else 0) - shown
            cells[tool.name] = Cell(asked, final["outcome"], final["confirmation"], final.get("status"), before, after)
    return cells


async def run_matrix(sandbox: RunningSandbox, workdir: Path) -> dict[str, dict[str, Cell]]:
    """{client kind label: {tool name: cell}}."""
    return {kind.label: await run_kind(sandbox, kind, workdir / f"audit-{i}.jsonl") for i, kind in enumerate(KINDS)}


def markdown(matrix: dict[str, dict[str, Cell]]) -> str:
    kinds = list(matrix)
    lines = ["| operation | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
    for tool in destructive_tools():
        cells = [matrix[kind][tool.name].text() for kind in kinds]
        lines.append(f"| `{tool.name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    import tempfile

    import anyio

    from polytomic_mcp.sandbox import SandboxConfig, start_sandbox

    with tempfile.TemporaryDirectory() as workdir, start_sandbox(SandboxConfig(clock="step")) as sandbox:
        matrix = anyio.run(run_matrix, sandbox, Path(workdir))
    print(markdown(matrix))


if __name__ == "__main__":
    main()
