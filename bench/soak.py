"""Soak: many composite flows (sync_gcs_csv_to_salesforce) at once under injected API faults.

Each flow is what an agent does with the composite: call it, open the auth_url when it
asks (the user's browser), call it again with the same inputs until it reports a final
status; an error result is answered by calling again, up to --max-calls. Every flow has
its own sandbox tenant (its own key) and its own seeded faults (PUT /sandbox/faults):
429 with Retry-After every Nth request, a share of 5xx answers, dropped connections, and
answers lost after the API processed the request (the case only idempotency keys make
safe). Flows run --concurrency at a time, each with its own in-process MCP server and the
real MCP client in memory; the sandbox is a real HTTP server on a loopback port (step
clock: simulated time moves 1 s per API request).

Printed, with the figures the README's reliability section quotes:
- flows, concurrency, fault settings, faults injected (from the sandbox's request log:
  429s, injected 5xx, drops, lost answers);
- duplicates: objects created twice (each finished tenant must hold exactly 2 connections,
  1 model, 1 sync);
- lost records: Salesforce Contacts missing, in a finished flow, from those a fault-free
  baseline flow writes from the same CSV;
- unfinished flows (no final status within --max-calls), calls per flow (median, max), time.

Exit status 1 when a finished flow has a duplicate or a lost record.

    .venv/bin/python bench/soak.py --flows 60 --concurrency 8
    .venv/bin/python bench/soak.py --flows 40 --error-rate 0.4 --lose-rate 0.1
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings

DOMAIN = "acme.my.salesforce.com"
ARGS: dict[str, Any] = {
    "csv_key": "high_paying_users.csv",
    "bucket": "sandbox-exports",
    "service_account_json": json.dumps(
        {"type": "service_account", "project_id": "soak", "client_email": "etl@soak.iam.gserviceaccount.com"}
    ),
    "salesforce_domain": DOMAIN,
}
FINAL = frozenset({"completed", "completed_with_errors", "up_to_date"})
EXPECTED_OBJECTS = {"connections": 2, "models": 1, "syncs": 1}


@dataclass
class Flow:
    key: str
    calls: int = 0
    status: str = "not started"
    errors: int = 0
    objects: dict[str, int] = field(default_factory=dict)
    emails: set[str] = field(default_factory=set)
    faults: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    @property
    def duplicates(self) -> int:
        return sum(max(self.objects.get(kind, 0) - want, 0) for kind, want in EXPECTED_OBJECTS.items())


def admin(sandbox: RunningSandbox, key: str, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(
        method, f"{sandbox.base_url}{path}", headers={"Authorization": f"Bearer {key}"}, timeout=60, **kwargs
    )
    response.raise_for_status()
    return response.json()["data"]


def contact_emails(sandbox: RunningSandbox, key: str) -> set[str]:
    found = admin(sandbox, key, "GET", "/sandbox/salesforce/objects/Contact/records", params={"domain": DOMAIN})
    return {str(r.get("Email")).lower() for r in found["records"] if r.get("Email")}


def injected(sandbox: RunningSandbox, key: str, error_status: int) -> dict[str, int]:
    """Faults as the sandbox's request log saw them (a lost answer logs its real status, so it is
    counted by the client side: a retried request whose first attempt was answered 2xx)."""
    log = admin(sandbox, key, "GET", "/sandbox/requests")
    statuses = [entry["status"] for entry in log]
    return {
        "rate_limited": statuses.count(429),
        "server_errors": statuses.count(error_status),
        "dropped": statuses.count(0),
        "requests": len(statuses),
    }


class LostAnswers(httpx.AsyncHTTPTransport):
    """The real transport, counting requests whose connection closed after the request was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.RemoteProtocolError:
            self.lost += 1
            raise


async def count_objects(client: Client) -> dict[str, int]:
    out = {}
    for kind, operation in (
        ("connections", "connections_list"),
        ("models", "models_list"),
        ("syncs", "model_sync_list"),
    ):
        result = await client.call_tool("call_operation", {"operation": operation})
        out[kind] = len((result.structured_content or {}).get("data") or [])
    return out


