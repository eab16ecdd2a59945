"""A hand-written tool as a value: name, title, description, annotations, input model, handler.

Workflow and discovery tools are each declared once, at module level, as a `HandWrittenTool`
and collected in `tools/inventory.py`. The input model is a pydantic model whose fields are
the tool's arguments; its JSON Schema (tidied) is the tool's `inputSchema`. The handler takes
the validated input and a `RequestContext` and returns a payload (a JSON object, shaped and
rendered like every result), a finished `CallToolResult` (call_read_operation hands back the
operation tool's own result), or, to ask the user something, an `InputRequiredResult`. It
raises for every failure.

    async def find(args: FindInput, request: RequestContext) -> Payload: ...
    FIND_RESOURCES_TOOL = HandWrittenTool(name=..., title=..., description=..., input_model=FindInput,
                                          annotations=ToolAnnotations(read_only_hint=True), handler=find)
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

from mcp.types import CallToolResult, InputRequiredResult, Tool, ToolAnnotations
from pydantic import BaseModel, ConfigDict, ValidationError

from polytomic_mcp.errors import ArgumentProblem, InvalidArgumentsError
from polytomic_mcp.settings import AccessMode
from polytomic_mcp.tools.annotations import listed_annotations
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.schema_shaping import tidy_generated
from polytomic_mcp.tools.validation import validate_arguments

Payload = dict[str, Any]
InputT = TypeVar("InputT", bound=BaseModel)
Outcome = Payload | CallToolResult | InputRequiredResult
Handler = Callable[[InputT, RequestContext], Awaitable[Outcome]]


@dataclass(frozen=True)
class HandWrittenTool(Generic[InputT]):
    """One workflow or discovery tool."""

    name: str
    title: str
    description: str
    input_model: type[InputT]
    annotations: ToolAnnotations
    handler: Handler[InputT]
    # A runner of any write (call_write_operation): what it may do is what the tier allows, each
    # operation checked by the guard. Listed wherever some write is allowed, and destructive
    # only where destructive operations are.
    runs_operations: bool = False

    @property
    def read_only(self) -> bool:
        return bool(self.annotations.read_only_hint)

    @property
    def destructive(self) -> bool:
        return bool(self.annotations.destructive_hint)

    def allowed_in(self, mode: AccessMode) -> bool:
        if self.runs_operations:
            return mode.allows(read_only_operation=False)
        return mode.allows(self.read_only, self.destructive)

    def listed_in(self, mode: AccessMode) -> Tool:
        """The tool as a session in this mode sees it: its hints true of what it can do there."""
        if not self.runs_operations or mode is AccessMode.FULL_ACCESS:
            return self.listed
        narrowed = self.annotations.model_copy(update={"destructive_hint": False})
        return self.listed.model_copy(update={"annotations": listed_annotations(narrowed, self.title)})

    @cached_property
    def listed(self) -> Tool:
        """The tool as tools/list carries it (standard profile)."""
        generated = tidy_generated(self.input_model.model_json_schema(by_alias=True))
        # Members in reading order: what the tool takes first, shared definitions last.
        order = ("type", "properties", "required", "additionalProperties", "$defs")
        schema = {key: generated[key] for key in order if key in generated}
        schema.update((key, value) for key, value in generated.items() if key not in order)
        return Tool(
            name=self.name,
            description=self.description,
            input_schema=schema,
            annotations=listed_annotations(self.annotations, self.title),
        )

    def parse(self, arguments: dict[str, Any]) -> InputT:
        """Validated input; InvalidArgumentsError names each bad member, never its value (it may be a secret).

        The listed inputSchema is checked first, as for operation tools (what the schema refuses is
        refused, in the same words); the model's own rules come after."""
        decoded = _parse_json_strings(self.input_model, arguments)
        problems = validate_arguments(self.listed.input_schema, decoded) or id_problems(decoded)
        if problems:
            raise InvalidArgumentsError(self.name, problems)
        try:
            return self.input_model.model_validate(decoded)
        except ValidationError as invalid:
            raise InvalidArgumentsError(self.name, argument_problems(invalid)) from None

    async def run(self, arguments: dict[str, Any], request: RequestContext) -> Outcome:
        return await self.handler(self.parse(arguments), request)


class ToolInput(BaseModel):
    """Base of every hand-written tool's input model (and the models nested in it): unknown
    members are refused (the schema says `additionalProperties: false`, so the schema check
    names them, with the closest valid name)."""

    model_config = ConfigDict(extra="forbid")


MAX_ID_CHARS = 1024


def id_problems(arguments: dict[str, Any]) -> list[ArgumentProblem]:
    """Ids (`*_id` members, items of `*_ids`) that name no object whatever exists: empty, blank or
    longer than any id. Refused here, in this tool's words, not by the operation a handler calls."""
    problems = []
    for name, value in arguments.items():
        if name.endswith("_id") and isinstance(value, str):
            given = [(name, value)]
        elif name.endswith("_ids") and isinstance(value, list):
            given = [(f"{name}[{i}]", item) for i, item in enumerate(value) if isinstance(item, str)]
        else:
            continue
        for where, item in given:
            if not item.strip():
                problems.append(ArgumentProblem(where, "must not be empty or blank; give the id of an existing object"))
            elif len(item) > MAX_ID_CHARS:
                problems.append(ArgumentProblem(where, f"is longer than any id ({MAX_ID_CHARS:,} characters at most)"))
    return problems


def argument_problems(error: ValidationError) -> list[ArgumentProblem]:
    """What the model's own rules refused (after the schema check), by member, without values."""
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        problems.append(ArgumentProblem(where, item["msg"]))
    return problems


def _parse_json_strings(model: type[BaseModel], arguments: dict[str, Any]) -> dict[str, Any]:
    """Members sent as JSON text where a list or object is expected (some clients always do
    this) are decoded first; plain strings, numbers and text that is not JSON stay as given."""
    parsed = dict(arguments)
    for name, field in model.model_fields.items():
        value = arguments.get(field.alias or name)
        if not isinstance(value, str) or field.annotation is str:
            continue
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            continue
        if not isinstance(decoded, str | int | float):
            parsed[field.alias or name] = decoded
    return parsed
