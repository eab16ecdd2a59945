"""Writing records of simulated Salesforce objects: sync batches and seed records.

Rows are applied in file order, each as if it were written alone: a row whose identity matches
a record (the first-created holder of its normalised value, including a record an earlier row
of the same file created) acts on that record; ``create`` inserts rows without a match and
skips the rest, ``update`` updates matches and skips the rest, ``updateOrCreate`` does both and
``remove`` deletes matches. A row that would create a record without a value for a required
field is a record error; a row that updates a record leaves a required field it has no value
for as it was (the record never loses it). The outcome does not depend on how the rows are
batched.

The common sync (matched on an identity field, writing no other identity-capable field) is
written set-wise: a run of rows is one ``INSERT … ON CONFLICT`` statement over the identity's
unique key (rows are inserted or update the holder one after the other, so repeated keys behave
as above); a run of rows that cannot create records only updates its matches; ``update`` is one
``UPDATE … FROM (VALUES …)`` with the last row per key, ``remove`` one ``DELETE``. The rest
(matching on ``Id``, writing other identity-capable fields, ``remove`` while some identity value
has several holders) goes row by row under the same rules, keeping the keys canonical (see
``world.salesforce``).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Literal

from polytomic_mcp.sandbox.errors import bad_request
from polytomic_mcp.sandbox.state.store import Store
from polytomic_mcp.sandbox.world.salesforce import (
    FieldDef,
    ObjectDef,
    coerce,
    duplicate_key,
    holders_condition,
    holders_params,
    key_column,
    key_norm,
    normalize,
    rid_of,
)

Mode = Literal["create", "update", "updateOrCreate", "remove"]


@dataclass
class Batch:
    """Rows ready to write, column by column: every list has one entry per row."""

    numbers: list[int]  # source row numbers, for record errors
    keys: list[str | None]  # normalised identity value (None when the sync has no identity)
    identity_values: list[Any]  # identity value a created record gets when it is not a mapped column
    columns: list[list[Any]]  # converted values, one list per writer column

    def __len__(self) -> int:
        return len(self.numbers)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        return zip(*self.columns, strict=True) if self.columns else iter([()] * len(self.numbers))

    def select(self, indices: Sequence[int]) -> Batch:
        return Batch(
            [self.numbers[i] for i in indices],
            [self.keys[i] for i in indices],
            [self.identity_values[i] for i in indices],
            [[column[i] for i in indices] for column in self.columns],
        )


@dataclass
class BatchCounts:
    insert: int = 0
    update: int = 0
    delete: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: BatchCounts) -> None:
        self.insert += other.insert
        self.update += other.update
        self.delete += other.delete
        self.errors.extend(other.errors)


def _marks(rows: int, width: int) -> str:
    """``(?,?),(?,?)…`` for a multi-row statement. (Plain ``?`` binds much faster than ``?NNN``.)"""
    return ",".join(["(" + ",".join("?" * width) + ")"] * rows)


class RecordWriter:
    """Writes batches of one sync (or seed) to one object.

    ``columns`` are the target fields the rows carry values for, in order; ``identity`` is the
    field rows are matched on (None: every row creates a record). ``identity_column_is_key``
    says that when the identity field is one of the columns, its value normalises to the row's
    key (it is mapped from the same source field). ``references`` gives, for lookup columns, the
    object their values must be record ids of (None when the org has no such object): a row
    with any other value is a record error.
    """

    def __init__(
        self,
        store: Store,
        obj: ObjectDef,
        identity: FieldDef | None,
        columns: tuple[str, ...],
        identity_column_is_key: bool = True,
        references: Mapping[str, ObjectDef | None] | None = None,
    ) -> None:
        self.store = store
        self.obj = obj
        self.table = f'"{obj.table}"'
        self.identity = identity
        self.columns = columns
        self._extra_identity = identity is not None and identity.id != "Id" and identity.id not in columns
        self.insert_columns = columns + ((identity.id,) if self._extra_identity and identity else ())
        keyed = {f.id for f in obj.identity_fields}
        self._keyed_inserts = [(i, c) for i, c in enumerate(self.insert_columns) if c in keyed]
        self._keyed_updates = [(i, c) for i, c in enumerate(columns) if c in keyed]
        required = [f.id for f in obj.data_fields if f.required]
        self._always_missing = [r for r in required if r not in self.insert_columns]
        self._required = [(self.insert_columns.index(r), r) for r in required if r in self.insert_columns]
        self._kept_when_empty = frozenset(required)
        # The set-wise path: matching on a keyed field that is the only keyed column written and,
        # when it is also a mapped column, carries the value rows are matched on.
        self._bulk = (
            identity is not None
            and identity.id in keyed
            and [c for _, c in self._keyed_inserts] == [identity.id]
            and (self._extra_identity or identity_column_is_key)
        )
        self._references = [
            (columns.index(name), name, target, _referenced_name(obj, name, target))
            for name, target in (references or {}).items()
            if name in columns
        ]
        self._statements: dict[tuple[str, int], str] = {}
        self._autoincrement: bool | None = None

    # -- entry point ---------------------------------------------------------------------------
    def apply(self, mode: Mode, batch: Batch) -> BatchCounts:
        """Writes one batch in one transaction; rows that cannot be written become errors."""
        if not len(batch):
            return BatchCounts()
        with self.store.transaction() as conn:
            refused: list[tuple[int, str]] = []
            if self._references:
                batch, refused = self._check_references(conn, batch)
            if not len(batch):
                counts = BatchCounts()
            elif self.identity is None and not self._keyed_inserts:
                counts = self._insert_all(conn, mode, batch)
            elif self._bulk and (mode != "remove" or not self._has_duplicates(conn)):
                counts = self._apply_bulk(conn, mode, batch)
            else:
                counts = self._apply_rows(conn, mode, batch)
        counts.errors[:0] = refused
        return counts

    def _check_references(self, conn: sqlite3.Connection, batch: Batch) -> tuple[Batch, list[tuple[int, str]]]:
        """Leaves out the rows whose lookup value is not the id of an existing record of the
        referenced object; returns the rest and an error per row left out."""
        refused: dict[int, str] = {}
        for position, name, target, referenced in self._references:
            column = batch.columns[position]
            wanted = {value for value in column if value is not None}
            if not wanted:
                continue
            valid = _existing_ids(conn, target, wanted)
            for index, value in enumerate(column):
                if value is not None and value not in valid:
                    refused.setdefault(
                        index,
                        f"INVALID_CROSS_REFERENCE_KEY: {self.obj.name}.{name}: {value!r} is not the id of an "
                        f"existing {referenced} record",
                    )
        if not refused:
            return batch, []
        kept = batch.select([i for i in range(len(batch)) if i not in refused])
        return kept, [(batch.numbers[i], refused[i]) for i in sorted(refused)]

    # -- helpers -------------------------------------------------------------------------------
    def _new_value(self, column: str, value: str) -> str:
        """What an update writes to ``column``: the row's value, except that an empty value
        leaves a required field as it was (Salesforce never holds a record without one)."""
        return f'COALESCE({value}, "{column}")' if column in self._kept_when_empty else value

    def _missing(self, row: Sequence[Any]) -> str | None:
        """Why a row cannot create a record, or None."""
        if self._always_missing:
            return f"REQUIRED_FIELD_MISSING: {self.obj.name}.{self._always_missing[0]} is not mapped"
        for position, name in self._required:
            if row[position] is None:
                return f"REQUIRED_FIELD_MISSING: {self.obj.name}.{name} has no value"
        return None

    def _unfit_rows(self, batch: Batch) -> list[int]:
        """Rows that could not create a record (a required field without a value), in order."""
        if self._always_missing:
            return list(range(len(batch)))
        bad: set[int] = set()
        for position, _ in self._required:
            column = batch.columns[position] if position < len(self.columns) else batch.identity_values
            if None in column:
                bad.update(i for i, value in enumerate(column) if value is None)
        return sorted(bad)

    def _row_limit(self, conn: sqlite3.Connection, width: int) -> int:
        return max(1, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // max(width, 1))

    def _has_duplicates(self, conn: sqlite3.Connection) -> bool:
        """Whether any identity value is held by more than one record (a BLOB key exists)."""
        for f in self.obj.identity_fields:
            key = key_column(f.id)
            if conn.execute(f"SELECT 1 FROM {self.table} WHERE {key} >= x'' LIMIT 1").fetchone():
                return True
        return False

    def _last_rid(self, conn: sqlite3.Connection) -> int:
        """The largest row id given so far: new records get larger ones."""
        largest = conn.execute(f"SELECT COALESCE(MAX(rid), 0) FROM {self.table}").fetchone()[0]
        if self._autoincrement is None:
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (self.obj.table,)).fetchone()
            self._autoincrement = bool(sql) and "AUTOINCREMENT" in str(sql[0]).upper()
        if not self._autoincrement:  # tables of the first layout reuse the ids of deleted records
            return int(largest)
        given = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (self.obj.table,)).fetchone()
        return max(int(largest), int(given[0]) if given else 0)

    # -- no identity: every fit row creates a record ----------------------------------------------
    def _insert_all(self, conn: sqlite3.Connection, mode: Mode, batch: Batch) -> BatchCounts:
        counts = BatchCounts()
        if mode != "create":
            return counts
        unfit = self._unfit_rows(batch)
        if unfit:
            values = list(batch.rows())
            for i in unfit:
                message = self._missing(values[i])
                counts.errors.append((batch.numbers[i], message or "REQUIRED_FIELD_MISSING"))
            drop = set(unfit)
            batch = batch.select([i for i in range(len(batch)) if i not in drop])
        if not len(batch):
            return counts
        if not self.columns:
            conn.executemany(f"INSERT INTO {self.table} DEFAULT VALUES", [()] * len(batch))
            counts.insert = len(batch)
            return counts
        names = ", ".join(f'"{c}"' for c in self.columns)
        width = len(self.columns)
        flat = list(chain.from_iterable(batch.rows()))
        per = self._row_limit(conn, width)
        for start in range(0, len(batch), per):
            part = flat[start * width : (start + per) * width]
            conn.execute(f"INSERT INTO {self.table} ({names}) VALUES {_marks(len(part) // width, width)}", part)
        counts.insert = len(batch)
        return counts

    # -- the set-wise path ---------------------------------------------------------------------
    def _apply_bulk(self, conn: sqlite3.Connection, mode: Mode, batch: Batch) -> BatchCounts:
        if mode == "update":
            return self._update_matches(conn, batch)
        if mode == "remove":
            return self._remove_matches(conn, batch)
        counts = BatchCounts()
        # Runs of rows that can create records go through the upsert; a run of rows that cannot
        # (rare) only updates (updateOrCreate) or is skipped (create) where it matches, and is an
        # error where it does not. Runs are written in order, so later rows see earlier ones.
        for start, end, fit in _segments(len(batch), self._unfit_rows(batch)):
            part = batch if end - start == len(batch) else batch.select(range(start, end))
            counts.add(self._upsert(conn, mode, part) if fit else self._unfit_run(conn, mode, part))
        return counts

    def _upsert_sql(self, mode: Mode, rows: int) -> str:
        cache_key = (mode, rows)
        sql = self._statements.get(cache_key)
        if sql is None:
            assert self.identity is not None
            names = [f'"{c}"' for c in self.insert_columns]
            names.append(key_column(self.identity.id))
            key = key_column(self.identity.id)
            assignments = ", ".join(f'"{c}" = {self._new_value(c, f"excluded.{_q(c)}")}' for c in self.columns)
            action = f"DO UPDATE SET {assignments}" if mode == "updateOrCreate" and assignments else "DO NOTHING"
            sql = (
                f"INSERT INTO {self.table} ({', '.join(names)}) VALUES {_marks(rows, len(names))} "
                f"ON CONFLICT ({key}) WHERE {key} IS NOT NULL {action}"
            )
            self._statements[cache_key] = sql
        return sql

    def _upsert(self, conn: sqlite3.Connection, mode: Mode, batch: Batch) -> BatchCounts:
        """Inserts rows without a match and (updateOrCreate) updates the holder of the others,
        row after row. New records take row ids after every id given so far, so the records
        inserted are those past that mark."""
        # Per row: the column values, the identity value (when not a column), the key.
        width = len(self.insert_columns) + 1
        parts = [*batch.columns, batch.identity_values] if self._extra_identity else list(batch.columns)
        flat = list(chain.from_iterable(zip(*parts, batch.keys, strict=True)))
        per = self._row_limit(conn, width)
        mark = self._last_rid(conn)
        for start in range(0, len(batch), per):
            chunk = flat[start * width : (start + per) * width]
            conn.execute(self._upsert_sql(mode, len(chunk) // width), chunk)
        inserted = int(conn.execute(f"SELECT COUNT(*) FROM {self.table} WHERE rid > ?", (mark,)).fetchone()[0])
        return BatchCounts(insert=inserted, update=len(batch) - inserted if mode == "updateOrCreate" else 0)

    def _matched_keys(self, conn: sqlite3.Connection, keys: Sequence[str | None]) -> set[str]:
        assert self.identity is not None
        wanted = list({k for k in keys if k is not None})
        found: set[str] = set()
        per = self._row_limit(conn, 1)
        key = key_column(self.identity.id)
        for start in range(0, len(wanted), per):
            chunk = wanted[start : start + per]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT {key} FROM {self.table} WHERE {key} IN ({marks})", chunk)
            found.update(str(r[0]) for r in rows)
        return found

    def _unfit_run(self, conn: sqlite3.Connection, mode: Mode, batch: Batch) -> BatchCounts:
        counts = BatchCounts()
        matched = self._matched_keys(conn, batch.keys)
        if mode == "updateOrCreate":
            hits = [i for i, k in enumerate(batch.keys) if k in matched]
            if hits:
                counts.add(self._update_matches(conn, batch.select(hits)))
        rows = list(batch.rows())
        for i, key in enumerate(batch.keys):
            if key not in matched:
                values = (*rows[i], batch.identity_values[i]) if self._extra_identity else rows[i]
                counts.errors.append((batch.numbers[i], self._missing(values) or "REQUIRED_FIELD_MISSING"))
        return counts

    def _update_matches(self, conn: sqlite3.Connection, batch: Batch) -> BatchCounts:
        """Updates the holder of each matching row; a key repeated in the batch is written with
        its last row's values (each row counts as one update)."""
        assert self.identity is not None
        last = dict(zip(batch.keys, range(len(batch)), strict=True))
        repeats = len(last) < len(batch)
        chosen = self._merged_by_key(batch, last) if repeats else batch
        if not self.columns:
            matched = self._matched_keys(conn, chosen.keys)
        else:
            matched = set()
            width = len(self.columns) + 1
            flat = list(chain.from_iterable(zip(*chosen.columns, chosen.keys, strict=True)))
            per = self._row_limit(conn, width)
            key = key_column(self.identity.id)
            assignments = ", ".join(
                f'"{c}" = {self._new_value(c, f"v.column{i + 1}")}' for i, c in enumerate(self.columns)
            )
            for start in range(0, len(chosen), per):
                chunk = flat[start * width : (start + per) * width]
                rows = len(chunk) // width
                cursor = conn.execute(
                    f"UPDATE {self.table} SET {assignments} FROM (VALUES {_marks(rows, width)}) AS v "
                    f"WHERE {self.table}.{key} = v.column{width} RETURNING {self.table}.{key}",
                    chunk,
                )
                matched.update(str(r[0]) for r in cursor.fetchall())
        if repeats:
            multiplicity = Counter(batch.keys)
            return BatchCounts(update=sum(multiplicity[k] for k in matched))
        return BatchCounts(update=len(matched))

    def _merged_by_key(self, batch: Batch, last: dict[str | None, int]) -> Batch:
        """One row per key, as that key's rows applied in order leave the record: each column
        takes its last row's value, a required column its last non-empty one."""
        chosen = batch.select(sorted(last.values()))
        slot = {key: index for index, key in enumerate(chosen.keys)}
        for position, column in enumerate(self.columns):
            if column not in self._kept_when_empty or None not in chosen.columns[position]:
                continue
            merged: list[Any] = [None] * len(chosen)
            for key, value in zip(batch.keys, batch.columns[position], strict=True):
                if value is not None:
                    merged[slot[key]] = value
            chosen.columns[position] = merged
        return chosen

    def _remove_matches(self, conn: sqlite3.Connection, batch: Batch) -> BatchCounts:
        """Deletes the holder of each key (no identity value has a second holder, so a repeated
        key finds nothing the second time)."""
        assert self.identity is not None
        wanted = list(dict.fromkeys(k for k in batch.keys if k is not None))
        per = self._row_limit(conn, 1)
        key = key_column(self.identity.id)
        deleted = 0
        for start in range(0, len(wanted), per):
            chunk = wanted[start : start + per]
            marks = ",".join("?" * len(chunk))
            deleted += conn.execute(f"DELETE FROM {self.table} WHERE {key} IN ({marks})", chunk).rowcount
        return BatchCounts(delete=deleted)

    # -- row by row ----------------------------------------------------------------------------
    def _apply_rows(self, conn: sqlite3.Connection, mode: Mode, batch: Batch) -> BatchCounts:
        counts = BatchCounts()
        for number, key, values, identity_value in zip(
            batch.numbers, batch.keys, batch.rows(), batch.identity_values, strict=True
        ):
            match = self._match(conn, key)
            if mode == "remove":
                if match is not None:
                    self._delete(conn, match)
                    counts.delete += 1
                continue
            if match is not None:
                if mode != "create":
                    self._update(conn, match, values)
                    counts.update += 1
                continue
            if mode == "update":
                continue
            row = (*values, identity_value) if self._extra_identity else values
            problem = self._missing(row)
            if problem is not None:
                counts.errors.append((number, problem))
                continue
            self._insert(conn, row)
            counts.insert += 1
        return counts

    def _match(self, conn: sqlite3.Connection, key: str | None) -> int | None:
        if self.identity is None or key is None:
            return None
        if self.identity.id == "Id":
            rid = rid_of(self.obj, key)
            if rid is None:
                return None
            found = conn.execute(f"SELECT rid FROM {self.table} WHERE rid = ?", (rid,)).fetchone()
        else:
            found = conn.execute(
                f"SELECT rid FROM {self.table} WHERE {key_column(self.identity.id)} = ?", (key,)
            ).fetchone()
        return None if found is None else int(found[0])

    def _insert(self, conn: sqlite3.Connection, row: tuple[Any, ...]) -> None:
        if self.insert_columns:
            names = ", ".join(f'"{c}"' for c in self.insert_columns)
            sql = f"INSERT INTO {self.table} ({names}) VALUES ({','.join('?' * len(row))})"
        else:
            sql = f"INSERT INTO {self.table} DEFAULT VALUES"
        rid = conn.execute(sql, row).lastrowid
        assert rid is not None
        for position, field_id in self._keyed_inserts:
            norm = _norm(row[position])
            if norm is not None:
                _attach(conn, self.table, field_id, rid, norm)

    def _update(self, conn: sqlite3.Connection, rid: int, values: tuple[Any, ...]) -> None:
        if not self.columns:
            return
        if self._keyed_updates:
            names = ", ".join(key_column(c) for _, c in self._keyed_updates)
            keys = conn.execute(f"SELECT {names} FROM {self.table} WHERE rid = ?", (rid,)).fetchone()
            for (position, field_id), key in zip(self._keyed_updates, keys, strict=True):
                if values[position] is None and field_id in self._kept_when_empty:
                    continue  # the update leaves this required field as it was
                before, after = key_norm(key), _norm(values[position])
                if after != before:
                    if before is not None:
                        _detach(conn, self.table, field_id, rid, before)
                    if after is not None:
                        _attach(conn, self.table, field_id, rid, after)
        assignments = ", ".join(f'"{c}" = {self._new_value(c, "?")}' for c in self.columns)
        conn.execute(f"UPDATE {self.table} SET {assignments} WHERE rid = ?", (*values, rid))

    def _delete(self, conn: sqlite3.Connection, rid: int) -> None:
        fields = [f.id for f in self.obj.identity_fields]
        if fields:
            names = ", ".join(key_column(f) for f in fields)
            keys = conn.execute(f"SELECT {names} FROM {self.table} WHERE rid = ?", (rid,)).fetchone()
            for field_id, key in zip(fields, keys, strict=True):
                norm = key_norm(key)
                if norm is not None:
                    _detach(conn, self.table, field_id, rid, norm)
        conn.execute(f"DELETE FROM {self.table} WHERE rid = ?", (rid,))


