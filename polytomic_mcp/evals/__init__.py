"""Scripted agent evaluations on a deterministic sandbox: scenarios as data, a runner that
drives them through a real MCP client session, assertions on the state an agent leaves, and
adapters for pytest and Inspect AI (docs/evaluations.md)."""

from polytomic_mcp.evals.scenario import Scenario, ScenarioError, load_scenario, load_scenarios

__all__ = ["Scenario", "ScenarioError", "load_scenario", "load_scenarios"]
