"""find_resources and describe_connection: names to ids, and what a connection offers."""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer


def register_finding_tools(server: MCPServer[Any]) -> None:
    """Registers find_resources and describe_connection (being written)."""
