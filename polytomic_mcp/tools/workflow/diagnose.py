"""diagnose_sync: status, counts, errors grouped by cause, recent trend, next steps."""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer


def register_diagnose_tools(server: MCPServer[Any]) -> None:
    """Registers diagnose_sync (being written)."""
