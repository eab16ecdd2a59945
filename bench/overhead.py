"""What the MCP layer costs, measured against baselines taken in the same run.

1. Call latency: the median time of a simple read tool call (`connections_list`) through MCP
   — in memory and over a stdio subprocess — divided by the median time of the same API
   request made directly with httpx. Target: ratio <= 1.3.
2. Start-up: time from spawning the server to its first tools/list answer, divided by the
   same for a bare MCPServer with one tool. Target: ratio <= 1.15.
3. Memory: the peak resident set (VmHWM, Linux) of the stdio server process after 200
   `connections_list` calls on a tenant with 20 connections (so each result is a real list
   that the result budget counts), beside that of a bare MCPServer proxying the same
   request. Target: <= 60 MiB. Only the server process is measured: the sandbox and this
   client run in other processes.

All run against the embedded sandbox, in its own process on a loopback port.
Run: `python bench/overhead.py` (`--only memory` or `--only startup` for one section).
"""

from __future__ import annotations

import argparse
import compileall
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

import polytomic_mcp
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings

KEY = "bench-tenant"
MEMORY_KEY = "bench-memory"  # its own tenant, filled with connections so that lists are real results
MEMORY_CONNECTIONS = 20
API_HEADERS = {"X-Polytomic-Version": "2025-09-18"}
BARE_SERVER = """
from mcp.server import MCPServer
server = MCPServer("bare", log_level="WARNING")

@server.tool()
def ping() -> str:
    return "pong"

server.run()
"""

# The SDK's own floor: a bare MCPServer whose one tool makes the same request with httpx.
BARE_PROXY = """
import sys
import httpx
from mcp.server import MCPServer

base_url, key = sys.argv[1], sys.argv[2]
server = MCPServer("bare-proxy", log_level="WARNING")
state = {}

@server.tool()
async def connections_list() -> dict:
    if "http" not in state:
        state["http"] = httpx.AsyncClient(base_url=base_url)
    response = await state["http"].get("/api/connections", headers={"Authorization": f"Bearer {key}"})
    return response.json()

server.run()
"""


