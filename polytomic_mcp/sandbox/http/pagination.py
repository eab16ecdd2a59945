"""Opaque page tokens for the operations the catalog marks ``page_token``."""

from __future__ import annotations

import base64
import json
from typing import Any

from polytomic_mcp.sandbox.errors import bad_request
from polytomic_mcp.sandbox.http.context import Call

DEFAULT_LIMIT = 50


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _decode(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        offset = int(json.loads(base64.urlsafe_b64decode(padded))["o"])
    except (ValueError, KeyError, TypeError):
        raise bad_request("page_token is not a token this API issued", "page_token") from None
    if offset < 0:
        raise bad_request("page_token is not a token this API issued", "page_token")
    return offset


def paginate(call: Call, items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``items`` and the siblings to add to the envelope (``pagination``)."""
    if call.op.pagination is None or call.op.pagination.style != "page_token":
        return items, {}
    token = call.query.get("page_token")
    offset = _decode(token) if token else 0
    limit = int(call.query.get("limit") or DEFAULT_LIMIT)
    if limit <= 0:
        raise bad_request("limit must be positive", "limit")
    page = items[offset : offset + limit]
    more = offset + limit < len(items)
    return page, {"pagination": {"next_page_token": _encode(offset + limit) if more else None}}
