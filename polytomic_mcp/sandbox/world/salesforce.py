"""Simulated Salesforce orgs: objects with typed fields, each object's records in its own SQL table.

A record table has one column per field (``Id`` is derived from the row id) and, for every
field usable as a sync identity, a normalised shadow column with an index, so identity
matching is an indexed lookup whatever the number of records.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from typing import Any, Literal

from polytomic_mcp.sandbox.errors import bad_request
from polytomic_mcp.sandbox.store import Store

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NUMERIC_TYPES = frozenset({"double", "currency", "percent", "int"})
TEXT_TYPES = frozenset({"string", "email", "phone", "url", "picklist", "textarea", "reference"})
INSERT_CHUNK = 200  # rows per multi-row INSERT statement


@dataclass(frozen=True)
class FieldDef:
    id: str
    label: str
    type: str  # Salesforce type: id, string, email, phone, url, picklist, textarea, reference, double...
    required: bool = False
    createable: bool = True
    updateable: bool = True
    identity_functions: tuple[str, ...] = ()

    @property
    def polytomic_type(self) -> str:
        if self.type in NUMERIC_TYPES:
            return "number"
        if self.type == "boolean":
            return "boolean"
        if self.type in ("date", "datetime"):
            return "datetime"
        return "string"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "createable": self.createable,
            "updateable": self.updateable,
            "identity_functions": list(self.identity_functions),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FieldDef:
        ident = str(raw.get("id") or raw.get("name") or "")
        if not _IDENT.match(ident):
            raise bad_request(f"field id {ident!r} must be letters, digits and underscores", "fields")
        functions = raw.get("identity_functions")
        if functions is None:
            functions = ["Equality"] if raw.get("identity") else []
        return cls(
            id=ident,
            label=str(raw.get("label") or ident),
            type=str(raw.get("type") or "string"),
            required=bool(raw.get("required", False)),
            createable=bool(raw.get("createable", ident != "Id")),
            updateable=bool(raw.get("updateable", ident != "Id")),
            identity_functions=tuple(str(f) for f in functions),
        )


@dataclass(frozen=True)
class ObjectDef:
    name: str
    label: str
    id_prefix: str
    fields: tuple[FieldDef, ...]
    table: str = ""

    def field(self, ident: str) -> FieldDef | None:
        return next((f for f in self.fields if f.id == ident), None)

    @property
    def data_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields if f.id != "Id")

    @property
    def identity_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.data_fields if f.identity_functions)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "id_prefix": self.id_prefix,
            "fields": [f.to_json() for f in self.fields],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any], table: str = "") -> ObjectDef:
        name = str(raw["name"])
        if not _IDENT.match(name):
            raise bad_request(f"object name {name!r} must be letters, digits and underscores", "objects")
        fields = [FieldDef.from_json(f) for f in raw.get("fields", [])]
        if not any(f.id == "Id" for f in fields):
            fields.insert(
                0,
                FieldDef(
                    "Id", f"{name} ID", "id", createable=False, updateable=False, identity_functions=("Equality",)
                ),
            )
        return cls(name, str(raw.get("label") or name), str(raw.get("id_prefix") or "a0X"), tuple(fields), table)


def valid_email(text: str) -> bool:
    """One ``@`` with a non-empty local part and a dotted domain, no blanks (string ops beat a regex here)."""
    local, _, domain = text.partition("@")
    return bool(local) and "@" not in domain and "." in domain[1:-1] and " " not in text and "\t" not in text


def normalize(value: str) -> str:
    """Identity values compare trimmed and case-folded, as Salesforce compares emails."""
    return value.strip().casefold()


def record_id(obj: ObjectDef, rid: int) -> str:
    return f"{obj.id_prefix}Sb{rid:010d}AAA"


def rid_of(obj: ObjectDef, ident: str) -> int | None:
    text = ident.strip()
    if len(text) != 18 or text[:3].casefold() != obj.id_prefix.casefold() or not text[5:15].isdigit():
        return None
    return int(text[5:15])


def coerce(field: FieldDef, raw: Any) -> Any:
    """A source value converted for the target field; ValueError says why it does not fit."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    text = str(raw).strip()
    if field.type in NUMERIC_TYPES:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{field.id}: {text!r} is not a valid {field.type}") from None
        if field.type == "int":
            if not number.is_integer():
                raise ValueError(f"{field.id}: {text!r} is not a whole number")
            return int(number)
        return number
    if field.type == "boolean":
        lowered = text.lower()
        if lowered in ("true", "1", "yes"):
            return 1
        if lowered in ("false", "0", "no"):
            return 0
        raise ValueError(f"{field.id}: {text!r} is not a boolean")
    if field.type == "date":
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            raise ValueError(f"{field.id}: {text!r} is not a date (YYYY-MM-DD)") from None
    if field.type == "datetime":
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
        except ValueError:
            raise ValueError(f"{field.id}: {text!r} is not a date-time") from None
    if field.type == "email" and not valid_email(text):
        raise ValueError(f"{field.id}: invalid email address {text!r}")
    return text


