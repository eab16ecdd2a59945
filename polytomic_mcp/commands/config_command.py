"""`polytomic-mcp config CLIENT`: the client's configuration for this server, printed or merged in.

The printed snippet starts this very installation by absolute path (or through `uvx` /
`pipx run` with `--launcher`), names the access mode explicitly (read-only with a key,
full-access with `--sandbox`, unless `--access-mode` says otherwise) and, without
`--sandbox`, takes the key from `POLYTOMIC_API_KEY`. `--write` merges it into the client's
file, keeping a backup and every other server.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import tomlkit

from polytomic_mcp.commands.client_entries import (
    KEY_PLACEHOLDER,
    ROOT_KEYS,
    Client,
    Launch,
    build_launch,
    claude_code_command,
    entry,
    key_reference,
    toml_table,
    vscode_key_input,
)
from polytomic_mcp.commands.client_files import config_path, merge_server


def access_mode_for(args: argparse.Namespace) -> str:
    """The mode the user chose, else the server's own default for that backend."""
    if args.access_mode:
        return str(args.access_mode)
    return "full-access" if args.sandbox else "read-only"


def snippet(client: Client, name: str, launch: Launch) -> str:
    """What the user would paste: the client's document with just this server in it."""
    server = entry(client, launch)
    if client == "claude-code":
        return claude_code_command(name, launch)
    if client == "codex":
        document = tomlkit.document()
        servers = tomlkit.table(is_super_table=True)
        servers[name] = toml_table(server)
        document[ROOT_KEYS[client]] = servers
        return tomlkit.dumps(document).strip()
    wrapper: dict[str, Any] = {ROOT_KEYS[client]: {name: server}}
    if client == "vscode" and launch.env:
        wrapper["inputs"] = [vscode_key_input()]
    return json.dumps(wrapper, indent=2, ensure_ascii=False)


def run_config(args: argparse.Namespace) -> int:
    client: Client = args.client
    mode = access_mode_for(args)
    path = Path(args.file).expanduser() if args.file else config_path(client)
    if not args.write:
        launch = build_launch(args.launcher, args.package, args.sandbox, mode, key_reference(client))
        print(snippet(client, args.name, launch))
        where = "run that command" if client == "claude-code" else f"add it to {path}"
        print(f"# {where}, or run again with --write to merge it into {path}", file=sys.stderr)
        return 0
    key_from_env = os.environ.get("POLYTOMIC_API_KEY") if client != "vscode" else None
    key = key_from_env or key_reference(client)
    launch = build_launch(args.launcher, args.package, args.sandbox, mode, key)
    merged = merge_server(client, path, args.name, entry(client, launch))
    verb = "replaced" if merged.replaced else "added"
    others = merged.other_servers
    kept = f"; kept {len(others)} other server(s): {', '.join(others)}" if others else ""
    print(f"{verb} server '{args.name}' ({mode}{', sandbox' if args.sandbox else ''}) in {merged.path}{kept}")
    if merged.backup:
        print(f"backup of the previous file: {merged.backup}")
    if launch.env and key_from_env:
        print("the key from POLYTOMIC_API_KEY was written into the file (not shown here)")
    elif launch.env and client != "vscode":
        print(f"put your Polytomic API key in place of {KEY_PLACEHOLDER} in that file")
    print(f"restart {client} to load it")
    return 0
