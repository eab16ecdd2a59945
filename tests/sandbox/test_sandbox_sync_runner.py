"""The sync runner's batches: written alongside the reader in a writer thread or in turn, with the
same records, counts and error order; stopping and failures on either side end both threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sandbox_flows import SEED_BUCKET, advance, create_gcs, create_model, create_salesforce, sync_body, wait_fresh

from polytomic_mcp.sandbox.engine import sync_runner
from polytomic_mcp.sandbox.engine.sync_runner import Prepared, RunResult, Writing
from polytomic_mcp.sandbox.state.store import Store
from polytomic_mcp.sandbox.world import salesforce
from polytomic_mcp.sandbox.world.records import Batch, RecordWriter
from polytomic_mcp.sandbox.world.salesforce import ObjectDef
from polytomic_mcp.sandbox.world.standard_objects import STANDARD_OBJECTS


def _items(count: int) -> list[Prepared]:
    """Batches of three rows over a few repeating emails; each batch has a conversion error and
    a row that cannot create a record."""
    items = []
    for index in range(count):
        base = index * 4
        emails = [f"p{(base + i) % 5}@example.com" for i in range(3)]
        batch = Batch(
            [base + 1, base + 2, base + 3],
            emails,
            emails,
            [[f"F{base + i}" for i in range(3)], [f"L{base}", None, f"L{base + 2}"]],
        )
        items.append(Prepared(4, batch, [(base + 4, "Monthly_Spend__c: 'x' is not a valid currency")]))
    return items


def _writing(should_stop: Any = lambda: False) -> tuple[Writing, Store, ObjectDef]:
    store = Store(None)
    obj = salesforce.ensure_object(store, "t", "acme.test", ObjectDef.from_json(STANDARD_OBJECTS["Contact"]))
    writer = RecordWriter(store, obj, obj.field("Email"), ("FirstName", "LastName"))
    return Writing(store, writer, "updateOrCreate", RunResult(), should_stop), store, obj


def _state(store: Store, obj: ObjectDef, result: RunResult) -> tuple[Any, ...]:
    rows = [(r["Email"], r["FirstName"], r["LastName"]) for r in salesforce.list_records(store, obj, limit=1000)]
    return rows, result.counts(), result.record_errors


def test_alongside_and_in_turn_write_the_same() -> None:
    alongside, store_a, obj_a = _writing()
    sync_runner._write_alongside(alongside, iter(_items(25)))
    in_turn, store_b, obj_b = _writing()
    sync_runner._write_in_turn(in_turn, iter(_items(25)))
    assert _state(store_a, obj_a, alongside.result) == _state(store_b, obj_b, in_turn.result)
    assert alongside.result.counts()["total"] == 100
    # Per batch: its conversion errors, then its write errors.
    assert alongside.result.record_errors[:2] == [
        "row 4: Monthly_Spend__c: 'x' is not a valid currency",
        "row 2: REQUIRED_FIELD_MISSING: Contact.LastName has no value",
    ]


def _counting(items: list[Prepared], pulled: list[int]) -> Iterator[Prepared]:
    for item in items:
        pulled.append(1)
        yield item


def test_stopping_ends_the_reader_too() -> None:
    calls: list[int] = []

    def stop_after_two() -> bool:
        calls.append(1)
        return len(calls) >= 2

    writing, store, obj = _writing(stop_after_two)
    pulled: list[int] = []
    before = threading.active_count()
    sync_runner._write_alongside(writing, _counting(_items(200), pulled))
    assert writing.result.canceled and writing.result.total == 8
    assert len(salesforce.list_records(store, obj)) > 0  # the written batches are kept
    assert len(pulled) <= 2 + sync_runner.QUEUED_BATCHES + 2  # the reader stopped early
    assert threading.active_count() == before


def test_a_writer_failure_reaches_the_caller() -> None:
    def broken() -> bool:
        raise RuntimeError("store went away")

    writing, _, _ = _writing(broken)
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="store went away"):
        sync_runner._write_alongside(writing, iter(_items(50)))
    assert threading.active_count() == before


def test_a_reader_failure_reaches_the_caller_after_the_queued_batches() -> None:
    def failing() -> Iterator[Prepared]:
        yield from _items(2)
        raise ValueError("unreadable line")

    writing, store, obj = _writing()
    before = threading.active_count()
    with pytest.raises(ValueError, match="unreadable line"):
        sync_runner._write_alongside(writing, failing())
    assert threading.active_count() == before
    assert writing.result.total == 8 and len(salesforce.list_records(store, obj)) == 4


def test_many_small_batches_over_http_keep_row_order(api: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync_runner, "BATCH_ROWS", 3)
    lines = ["email,first_name,last_name"]
    for i in range(40):
        email = "" if i % 11 == 5 else f"u{i % 17}@example.com"
        lines.append(f"{email},F{i},{'' if i % 13 == 7 else f'L{i}'}")
    assert (
        api.post(
            f"/sandbox/buckets/{SEED_BUCKET}/files",
            params={"key": "many.csv"},
            content=("\n".join(lines) + "\n").encode(),
        ).status_code
        == 200
    )
    gcs, sf = create_gcs(api), create_salesforce(api)
    wait_fresh(api, gcs["id"])
    wait_fresh(api, sf["id"])
    model = create_model(api, gcs["id"], key="many.csv")
    sync = api.post("/api/syncs", json=sync_body(model["id"], sf["id"])).json()["data"]
    started = api.post(f"/api/syncs/{sync['id']}/executions", json={}).json()["data"]
    advance(api, 3)
    execution = api.get(f"/api/syncs/{sync['id']}/executions/{started['id']}").json()["data"]
    assert execution["status"] == "completed"
    rows = [int(e.split(":")[0].removeprefix("row ")) for e in execution["errors"]]
    # No email: rows 6, 17, 28, 39. No last name: rows 8 (u7, new), 21 (u3 exists: an update) and
    # 34 (u16, never created because its first row had no email).
    assert rows == [6, 8, 17, 28, 34, 39]
    counts = execution["counts"]
    assert (counts["total"], counts["insert"], counts["update"], counts["error"]) == (40, 16, 18, 6)
