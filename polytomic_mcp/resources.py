"""polytomic:// resources, resource templates and completions."""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer


def register_resources(server: MCPServer[Any]) -> None:
    """Registers resources, templates and completions (being written)."""
