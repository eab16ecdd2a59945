"""How to name a tool in advice given to this session.

Every `next`/`next_steps` text a tool returns must name a tool the agent can use now: the
tool itself when it is listed; otherwise the discovery runner that reaches it
(`call_read_operation` / `call_write_operation`); and when the access mode forbids it, the
tool with what the operator would have to allow. `Hints` is built per request from what
that request's tools/list shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from polytomic_mcp.settings import AccessMode
from polytomic_mcp.tools.operations.tools import OperationToolIndex
from polytomic_mcp.tools.tool_names import CALL_READ_OPERATION, CALL_WRITE_OPERATION


def _arguments(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in arguments.items())


@dataclass(frozen=True, slots=True)
class Hints:
    listed: frozenset[str]  # what this request's tools/list shows
    allowed: Callable[[str], bool]  # whether this request may run a tool at all (tier, deny list)
    mode: AccessMode
    operations: OperationToolIndex

    def __call__(self, name: str, **arguments: Any) -> str:
        """`name(args)` if listed; the runner that reaches it if not; what is needed if it may not run."""
        shown = f"{name}({_arguments(arguments)})" if arguments else name
        if name in self.listed:
            return shown
        if not self.allowed(name):
            return f"{shown} (not allowed in {self.mode.value} mode or by the deny list; the operator can allow it)"
        operation = self.operations.get(name)
        if operation is None:
            return shown  # a hand-written tool the toolset selection left out
        runner = CALL_READ_OPERATION if operation.read_only else CALL_WRITE_OPERATION
        if runner not in self.listed:
            return shown
        if arguments:
            return f"{runner}(operation={name!r}, arguments={{{_arguments_dict(arguments)}}})"
        return f"{runner}(operation={name!r})"


def _arguments_dict(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{name!r}: {value!r}" for name, value in arguments.items())
