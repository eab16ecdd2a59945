"""`polytomic-mcp config CLIENT`: the printed snippet and `--write` against real config files.

Each client's own format: `mcpServers` JSON (Claude Desktop, Cursor, Claude Code's
~/.claude.json), VS Code's `servers` + `inputs`, Codex's TOML `[mcp_servers.NAME]`. The written
entry is then started with the MCP SDK's stdio client, as the client would start it.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from polytomic_mcp.commands.client_files import config_path

SERVER = [sys.executable, "-m", "polytomic_mcp"]
THIS_INSTALL = str(Path(sys.executable).parent / "polytomic-mcp")


def run_config(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
    return subprocess.run(
        [*SERVER, "config", *args], capture_output=True, text=True, timeout=60, check=False, env={**clean, **env}
    )


async def assert_starts(entry: dict[str, Any]) -> None:
    """Start the configured server as its client would, and list and call a tool."""
    params = StdioServerParameters(command=entry["command"], args=entry["args"], env=entry.get("env") or None)
    async with Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        types = await client.call_tool("connections_get_types", {})
    assert "sync_gcs_csv_to_salesforce" in names
    assert not types.is_error


# -- printing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("client", ["claude-desktop", "cursor"])
def test_the_snippet_runs_this_installation_by_absolute_path(client: str) -> None:
    printed = run_config(client, "--sandbox")
    assert printed.returncode == 0, printed.stderr
    entry = json.loads(printed.stdout)["mcpServers"]["polytomic"]
    assert entry == {"command": THIS_INSTALL, "args": ["--sandbox", "--access-mode", "full-access"]}
    assert Path(entry["command"]).is_absolute() and Path(entry["command"]).is_file()
    assert "--write" in printed.stderr


def test_with_a_key_the_default_is_read_only_and_the_key_a_placeholder() -> None:
    printed = run_config("claude-desktop", POLYTOMIC_API_KEY="pk_live_secret_value")
    entry = json.loads(printed.stdout)["mcpServers"]["polytomic"]
    assert entry["args"] == ["--access-mode", "read-only"]
    assert entry["env"] == {"POLYTOMIC_API_KEY": "<your Polytomic API key>"}
    assert "pk_live_secret_value" not in printed.stdout + printed.stderr


def test_the_chosen_access_mode_wins() -> None:
    entry = json.loads(run_config("cursor", "--access-mode", "full-access").stdout)["mcpServers"]["polytomic"]
    assert entry["args"] == ["--access-mode", "full-access"]
    sandbox = json.loads(run_config("cursor", "--sandbox", "--access-mode", "read-only").stdout)
    assert sandbox["mcpServers"]["polytomic"]["args"] == ["--sandbox", "--access-mode", "read-only"]


def test_vscode_uses_servers_and_asks_for_the_key_once() -> None:
    document = json.loads(run_config("vscode").stdout)
    assert document["servers"]["polytomic"] == {
        "type": "stdio",
        "command": THIS_INSTALL,
        "args": ["--access-mode", "read-only"],
        "env": {"POLYTOMIC_API_KEY": "${input:polytomic-api-key}"},
    }
    assert document["inputs"] == [
        {"type": "promptString", "id": "polytomic-api-key", "description": "Polytomic API key", "password": True}
    ]
    assert "inputs" not in json.loads(run_config("vscode", "--sandbox").stdout)


def test_claude_code_prints_the_claude_mcp_add_command() -> None:
    words = shlex.split(run_config("claude-code", "--sandbox").stdout)
    assert words[:7] == ["claude", "mcp", "add", "--scope", "user", "--transport", "stdio"]
    assert words[7:] == ["polytomic", "--", THIS_INSTALL, "--sandbox", "--access-mode", "full-access"]
    with_key = shlex.split(run_config("claude-code").stdout)
    assert with_key[7:9] == ["--env", "POLYTOMIC_API_KEY=<your Polytomic API key>"]


def test_codex_prints_a_toml_table() -> None:
    parsed = tomllib.loads(run_config("codex", "--sandbox").stdout)
    assert parsed == {
        "mcp_servers": {"polytomic": {"command": THIS_INSTALL, "args": ["--sandbox", "--access-mode", "full-access"]}}
    }


def test_the_uvx_and_pipx_forms() -> None:
    uvx = json.loads(run_config("cursor", "--sandbox", "--launcher", "uvx").stdout)["mcpServers"]["polytomic"]
    assert Path(uvx["command"]).name == "uvx" and uvx["args"][:1] == ["polytomic-mcp"]
    local = json.loads(run_config("cursor", "--launcher", "uvx", "--package", "/wheels/polytomic_mcp.whl").stdout)
    assert local["mcpServers"]["polytomic"]["args"][:3] == ["--from", "/wheels/polytomic_mcp.whl", "polytomic-mcp"]
    pipx = json.loads(run_config("cursor", "--sandbox", "--launcher", "pipx").stdout)["mcpServers"]["polytomic"]
    assert Path(pipx["command"]).name == "pipx"
    sandbox_args = ["--sandbox", "--access-mode", "full-access"]
    assert pipx["args"] == ["run", "--spec", "polytomic-mcp", "polytomic-mcp", *sandbox_args]


# -- writing into real files ------------------------------------------------------------------

CLAUDE_DESKTOP = {
    "mcpServers": {
        "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]}
    },
    "globalShortcut": "Ctrl+Space",
}
CURSOR = {"mcpServers": {"github": {"url": "https://api.githubcopilot.com/mcp/", "headers": {"Authorization": "x"}}}}
CLAUDE_CODE = {
    "numStartups": 41,
    "installMethod": "unknown",
    "autoUpdates": True,
    "projects": {"/home/me/app": {"mcpServers": {"local-db": {"type": "stdio", "command": "db-mcp", "args": []}}}},
    "mcpServers": {"playwright": {"type": "stdio", "command": "npx", "args": ["@playwright/mcp@latest"], "env": {}}},
}
VSCODE = {
    "inputs": [{"type": "promptString", "id": "github-token", "description": "GitHub token", "password": True}],
    "servers": {"memory": {"type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"]}},
}
CODEX = """\
# Codex settings
model = "o4-mini"
approval_policy = "on-request"

