"""Command line: `serve` (stdio by default, `--http`), `sandbox`, `demo`, `tools`, `config`, `eval`.

argparse (standard library) parses flags; pydantic-settings reads the environment; a
flag given on the command line overrides its environment variable. Setting flags are
passed on as text and validated by Settings, so a bad value reads the same whichever way
it came in: the flag, the variable, what was expected and what was got.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from polytomic_mcp import __version__
from polytomic_mcp.commands.output import quiet_stdout
from polytomic_mcp.commands.startup import StartupError
from polytomic_mcp.errors import SettingsError
from polytomic_mcp.settings import (
    Settings,
    comma_items,
    invalid_setting,
    setting_env,
    setting_flag,
    settings_error,
)

COMMANDS = ("serve", "sandbox", "demo", "tools", "config", "eval")


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that map one-to-one onto Settings fields (`--access-mode` → access_mode)."""
    group = parser.add_argument_group("settings (each also read from its environment variable)")

    def flag(name: str, help_text: str, choices: Sequence[str] = (), **kwargs: Any) -> None:
        field = name.replace("-", "_")
        metavar = "{" + ",".join(choices) + "}" if choices else None
        help_text += f" [env {setting_env(field)}]"
        group.add_argument(f"--{name}", dest=field, default=None, metavar=metavar, help=help_text, **kwargs)

    group.add_argument(
        "--sandbox",
        dest="sandbox",
        default=None,
        action="store_const",
        const=True,
        help="run the embedded sandbox and use it as the backend; with --base-url, use the sandbox "
        "already running there [env POLYTOMIC_SANDBOX]",
    )
    flag(
        "access-mode",
        "read-only, read-write (no destructive operation) or full-access "
        "(default: read-only with a key, full-access in the sandbox)",
        ["read-only", "read-write", "full-access"],
    )
    flag("deny", "operations, tools or whole toolsets never listed or run, comma list (checked at start-up)")
    flag(
        "confirm-destructive",
        "always: the user confirms every destructive operation (MCP elicitation); never: no asking (default always)",
        choices=["always", "never"],
    )
    flag("confirm-timeout", "seconds the user has to answer a confirmation (default 120)")
    flag(
        "safe-mode",
        "session: the agent may update or delete only objects it created in the same MCP session (default off)",
        choices=["off", "session"],
    )
    flag("audit-log", "file to append one JSON line per write to (also logged on stderr at INFO)")
    flag("toolsets", "operation toolsets to list: default, all, or a comma list (see `polytomic-mcp tools`)")
    flag("base-url", "Polytomic API base URL, for self-hosted deployments (default https://app.polytomic.com)")
    flag("api-version", "X-Polytomic-Version header (default 2025-09-18)")
    flag("auth-mode", "bearer, or partner: send Basic base64(org_id:key)", ["bearer", "partner"])
    flag("partner-org-id", "organization to act in with a partner key")
    flag("timeout", "seconds allowed for one HTTP attempt (default 30)")
    flag("max-retries", "retries of a failed request (default 3)")
    flag("retry-budget", "seconds one API call may take including retries (default 45)")
    flag("max-wait", "upper bound in seconds for any waiting tool (default 55)")
    flag("poll-interval", "seconds between the first polls of a waiting tool (default 1; backs off)")
    flag("max-tools", "most tools to list; whole toolsets are left out past it (default 128; 0 = no cap)")
    flag("result-tokens", "size budget of one tool result in tokens (default 6000)")
    flag(
        "client-profile",
        "tool-schema profile: auto (from clientInfo), standard, inline ($refs inlined) or gemini",
        ["auto", "standard", "inline", "gemini"],
    )
    flag("allowed-hosts", "HTTP: extra allowed Host header values, comma list (e.g. mcp.example.com)")
    flag("allowed-origins", "HTTP: allowed Origin header values, comma list")
    flag("sandbox-clock", "sandbox clock: real (demo delays) or step (tests)", ["real", "step"])
    flag("sandbox-seed", "sandbox seed file (JSON or YAML); default: the packaged seed")
    flag("sandbox-db", "sandbox SQLite file (default: in memory)")
    group.add_argument(
        "--deterministic",
        dest="deterministic",
        default=None,
        action="store_const",
        const=True,
        help="evaluations only: untrusted-data fence nonces derived from the data and waited_s from the pauses, "
        "so step-clock runs repeat byte for byte (weaker fences: never in production) [env POLYTOMIC_DETERMINISTIC]",
    )
    flag("log-level", "server log level on stderr (default WARNING)", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])


def _add_config_command(commands: Any) -> None:
    from polytomic_mcp.commands.client_entries import CLIENTS, LAUNCHERS, PACKAGE

    config = commands.add_parser(
        "config",
        help="print (or --write) a client's configuration for this server",
        description="Print the configuration that makes CLIENT start this server, or merge it into the "
        "client's own file with --write (a backup is kept, other servers stay).",
    )
    config.add_argument("client", choices=CLIENTS, help="the MCP client to configure")
    config.add_argument("--sandbox", action="store_true", help="run the offline sandbox (no key needed)")
    config.add_argument(
        "--access-mode",
        choices=["read-only", "full-access"],
        default=None,
        help="what the agent may do (default: read-only with a key, full-access with --sandbox)",
    )
    config.add_argument(
        "--launcher",
        choices=LAUNCHERS,
        default="path",
        help="path: this installation by absolute path (default); uvx or pipx: run the package through them",
    )
    config.add_argument(
        "--package",
        default=PACKAGE,
        help=f"with --launcher uvx/pipx: the package to run (default {PACKAGE}; a wheel, folder or git URL works)",
    )
    config.add_argument("--name", default="polytomic", help="the server's name in the client (default polytomic)")
    config.add_argument("--write", action="store_true", help="merge it into the client's configuration file")
    config.add_argument("--file", default=None, help="the configuration file to write (default: the client's own)")


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
    _add_config_command(commands)
    _add_eval_command(commands)
    return parser


