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


def new_id() -> str:
    """A fresh object id (Polytomic ids are UUIDs)."""
    return str(uuid.uuid4())
