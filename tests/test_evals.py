"""`polytomic-mcp eval run` and the scenario format: the shipped scenarios pass over stdio and
HTTP with byte-identical JSON, a scenario that must fail fails (exit 1), every response of a
scenario repeats byte for byte, and a bad scenario file is refused naming the member.
Real sandbox, real server subprocesses, the SDK's real MCP client."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml

from polytomic_mcp.evals.runner import run_scenario
from polytomic_mcp.evals.scenario import ScenarioError, load_scenario, load_scenarios, parse_scenario
from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples" / "evals"
MUST_FAIL = Path(__file__).parent / "evals" / "mapping-change-declined.yaml"


def eval_run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polytomic_mcp", "eval", "run", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess[str]]:
    return {
        "stdio": eval_run(str(EXAMPLES), "--json", "--jobs", "3"),
        "http": eval_run(str(EXAMPLES), "--json", "--jobs", "3", "--transport", "http"),
    }


def test_the_shipped_scenarios_pass_and_cover_the_six_jobs(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = runs["stdio"]
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    names = [s["name"] for s in report["scenarios"]]
    assert names == [s.name for s in load_scenarios(EXAMPLES)] and len(names) >= 6  # in file-name order
    for wanted in (
        "seed-workflow",
        "failing-rows-diagnosis",
        "mapping-change",
        "bulk-sync",
        "audit",
        "prompt-injection",
    ):
        assert wanted in names
    assert report["passed"] == len(names) and report["failed"] == 0
    for scenario in report["scenarios"]:
        assert set(scenario) == {"name", "passed", "checks", "tool_calls", "result_tokens"}
        assert scenario["tool_calls"] >= 1 and scenario["result_tokens"] > 100
        assert all(check["passed"] for check in scenario["checks"]), scenario
        assert len(scenario["checks"]) >= 5


def test_json_is_byte_identical_across_runs_and_transports(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    again = eval_run(str(EXAMPLES), "--json", "--jobs", "2")
    assert runs["http"].returncode == 0, runs["http"].stdout + runs["http"].stderr
    assert again.stdout == runs["stdio"].stdout
    assert runs["http"].stdout == runs["stdio"].stdout


def test_a_scenario_that_must_fail_fails_with_its_reasons() -> None:
    done = eval_run(str(MUST_FAIL))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("FAIL mapping-change-declined")
    assert any("transcript" in line and "model_sync_update: expected ok, got error" in line for line in lines)
    assert any("records Contact@acme.my.salesforce.com rows: 0 of 1 rows found" in line for line in lines)
    assert any("executions of 'Names'" in line and "0 found, want 1" in line for line in lines)
    assert any("limit tool_calls: 1 calls, at most 0" in line for line in lines)
    assert lines[-1] == "0 passed, 1 failed"


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


def responses(report: Any) -> list[tuple[str, Any, bool, str, Any]]:
    return [(c.tool, c.arguments, c.is_error, c.text, c.structured) for c in report.episode.calls]


async def test_every_response_repeats_byte_for_byte_while_another_tenant_is_busy(sandbox: RunningSandbox) -> None:
    scenario = load_scenario(EXAMPLES / "prompt-injection.yaml")
    busy = load_scenario(EXAMPLES / "failing-rows-diagnosis.yaml")
    first = await run_scenario(scenario, sandbox.base_url)
    async with anyio.create_task_group() as group:  # interleaved with another tenant's episode
        group.start_soon(run_scenario, busy, sandbox.base_url)
        second = await run_scenario(scenario, sandbox.base_url)
    assert first.passed and second.passed
    assert len(responses(first)) == 2
    assert responses(first) == responses(second)
    assert "<untrusted-data-" in first.episode.calls[1].text


def scenario_error(document: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as refused:
        parse_scenario(document, "x.yaml")
    return str(refused.value)


GOOD: dict[str, Any] = {"name": "ok", "request": "do it", "assert": {"objects": [{"kind": "syncs", "count": 0}]}}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"transcript": [{"call": "whoami", "expect": "maybe"}]},
            "transcript[0].expect: Input should be 'ok', 'error'",
        ),
        ({"assert": None}, "assert: Input should be a valid dictionary"),
        ({"server": {"api_key": "k"}}, "server: unknown server setting 'api_key'; expected one of access_mode"),
        ({"assert": {"records": [{"object": "Contact"}]}}, "assert.records[0]: say what to check"),
        ({"assert": {"objects": [{"kind": "syncs"}]}}, "assert.objects[0]: give exactly one of exists and count"),
        ({"assert": {"objects": [{"kind": "widgets", "count": 1}]}}, "assert.objects[0].kind"),
        ({"name": "Has Spaces"}, "name: String should match pattern"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_a_bad_scenario_is_refused_naming_the_member(change: dict[str, Any], message: str) -> None:
    assert message in scenario_error({**GOOD, **change})


def test_missing_request_and_files_and_duplicates_are_named(tmp_path: Path) -> None:
    assert "request: Field required" in scenario_error({"name": "x", "assert": {}})
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"b\.yaml: name 'ok' is already used by .*a\.yaml"):
        load_scenarios(tmp_path)
    (tmp_path / "b.yaml").write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"b\.yaml: not YAML at line 1"):
        load_scenarios(tmp_path)
    with pytest.raises(ScenarioError, match="no such file or folder"):
        load_scenarios(tmp_path / "missing")
    done = eval_run(str(tmp_path / "b.yaml"))
    assert done.returncode == 2 and "polytomic-mcp eval: " in done.stderr and "not YAML" in done.stderr