def _add_eval_command(commands: Any) -> None:
    # Flags only: what runs an evaluation is imported when `eval run` runs (it loads httpx and the SDK's client).
    evals = commands.add_parser("eval", help="run scripted agent evaluations (scenario files) on the sandbox")
    actions = evals.add_subparsers(dest="eval_command", metavar="ACTION", required=True)
    run = actions.add_parser(
        "run",
        help="run scenarios: a YAML file or a folder of them",
        description="Run each scenario in its own sandbox tenant through a real MCP client session, "
        "then check its assertions. See docs/evaluations.md.",
    )
    run.add_argument("path", help="a scenario file, or a folder of *.yaml scenarios")
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    run.add_argument("--jobs", type=int, default=1, help="scenarios run at once (default 1)")
    run.add_argument(
        "--transport", choices=["stdio", "http"], default="stdio", help="how the client reaches the server"
    )
    run.add_argument(
        "--sandbox-url",
        default=None,
        help="use a sandbox already running there (`polytomic-mcp sandbox --clock step`) instead of starting one",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the flags that were given; checked as a whole."""
    overrides = {
        name: value
        for name, value in vars(args).items()
        if value is not None and name in Settings.model_fields and name != "api_key"
    }
    try:
        settings = Settings(**overrides)
    except ValidationError as invalid:
        raise settings_error(invalid, from_flags=overrides) from None
    check_toolsets(settings, "toolsets" in overrides)
    check_guard_settings(settings, overrides)
    return settings


def check_guard_settings(settings: Settings, from_flags: Collection[str]) -> None:
    """--deny names that exist, and an --audit-log in a folder that exists (checked before start-up)."""
    from polytomic_mcp.guardrails.tiers import DenyList, UnknownDenyNameError
    from polytomic_mcp.tools.inventory import HAND_WRITTEN_TOOLS
    from polytomic_mcp.tools.toolsets import ALL_TOOLSETS

    def source(field: str) -> str:
        return setting_flag(field) if field in from_flags else setting_env(field)

    hand_written = [tool.name for tool in HAND_WRITTEN_TOOLS]
    expected = f"operation tool names, hand-written tool names or toolsets ({', '.join(ALL_TOOLSETS)}), comma list"
    for name in comma_items(settings.deny):
        try:
            DenyList.parse([name], hand_written)
        except UnknownDenyNameError:
            unknown = f"no such name {name!r}"
            raise invalid_setting("deny", settings.deny, source("deny"), expected, unknown) from None
    if settings.audit_log and (problem := audit_log_problem(Path(settings.audit_log).expanduser())):
        raise invalid_setting("audit_log", settings.audit_log, source("audit_log"), problem=problem)


def audit_log_problem(path: Path) -> str | None:
    """Why the audit log cannot be appended to there (its missing folders are created at start)."""
    if path.is_dir():
        return "it is a folder"
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    return None if ancestor.is_dir() else f"{str(ancestor)!r} is not a folder"


def check_toolsets(settings: Settings, from_flag: bool) -> None:
    from polytomic_mcp.tools.toolsets import ALL_TOOLSETS, ToolsetSelection, UnknownToolsetError

    try:
        ToolsetSelection.parse(settings.toolsets)
    except UnknownToolsetError:
        known = ("default", "all", *ALL_TOOLSETS)
        unknown = next(item for item in comma_items(settings.toolsets) if item not in known)
        source = "--toolsets" if from_flag else setting_env("toolsets")
        expected = "default, all, or a comma list of " + ", ".join(ALL_TOOLSETS)
        raise invalid_setting("toolsets", settings.toolsets, source, expected, f"no toolset {unknown!r}") from None


def _normalise_argv(argv: Sequence[str]) -> list[str]:
    args = list(argv)
    if not args or (args[0] not in COMMANDS and args[0] not in ("-h", "--help", "--version")):
        return ["serve", *args]
    return args


def _run(args: argparse.Namespace) -> int:
    if args.command == "sandbox":
        from polytomic_mcp.commands.sandbox_command import run_sandbox

        return run_sandbox(args)
    if args.command == "demo":
        from polytomic_mcp.commands.demo import run_demo

        return run_demo(args)
    if args.command == "config":
        from polytomic_mcp.commands.config_command import run_config

        return run_config(args)
    if args.command == "eval":
        from polytomic_mcp.commands.eval_command import run_eval

        return run_eval(args)
    settings = settings_from(args)
    if args.command == "tools":
        from polytomic_mcp.commands.tools_report import run_tools_report

        return run_tools_report(settings, args)
    from polytomic_mcp.commands.serve import run_serve

    return run_serve(settings, args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_normalise_argv(sys.argv[1:] if argv is None else argv))
    try:
        return _run(args)
    except (SettingsError, StartupError) as bad:
        print(f"polytomic-mcp: {bad}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        quiet_stdout()
        return 0
    except KeyboardInterrupt:
        return 130
