"""Choosing the backend: the real API (a key), or the embedded sandbox started in-process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pydantic import SecretStr

from polytomic_mcp.settings import Settings

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


@contextmanager
def open_backend(settings: Settings, default_tenant: bool = True) -> Iterator[Backend]:
    """The API to talk to; with --sandbox, a sandbox on a loopback port for the duration.

    `default_tenant` gives stdio a sandbox key when none is set. Over HTTP every request
    brings its own key instead (no key and no server key → 401).
    """
    if not settings.sandbox:
        yield Backend(settings, settings.base_url, settings.backend_label())
        return
    from polytomic_mcp.sandbox import SandboxConfig, start_sandbox

    config = SandboxConfig(db_path=settings.sandbox_db, seed=settings.sandbox_seed, clock=settings.sandbox_clock)
    with start_sandbox(config) as sandbox:
        if settings.api_key is None and default_tenant:
            # Any key is a sandbox tenant; stdio needs one to call with.
            settings = settings.model_copy(update={"api_key": SecretStr(SANDBOX_TENANT_KEY)})
        yield Backend(settings, sandbox.base_url, f"sandbox at {sandbox.base_url} (clock={settings.sandbox_clock})")


def announce(backend: Backend, transport: str) -> None:
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
        f"toolsets={settings.toolsets} transport={transport}",
        file=sys.stderr,
        flush=True,
    )
