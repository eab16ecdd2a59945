"""How to name a tool in advice given to this session.

Every `next`/`next_steps` text a tool returns must name a tool the agent can use now: the
tool itself when it is listed; otherwise the discovery runner that reaches it
(`call_read_operation` / `call_write_operation`); and when the access mode forbids it, the
tool with what the operator would have to allow. `Hints` is built per request from what
that request's tools/list shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polytomic_mcp.settings import AccessMode
from polytomic_mcp.tools.operations.tools import OperationToolIndex
from polytomic_mcp.tools.tool_names import CALL_READ_OPERATION, CALL_WRITE_OPERATION


def _arguments(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in arguments.items())


@dataclass(frozen=True, slots=True)
class Hints:
    listed: frozenset[str]
    mode: AccessMode
    operations: OperationToolIndex
    hand_written_read_only: frozenset[str] = frozenset()

    def reads_only(self, name: str) -> bool:
        operation = self.operations.get(name)
        return operation.read_only if operation is not None else name in self.hand_written_read_only

    def __call__(self, name: str, **arguments: Any) -> str:
        """`name(args)` if listed; the runner that reaches it if not; what is needed if the mode forbids it."""
        shown = f"{name}({_arguments(arguments)})" if arguments else name
        if name in self.listed:
            return shown
        if not self.mode.allows(self.reads_only(name)):
            return f"{shown} (not allowed in {self.mode.value} mode; the operator can allow it)"
        if self.operations.get(name) is None:
            return shown  # a hand-written tool the toolset selection left out
        runner = CALL_READ_OPERATION if self.reads_only(name) else CALL_WRITE_OPERATION
        if runner not in self.listed:
            return shown
        if arguments:
            return f"{runner}(operation={name!r}, arguments={{{_arguments_dict(arguments)}}})"
        return f"{runner}(operation={name!r})"


def _arguments_dict(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{name!r}: {value!r}" for name, value in arguments.items())
