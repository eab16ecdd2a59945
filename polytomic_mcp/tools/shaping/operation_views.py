"""Operation results an agent reads better as a view than as the API's raw answer.

Most operation results are the API's `data`, summarised and fitted generically. A few
answers repeat the same facts for every item (the target-fields listing repeats the same
filter-function table on every field); for those the result is a view of what the next
decision needs, with a `note` saying where the rest is. A view takes the payload and the
checked arguments and returns the payload to shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from polytomic_mcp.tools.views import obj, target_fields_view

# Names from the destination quoted in the server's own note (outside the untrusted-data fence)
# only when they are plain identifiers; anything else stays in the fenced data.
PLAIN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,79}$")
MAX_LOOKUPS_NAMED = 6

Payload = dict[str, Any]
View = Callable[[Payload, dict[str, Any]], Payload]


def target_fields_uri(connection_id: str, target_id: str) -> str:
    return f"polytomic://connections/{quote(connection_id, safe='')}/targets/{quote(target_id, safe='')}/fields"


def _target_fields(payload: Payload, arguments: dict[str, Any]) -> Payload:
    target = obj(payload.get("data"))
    if not isinstance(target.get("fields"), list):
        return payload
    connection_id = str(arguments.get("connection_id") or "")
    target_id = str(target.get("id") or arguments.get("target") or "")
    rest = f"read {target_fields_uri(connection_id, target_id)}" if connection_id and target_id else "read the target's"
    note = (
        "essentials per field (type, required, identity support, picklist values, what lookups take); "
        f"for filter functions, create/update flags, descriptions and the target's properties, {rest} "
        "resource"
    )
    view = target_fields_view(target)
    lookups = _lookups_text(view["fields"])
    if lookups:
        note = f"{lookups}; {note}"
    existing = payload.get("note")
    return {**payload, "data": view, "note": note if not isinstance(existing, str) else f"{existing}; {note}"}


def _lookups_text(fields: list[dict[str, Any]]) -> str | None:
    """What lookup fields take, as the server says it (field ids only when they are plain names)."""
    lookups = [row for row in fields if "references" in row]
    if not lookups:
        return None
    named = []
    for row in lookups[:MAX_LOOKUPS_NAMED]:
        ident, target = str(row.get("id")), row.get("references")
        if not PLAIN_NAME.match(ident):
            continue
        shown = (
            f"an existing {target} record's id"
            if isinstance(target, str) and PLAIN_NAME.match(target)
            else "a record id"
        )
        named.append(f"{ident} takes {shown}")
    more = len(lookups) - len(named)
    listed = ", ".join(named) + (f" (and {more} more)" if more and named else "")
    head = "lookup fields (references) take the id of an existing record of the object they point at, not its name"
    return f"{head}: {listed}" if named else head


# Catalog operation name → its view.
OPERATION_VIEWS: dict[str, View] = {
    "model_sync_targets_get_target_fields": _target_fields,
}


def operation_view(operation: str, payload: Payload, arguments: dict[str, Any]) -> Payload:
    """The payload as the model should see it: a view for the operations above, else unchanged."""
    view = OPERATION_VIEWS.get(operation)
    return view(payload, arguments) if view is not None else payload
