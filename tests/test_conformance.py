"""The official MCP conformance suite against `serve --http --sandbox`, with no Authorization header.

`@modelcontextprotocol/conformance` is pinned in tests/inspector/package.json (0.1.13: the last
release that runs on Node 20; 0.1.14 and later call `fs.globSync`, which needs Node 22) and
installed by `npm ci --prefix tests/inspector`; it runs offline once installed. Without it every
test here fails (none is skipped).

The generic server scenarios are the ones that hold for any server: the handshake, ping, the
three listings, completion, several SSE streams and DNS-rebinding protection. The suite's other
server scenarios call fixtures of the SDKs' reference "everything" server (tools named
`test_simple_text`, `test_reconnection`…, resources under `test://`, prompts such as
`test_simple_prompt`), or `logging/setLevel`, which a server that does not declare the logging
capability (this one logs to stderr) answers with -32601 as the specification says.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_transports import clean_env, free_port, wait_for_port

pytestmark = pytest.mark.slow

CONFORMANCE = Path(__file__).parent / "inspector" / "node_modules" / ".bin" / "conformance"
PINNED = "0.1.13"
GENERIC_SCENARIOS = [
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "completion-complete",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
]


@pytest.fixture(scope="module")
def mcp_url() -> Iterator[str]:
    assert CONFORMANCE.exists(), "install the conformance suite: npm ci --prefix tests/inspector (see its README.md)"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "polytomic_mcp", "serve", "--http", "--sandbox", "--port", str(port)],
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_pinned_suite_is_installed() -> None:
    version = subprocess.run([str(CONFORMANCE), "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert version.stdout.strip() == PINNED


def test_the_generic_scenarios_are_the_suites_own(mcp_url: str) -> None:
    listing = subprocess.run(
        [str(CONFORMANCE), "list", "--server"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    listed = {line.strip().removeprefix("- ") for line in listing.splitlines() if line.strip().startswith("- ")}
    assert set(GENERIC_SCENARIOS) <= listed


@pytest.mark.parametrize("scenario", GENERIC_SCENARIOS)
def test_generic_scenario_passes_without_an_authorization_header(mcp_url: str, scenario: str, tmp_path: Path) -> None:
    completed = subprocess.run(
        [str(CONFORMANCE), "server", "--url", mcp_url, "--scenario", scenario, "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = list(tmp_path.glob(f"server-{scenario}-*/checks.json"))
    assert len(results) == 1, list(tmp_path.iterdir())
    checks = json.loads(results[0].read_text(encoding="utf-8"))
    assert checks, "the scenario ran no check"
    failed = [c for c in checks if c["status"] not in ("SUCCESS", "INFO")]
    assert not failed, json.dumps(failed, indent=1)
    assert any(c["status"] == "SUCCESS" for c in checks)
