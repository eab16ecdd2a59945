"""Simulated Salesforce orgs: objects with typed fields, each object's records in its own SQL table.

A record table has one column per field (``Id`` is derived from the row id) and, for every
field usable as a sync identity, a key column ``F__key`` under a UNIQUE index. Identity values
compare normalised (trimmed and case-folded, see ``normalize``). Among the records that hold the
same normalised value, the first created (smallest row id) is *canonical*: its key is the
normalised text itself. The others get a BLOB key (the normalised value's UTF-8, a NUL byte,
the row id), which never equals a text key, so duplicates are allowed, as in Salesforce, and
stay findable by a range of the same index.

Matching a sync row is then one probe of a unique index (``F__key = value`` finds the
first-created holder), and a batch of rows can be written by one ``INSERT … ON CONFLICT``
statement, which SQLite only offers over a unique index. ``world.records`` writes records and
keeps the keys canonical; this module defines objects, tables and reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from polytomic_mcp.sandbox.errors import bad_request
from polytomic_mcp.sandbox.state.store import Store

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NUMERIC_TYPES = frozenset({"double", "currency", "percent", "int"})
TEXT_TYPES = frozenset({"string", "email", "phone", "url", "picklist", "textarea", "reference"})
LAYOUT = 2  # record-table layout version: 2 = unique identity keys (1 had a plain index on F__norm)


@dataclass(frozen=True)
class FieldDef:
    id: str
    label: str
    type: str  # Salesforce type: id, string, email, phone, url, picklist, textarea, reference, double...
    required: bool = False
    createable: bool = True
    updateable: bool = True
    identity_functions: tuple[str, ...] = ()
    reference_to: str | None = None  # the object a lookup (``type: reference``) points at

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
            "reference_to": self.reference_to,
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
            reference_to=str(raw["reference_to"]) if raw.get("reference_to") else None,
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


_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def normalize_domain(raw: str) -> str:
    """An org's login domain as a bare lower-case host: ``https://Acme.my.salesforce.com/``,
    ``acme.my.salesforce.com/path`` and ``acme.my.salesforce.com:443`` all name
    ``acme.my.salesforce.com``. ValueError says what is wrong."""
    text = raw.strip()
    if "://" in text:
        scheme, _, text = text.partition("://")
        if scheme.lower() not in ("https", "http"):
            raise ValueError(f"{scheme}:// is not a web address; write a host such as acme.my.salesforce.com")
    for end in "/?#":
        text = text.split(end, 1)[0]
    host = text.rsplit(":", 1)[0] if text.rsplit(":", 1)[-1].isdigit() else text
    host = host.rstrip(".").lower()
    labels = host.split(".")
    if "@" in host or len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError(f"{raw.strip()!r} is not a host name such as acme.my.salesforce.com")
    return host


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
    """The row of a record id of ``obj`` (18 characters, or the 15 before the checksum), or None."""
    text = ident.strip()
    if len(text) not in (15, 18) or text[:3].casefold() != obj.id_prefix.casefold() or not text[5:15].isdigit():
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


# -- identity keys ----------------------------------------------------------------------------


def key_column(field_id: str) -> str:
    return f'"{field_id}__key"'


def duplicate_key(norm: str, rid: int) -> bytes:
    """The key of a record that holds ``norm`` without being its first holder."""
    return norm.encode() + b"\x00" + str(rid).encode()


def key_norm(key: str | bytes | None) -> str | None:
    """The normalised value a key stands for."""
    if key is None or isinstance(key, str):
        return key
    return key[: key.rindex(b"\x00")].decode()


def holders_condition(field_id: str) -> str:
    """SQL matching every record that holds a normalised value; parameters: ``holders_params``.
    Duplicate keys of the value are the BLOBs after ``value NUL`` whose rest has no NUL (a
    longer value that starts with ``value NUL`` has its own NUL before its row id)."""
    key = key_column(field_id)
    return f"({key} = ? OR ({key} > ? AND {key} < ? AND instr(substr({key}, ?), x'00') = 0))"


def holders_params(norm: str) -> tuple[Any, ...]:
    low = norm.encode() + b"\x00"
    return (norm, low, low[:-1] + b"\x01", len(low) + 1)


def _create_key_index(conn: Any, table: str, field_id: str) -> None:
    # Partial: records without a value cost no index entry (most rows lack most identities).
    conn.execute(
        f'CREATE UNIQUE INDEX IF NOT EXISTS "{table}_{field_id}__key" ON "{table}" ({key_column(field_id)}) '
        f"WHERE {key_column(field_id)} IS NOT NULL"
    )


def _upgrade_layout(conn: Any, obj: ObjectDef) -> None:
    """Give a table written by layout 1 (normalised values in ``F__norm`` under a plain index)
    its unique keys."""
    table = obj.table
    present = {str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')}
    for field in obj.identity_fields:
        if f"{field.id}__key" in present:
            continue
        conn.execute(f'ALTER TABLE "{table}" ADD COLUMN {key_column(field.id)}')
        conn.execute(f'DROP INDEX IF EXISTS "{table}_{field.id}"')
        norm, key = f'"{field.id}__norm"', key_column(field.id)
        conn.execute(
            f'UPDATE "{table}" SET {key} = {norm} WHERE rid IN '
            f'(SELECT MIN(rid) FROM "{table}" WHERE {norm} IS NOT NULL GROUP BY {norm})'
        )
        others = conn.execute(
            f'SELECT rid, {norm} FROM "{table}" WHERE {norm} IS NOT NULL AND {key} IS NULL'
        ).fetchall()
        conn.executemany(
            f'UPDATE "{table}" SET {key} = ? WHERE rid = ?', [(duplicate_key(str(n), int(r)), r) for r, n in others]
        )
        _create_key_index(conn, table, field.id)


# -- orgs and objects ------------------------------------------------------------------------


def org_exists(store: Store, tenant: str, domain: str) -> bool:
    return store.get_meta(f"tenant:{tenant}:sforg:{domain.lower()}") is not None


def list_orgs(store: Store, tenant: str) -> list[str]:
    """The domains of the tenant's simulated Salesforce orgs."""
    prefix = f"tenant:{tenant}:sforg:"
    return [key[len(prefix) :] for key in store.meta_keys(prefix)]


