"""An embedded, stateful emulator of the Polytomic REST API (routes derived from the catalog)."""

from polytomic_mcp.sandbox.app import create_app
from polytomic_mcp.sandbox.config import SandboxConfig
from polytomic_mcp.sandbox.server import RunningSandbox, serve, start_sandbox

__all__ = ["RunningSandbox", "SandboxConfig", "create_app", "serve", "start_sandbox"]
