"""A client that is not the Python SDK: the MCP Inspector CLI (Node) against our stdio and HTTP servers.

The Inspector is pinned in tests/inspector/package.json and installed with
`npm ci --prefix tests/inspector`. It is run from tests/inspector/node_modules/.bin, never
downloaded at test time. When it is missing every test here FAILS (no skip), so a CI run without
the client cannot pass by accident. POLYTOMIC_INSPECTOR_BIN points at another Inspector
executable (e.g. a newer release being tried out); the pinned-version check is then skipped.

Every Inspector call runs in both protocol eras it can speak: `legacy` (initialize handshake)
and `modern` (2026-07-28, no handshake). The server runs with `--toolsets default,connections`
so the read tool called here (connections_get_types) is a listed tool of its own.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
INSPECTOR_DIR = TESTS / "inspector"
PINNED_PACKAGE = "@modelcontextprotocol/inspector"
DEFAULT_BIN = INSPECTOR_DIR / "node_modules" / ".bin" / "mcp-inspector"
BIN_ENV = "POLYTOMIC_INSPECTOR_BIN"
INSTALL_HINT = "install it with `npm ci --prefix tests/inspector` (needs Node and npm; see tests/inspector/README.md)"

CALL_TIMEOUT = 90.0  # seconds for one Inspector run (spawn, connect, one request, exit)
READY_TIMEOUT = 30.0  # seconds for the HTTP server to start answering
TOOLSETS = "default,connections"
SERVER_FLAGS = ["--sandbox", "--sandbox-clock", "step", "--toolsets", TOOLSETS]
STDIO_SERVER = [sys.executable, "-m", "polytomic_mcp", *SERVER_FLAGS]
API_KEY = "inspector-cli-test"  # any string: each key is its own sandbox tenant

EXPECTED_TOOLS = {
    "search_operations",
    "describe_operation",
    "call_read_operation",
    "call_write_operation",
    "connections_create",
    "connections_list",
}
READ_TOOL = "connections_get_types"
EXPECTED_CONNECTION_TYPES = ("salesforce", "gcs")
EXPECTED_PROMPTS = {"setup_gcs_csv_to_salesforce"}

# Each set must be a subset of what resources/list (uri) and resources/templates/list (uriTemplate) return.
EXPECTED_RESOURCE_URIS: frozenset[str] = frozenset({"polytomic://operations"})
EXPECTED_RESOURCE_TEMPLATES: frozenset[str] = frozenset(
    {
        "polytomic://connections/{connection_id}/schemas",
        "polytomic://connections/{connection_id}/targets/{target_id}/fields",
        "polytomic://syncs/{sync_id}/executions/{execution_id}",
        "polytomic://connection-types/{type_id}",
    }
)

ERAS = ["legacy", "modern"]
TRANSPORTS = ["stdio", "http"]


# ---------------------------------------------------------------------------------------------
# Processes


def _clean_env(home: Path) -> dict[str, str]:
    """The caller's environment without POLYTOMIC_* settings, with a private HOME for the Inspector.

    The Inspector keeps catalogs, OAuth state and secrets under ~/.mcp-inspector; a throwaway
    HOME keeps runs hermetic and leaves the developer's own Inspector state alone.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
    env["HOME"] = str(home)
    env.pop("MCP_AUTO_OPEN_ENABLED", None)
    return env


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    """Stop a process started with start_new_session=True and everything left in its group."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:  # nothing is left in the group
            break
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue
        time.sleep(0.2)  # a grace period for children (a stdio server) before the SIGKILL sweep
    if proc.poll() is None:
        proc.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers_http(url: str) -> bool:
    """True once the MCP endpoint answers HTTP at all (unauthenticated: 401)."""
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


# ---------------------------------------------------------------------------------------------
# The Inspector


@dataclass(frozen=True)
class InspectorRun:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (
            f"command: {' '.join(self.argv)}\nexit code: {self.returncode}\n"
            f"stdout (tail):\n{self.stdout[-3000:]}\nstderr (tail):\n{self.stderr[-3000:]}"
        )


@dataclass(frozen=True)
class Inspector:
    """The Inspector CLI, or why it cannot run (then every call fails the calling test)."""

    executable: Path | None
    problem: str
    node_version: str
    home: Path

    def run(self, target: list[str], method: str, *options: str) -> InspectorRun:
        """One `--cli` invocation; target (server options or `-- command...`) goes last."""
        if self.executable is None:
            pytest.fail(self.problem, pytrace=False)
        argv = [str(self.executable), "--cli", "--format", "json", "--method", method, *options, *target]
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,  # no TTY: the Inspector never prompts
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_clean_env(self.home),
            cwd=TESTS.parent,
            start_new_session=True,  # one process group with the stdio server it spawns
        )
        try:
            stdout, stderr = proc.communicate(timeout=CALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            stdout, stderr = proc.communicate()
            run = InspectorRun(argv, proc.returncode, stdout, stderr)
            pytest.fail(
                f"Inspector did not finish within {CALL_TIMEOUT:.0f}s (node {self.node_version})\n{run.describe()}"
            )
        finally:
            _kill_group(proc)  # reap a stdio server left behind, if any
        return InspectorRun(argv, proc.returncode, stdout, stderr)

    def result(self, target: list[str], method: str, *options: str) -> dict[str, Any]:
        """Run, require success, and return the JSON-RPC `result` object the Inspector printed."""
        run = self.run(target, method, *options)
        context = f"Inspector {method} failed (node {self.node_version})\n{run.describe()}"
        assert run.returncode == 0, context
        try:
            payload = json.loads(run.stdout)
        except json.JSONDecodeError as exc:
            pytest.fail(f"Inspector stdout is not one JSON document ({exc})\n{context}")
        assert isinstance(payload, dict), context
        assert "error" not in payload, context
        result = payload.get("result")
        assert isinstance(result, dict), context
        return result


def _pinned_version() -> str:
    manifest = json.loads((INSPECTOR_DIR / "package.json").read_text(encoding="utf-8"))
    return str(manifest["dependencies"][PINNED_PACKAGE])


def find_inspector(override: str | None) -> tuple[Path | None, str]:
    """The Inspector executable, or None and what to do about it (the tests then fail, never skip)."""
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            return None, f"{BIN_ENV}={override} is not an executable file; unset it and {INSTALL_HINT}"
        return path, ""
    installed_manifest = INSPECTOR_DIR / "node_modules" / PINNED_PACKAGE / "package.json"
    if not (DEFAULT_BIN.exists() and installed_manifest.exists()):
        return None, f"MCP Inspector CLI not found at {DEFAULT_BIN.relative_to(TESTS.parent)}; {INSTALL_HINT}"
    installed = json.loads(installed_manifest.read_text(encoding="utf-8"))["version"]
    pinned = _pinned_version()
    if installed != pinned:
        return None, f"installed MCP Inspector is {installed} but tests/inspector pins {pinned}; {INSTALL_HINT}"
    if shutil.which("node") is None:
        return None, "`node` is not on PATH; the MCP Inspector CLI needs Node (and npm to install it)"
    return DEFAULT_BIN, ""


@pytest.fixture(scope="session")
def inspector(tmp_path_factory: pytest.TempPathFactory) -> Inspector:
    executable, problem = find_inspector(os.environ.get(BIN_ENV))
    node = shutil.which("node")
    node_version = "missing"
    if node is not None:
        node_version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    return Inspector(executable, problem, node_version, tmp_path_factory.mktemp("inspector-home"))


# ---------------------------------------------------------------------------------------------
# Servers


@pytest.fixture(scope="module")
def http_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A streamable HTTP server over the sandbox on a free loopback port; stopped by a finalizer."""
    return _serve_http(request, tmp_path_factory, SERVER_FLAGS)


