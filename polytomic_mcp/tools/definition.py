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
from typing import Any, Generic, TypeVar, get_args

from mcp.types import CallToolResult, InputRequiredResult, Tool, ToolAnnotations
from pydantic import BaseModel, ConfigDict, ValidationError

from polytomic_mcp.errors import ArgumentProblem, InvalidArgumentsError
from polytomic_mcp.settings import AccessMode
from polytomic_mcp.tools.annotations import listed_annotations
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.schema_shaping import tidy_generated
from polytomic_mcp.tools.validation import unexpected_arguments

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
        """Validated input; InvalidArgumentsError names each bad member, never its value (it may be a secret)."""
        try:
            return self.input_model.model_validate(_parse_json_strings(self.input_model, arguments))
        except ValidationError as invalid:
            raise InvalidArgumentsError(self.name, argument_problems(self.input_model, invalid)) from None

    async def run(self, arguments: dict[str, Any], request: RequestContext) -> Outcome:
        return await self.handler(self.parse(arguments), request)


class ToolInput(BaseModel):
    """Base of every hand-written tool's input model (and the models nested in it): unknown
    members are refused, so a misspelt argument is named instead of silently ignored."""

    model_config = ConfigDict(extra="forbid")


def argument_problems(model: type[BaseModel], error: ValidationError) -> list[ArgumentProblem]:
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        location = item["loc"]
        where = ".".join(str(part) for part in location) or "arguments"
        if item["type"] == "extra_forbidden":
            problems.append(ArgumentProblem("", unexpected_arguments([where], _member_names(model, location[:-1]))))
        else:
            problems.append(ArgumentProblem(where, item["msg"]))
    return problems


def _member_names(model: type[BaseModel], location: tuple[Any, ...]) -> list[str]:
    """The members a (possibly nested) input object allows, found by walking the model's fields."""
    current: Any = model
    for part in location:
        field = current.model_fields.get(part) if isinstance(current, type) and issubclass(current, BaseModel) else None
        if field is None:
            return []
        current = next((arg for arg in (field.annotation, *get_args(field.annotation)) if isinstance(arg, type)), None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


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
