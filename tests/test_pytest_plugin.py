"""The pytest plugin: registered by the package, inert until used (cheap to import, nothing
started), and its fixtures drive a real evaluation: the example suite passes, and a state
assertion that does not hold fails the test naming the check."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent
FAILING = """
import pytest

async def test_wrong_count(polytomic_tenant):
    await polytomic_tenant.assert_state({"objects": [{"kind": "syncs", "count": 3}]})

@pytest.mark.polytomic_seed({"buckets": [{"name": "extra", "files": [{"key": "a.csv", "content": "a\\n1\\n"}]}]})
async def test_seeded_world(polytomic_tenant):
    world = [c["type"]["id"] for c in await polytomic_tenant.objects("connections")]
    assert world == []
"""


def test_the_plugin_is_registered_and_imports_nothing_heavy() -> None:
    names = {entry.name: entry.value for entry in importlib.metadata.entry_points(group="pytest11")}
    assert names.get("polytomic_mcp") == "polytomic_mcp.evals.pytest_plugin"
    heavy = "('mcp', 'polytomic_mcp.sandbox', 'httpx')"
    probe = f"import sys, polytomic_mcp.evals.pytest_plugin; print([m for m in sys.modules if m.startswith({heavy})])"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert loaded.stdout.strip() == "[]"


def test_the_fixtures_run_an_evaluation_and_a_false_state_assertion_fails(tmp_path: Path) -> None:
    shutil.copy(ROOT / "examples" / "pytest" / "test_seed_workflow.py", tmp_path / "test_example.py")
    (tmp_path / "test_failing.py").write_text(FAILING, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--strict-markers", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
    )
    assert "1 failed, 3 passed" in done.stdout, done.stdout[-3000:]
    assert "sandbox state: syncs (any) count: 0 found, want 3" in done.stdout
