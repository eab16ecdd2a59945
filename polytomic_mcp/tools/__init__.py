"""MCP tools: operation tools from the catalog, workflow tools, discovery tools (the guard is `guardrails/`)."""
