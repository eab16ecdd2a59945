"""`--deterministic` (for evaluations only): what a result shows that would differ between two
runs of the same calls against a step-clock sandbox is made a function of the call.

* The untrusted-data fence nonce is derived from the fenced text instead of drawn at random.
  Data still cannot close a fence without knowing its own digest, but anyone who knows the
  rule can compute it offline, so this is weaker than the random nonce: never for production.
* Waiting tools report the time they paused between polls (`waited_s`) rather than the wall
  clock, which also counts how fast the machine answered.

The setting is per request (a context variable the server sets around each tool call), so
servers with and without it can share a process, as the tests do.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DETERMINISTIC: ContextVar[bool] = ContextVar("polytomic_mcp_deterministic", default=False)
NONCE_RANGE = 1_000_000  # six digits


def enabled() -> bool:
    return _DETERMINISTIC.get()


@contextmanager
def deterministic(on: bool) -> Iterator[None]:
    """Run the block with deterministic results on or off."""
    token = _DETERMINISTIC.set(on)
    try:
        yield
    finally:
        _DETERMINISTIC.reset(token)


def fence_nonce(text: str) -> int:
    """Six digits for an untrusted-data fence: random, or with --deterministic a digest of the text."""
    if not enabled():
        return secrets.randbelow(NONCE_RANGE)
    digest = hashlib.sha256(b"polytomic-mcp fence\0" + text.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % NONCE_RANGE
