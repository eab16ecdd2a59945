"""Run tool calls in memory and print the spans they made, as JSON (used by test_guardrails_tracing).

`python tracing_probe.py sdk`: with the OpenTelemetry SDK and an in-memory exporter.
`python tracing_probe.py absent`: as if the `opentelemetry` extra were not installed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

MODE = sys.argv[1]
if MODE == "absent":
    sys.modules["opentelemetry.sdk"] = None  # type: ignore[assignment]  # an import of it now fails

sys.path.insert(0, str(Path(__file__).parents[2]))

import anyio  # noqa: E402
from mcp.client import Client  # noqa: E402

from polytomic_mcp.guardrails.tracing import tracing_installed  # noqa: E402
from polytomic_mcp.sandbox import SandboxConfig, start_sandbox  # noqa: E402
from tests.guard_support import User  # noqa: E402
from tests.seed_setup import SEED_BUCKET, seed_server  # noqa: E402

API_KEY = "probe-secret-key-9876"
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEprobesecret\n-----END PRIVATE KEY-----\n"


def install_memory_exporter() -> Any:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


async def calls(base_url: str) -> list[bool]:
    account = json.dumps({"type": "service_account", "private_key": PRIVATE_KEY})
    arguments = {"name": "probe", "type": "gcs", "configuration": {"service_account": account, "bucket": SEED_BUCKET}}
    async with Client(seed_server(base_url, API_KEY), elicitation_callback=User("accept")) as client:
        created = await client.call_tool("connections_create", arguments)
        ident = created.structured_content["data"]["id"]  # type: ignore[index]
        deleted = await client.call_tool("connections_delete", {"connection_id": ident})
        listed = await client.call_tool("connections_list", {})
    return [not r.is_error for r in (created, deleted, listed)]


def main() -> None:
    exporter = install_memory_exporter() if MODE == "sdk" else None
    with start_sandbox(SandboxConfig(clock="step")) as sandbox:
        ok = anyio.run(calls, sandbox.base_url)
    spans = [] if exporter is None else exporter.get_finished_spans()
    print(
        json.dumps(
            {
                "installed": tracing_installed(),
                "sdk_imported": sys.modules.get("opentelemetry.sdk") is not None,
                "calls_ok": ok,
                "spans": [{"name": s.name, "attributes": dict(s.attributes or {})} for s in spans],
            },
            default=list,
        )
    )


if __name__ == "__main__":
    main()
