"""OpenTelemetry spans per tool call: recorded with the SDK (in memory, and exported over OTLP/HTTP
to a loopback receiver from a stdio server), and nothing at all without it. No attribute holds
a secret."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from tests.test_transports import clean_env

PROBE = Path(__file__).parent / "scripts" / "tracing_probe.py"
SECRETS = ("probe-secret-key-9876", "MIIEprobesecret")


def probe(mode: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, str(PROBE), mode], capture_output=True, text=True, timeout=120, check=False, env=clean_env()
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def test_each_tool_call_is_a_span_with_names_and_fingerprints_only() -> None:
    report = probe("sdk")
    assert report["installed"] and report["calls_ok"] == [True, True, True]
    ours = [s for s in report["spans"] if s["name"].startswith("polytomic.tool ")]
    by_outcome = [(s["name"], s["attributes"]["polytomic.outcome"]) for s in ours]
    assert by_outcome == [
        ("polytomic.tool connections_create", "ok"),
        ("polytomic.tool connections_delete", "input_required"),  # 2026 era: the question, then the retry
        ("polytomic.tool connections_delete", "ok"),
        ("polytomic.tool connections_list", "ok"),
    ]
    create, asked, deleted, listed = (s["attributes"] for s in ours)
    assert create["polytomic.operations"] == ["connections_create"] and create["polytomic.writes"] == 1
    assert asked["polytomic.confirmation"] == "asked" and deleted["polytomic.confirmation"] == "confirmed"
    assert listed["polytomic.writes"] == 0
    assert create["polytomic.key"].startswith("sha256:") and create["polytomic.session"].startswith("process:")
    for span in report["spans"]:
        text = json.dumps(span)
        assert not any(secret in text for secret in SECRETS), span["name"]


def test_without_the_extra_nothing_is_traced_and_calls_work() -> None:
    report = probe("absent")
    assert report == {"installed": False, "sdk_imported": False, "calls_ok": [True, True, True], "spans": []}


class Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        Receiver.bodies.append(self.rfile.read(length))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def otlp_receiver() -> Iterator[str]:
    Receiver.bodies = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def exported_spans() -> list[tuple[str, dict[str, Any]]]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    spans: list[tuple[str, dict[str, Any]]] = []
    for body in Receiver.bodies:
        request = ExportTraceServiceRequest.FromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    attributes = {a.key: str(a.value) for a in span.attributes}
                    spans.append((span.name, attributes))
    return spans


@pytest.mark.slow
async def test_a_stdio_server_exports_its_spans_over_otlp(otlp_receiver: str) -> None:
    env = clean_env(
        OTEL_EXPORTER_OTLP_ENDPOINT=otlp_receiver, OTEL_BSP_SCHEDULE_DELAY="100", POLYTOMIC_API_KEY="otlp-secret-key"
    )
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "polytomic_mcp", "--sandbox", "--sandbox-clock", "step"], env=env
    )
    async with Client(params) as client:
        listed = await client.call_tool("connections_list", {})
        deadline = time.monotonic() + 15
        while not any(name == "polytomic.tool connections_list" for name, _ in exported_spans()):
            assert time.monotonic() < deadline, f"no span arrived: {exported_spans()}"
            await anyio.sleep(0.1)
    assert not listed.is_error
    (attributes,) = [a for name, a in exported_spans() if name == "polytomic.tool connections_list"]
    assert "polytomic.outcome" in attributes and "ok" in attributes["polytomic.outcome"]
    assert all("otlp-secret-key" not in str(a) for _, a in exported_spans())
