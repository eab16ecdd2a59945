"""`polytomic-mcp sandbox`: serve only the Polytomic API emulator."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from polytomic_mcp.commands.backend import db_file_problem, seed_file_problem
from polytomic_mcp.commands.startup import StartupError, listening_socket, run_uvicorn


def run_sandbox(args: argparse.Namespace) -> int:
    for flag, path, problem in (
        ("--seed", args.seed, seed_file_problem(args.seed)),
        ("--db", args.db, db_file_problem(args.db)),
    ):
        if problem:
            raise StartupError(f"{flag} {path!r}: {problem}")
    sock = listening_socket(args.host, args.port)
    from polytomic_mcp.sandbox import SandboxConfig, create_app

    try:
        app = create_app(SandboxConfig(db_path=args.db, seed=args.seed, clock=args.clock))
    except sqlite3.Error as broken:
        sock.close()
        raise StartupError(f"--db {args.db!r}: {broken}") from None
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("polytomic-mcp sandbox: note: serving beyond loopback; any bearer key is a tenant.", file=sys.stderr)
    print(
        f"polytomic-mcp sandbox on http://{args.host}:{args.port} (clock={args.clock}, "
        f"db={args.db or 'memory'}); API under /api, admin under /sandbox",
        file=sys.stderr,
        flush=True,
    )
    run_uvicorn(app, sock, "info", lifespan="off")
    return 0
