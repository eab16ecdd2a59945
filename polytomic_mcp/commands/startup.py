"""Starting a server: the listening socket (a busy port is one clear line) and uvicorn on it.

The socket is bound before anything else starts, so `--port 8000` on a busy port fails at
once, with exit code 2, instead of after the sandbox and the server were built.
"""

from __future__ import annotations

import errno
import socket
from typing import Any, Literal

import uvicorn


class StartupError(Exception):
    """The server cannot start; the message is one line saying why and what to do."""


def listening_socket(host: str, port: int, port_flag: str = "--port") -> socket.socket:
    """A TCP socket bound to host:port (uvicorn starts listening on it)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as unknown:
        raise StartupError(f"cannot listen on {host}:{port}: unknown host ({unknown.strerror})") from None
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto is TCP.
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as failure:
        sock.close()
        if failure.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {port} on {host} is already in use (is another server running there?); "
                f"choose another port with {port_flag}"
            ) from None
        raise StartupError(f"cannot listen on {host}:{port}: {failure.strerror}") from None
    return sock


def run_uvicorn(app: Any, sock: socket.socket, log_level: str, lifespan: Literal["auto", "on", "off"] = "auto") -> None:
    """Serve an ASGI app on an already bound socket until interrupted."""
    config = uvicorn.Config(app, log_level=log_level.lower(), lifespan=lifespan, timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])