[mcp_servers.docs]
command = "npx"
args = ["-y", "mcp-docs"]  # the docs server
env = { "DOCS_TOKEN" = "abc" }

[profiles.fast]
model = "o4-mini"
"""


@pytest.mark.parametrize(
    ("client", "original", "root", "other"),
    [
        ("claude-desktop", CLAUDE_DESKTOP, "mcpServers", "filesystem"),
        ("cursor", CURSOR, "mcpServers", "github"),
        ("claude-code", CLAUDE_CODE, "mcpServers", "playwright"),
        ("vscode", VSCODE, "servers", "memory"),
    ],
)
def test_write_merges_into_a_json_config_keeping_everything_else(
    client: str, original: dict[str, Any], root: str, other: str, tmp_path: Path
) -> None:
    path = tmp_path / "config.json"
    text = json.dumps(original, indent=4) + "\n"
    path.write_text(text, encoding="utf-8")
    written = run_config(client, "--sandbox", "--write", "--file", str(path))
    assert written.returncode == 0, written.stderr
    assert f"added server 'polytomic' (full-access, sandbox) in {path}" in written.stdout
    assert f"kept 1 other server(s): {other}" in written.stdout

    merged = json.loads(path.read_text(encoding="utf-8"))
    assert merged[root][other] == original[root][other]
    for key, value in original.items():
        if key != root:
            assert merged[key] == value, key
    entry = merged[root]["polytomic"]
    assert entry["command"] == THIS_INSTALL and entry["args"] == ["--sandbox", "--access-mode", "full-access"]
    assert ("type" in entry) == (client in ("claude-code", "vscode"))

    backups = list(tmp_path.glob("config.json.*.bak"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == text
    anyio.run(assert_starts, entry)

    again = run_config(client, "--sandbox", "--write", "--file", str(path))
    assert "replaced server 'polytomic'" in again.stdout
    assert len(list(tmp_path.glob("config.json.*.bak"))) == 2
    assert list(json.loads(path.read_text(encoding="utf-8"))[root]) == [other, "polytomic"]


def test_write_merges_into_codex_toml_keeping_comments_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CODEX, encoding="utf-8")
    written = run_config("codex", "--sandbox", "--write", "--file", str(path))
    assert written.returncode == 0, written.stderr
    text = path.read_text(encoding="utf-8")
    assert text.startswith(CODEX.split("[profiles.fast]")[0]), "everything before the new table is unchanged"
    assert "# the docs server" in text and "# Codex settings" in text
    parsed = tomllib.loads(text)
    assert parsed["model"] == "o4-mini" and parsed["profiles"] == {"fast": {"model": "o4-mini"}}
    assert parsed["mcp_servers"]["docs"] == {"command": "npx", "args": ["-y", "mcp-docs"], "env": {"DOCS_TOKEN": "abc"}}
    entry = parsed["mcp_servers"]["polytomic"]
    assert entry == {"command": THIS_INSTALL, "args": ["--sandbox", "--access-mode", "full-access"]}
    assert [b.read_text(encoding="utf-8") for b in tmp_path.glob("config.toml.*.bak")] == [CODEX]
    anyio.run(assert_starts, entry)


def test_write_creates_a_missing_file_and_puts_the_key_from_the_environment_in_it(tmp_path: Path) -> None:
    path = tmp_path / "new" / "claude_desktop_config.json"
    written = run_config("claude-desktop", "--write", "--file", str(path), POLYTOMIC_API_KEY="pk_live_secret_value")
    assert written.returncode == 0, written.stderr
    assert "pk_live_secret_value" not in written.stdout + written.stderr
    assert "written into the file (not shown here)" in written.stdout
    entry = json.loads(path.read_text(encoding="utf-8"))["mcpServers"]["polytomic"]
    assert entry["env"] == {"POLYTOMIC_API_KEY": "pk_live_secret_value"}
    assert entry["args"] == ["--access-mode", "read-only"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "a new file holding a key is private"
    assert not list(path.parent.glob("*.bak"))


def test_write_without_a_key_in_the_environment_leaves_a_placeholder_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "mcp.json"
    written = run_config("cursor", "--write", "--file", str(path))
    assert "put your Polytomic API key in place of <your Polytomic API key>" in written.stdout
    assert json.loads(path.read_text())["mcpServers"]["polytomic"]["env"] == {
        "POLYTOMIC_API_KEY": "<your Polytomic API key>"
    }


def test_vscode_write_adds_the_key_input_once_and_keeps_other_inputs(tmp_path: Path) -> None:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps(VSCODE), encoding="utf-8")
    for _ in range(2):
        assert run_config("vscode", "--write", "--file", str(path), POLYTOMIC_API_KEY="pk_x").returncode == 0
    merged = json.loads(path.read_text(encoding="utf-8"))
    assert [i["id"] for i in merged["inputs"]] == ["github-token", "polytomic-api-key"]
    assert merged["servers"]["polytomic"]["env"] == {"POLYTOMIC_API_KEY": "${input:polytomic-api-key}"}
    assert "pk_x" not in path.read_text(encoding="utf-8"), "VS Code keeps the key itself"


@pytest.mark.parametrize("content", ['{"mcpServers": {"a": 1},}', "// my servers\n{}", "[1, 2]"])
def test_a_file_that_is_not_plain_json_is_left_untouched(content: str, tmp_path: Path) -> None:
    path = tmp_path / "claude_desktop_config.json"
    path.write_text(content, encoding="utf-8")
    written = run_config("claude-desktop", "--sandbox", "--write", "--file", str(path))
    assert written.returncode == 2
    assert "nothing was changed" in written.stderr and str(path) in written.stderr
    assert len(written.stderr.strip().splitlines()) == 1
    assert path.read_text(encoding="utf-8") == content
    assert not list(tmp_path.glob("*.bak"))


def test_broken_toml_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("model = \n", encoding="utf-8")
    written = run_config("codex", "--write", "--file", str(path))
    assert written.returncode == 2 and "not valid TOML" in written.stderr
    assert path.read_text(encoding="utf-8") == "model = \n"


# -- where each client keeps its file ---------------------------------------------------------


def test_config_file_locations_per_operating_system() -> None:
    home = Path("/home/me")
    windows = {"APPDATA": "C:/Users/me/AppData/Roaming"}
    cases = {
        ("claude-desktop", "darwin"): home / "Library/Application Support/Claude/claude_desktop_config.json",
        ("claude-desktop", "win32"): Path("C:/Users/me/AppData/Roaming/Claude/claude_desktop_config.json"),
        ("claude-desktop", "linux"): home / ".config/Claude/claude_desktop_config.json",
        ("vscode", "darwin"): home / "Library/Application Support/Code/User/mcp.json",
        ("vscode", "win32"): Path("C:/Users/me/AppData/Roaming/Code/User/mcp.json"),
        ("vscode", "linux"): home / ".config/Code/User/mcp.json",
        ("cursor", "linux"): home / ".cursor/mcp.json",
        ("cursor", "win32"): home / ".cursor/mcp.json",
        ("claude-code", "darwin"): home / ".claude.json",
        ("codex", "linux"): home / ".codex/config.toml",
    }
    for (client, platform), expected in cases.items():
        environ = windows if platform == "win32" else {}
        assert config_path(client, platform, environ, home) == expected, (client, platform)  # type: ignore[arg-type]
    assert config_path("codex", "linux", {"CODEX_HOME": "/srv/codex"}, home) == Path("/srv/codex/config.toml")
    assert config_path("vscode", "linux", {"XDG_CONFIG_HOME": "/xdg"}, home) == Path("/xdg/Code/User/mcp.json")
