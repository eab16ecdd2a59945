"""Asking the user to confirm a destructive call: MCP elicitation in form mode, both protocol eras.

The form shows the preview (`previews.py`) and one required checkbox, `confirm`. Only an
`accept` whose `confirm` is true counts; decline, cancel, an unticked box, no answer in
`--confirm-timeout` seconds, or a client that cannot be asked, and the call does not run.

- 2026-07-28 clients: the call answers with an `InputRequiredResult` carrying the form
  and a `request_state` ticket (the operation, a digest of its exact arguments, the key and
  session fingerprints, when it was asked). The SDK seals that state (AES-GCM, bound to the
  tool name and its arguments, with an expiry), so the client can neither read nor forge
  it; on the retry the answer counts only for the ticket it answers, from the same key and
  session, within the timeout, for the same arguments. An `input_responses` entry without
  our sealed ticket is ignored, and the question is asked again.
- Handshake-era clients with a back-channel (stdio, stateful HTTP with SSE): the server
  sends `elicitation/create` mid-call and waits at most the timeout.
- Handshake-era clients without one (stateless HTTP, JSON responses) and clients without the
  elicitation capability are refused: there is no way to ask the user.

No tool argument can stand in for the answer: it arrives only through elicitation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import anyio
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPError, NoBackChannelError
from mcp.types import ClientCapabilities, ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from polytomic_mcp.guardrails.previews import Preview

logger = logging.getLogger("polytomic_mcp.guardrails")

CONFIRM_FIELD = "confirm"
INPUT_PREFIX = "polytomic_confirm_"
STATE_MEMBER = "polytomic_confirmations"
Session = Context[Any, Any]


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    EXPIRED = "expired"
    UNSUPPORTED = "unsupported"
    NO_CHANNEL = "no_channel"
    ASKED = "asked"  # a 2026-07-28 client was sent the question; the retry carries the answer
    NOT_REQUIRED = "not_required"
    DISABLED = "disabled"


def call_digest(operation: str, arguments: dict[str, Any]) -> str:
    """Identifies one exact call: the operation and its (validated) arguments."""
    text = json.dumps([operation, arguments], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def supports_form_elicitation(capabilities: ClientCapabilities | None) -> bool:
    """Form mode is declared by `elicitation.form`, or by an empty `elicitation` (older clients)."""
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None:
        return False
    return elicitation.form is not None or elicitation.url is None


def form_schema(preview: Preview) -> dict[str, Any]:
    title = f"Yes, run {preview.tool} on {preview.subject.label()}"
    return {
        "type": "object",
        "properties": {
            CONFIRM_FIELD: {
                "type": "boolean",
                "title": title[:200],
                "description": "Tick to let the agent go ahead. Decline or cancel, and nothing is changed.",
                "default": False,
            }
        },
        "required": [CONFIRM_FIELD],
    }


def outcome_of(answer: ElicitResult) -> Outcome:
    if answer.action == "accept":
        content = answer.content or {}
        return Outcome.CONFIRMED if content.get(CONFIRM_FIELD) is True else Outcome.DECLINED
    return Outcome.DECLINED if answer.action == "decline" else Outcome.CANCELLED


def is_modern(session: Session) -> bool:
    return session.protocol_version in MODERN_PROTOCOL_VERSIONS


async def ask_mid_call(session: Session, preview: Preview, answer_within: float) -> Outcome:
    """Handshake era: send `elicitation/create` now and wait for the answer (at most `answer_within` s)."""
    if not session.session.can_send_request:
        return Outcome.NO_CHANNEL
    try:
        with anyio.fail_after(answer_within):
            answer = await session.session.elicit_form(
                preview.message(), form_schema(preview), related_request_id=session.request_id
            )
    except TimeoutError:
        return Outcome.TIMED_OUT
    except NoBackChannelError:
        return Outcome.NO_CHANNEL
    except MCPError as refused:  # the client answered the request with an error: it could not ask
        logger.info("elicitation refused by the client: %s", refused.error.code)
        return Outcome.UNSUPPORTED
    return outcome_of(answer)


@dataclass(frozen=True, slots=True)
class Ticket:
    """What one question was about, carried in the sealed request_state."""

    digest: str
    key: str | None
    session: str | None
    asked_at: float

    def as_json(self) -> dict[str, Any]:
        return {"digest": self.digest, "key": self.key, "session": self.session, "asked_at": self.asked_at}


class RetryAnswers:
    """The 2026-07-28 side of one tool call: answers the retry carries, and the next question."""

    def __init__(self, session: Session, key: str | None, session_id: str | None, timeout: float) -> None:
        self.key = key
        self.session_id = session_id
        self.timeout = timeout
        self.confirmed: set[str] = set()
        self.refused: dict[str, Outcome] = {}
        self._read(session)

    def _read(self, session: Session) -> None:
        try:
            state = json.loads(session.request_state or "{}").get(STATE_MEMBER) or {}
        except (ValueError, AttributeError):
            return  # not ours (the SDK verified the seal, so this is another flow's state)
        self.confirmed.update(str(d) for d in state.get("confirmed") or [])
        responses = dict(session.input_responses or {})
        for input_key, raw in (state.get("pending") or {}).items():
            ticket = Ticket(str(raw["digest"]), raw.get("key"), raw.get("session"), float(raw["asked_at"]))
            response = responses.get(input_key)
            if response is None or ticket.key != self.key or ticket.session != self.session_id:
                continue
            outcome = outcome_of(response) if isinstance(response, ElicitResult) else Outcome.CANCELLED
            if outcome is Outcome.CONFIRMED and time.time() - ticket.asked_at > self.timeout:
                outcome = Outcome.EXPIRED
            if outcome is Outcome.CONFIRMED:
                self.confirmed.add(ticket.digest)
            else:
                self.refused[ticket.digest] = outcome

    def answer(self, digest: str) -> Outcome | None:
        if digest in self.confirmed:
            return Outcome.CONFIRMED
        return self.refused.get(digest)

    def state(self, pending: dict[str, Ticket] | None = None) -> str:
        body = {"confirmed": sorted(self.confirmed), "pending": {k: t.as_json() for k, t in (pending or {}).items()}}
        return json.dumps({STATE_MEMBER: body}, separators=(",", ":"))

    def question(self, digest: str, preview: Preview) -> InputRequiredResult:
        input_key = INPUT_PREFIX + digest[:16]
        ticket = Ticket(digest, self.key, self.session_id, time.time())
        params = ElicitRequestFormParams(message=preview.message(), requested_schema=form_schema(preview))
        form = ElicitRequest(params=params)
        return InputRequiredResult(input_requests={input_key: form}, request_state=self.state({input_key: ticket}))