def _segments(size: int, unfit: list[int]) -> Iterator[tuple[int, int, bool]]:
    """``(start, end, fit)`` runs covering ``range(size)``; ``unfit`` lists the rows that are not."""
    start = 0
    index = 0
    while start < size:
        if index < len(unfit) and unfit[index] == start:
            end = start
            while index < len(unfit) and unfit[index] == end:
                index += 1
                end += 1
            yield start, end, False
        else:
            end = unfit[index] if index < len(unfit) else size
            yield start, end, True
        start = end


def _referenced_name(obj: ObjectDef, name: str, target: ObjectDef | None) -> str:
    field = obj.field(name)
    return target.name if target else (field.reference_to if field and field.reference_to else "referenced")


def _existing_ids(conn: sqlite3.Connection, target: ObjectDef | None, values: set[Any]) -> set[Any]:
    """Those of ``values`` that are ids of existing records of ``target``."""
    if target is None:
        return set()
    rows: dict[int, list[Any]] = {}
    for value in values:
        rid = rid_of(target, str(value))
        if rid is not None:
            rows.setdefault(rid, []).append(value)
    found: set[Any] = set()
    wanted = list(rows)
    limit = max(1, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    for start in range(0, len(wanted), limit):
        chunk = wanted[start : start + limit]
        marks = ",".join("?" * len(chunk))
        for (rid,) in conn.execute(f'SELECT rid FROM "{target.table}" WHERE rid IN ({marks})', chunk):
            found.update(rows[int(rid)])
    return found


def _q(name: str) -> str:
    return f'"{name}"'


def _norm(value: Any) -> str | None:
    return None if value is None else normalize(str(value))


# -- keeping identity keys canonical -----------------------------------------------------------


def _attach(conn: sqlite3.Connection, table: str, field_id: str, rid: int, norm: str) -> None:
    """Record ``rid`` now holds the value: it is canonical unless a record created before it
    holds the value too (a later-created canonical holder gives way)."""
    key = key_column(field_id)
    row = conn.execute(f"SELECT rid FROM {table} WHERE {key} = ?", (norm,)).fetchone()
    holder = None if row is None else int(row[0])
    if holder == rid:
        return
    if holder is not None and holder < rid:
        conn.execute(f"UPDATE {table} SET {key} = ? WHERE rid = ?", (duplicate_key(norm, rid), rid))
        return
    if holder is not None:
        conn.execute(f"UPDATE {table} SET {key} = ? WHERE rid = ?", (duplicate_key(norm, holder), holder))
    conn.execute(f"UPDATE {table} SET {key} = ? WHERE rid = ?", (norm, rid))


def _detach(conn: sqlite3.Connection, table: str, field_id: str, rid: int, norm: str) -> None:
    """Record ``rid`` stops holding the value: the next-created holder (if any) takes over."""
    key = key_column(field_id)
    current = conn.execute(f"SELECT {key} FROM {table} WHERE rid = ?", (rid,)).fetchone()
    conn.execute(f"UPDATE {table} SET {key} = NULL WHERE rid = ?", (rid,))
    if current is None or current[0] != norm:
        return
    successor = conn.execute(
        f"SELECT MIN(rid) FROM {table} WHERE {holders_condition(field_id)}", holders_params(norm)
    ).fetchone()
    if successor is not None and successor[0] is not None:
        conn.execute(f"UPDATE {table} SET {key} = ? WHERE rid = ?", (norm, int(successor[0])))


# -- seed records -------------------------------------------------------------------------------


def insert_records(store: Store, obj: ObjectDef, records: Iterable[dict[str, Any]]) -> int:
    """Seed records as given, in order (values are coerced to the field types)."""
    writers: dict[tuple[str, ...], RecordWriter] = {}
    total = 0
    with store.transaction():
        for number, record in enumerate(records, 1):
            values: dict[str, Any] = {}
            for name, raw in record.items():
                target = obj.field(name)
                if target is None or target.id == "Id":
                    raise bad_request(f"seed record for {obj.name} has unknown field {name!r}", name)
                try:
                    values[name] = coerce(target, raw)
                except ValueError as exc:
                    raise bad_request(f"seed record {number} for {obj.name}: {exc}", name) from None
            columns = tuple(sorted(values))
            writer = writers.setdefault(columns, RecordWriter(store, obj, None, columns))
            batch = Batch([number], [None], [None], [[values[c]] for c in columns])
            counts = writer.apply("create", batch)
            if counts.errors:
                raise bad_request(f"seed record {number} for {obj.name}: {counts.errors[0][1]}")
            total += counts.insert
    return total
