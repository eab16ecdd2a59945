"""Guardrails: nothing destructive without a human, tiers below full access, an audit trail.

The guard sits on the one path every operation takes (`tools/operations/executor.py`):
tiers and the deny list (`tiers.py`), session safe mode (`sessions.py`), the user's
confirmation of destructive operations through MCP elicitation with a preview
(`confirmation.py`, `previews.py`, `refusals.py`), the audit log (`audit.py`) and optional
OpenTelemetry spans (`tracing.py`); `guard.py` puts them together. `docs/safety.md` is the
user's view of it.

Workflow code confirms an overwrite with `Api.confirm_overwrite`, optionally showing its
own diff built with `overwrite_preview`.
"""

from polytomic_mcp.guardrails.previews import ObjectRef, Preview, overwrite_preview

__all__ = ["ObjectRef", "Preview", "overwrite_preview"]
