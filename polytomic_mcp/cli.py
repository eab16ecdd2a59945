"""Command line: `serve` (stdio by default, `--http`), `sandbox`, `demo`, `tools`.

argparse (standard library) parses flags; pydantic-settings reads the environment; a
flag given on the command line overrides its environment variable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from polytomic_mcp import __version__
from polytomic_mcp.errors import SettingsError
from polytomic_mcp.settings import Settings

COMMANDS = ("serve", "sandbox", "demo", "tools")


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that map one-to-one onto Settings fields (`--access-mode` → access_mode)."""
    group = parser.add_argument_group("settings (each also read from its environment variable)")

    def flag(name: str, help_text: str, **kwargs: Any) -> None:
        field = name.replace("-", "_")
        env = "POLYTOMIC_" + field.upper()
        group.add_argument(f"--{name}", dest=field, default=None, help=f"{help_text} [env {env}]", **kwargs)

    flag("sandbox", "run the embedded sandbox and use it as the backend", action="store_const", const=True)
    flag(
        "access-mode",
        "read-only, read-write (no destructive operation) or full-access "
        "(default: read-only with a key, full-access in the sandbox)",
        choices=["read-only", "read-write", "full-access"],
    )
    flag("deny", "operations, tools or whole toolsets never listed or run, comma list (checked at start-up)")
    flag(
        "confirm-destructive",
        "always: the user confirms every destructive operation (MCP elicitation); never: no asking (default always)",
        choices=["always", "never"],
    )
    flag("confirm-timeout", "seconds the user has to answer a confirmation (default 120)", type=float)
    flag(
        "safe-mode",
        "session: the agent may update or delete only objects it created in the same MCP session (default off)",
        choices=["off", "session"],
    )
    flag("audit-log", "file to append one JSON line per write to (also logged on stderr at INFO)")
    flag("toolsets", "operation toolsets to list: default, all, or a comma list (see `polytomic-mcp tools`)")
    flag("base-url", "Polytomic API base URL, for self-hosted deployments (default https://app.polytomic.com)")
    flag("api-version", "X-Polytomic-Version header (default 2025-09-18)")
    flag("auth-mode", "bearer, or partner: send Basic base64(org_id:key)", choices=["bearer", "partner"])
    flag("partner-org-id", "organization to act in with a partner key")
    flag("timeout", "seconds allowed for one HTTP attempt (default 30)", type=float)
    flag("max-retries", "retries of a failed request (default 3)", type=int)
    flag("retry-budget", "seconds one API call may take including retries (default 45)", type=float)
    flag("max-wait", "upper bound in seconds for any waiting tool (default 55)", type=float)
    flag("poll-interval", "seconds between the first polls of a waiting tool (default 1; backs off)", type=float)
    flag(
        "max-tools",
        "most tools to list; whole toolsets are left out past it (default 128; 0 = no cap)",
        type=int,
    )
    flag("result-tokens", "size budget of one tool result in tokens (default 6000)", type=int)
    flag(
        "client-profile",
        "tool-schema profile: auto (from clientInfo), standard, inline ($refs inlined) or gemini",
        choices=["auto", "standard", "inline", "gemini"],
    )
    flag("allowed-hosts", "HTTP: extra allowed Host header values, comma list (e.g. mcp.example.com)")
    flag("allowed-origins", "HTTP: allowed Origin header values, comma list")
    flag("sandbox-clock", "sandbox clock: real (demo delays) or step (tests)", choices=["real", "step"])
    flag("sandbox-seed", "sandbox seed file (JSON or YAML); default: the packaged seed")
    flag("sandbox-db", "sandbox SQLite file (default: in memory)")
    flag("log-level", "server log level on stderr (default WARNING)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polytomic-mcp",
        description="MCP server for the Polytomic API. Without a command it runs `serve` on stdio.",
        epilog="The API key is read from POLYTOMIC_API_KEY only (never from a flag, so it stays out of "
        "process listings).",
    )
    parser.add_argument("--version", action="version", version=f"polytomic-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP: interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP: port (default 8000)")
    serve.add_argument("--stateless", action="store_true", help="HTTP: no sessions (for replicas)")
    _add_settings_flags(serve)

    sandbox = commands.add_parser("sandbox", help="serve only the sandbox API emulator")
    sandbox.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8900, help="port (default 8900)")
    sandbox.add_argument("--db", default=None, help="SQLite file to keep state in (default: in memory)")
    sandbox.add_argument("--seed", default=None, help="seed file, JSON or YAML (default: the packaged seed)")
    sandbox.add_argument("--clock", choices=["real", "step"], default="real", help="clock mode (default real)")

    demo = commands.add_parser("demo", help="walk the seed workflow against the sandbox with a real MCP client")
    demo.add_argument("--clock", choices=["real", "step"], default="real", help="sandbox clock (default real)")
    demo.add_argument("--quiet", action="store_true", help="print only the summary")

    tools = commands.add_parser("tools", help="print the listed tools per toolset with token counts")
    tools.add_argument("--json", action="store_true", help="print JSON instead of a table")
    tools.add_argument(
        "--profile", default=None, choices=["standard", "inline", "gemini"], help="client profile to shape schemas for"
    )
    _add_settings_flags(tools)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the flags that were given."""
    overrides = {
        name: value
        for name, value in vars(args).items()
        if value is not None and name in Settings.model_fields and name != "api_key"
    }
    return Settings(**overrides)


def _normalise_argv(argv: Sequence[str]) -> list[str]:
    args = list(argv)
    if not args or (args[0] not in COMMANDS and args[0] not in ("-h", "--help", "--version")):
        return ["serve", *args]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_normalise_argv(sys.argv[1:] if argv is None else argv))
    try:
        if args.command == "sandbox":
            from polytomic_mcp.commands.sandbox_command import run_sandbox

            return run_sandbox(args)
        if args.command == "demo":
            from polytomic_mcp.commands.demo import run_demo

            return run_demo(args)
        settings = settings_from(args)
        if args.command == "tools":
            from polytomic_mcp.commands.tools_report import run_tools_report

            return run_tools_report(settings, args)
        from polytomic_mcp.commands.serve import run_serve

        return run_serve(settings, args)
    except SettingsError as bad:
        print(f"polytomic-mcp: {bad}", file=sys.stderr)
        return 2
    except ValueError as bad:  # pydantic validation of settings
        print(f"polytomic-mcp: invalid setting: {bad}", file=sys.stderr)
        return 2
