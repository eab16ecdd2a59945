"""Request handlers: hand-written behaviour per resource (each module registers its operations
with ``@handles``) and ``generic``, the catalog-derived behaviour of every other route."""

from __future__ import annotations

import importlib

MODULES = ("identity", "harbors", "connections", "schemas", "models", "syncs", "events", "bulk")


def register_all() -> None:
    """Import every handler module once (registration happens at import)."""
    for name in MODULES:
        importlib.import_module(f"polytomic_mcp.sandbox.handlers.{name}")
