"""A tenant's first request gives it an organization record and a copy of the seed world."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from polytomic_mcp.sandbox.state.clock import iso
from polytomic_mcp.sandbox.state.runtime import Runtime
from polytomic_mcp.sandbox.world import seed

_lock = threading.Lock()


def configured_seed(runtime: Runtime) -> tuple[dict[str, Any], Path | None]:
    """The configured seed, parsed once per runtime."""
    with _lock:
        if runtime.seed_document is None:
            runtime.seed_document = seed.resolve(runtime.config.seed)
        return runtime.seed_document


def ensure_tenant(runtime: Runtime, org: str) -> bool:
    """Give a new tenant its copy of the seed world; True when this call did (its objects are next)."""
    store = runtime.store
    marker = f"tenant:{org}:ready"
    if store.get_meta(marker) is not None:
        return False
    with store.transaction():
        if store.get_meta(marker) is not None:
            return False
        document, base = configured_seed(runtime)
        seed.apply(store, org, document, base)
        if store.get(org, "organization", org) is None:
            now = iso(runtime.now(org))
            org_doc = {"id": org, "name": "Sandbox organization", "created_at": now, "updated_at": now}
            store.put(org, "organization", org, org_doc)
        store.set_meta(marker, "1")
    return True
