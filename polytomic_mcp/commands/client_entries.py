"""What a client needs to start this server: the command line, and each client's entry shape.

Formats (each client's own documentation):
- Claude Desktop `claude_desktop_config.json` and Cursor `mcp.json`: `{"mcpServers": {NAME: {command, args, env}}}`;
- Claude Code `~/.claude.json` (user scope): `{"mcpServers": {NAME: {type: "stdio", command, args, env}}}`,
  or the `claude mcp add` command that writes it;
- VS Code `mcp.json`: `{"servers": {NAME: {type: "stdio", command, args, env}}, "inputs": [...]}`, the key
  asked for once through a `promptString` input with `password: true`;
- Codex `~/.codex/config.toml`: `[mcp_servers.NAME]` with `command`, `args` and an `env` table.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tomlkit.items import Table

Client = Literal["claude-desktop", "claude-code", "cursor", "vscode", "codex"]
CLIENTS: tuple[Client, ...] = ("claude-desktop", "claude-code", "cursor", "vscode", "codex")
Launcher = Literal["path", "uvx", "pipx"]
LAUNCHERS: tuple[Launcher, ...] = ("path", "uvx", "pipx")

KEY_PLACEHOLDER = "<your Polytomic API key>"
VSCODE_KEY_INPUT = "polytomic-api-key"
PACKAGE = "polytomic-mcp"


@dataclass(frozen=True, slots=True)
class Launch:
    """The process a client starts: command, arguments and environment."""

    command: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)


def running_executable() -> list[str]:
    """This installation's own entry point, by absolute path (a desktop app has no venv on PATH).

    The console script sits next to the interpreter in a virtualenv, a pipx venv or a uv
    tool environment; without one, the interpreter runs the package as a module.
    """
    folder = Path(sys.executable).parent
    script = folder / ("polytomic-mcp.exe" if sys.platform == "win32" else "polytomic-mcp")
    if script.is_file():
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "polytomic_mcp"]


def launcher_command(launcher: Launcher, package: str) -> list[str]:
    """The command (and its own arguments) that starts `polytomic-mcp` with the chosen launcher."""
    if launcher == "path":
        return running_executable()
    tool = shutil.which(launcher) or launcher  # absolute when found: desktop apps have a short PATH
    if launcher == "uvx":
        return [tool, PACKAGE] if package == PACKAGE else [tool, "--from", package, PACKAGE]
    return [tool, "run", "--spec", package, PACKAGE]


def build_launch(launcher: Launcher, package: str, sandbox: bool, access_mode: str, key: str | None) -> Launch:
    """The server's command line: the launcher, `--sandbox` if asked, the access mode always (so it is visible)."""
    command, *args = launcher_command(launcher, package)
    args += (["--sandbox"] if sandbox else []) + ["--access-mode", access_mode]
    env = {} if sandbox or key is None else {"POLYTOMIC_API_KEY": key}
    return Launch(command, args, env)


def entry(client: Client, launch: Launch) -> dict[str, Any]:
    """The server entry in the client's own shape."""
    body: dict[str, Any] = {"command": launch.command, "args": list(launch.args)}
    if launch.env:
        body["env"] = dict(launch.env)
    if client in ("claude-code", "vscode"):
        return {"type": "stdio", **body}
    return body


ROOT_KEYS: dict[Client, str] = {
    "claude-desktop": "mcpServers",
    "claude-code": "mcpServers",
    "cursor": "mcpServers",
    "vscode": "servers",
    "codex": "mcp_servers",
}


def vscode_key_input() -> dict[str, Any]:
    return {"type": "promptString", "id": VSCODE_KEY_INPUT, "description": "Polytomic API key", "password": True}


def key_reference(client: Client) -> str:
    """What stands for the key in a printed snippet (VS Code asks for it and keeps it itself)."""
    return f"${{input:{VSCODE_KEY_INPUT}}}" if client == "vscode" else KEY_PLACEHOLDER


def claude_code_command(name: str, launch: Launch) -> str:
    """The `claude mcp add` line that registers the server for this user (all projects)."""
    parts = ["claude", "mcp", "add", "--scope", "user", "--transport", "stdio"]
    for variable, value in launch.env.items():
        parts += ["--env", f"{variable}={value}"]
    parts += [name, "--", launch.command, *launch.args]
    return shlex.join(parts)


def toml_table(server: dict[str, Any]) -> Table:
    """A Codex `[mcp_servers.NAME]` table for an entry (the env as an inline table), a blank line after it."""
    import tomlkit  # here, not at the top: the CLI parser imports this module for its choices on every start

    table = tomlkit.table()
    table["command"] = server["command"]
    table["args"] = server["args"]
    if server.get("env"):
        env = tomlkit.inline_table()
        env.update(server["env"])
        table["env"] = env
    table.add(tomlkit.nl())
    return table
