"""Operation tools: one typed MCP tool per catalog operation, built once per process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

from mcp.types import Tool, ToolAnnotations

from polytomic_mcp.catalog import Operation, load_catalog
from polytomic_mcp.tools.annotations import listed_annotations
from polytomic_mcp.tools.operations.descriptions import describe, title_for
from polytomic_mcp.tools.operations.input_schema import ArgumentMap, build_flat_input
from polytomic_mcp.tools.operations.naming import tool_name
from polytomic_mcp.tools.schema_shaping import BRIEF_NOTE, JsonSchema, brief_schema
from polytomic_mcp.tools.toolsets import toolset_of


@dataclass(frozen=True, slots=True)
class OperationTool:
    """A catalog operation as an MCP tool, with what it takes to call it."""

    name: str
    operation: Operation
    toolset: str
    title: str
    description: str
    input_schema: JsonSchema  # what arguments are validated against
    listed_schema: JsonSchema  # what tools/list shows: references inlined, rare nested shapes cut
    arguments: ArgumentMap

    @property
    def read_only(self) -> bool:
        return self.operation.read_only

    def annotations(self) -> ToolAnnotations:
        op = self.operation
        hints = ToolAnnotations(
            read_only_hint=op.read_only, destructive_hint=op.destructive, idempotent_hint=op.idempotent
        )
        return listed_annotations(hints, self.title)

    def to_mcp(self, input_schema: JsonSchema | None = None) -> Tool:
        return Tool(
            name=self.name,
            description=self.description,
            input_schema=input_schema if input_schema is not None else self.listed_schema,
            annotations=self.annotations(),
        )


class OperationToolIndex:
    """All operation tools, by tool name and by catalog name, in catalog order.

    Tools are built when first needed: a server listing only the default tools builds
    fifteen of them at start-up, not all 198.
    """

    def __init__(self, operations: tuple[Operation, ...]) -> None:
        self._operations = operations
        self._by_name = {tool_name(op): op for op in operations}
        self._by_operation = {op.name: op for op in operations}
        self._built: dict[str, OperationTool] = {}
        if len(self._by_name) != len(operations):
            raise ValueError("operation tool names are not unique")

    def _tool(self, operation: Operation) -> OperationTool:
        tool = self._built.get(operation.name)
        if tool is None:
            tool = self._built[operation.name] = build_operation_tool(operation)
        return tool

    def __iter__(self) -> Iterator[OperationTool]:
        return (self._tool(op) for op in self._operations)

    def __len__(self) -> int:
        return len(self._operations)

    def matching(self, wanted: Callable[[Operation], bool]) -> list[OperationTool]:
        """The tools of the operations `wanted` accepts (only those are built)."""
        return [self._tool(op) for op in self._operations if wanted(op)]

    def get(self, name: str) -> OperationTool | None:
        """By tool name, or by catalog operation name (both are accepted everywhere)."""
        operation = self._by_name.get(name) or self._by_operation.get(name)
        return None if operation is None else self._tool(operation)

    def names(self) -> list[str]:
        return list(self._by_name)


def build_operation_tool(operation: Operation) -> OperationTool:
    flat = build_flat_input(operation)
    poll = operation.async_info.poll if operation.async_info else None
    poll_name = tool_name(load_catalog().get(poll)) if poll else None
    listed, cut = brief_schema(flat.schema)
    description = describe(operation, poll_name)
    return OperationTool(
        name=tool_name(operation),
        operation=operation,
        toolset=toolset_of(operation),
        title=title_for(operation),
        description=f"{description} {BRIEF_NOTE}" if cut else description,
        input_schema=flat.schema,
        listed_schema=listed,
        arguments=flat.arguments,
    )


@cache
def operation_tools() -> OperationToolIndex:
    """Every catalog operation as a tool (each built once per process, on first use)."""
    return OperationToolIndex(load_catalog().operations)
