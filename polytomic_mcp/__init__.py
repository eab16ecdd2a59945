"""polytomic-mcp: an MCP server for the Polytomic API, with an embedded sandbox."""

__version__ = "0.1.0"
