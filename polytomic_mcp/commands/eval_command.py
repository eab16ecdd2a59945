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
from typing import Any

import anyio
import httpx

from polytomic_mcp.commands.output import say
from polytomic_mcp.commands.startup import StartupError
from polytomic_mcp.evals.runner import ScenarioReport, run_scenarios
from polytomic_mcp.evals.scenario import ScenarioError, load_scenarios


def add_eval_command(commands: Any) -> None:
    evals = commands.add_parser("eval", help="run scripted agent evaluations (scenario files) on the sandbox")
    actions = evals.add_subparsers(dest="eval_command", metavar="ACTION", required=True)
    run = actions.add_parser(
        "run",
        help="run scenarios: a YAML file or a folder of them",
        description="Run each scenario in its own sandbox tenant through a real MCP client session, "
        "then check its assertions. See docs/evaluations.md.",
    )
    run.add_argument("path", help="a scenario file, or a folder of *.yaml scenarios")
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    run.add_argument("--jobs", type=int, default=1, help="scenarios run at once (default 1)")
    run.add_argument(
        "--transport", choices=["stdio", "http"], default="stdio", help="how the client reaches the server"
    )
    run.add_argument(
        "--sandbox-url",
        default=None,
        help="use a sandbox already running there (`polytomic-mcp sandbox --clock step`) instead of starting one",
    )


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
