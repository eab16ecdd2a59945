"""What the agent is told when a destructive call was not confirmed, per outcome.

Each refusal says what happened (nothing was changed), why, the preview the user would
have seen, and what can be done: by the user, or by the operator (`--confirm-destructive
never`, which the start-up line shows, turns asking off).
"""

from __future__ import annotations

from typing import Any

from polytomic_mcp.guardrails.confirmation import Outcome
from polytomic_mcp.guardrails.previews import Preview
from polytomic_mcp.settings import Settings

OPERATOR = (
    "Only the operator can let destructive operations run without asking: --confirm-destructive never "
    "(POLYTOMIC_CONFIRM_DESTRUCTIVE=never; the start-up line shows it)."
)


def _reason(outcome: Outcome, settings: Settings) -> tuple[str, str]:
    """(why, what next) for an outcome other than confirmed."""
    if outcome is Outcome.UNSUPPORTED:
        return (
            "This MCP client cannot ask the user (it does not support form elicitation), and destructive "
            "operations need the user's confirmation.",
            "Show the user the preview and let them do it in Polytomic, or use a client that supports "
            f"elicitation. {OPERATOR}",
        )
    if outcome is Outcome.NO_CHANNEL:
        return (
            "The server cannot ask the user over this connection: a handshake-era client on stateless HTTP "
            "(or JSON responses) has no channel for a question mid-call.",
            "Connect over stdio or stateful HTTP, or with a client speaking protocol 2026-07-28. " + OPERATOR,
        )
    if outcome is Outcome.DECLINED:
        return ("The user declined.", "Do not try again unless the user asks for it.")
    if outcome is Outcome.CANCELLED:
        return ("The user dismissed the confirmation.", "Ask the user whether they want this before trying again.")
    if outcome is Outcome.TIMED_OUT:
        return (
            f"The user did not answer within {settings.confirm_timeout:g} s.",
            "Call again when the user is there to answer.",
        )
    return (
        f"The answer arrived more than {settings.confirm_timeout:g} s after the question, so it no longer counts.",
        "Call again when the user is there to answer.",
    )


def not_confirmed(preview: Preview, outcome: Outcome, settings: Settings) -> tuple[str, dict[str, Any]]:
    """The message and structured report of a NotConfirmedError."""
    why, next_step = _reason(outcome, settings)
    message = f"{preview.tool} was not run; nothing was changed. {why}"
    payload: dict[str, Any] = {
        "status": "not_confirmed",
        "confirmation": outcome.value,
        "reason": message,
        "preview": preview.view(),
        "next": next_step,
    }
    return message, payload
