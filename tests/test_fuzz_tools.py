"""Property-based fuzzing of every tool through the real MCP client, against the sandbox.

Each of the 210 tools gets batches of valid, invalid and hostile arguments (tests/fuzzing.py)
on its own sandbox tenant, in full-access mode. For every call:

- no protocol error (the client raises nothing), no internal error ("failed inside the MCP
  server", the SDK's "Error executing tool"), and no traceback in the server's log;
- schema-invalid arguments (by the listed inputSchema alone) are refused with an error that
  names a member, and nothing is sent: a counting transport sees no request, and at the end
  of each tool the sandbox's own request log agrees with that count;
- a result that says "nothing was sent" sent nothing.

Deterministic (derandomize) and bounded: FUZZ_EXAMPLES batches of 8 calls per tool (default 1:
about 1,660 calls, under a minute for all tools); set it higher for a longer hunt, e.g.
FUZZ_EXAMPLES=20 (each further batch is drawn anew from the same deterministic stream).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, Phase, given, settings
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from polytomic_mcp.tools.inventory import HAND_WRITTEN_TOOLS
from polytomic_mcp.tools.operations.tools import operation_tools
from tests.fuzzing import Case, Oracle, cases

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1"))
INTERNAL_MARKERS = ("failed inside the MCP server", "Error executing tool")
SCHEMAS: dict[str, dict[str, Any]] = {
    **{tool.name: tool.listed.input_schema for tool in HAND_WRITTEN_TOOLS},
    **{tool.name: tool.input_schema for tool in operation_tools()},
}
OPERATION_TOOLS = {tool.name for tool in operation_tools()}
PROBLEM_LINE = re.compile(r"^- (?:unexpected argument\(s\) |([^\n]+?): )", re.MULTILINE)


class CountingTransport(httpx.AsyncHTTPTransport):
    """The real transport, counting what the server sends and what was answered (a waiting tool's
    deadline may cancel a request in flight: the sandbox may or may not have logged it)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self.answered = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        api = request.url.path.startswith("/api/")  # the request log is the API's (whoami also asks /sandbox/world)
        self.sent += api
        response = await super().handle_async_request(request)
        self.answered += api
        return response


class Tracebacks(logging.Handler):
    """Server log records that carry a traceback (the sandbox's own are its business)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and not record.name.startswith("polytomic_mcp.sandbox"):
            self.records.append(f"{record.name}: {record.getMessage()} ({record.exc_info[0]})")


@dataclass
class Tally:
    calls: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    refused_invalid: int = 0


TALLY = Tally()


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[RunningSandbox, BlockingPortal, Tracebacks]]:
    handler = Tracebacks()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with start_sandbox(SandboxConfig(clock="step")) as sandbox, start_blocking_portal() as portal:
            yield sandbox, portal, handler
    finally:
        root.removeHandler(handler)
        print(f"\nfuzz: {TALLY.calls} calls {TALLY.by_kind}, {TALLY.refused_invalid} schema-invalid refused")


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def names_a_member(text: str, schema: dict[str, Any], arguments: dict[str, Any]) -> bool:
    known = set(schema.get("properties", {})) | set(arguments)
    for match in PROBLEM_LINE.finditer(text):
        member = match.group(1)
        if member is None:  # "unexpected argument(s) 'x'"
            return True
        if re.split(r"[.\[]", member, maxsplit=1)[0] in known:
            return True
    return False


def logged_requests(sandbox: RunningSandbox, key: str) -> int:
    response = httpx.get(f"{sandbox.base_url}/sandbox/requests", headers={"Authorization": f"Bearer {key}"})
    response.raise_for_status()
    return len(response.json()["data"])


def check(
    tool: str, case: Case, client: Client, portal: BlockingPortal, transport: CountingTransport, oracle: Oracle
) -> list[str]:
    """Everything wrong with one call."""
    where = f"{tool} [{case.kind}: {case.how}]"
    before = transport.sent
    try:
        result = portal.call(client.call_tool, tool, case.arguments)
    except Exception as failure:  # a protocol error: the session answered with a JSON-RPC error
        return [f"{where}: protocol error {type(failure).__name__}: {str(failure)[:120]}"]
    text, sent = text_of(result), transport.sent - before
    TALLY.calls += 1
    TALLY.by_kind[case.kind] = TALLY.by_kind.get(case.kind, 0) + 1
    problems = []
    if any(marker in text for marker in INTERNAL_MARKERS):
        problems.append(f"{where}: internal error")
    if "nothing was sent" in text and sent:
        problems.append(f"{where}: says nothing was sent, sent {sent} requests")
    if not oracle.valid(case.arguments):
        if not (result.is_error and f"Invalid arguments for {tool}" in text):
            problems.append(f"{where}: schema-invalid arguments accepted: {text[:160]!r}")
        elif not names_a_member(text, SCHEMAS[tool], case.arguments):
            problems.append(f"{where}: refusal names no member: {text[:160]!r}")
        else:
            TALLY.refused_invalid += 1
        if sent:
            problems.append(f"{where}: schema-invalid arguments, yet {sent} requests sent")
    elif "Invalid arguments for" in text and not names_a_member(text, SCHEMAS[tool], case.arguments):
        problems.append(f"{where}: refusal names no member: {text[:160]!r}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("tool", sorted(SCHEMAS))
def test_fuzzed_arguments_never_break_the_server(
    tool: str, world: tuple[RunningSandbox, BlockingPortal, Tracebacks]
) -> None:
    sandbox, portal, tracebacks = world
    key = f"fuzz-{tool}"
    transport = CountingTransport()
    configured = Settings(
        api_key=key,
        sandbox=True,
        access_mode="full-access",
        toolsets="all",
        max_tools=0,
        poll_interval=0.01,
        max_wait=0.5,
        max_retries=0,
    )
    server = build_server(configured, sandbox.base_url, transport)
    oracle = Oracle(SCHEMAS[tool])
    violations: list[str] = []
    tracebacks_before = len(tracebacks.records)
    with portal.wrap_async_context_manager(Client(server)) as client:

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(batch=cases(SCHEMAS[tool], tool in OPERATION_TOOLS, valid=2, invalid=4, hostile=2))
        def run(batch: list[Case]) -> None:
            for case in batch:
                violations.extend(check(tool, case, client, portal, transport, oracle))

        run()
    assert violations == [], "\n".join(violations[:10])
    assert tracebacks.records[tracebacks_before:] == []
    assert transport.answered <= logged_requests(sandbox, key) <= transport.sent  # the sandbox saw what was counted


def test_every_tool_is_fuzzed() -> None:
    assert len(SCHEMAS) == len(operation_tools()) + len(HAND_WRITTEN_TOOLS) == 210
