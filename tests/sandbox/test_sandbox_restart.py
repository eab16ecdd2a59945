"""Crash recovery: a sandbox process on a ``--db`` file is killed (SIGKILL, by its pid) while a
create is in flight and, later, while a sync run is writing records; restarted on the same file,
the idempotency claim is released and the execution is settled, so both can be done again."""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_flows import SEED_BUCKET, SEED_DOMAIN, SERVICE_ACCOUNT

KEY = "restart-key"
ROWS = 400_000
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SandboxProcess:
    """``python -m polytomic_mcp sandbox`` on one database file, started again after each kill."""

    def __init__(self, db: Path, log: Path) -> None:
        self.db, self.log = db, log
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self) -> httpx.Client:
        port = free_port()
        command = [sys.executable, "-m", "polytomic_mcp", "sandbox", "--db", str(self.db), "--port", str(port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([*command, "--clock", "step"], stdout=log, stderr=log)
        self.base_url = f"http://127.0.0.1:{port}"
        client = self.client()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if client.get("/sandbox/clock").status_code == 200:
                    return client
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"the sandbox did not start: {self.log.read_text()[-2000:]}")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=120)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def process(tmp_path: Path) -> Iterator[SandboxProcess]:
    running = SandboxProcess(tmp_path / "sandbox.db", tmp_path / "sandbox.log")
    yield running
    running.stop()


def big_csv(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "last_name"])
        writer.writerows([f"user{i}@example.com", f"F{i}", f"L{i}"] for i in range(ROWS))


def advance(api: httpx.Client, seconds: float) -> None:
    assert api.post("/sandbox/clock/advance", json={"seconds": seconds}).status_code == 200


def contacts(api: httpx.Client, salesforce_id: str) -> int:
    found = api.get("/sandbox/salesforce/objects/Contact/records", params={"connection_id": salesforce_id, "limit": 1})
    return int(found.json()["data"]["total"])


def set_up(api: httpx.Client, tmp_path: Path) -> dict[str, Any]:
    source = tmp_path / "big.csv"
    big_csv(source)
    added = api.post(f"/sandbox/buckets/{SEED_BUCKET}/files", json={"key": "big.csv", "path": str(source)})
    assert added.status_code == 200, added.text
    gcs = api.post(
        "/api/connections",
        json={
            "name": "gcs",
            "type": "gcs",
            "configuration": {"service_account": SERVICE_ACCOUNT, "bucket": SEED_BUCKET},
        },
    ).json()["data"]
    salesforce = api.post(
        "/api/connections", json={"name": "sf", "type": "salesforce", "configuration": {"domain": SEED_DOMAIN}}
    ).json()["data"]
    assert httpx.get(salesforce["auth_url"]).status_code == 200
    advance(api, 5)
    model = api.post(
        "/api/models",
        json={
            "name": "big",
            "connection_id": gcs["id"],
            "configuration": {"model_from": "single_file", "key": "big.csv"},
        },
    ).json()["data"]
    source_field = {"model_id": model["id"]}
    sync = api.post(
        "/api/syncs",
        json={
            "name": "big",
            "mode": "updateOrCreate",
            "target": {"connection_id": salesforce["id"], "object": "Contact"},
            "identity": {"source": {**source_field, "field": "email"}, "target": "Email", "function": "Equality"},
            "fields": [{"source": {**source_field, "field": "last_name"}, "target": "LastName"}],
            "schedule": {"frequency": "manual"},
        },
    )
    assert sync.status_code == 200, sync.text
    return {"salesforce": salesforce["id"], "sync": sync.json()["data"]["id"]}


