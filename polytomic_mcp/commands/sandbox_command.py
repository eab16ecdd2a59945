"""`polytomic-mcp sandbox`: serve only the Polytomic API emulator."""

from __future__ import annotations

import argparse
import sys

from polytomic_mcp.sandbox import SandboxConfig, serve


def run_sandbox(args: argparse.Namespace) -> int:
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("polytomic-mcp sandbox: note: serving beyond loopback; any bearer key is a tenant.", file=sys.stderr)
    config = SandboxConfig(db_path=args.db, seed=args.seed, clock=args.clock)
    print(
        f"polytomic-mcp sandbox on http://{args.host}:{args.port} (clock={args.clock}, "
        f"db={args.db or 'memory'}); API under /api, admin under /sandbox",
        file=sys.stderr,
        flush=True,
    )
    serve(config, host=args.host, port=args.port)
    return 0