def declare_org(store: Store, tenant: str, domain: str) -> None:
    store.set_meta(f"tenant:{tenant}:sforg:{domain.lower()}", "1")


def _save_definition(conn: Any, tenant: str, domain: str, obj: ObjectDef) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO sf_objects (tenant, domain, object, table_name, definition) VALUES (?, ?, ?, ?, ?)",
        (tenant, domain, obj.name, obj.table, json.dumps({**obj.to_json(), "layout": LAYOUT})),
    )


def _load(store: Store, tenant: str, domain: str, table: str, text: str) -> ObjectDef:
    """The definition bound to its table, upgrading a table of an older layout on first use."""
    raw = json.loads(text)
    obj = ObjectDef.from_json(raw, table)
    if raw.get("layout") != LAYOUT:
        with store.transaction() as conn:
            _upgrade_layout(conn, obj)
            _save_definition(conn, tenant, domain, obj)
    return obj


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
            # AUTOINCREMENT: a deleted record's Id is never given to another one, as in Salesforce.
            columns = ["rid INTEGER PRIMARY KEY AUTOINCREMENT"]
            columns += [f'"{f.id}" {_column_type(f)}' for f in definition.data_fields]
            columns += [key_column(f.id) for f in definition.identity_fields]
            conn.execute(f'CREATE TABLE "{table}" ({", ".join(columns)})')
            merged = ObjectDef(definition.name, definition.label, definition.id_prefix, definition.fields, table)
        else:
            old = _load(store, tenant, domain, str(row[0]), str(row[1]))
            extra = [f for f in definition.fields if old.field(f.id) is None]
            for field in extra:
                conn.execute(f'ALTER TABLE "{old.table}" ADD COLUMN "{field.id}" {_column_type(field)}')
                if field.identity_functions:
                    conn.execute(f'ALTER TABLE "{old.table}" ADD COLUMN {key_column(field.id)}')
            merged = ObjectDef(old.name, old.label, old.id_prefix, old.fields + tuple(extra), old.table)
        for field in merged.identity_fields:
            _create_key_index(conn, merged.table, field.id)
        _save_definition(conn, tenant, domain, merged)
    return merged


def get_object(store: Store, tenant: str, domain: str, name: str) -> ObjectDef | None:
    with store.lock:
        row = store.conn.execute(
            "SELECT table_name, definition FROM sf_objects WHERE tenant = ? AND domain = ? AND object = ?",
            (tenant, domain.lower(), name),
        ).fetchone()
    return None if row is None else _load(store, tenant, domain.lower(), str(row[0]), str(row[1]))


def list_objects(store: Store, tenant: str, domain: str) -> list[ObjectDef]:
    with store.lock:
        rows = store.conn.execute(
            "SELECT table_name, definition FROM sf_objects WHERE tenant = ? AND domain = ? ORDER BY object",
            (tenant, domain.lower()),
        ).fetchall()
    return [_load(store, tenant, domain.lower(), str(t), str(d)) for t, d in rows]


# -- reading records --------------------------------------------------------------------------


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
    clauses: list[str] = []
    params: list[Any] = []
    for field_id, value in (where or {}).items():
        field = obj.field(field_id)
        if field is None:
            raise bad_request(f"{obj.name} has no field {field_id}", field_id)
        if field.identity_functions and field.id != "Id":
            clauses.append(holders_condition(field_id))
            params.extend(holders_params(normalize(value)))
        elif field.id == "Id":
            clauses.append("rid = ?")
            params.append(rid_of(obj, value))
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
