"""Access policy: which tools a request may list and call.

The mode comes from the operator (flag or environment) and, over HTTP, may be narrowed
by the `X-Polytomic-Access-Mode` request header. Refusals name the setting that would
allow the call, so the user knows what to change.
"""

from __future__ import annotations

from polytomic_mcp.errors import AccessDeniedError
from polytomic_mcp.settings import AccessMode, Settings


def refusal_message(tool: str, mode: AccessMode, settings: Settings, over_http: bool) -> str:
    lines = [f"{tool} changes data in Polytomic, and this server is in {mode.value} mode, so it was not run."]
    if settings.effective_access_mode is AccessMode.FULL_ACCESS and over_http:
        lines.append(
            "The request header 'X-Polytomic-Access-Mode: read-only' (or any value but 'full-access') "
            "narrowed the mode; drop that header."
        )
    else:
        lines.append(
            "To allow it, the operator must start the server with --access-mode full-access "
            "(or set POLYTOMIC_ACCESS_MODE=full-access)."
        )
    lines.append("Read-only tools (get, list, status, diagnose) remain available.")
    return " ".join(lines)


def check_allowed(tool: str, writes: bool, mode: AccessMode, settings: Settings, over_http: bool) -> None:
    if writes and not mode.allows(read_only_operation=False):
        raise AccessDeniedError(refusal_message(tool, mode, settings, over_http))
