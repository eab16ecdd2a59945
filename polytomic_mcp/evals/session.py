"""The MCP server a scenario talks to and the real MCP client session it is driven through:
a stdio subprocess per scenario, or one streamable-HTTP server subprocess per distinct server
settings with a bearer key per scenario. Either way the server uses the shared sandbox with
`--sandbox --base-url` and runs with `--deterministic`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Literal, TextIO

import httpx2
from mcp.client import Client
from mcp.client import stdio as mcp_stdio
from mcp.client.session import ElicitationFnT
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

Transport = Literal["stdio", "http"]
POLL_INTERVAL = "0.05"  # waiting tools poll fast; in step mode each poll moves the tenant's clock on
CALL_TIMEOUT = 120.0


def server_env(sandbox_url: str, settings: Mapping[str, Any], key: str | None = None) -> dict[str, str]:
    """The server's environment: no POLYTOMIC_* of ours leaks in; the scenario's settings win."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
    env.update(
        POLYTOMIC_SANDBOX="true",
        POLYTOMIC_BASE_URL=sandbox_url,
        POLYTOMIC_DETERMINISTIC="true",
        POLYTOMIC_POLL_INTERVAL=POLL_INTERVAL,
    )
    for name, value in settings.items():
        env[f"POLYTOMIC_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    if key is not None:
        env["POLYTOMIC_API_KEY"] = key
    return env


def stdio_client(
    sandbox_url: str, key: str, settings: Mapping[str, Any], user: ElicitationFnT, errlog: TextIO
) -> Client:
    """A server subprocess for one scenario; its stderr goes to `errlog` (shown if the session fails)."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "polytomic_mcp", "serve"], env=server_env(sandbox_url, settings, key)
    )
    transport = mcp_stdio.stdio_client(params, errlog=errlog)
    return Client(transport, elicitation_callback=user, read_timeout_seconds=CALL_TIMEOUT)


def http_client(mcp_url: str, key: str, user: ElicitationFnT) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=CALL_TIMEOUT)
    return Client(
        streamable_http_client(mcp_url, http_client=http), elicitation_callback=user, read_timeout_seconds=CALL_TIMEOUT
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HttpServer:
    """`polytomic-mcp serve --http` on a loopback port, for as long as the runner needs it."""

    def __init__(self, sandbox_url: str, settings: Mapping[str, Any]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "polytomic_mcp", "serve", "--http", "--port", str(self.port)],
            env=server_env(sandbox_url, settings),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"the HTTP server did not start: {error.strip()[-400:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError("the HTTP server did not listen within 30 s") from None
                time.sleep(0.05)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stderr:
            self.process.stderr.close()

    def __enter__(self) -> HttpServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
