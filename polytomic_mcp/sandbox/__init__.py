"""An embedded, stateful emulator of the Polytomic REST API (routes derived from the catalog).

Subpackages: ``http`` (the request surface), ``handlers`` (what each operation does), ``engine``
(simulated work over time), ``world`` (buckets and Salesforce orgs), ``state`` (store, clock),
``seeds`` (the default world). ``config`` and ``server`` hold the public entry points."""

from polytomic_mcp.sandbox.config import SandboxConfig
from polytomic_mcp.sandbox.http.app import create_app
from polytomic_mcp.sandbox.server import RunningSandbox, serve, start_sandbox
from polytomic_mcp.sandbox.world.seed import problem as seed_problem

__all__ = ["RunningSandbox", "SandboxConfig", "create_app", "seed_problem", "serve", "start_sandbox"]
