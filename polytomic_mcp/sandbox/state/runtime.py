"""The process-wide pieces every request and every piece of simulated work share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polytomic_mcp.catalog import Catalog
from polytomic_mcp.sandbox.config import SandboxConfig
from polytomic_mcp.sandbox.state.clock import Clock
from polytomic_mcp.sandbox.state.store import Store

CLOCK_KEY = "clock:simulated"  # meta key of the step clock's current instant


@dataclass
class Runtime:
    """One running sandbox: its settings, the catalog, its database and its clock."""

    config: SandboxConfig
    catalog: Catalog
    store: Store
    clock: Clock
    # The configured seed once parsed: (document, folder its relative paths start from).
    seed_document: tuple[dict[str, Any], Path | None] | None = None

    def now(self) -> float:
        return self.clock.now()

    def advance_clock(self, seconds: float) -> None:
        """Move simulated time forward (a no-op in real mode) and keep it in the store, so a
        sandbox restarted on the same database goes on from the same instant."""
        now = self.clock.advance(seconds)
        if self.clock.mode == "step" and seconds:
            self.store.set_meta(CLOCK_KEY, repr(now))


def open_runtime(config: SandboxConfig, catalog: Catalog) -> Runtime:
    """The runtime of a sandbox on ``config.db_path``: a step clock resumes where it stopped."""
    store = Store(config.db_path)
    stored = store.get_meta(CLOCK_KEY) if config.clock == "step" else None
    clock = Clock(config.clock, float(stored) if stored else None)
    return Runtime(config=config, catalog=catalog, store=store, clock=clock)


def new_id() -> str:
    """A fresh object id (Polytomic ids are UUIDs)."""
    return str(uuid.uuid4())
