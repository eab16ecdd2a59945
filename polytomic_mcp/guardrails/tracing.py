"""OpenTelemetry spans, one per tool call, when the `opentelemetry` extra is installed.

Without the OpenTelemetry SDK (`pip install 'polytomic-mcp[opentelemetry]'`) nothing is
created at all. With it, each tool call is a span `polytomic.tool <name>` under whatever
tracer provider the process has (the SDK's `opentelemetry-instrument`, or
`configure_from_environment` at start-up when `OTEL_EXPORTER_OTLP_ENDPOINT` is set).

Attributes are names, counts and fingerprints only, never an argument value or a key:
`polytomic.tool`, `polytomic.operations` (catalog names the call sent), `polytomic.writes`,
`polytomic.confirmation`, `polytomic.outcome`, `polytomic.session` and `polytomic.key`
(fingerprints, as in the audit log).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

logger = logging.getLogger("polytomic_mcp.tracing")
TRACER_NAME = "polytomic_mcp"


@cache
def tracing_installed() -> bool:
    """Whether the OpenTelemetry SDK is importable (the API alone records nothing)."""
    try:
        return importlib.util.find_spec("opentelemetry.sdk.trace") is not None
    except ModuleNotFoundError:
        return False


class ToolSpan:
    """Collects a tool call's attributes; sets them on the span when there is one."""

    def __init__(self, span: Any | None) -> None:
        self._span = span
        self.operations: list[str] = []
        self.writes = 0

    def operation(self, name: str, writes: bool) -> None:
        self.operations.append(name)
        self.writes += int(writes)

    def set(self, name: str, value: str | int | bool | None) -> None:
        if self._span is not None and value is not None:
            self._span.set_attribute(f"polytomic.{name}", value)

    def finish(self, outcome: str) -> None:
        if self._span is None:
            return
        self._span.set_attribute("polytomic.outcome", outcome)
        self._span.set_attribute("polytomic.operations", list(self.operations))
        self._span.set_attribute("polytomic.writes", self.writes)
        if outcome != "ok":
            from opentelemetry.trace import Status, StatusCode

            self._span.set_status(Status(StatusCode.ERROR, outcome))


@contextmanager
def tool_span(tool: str) -> Iterator[ToolSpan]:
    """A span around one tool call, or a recorder that records nothing."""
    if not tracing_installed():
        yield ToolSpan(None)
        return
    from opentelemetry import trace

    tracer = trace.get_tracer(TRACER_NAME)
    with tracer.start_as_current_span(f"polytomic.tool {tool}", attributes={"polytomic.tool": tool}) as span:
        yield ToolSpan(span)


def configure_from_environment() -> bool:
    """Export spans over OTLP/HTTP when the extra is installed, an endpoint is configured and no
    tracer provider was set up already (e.g. by `opentelemetry-instrument`). True when it did."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not (tracing_installed() and endpoint):
        return False
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        logger.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but the OTLP exporter is not installed; no spans sent")
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": "polytomic-mcp"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return True
