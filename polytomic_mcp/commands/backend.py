"""Choosing the backend: the real API (a key), the embedded sandbox started in-process, or a
sandbox that is already running (`--sandbox` with `--base-url`, e.g. one started by
`polytomic-mcp sandbox` and shared by several servers or evaluation runs).

In every sandbox mode a caller without a key acts in one default tenant
(`SANDBOX_TENANT_KEY`); over HTTP a request's own bearer key still selects its own tenant.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pydantic import SecretStr

from polytomic_mcp.client import normalize_base_url
from polytomic_mcp.commands.startup import StartupError
from polytomic_mcp.settings import Settings, invalid_setting

SANDBOX_TENANT_KEY = "sandbox-default"

NO_BACKEND = (
    "polytomic-mcp: no backend configured.\n"
    "  Use the Polytomic API:   POLYTOMIC_API_KEY=<your key> polytomic-mcp\n"
    "  Or the offline sandbox:  polytomic-mcp --sandbox\n"
    "(`polytomic-mcp serve --http` also runs without a key: each HTTP request then brings its own "
    "'Authorization: Bearer <key>'.)"
)


@dataclass(frozen=True, slots=True)
class Backend:
    settings: Settings
    base_url: str
    label: str
    is_sandbox: bool = False


def with_default_tenant(settings: Settings) -> Settings:
    """Sandbox settings with the default tenant's key when no key is configured."""
    if settings.server_credentials() is not None:
        return settings
    return settings.model_copy(update={"api_key": SecretStr(SANDBOX_TENANT_KEY)})


@contextmanager
def open_backend(settings: Settings) -> Iterator[Backend]:
    """The API to talk to; with --sandbox, a sandbox for the duration (started here or already running)."""
    if not settings.sandbox:
        yield Backend(settings, settings.base_url, f"Polytomic API at {settings.base_url}")
        return
    settings = with_default_tenant(settings)
    if "base_url" in settings.model_fields_set:
        yield shared_sandbox(settings)
        return
    with embedded_sandbox(settings) as backend:
        yield backend


def shared_sandbox(settings: Settings) -> Backend:
    """A sandbox already running at --base-url; checked once, so a wrong URL fails at start."""
    import httpx  # only this mode needs it before the first request (start-up stays lean)

    url = normalize_base_url(settings.base_url)
    credentials = settings.server_credentials()
    headers = {"Authorization": credentials.authorization()} if credentials else {}
    try:
        answer = httpx.get(f"{url}/sandbox/clock", headers=headers, timeout=settings.timeout)
        clock = answer.json()["data"]["mode"] if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        clock = None
    if clock is None:
        raise StartupError(
            f"--sandbox with --base-url {url}: no polytomic-mcp sandbox answers there "
            "(start one with `polytomic-mcp sandbox`, or drop --base-url / POLYTOMIC_BASE_URL to embed one)"
        )
    return Backend(settings, url, f"sandbox at {url} (shared, clock={clock})", is_sandbox=True)


@contextmanager
def embedded_sandbox(settings: Settings) -> Iterator[Backend]:
    import sqlite3

    from polytomic_mcp.sandbox import SandboxConfig, start_sandbox

    for field, problem in (
        ("sandbox_seed", seed_file_problem(settings.sandbox_seed)),
        ("sandbox_db", db_file_problem(settings.sandbox_db)),
    ):
        if problem:
            raise invalid_setting(field, getattr(settings, field), problem=problem)
    config = SandboxConfig(db_path=settings.sandbox_db, seed=settings.sandbox_seed, clock=settings.sandbox_clock)
    try:
        sandbox = start_sandbox(config)
    except sqlite3.Error as broken:
        raise invalid_setting("sandbox_db", settings.sandbox_db, problem=str(broken)) from None
    with sandbox:
        label = f"sandbox at {sandbox.base_url} (embedded, clock={settings.sandbox_clock})"
        yield Backend(settings, sandbox.base_url, label, is_sandbox=True)


def seed_file_problem(path: str | None) -> str | None:
    """What keeps a seed file from loading, or None; found at start, not on the first request."""
    if path is None:
        return None
    from polytomic_mcp.sandbox import seed_problem

    problem = seed_problem(path)
    return one_line(problem) if problem else None


def one_line(text: str) -> str:
    """A parser's message on one line: its first line, and where (YAML's messages run over several)."""
    first, _, rest = text.strip().partition("\n")
    where = re.search(r"line \d+, column \d+", rest)
    return f"{first.strip()} ({where.group(0)})" if where else first.strip()


def db_file_problem(path: str | None) -> str | None:
    """What keeps the sandbox from opening a database file, or None (a new file is fine)."""
    if path is None:
        return None
    import sqlite3

    target = Path(path)
    if target.is_dir():
        return "a folder, not a file"
    if not target.exists():
        return None if target.parent.is_dir() else f"its folder {str(target.parent)!r} does not exist"
    try:
        # Read-write (never create): a database left by a killed sandbox may hold a hot journal,
        # which only a writer can roll back; the sandbox opens it read-write next anyway.
        probe = sqlite3.connect(f"file:{quote(str(target.resolve()))}?mode=rw", uri=True)
        try:
            probe.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
        finally:
            probe.close()
    except sqlite3.Error as broken:
        return f"not a SQLite database ({broken})"
    return None


def announce(backend: Backend, transport: str, extra: str = "") -> None:
    """One line on stderr: backend, access mode and guardrails, toolsets. Never the key."""
    settings = backend.settings
    guard = f" confirm-destructive={settings.confirm_destructive}"
    if settings.safe_mode != "off":
        guard += f" safe-mode={settings.safe_mode}"
    if settings.deny:
        guard += f" deny={settings.deny.replace(' ', '')}"
    if settings.audit_log:
        guard += " audit-log=on"
    print(
        f"polytomic-mcp: backend={backend.label} access={settings.effective_access_mode.value}{guard} "
        f"toolsets={settings.toolsets} transport={transport}{extra}",
        file=sys.stderr,
        flush=True,
    )
