"""`polytomic-mcp serve`: the MCP server on stdio or streamable HTTP."""

from __future__ import annotations

import argparse
import sys

import anyio

from polytomic_mcp.commands.backend import NO_BACKEND, announce, open_backend
from polytomic_mcp.settings import Settings


def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    http = bool(getattr(args, "http", False))
    if not settings.sandbox and settings.server_credentials() is None and not http:
        print(NO_BACKEND, file=sys.stderr)
        return 2
    from polytomic_mcp.guardrails.tracing import configure_from_environment
    from polytomic_mcp.server import build_server

    configure_from_environment()

    with open_backend(settings, default_tenant=not http) as backend:
        server = build_server(backend.settings, backend.base_url)
        if not http:
            announce(backend, "stdio")
            anyio.run(server.run_stdio_async)
            return 0
        from polytomic_mcp.http_app import serve_http

        announce(backend, f"http://{args.host}:{args.port}/mcp")
        serve_http(server, backend.settings, host=args.host, port=args.port, stateless=args.stateless)
    return 0