@pytest.fixture(scope="module")
def api_http_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A streamable HTTP server for the real API and without a server key (the API is never reached)."""
    return _serve_http(request, tmp_path_factory, ["--toolsets", TOOLSETS])


def _serve_http(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, flags: list[str]) -> str:
    logs = tmp_path_factory.mktemp("http-server")
    for attempt in range(3):  # a free port can be taken between probing and binding
        port = _free_port()
        url = f"http://127.0.0.1:{port}/mcp"
        log_path = logs / f"stderr-{attempt}.log"
        with log_path.open("w", encoding="utf-8") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "polytomic_mcp", "serve", "--http", "--port", str(port), *flags],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_clean_env(logs),
                cwd=TESTS.parent,
                start_new_session=True,
            )
        request.addfinalizer(functools.partial(_kill_group, proc))
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if _answers_http(url):
                return url
            time.sleep(0.1)
        exited = proc.poll() is not None
        _kill_group(proc)
        if not exited:
            break  # it ran but never answered: another port will not help (an early exit, e.g. port taken, does)
    pytest.fail(f"HTTP server did not come up on {url}; its output:\n{log_path.read_text(encoding='utf-8')[-3000:]}")


@pytest.fixture(params=TRANSPORTS)
def target(request: pytest.FixtureRequest) -> list[str]:
    """Inspector arguments naming the server: a command it launches (stdio) or a URL plus key (HTTP)."""
    if request.param == "stdio":
        return ["--transport", "stdio", "--", *STDIO_SERVER]
    url: str = request.getfixturevalue("http_url")
    return [
        "--transport",
        "http",
        "--server-url",
        url,
        "--header",
        f"Authorization: Bearer {API_KEY}",
        "--stored-auth-only",  # never start an interactive OAuth flow
    ]


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> list[str]:
    return ["--protocol-era", str(request.param)]


# ---------------------------------------------------------------------------------------------
# Tests


def _text_content(result: dict[str, Any]) -> str:
    content = result.get("content")
    assert isinstance(content, list) and content, f"no content blocks: {result}"
    texts = [block["text"] for block in content if isinstance(block, dict) and block.get("type") == "text"]
    assert texts, f"no text content block: {content}"
    return "\n".join(texts)


def test_tools_list(inspector: Inspector, target: list[str], era: list[str]) -> None:
    result = inspector.result(target, "tools/list", *era)
    tools = result.get("tools")
    assert isinstance(tools, list), result
    names = {tool["name"] for tool in tools}
    assert len(names) == len(tools), "duplicate tool names"
    missing = (EXPECTED_TOOLS | {READ_TOOL}) - names
    assert not missing, f"tools missing from tools/list: {sorted(missing)}; listed: {sorted(names)}"
    for tool in tools:
        assert tool["inputSchema"].get("type") == "object", tool["name"]


def test_tools_call_read_tool(inspector: Inspector, target: list[str], era: list[str]) -> None:
    result = inspector.result(target, "tools/call", "--tool-name", READ_TOOL, *era)
    text = _text_content(result)
    assert result.get("isError") is not True, f"{READ_TOOL} returned an error: {text}"
    for type_id in EXPECTED_CONNECTION_TYPES:
        assert re.search(rf"\b{re.escape(type_id)}\b", text), f"{type_id!r} not in {READ_TOOL} content: {text[:2000]}"


def test_resources_list(inspector: Inspector, target: list[str], era: list[str]) -> None:
    resources = inspector.result(target, "resources/list", *era).get("resources")
    assert isinstance(resources, list), resources
    for resource in resources:
        assert isinstance(resource.get("uri"), str) and isinstance(resource.get("name"), str), resource
    missing = EXPECTED_RESOURCE_URIS - {resource["uri"] for resource in resources}
    assert not missing, f"resources missing: {sorted(missing)}"

    templates = inspector.result(target, "resources/templates/list", *era).get("resourceTemplates")
    assert isinstance(templates, list), templates
    for template in templates:
        assert isinstance(template.get("uriTemplate"), str) and isinstance(template.get("name"), str), template
    missing = EXPECTED_RESOURCE_TEMPLATES - {template["uriTemplate"] for template in templates}
    assert not missing, f"resource templates missing: {sorted(missing)}"


def test_prompts_list(inspector: Inspector, target: list[str], era: list[str]) -> None:
    prompts = inspector.result(target, "prompts/list", *era).get("prompts")
    assert isinstance(prompts, list), prompts
    names = {prompt["name"] for prompt in prompts}
    missing = EXPECTED_PROMPTS - names
    assert not missing, f"prompts missing from prompts/list: {sorted(missing)}; listed: {sorted(names)}"


def test_http_without_authorization_is_refused(inspector: Inspector, api_http_url: str) -> None:
    """Against the real API, the header above is what lets the Inspector in: without it the server
    answers 401. (Over the sandbox a request without a key acts in the default tenant instead:
    tests/test_http_sandbox.py.)"""
    run = inspector.run(["--transport", "http", "--server-url", api_http_url, "--stored-auth-only"], "tools/list")
    assert run.returncode != 0, run.describe()
    assert "tools" not in run.stdout, run.describe()
    assert "auth" in (run.stdout + run.stderr).lower(), run.describe()


def test_missing_inspector_fails_with_install_hint(tmp_path: Path) -> None:
    """A missing client must fail the tests, not skip them, and say how to install it."""
    executable, problem = find_inspector(str(tmp_path / "no-such-inspector"))
    assert executable is None
    assert "npm ci --prefix tests/inspector" in problem
    inspector = Inspector(executable, problem, "irrelevant", tmp_path)
    with pytest.raises(pytest.fail.Exception, match=r"npm ci --prefix tests/inspector"):
        inspector.run([], "tools/list")


def test_inspector_pin_is_exact() -> None:
    """`npm ci` installs the same Inspector everywhere only if the pin is an exact version."""
    pinned = _pinned_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), f"pin an exact version, not {pinned!r}"
    lock = json.loads((INSPECTOR_DIR / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][f"node_modules/{PINNED_PACKAGE}"]["version"] == pinned, "package-lock.json is stale"
