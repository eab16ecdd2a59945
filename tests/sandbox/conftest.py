"""Fixtures for sandbox tests: a sandbox on loopback in step-clock mode and HTTP clients for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_flows import client_for

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox

STEP = SandboxConfig(clock="step", step_seconds=0.0)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(STEP) as running:
        yield running


@pytest.fixture
def api(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with client_for(sandbox) as client:
        yield client
