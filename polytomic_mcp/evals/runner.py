"""Running scenarios: each in its own sandbox tenant (reset and seeded first), its transcript
through a real MCP client session (stdio subprocess or streamable HTTP), then its assertions.

Scenarios run concurrently up to `jobs`; since every tenant has its own step clock, ids and
sequence, the interleaving never changes an answer, and reports come back in input order.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from polytomic_mcp.evals.checks import Check, evaluate
from polytomic_mcp.evals.scenario import Scenario
from polytomic_mcp.evals.session import HttpServer, Transport, http_client, stdio_client
from polytomic_mcp.evals.state import SandboxStateError, TenantState
from polytomic_mcp.evals.transcript import Episode, SimulatedUser, play


@dataclass(frozen=True)
class ScenarioReport:
    name: str
    checks: list[Check]
    episode: Episode = field(repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "checks": [check.as_json() for check in self.checks],
            "tool_calls": len(self.episode.calls),
            "result_tokens": self.episode.result_tokens,
        }


def _settings_key(scenario: Scenario) -> str:
    return json.dumps(scenario.server, sort_keys=True)


async def run_scenario(
    scenario: Scenario, sandbox_url: str, transport: Transport = "stdio", mcp_url: str | None = None
) -> ScenarioReport:
    """One episode. Over HTTP, `mcp_url` is a server started with the scenario's settings."""
    episode = Episode()
    checks: list[Check] = []
    async with httpx.AsyncClient(timeout=120) as http:
        state = TenantState(sandbox_url, scenario.tenant_key, http)
        try:
            episode.seed_ids = await state.reset(scenario.start_from, scenario.seed)
        except SandboxStateError as refused:
            return ScenarioReport(scenario.name, [Check("seed", False, str(refused))], episode)
        user = SimulatedUser(scenario, state)
        with tempfile.TemporaryFile("w+", encoding="utf-8") as errlog:
            if transport == "http":
                assert mcp_url is not None, "an HTTP run needs the server's /mcp URL"
                client = http_client(mcp_url, scenario.tenant_key, user)
            else:
                client = stdio_client(sandbox_url, scenario.tenant_key, scenario.server, user, errlog)
            try:
                async with client:
                    await play(client, state, scenario.transcript, episode)
            except Exception as broken:  # the session itself failed: a failed scenario, not a crashed run
                errlog.seek(0)
                said = errlog.read().strip().splitlines()[-1:]
                episode.failures.append(
                    f"MCP session failed: {type(broken).__name__}: {str(broken)[:300]}"
                    + (f" (server: {said[0][:300]})" if said else "")
                )
        steps = len(scenario.transcript)
        checks.append(
            Check("transcript", not episode.failures, "; ".join(episode.failures) or f"{steps} steps as scripted")
        )
        checks += await evaluate(scenario.assertions, state, episode)
    return ScenarioReport(scenario.name, checks, episode)


async def run_scenarios(
    scenarios: Sequence[Scenario], sandbox_url: str, transport: Transport = "stdio", jobs: int = 1
) -> list[ScenarioReport]:
    """Every scenario against the sandbox at `sandbox_url`; reports in the scenarios' order."""
    reports: list[ScenarioReport | None] = [None] * len(scenarios)
    limiter = anyio.CapacityLimiter(max(1, jobs))
    with ExitStack() as servers:
        urls: dict[str, str] = {}
        if transport == "http":
            for scenario in scenarios:
                key = _settings_key(scenario)
                if key not in urls:
                    server = await anyio.to_thread.run_sync(HttpServer, sandbox_url, scenario.server)
                    urls[key] = servers.enter_context(server).url

        async def one(index: int, scenario: Scenario) -> None:
            async with limiter:
                url = urls.get(_settings_key(scenario))
                reports[index] = await run_scenario(scenario, sandbox_url, transport, url)

        async with anyio.create_task_group() as group:
            for index, scenario in enumerate(scenarios):
                group.start_soon(one, index, scenario)
    return [report for report in reports if report is not None]
