"""Record writing of simulated Salesforce objects: identity keys, modes, repeated keys, batching.

A reference model applies rows one at a time (the documented semantics); the writer, set-wise or
row by row, must reach the same records, counts and errors however the rows are batched.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from polytomic_mcp.sandbox.state.store import Store
from polytomic_mcp.sandbox.world import records, salesforce
from polytomic_mcp.sandbox.world.records import Batch, BatchCounts, Mode, RecordWriter
from polytomic_mcp.sandbox.world.salesforce import ObjectDef, normalize
from polytomic_mcp.sandbox.world.standard_objects import STANDARD_OBJECTS

TENANT, DOMAIN = "tenant", "acme.example.com"
MISSING = "REQUIRED_FIELD_MISSING: Contact.LastName has no value"


def contact_object(store: Store) -> ObjectDef:
    return salesforce.ensure_object(store, TENANT, DOMAIN, ObjectDef.from_json(STANDARD_OBJECTS["Contact"]))


def all_records(store: Store, obj: ObjectDef) -> list[dict[str, Any]]:
    return salesforce.list_records(store, obj, limit=100_000)


def keys_are_canonical(store: Store, obj: ObjectDef) -> None:
    """The first-created holder of each identity value has the text key, every other one a BLOB."""
    for f in obj.identity_fields:
        rows = store.conn.execute(f'SELECT rid, "{f.id}", "{f.id}__key" FROM "{obj.table}" ORDER BY rid').fetchall()
        seen: set[str] = set()
        for rid, value, key in rows:
            if value is None:
                assert key is None
                continue
            norm = normalize(str(value))
            if norm in seen:
                assert key == salesforce.duplicate_key(norm, rid)
            else:
                assert key == norm
                seen.add(norm)


@dataclass
class Reference:
    """Rows applied one at a time to a list of records (rid order), matching on Email."""

    records: list[dict[str, Any]] = field(default_factory=list)
    next_rid: int = 1

    def seed(self, email: str | None, first: str | None, last: str) -> None:
        self.records.append({"rid": self.next_rid, "Email": email, "FirstName": first, "LastName": last})
        self.next_rid += 1

    def match(self, key: str) -> dict[str, Any] | None:
        return next((r for r in self.records if r["Email"] is not None and normalize(r["Email"]) == key), None)

    def apply(self, mode: Mode, rows: list[tuple[int, str, str | None, str | None]]) -> BatchCounts:
        counts = BatchCounts()
        for number, email, first, last in rows:
            found = self.match(normalize(email))
            if mode == "remove":
                if found is not None:
                    self.records.remove(found)
                    counts.delete += 1
                continue
            if found is not None:
                if mode != "create":
                    # An empty cell never blanks the required LastName: it stays as it was.
                    found.update(FirstName=first, LastName=found["LastName"] if last is None else last)
                    counts.update += 1
                continue
            if mode == "update":
                continue
            if last is None:
                counts.errors.append((number, MISSING))
                continue
            self.records.append({"rid": self.next_rid, "Email": email, "FirstName": first, "LastName": last})
            self.next_rid += 1
            counts.insert += 1
        return counts

    def view(self) -> list[tuple[Any, ...]]:
        return [(r["Email"], r["FirstName"], r["LastName"]) for r in self.records]


def view(store: Store, obj: ObjectDef) -> list[tuple[Any, ...]]:
    """Records in creation order (row ids have gaps: an upserted row that updates uses one up)."""
    return [(r["Email"], r["FirstName"], r["LastName"]) for r in all_records(store, obj)]


def rids(store: Store, obj: ObjectDef) -> list[int]:
    return [int(salesforce.rid_of(obj, r["Id"]) or 0) for r in all_records(store, obj)]


def batch_of(rows: list[tuple[int, str, str | None, str | None]]) -> Batch:
    return Batch(
        [n for n, *_ in rows],
        [normalize(e) for _, e, _, _ in rows],
        [e for _, e, _, _ in rows],
        [[f for _, _, f, _ in rows], [la for _, _, _, la in rows]],
    )


def write(
    writer: RecordWriter, mode: Mode, rows: list[tuple[int, str, str | None, str | None]], sizes: list[int]
) -> BatchCounts:
    total = BatchCounts()
    start = 0
    for size in sizes:
        part = rows[start : start + size]
        start += size
        if part:
            total.add(writer.apply(mode, batch_of(part)))
    assert start >= len(rows)
    return total


def random_rows(rng: random.Random, count: int) -> list[tuple[int, str, str | None, str | None]]:
    pool = ["ann@example.com", "bob@example.com", "cy@example.com", "dee@example.com", "eve@example.com"]
    rows = []
    for number in range(1, count + 1):
        email = rng.choice(pool)
        email = email.upper() if rng.random() < 0.3 else email
        last = None if rng.random() < 0.2 else f"L{number}"
        rows.append((number, email, f"F{number}", last))
    return rows


def random_sizes(rng: random.Random, total: int) -> list[int]:
    sizes = []
    while sum(sizes) < total:
        sizes.append(rng.randint(1, 7))
    return sizes


@pytest.mark.parametrize("set_wise", [True, False], ids=["set-wise", "row-by-row"])
@pytest.mark.parametrize("seed", range(12))
def test_any_batching_matches_one_row_at_a_time(seed: int, set_wise: bool) -> None:
    rng = random.Random(seed)
    store = Store(None)
    obj = contact_object(store)
    reference = Reference()
    # Seeded duplicates (Salesforce allows two contacts with one email): matching finds the first.
    seeded = [
        ("ann@example.com", "Old", "Ann"),
        ("ANN@example.com ", "Older", "Ann2"),
        ("bob@example.com", None, "Bob"),
    ]
    records.insert_records(store, obj, [{"Email": e, "FirstName": f, "LastName": la} for e, f, la in seeded])
    for email, first, last in seeded:
        reference.seed(email.strip(), first, last)
    writer = RecordWriter(store, obj, obj.field("Email"), ("FirstName", "LastName"))
    writer._bulk = set_wise  # both paths must follow the same rules
    known = set(rids(store, obj))
    given = max(known)
    for _ in range(6):
        mode: Mode = rng.choice(["create", "update", "updateOrCreate", "updateOrCreate", "remove"])
        rows = random_rows(rng, rng.randint(1, 25))
        got = write(writer, mode, rows, random_sizes(rng, len(rows)))
        expected = reference.apply(mode, rows)
        assert (got.insert, got.update, got.delete, got.errors) == (
            expected.insert,
            expected.update,
            expected.delete,
            expected.errors,
        ), mode
        assert view(store, obj) == reference.view()
        keys_are_canonical(store, obj)
        # Ids are never reused: records created now have ids above every id given before.
        now = rids(store, obj)
        assert all(r > given for r in now if r not in known)
        known.update(now)
        given = max([given, *now])


def test_repeated_keys_in_one_batch_insert_once_and_update_after() -> None:
    store = Store(None)
    obj = contact_object(store)
    writer = RecordWriter(store, obj, obj.field("Email"), ("FirstName", "LastName"))
    rows = [(1, "x@example.com", "A", "One"), (2, "X@EXAMPLE.COM", "B", "Two"), (3, " x@example.com", "C", "Three")]
    counts = writer.apply("updateOrCreate", batch_of(rows))
    assert (counts.insert, counts.update) == (1, 2)
    found = salesforce.list_records(store, obj, where={"Email": "X@example.com"})
    # The record keeps the identity value it was created with and the last row's values.
    assert [(r["Email"], r["FirstName"], r["LastName"]) for r in found] == [("x@example.com", "C", "Three")]
    counts = writer.apply("update", batch_of(rows))
    assert counts.update == 3 and all_records(store, obj)[-1]["FirstName"] == "C"


def test_a_row_without_a_required_value_updates_a_match_and_fails_otherwise() -> None:
    store = Store(None)
    obj = contact_object(store)
    writer = RecordWriter(store, obj, obj.field("Email"), ("FirstName", "LastName"))
    rows = [
        (1, "a@example.com", "A", "Alpha"),
        (2, "a@example.com", "A2", None),  # matches the record row 1 created: an update
        (3, "b@example.com", "B", None),  # no match, cannot create
        (4, "b@example.com", "B", "Beta"),  # now it can
        (5, "a@example.com", "A3", "Alpha3"),
    ]
    counts = writer.apply("updateOrCreate", batch_of(rows))
    assert (counts.insert, counts.update, counts.errors) == (2, 2, [(3, MISSING)])
    assert [(r["Email"], r["FirstName"], r["LastName"]) for r in all_records(store, obj)] == [
        ("a@example.com", "A3", "Alpha3"),
        ("b@example.com", "B", "Beta"),
    ]
    unmapped = RecordWriter(store, obj, obj.field("Email"), ("FirstName",))
    counts = unmapped.apply(
        "updateOrCreate",
        Batch([1, 2], ["a@example.com", "c@example.com"], ["a@example.com", "c@example.com"], [["Z", "Y"]]),
    )
    assert counts.update == 1
    assert counts.errors == [(2, "REQUIRED_FIELD_MISSING: Contact.LastName is not mapped")]


def test_remove_with_duplicates_deletes_the_next_holder_each_time() -> None:
    store = Store(None)
    obj = contact_object(store)
    records.insert_records(
        store, obj, [{"Email": "d@example.com", "LastName": str(i)} for i in range(3)] + [{"LastName": "none"}]
    )
    writer = RecordWriter(store, obj, obj.field("Email"), ())
    counts = writer.apply("remove", Batch([1, 2], ["d@example.com"] * 2, ["D@example.com", "d@example.com"], []))
    assert counts.delete == 2
    assert [r["LastName"] for r in all_records(store, obj)] == ["2", "none"]
    keys_are_canonical(store, obj)
    assert salesforce.list_records(store, obj, where={"Email": "d@EXAMPLE.com"})[0]["LastName"] == "2"


def test_mapped_identity_columns_keep_keys_canonical_row_by_row() -> None:
    """Matching on Email while writing External_Id__c (another identity) goes row by row and keeps
    External_Id__c matchable, duplicates included."""
    store = Store(None)
    obj = contact_object(store)
    by_email = RecordWriter(store, obj, obj.field("Email"), ("External_Id__c", "LastName"))
    rows = Batch(
        [1, 2, 3],
        ["p@example.com", "q@example.com", "p@example.com"],
        ["p@example.com", "q@example.com", "p@example.com"],
        [["EXT-1", "ext-1", "EXT-2"], ["P", "Q", "P2"]],
    )
    counts = by_email.apply("updateOrCreate", rows)
    assert (counts.insert, counts.update) == (2, 1)
    keys_are_canonical(store, obj)  # p moved from EXT-1 to EXT-2, so q holds ext-1 alone
    by_external = RecordWriter(store, obj, obj.field("External_Id__c"), ("LastName",))
    counts = by_external.apply("update", Batch([1], ["ext-1"], ["ext-1"], [["Matched"]]))
    assert counts.update == 1
    assert [r["LastName"] for r in all_records(store, obj)] == ["P2", "Matched"]
    # An Email taken by an earlier record makes the later one a duplicate holder.
    switch = RecordWriter(store, obj, obj.field("External_Id__c"), ("Email",))
    switch.apply("update", Batch([1], ["ext-1"], ["ext-1"], [["P@example.com"]]))
    keys_are_canonical(store, obj)
    assert [r["LastName"] for r in salesforce.list_records(store, obj, where={"Email": "p@example.com"})] == [
        "P2",
        "Matched",
    ]


def test_identity_mapped_from_another_source_goes_row_by_row() -> None:
    store = Store(None)
    obj = contact_object(store)
    writer = RecordWriter(store, obj, obj.field("Email"), ("Email", "LastName"), identity_column_is_key=False)
    counts = writer.apply(
        "updateOrCreate", Batch([1], ["login@example.com"], ["login@example.com"], [["contact@example.com"], ["L"]])
    )
    assert counts.insert == 1
    keys_are_canonical(store, obj)
    assert salesforce.list_records(store, obj, where={"Email": "contact@example.com"})[0]["LastName"] == "L"


def test_matching_on_id() -> None:
    store = Store(None)
    obj = contact_object(store)
    records.insert_records(store, obj, [{"LastName": "A"}, {"LastName": "B"}])
    first = all_records(store, obj)[0]["Id"]
    writer = RecordWriter(store, obj, obj.field("Id"), ("LastName",))
    counts = writer.apply("updateOrCreate", Batch([1, 2], [first, "003Sb9999999999AAA"], [first, None], [["A2", "C"]]))
    assert (counts.insert, counts.update) == (1, 1)
    assert [r["LastName"] for r in all_records(store, obj)] == ["A2", "B", "C"]


def test_tables_of_the_first_layout_get_unique_keys() -> None:
    store = Store(None)
    table = "sfrec_legacy"
    store.conn.execute(
        f'CREATE TABLE "{table}" (rid INTEGER PRIMARY KEY, "Email" TEXT, "LastName" TEXT, "Email__norm" TEXT)'
    )
    store.conn.execute(f'CREATE INDEX "{table}_Email" ON "{table}" ("Email__norm") WHERE "Email__norm" IS NOT NULL')
    store.conn.executemany(
        f'INSERT INTO "{table}" ("Email", "LastName", "Email__norm") VALUES (?, ?, ?)',
        [("A@x.com", "1", "a@x.com"), ("a@x.com", "2", "a@x.com"), (None, "3", None), ("b@x.com", "4", "b@x.com")],
    )
    definition = {
        "name": "Contact",
        "label": "Contact",
        "id_prefix": "003",
        "fields": [
            {"id": "Email", "type": "email", "identity_functions": ["Equality"]},
            {"id": "LastName", "type": "string", "required": True},
        ],
    }
    store.conn.execute(
        "INSERT INTO sf_objects (tenant, domain, object, table_name, definition) VALUES (?, ?, ?, ?, ?)",
        (TENANT, DOMAIN, "Contact", table, json.dumps(definition)),
    )
    obj = salesforce.get_object(store, TENANT, DOMAIN, "Contact")
    assert obj is not None
    keys = store.conn.execute(f'SELECT "Email__key" FROM "{table}" ORDER BY rid').fetchall()
    assert [k for (k,) in keys] == ["a@x.com", salesforce.duplicate_key("a@x.com", 2), None, "b@x.com"]
    writer = RecordWriter(store, obj, obj.field("Email"), ("LastName",))
    counts = writer.apply(
        "updateOrCreate", Batch([1, 2], ["a@x.com", "c@x.com"], ["a@x.com", "c@x.com"], [["1b", "5"]])
    )
    assert (counts.insert, counts.update) == (1, 1)
    assert [r["LastName"] for r in all_records(store, obj)] == ["1b", "2", "3", "4", "5"]
    again = salesforce.get_object(store, TENANT, DOMAIN, "Contact")
    assert (
        again is not None
        and json.loads(
            store.conn.execute("SELECT definition FROM sf_objects WHERE table_name = ?", (table,)).fetchone()[0]
        )["layout"]
        == salesforce.LAYOUT
    )
