"""Every line a stdio client sends gets an answer, from a real server subprocess.

The SDK's stdio reader drops a line it cannot parse and the client waits forever; the
server's own transport (polytomic_mcp/stdio_transport.py) answers each with a JSON-RPC
error carrying the request's id when it can be read, and the session goes on serving.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from polytomic_mcp.jsonrpc_errors import request_id
from polytomic_mcp.stdio_transport import error_for
from tests.test_transports import clean_env

CANARY = "stdio-canary-5e1f0c"


class StdioSession:
    """A server subprocess spoken to line by line, the way a client's stdio transport does."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "polytomic_mcp", "--sandbox", "--sandbox-clock", "step"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(),
        )

    def send(self, line: str | bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((line.encode() if isinstance(line, str) else line) + b"\n")
        self.process.stdin.flush()

    def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the server closed stdout instead of answering"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def request(self, ident: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.send(json.dumps({"jsonrpc": "2.0", "id": ident, "method": method, "params": params or {}}))
        return self.answer()

    def close(self) -> str:
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        self.process.wait(timeout=15)
        return self.process.stderr.read().decode()


@pytest.fixture
def session() -> Iterator[StdioSession]:
    opened = StdioSession()
    try:
        initialized = opened.request(
            1,
            "initialize",
            {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
        )
        assert initialized["id"] == 1 and "result" in initialized
        opened.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        yield opened
    finally:
        if opened.process.poll() is None:
            opened.process.kill()


def call(ident: int, arguments: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": ident,
        "method": "tools/call",
        "params": {"name": "connections_list", "arguments": arguments},
    }


@pytest.mark.slow
def test_every_unreadable_line_gets_a_json_rpc_error_and_the_session_goes_on(session: StdioSession) -> None:
    nested = json.loads("[" * 250 + "]" * 250)
    lines: list[tuple[str | bytes, Any, int]] = [
        (json.dumps(call(2, {"deep": nested})), 2, -32700),  # past the SDK parser's ~200 levels
        ('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"x","arguments":{"a":"\\ud800"}}}', 3, -32700),
        ("[" * 100_000 + "]" * 100_000, None, -32700),  # too deep for Python's parser too: no id
        ('{"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"password": "' + CANARY, None, -32700),
        (b'{"jsonrpc":"2.0","id":5,"method":"ping","params":{"x":"\xff\xfe"}}', 5, 0),  # bad UTF-8: replaced, answered
        ('{"jsonrpc": "2.0", "id": "six"}', "six", -32600),  # JSON, but no method
        ("42", None, -32600),
    ]
    for line, ident, code in lines:
        session.send(line)
        answer = session.answer()
        assert answer["id"] == ident, (line[:60], answer)
        if code:
            assert answer["error"]["code"] == code, answer
            assert CANARY not in json.dumps(answer)
        else:
            assert "result" in answer, answer
    session.send("")  # a blank line is no message: nothing to answer, nothing breaks
    listed = session.request(7, "tools/call", call(7, {})["params"])
    assert listed["id"] == 7 and listed["result"]["isError"] is False
    log = session.close()
    assert session.process.returncode == 0
    assert CANARY not in log


def test_the_error_carries_the_id_only_when_it_can_be_read() -> None:
    assert request_id('{"id": 9, "method": "x"}') == 9
    assert request_id('{"id": true}') is None  # not a JSON-RPC id
    assert request_id("[" * 5_000) is None
    assert request_id({"id": "abc"}) == "abc"
    assert error_for(ValueError("not pydantic")).error.code == -32700
