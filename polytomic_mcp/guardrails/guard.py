"""The guard: what stands between a tool call and every write it would make.

`GuardServices` is built once per server (it validates `--deny` and opens the audit log
at start-up); `Guard` is built per tool call by the request context. The tool layer calls
it in two places on one path:

- `ToolRegistry.call` enters `Guard.tool_call(name)`: a hand-written tool on the deny list
  is refused, and the call gets its OpenTelemetry span;
- `OperationCall` (the executor every operation goes through: typed tools, `call_write_operation`
  and each step a workflow takes via `tools/api.py`) calls `Guard.check` before validation
  (tier and deny list) and `Guard.send` around the HTTP call: safe mode, then for a
  destructive operation the preview and the user's confirmation, then the audit line and,
  for a create, the session's record of what it made.

So a destructive operation is guarded the same way however it is reached.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mcp.types import InputRequiredResult

from polytomic_mcp.client import PolytomicError
from polytomic_mcp.errors import AccessDeniedError, InputRequired, NotConfirmedError, PolytomicMcpError
from polytomic_mcp.guardrails import confirmation as confirm
from polytomic_mcp.guardrails.audit import AuditLog, fingerprint, key_fingerprint, masked_arguments
from polytomic_mcp.guardrails.confirmation import Outcome, RetryAnswers, Session
from polytomic_mcp.guardrails.previews import Preview, Reader, build_preview
from polytomic_mcp.guardrails.refusals import not_confirmed
from polytomic_mcp.guardrails.sessions import SessionIdentity, SessionLedger, check_session_owns, created_object
from polytomic_mcp.guardrails.tiers import DenyList, check_tier, denied_refusal
from polytomic_mcp.guardrails.tracing import ToolSpan, tool_span
from polytomic_mcp.settings import RequestScope, Settings, split_names
from polytomic_mcp.tools.operations.tools import OperationTool

SESSION_HEADER = "mcp-session-id"
Response = tuple[int, Any, str | None]


@dataclass
class GuardServices:
    """What every request's guard shares: the operator's deny list, the audit log, the session ledger."""

    settings: Settings
    hand_written: frozenset[str]
    deny: DenyList
    audit: AuditLog
    ledger: SessionLedger = field(default_factory=SessionLedger)

    @classmethod
    def start(cls, settings: Settings, hand_written: frozenset[str] = frozenset()) -> GuardServices:
        """Validate --deny and open --audit-log; raises SettingsError (the server exits 2)."""
        deny = DenyList.parse(split_names(settings.deny), hand_written)
        return cls(settings, hand_written, deny, AuditLog(settings.audit_log))

    def deny_list(self, scope: RequestScope) -> DenyList:
        """The operator's list plus the request's X-Polytomic-Deny names (validated the same way)."""
        operator = split_names(self.settings.deny)
        if len(scope.denied) == len(operator):
            return self.deny
        return DenyList.parse(scope.denied, self.hand_written, "the X-Polytomic-Deny header")


@dataclass
class CallRecord:
    """What the guard learned about one operation it let through (for the tool result)."""

    preview: Preview | None
    confirmation: Outcome


class Guard:
    """The guard of one tool call."""

    def __init__(
        self,
        services: GuardServices,
        scope: RequestScope,
        session: Session | None,
        over_http: bool,
        process_session: str | None,
    ) -> None:
        self.services = services
        self.scope = scope
        self.session = session
        self.over_http = over_http
        self.identity = _identity(session, over_http, process_session)
        self.key = key_fingerprint(scope.credentials)
        ident = self.identity
        self.session_print = None if ident.key is None else f"{ident.kind}:{fingerprint(ident.key)}"
        self.deny = services.deny_list(scope)
        self.tool: str | None = None
        self.span = ToolSpan(None)
        self.confirmed_here: set[str] = set()
        self._previews: dict[str, Preview] = {}  # what the user confirmed, by call digest
        self._answers: RetryAnswers | None = None

    # -- the tool call -----------------------------------------------------------------------

    @contextmanager
    def tool_call(self, name: str) -> Iterator[ToolSpan]:
        """Around one tool call: its span, and the deny list for hand-written tools."""
        self.tool = name
        with tool_span(name) as span:
            self.span = span
            span.set("session", self.session_print)
            span.set("key", self.key)
            yield span

    def check_tool(self, name: str) -> None:
        if self.deny.denies_tool(name):
            raise AccessDeniedError(denied_refusal(name, self.over_http))

    def carry_state(self, result: InputRequiredResult) -> InputRequiredResult:
        """Another question of this call (a workflow's OAuth): keep the confirmations given so far,
        beside whatever state the workflow carries itself (each under its own member)."""
        if self._answers is None or not self._answers.confirmed:
            return result
        try:
            carried = json.loads(result.request_state or "{}")
        except ValueError:
            return result  # not JSON: a state this server did not write; leave it alone
        merged = {**(carried if isinstance(carried, dict) else {}), **json.loads(self._answers.state())}
        return result.model_copy(update={"request_state": json.dumps(merged, separators=(",", ":"))})

    # -- each operation ----------------------------------------------------------------------

    def check(self, tool: OperationTool) -> None:
        """Tier and deny list, before anything else; raises AccessDeniedError."""
        operation = tool.operation
        try:
            if self.deny.denies_operation(operation):
                raise AccessDeniedError(denied_refusal(tool.name, self.over_http))
            check_tier(tool.name, operation, self.scope.access_mode, self.services.settings, self.over_http)
        except AccessDeniedError as refused:
            if not operation.read_only:
                self._audit(tool, None, "refused", Outcome.NOT_REQUIRED, error=str(refused).split(". ")[0])
            raise

    async def send(
        self,
        tool: OperationTool,
        arguments: dict[str, Any],
        transmit: Callable[[], Awaitable[Response]],
        reader: Reader,
    ) -> tuple[Response, CallRecord]:
        """Safe mode, confirmation, the call itself, then the audit line and the session record."""
        operation = tool.operation
        self.span.operation(operation.name, writes=not operation.read_only)
        if operation.read_only:
            return await transmit(), CallRecord(None, Outcome.NOT_REQUIRED)
        outcome = Outcome.NOT_REQUIRED
        preview: Preview | None = None
        try:
            self.check_session(tool, arguments)
            if operation.destructive and self.scope.confirm_destructive:
                # Read only when the user is asked: with confirmation off the call goes straight through.
                preview = self._previews.get(confirm.call_digest(operation.name, arguments))
                preview = preview or await build_preview(tool, arguments, reader)
                outcome = await self.confirm(operation.name, arguments, preview)
            elif operation.destructive:
                outcome = Outcome.DISABLED
        except InputRequired:  # only confirm() asks here: the line must not say no confirmation was needed
            self._audit(tool, arguments, "asked", Outcome.ASKED)
            raise
        except NotConfirmedError as refused:
            self._audit(tool, arguments, "not_confirmed", _outcome_of(refused, outcome))
            raise
        except AccessDeniedError as refused:
            self._audit(tool, arguments, "refused", outcome, error=str(refused).split(". ")[0])
            raise
        try:
            response = await transmit()
        except PolytomicMcpError as failure:
            status = failure.status if isinstance(failure, PolytomicError) else None
            self._audit(tool, arguments, "error", outcome, status=status, error=type(failure).__name__)
            raise
        created = created_object(operation, response[1])
        if created is not None:
            self.services.ledger.record(self.identity, self.key, created)
        self._audit(tool, arguments, "ok", outcome, status=response[0], created=created[1] if created else None)
        return response, CallRecord(preview, outcome)

    def check_session(self, tool: OperationTool, arguments: dict[str, Any]) -> None:
        """Safe mode: raise AccessDeniedError for a write on an object this session did not create."""
        if self.scope.safe_mode:
            path_values = tool.arguments.split(arguments)["path"]
            check_session_owns(tool.name, tool.operation, path_values, self.identity, self.key, self.services.ledger)

    async def confirm(self, operation: str, arguments: dict[str, Any], preview: Preview) -> Outcome:
        """The user's confirmation of this exact call; raises InputRequired or NotConfirmedError."""
        digest = confirm.call_digest(operation, arguments)
        if digest in self.confirmed_here:
            return Outcome.CONFIRMED
        self._previews[digest] = preview
        if not self.scope.confirm_destructive:
            return Outcome.DISABLED
        self.span.set("confirmation", Outcome.ASKED.value)
        outcome = await self._ask(digest, preview)
        self.span.set("confirmation", outcome.value)
        if outcome is not Outcome.CONFIRMED:
            raise NotConfirmedError(*not_confirmed(preview, outcome, self.services.settings))
        self.confirmed_here.add(digest)
        return outcome

    async def _ask(self, digest: str, preview: Preview) -> Outcome:
        session = self.session
        if session is None:
            return Outcome.UNSUPPORTED
        if not confirm.is_modern(session) and not session.session.can_send_request:
            return Outcome.NO_CHANNEL  # stateless HTTP: the server cannot reach the client mid-call
        if not confirm.supports_form_elicitation(session.client_capabilities):
            return Outcome.UNSUPPORTED
        if not confirm.is_modern(session):
            return await confirm.ask_mid_call(session, preview, self.services.settings.confirm_timeout)
        if self._answers is None:
            self._answers = RetryAnswers(session, self.key, self.session_print, self.services.settings.confirm_timeout)
        answer = self._answers.answer(digest)
        if answer is None:
            raise InputRequired(self._answers.question(digest, preview))
        return answer

    # -- the audit line ----------------------------------------------------------------------

    def _audit(
        self,
        tool: OperationTool,
        arguments: dict[str, Any] | None,
        outcome: str,
        confirmation: Outcome,
        **extra: Any,
    ) -> None:
        operation = tool.operation
        record: dict[str, Any] = {
            "tool": self.tool or tool.name,
            "operation": operation.name,
            "method": operation.method,
            "path": operation.path,
            "arguments": masked_arguments(arguments) if arguments is not None else None,
            "outcome": outcome,
            "confirmation": confirmation.value,
            "session": self.session_print,
            "key": self.key,
        }
        record.update({k: v for k, v in extra.items() if v is not None})
        self.services.audit.write(record)


def _outcome_of(refused: NotConfirmedError, fallback: Outcome) -> Outcome:
    value = (refused.payload or {}).get("confirmation")
    return Outcome(value) if isinstance(value, str) and value in set(Outcome) else fallback


def _identity(session: Session | None, over_http: bool, process_session: str | None) -> SessionIdentity:
    if over_http:
        headers = session.headers if session is not None else None
        ident = headers.get(SESSION_HEADER) if headers is not None else None
        return SessionIdentity("http", ident) if ident else SessionIdentity("none", None)
    return SessionIdentity("process", process_session)


def new_process_session() -> str:
    """The session of a stdio process or an in-memory connection (one per server lifespan)."""
    return uuid.uuid4().hex
