"""How an operation's arguments go on the wire, and the limits they must fit before sending.

Path ids become one percent-encoded segment each. The request URL (path and query, as
encoded) must stay within `MAX_URL_CHARS`, a length every proxy in front of an HTTP API
accepts; header arguments must be printable ASCII within `MAX_HEADER_CHARS`. A value that
does not fit is an argument error naming the member and the limit, raised before anything
is sent (HTTP clients would fail deep inside with `InvalidURL` or `UnicodeEncodeError`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from polytomic_mcp.client import encode_query
from polytomic_mcp.errors import ArgumentProblem
from polytomic_mcp.tools.operations.tools import OperationTool

MAX_URL_CHARS = 8192
MAX_HEADER_CHARS = 8192
# Visible ASCII, space and tab: what an HTTP header value may hold.
_HEADER_TEXT = re.compile(r"[\t\x20-\x7e]*")


def path_segment(value: Any) -> str:
    """A value as exactly one path segment.

    Every reserved character is percent-encoded (`/`, `%`, `?`, `#`, controls, non-ASCII), and a
    segment made only of dots is written as `%2E`s: `.` and `..` would otherwise be resolved by
    URL normalisation and climb to another route (`/harbors/H/keys/..` is `/harbors/H`).
    """
    encoded = quote(str(value), safe="")
    if not encoded.strip("."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def fill_path(template: str, values: dict[str, Any]) -> str:
    path = template
    for name, value in values.items():
        path = path.replace("{" + name + "}", path_segment(value))
    return path


def query_text(query: dict[str, Any]) -> str:
    """The query string as sent (the client's own encoding of lists and deep objects)."""
    return urlencode(encode_query(query), quote_via=quote)


def header_problems(tool: OperationTool, arguments: dict[str, Any]) -> list[ArgumentProblem]:
    problems = []
    for name, target in tool.arguments.targets.items():
        if target.location != "header" or name not in arguments:
            continue
        value = str(arguments[name])
        if not _HEADER_TEXT.fullmatch(value):
            problems.append(
                ArgumentProblem(name, "must be printable ASCII text without line breaks (it is sent as an HTTP header)")
            )
        elif len(value) > MAX_HEADER_CHARS:
            problems.append(
                ArgumentProblem(
                    name, f"is {len(value):,} characters; an HTTP header value may be at most {MAX_HEADER_CHARS:,}"
                )
            )
    return problems


def url_problems(tool: OperationTool, arguments: dict[str, Any]) -> list[ArgumentProblem]:
    """The URL's length, blamed on the member that adds the most to it."""
    parts = tool.arguments.split(arguments)
    query = query_text(parts["query"])
    length = len(fill_path(tool.operation.path, parts["path"])) + (len(query) + 1 if query else 0)
    if length <= MAX_URL_CHARS:
        return []
    sizes: dict[str, int] = {}
    for name, target in tool.arguments.targets.items():
        if name in arguments and target.location == "path":
            sizes[name] = len(path_segment(arguments[name]))
        elif name in arguments and target.location == "query":
            sizes[name] = len(query_text({target.wire_name: arguments[name]}))
    biggest = max(sizes, key=lambda name: sizes[name])
    return [
        ArgumentProblem(
            biggest,
            f"makes the request URL {length:,} characters long once percent-encoded ({sizes[biggest]:,} of them "
            f"from this member); the limit is {MAX_URL_CHARS:,}: pass a shorter value or fewer values",
        )
    ]


def wire_problems(tool: OperationTool, arguments: dict[str, Any]) -> list[ArgumentProblem]:
    """Everything that would keep these (schema-valid) arguments from being sent."""
    return header_problems(tool, arguments) or url_problems(tool, arguments)
