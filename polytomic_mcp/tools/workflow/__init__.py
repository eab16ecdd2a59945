"""Workflow tools: composite tools that chain API steps the way a person would."""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer


def register_workflow_tools(server: MCPServer[Any]) -> None:
    """All workflow tools, in the order they are listed (most useful first)."""
    from polytomic_mcp.tools.workflow.composite_tool import register_composite_tool
    from polytomic_mcp.tools.workflow.diagnose import register_diagnose_tools
    from polytomic_mcp.tools.workflow.finding import register_finding_tools
    from polytomic_mcp.tools.workflow.waiting_tools import register_waiting_tools

    register_composite_tool(server)
    register_waiting_tools(server)
    register_diagnose_tools(server)
    register_finding_tools(server)
