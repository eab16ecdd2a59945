"""What one call of the composite did, step by step, and how its failures are told.

A failure inside a step is reported in the composite's own terms: the step that failed
(`gcs_connection`, not "api") and the tool's own arguments (`service_account_json`), never an
API member the agent never sent (`configuration.service_account`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from polytomic_mcp.client import PolytomicError
from polytomic_mcp.errors import InvalidArgumentsError, PolytomicMcpError
from polytomic_mcp.tools.boundary import error_text
from polytomic_mcp.tools.tool_names import SYNC_GCS_CSV_TO_SALESFORCE

StepStatus = Literal[
    "reused",
    "exists",
    "created",
    "updated",
    "checked",
    "would_create",
    "would_update",
    "not_updated",
    "pending",
    "failed",
    "started",
    "skipped",
]

# The API members each step sends, by the composite argument they come from.
STEP_ARGUMENTS: dict[str, dict[str, str]] = {
    "gcs_connection": {
        "configuration.service_account": "service_account_json",
        "configuration.bucket": "bucket",
        "configuration": "service_account_json and bucket",
    },
    "salesforce_connection": {"configuration.domain": "salesforce_domain", "redirect_url": "redirect_url"},
    "model": {"configuration.key": "csv_key"},
    "sync": {
        "mode": "mode",
        "target.object": "target_object",
        "identity.target": "identity_target_field",
        "identity.function": "identity_function",
        "identity.source": "identity_source_field",
        "fields": "field_mappings",
        "schedule": "schedule",
    },
}


@dataclass
class Report:
    """What the call did, step by step, and what to do next."""

    status: str = "in_progress"
    steps: list[dict[str, Any]] = field(default_factory=list)
    plan: dict[str, Any] | None = None
    execution: dict[str, Any] | None = None
    next: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def step(self, name: str, status: StepStatus, ident: str | None = None, detail: str | None = None) -> None:
        row: dict[str, Any] = {"step": name, "status": status}
        if ident:
            row["id"] = ident
        if detail:
            row["detail"] = detail
        self.steps.append(row)

    def warn(self, text: str) -> None:
        self.extra.setdefault("warnings", []).append(text)

    def finish(self, status: str, advice: str) -> dict[str, Any]:
        self.status, self.next = status, advice
        out: dict[str, Any] = {"status": self.status, "steps": self.steps}
        if self.plan is not None:
            out["plan"] = self.plan
        if self.execution is not None:
            out["execution"] = self.execution
        out.update(self.extra)
        out["next"] = self.next
        return out


class Finished(Exception):
    """Ends the setup early with a finished report that is not an error (waiting for the user
    or for Polytomic); failures raise from the error tree instead, carrying the report."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("status"))
        self.payload = payload


def idempotency_key(*parts: object) -> str:
    """A key derived from the inputs: the same step with the same inputs reuses it."""
    digest = hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:40]
    return f"pmcp-{digest}"


def argument_for(step: str, member: str) -> str | None:
    """The composite argument an API member of this step comes from (longest prefix wins)."""
    known = STEP_ARGUMENTS.get(step, {})
    matches = [prefix for prefix in known if member == prefix or member.startswith(prefix + ".")]
    return known[max(matches, key=len)] if matches else None


def step_failure_text(step: str, failure: PolytomicMcpError) -> str:
    """A step's failure in the composite's terms: the step, and the tool argument at fault."""
    if isinstance(failure, InvalidArgumentsError):
        lines = [f"{SYNC_GCS_CSV_TO_SALESFORCE}: step {step} could not send its request (nothing was sent):"]
        for problem in failure.problems:
            argument = argument_for(step, problem.field)
            lines.append(f"- {argument}: {problem.message}" if argument else f"- {problem}")
        return "\n".join(lines)
    text = error_text(failure, SYNC_GCS_CSV_TO_SALESFORCE)
    if isinstance(failure, PolytomicError):
        member = str(failure.metadata.get("field") or "")
        argument = argument_for(step, member) if member else None
        blame = f"; check {argument}" if argument else ""
        return f"step {step} failed{blame}.\n{text}"
    return f"step {step} failed.\n{text}"
