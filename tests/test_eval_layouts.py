"""The documented layouts keep state where a scorer reads it after the agent is done, even for
clients that open a new stdio session per tool call: a shared sandbox (`--sandbox` with
`POLYTOMIC_BASE_URL`), and the embedded sandbox with `--sandbox-db FILE`. Real stdio server
subprocesses and the SDK's client; the scorer reads over HTTP."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from polytomic_mcp.sandbox import SandboxConfig, start_sandbox

pytestmark = pytest.mark.slow

GCS = {"service_account": '{"type": "service_account"}', "bucket": "sandbox-exports"}


def stdio(**env: str) -> Client:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
    params = StdioServerParameters(command=sys.executable, args=["-m", "polytomic_mcp"], env={**clean, **env})
    return Client(params)


async def names(base_url: str, key: str) -> list[str]:
    """What a scorer reads over HTTP: the tenant's connection names."""
    async with httpx.AsyncClient() as scorer:
        found = await scorer.get(f"{base_url}/api/connections", headers={"Authorization": f"Bearer {key}"})
    return [c["name"] for c in found.json()["data"]]


async def one_call(tool: str, arguments: dict[str, Any], **env: str) -> Any:
    """A client that opens a session for one tool call and closes it (as LangChain's get_tools() does)."""
    async with stdio(**env) as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def test_a_shared_sandbox_keeps_state_across_per_call_sessions_for_the_scorer() -> None:
    with start_sandbox(SandboxConfig(clock="step")) as sandbox:
        env = {"POLYTOMIC_SANDBOX": "true", "POLYTOMIC_BASE_URL": sandbox.base_url, "POLYTOMIC_API_KEY": "run-1"}
        await one_call("connections_create", {"name": "Drop", "type": "gcs", "configuration": GCS}, **env)
        listed = await one_call("connections_list", {}, **env)
        assert [c["name"] for c in listed["data"]] == ["Drop"]
        assert await names(sandbox.base_url, "run-1") == ["Drop"]
        assert await names(sandbox.base_url, "run-2") == []


async def test_sandbox_db_keeps_an_embedded_sandbox_across_sessions_and_for_the_scorer(tmp_path: Path) -> None:
    db = str(tmp_path / "episode.sqlite")
    env = {"POLYTOMIC_SANDBOX": "true", "POLYTOMIC_SANDBOX_DB": db, "POLYTOMIC_SANDBOX_CLOCK": "step"}
    await one_call("connections_create", {"name": "Drop", "type": "gcs", "configuration": GCS}, **env)
    listed = await one_call("connections_list", {}, **env)
    assert [c["name"] for c in listed["data"]] == ["Drop"]
    # After the agent: the scorer opens the same file (the server's default tenant, no key of its own).
    with start_sandbox(SandboxConfig(db_path=db, clock="step")) as scorer:
        assert await names(scorer.base_url, "sandbox-default") == ["Drop"]
