"""Benchmark: sync a 1,000,000-row CSV to the sandbox's Salesforce with updateOrCreate over HTTP.

Prints rows per second, peak RSS, and the ratio of the sync's wall time to the time Python's
``csv`` module alone takes to read the same file (measured in this run). Targets: ratio ≤ 4,
peak RSS ≤ 150 MB. The CSV is generated in a temporary folder and deleted afterwards; sandbox
state is kept in a file there too (``--in-memory`` keeps it in memory, where the million target
records then count in the RSS). Figures and what was measured: docs/sandbox.md.

    .venv/bin/python bench/sandbox_sync.py [--rows 1000000] [--in-memory]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from polytomic_mcp.sandbox import SandboxConfig, start_sandbox

HEADER = ["email", "first_name", "last_name", "company", "plan", "monthly_spend", "signup_date"]
KEY = "bench-key"


def write_csv(path: Path, rows: int) -> None:
    """Deterministic rows; every 100th row repeats an earlier email in upper case (an update)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            email = f"user{i}@example.com" if i % 100 != 99 else f"USER{i - 50}@EXAMPLE.COM"
            writer.writerow(
                [
                    email,
                    f"First{i}",
                    f"Last{i}",
                    f"Company {i % 5000}",
                    ("pro", "starter")[i % 2],
                    f"{i % 9000}.{i % 100:02d}",
                    f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                ]
            )


def csv_read_seconds(path: Path) -> float:
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        for _ in csv.reader(handle):
            pass
    return time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(rows: int, in_memory: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as folder:
        path = Path(folder) / "users.csv"
        write_csv(path, rows)
        baseline = csv_read_seconds(path)
        # State in a database file, as a long-lived sandbox keeps it: the simulated Salesforce
        # then holds its million records on disk and memory measures the sandbox itself.
        db_path = None if in_memory else str(Path(folder) / "sandbox.sqlite")
        config = SandboxConfig(clock="step", step_seconds=1.0, db_path=db_path)
        with (
            start_sandbox(config) as sandbox,
            httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=600) as api,
        ):
            added = api.post("/sandbox/buckets/bench-bucket/files", json={"key": "users.csv", "path": str(path)})
            added.raise_for_status()
            account = json.dumps({"type": "service_account", "project_id": "bench"})
            gcs = api.post(
                "/api/connections",
                json={
                    "name": "bench gcs",
                    "type": "gcs",
                    "configuration": {"service_account": account, "bucket": "bench-bucket"},
                },
            ).json()["data"]
            sf = api.post(
                "/api/connections",
                json={"name": "bench sf", "type": "salesforce", "configuration": {"domain": "acme.my.salesforce.com"}},
            ).json()["data"]
            httpx.get(sf["auth_url"]).raise_for_status()
            for connection in (gcs, sf):
                while (
                    api.get(f"/api/connections/{connection['id']}/schemas/status").json()["data"]["cache_status"]
                    != "fresh"
                ):
                    pass
            model = api.post(
                "/api/models",
                json={
                    "name": "users",
                    "connection_id": gcs["id"],
                    "configuration": {"model_from": "single_file", "key": "users.csv"},
                },
            ).json()["data"]

            def source(name: str) -> dict[str, str]:
                return {"model_id": model["id"], "field": name}

            sync = api.post(
                "/api/syncs",
                json={
                    "name": "bench",
                    "mode": "updateOrCreate",
                    "schedule": {"frequency": "manual"},
                    "target": {"connection_id": sf["id"], "object": "Contact"},
                    "identity": {"source": source("email"), "target": "Email", "function": "Equality"},
                    "fields": [
                        {"source": source("first_name"), "target": "FirstName"},
                        {"source": source("last_name"), "target": "LastName"},
                        {"source": source("monthly_spend"), "target": "Monthly_Spend__c"},
                    ],
                },
            ).json()["data"]
            started = time.perf_counter()
            execution = api.post(f"/api/syncs/{sync['id']}/executions", json={}).json()["data"]
            while execution["status"] not in ("completed", "failed", "canceled"):
                execution = api.get(f"/api/syncs/{sync['id']}/executions/{execution['id']}").json()["data"]
            elapsed = time.perf_counter() - started
    counts = execution["counts"]
    return {
        "rows": rows,
        "database": "memory" if in_memory else "file",
        "status": execution["status"],
        "counts": counts,
        "sync_seconds": round(elapsed, 3),
        "csv_read_seconds": round(baseline, 3),
        "rows_per_second": round(rows / elapsed),
        "ratio_to_csv_read": round(elapsed / baseline, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--in-memory", action="store_true", help="keep sandbox state in memory instead of a file")
    args = parser.parse_args()
    result = run(args.rows, args.in_memory)
    print(json.dumps(result, indent=2))
    misses = [
        label
        for label, met in (
            ("the run did not complete", result["status"] == "completed"),
            (f"ratio {result['ratio_to_csv_read']} > 4", result["ratio_to_csv_read"] <= 4),
            (f"peak RSS {result['peak_rss_mb']} MB > 150 MB", result["peak_rss_mb"] <= 150),
        )
        if not met
    ]
    print("targets met" if not misses else "targets missed: " + "; ".join(misses))
    return 0 if not misses else 1


if __name__ == "__main__":
    sys.exit(main())
