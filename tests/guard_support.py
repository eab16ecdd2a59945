"""Helpers for the guardrail tests: a user who answers confirmations, and object existence checks.

`User(...)` is an elicitation callback for the SDK's `Client`: it records every form it was
shown and answers like a person would (accept with the box ticked, decline, cancel, accept
without ticking, or answer only after `delay` seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
from mcp.client import Client
from mcp.client.session import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult

Action = Literal["accept", "decline", "cancel"]


@dataclass
class User:
    action: Action = "accept"
    tick: bool = True
    delay: float = 0.0
    shown: list[ElicitRequestParams] = field(default_factory=list)

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        self.shown.append(params)
        if self.delay:
            await anyio.sleep(self.delay)
        if self.action == "accept":
            return ElicitResult(action="accept", content={"confirm": self.tick})
        return ElicitResult(action=self.action)

    @property
    def messages(self) -> list[str]:
        return [str(getattr(p, "message", "")) for p in self.shown]


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def exists(client: Client, tool: str, **arguments: Any) -> bool:
    """Whether a read finds the object: True on success, False on 404; anything else fails the test."""
    result = await client.call_tool(tool, arguments)
    if not result.is_error:
        return True
    assert "404" in text_of(result), f"{tool} failed otherwise: {text_of(result)}"
    return False


def not_confirmed(result: Any) -> dict[str, Any]:
    """The structured refusal of a destructive call that did not run."""
    assert result.is_error, text_of(result)
    payload = result.structured_content
    assert isinstance(payload, dict) and payload.get("status") == "not_confirmed", text_of(result)
    return payload
