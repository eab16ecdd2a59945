"""Arguments that cannot go on the wire, wrong shapes, and results that are hard to render:
each becomes a clear answer, never an internal error, and a completed write always says so.

Against the sandbox over loopback, through the real MCP client; a counting transport (the
real one, counting) proves that refused calls sent nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from polytomic_mcp.tools.operations.wire import MAX_HEADER_CHARS, MAX_URL_CHARS
from polytomic_mcp.tools.shaping.render import render
from polytomic_mcp.tools.shaping.shape import ShapeOptions, shaped_result
from polytomic_mcp.tools.validation import validate_arguments

INTERNAL = "failed inside the MCP server"
PASSWORD = "hunter2-canary-9d1c-0b7e-41f6-a2d3-5c8e"


class CountingTransport(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        return await super().handle_async_request(request)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def server(sandbox: RunningSandbox, key: str, transport: httpx.AsyncBaseTransport) -> Any:
    return build_server(Settings(api_key=key, sandbox=True, toolsets="all", max_tools=0), sandbox.base_url, transport)


REFUSED = [
    ("connections_get", {"connection_id": "x" * 9_000}, "connection_id", f"the limit is {MAX_URL_CHARS:,}"),
    ("connections_get", {"connection_id": "é" * 2_000}, "connection_id", "once percent-encoded"),
    ("model_sync_list", {"page_token": "t" * 70_000}, "page_token", f"the limit is {MAX_URL_CHARS:,}"),
    ("harbors_list_contexts", {"harbor_id": "h", "harbor_session": "sésame"}, "harbor_session", "printable ASCII"),
    ("harbors_list_contexts", {"harbor_id": "h", "harbor_session": "a\r\nX-Evil: 1"}, "harbor_session", "line breaks"),
    (
        "harbors_list_contexts",
        {"harbor_id": "h", "harbor_session": "s" * (MAX_HEADER_CHARS + 1)},
        "harbor_session",
        f"at most {MAX_HEADER_CHARS:,}",
    ),
    ("activity_list", {"start_time": "yesterday"}, "start_time", "must be a date-time"),
    ("activity_list", {"connection_id": "one-id"}, "connection_id", "expected a list, got a string"),
    (
        "model_sync_create",
        {"name": "s", "mode": "create", "target": [], "fields": [], "schedule": {}},
        "target",
        "expected an object",
    ),
    ("wait_schema_ready", {"connection_ids": ["ok", " "]}, "connection_ids[1]", "must not be empty"),
    ("describe_connection", {"connection_id": "c" * 2_000}, "connection_id", "longer than any id"),
]


async def test_what_cannot_be_sent_is_refused_naming_the_member_and_limit(sandbox: RunningSandbox) -> None:
    transport = CountingTransport()
    async with Client(server(sandbox, "limits-tenant", transport)) as client:
        for tool, arguments, member, expected in REFUSED:
            result = await client.call_tool(tool, arguments)
            text = text_of(result)
            assert result.is_error and INTERNAL not in text, (tool, text)
            assert f"- {member}: " in text and expected in text, (tool, text)
            assert "nothing was sent" in text
    assert transport.sent == []


async def test_argument_errors_never_quote_the_callers_values(sandbox: RunningSandbox) -> None:
    """A configuration sent as JSON text (some clients do) is refused without repeating it."""
    configuration = json.dumps({"hostname": "db", "username": "u", "password": PASSWORD})
    transport = CountingTransport()
    async with Client(server(sandbox, "echo-tenant", transport)) as client:
        as_text = await client.call_tool(
            "connections_create", {"name": "pg", "type": "postgresql", "configuration": configuration}
        )
        wrong_choice = await client.call_tool(
            "model_sync_create",
            {
                "name": "s",
                "mode": PASSWORD,
                "target": {"connection_id": "c", "object": "o"},
                "fields": [],
                "schedule": {"frequency": "manual"},
            },
        )
        typo = await client.call_tool(
            "model_sync_create",
            {
                "name": "s",
                "mode": "upsert",
                "target": {"connection_id": "c", "object": "o"},
                "fields": [],
                "schedule": {"frequency": "manual"},
            },
        )
    assert "configuration: expected an object, got a string" in text_of(as_text)
    assert "mode: this value is not allowed" in text_of(wrong_choice)  # longer than a word: not quoted
    assert 'mode: "upsert" is not allowed' in text_of(typo)  # a short word for a choice is quoted
    for result in (as_text, wrong_choice):
        assert result.is_error and PASSWORD not in text_of(result)
    assert transport.sent == []


def test_a_word_for_a_choice_is_not_quoted_inside_members_that_may_hold_secrets() -> None:
    choice = {"type": "string", "enum": ["basic", "header"]}
    schema = {
        "type": "object",
        "properties": {
            "configuration": {"type": "object", "properties": {"auth_method": choice}},
            "kind": choice,
        },
    }
    inside = validate_arguments(schema, {"configuration": {"auth_method": "hunter2"}})
    outside = validate_arguments(schema, {"kind": "hunter2"})
    assert [str(p) for p in inside] == [
        "configuration.auth_method: this value is not allowed; expected one of: basic, header"
    ]
    assert [str(p) for p in outside] == ['kind: "hunter2" is not allowed; expected one of: basic, header']


async def test_a_completed_write_with_a_hard_to_render_result_says_it_succeeded(sandbox: RunningSandbox) -> None:
    """A large list mixing `{}` with wide objects made the renderer raise IndexError after the write."""
    headers: list[Any] = [{}] + [{f"column_{n}": f"value {n}" * 8 for n in range(14)} for _ in range(3)]
    configuration = {"url": "https://hooks.example.com/in", "auth_method": "header", "headers": headers}
    transport = CountingTransport()
    async with Client(server(sandbox, "render-tenant", transport)) as client:
        created = await client.call_tool(
            "connections_create", {"name": "hook", "type": "webhook", "configuration": configuration}
        )
        listed = await client.call_tool("connections_list", {"fields": ["*"]})
    assert not created.is_error, text_of(created)
    assert created.structured_content["data"]["name"] == "hook"  # type: ignore[index]
    assert "hook" in text_of(created) and "{}" in text_of(created)
    assert [c["name"] for c in listed.structured_content["data"]] == ["hook"]  # type: ignore[index]
    assert transport.sent.count("POST /api/connections") == 1


def test_rendering_mixed_lists_keeps_every_item() -> None:
    payload = {"data": [{}, 1, "two", [], {"a": "x" * 1_300}, [{}], None]}
    text = render(payload)
    assert text.count("\n  - ") == 7, text[:400]
    assert "  - {}" in text and "  - []" in text


def test_when_shaping_fails_the_result_keeps_the_outcome(caplog: pytest.LogCaptureFixture) -> None:
    """A payload nested past Python's recursion limit cannot be sanitised or rendered: the result
    still says the call succeeded (or failed), shows nothing unmasked, and the bug is logged."""
    deep: Any = {"password": PASSWORD}
    for _ in range(5_000):
        deep = {"next": deep}
    with caplog.at_level(logging.ERROR, logger="polytomic_mcp.tools"):
        succeeded = shaped_result({"data": deep}, ShapeOptions(budget=6000))
        failed = shaped_result({"data": deep}, ShapeOptions(budget=6000), is_error=True)
    assert not succeeded.is_error and "The call succeeded" in text_of(succeeded)
    assert failed.is_error and "The call failed" in text_of(failed)
    assert PASSWORD not in text_of(succeeded) and succeeded.structured_content is None
    assert any("shaping a result failed" in r.getMessage() for r in caplog.records)
