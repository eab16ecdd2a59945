"""`polytomic-mcp serve`: the MCP server on stdio or streamable HTTP."""

from __future__ import annotations

import argparse
import sys

import anyio

from polytomic_mcp.commands.backend import NO_BACKEND, announce, open_backend
from polytomic_mcp.commands.startup import listening_socket, run_uvicorn
from polytomic_mcp.commands.tool_cap import LeftOut, describe_left_out, left_out_toolsets
from polytomic_mcp.settings import Settings, invalid_setting, request_scope


def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    http = bool(getattr(args, "http", False))
    if not settings.sandbox and settings.server_credentials() is None and not http:
        print(NO_BACKEND, file=sys.stderr)
        return 2
    if not http and settings.auth_mode == "partner" and not settings.partner_org_id:
        # Over HTTP a request may name the organization in a header; on stdio nothing else can.
        raise invalid_setting("partner_org_id", None, expected="an organization id when --auth-mode is partner")
    from polytomic_mcp.guardrails.tracing import configure_from_environment
    from polytomic_mcp.server import build_server

    configure_from_environment()
    sock = listening_socket(args.host, args.port) if http else None  # a busy port fails before anything starts
    with open_backend(settings) as backend:
        server = build_server(backend.settings, backend.base_url)
        scope = request_scope(backend.settings, None)
        left_out = anyio.run(left_out_toolsets, server, scope)
        if sock is None:
            announce(backend, "stdio")
            report_left_out(left_out, backend.settings)
            anyio.run(server.run_stdio_async)
            return 0
        from polytomic_mcp.http_app import build_http_app

        address = f"http://{args.host}:{args.port}"
        admin = f" admin={address}/sandbox/" if backend.is_sandbox else ""
        announce(backend, f"{address}/mcp", admin)
        report_left_out(left_out, backend.settings)
        sandbox_url = backend.base_url if backend.is_sandbox else None
        app = build_http_app(server, backend.settings, args.host, args.stateless, sandbox_url)
        run_uvicorn(app, sock, backend.settings.log_level)  # until interrupted
    return 0


def report_left_out(left_out: list[LeftOut], settings: Settings) -> None:
    if left_out:
        print(f"polytomic-mcp: {describe_left_out(left_out, settings)}", file=sys.stderr, flush=True)
