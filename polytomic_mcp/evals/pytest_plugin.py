"""A pytest plugin for evaluations against the sandbox (registered as the `polytomic_mcp` pytest11
entry point; `-p no:polytomic_mcp` turns it off). Importing it is cheap and its fixtures do
nothing until a test asks for one, so it costs suites that do not use it nothing.

Fixtures:

* `polytomic_sandbox` (session): a step-clock sandbox on loopback, shared by every test;
  `.base_url`. Set `POLYTOMIC_EVAL_SANDBOX_URL` to use one already running instead.
* `polytomic_tenant`: a fresh tenant of its own (a key derived from the test's id, reset
  first), seeded with the test's `@pytest.mark.polytomic_seed(document_or_path)` if it has
  one; `.key`, `.seed_ids`, and async `.seed()`, `.approve_oauth()`, `.records()`,
  `.objects()`, `.operations_sent()`, and `.assert_state(assertions)` (a scenario's `assert`
  section; fails the test naming every failed check).
* `polytomic_session`: opens a connected MCP client session on the tenant, a real
  `mcp.client.Client` over a stdio server subprocess: `async with polytomic_session() as client:`
  (a factory, because the SDK's client must be closed in the task that opened it).

    @pytest.mark.polytomic_seed("seeds/preset.yaml")
    async def test_the_agent_syncs(polytomic_tenant, polytomic_session):
        async with polytomic_session() as client:
            await client.call_tool("run_sync_and_wait", {"sync_id": polytomic_tenant.seed_ids["syncs"]["Users"]})
        await polytomic_tenant.assert_state({"executions": [{"sync": "Users", "count": 1}]})
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mcp.client import Client

    from polytomic_mcp.evals.state import TenantState

SANDBOX_URL_ENV = "POLYTOMIC_EVAL_SANDBOX_URL"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "polytomic_seed(document): seed (a dict or a YAML/JSON file) for the polytomic_tenant fixture"
    )


class SandboxHandle:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url


@pytest.fixture(scope="session")
def polytomic_sandbox() -> Iterator[SandboxHandle]:
    shared = os.environ.get(SANDBOX_URL_ENV)
    if shared:
        yield SandboxHandle(shared.rstrip("/"))
        return
    from polytomic_mcp.sandbox import SandboxConfig, start_sandbox

    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield SandboxHandle(running.base_url)


class EvalTenant:
    """One test's tenant; every method talks to the sandbox over HTTP with the tenant's key."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.key = key
        self.seed_ids: dict[str, Any] = {}

    @asynccontextmanager
    async def _state(self) -> AsyncIterator[TenantState]:
        import httpx

        from polytomic_mcp.evals import state

        async with httpx.AsyncClient(timeout=120) as http:
            yield state.TenantState(self.base_url, self.key, http)

    async def seed(self, document: dict[str, Any], start_from: str = "default") -> dict[str, Any]:
        """Reset the tenant and seed it; the seeded objects' ids by section and name."""
        async with self._state() as state:
            self.seed_ids = await state.reset(start_from, document)
        return self.seed_ids

    async def approve_oauth(self, connection_id: str | None = None) -> list[str]:
        async with self._state() as state:
            return await state.approve_oauth(connection_id)

    async def records(self, obj: str, domain: str = "acme.my.salesforce.com") -> list[dict[str, Any]]:
        async with self._state() as state:
            return await state.records(domain, obj)

    async def objects(self, kind: str) -> list[dict[str, Any]]:
        async with self._state() as state:
            return await state.objects(kind)

    async def operations_sent(self) -> list[str]:
        async with self._state() as state:
            return await state.operations_sent()

    async def assert_state(self, assertions: dict[str, Any]) -> None:
        """Evaluate a scenario's `assert` section on the tenant (tool-call limits need a scenario run)."""
        from polytomic_mcp.evals.checks import evaluate
        from polytomic_mcp.evals.scenario import Assertions
        from polytomic_mcp.evals.transcript import Episode

        parsed = Assertions.model_validate(assertions)
        async with self._state() as state:
            checks = await evaluate(parsed, state, Episode())
        failed = [f"{check.name}: {check.detail}" for check in checks if not check.passed]
        assert not failed, "sandbox state: " + "; ".join(failed)


def _seed_document(marker: pytest.Mark) -> dict[str, Any]:
    import yaml  # YAML is a superset of JSON

    source = marker.args[0] if marker.args else marker.kwargs.get("document")
    if isinstance(source, dict):
        return source
    if isinstance(source, str | Path):
        document = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
        if isinstance(document, dict):
            return document
    raise pytest.UsageError("polytomic_seed takes a seed dict or the path of a YAML/JSON seed file holding a mapping")


@pytest.fixture
def polytomic_tenant(request: pytest.FixtureRequest, polytomic_sandbox: SandboxHandle) -> EvalTenant:
    import anyio

    digest = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]
    tenant = EvalTenant(polytomic_sandbox.base_url, f"pytest-{digest}")
    marker = request.node.get_closest_marker("polytomic_seed")
    document = _seed_document(marker) if marker else {}
    # Set up before the test's event loop runs, in a loop of its own.
    anyio.run(tenant.seed, document)
    return tenant


@pytest.fixture
def polytomic_session(
    polytomic_tenant: EvalTenant,
) -> Callable[..., AbstractAsyncContextManager[Client]]:
    """`async with polytomic_session(confirm="accept", toolsets="all") as client:` — server settings
    as keywords; `confirm` answers destructive-call confirmations; OAuth links are approved."""

    @asynccontextmanager
    async def open_session(confirm: str = "decline", **settings: Any) -> AsyncIterator[Client]:
        import tempfile

        import httpx
        from mcp.client.session import ClientRequestContext
        from mcp.types import ElicitRequestParams, ElicitRequestURLParams, ElicitResult

        from polytomic_mcp.evals.session import stdio_client
        from polytomic_mcp.evals.state import TenantState

        async def user(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
            if isinstance(params, ElicitRequestURLParams):
                async with httpx.AsyncClient(timeout=60) as http:
                    await TenantState(polytomic_tenant.base_url, polytomic_tenant.key, http).approve_oauth()
                return ElicitResult(action="accept")
            if confirm == "accept":
                return ElicitResult(action="accept", content={"confirm": True})
            return ElicitResult(action="decline")

        with tempfile.TemporaryFile("w+", encoding="utf-8") as errlog:
            client = stdio_client(polytomic_tenant.base_url, polytomic_tenant.key, settings, user, errlog)
            async with client:
                yield client

    return open_session
