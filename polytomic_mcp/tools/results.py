"""Turning API answers into tool results: the structured payload, its text rendering, and
errors that say what failed and what to do next."""

from __future__ import annotations

from typing import Any

from mcp.types import CallToolResult, TextContent

from polytomic_mcp.catalog import Operation
from polytomic_mcp.client import PolytomicError
from polytomic_mcp.tools.shaping.render import TRUSTED_KEYS, fence
from polytomic_mcp.tools.shaping.sanitize import clean_text

NEXT_STEPS: dict[int, str] = {
    400: "Check the arguments the message names and call again with corrected values.",
    401: "The Polytomic API key is missing or invalid: set POLYTOMIC_API_KEY (stdio) or send "
    "'Authorization: Bearer <key>' (HTTP).",
    403: "The key is not allowed to do this (partner-only operations need a partner key; "
    "policies may restrict the user).",
    404: "The id does not exist or belongs to another organization; look it up with find_resources or a list tool.",
    408: "Polytomic timed out; call again.",
    409: "Something else is in progress (a running execution, or the same request still in flight); "
    "wait for it (wait_for_execution) and retry.",
    410: "The prepared action or token expired; prepare it again.",
    422: "Polytomic rejected the request as given; fix the field named in the message (valid choices are listed "
    "by the related get/list tool) and call again.",
    429: "Polytomic is rate limiting this key; wait before calling again.",
}

CACHE_NOT_READY_MARKERS = ("cache refresh in progress", "did not provide any schemas", "schema cache")


def text_result(text: str, structured: dict[str, Any] | None = None, is_error: bool = False) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=structured, is_error=is_error
    )


def error_result(message: str) -> CallToolResult:
    return text_result(message, is_error=True)


# Where each paging style puts the next cursor: (member of the body, member of that object).
CURSOR_MEMBERS = {
    "page_token": ("pagination", "next_page_token"),
    "after": ("data", "next_cursor"),
    "links": ("links", "next"),
}


def next_page_token(operation: Operation, body: Any) -> str | None:
    """The cursor to pass back for the next page, wherever this operation puts it."""
    if operation.pagination is None or not isinstance(body, dict):
        return None
    found = CURSOR_MEMBERS.get(operation.pagination.style)
    if found is None:
        return None
    holder, member = found
    where = body.get(holder)
    token = where.get(member) if isinstance(where, dict) else None  # any other shape carries no cursor
    return str(token) if isinstance(token, str | int) and token != "" else None


# Top-level members the server speaks through (rendered outside the untrusted-data fence); an
# upstream envelope member of the same name is kept under `upstream_<name>`, inside it.
SERVER_MEMBERS = frozenset(TRUSTED_KEYS)


def structured_payload(operation: Operation, status: int, body: Any, location: str | None) -> dict[str, Any]:
    """`{data, next_page_token?, job?, …}` from an API envelope."""
    if isinstance(body, dict) and "data" in body:
        payload = {(f"upstream_{k}" if k in SERVER_MEMBERS else k): v for k, v in body.items() if k != "pagination"}
    elif body is None:
        payload = {"data": None, "status": status}
        if location:
            payload["location"] = location
    else:
        payload = {"data": body}
    token = next_page_token(operation, body)
    if token:
        payload["next_page_token"] = token
    return payload


def api_error_text(tool: str, failure: PolytomicError) -> str:
    """What failed (status, Polytomic's message and key) and the next step."""
    status, message, key, retry_after = failure.status, failure.message, failure.key, failure.retry_after
    upstream = fence(clean_text(message or "(none)"))
    head = f"{tool} failed: Polytomic answered {status}" if status else f"{tool} failed: {upstream}"
    lines = [head]
    if status:
        lines.append(f"message: {upstream}")
    if key:
        lines.append(f"key: {clean_text(key)}")
    lower = (message or "").lower()
    if status in (400, 422) and any(marker in lower for marker in CACHE_NOT_READY_MARKERS):
        step = "The connection's schema cache is not ready yet: call wait_schema_ready, then retry."
    elif status is None:
        step = "Polytomic could not be reached; check the network or base URL and retry."
    elif status >= 500:
        step = "Polytomic failed on its side (after retries); try again later."
    else:
        step = NEXT_STEPS.get(status, "Check the request and try again.")
    if retry_after:
        step += f" Retry after {retry_after:g} s."
    lines.append(f"next step: {step}")
    return "\n".join(lines)
