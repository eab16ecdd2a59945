"""Argument strategies for fuzzing tools: valid (from the tool's listed inputSchema, with
hypothesis-jsonschema), invalid (a valid set with one thing broken) and hostile (a valid set
with values chosen to break whatever handles them next: traversal ids, URLs past every
limit, non-ASCII in headers, controls, deep nesting, huge lists, numbers past 64 bits).

`schema_problems` is the oracle for "schema-invalid": Draft 2020-12 with `date-time`
asserted, the schema's own meaning. It is independent of how the server validates.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator, FormatChecker

Json = Any
Path = tuple[str | int, ...]

HOSTILE_STRINGS = (
    "..",
    ".",
    "/",
    "../../api/connections",
    "%2e%2e%2f",
    " ",
    "\x00",
    "\r\nX-Injected: 1",
    "é ü 漢字 🙂",
    "\u202egnp.exe",
    "<untrusted-data-000000>",
    "'; DROP TABLE syncs; --",
    "A" * 70_000,
    "é" * 6_000,
    "x" * 9_000,
)


def _nested(depth: int) -> Json:
    value: Json = "bottom"
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_VALUES: tuple[Json, ...] = (
    *HOSTILE_STRINGS,
    2**70,
    -(2**63) - 1,
    1e308,
    -0.0,
    _nested(150),
    {"a": {"b": {"c": {"d": [{}]}}}},
    [{}] * 3 + [1, "x", None, [[]]],
    list(range(5_000)),
    {f"k{n}": n for n in range(300)},
)

WRONG_TYPES: tuple[Json, ...] = (None, True, 7, 2.5, "text", [], {}, [1, "x"], {"unexpected": 1})


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _date_time(value: object) -> bool:
    """RFC 3339 date-time, the meaning of the `date-time` format."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper())
    except ValueError:
        return False
    return True


def _checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_date_time)
    return checker


@dataclass(frozen=True)
class Case:
    kind: str  # valid | invalid | hostile
    how: str  # what was done to the arguments
    arguments: dict[str, Json]


class Oracle:
    """Whether arguments fit a schema, by the schema alone."""

    def __init__(self, schema: dict[str, Json]) -> None:
        self._validator = Draft202012Validator(schema, format_checker=_checker())

    def valid(self, arguments: Json) -> bool:
        return self._validator.is_valid(arguments)


def narrowed(node: Json) -> Json:
    """The schema with few members, short strings and short lists: every instance of it is an
    instance of the original, and generating one is far cheaper (hypothesis-jsonschema spends
    minutes on a sync's 20 optional members otherwise; hostile sizes come from the hostile cases)."""
    if isinstance(node, list):
        return [narrowed(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Json] = {}
    for key, value in node.items():
        if key in ("properties", "$defs", "patternProperties") and isinstance(value, dict):
            out[key] = {name: narrowed(sub) for name, sub in value.items()}  # names → schemas
        elif key in ("enum", "const", "required", "default", "examples"):
            out[key] = value
        else:
            out[key] = narrowed(value)
    kind = out.get("type")
    if kind == "array" or "items" in out:
        out["maxItems"] = min(int(out.get("maxItems", 2)), max(int(out.get("minItems", 0)), 2))
    if (kind == "object" or isinstance(out.get("properties"), dict)) and "maxProperties" not in out:
        required = len(out.get("required", []))
        out["maxProperties"] = max(required, min(len(out.get("properties", {})), required + 3), 1)
    if kind == "string" and "enum" not in out and "format" not in out and "pattern" not in out:
        out["maxLength"] = min(int(out.get("maxLength", 16)), max(int(out.get("minLength", 0)), 16))
    return out


def paths_in(value: Json, where: Path = ()) -> list[Path]:
    """Every member and item below the top, outermost first."""
    found: list[Path] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*where, key))
            found += paths_in(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*where, index))
            found += paths_in(item, (*where, index))
    return found


def replaced(value: Json, path: Path, new: Json) -> Json:
    copied = copy.deepcopy(value)
    holder = copied
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = new
    return copied


def valid_arguments(schema: dict[str, Json]) -> st.SearchStrategy[dict[str, Json]]:
    return from_schema(narrowed(schema))  # type: ignore[no-any-return]


@st.composite
def invalid_case(draw: st.DrawFn, schema: dict[str, Json], operation_tool: bool) -> Case:
    """A valid set with one thing broken: a required member left out, an unknown member, a wrong
    type at any depth, a word where a choice or a date-time is expected, an object sent as JSON text."""
    arguments = draw(valid_arguments(schema))
    required = [name for name in schema.get("required", []) if name in arguments]
    paths = paths_in(arguments)
    objects = [p for p in paths if isinstance(_at(arguments, p), dict) and len(p) == 1]
    ways = ["wrong_type", "unknown_member"]
    if required:
        ways.append("missing_required")
    if paths:
        ways.append("wrong_type_deep")
    if objects and operation_tool:  # hand-written tools decode JSON text where an object is expected
        ways.append("object_as_json_text")
    how = draw(st.sampled_from(ways))
    if how == "missing_required":
        name = draw(st.sampled_from(required))
        return Case("invalid", f"{how}:{name}", {k: v for k, v in arguments.items() if k != name})
    if how == "unknown_member":
        return Case("invalid", how, {**arguments, "fuzz_unknown_member": draw(st.sampled_from(WRONG_TYPES))})
    if how == "object_as_json_text":
        path = draw(st.sampled_from(objects))
        return Case("invalid", f"{how}:{path[0]}", replaced(arguments, path, json.dumps(_at(arguments, path))))
    properties = list(schema.get("properties", {}))
    if how == "wrong_type" and properties:
        name = draw(st.sampled_from(properties))
        return Case("invalid", f"{how}:{name}", {**arguments, name: draw(st.sampled_from(WRONG_TYPES))})
    path = draw(st.sampled_from(paths)) if paths else ("fuzz_unknown_member",)
    new = draw(st.sampled_from((*WRONG_TYPES, "not-a-choice", "yesterday at noon")))
    return Case("invalid", f"{how}:{'.'.join(map(str, path))}", replaced(arguments, path, new) if paths else {})


@st.composite
def hostile_case(draw: st.DrawFn, schema: dict[str, Json]) -> Case:
    """A valid set with one or two values replaced by hostile ones (top level or deep)."""
    arguments = draw(valid_arguments(schema))
    properties = list(schema.get("properties", {}))
    for _ in range(draw(st.integers(1, 2))):
        paths = paths_in(arguments)
        value = draw(st.sampled_from(HOSTILE_VALUES))
        if paths and draw(st.booleans()):
            arguments = replaced(arguments, draw(st.sampled_from(paths)), value)
        elif properties:
            arguments = {**arguments, draw(st.sampled_from(properties)): value}
    return Case("hostile", "hostile values", arguments)


def cases(
    schema: dict[str, Json], operation_tool: bool, valid: int, invalid: int, hostile: int
) -> st.SearchStrategy[list[Case]]:
    """One batch: so many valid, invalid and hostile cases (drawn together: far cheaper than one
    hypothesis example each for the big schemas)."""
    fixed = st.builds(lambda arguments: Case("valid", "from the schema", arguments), valid_arguments(schema))
    parts = [
        st.lists(fixed, min_size=valid, max_size=valid),
        st.lists(invalid_case(schema, operation_tool), min_size=invalid, max_size=invalid),
        st.lists(hostile_case(schema), min_size=hostile, max_size=hostile),
    ]
    return st.tuples(*parts).map(lambda groups: [case for group in groups for case in group])


def _at(value: Json, path: Path) -> Json:
    for part in path:
        value = value[part]
    return value
