"""The install routes a user expects, each run for real: pipx, `uv tool install`, the uvx and
`pipx run` forms of `config`, the MCP bundle (mcpb validate, pack, and the packed bundle started
the way Claude Desktop starts a `uv` bundle) and server.json against the registry's schema.

Tests marked `network` fetch the server's dependencies from PyPI (pipx, uv); everything else
here is offline. pipx and uv themselves are pinned and installed once per run into a scratch
virtualenv; their own caches are left where they normally are, so a second run reuses them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

import polytomic_mcp

ROOT = Path(__file__).parents[1]
MCPB = ROOT / "tests" / "inspector" / "node_modules" / ".bin" / "mcpb"
REGISTRY_SCHEMA = ROOT / "tests" / "vendor" / "mcp-registry" / "server-2025-12-11.schema.json"
PIPX = "pipx==1.18.4"
UV = "uv==0.13.9"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without POLYTOMIC_* settings and without this test run's virtualenv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_") and k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return {**env, **extra}


def run(*command: str | Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    completed = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    assert completed.returncode == 0, f"{command}: {completed.stdout}\n{completed.stderr}"
    return completed.stdout


async def assert_serves(command: str, args: list[str], env: dict[str, str]) -> None:
    """Start the server as a client would and use it: list the tools and call one."""
    async with Client(StdioServerParameters(command=command, args=args, env=env)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        types = await client.call_tool("connections_get_types", {})
    assert {"sync_gcs_csv_to_salesforce", "connections_create"} <= names
    assert not types.is_error and "salesforce" in str(types.structured_content)


@dataclass(frozen=True)
class Tools:
    bin: Path  # the scratch virtualenv's bin folder, with pipx and uv in it
    wheel: Path


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tools]:
    base = tmp_path_factory.mktemp("packaging")
    wheel_dir = base / "dist"
    built = run(sys.executable, "-c", "import sys, hatchling.build as b; print(b.build_wheel(sys.argv[1]))", wheel_dir)
    wheel = wheel_dir / built.strip().splitlines()[-1]
    venv.create(base / "tools", with_pip=True)
    bin_dir = base / "tools" / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", PIPX, UV, env=clean_env())
    yield Tools(bin_dir, wheel)


def with_tools_on_path(tools: Tools, **extra: str) -> dict[str, str]:
    env = clean_env(**extra)
    env["PATH"] = f"{tools.bin}{os.pathsep}{env['PATH']}"
    return env


def snippet_entry(binary: Path, *args: str, env: dict[str, str]) -> dict[str, Any]:
    printed = run(binary, "config", "cursor", "--sandbox", *args, env=env)
    entry: dict[str, Any] = json.loads(printed)["mcpServers"]["polytomic"]
    return entry


# -- pipx and uv ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.network
def test_pipx_install_gives_a_command_whose_config_snippet_starts_the_server(tools: Tools, tmp_path: Path) -> None:
    env = with_tools_on_path(
        tools, PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"), PIPX_MAN_DIR=str(tmp_path / "man")
    )
    run(tools.bin / "pipx", "install", ROOT, env=env)  # from the checkout (the uv test installs the wheel)
    installed = tmp_path / "bin" / "polytomic-mcp"
    assert run(installed, "--version", env=env).strip() == f"polytomic-mcp {polytomic_mcp.__version__}"
    entry = snippet_entry(installed, env=env)
    # The snippet names the script inside pipx's own venv by absolute path: no PATH needed.
    assert Path(entry["command"]).is_absolute()
    assert Path(entry["command"]).is_relative_to(tmp_path / "pipx" / "venvs" / "polytomic-mcp")
    anyio.run(assert_serves, entry["command"], entry["args"], clean_env())


@pytest.mark.slow
@pytest.mark.network
def test_uv_tool_install_gives_a_command_whose_config_snippet_starts_the_server(tools: Tools, tmp_path: Path) -> None:
    env = with_tools_on_path(tools, UV_TOOL_DIR=str(tmp_path / "tools"), UV_TOOL_BIN_DIR=str(tmp_path / "bin"))
    run(tools.bin / "uv", "tool", "install", tools.wheel, env=env)
    installed = tmp_path / "bin" / "polytomic-mcp"
    assert run(installed, "--version", env=env).strip() == f"polytomic-mcp {polytomic_mcp.__version__}"
    entry = snippet_entry(installed, env=env)
    assert Path(entry["command"]).is_relative_to(tmp_path / "tools" / "polytomic-mcp")
    anyio.run(assert_serves, entry["command"], entry["args"], clean_env())


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.parametrize("launcher", ["uvx", "pipx"])
def test_the_uvx_and_pipx_run_snippets_start_the_server(tools: Tools, launcher: str, tmp_path: Path) -> None:
    env = with_tools_on_path(tools, PIPX_HOME=str(tmp_path / "pipx"))
    this_install = Path(sys.executable).parent / "polytomic-mcp"
    entry = snippet_entry(this_install, "--launcher", launcher, "--package", str(tools.wheel), env=env)
    # The launcher by absolute path: desktop apps start servers with a short PATH.
    assert entry["command"] == str(tools.bin / launcher)
    anyio.run(assert_serves, entry["command"], entry["args"], env)


# -- the MCP bundle ---------------------------------------------------------------------------


def mcpb(*args: str | Path) -> str:
    assert MCPB.exists(), "install the bundle CLI: npm ci --prefix tests/inspector (see its README.md)"
    return run(MCPB, *args, timeout=120)


def test_the_bundle_manifest_validates_and_matches_the_project() -> None:
    assert "Manifest schema validation passes" in mcpb("validate", ROOT / "manifest.json")
    manifest = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == PYPROJECT["project"]["version"] == polytomic_mcp.__version__
    assert manifest["name"] == PYPROJECT["project"]["name"]
    assert manifest["user_config"]["api_key"]["sensitive"] is True
    access = manifest["user_config"]["access_mode"]
    assert access["default"] == "read-only" and "full-access" in access["description"]
    env = manifest["server"]["mcp_config"]["env"]
    assert env == {
        "POLYTOMIC_API_KEY": "${user_config.api_key}",
        "POLYTOMIC_ACCESS_MODE": "${user_config.access_mode}",
        "POLYTOMIC_SANDBOX": "${user_config.sandbox}",
    }
    listed = json.loads(
        run(sys.executable, "-m", "polytomic_mcp", "tools", "--access-mode", "full-access", "--json", env=clean_env())
    )
    names = {tool["name"] for tool in listed["tools"]}
    assert {tool["name"] for tool in manifest["tools"]} <= names


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "polytomic-mcp.mcpb"
    mcpb("pack", ROOT, out)
    return out


def test_the_packed_bundle_holds_the_project_and_nothing_else(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        packed_manifest = json.loads(archive.read("manifest.json"))
    top = {name.split("/")[0] for name in names}
    assert top == {"manifest.json", "pyproject.toml", "README.md", "polytomic_mcp", "prompts"}
    assert "polytomic_mcp/catalog/operations.json" in names
    assert "polytomic_mcp/sandbox/seeds/high_paying_users.csv" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert packed_manifest == json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.network
def test_the_packed_bundle_starts_as_claude_desktop_starts_a_uv_bundle(
    bundle: Path, tools: Tools, tmp_path: Path
) -> None:
    unpacked = tmp_path / "extension"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(unpacked)
    config = json.loads((unpacked / "manifest.json").read_text(encoding="utf-8"))["server"]["mcp_config"]
    user_config = {"api_key": "", "access_mode": "full-access", "sandbox": "true"}

    def substitute(text: str) -> str:
        text = text.replace("${__dirname}", str(unpacked))
        for name, value in user_config.items():
            text = text.replace(f"${{user_config.{name}}}", value)
        return text

    command = str(tools.bin / config["command"])  # the host brings uv; here, the pinned one
    args = [substitute(a) for a in config["args"]]
    env = clean_env(**{k: substitute(v) for k, v in config["env"].items()})
    anyio.run(assert_serves, command, args, env)


# -- server.json for the MCP registry ---------------------------------------------------------


def registry_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(REGISTRY_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$id"] == "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_server_json_is_valid_for_the_registry_and_true_to_the_project() -> None:
    from polytomic_mcp.cli import build_parser
    from polytomic_mcp.settings import AccessMode, Settings

    document = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    errors = [f"{list(e.path)}: {e.message}" for e in registry_validator().iter_errors(document)]
    assert not errors, errors
    assert document["$schema"] == json.loads(REGISTRY_SCHEMA.read_text(encoding="utf-8"))["$id"]
    assert document["version"] == polytomic_mcp.__version__
    transports = set()
    for package in document["packages"]:
        assert package["registryType"] == "pypi"
        assert package["identifier"] == PYPROJECT["project"]["name"]
        assert package["version"] == polytomic_mcp.__version__
        transports.add(package["transport"]["type"])
        for variable in package["environmentVariables"]:
            field = variable["name"].removeprefix("POLYTOMIC_").lower()
            assert field in Settings.model_fields, variable["name"]
            if field == "access_mode":
                assert variable["choices"] == [mode.value for mode in AccessMode]
        argv = []
        for arg in package.get("packageArguments", []):  # positional: the value; named: --flag [value]
            argv += [arg["value"]] if arg["type"] == "positional" else [arg["name"], *filter(None, [arg.get("value")])]
        argv = [a.replace("{port}", "8000") for a in argv]
        parsed = build_parser().parse_args(argv or ["serve"])  # the arguments are our CLI's own
        assert parsed.command == "serve"
        if package["transport"]["type"] == "streamable-http":
            assert parsed.http and parsed.port == 8000
    assert transports == {"stdio", "streamable-http"}
    secret = [v["name"] for p in document["packages"] for v in p["environmentVariables"] if v.get("isSecret")]
    assert secret == ["POLYTOMIC_API_KEY"]


@pytest.mark.parametrize(
    "breakage",
    [
        {"version": "latest"},
        {"name": "polytomic-mcp"},
        {"description": "x" * 101},
        {"packages": [{"registryType": "pypi", "identifier": "polytomic-mcp"}]},
    ],
)
def test_the_vendored_schema_rejects_what_the_registry_rejects(breakage: dict[str, Any]) -> None:
    document = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    if breakage.get("version") == "latest":
        document["packages"][0]["version"] = "latest"
    else:
        document.update(breakage)
    assert list(registry_validator().iter_errors(document))


def test_the_readme_names_the_registry_entry() -> None:
    name = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))["name"]
    assert f"mcp-name: {name}" in (ROOT / "README.md").read_text(encoding="utf-8")
