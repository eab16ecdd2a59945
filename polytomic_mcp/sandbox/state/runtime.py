"""The process-wide pieces every request and every piece of simulated work share.

Time, ids and tokens are per tenant. In ``step`` clock mode they are deterministic: a
tenant's clock starts at ``STEP_EPOCH`` and moves only with its own requests (or
``/sandbox/clock/advance``); ids are UUIDv5 of the tenant and its own sequence number;
tokens (OAuth state, log-file links, minted keys) are hashes of the same. So a tenant that
is reset and sent the same requests gets the same answers, byte for byte, whatever other
tenants do meanwhile. In ``real`` mode time is the wall clock and ids and tokens are random.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polytomic_mcp.catalog import Catalog
from polytomic_mcp.sandbox.config import SandboxConfig
from polytomic_mcp.sandbox.state.clock import STEP_EPOCH
from polytomic_mcp.sandbox.state.store import Store

# Databases written before clocks were per tenant kept one shared instant here; their tenants
# go on from it rather than jumping back to the epoch.
LEGACY_CLOCK_KEY = "clock:simulated"
_ID_NAMESPACE = uuid.UUID("5b0f3c7e-2a44-4f0e-8d6b-91c2a7e4d310")


def clock_key(org: str) -> str:
    """The meta key of a tenant's simulated instant (dropped with the tenant on reset)."""
    return f"tenant:{org}:clock"


@dataclass
class Runtime:
    """One running sandbox: its settings, the catalog and its database."""

    config: SandboxConfig
    catalog: Catalog
    store: Store
    step_start: float = STEP_EPOCH  # where a tenant's step clock starts
    # The configured seed once parsed: (document, folder its relative paths start from).
    seed_document: tuple[dict[str, Any], Path | None] | None = None

    @property
    def stepped(self) -> bool:
        return self.config.clock == "step"

    def now(self, org: str) -> float:
        """The tenant's current time: the wall clock, or its own simulated instant."""
        if not self.stepped:
            return time.time()
        stored = self.store.get_meta(clock_key(org))
        return float(stored) if stored is not None else self.step_start

    def advance_clock(self, org: str, seconds: float) -> float:
        """Move the tenant's simulated time forward (a no-op in real mode); kept in the store,
        so a sandbox restarted on the same database goes on from the same instant."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        if not self.stepped:
            return time.time()
        with self.store.transaction():
            now = self.now(org) + seconds
            if seconds:
                self.store.set_meta(clock_key(org), repr(now))
        return now

    def new_id(self, org: str) -> str:
        """A fresh object id (Polytomic ids are UUIDs): UUIDv5 of tenant and sequence in step mode."""
        if not self.stepped:
            return str(uuid.uuid4())
        number = self.store.next_tenant_number(org, "ids")
        return str(uuid.uuid5(_ID_NAMESPACE, f"{org}:{number}"))

    def token(self, org: str, nbytes: int) -> str:
        """An unguessable URL-safe token (random), or in step mode one derived from the tenant's
        sequence: reproducible, so never a secret (evaluations only)."""
        if not self.stepped:
            return secrets.token_urlsafe(nbytes)
        number = self.store.next_tenant_number(org, "tokens")
        digest = hashlib.sha256(f"{_ID_NAMESPACE}:{org}:{number}".encode()).digest()
        return base64.urlsafe_b64encode(digest[: min(nbytes, len(digest))]).rstrip(b"=").decode()


def open_runtime(config: SandboxConfig, catalog: Catalog) -> Runtime:
    """The runtime of a sandbox on ``config.db_path``: step clocks resume where they stopped."""
    store = Store(config.db_path)
    legacy = store.get_meta(LEGACY_CLOCK_KEY) if config.clock == "step" else None
    start = float(legacy) if legacy else STEP_EPOCH
    return Runtime(config=config, catalog=catalog, store=store, step_start=start)