async def run_flow(sandbox: RunningSandbox, flow: Flow, faults: dict[str, Any], max_calls: int) -> None:
    transport = LostAnswers()
    settings = Settings(api_key=flow.key, sandbox=True, poll_interval=0.01)
    if faults:
        admin(sandbox, flow.key, "PUT", "/sandbox/faults", json=faults)
    async with Client(build_server(settings, sandbox.base_url, transport)) as client:
        while flow.calls < max_calls and not flow.finished:
            flow.calls += 1
            result = await client.call_tool("sync_gcs_csv_to_salesforce", ARGS)
            report = result.structured_content or {}
            flow.status = str(report.get("status") or ("error" if result.is_error else "unknown"))
            if result.is_error and not report:
                flow.errors += 1
            auth_url = report.get("auth_url")
            if flow.status == "needs_authorization" and auth_url:
                async with httpx.AsyncClient(timeout=60) as browser:  # the user opens the link
                    await browser.get(str(auth_url), follow_redirects=True)
        if faults:
            flow.faults = injected(sandbox, flow.key, int(faults.get("error_status", 503)))
            admin(sandbox, flow.key, "PUT", "/sandbox/faults", json={})
        # Both a drop and a lost answer close the connection; the log tells the drops apart.
        flow.faults["lost_answers"] = max(transport.lost - flow.faults.get("dropped", 0), 0)
        flow.objects = await count_objects(client)
    flow.emails = contact_emails(sandbox, flow.key)


async def soak(args: argparse.Namespace) -> int:
    faults = {
        "seed": args.seed,
        "rate_limit_every": args.rate_limit_every,
        "retry_after_seconds": 0,
        "error_rate": args.error_rate,
        "error_status": 503,
        "drop_rate": args.drop_rate,
        "lose_rate": args.lose_rate,
    }
    started = time.monotonic()
    with start_sandbox(SandboxConfig(clock="step")) as sandbox:
        baseline = Flow(key=f"soak-{args.seed}-baseline")
        await run_flow(sandbox, baseline, {}, args.max_calls)
        if not baseline.finished or not baseline.emails:
            print(f"the fault-free baseline did not finish: {baseline.status}", file=sys.stderr)
            return 1
        flows = [Flow(key=f"soak-{args.seed}-{n}") for n in range(args.flows)]
        limiter = anyio.CapacityLimiter(args.concurrency)

        async def limited(n: int, flow: Flow) -> None:
            async with limiter:
                await run_flow(sandbox, flow, {**faults, "seed": args.seed * 100_000 + n}, args.max_calls)

        async with anyio.create_task_group() as group:
            for n, flow in enumerate(flows):
                group.start_soon(limited, n, flow)
    elapsed = time.monotonic() - started

    finished = [f for f in flows if f.finished]
    lost = {f.key: len(baseline.emails - f.emails) for f in finished}
    totals = {
        name: sum(f.faults.get(name, 0) for f in flows)
        for name in ("rate_limited", "server_errors", "dropped", "lost_answers", "requests")
    }
    faulted = totals["rate_limited"] + totals["server_errors"] + totals["dropped"] + totals["lost_answers"]
    calls = [f.calls for f in flows]
    print(f"flows: {len(flows)} (concurrency {args.concurrency}, at most {args.max_calls} calls each)")
    print(f"faults set: {json.dumps({k: v for k, v in faults.items() if k != 'seed'})}")
    share = faulted / max(totals["requests"], 1)
    print(
        f"faults injected: {faulted} of {totals['requests']} API requests ({share:.0%}): "
        f"{totals['rate_limited']} × 429, {totals['server_errors']} × 503, {totals['dropped']} dropped, "
        f"{totals['lost_answers']} answers lost after processing"
    )
    unfinished = sorted({f.status for f in flows if not f.finished})
    print(f"finished flows: {len(finished)}; unfinished: {len(flows) - len(finished)} {unfinished}")
    print(f"duplicates (objects created twice): {sum(f.duplicates for f in flows)}")
    print(f"lost records (Contacts missing vs the fault-free baseline's {len(baseline.emails)}): {sum(lost.values())}")
    print(f"calls per flow: median {statistics.median(calls):g}, max {max(calls)} (baseline {baseline.calls})")
    print(f"error results answered by calling again: {sum(f.errors for f in flows)}")
    print(f"time: {elapsed:.1f} s")
    broken = [f.key for f in finished if f.duplicates or lost[f.key]]
    if broken:
        print(f"FAIL: duplicates or lost records in {broken[:5]}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate-limit-every", type=int, default=7, help="every Nth request answers 429 (0: never)")
    parser.add_argument("--error-rate", type=float, default=0.15, help="share of requests answered 503")
    parser.add_argument("--drop-rate", type=float, default=0.05, help="share of connections closed unanswered")
    parser.add_argument("--lose-rate", type=float, default=0.05, help="share of answers lost after processing")
    parser.add_argument(
        "--max-calls", type=int, default=20, help="tool calls a flow may make before it counts as unfinished"
    )
    return anyio.run(soak, parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
