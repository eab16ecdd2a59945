"""Serving the sandbox: blocking (``serve``) or in a background thread (``start_sandbox``)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType

import uvicorn

from polytomic_mcp.sandbox.config import DEFAULT_CONFIG, SandboxConfig
from polytomic_mcp.sandbox.http.app import create_app


class RunningSandbox:
    """A sandbox served by uvicorn on loopback from its own thread and event loop."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, base_url: str) -> None:
        self._server = server
        self._thread = thread
        self.base_url = base_url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        sandbox = getattr(self._server.config.app, "state", None)
        if sandbox is not None and hasattr(sandbox, "sandbox"):
            sandbox.sandbox.runtime.store.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def start_sandbox(config: SandboxConfig = DEFAULT_CONFIG, host: str = "127.0.0.1", port: int = 0) -> RunningSandbox:
    """Serve a new sandbox in the background; returns once it accepts connections."""
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto is TCP;
    # with proto 0, Nagle and delayed ACKs add ~40 ms to every response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # surfaced to the starting thread below
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"polytomic-sandbox-{bound_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if failure or not thread.is_alive():
            raise RuntimeError("the sandbox server failed to start") from (failure[0] if failure else None)
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the sandbox server did not start within 15 seconds")
        time.sleep(0.01)
    return RunningSandbox(server, thread, f"http://{host}:{bound_port}")


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8900) -> None:
    """Serve a sandbox in the foreground until interrupted (``polytomic-mcp sandbox``)."""
    uvicorn.run(create_app(config), host=host, port=port, log_level="info", lifespan="off")
