"""`polytomic-mcp eval run PATH`: run scenario files against a step-clock sandbox.

Without `--sandbox-url` it starts one sandbox in this process; every scenario gets its own
tenant in it. One line per scenario and `N passed, N failed`; exit code 1 when any failed,
2 when a scenario file cannot be used. `--json` prints the report as JSON, the same bytes for
two runs of the same scenarios (no timings, no ports, ids from the tenant's sequence).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import anyio
import httpx

from polytomic_mcp.commands.output import say
from polytomic_mcp.commands.startup import StartupError
from polytomic_mcp.evals.runner import ScenarioReport, run_scenarios
from polytomic_mcp.evals.scenario import ScenarioError, load_scenarios


def report_json(reports: list[ScenarioReport]) -> str:
    passed = sum(report.passed for report in reports)
    body = {
        "scenarios": [report.as_json() for report in reports],
        "passed": passed,
        "failed": len(reports) - passed,
    }
    return json.dumps(body, indent=2, ensure_ascii=False)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def report_lines(reports: list[ScenarioReport]) -> list[str]:
    lines = []
    for report in reports:
        verdict = "PASS" if report.passed else "FAIL"
        calls = len(report.episode.calls)
        lines.append(
            f"{verdict} {report.name} ({_count(len(report.checks), 'check')}, {_count(calls, 'tool call')}, "
            f"{report.episode.result_tokens} result tokens)"
        )
        lines += [f"  ✗ {check.name}: {check.detail}" for check in report.checks if not check.passed]
    passed = sum(report.passed for report in reports)
    lines.append(f"{passed} passed, {len(reports) - passed} failed")
    return lines


def _check_step_clock(url: str) -> None:
    try:
        mode = httpx.get(f"{url}/sandbox/clock", timeout=10).json()["data"]["mode"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        raise StartupError(f"--sandbox-url {url}: no polytomic-mcp sandbox answers there") from None
    if mode != "step":
        raise StartupError(f"--sandbox-url {url}: its clock is {mode}; start it with --clock step")


def run_eval(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise StartupError(f"--jobs: expected a whole number of 1 or more, got {args.jobs}")
    try:
        scenarios = load_scenarios(Path(args.path))
    except ScenarioError as bad:
        print(f"polytomic-mcp eval: {bad}", file=sys.stderr)
        return 2
    if args.sandbox_url:
        url = args.sandbox_url.rstrip("/")
        _check_step_clock(url)
        reports = anyio.run(run_scenarios, scenarios, url, args.transport, args.jobs)
    else:
        from polytomic_mcp.sandbox import SandboxConfig, start_sandbox

        with start_sandbox(SandboxConfig(clock="step")) as sandbox:
            reports = anyio.run(run_scenarios, scenarios, sandbox.base_url, args.transport, args.jobs)
    if args.json:
        say(report_json(reports))
    else:
        for line in report_lines(reports):
            say(line)
    return 0 if all(report.passed for report in reports) else 1