def _column_type(field: FieldDef) -> str:
    if field.type in NUMERIC_TYPES:
        return "REAL" if field.type != "int" else "INTEGER"
    if field.type == "boolean":
        return "INTEGER"
    return "TEXT"


# -- orgs and objects ------------------------------------------------------------------------


def org_exists(store: Store, tenant: str, domain: str) -> bool:
    return store.get_meta(f"tenant:{tenant}:sforg:{domain.lower()}") is not None


def declare_org(store: Store, tenant: str, domain: str) -> None:
    store.set_meta(f"tenant:{tenant}:sforg:{domain.lower()}", "1")


def ensure_object(store: Store, tenant: str, domain: str, definition: ObjectDef) -> ObjectDef:
    """Create (or widen) the object's record table; returns the definition bound to its table."""
    domain = domain.lower()
    declare_org(store, tenant, domain)
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT table_name, definition FROM sf_objects WHERE tenant = ? AND domain = ? AND object = ?",
            (tenant, domain, definition.name),
        ).fetchone()
        if row is None:
            table = f"sfrec_{store.next_number('sf_tables')}"
            columns = ["rid INTEGER PRIMARY KEY"]
            columns += [f'"{f.id}" {_column_type(f)}' for f in definition.data_fields]
            columns += [f'"{f.id}__norm" TEXT' for f in definition.identity_fields]
            conn.execute(f'CREATE TABLE "{table}" ({", ".join(columns)})')
            merged = definition
        else:
            table = str(row[0])
            old = ObjectDef.from_json(json.loads(row[1]), table)
            extra = [f for f in definition.fields if old.field(f.id) is None]
            for field in extra:
                conn.execute(f'ALTER TABLE "{table}" ADD COLUMN "{field.id}" {_column_type(field)}')
                if field.identity_functions:
                    conn.execute(f'ALTER TABLE "{table}" ADD COLUMN "{field.id}__norm" TEXT')
            merged = ObjectDef(old.name, old.label, old.id_prefix, old.fields + tuple(extra))
        for field in merged.identity_fields:
            # Partial: records without a value cost no index entry (most rows lack most identities).
            conn.execute(
                f'CREATE INDEX IF NOT EXISTS "{table}_{field.id}" ON "{table}" ("{field.id}__norm") '
                f'WHERE "{field.id}__norm" IS NOT NULL'
            )
        conn.execute(
            "INSERT OR REPLACE INTO sf_objects (tenant, domain, object, table_name, definition) VALUES (?, ?, ?, ?, ?)",
            (tenant, domain, merged.name, table, json.dumps(merged.to_json())),
        )
    return ObjectDef(merged.name, merged.label, merged.id_prefix, merged.fields, table)


def get_object(store: Store, tenant: str, domain: str, name: str) -> ObjectDef | None:
    with store.lock:
        row = store.conn.execute(
            "SELECT table_name, definition FROM sf_objects WHERE tenant = ? AND domain = ? AND object = ?",
            (tenant, domain.lower(), name),
        ).fetchone()
    return None if row is None else ObjectDef.from_json(json.loads(row[1]), str(row[0]))


