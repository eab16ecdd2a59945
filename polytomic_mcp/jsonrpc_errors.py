"""JSON-RPC errors for messages the server cannot read, shared by the stdio and HTTP transports.

An answer never repeats what the message held (it may carry a secret): it says what was wrong
and carries the request's id when Python's own parser can still read one, else null.
"""

from __future__ import annotations

import json
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
NOT_A_MESSAGE = "Invalid request: not a JSON-RPC 2.0 request, notification or response"


def request_id(raw: Any) -> str | int | None:
    """The id of a request, when the text or object can still be read by Python's parser."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested past Python's limit too
            return None
    value = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return value