async def interleaved_medians(
    actions: dict[str, Callable[[], Awaitable[object]]], runs: int, warmup: int = 20
) -> dict[str, float]:
    """Median milliseconds of each action, timed in rounds of one call each, so that load
    changes on the machine during the run hit every variant alike."""
    for _ in range(warmup):
        for action in actions.values():
            await action()
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            started = time.perf_counter()
            await action()
            samples[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def server_env(base_url: str, key: str = KEY) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
    env.update(POLYTOMIC_API_KEY=key, POLYTOMIC_BASE_URL=base_url, POLYTOMIC_ACCESS_MODE="full-access")
    return env


async def call_latency(base_url: str, runs: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {KEY}", **API_HEADERS}
    ours = StdioServerParameters(command=sys.executable, args=["-m", "polytomic_mcp"], env=server_env(base_url))
    bare = StdioServerParameters(command=sys.executable, args=["-c", BARE_PROXY, base_url, KEY])
    server = build_server(Settings(api_key=KEY, access_mode="full-access"), base_url)
    async with (
        httpx.AsyncClient(base_url=base_url) as http,
        Client(server) as in_memory,
        Client(ours) as stdio,
        Client(bare) as bare_stdio,
    ):

        async def direct() -> object:
            response = await http.get("/api/connections", headers=headers)
            response.raise_for_status()
            return response.json()

        medians = await interleaved_medians(
            {
                "direct_ms": direct,
                "in_memory_ms": lambda: in_memory.call_tool("connections_list", {}),
                "stdio_ms": lambda: stdio.call_tool("connections_list", {}),
                "bare_stdio_ms": lambda: bare_stdio.call_tool("connections_list", {}),
            },
            runs,
        )
    return medians


def child_pid(command: list[str]) -> int:
    """The pid of this process's child running exactly this command line (Linux /proc)."""
    me = str(os.getpid())
    wanted = "\0".join(command).encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = stat.read().rsplit(")", 1)[1].split()[1]
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                running = cmdline.read().rstrip(b"\0")
        except OSError:
            continue
        if parent == me and running == wanted:
            return int(entry)
    raise RuntimeError(f"no child process runs {command[1:]}")


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the most resident memory the process has had, in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/<pid>/status (Linux only)")


async def peak_after_calls(params: StdioServerParameters, calls: int) -> float:
    async with Client(params, mode="legacy") as client:
        await client.list_tools()
        for _ in range(calls):
            result = await client.call_tool("connections_list", {})
            if result.is_error:
                raise RuntimeError(f"connections_list failed: {result.content}")
        return peak_rss_mib(child_pid([params.command, *params.args]))


async def fill_tenant(base_url: str, key: str, connections: int) -> None:
    """Connections made straight through the sandbox API, so that no measured process does the work."""
    headers = {"Authorization": f"Bearer {key}", **API_HEADERS}
    service_account = '{"type": "service_account", "project_id": "bench", "client_email": "bench@bench.iam"}'
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
        for n in range(connections):
            configuration = {"service_account": service_account, "bucket": "sandbox-exports"}
            body = {"name": f"Regional export drop {n:02d}", "type": "gcs", "configuration": configuration}
            response = await http.post("/api/connections", json=body)
            response.raise_for_status()


async def memory(base_url: str, calls: int) -> dict[str, float]:
    await fill_tenant(base_url, MEMORY_KEY, MEMORY_CONNECTIONS)
    env = server_env(base_url, MEMORY_KEY)
    ours = StdioServerParameters(command=sys.executable, args=["-m", "polytomic_mcp"], env=env)
    bare = StdioServerParameters(command=sys.executable, args=["-c", BARE_PROXY, base_url, MEMORY_KEY])
    return {
        "ours_mib": await peak_after_calls(ours, calls),
        "bare_mib": await peak_after_calls(bare, calls),
    }


async def startup_seconds(params: StdioServerParameters) -> float:
    started = time.perf_counter()
    async with Client(params, mode="legacy") as client:
        await client.list_tools()
        return time.perf_counter() - started


def write_bytecode() -> None:
    """Compile the package's bytecode, as installing a wheel does. The SDK's installed modules
    have theirs; without ours (a fresh checkout, PYTHONDONTWRITEBYTECODE) every start would
    also compile ~100 modules, which is not what start-up costs once installed."""
    compileall.compile_dir(Path(polytomic_mcp.__file__).parent, quiet=1)


async def startup(base_url: str, runs: int) -> dict[str, float]:
    ours = StdioServerParameters(command=sys.executable, args=["-m", "polytomic_mcp"], env=server_env(base_url))
    bare = StdioServerParameters(command=sys.executable, args=["-c", BARE_SERVER], env=server_env(base_url))
    our_times, bare_times = [], []
    for _ in range(runs):  # interleaved, so drift in machine load hits both alike
        bare_times.append(await startup_seconds(bare))
        our_times.append(await startup_seconds(ours))
    return {"ours_s": statistics.median(our_times), "bare_s": statistics.median(bare_times)}


@contextmanager
def sandbox_process() -> Iterator[str]:
    """The sandbox in its own process, so its work never competes with the measured one for the GIL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "polytomic_mcp", "sandbox", "--port", str(port), "--clock", "step"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def main(runs: int, startup_runs: int, memory_calls: int, only: str | None) -> None:
    with sandbox_process() as base_url:
        if only in (None, "latency"):
            print_latency(await call_latency(base_url, runs), runs)
        if only in (None, "startup"):
            write_bytecode()
            print_startup(await startup(base_url, startup_runs), startup_runs)
        if only in (None, "memory"):
            print_memory(await memory(base_url, memory_calls), memory_calls)


def print_latency(latency: dict[str, float], runs: int) -> None:
    in_memory_ratio = latency["in_memory_ms"] / latency["direct_ms"]
    stdio_ratio = latency["stdio_ms"] / latency["direct_ms"]
    print(f"call latency, median of {runs} (connections_list against the sandbox):")
    print(f"  direct httpx      {latency['direct_ms']:7.2f} ms")
    print(f"  MCP in memory     {latency['in_memory_ms']:7.2f} ms   ratio {in_memory_ratio:.2f}  (target <= 1.3)")
    print(f"  MCP over stdio    {latency['stdio_ms']:7.2f} ms   ratio {stdio_ratio:.2f}  (target <= 1.3)")
    bare_ratio = latency["bare_stdio_ms"] / latency["direct_ms"]
    print(
        f"  SDK floor: bare MCPServer proxying the same request over stdio {latency['bare_stdio_ms']:.2f} ms, "
        f"ratio {bare_ratio:.2f}; polytomic-mcp / bare = {latency['stdio_ms'] / latency['bare_stdio_ms']:.2f}"
    )


def print_startup(start: dict[str, float], startup_runs: int) -> None:
    start_ratio = start["ours_s"] / start["bare_s"]
    print(f"start-up to first tools/list, median of {startup_runs}:")
    print(f"  bare MCPServer    {start['bare_s']:7.3f} s")
    print(f"  polytomic-mcp     {start['ours_s']:7.3f} s   ratio {start_ratio:.2f}  (target <= 1.15)")


def print_memory(peaks: dict[str, float], calls: int) -> None:
    print(f"peak RSS (VmHWM) of the stdio server after {calls} connections_list calls:")
    print(f"  bare MCPServer proxy {peaks['bare_mib']:6.1f} MiB")
    print(
        f"  polytomic-mcp        {peaks['ours_mib']:6.1f} MiB   (target <= 60 MiB; "
        f"{peaks['ours_mib'] - peaks['bare_mib']:+.1f} MiB over the bare server)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=300, help="timed calls per variant")
    parser.add_argument("--startup-runs", type=int, default=7, help="start-ups per server")
    parser.add_argument("--memory-calls", type=int, default=200, help="calls before the peak RSS is read")
    parser.add_argument("--only", choices=["latency", "startup", "memory"], help="run one section")
    arguments = parser.parse_args()
    anyio.run(main, arguments.runs, arguments.startup_runs, arguments.memory_calls, arguments.only)
