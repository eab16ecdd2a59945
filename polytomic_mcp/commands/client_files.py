"""Where each client keeps its MCP servers, and merging one server into that file.

A merge keeps every other server and setting, writes a timestamped backup of the file
first, and replaces the file atomically. A file it cannot read as its format is left
untouched and named in the error.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from polytomic_mcp.commands.client_entries import ROOT_KEYS, Client, toml_table, vscode_key_input
from polytomic_mcp.commands.startup import StartupError


def _app_data(environ: Mapping[str, str], home: Path) -> Path:
    return Path(environ.get("APPDATA") or home / "AppData" / "Roaming")


def _xdg_config(environ: Mapping[str, str], home: Path) -> Path:
    return Path(environ.get("XDG_CONFIG_HOME") or home / ".config")


def config_path(
    client: Client, platform: str = sys.platform, environ: Mapping[str, str] = os.environ, home: Path | None = None
) -> Path:
    """The client's user-level MCP configuration file on this operating system."""
    home = home or Path.home()
    mac_support = home / "Library" / "Application Support"
    if client == "claude-desktop":
        if platform == "darwin":
            return mac_support / "Claude" / "claude_desktop_config.json"
        if platform == "win32":
            return _app_data(environ, home) / "Claude" / "claude_desktop_config.json"
        return _xdg_config(environ, home) / "Claude" / "claude_desktop_config.json"
    if client == "vscode":
        if platform == "darwin":
            return mac_support / "Code" / "User" / "mcp.json"
        if platform == "win32":
            return _app_data(environ, home) / "Code" / "User" / "mcp.json"
        return _xdg_config(environ, home) / "Code" / "User" / "mcp.json"
    if client == "claude-code":
        return home / ".claude.json"
    if client == "cursor":
        return home / ".cursor" / "mcp.json"
    return Path(environ.get("CODEX_HOME") or home / ".codex") / "config.toml"


@dataclass(frozen=True, slots=True)
class Merged:
    path: Path
    backup: Path | None
    replaced: bool  # a server of that name was there before
    other_servers: list[str]


def merge_server(client: Client, path: Path, name: str, server: dict[str, Any]) -> Merged:
    """Put `server` under `name` in the client's file, keeping everything else."""
    original = path.read_text(encoding="utf-8") if path.exists() else None
    if client == "codex":
        text, replaced, others = _merge_toml(original, path, name, server)
    else:
        text, replaced, others = _merge_json(client, original, path, name, server)
    backup = _backup(path) if original is not None else None
    _write_atomically(path, text, private=bool(server.get("env")) and original is None)
    return Merged(path, backup, replaced, others)


def _merge_json(
    client: Client, original: str | None, path: Path, name: str, server: dict[str, Any]
) -> tuple[str, bool, list[str]]:
    try:
        document = json.loads(original) if original and original.strip() else {}
    except json.JSONDecodeError as bad:
        raise StartupError(
            f"{path} is not plain JSON ({bad.msg}, line {bad.lineno}); nothing was changed. "
            "Add the printed snippet by hand (comments are not supported here)."
        ) from None
    if not isinstance(document, dict):
        raise StartupError(f"{path} holds JSON that is not an object; nothing was changed")
    root = ROOT_KEYS[client]
    servers = document.setdefault(root, {})
    if not isinstance(servers, dict):
        raise StartupError(f"{path}: '{root}' is not an object; nothing was changed")
    others = [other for other in servers if other != name]
    replaced = name in servers
    servers[name] = server
    if client == "vscode" and "${input:" in json.dumps(server):
        inputs = document.setdefault("inputs", [])
        wanted = vscode_key_input()
        if isinstance(inputs, list) and not any(isinstance(i, dict) and i.get("id") == wanted["id"] for i in inputs):
            inputs.append(wanted)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n", replaced, others


def _merge_toml(original: str | None, path: Path, name: str, server: dict[str, Any]) -> tuple[str, bool, list[str]]:
    try:
        document = tomlkit.parse(original or "")
    except TOMLKitError as bad:
        raise StartupError(f"{path} is not valid TOML ({bad}); nothing was changed") from None
    servers = document.get(ROOT_KEYS["codex"])
    if servers is None:
        servers = tomlkit.table(is_super_table=True)
        document[ROOT_KEYS["codex"]] = servers
    if not isinstance(servers, dict):
        raise StartupError(f"{path}: 'mcp_servers' is not a table; nothing was changed")
    others = [str(other) for other in servers if other != name]
    replaced = name in servers
    servers[name] = toml_table(server)
    return tomlkit.dumps(document), replaced, others


def _backup(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.{stamp}.bak")
    counter = 1
    while backup.exists():
        backup = path.with_name(f"{path.name}.{stamp}-{counter}.bak")
        counter += 1
    shutil.copy2(path, backup)
    return backup


def _write_atomically(path: Path, text: str, private: bool) -> None:
    """Write beside the file and rename over it: a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        if path.exists():
            shutil.copymode(path, temporary)
        elif not private:
            os.chmod(temporary, 0o644)  # mkstemp makes 0600; a new file without a key needs no secrecy
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
