"""The one exception tree of polytomic-mcp.

Code below the tool layer raises; exactly one place (`tools/boundary.py`) turns an
exception into the `isError` result the agent reads, the same way for operation tools and
hand-written tools. Resources and completions use the same texts.

    PolytomicMcpError              every failure the server expects; str() is safe to show
    ├── UserInputError             the caller (agent, user or operator) can fix it
    │   ├── InvalidArgumentsError  tool arguments do not fit; nothing was sent
    │   ├── AccessDeniedError      the access policy refuses the call (tier, --deny, safe mode)
    │   │   └── NotConfirmedError  a destructive call the user did not confirm (or could not be asked)
    │   ├── NotFoundError          an id the caller gave names nothing
    │   ├── InvalidPlanError       a workflow checked its plan against the real schemas and refused it
    │   └── SettingsError          a setting, flag or request header has an unusable value
    │       ├── MissingCredentialsError   no Polytomic key for this request
    │       ├── UnknownToolsetError       (tools/toolsets.py)
    │       ├── UnknownProfileError       (tools/profiles.py)
    │       ├── UnknownDenyNameError      (guardrails/tiers.py)
    │       └── PromptFileError           a prompt file in prompts/ is malformed (prompts.py)
    └── UpstreamError              something outside the caller's input failed
        ├── PolytomicError         an API call failed: status, Polytomic's message and key (client.py)
        └── UnhealthyConnectionError   a connection the work needs is not healthy

    InputRequired                  not a failure: the call must ask the user first (2026-07-28 input
                                   request); the boundary answers with its InputRequiredResult

An error may carry `payload`: a structured report (a workflow's steps so far) that the
boundary returns as the error result's structured content instead of plain text.

Messages never hold secrets or the caller's raw values: whoever raises writes the text
from field names and expectations only.

The sandbox is a separate program (an emulator of the API); its `ApiError` is the HTTP error
body it answers with, not part of this tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.types import InputRequiredResult


class PolytomicMcpError(Exception):
    """Base of every expected failure; `str(error)` is what the agent is told."""

    def __init__(self, message: str, payload: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.payload = payload


class UserInputError(PolytomicMcpError):
    """The caller can fix this by asking differently (arguments, ids, settings)."""


class UpstreamError(PolytomicMcpError):
    """Not the caller's fault: Polytomic, the network or the state of the world failed."""


@dataclass(frozen=True, slots=True)
class ArgumentProblem:
    """One thing wrong with the arguments: which member (dotted path) and what was expected."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def format_problems(tool: str, problems: list[ArgumentProblem]) -> str:
    lines = [f"Invalid arguments for {tool} (nothing was sent to Polytomic):"]
    lines += [f"- {problem}" for problem in problems]
    lines.append("Fix these arguments and call the tool again.")
    return "\n".join(lines)


class InvalidArgumentsError(UserInputError):
    """Arguments that fail validation; raised before anything is sent."""

    def __init__(self, tool: str, problems: list[ArgumentProblem]) -> None:
        super().__init__(format_problems(tool, problems))
        self.tool = tool
        self.problems = problems


class AccessDeniedError(UserInputError):
    """A call the access policy forbids; the message names the setting that would allow it."""


class NotConfirmedError(AccessDeniedError):
    """A destructive call that did not run because the user did not confirm it; `payload` holds the preview."""


class InputRequired(Exception):  # a question, not an error: workflows' `except PolytomicMcpError` let it pass
    """Raised deep inside a call (the guard) when the user must answer first; `tools/boundary.py`
    returns `result`, and the client calls again with the answer."""

    def __init__(self, result: InputRequiredResult) -> None:
        super().__init__("input required")
        self.result = result


class NotFoundError(UserInputError):
    """An id the caller gave names no object; the message says how to find a valid one."""


class InvalidPlanError(UserInputError):
    """A workflow checked what it was asked against the real schemas and refused; nothing was created."""


class SettingsError(UserInputError, ValueError):
    """A setting, flag or request header with a value the server cannot use."""


class MissingCredentialsError(SettingsError):
    """No Polytomic API key for this request."""


class UnhealthyConnectionError(UpstreamError):
    """A connection the work needs is not healthy (OAuth not finished, credentials rejected)."""
