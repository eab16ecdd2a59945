"""Scripted agent evaluations on a deterministic sandbox: scenarios as data (scenario.py), a
runner that drives them through a real MCP client session (runner.py), assertions on the state
an agent leaves (checks.py), and adapters for pytest (pytest_plugin.py) and Inspect AI
(examples/inspect). See docs/evaluations.md. Nothing is imported here, so the pytest plugin
stays cheap to load."""
