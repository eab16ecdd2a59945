"""Shared pytest configuration. Async tests run on asyncio through pytest-asyncio in auto
mode (pyproject's [tool.pytest.ini_options]): no marker needed. The MCP SDK's Client is
opened inside each test, never in an async yield fixture (its cancel scopes must exit in
the task that entered them)."""
