"""One pass over a payload before the model sees it, and the tool result made from it.

Shaping never decides a call's outcome: when summarising, fitting or rendering fails (a
bug, or a payload shape nobody foresaw), the result keeps the call's outcome and carries
the sanitised payload as plain JSON instead, and the failure is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from mcp.types import CallToolResult, TextContent

from polytomic_mcp.tokens import compact_json
from polytomic_mcp.tools.shaping.budget import Cut, fit
from polytomic_mcp.tools.shaping.render import fence, render
from polytomic_mcp.tools.shaping.sanitize import clean_strings, sanitize
from polytomic_mcp.tools.shaping.summarize import summarize_items

logger = logging.getLogger("polytomic_mcp.tools")


@dataclass(frozen=True, slots=True)
class ShapeOptions:
    budget: int
    list_result: bool = False  # an operation that returns a list: summarise it, honour fields/skip
    fields: list[str] | None = None
    skip: int = 0
    # A result made only of the server's own words (the catalog): not fenced as untrusted data,
    # and no member is masked (a schema's `query` member or an example's `api_key: ...` is no secret).
    server_words: bool = False
    tables: bool = True  # False: every list stays a list (results whose shape matters, like schemas)


def _list_note(total: int, skip: int, omitted: list[str]) -> str | None:
    parts: list[str] = []
    if omitted:
        parts.append(
            f"items summarised (left out: {', '.join(omitted[:8])}); pass fields=[...] for chosen members "
            "or fields=['*'] for everything"
        )
    if skip:
        parts.append(f"skipped the first {skip} of {total} items")
    return "; ".join(parts) if parts else None


def _cut_note(cuts: list[Cut], skip: int, budget: int) -> str:
    described = "; ".join(c.describe() for c in cuts[:3]) + (f"; and {len(cuts) - 3} more" if len(cuts) > 3 else "")
    advice = []
    for cut in cuts:
        if cut.path == "data" and cut.unit == "items":
            advice.append(f"call again with skip={skip + cut.kept} for the next items")
    if not advice:
        advice.append("ask for less (fields, filters, a narrower query)")
    return f"cut to fit the {budget}-token result budget ({described}); " + ", or ".join(advice)


def shape_payload(payload: dict[str, Any], options: ShapeOptions) -> dict[str, Any]:
    """Sanitised, summarised and fitted; notes say what was summarised or cut and how to get more."""
    shaped: dict[str, Any] = clean_strings(payload) if options.server_words else sanitize(payload)
    list_note = None
    data = shaped.get("data")
    if options.list_result and isinstance(data, list):
        summary = summarize_items(data[options.skip :], options.fields)
        shaped["data"] = summary.items
        list_note = _list_note(len(data), options.skip, summary.omitted)
    fitted_value, cuts = fit(shaped, options.budget)
    fitted: dict[str, Any] = fitted_value
    if cuts:
        fitted["cut"] = _cut_note(cuts, options.skip, options.budget)
    if list_note:
        existing = fitted.get("note")
        fitted["note"] = list_note if not isinstance(existing, str) else f"{list_note}; {existing}"
    return fitted


def shaped_result(payload: dict[str, Any], options: ShapeOptions, is_error: bool = False) -> CallToolResult:
    try:
        shaped = shape_payload(payload, options)
        text = render(shaped, fenced=not options.server_words, tables=options.tables)
    except Exception:
        logger.exception("shaping a result failed; answering with its plain JSON")
        return plain_result(payload, is_error)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=shaped, is_error=is_error)


UNSHAPED_NOTE = "shown as plain JSON: the server could not render this result compactly (a bug; see the server log)"


def plain_result(payload: Any, is_error: bool = False) -> CallToolResult:
    """The outcome with the sanitised payload as plain JSON; without it when even that fails."""
    outcome = "failed" if is_error else "succeeded"
    try:
        clean = sanitize(payload)
        text = f"{fence(compact_json(clean))}\nnote: the call {outcome}; {UNSHAPED_NOTE}"
    except Exception:  # nothing of the payload is shown unless it went through sanitize
        logger.exception("even the plain form of a result failed")
        clean = None
        text = f"The call {outcome}, but the server could not show its result (a bug; see the server log)."
    structured = clean if isinstance(clean, dict) else None
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=structured, is_error=is_error
    )
