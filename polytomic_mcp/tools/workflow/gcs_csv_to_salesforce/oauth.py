"""Sending the user to an OAuth page with URL-mode elicitation, where the client can.

- 2026-07-28 clients: the tool answers with an input request (URL elicitation); the client
  shows the URL and retries the call with the user's response, and the workflow, being
  resumable, carries on from the start.
- Handshake-era clients with URL elicitation and a back-channel: the server asks mid-call.
- Anyone else: the tool returns the auth_url as a next action for the user.
After the user accepts, the connection's health is polled briefly until it turns healthy.
"""

from __future__ import annotations

import json
import logging
import uuid
from enum import Enum

from mcp.types import ElicitRequest, ElicitRequestURLParams, ElicitResult, InputRequiredResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from polytomic_mcp.tools.api import Api
from polytomic_mcp.tools.context import RequestContext
from polytomic_mcp.tools.views import HEALTHY
from polytomic_mcp.tools.workflow.waiting import Deadline, poll_until

logger = logging.getLogger("polytomic_mcp.oauth")

INPUT_KEY = "salesforce_oauth"
STATE_MEMBER = "salesforce_oauth"
MAX_AUTH_WAIT = 30.0


class OAuthOutcome(Enum):
    AUTHORIZED = "authorized"
    PENDING = "pending"


def supports_url_elicitation(context: RequestContext) -> bool:
    capabilities = context.client_capabilities
    return bool(capabilities and capabilities.elicitation and capabilities.elicitation.url is not None)


def link_asked_before(context: RequestContext, connection_id: str) -> str | None:
    """The sign-in link this tool showed the user in the previous round, for this connection."""
    try:
        carried = json.loads(context.request_state or "{}").get(STATE_MEMBER) or {}
    except (ValueError, AttributeError):
        return None
    url = carried.get("url") if carried.get("connection_id") == connection_id else None
    return str(url) if url else None


def answered_oauth(context: RequestContext) -> bool:
    """Whether this call is the retry that carries the user's answer to our OAuth request."""
    return INPUT_KEY in context.input_responses


def _message(connection_id: str) -> str:
    return f"Sign in to Salesforce to authorize Polytomic connection {connection_id}, then return here."


async def _wait_healthy(context: RequestContext, api: Api, connection_id: str, deadline: Deadline) -> OAuthOutcome:
    window = Deadline(min(deadline.left(), MAX_AUTH_WAIT))

    async def check() -> tuple[bool, float, float | None, str]:
        connection = await api.data("connections_get", connection_id=connection_id)
        healthy = connection.get("status") == HEALTHY
        return healthy, 1.0 if healthy else 0.0, 1.0, "waiting for Salesforce sign-in"

    return OAuthOutcome.AUTHORIZED if await poll_until(context, window, check) else OAuthOutcome.PENDING


async def authorize(
    context: RequestContext, api: Api, connection_id: str, url: str, deadline: Deadline
) -> OAuthOutcome | InputRequiredResult:
    if not supports_url_elicitation(context):
        return OAuthOutcome.PENDING
    if context.protocol_version in MODERN_PROTOCOL_VERSIONS:
        response = context.input_responses.get(INPUT_KEY)
        if response is None:
            request = ElicitRequest(params=ElicitRequestURLParams(message=_message(connection_id), url=url))
            # The retry brings the answer but not the link: keep it in the (sealed) request state.
            state = json.dumps({STATE_MEMBER: {"connection_id": connection_id, "url": url}}, separators=(",", ":"))
            return InputRequiredResult(input_requests={INPUT_KEY: request}, request_state=state)
        accepted = isinstance(response, ElicitResult) and response.action == "accept"
    else:
        try:
            answer = await context.elicit_url(_message(connection_id), url, uuid.uuid4().hex)
        except Exception as unavailable:  # no back-channel (e.g. stateless HTTP): fall back to the next action
            logger.info("URL elicitation unavailable: %s", type(unavailable).__name__)
            return OAuthOutcome.PENDING
        accepted = answer.action == "accept"
    if not accepted:
        return OAuthOutcome.PENDING
    return await _wait_healthy(context, api, connection_id, deadline)
