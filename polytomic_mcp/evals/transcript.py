"""Playing a scenario's scripted transcript through an MCP client session, and the simulated
user who answers the server's questions (confirmations, OAuth links) as the scenario says."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mcp.client import Client
from mcp.client.session import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitRequestURLParams, ElicitResult

from polytomic_mcp.evals.scenario import AdvanceStep, ApproveStep, CallStep, Scenario, Step
from polytomic_mcp.evals.state import TenantState
from polytomic_mcp.tokens import count_tokens

REFERENCE = re.compile(r"\$\{(seed|saved)\.([^}]+)\}")


@dataclass(frozen=True)
class ToolCall:
    """One tool call as the agent saw it."""

    tool: str
    arguments: dict[str, Any]
    is_error: bool
    text: str
    structured: Any
    tokens: int


@dataclass
class Episode:
    """What happened: every tool call, and the steps that did not go as the transcript expected."""

    calls: list[ToolCall] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seed_ids: dict[str, Any] = field(default_factory=dict)
    saved: dict[str, Any] = field(default_factory=dict)

    @property
    def result_tokens(self) -> int:
        return sum(call.tokens for call in self.calls)


class SimulatedUser:
    """Answers elicitations: a destructive call's confirmation, and OAuth links (authorized through
    the sandbox's approve route, as if the user had opened the link)."""

    def __init__(self, scenario: Scenario, state: TenantState) -> None:
        self.confirm = scenario.user.confirm
        self.authorize_oauth = scenario.user.authorize_oauth
        self.state = state

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        if isinstance(params, ElicitRequestURLParams):
            if not self.authorize_oauth:
                return ElicitResult(action="decline")
            await self.state.approve_oauth()
            return ElicitResult(action="accept")
        if self.confirm == "accept":
            return ElicitResult(action="accept", content={"confirm": True})
        return ElicitResult(action="decline")


class UnknownReference(LookupError):
    pass


def _lookup(episode: Episode, source: str, dotted: str) -> Any:
    value: Any = episode.seed_ids if source == "seed" else episode.saved
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise UnknownReference(f"${{{source}.{dotted}}}")
        value = value[part]
    return value


def substitute(value: Any, episode: Episode) -> Any:
    """`${seed.syncs.NAME}` and `${saved.NAME}` in strings; a string that is only a reference takes its value."""
    if isinstance(value, dict):
        return {k: substitute(v, episode) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, episode) for v in value]
    if not isinstance(value, str):
        return value
    whole = REFERENCE.fullmatch(value)
    if whole:
        return _lookup(episode, whole.group(1), whole.group(2))
    return REFERENCE.sub(lambda m: str(_lookup(episode, m.group(1), m.group(2))), value)


def dig(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise KeyError(dotted)
    return value


async def call_tool(client: Client, episode: Episode, tool: str, arguments: dict[str, Any]) -> ToolCall:
    result = await client.call_tool(tool, arguments)
    text = "".join(getattr(block, "text", "") for block in result.content)
    call = ToolCall(tool, arguments, bool(result.is_error), text, result.structured_content, count_tokens(text))
    episode.calls.append(call)
    return call


async def _call_step(client: Client, episode: Episode, where: str, step: CallStep) -> bool:
    try:
        arguments = substitute(step.arguments, episode)
    except UnknownReference as missing:
        episode.failures.append(f"{where}: {missing} names nothing seeded or saved before this step")
        return False
    call = await call_tool(client, episode, step.call, arguments)
    outcome = "error" if call.is_error else "ok"
    if step.expect != "any" and outcome != step.expect:
        episode.failures.append(f"{where} {step.call}: expected {step.expect}, got {outcome}: {call.text[:300]}")
        return False
    for wanted in step.contains:
        if wanted not in call.text:
            episode.failures.append(f"{where} {step.call}: the result does not contain {wanted!r}")
            return False
    for name, path in step.save.items():
        try:
            episode.saved[name] = dig(call.structured, path)
        except KeyError:
            episode.failures.append(f"{where} {step.call}: save {name}: no {path!r} in the structured result")
            return False
    return True


async def play(client: Client, state: TenantState, steps: list[Step], episode: Episode) -> None:
    """Run the steps in order; stop at the first that does not go as expected (later ones build on it)."""
    for index, step in enumerate(steps):
        where = f"transcript[{index}]"
        if isinstance(step, CallStep):
            if not await _call_step(client, episode, where, step):
                return
        elif isinstance(step, ApproveStep):
            named = step.approve_oauth if isinstance(step.approve_oauth, str) else None
            if step.approve_oauth is False:
                continue
            target = substitute(named, episode) if named else None
            if not await state.approve_oauth(target):
                episode.failures.append(f"{where}: approve_oauth found no pending OAuth to approve")
                return
        elif isinstance(step, AdvanceStep):
            await state.advance_clock(step.advance_clock)