def list_objects(store: Store, tenant: str, domain: str) -> list[ObjectDef]:
    with store.lock:
        rows = store.conn.execute(
            "SELECT table_name, definition FROM sf_objects WHERE tenant = ? AND domain = ? ORDER BY object",
            (tenant, domain.lower()),
        ).fetchall()
    return [ObjectDef.from_json(json.loads(d), str(t)) for t, d in rows]


# -- records ----------------------------------------------------------------------------------


def _row_to_record(obj: ObjectDef, row: Sequence[Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"Id": record_id(obj, int(row[0]))}
    for field, value in zip(obj.data_fields, row[1:], strict=False):
        if field.type == "boolean" and value is not None:
            value = bool(value)
        record[field.id] = value
    return record


def list_records(
    store: Store, obj: ObjectDef, limit: int = 100, offset: int = 0, where: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    columns = ", ".join(["rid", *[f'"{f.id}"' for f in obj.data_fields]])
    clauses, params = [], []
    for field_id, value in (where or {}).items():
        field = obj.field(field_id)
        if field is None:
            raise bad_request(f"{obj.name} has no field {field_id}", field_id)
        if field.identity_functions:
            clauses.append(f'"{field_id}__norm" = ?')
            params.append(normalize(value))
        else:
            clauses.append(f'"{field_id}" = ?')
            params.append(value)
    condition = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    with store.lock:
        rows = store.conn.execute(
            f'SELECT {columns} FROM "{obj.table}"{condition} ORDER BY rid LIMIT ? OFFSET ?', (*params, limit, offset)
        ).fetchall()
    return [_row_to_record(obj, r) for r in rows]


def count_records(store: Store, obj: ObjectDef) -> int:
    with store.lock:
        return int(store.conn.execute(f'SELECT COUNT(*) FROM "{obj.table}"').fetchone()[0])


def insert_records(store: Store, obj: ObjectDef, records: Iterable[dict[str, Any]]) -> int:
    """Seed records as given (values are coerced to the field types)."""
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for number, record in enumerate(records, 1):
        values: dict[str, Any] = {}
        for key, raw in record.items():
            field = obj.field(key)
            if field is None or field.id == "Id":
                raise bad_request(f"seed record for {obj.name} has unknown field {key!r}", key)
            try:
                values[key] = coerce(field, raw)
            except ValueError as exc:
                raise bad_request(f"seed record {number} for {obj.name}: {exc}", key) from None
        columns = tuple(sorted(values))
        groups.setdefault(columns, []).append(tuple(values[c] for c in columns))
    total = 0
    for columns, rows in groups.items():
        writer = RecordWriter(store, obj, None, columns)
        counts = writer.apply("create", [(n, None, row, None) for n, row in enumerate(rows, 1)])
        if counts.errors:
            raise bad_request(f"seed record for {obj.name}: {counts.errors[0][1]}")
        total += counts.insert
    return total


Mode = Literal["create", "update", "updateOrCreate", "remove"]
# One source row ready to write: (row number, identity key or None, values in column order,
# identity value to set when the row creates a record, or None).
Item = tuple[int, str | None, tuple[Any, ...], Any]


@dataclass
class BatchCounts:
    insert: int = 0
    update: int = 0
    delete: int = 0
    errors: list[tuple[int, str]] = dc_field(default_factory=list)


class RecordWriter:
    """Applies a sync's rows to one object in batches, matching on one identity field.

    Every row carries values for the same ``columns`` (the sync's mapped target fields), so
    rows are plain tuples and inserts go out as multi-row statements.
    """

    def __init__(self, store: Store, obj: ObjectDef, identity: FieldDef | None, columns: tuple[str, ...]) -> None:
        self.store = store
        self.obj = obj
        self.identity = identity
        self.columns = columns
        identity_ids = {f.id for f in obj.identity_fields}
        extra_identity = identity is not None and identity.id != "Id" and identity.id not in columns
        self.insert_columns = columns + ((identity.id,) if extra_identity and identity else ())
        self._norm_positions = [i for i, c in enumerate(self.insert_columns) if c in identity_ids]
        self._update_norms = [i for i, c in enumerate(columns) if c in identity_ids]
        names = [*self.insert_columns, *(f"{self.insert_columns[i]}__norm" for i in self._norm_positions)]
        self._insert_names = ", ".join(f'"{n}"' for n in names)
        self._row_marks = "(" + ",".join("?" * len(names)) + ")"
        update_names = [*columns, *(f"{columns[i]}__norm" for i in self._update_norms)]
        assignments = ", ".join(f'"{n}" = ?' for n in update_names)
        self._update_sql = f'UPDATE "{obj.table}" SET {assignments} WHERE rid = ?'
        required = [f.id for f in obj.data_fields if f.required]
        self._always_missing = [r for r in required if r not in self.insert_columns]
        self._required_positions = [(self.insert_columns.index(r), r) for r in required if r in self.insert_columns]
        self._extra_identity = extra_identity
        # Usual case: the only normalised column is the identity's own, whose value is the match key.
        identity_position = (
            len(columns)
            if extra_identity
            else (columns.index(identity.id) if identity is not None and identity.id in columns else -1)
        )
        self._only_identity_norm = identity_position >= 0 and self._norm_positions == [identity_position]

    def _insert_row(self, values: tuple[Any, ...], identity_value: Any, key: str | None) -> tuple[Any, ...] | str:
        row = (*values, identity_value) if self._extra_identity else values
        if self._always_missing:
            return f"REQUIRED_FIELD_MISSING: {self.obj.name}.{self._always_missing[0]} is not mapped"
        for position, name in self._required_positions:
            if row[position] is None:
                return f"REQUIRED_FIELD_MISSING: {self.obj.name}.{name} has no value"
        if self._only_identity_norm:
            return (*row, key)
        return row + tuple(normalize(str(row[i])) if row[i] is not None else None for i in self._norm_positions)

    def apply(self, mode: Mode, items: list[Item]) -> BatchCounts:
        """Writes one batch in one transaction; rows that cannot be written become errors."""
        keys = [item[1] for item in items]
        existing = self._existing({key for key in keys if key is not None})
        unique = None not in keys and len(set(keys)) == len(keys)
        if unique and mode in ("create", "updateOrCreate") and self._only_identity_norm:
            return self._apply_distinct(mode, items, existing)
        return self._apply_rows(mode, items, existing)

    def _apply_distinct(self, mode: Mode, items: list[Item], existing: dict[str, int]) -> BatchCounts:
        """The common batch, every row with its own identity key: split matched from new rows
        with comprehensions instead of a per-row state machine."""
        counts = BatchCounts()
        if existing:
            fresh = [item for item in items if item[1] not in existing]
            matched = {existing[item[1]]: item[2] for item in items if item[1] in existing}
        else:
            fresh, matched = items, {}
        if self._extra_identity:
            rows = [(*values, identity_value, key) for _, key, values, identity_value in fresh]
        else:
            rows = [(*values, key) for _, key, values, _ in fresh]
        for position, name in self._required_positions:
            missing = {i for i, row in enumerate(rows) if row[position] is None}
            if missing:
                message = f"REQUIRED_FIELD_MISSING: {self.obj.name}.{name} has no value"
                counts.errors.extend((fresh[i][0], message) for i in sorted(missing))
                rows = [row for i, row in enumerate(rows) if i not in missing]
                fresh = [item for i, item in enumerate(fresh) if i not in missing]
        counts.insert = len(rows)
        if mode == "create":
            matched = {}
        counts.update = len(matched)
        with self.store.transaction() as conn:
            self._flush_inserts(conn, rows)
            if matched:
                conn.executemany(self._update_sql, [self._update_row(v, rid) for rid, v in matched.items()])
        return counts

    def _apply_rows(self, mode: Mode, items: list[Item], existing: dict[str, int]) -> BatchCounts:
        counts = BatchCounts()
        inserts: list[tuple[Any, ...]] = []
        pending_new: dict[str, int] = {}
        updates: dict[int, tuple[Any, ...]] = {}
        deletes: set[int] = set()
        width = len(self.columns)
        fast = self._only_identity_norm and not self._always_missing
        extra = self._extra_identity
        required = self._required_positions
        existing_get = existing.get
        append = inserts.append
        for number, key, values, identity_value in items:
            match = existing_get(key) if key is not None else None
            if match is not None and match in deletes:
                match = None
            if mode == "remove":
                if match is not None:
                    deletes.add(match)
                    counts.delete += 1
                continue
            if match is not None:
                if mode != "create":
                    updates[match] = values
                    counts.update += 1
                continue
            if key is not None and key in pending_new:
                if mode != "create":
                    index = pending_new[key]
                    # A later row for a record created earlier in this batch updates it in place;
                    # the record keeps the identity value it was created with.
                    kept = inserts[index][width] if extra else None
                    merged = self._insert_row(values, kept, key)
                    if isinstance(merged, str):
                        counts.errors.append((number, merged))
                        continue
                    inserts[index] = merged
                    counts.update += 1
                continue
            if mode == "update":
                continue
            if fast:
                row: tuple[Any, ...] | str = (*values, identity_value, key) if extra else (*values, key)
                for position, name in required:
                    if row[position] is None:
                        row = f"REQUIRED_FIELD_MISSING: {self.obj.name}.{name} has no value"
                        break
            else:
                row = self._insert_row(values, identity_value, key)
            if isinstance(row, str):
                counts.errors.append((number, row))
                continue
            if key is not None:
                pending_new[key] = len(inserts)
            append(row)
            counts.insert += 1
        with self.store.transaction() as conn:
            self._flush_inserts(conn, inserts)
            if updates:
                conn.executemany(self._update_sql, [self._update_row(v, rid) for rid, v in updates.items()])
            if deletes:
                conn.executemany(f'DELETE FROM "{self.obj.table}" WHERE rid = ?', [(r,) for r in deletes])
        return counts

    def _update_row(self, values: tuple[Any, ...], rid: int) -> tuple[Any, ...]:
        norms = tuple(normalize(str(values[i])) if values[i] is not None else None for i in self._update_norms)
        return (*values, *norms, rid)

    def _flush_inserts(self, conn: Any, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if not self._insert_names:
            conn.executemany(f'INSERT INTO "{self.obj.table}" DEFAULT VALUES', [() for _ in rows])
            return
        full = len(rows) // INSERT_CHUNK * INSERT_CHUNK
        if full:
            many = f'INSERT INTO "{self.obj.table}" ({self._insert_names}) VALUES ' + ",".join(
                [self._row_marks] * INSERT_CHUNK
            )
            for start in range(0, full, INSERT_CHUNK):
                conn.execute(many, list(itertools.chain.from_iterable(rows[start : start + INSERT_CHUNK])))
        single = f'INSERT INTO "{self.obj.table}" ({self._insert_names}) VALUES {self._row_marks}'
        conn.executemany(single, rows[full:])

    def _existing(self, keys: set[str]) -> dict[str, int]:
        if not keys or self.identity is None:
            return {}
        found: dict[str, int] = {}
        ordered = list(keys)
        step = 900
        for start in range(0, len(ordered), step):
            chunk = ordered[start : start + step]
            if self.identity.id == "Id":
                rids = {rid: k for k in chunk if (rid := rid_of(self.obj, k)) is not None}
                if not rids:
                    continue
                marks = ",".join("?" * len(rids))
                with self.store.lock:
                    rows = self.store.conn.execute(
                        f'SELECT rid FROM "{self.obj.table}" WHERE rid IN ({marks})', list(rids)
                    ).fetchall()
                for (rid,) in rows:
                    found[rids[rid]] = int(rid)
                continue
            column = f'"{self.identity.id}__norm"'
            marks = ",".join("?" * len(chunk))
            with self.store.lock:
                rows = self.store.conn.execute(
                    f'SELECT {column}, MIN(rid) FROM "{self.obj.table}" WHERE {column} IN ({marks}) GROUP BY {column}',
                    chunk,
                ).fetchall()
            found.update((str(k), int(r)) for k, r in rows)
        return found
