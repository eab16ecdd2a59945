"""Throughput for eval farms: N seed-workflow episodes in parallel against one sandbox.

Layout (the one docs/evaluations.md recommends for farms): one shared step-clock sandbox
(`polytomic-mcp sandbox --clock step`, a subprocess, so its memory is measured alone), one
streamable-HTTP MCP server pointed at it (`serve --http --sandbox --base-url … --deterministic`),
and here the episodes, each a real MCP client session (`mcp.client.Client` over HTTP) with a
bearer key of its own, so each is its own tenant.

One episode: open a session; `sync_gcs_csv_to_salesforce` (the simulated user authorizes the
OAuth link through `POST /sandbox/oauth/approve` when the server asks); the scorer reads the
Contact records and checks every valid CSV row arrived; the tenant is reset so the sandbox's
memory stays flat however many episodes run. An episode that does not complete fails the run.

Printed: the baseline (episodes run one at a time, measured first in the same run), then the
parallel run: episodes per minute, the ratio to the baseline, p50/p99 episode time, and the
sandbox's RSS after the warm-up, at the end, and its peak. Target: ≥ 300 episodes/min on the
2-core development machine with flat memory.

    .venv/bin/python bench/eval_throughput.py [--episodes 300] [--parallel 16] [--baseline 10]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import httpx
import httpx2
from mcp.client import Client
from mcp.client.session import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitRequestParams, ElicitRequestURLParams, ElicitResult

ARGS = {
    "csv_key": "high_paying_users.csv",
    "bucket": "sandbox-exports",
    "service_account_json": '{"type": "service_account", "project_id": "bench"}',
    "salesforce_domain": "acme.my.salesforce.com",
}
VALID_ROWS = 296  # rows of the seed CSV that end as Contacts (see examples/evals/seed-workflow.yaml)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server exited at start ({process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("a server did not listen within 30 s")


@contextmanager
def serve(args: list[str], port: int, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, process)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, in MB."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def episode(mcp_url: str, sandbox_url: str, number: int) -> float:
    key = f"bench-{number}"
    auth = {"Authorization": f"Bearer {key}"}
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=sandbox_url, headers=auth, timeout=120) as admin:

        async def user(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
            if isinstance(params, ElicitRequestURLParams):
                (await admin.post("/sandbox/oauth/approve")).raise_for_status()
                return ElicitResult(action="accept")
            return ElicitResult(action="decline")

        http = httpx2.AsyncClient(headers=auth, timeout=120)
        async with Client(streamable_http_client(mcp_url, http_client=http), elicitation_callback=user) as client:
            result = await client.call_tool("sync_gcs_csv_to_salesforce", ARGS)
        report = result.structured_content or {}
        if result.is_error or report.get("status") != "completed_with_errors":
            raise SystemExit(f"episode {number} did not complete: {report.get('status')}")
        records = await admin.get(
            "/sandbox/salesforce/objects/Contact/records", params={"domain": ARGS["salesforce_domain"], "limit": "1"}
        )
        contacts = records.json()["data"]["total"]
        if contacts < VALID_ROWS:
            raise SystemExit(f"episode {number}: {contacts} contacts, want at least {VALID_ROWS}")
        (await admin.post("/sandbox/reset")).raise_for_status()
    return time.perf_counter() - started


async def run(mcp_url: str, sandbox_url: str, first: int, count: int, parallel: int) -> tuple[float, list[float]]:
    times: list[float] = []
    limiter = anyio.CapacityLimiter(parallel)

    async def one(number: int) -> None:
        async with limiter:
            times.append(await episode(mcp_url, sandbox_url, number))

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for number in range(first, first + count):
            group.start_soon(one, number)
    return time.perf_counter() - started, times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--baseline", type=int, default=10, help="episodes run one at a time first")
    options = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
    sandbox_port, mcp_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    command = [sys.executable, "-m", "polytomic_mcp"]
    sandbox_args = [*command, "sandbox", "--clock", "step", "--port", str(sandbox_port)]
    server_args = [*command, "serve", "--http", "--port", str(mcp_port), "--sandbox", "--deterministic"]
    server_env = {**env, "POLYTOMIC_BASE_URL": sandbox_url, "POLYTOMIC_POLL_INTERVAL": "0.02"}
    with serve(sandbox_args, sandbox_port, env) as sandbox, serve(server_args, mcp_port, server_env) as server:
        mcp_url = f"http://127.0.0.1:{mcp_port}/mcp"
        base_time, base = anyio.run(run, mcp_url, sandbox_url, 0, options.baseline, 1)
        base_rate = 60 * len(base) / base_time
        warm_rss, _ = rss_mb(sandbox.pid)
        cpu_before = (cpu_seconds(sandbox.pid), cpu_seconds(server.pid), time.process_time())
        wall, times = anyio.run(run, mcp_url, sandbox_url, options.baseline, options.episodes, options.parallel)
        cpu = (cpu_seconds(sandbox.pid), cpu_seconds(server.pid), time.process_time())
        end_rss, peak_rss = rss_mb(sandbox.pid)
    rate = 60 * len(times) / wall
    p50 = statistics.median(base)
    print(f"baseline: {len(base)} episodes one at a time: {base_rate:.0f} episodes/min, p50 {p50:.2f} s")
    print(
        f"parallel: {len(times)} episodes, {options.parallel} at a time, in {wall:.1f} s: {rate:.0f} episodes/min "
        f"({rate / base_rate:.1f}x the baseline), p50 {percentile(times, 0.5):.2f} s, "
        f"p99 {percentile(times, 0.99):.2f} s"
    )
    used = [after - before for before, after in zip(cpu_before, cpu, strict=True)]
    print(
        "CPU per episode: sandbox {:.0f} ms, MCP server {:.0f} ms, clients {:.0f} ms".format(
            *(1000 * u / len(times) for u in used)
        )
    )
    print(f"sandbox RSS: {warm_rss:.0f} MB after the baseline, {end_rss:.0f} MB at the end, peak {peak_rss:.0f} MB")
    verdict = "PASS" if rate >= 300 else "MISS"
    print(f"target >= 300 episodes/min: {verdict}")


if __name__ == "__main__":
    main()
