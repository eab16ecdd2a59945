"""The audit trail: one JSON line per write, to `--audit-log FILE` and to stderr at INFO.

A line is written for every write the server is asked to make, whatever became of it:

    {"time": "2026-05-04T09:12:33.120Z", "event": "write", "tool": "call_write_operation",
     "operation": "model_sync_delete", "method": "DELETE", "path": "/api/syncs/{id}",
     "arguments": {"id": "6b3e…"}, "outcome": "ok", "status": 204,
     "confirmation": "confirmed", "session": "process:1f0c…", "key": "sha256:9a41…"}

`outcome` is ok, error (Polytomic refused; `status` and `error` say how), refused (tier,
--deny or safe mode; `error` says which), not_confirmed, or asked (a 2026-07-28 client was
sent the confirmation question; its answer comes with the retry, which writes its own line).
`confirmation` is confirmed, declined, cancelled, timed_out, expired, unsupported,
no_channel, asked (the question is out, with outcome asked), not_required (not destructive)
or disabled (`--confirm-destructive never`).
Arguments are masked: every secret-named member, whatever its type, and every value inside a
configuration, credentials, params, headers or query member (their member names stay);
`session` and `key` are fingerprints (a hash), never the session id or the key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from polytomic_mcp.errors import SettingsError
from polytomic_mcp.settings import Credentials
from polytomic_mcp.tools.shaping.sanitize import MASK, SENSITIVE_CONTAINERS, sanitize

logger = logging.getLogger("polytomic_mcp.audit")

FINGERPRINT_LABEL = b"polytomic-mcp fingerprint\x00"


def fingerprint(secret: str) -> str:
    """A short one-way digest that tells two values apart without revealing either."""
    return hashlib.sha256(FINGERPRINT_LABEL + secret.encode()).hexdigest()[:16]


def key_fingerprint(credentials: Credentials | None) -> str | None:
    return None if credentials is None else f"sha256:{fingerprint(credentials.api_key)}"


def masked_arguments(arguments: dict[str, Any]) -> Any:
    """Arguments with every secret-named member masked, and every value inside a configuration,
    credentials, params, headers or query member too: a connection type may mark any of its
    members sensitive (a client id, a header value), and the audit line keeps only their names."""
    return _mask_containers(sanitize(arguments, mask_every_type=True), inside=False)


def _mask_containers(value: Any, inside: bool) -> Any:
    if isinstance(value, dict):
        return {
            key: _mask_containers(item, inside or str(key).lower() in SENSITIVE_CONTAINERS)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask_containers(item, inside) for item in value]
    if inside and value not in (None, "", MASK):
        return MASK
    return value


class AuditLog:
    """Appends audit records to a file (when configured) and logs them at INFO."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        if path:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the server's life
            except OSError as failure:
                raise SettingsError(
                    f"--audit-log: cannot open the file for appending ({failure.strerror}); "
                    "give a writable path or leave the setting out"
                ) from None

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps({"time": _now(), "event": "write", **record}, ensure_ascii=False, separators=(",", ":"))
        logger.info("audit %s", line)
        if self._file is None:
            return
        try:
            with self._lock:
                self._file.write(line + "\n")
                self._file.flush()
        except OSError:
            logger.exception("could not append to the audit log")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