def test_a_killed_sandbox_settles_what_it_left_in_flight(process: SandboxProcess, tmp_path: Path) -> None:
    api = process.start()
    ids = set_up(api, tmp_path)
    # 1. Killed while a create holds its Idempotency-Key (the fault latency keeps it in flight).
    assert api.put("/sandbox/faults", json={"latency_ms": 60_000}).status_code == 200
    body = {
        "name": "made once",
        "type": "webhook",
        "configuration": {"url": "https://hooks.example.com", "auth_method": "polytomic_secret"},
    }
    headers = {"Idempotency-Key": "create-webhook-connection-1"}
    other = process.client()
    slow = threading.Thread(target=lambda: _swallow(lambda: other.post("/api/connections", json=body, headers=headers)))
    slow.start()
    deadline = time.monotonic() + 10
    while claim_state(process.db, headers["Idempotency-Key"]) != "in_flight":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    second = api.post("/api/connections", json=body, headers=headers)
    assert second.status_code == 409 and second.json()["key"] == "idempotency_in_flight"
    process.kill()
    slow.join(timeout=10)
    api = process.start()
    assert api.put("/sandbox/faults", json={}).status_code == 200
    retried = api.post("/api/connections", json=body, headers=headers)
    assert retried.status_code == 200, retried.text  # the claim was released, not stuck at 409
    again = api.post("/api/connections", json=body, headers=headers)
    assert again.json()["data"]["id"] == retried.json()["data"]["id"]  # and now replays
    assert [c["name"] for c in api.get("/api/connections").json()["data"]].count("made once") == 1
    # 2. Killed while the run writes records.
    before = contacts(api, ids["salesforce"])
    assert contacts_in_file(process.db) == before
    sync = ids["sync"]
    started = api.post(f"/api/syncs/{sync}/executions", json={}).json()["data"]
    advance(api, 5)
    clock_before = api.get("/sandbox/clock").json()["data"]["now"]
    url = f"/api/syncs/{sync}/executions/{started['id']}"
    other = process.client()
    running = threading.Thread(target=lambda: _swallow(lambda: other.get(url)))  # this request does the work
    running.start()
    # Watched through the database file: the run holds the sandbox's store while it writes.
    deadline = time.monotonic() + 60
    while (written := contacts_in_file(process.db) - before) == 0:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.kill()
    assert written < ROWS, "the run finished before it could be interrupted"
    running.join(timeout=10)
    api = process.start()
    assert api.get("/sandbox/clock").json()["data"]["now"] >= clock_before  # the step clock goes on
    settled = api.get(url).json()["data"]
    assert settled["status"] == "failed" and "the sandbox restarted" in settled["errors"][0]
    console = api.get(f"{url}/consolelog").json()["data"]["entries"]
    assert "the sandbox restarted" in console[-1]["message"]
    kept = contacts(api, ids["salesforce"]) - before
    assert 0 < kept < ROWS  # what was written before the kill is kept
    events = [e["type"] for e in api.get("/api/events", params={"limit": 100}).json()["data"]]
    assert events[-1] == "sync.failed"
    # The sync can run again (no 409), and this time it finishes.
    rerun = api.post(f"/api/syncs/{sync}/executions", json={})
    assert rerun.status_code == 200, rerun.text
    advance(api, 5)
    done = api.get(f"/api/syncs/{sync}/executions/{rerun.json()['data']['id']}").json()["data"]
    assert done["status"] == "completed" and done["counts"]["total"] == ROWS
    assert (done["counts"]["update"], done["counts"]["insert"]) == (kept, ROWS - kept)
    assert contacts(api, ids["salesforce"]) - before == ROWS


def contacts_in_file(db: Path) -> int:
    """How many Contacts the database file holds (committed ones; this tenant is the only one)."""
    with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
        (table,) = conn.execute("SELECT table_name FROM sf_objects WHERE object = 'Contact'").fetchone()
        return int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


def claim_state(db: Path, key: str) -> str | None:
    """The state of an Idempotency-Key claim, read from the sandbox's database file."""
    with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
        row = conn.execute("SELECT state FROM idempotency WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _swallow(request: Any) -> None:
    """Run a request whose connection the kill breaks."""
    with contextlib.suppress(httpx.TransportError):
        request()
