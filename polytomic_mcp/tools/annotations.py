"""Tool annotations as tools/list carries them: only the hints that say something.

MCP gives every hint a default (readOnlyHint false, destructiveHint true, idempotentHint
false, openWorldHint true). A hint equal to its default is left out, since every listed
byte is paid for on every request; the destructive hint of a tool that writes is always
said, true or false, because clients use it to decide whether to ask the user.
"""

from __future__ import annotations

from mcp.types import ToolAnnotations


def listed_annotations(annotations: ToolAnnotations, title: str | None = None) -> ToolAnnotations:
    read_only = bool(annotations.read_only_hint)
    return ToolAnnotations(
        title=title if title is not None else annotations.title,
        read_only_hint=True if read_only else None,
        # Only meaningful for tools that write.
        destructive_hint=None if read_only else bool(annotations.destructive_hint),
        idempotent_hint=True if not read_only and annotations.idempotent_hint else None,
        open_world_hint=False if annotations.open_world_hint is False else None,
    )
