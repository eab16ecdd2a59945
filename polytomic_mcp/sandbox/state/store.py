"""SQLite state of the sandbox: documents per tenant, idempotency records, world tables.

One connection shared by every thread, guarded by a re-entrant lock: uvicorn's event loop
thread, the worker threads that run handlers and test threads all go through ``Store``.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

Doc = dict[str, Any]


def join_key(*parts: str) -> str:
    """One document key or scope from several ids. Each part is percent-encoded, so ids that
    contain ``/`` (files in folders) cannot make two different tuples share a key; plain ids
    (letters, digits, ``_.-~``) read as before."""
    return "/".join(quote(part, safe="") for part in parts)


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    tenant TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, scope TEXT NOT NULL,
    seq INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant, kind, id)
);
CREATE INDEX IF NOT EXISTS docs_by_scope ON docs (tenant, kind, scope, seq);
CREATE TABLE IF NOT EXISTS idempotency (
    tenant TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL,
    status INTEGER, headers TEXT, body BLOB,
    PRIMARY KEY (tenant, key)
);
CREATE TABLE IF NOT EXISTS files (
    tenant TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL,
    content BLOB, local_path TEXT, size INTEGER NOT NULL,
    PRIMARY KEY (tenant, bucket, key)
);
CREATE TABLE IF NOT EXISTS sf_objects (
    tenant TEXT NOT NULL, domain TEXT NOT NULL, object TEXT NOT NULL,
    table_name TEXT NOT NULL, definition TEXT NOT NULL,
    PRIMARY KEY (tenant, domain, object)
);
CREATE TABLE IF NOT EXISTS pending (
    tenant TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (tenant, kind, id)
);
"""


class Store:
    """Thread-safe access to the sandbox database."""

    def __init__(self, db_path: str | None) -> None:
        self.db_path = db_path
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(db_path or ":memory:", check_same_thread=False, isolation_level=None)
        if db_path:
            self.conn.execute("PRAGMA journal_mode=TRUNCATE")
            self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block in one transaction (nested blocks join the outer one)."""
        with self.lock:
            if self.conn.in_transaction:
                yield self.conn
                return
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    # -- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self.lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        with self.lock:
            self.conn.execute("DELETE FROM meta WHERE key = ?", (key,))

    def meta_keys(self, prefix: str) -> builtins.list[str]:
        """Every meta key that starts with ``prefix``, in order."""
        with self.lock:
            rows = self.conn.execute(
                "SELECT key FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key", (len(prefix), prefix)
            ).fetchall()
        return [str(row[0]) for row in rows]

    def next_number(self, counter: str) -> int:
        """A persistent counter: 1, 2, 3... per name."""
        with self.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (f"counter:{counter}",)).fetchone()
            value = int(row[0]) + 1 if row else 1
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"counter:{counter}", str(value)))
        return value

    def next_tenant_number(self, tenant: str, counter: str) -> int:
        """A tenant's own counter: 1, 2, 3... per name, forgotten when the tenant is dropped."""
        key = f"tenant:{tenant}:counter:{counter}"
        with self.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            value = int(row[0]) + 1 if row else 1
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))
        return value

    # -- documents --------------------------------------------------------------------------
    def put(self, tenant: str, kind: str, ident: str, body: dict[str, Any], scope: str = "") -> None:
        """Insert or replace a document; a replaced document keeps its place in list order."""
        text = json.dumps(body, separators=(",", ":"))
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT seq FROM docs WHERE tenant = ? AND kind = ? AND id = ?", (tenant, kind, ident)
            ).fetchone()
            seq = int(row[0]) if row else self.next_number("docs")
            conn.execute(
                "INSERT OR REPLACE INTO docs (tenant, kind, id, scope, seq, body) VALUES (?, ?, ?, ?, ?, ?)",
                (tenant, kind, ident, scope, seq, text),
            )

    def get(self, tenant: str, kind: str, ident: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.conn.execute(
                "SELECT body FROM docs WHERE tenant = ? AND kind = ? AND id = ?", (tenant, kind, ident)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def list(self, tenant: str, kind: str, scope: str | None = None) -> builtins.list[Doc]:
        """Documents of one kind in creation order, optionally only those of one scope."""
        with self.lock:
            if scope is None:
                rows = self.conn.execute(
                    "SELECT body FROM docs WHERE tenant = ? AND kind = ? ORDER BY seq", (tenant, kind)
                ).fetchall()
            else:
                rows = self.conn.execute(
                    "SELECT body FROM docs WHERE tenant = ? AND kind = ? AND scope = ? ORDER BY seq",
                    (tenant, kind, scope),
                ).fetchall()
        return [dict(json.loads(r[0])) for r in rows]

    def delete(self, tenant: str, kind: str, ident: str) -> bool:
        with self.lock:
            cur = self.conn.execute("DELETE FROM docs WHERE tenant = ? AND kind = ? AND id = ?", (tenant, kind, ident))
        return cur.rowcount > 0

    def delete_scope(self, tenant: str, kind: str, scope: str) -> None:
        with self.lock:
            self.conn.execute("DELETE FROM docs WHERE tenant = ? AND kind = ? AND scope = ?", (tenant, kind, scope))

    # -- pending work (what the engine must look at when a tenant is observed) ---------------
    def mark_pending(self, tenant: str, kind: str, ident: str) -> None:
        with self.lock:
            self.conn.execute(
                "INSERT OR IGNORE INTO pending (tenant, kind, id) VALUES (?, ?, ?)", (tenant, kind, ident)
            )

    def clear_pending(self, tenant: str, kind: str, ident: str) -> None:
        with self.lock:
            self.conn.execute("DELETE FROM pending WHERE tenant = ? AND kind = ? AND id = ?", (tenant, kind, ident))

    def all_pending(self) -> builtins.list[tuple[str, str, str]]:
        """Pending work of every tenant: (tenant, kind, id)."""
        with self.lock:
            rows = self.conn.execute("SELECT tenant, kind, id FROM pending ORDER BY rowid").fetchall()
        return [(str(t), str(k), str(i)) for t, k, i in rows]

    def pending(self, tenant: str) -> builtins.list[tuple[str, str]]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT kind, id FROM pending WHERE tenant = ? ORDER BY rowid", (tenant,)
            ).fetchall()
        return [(str(k), str(i)) for k, i in rows]

    # -- tenants ----------------------------------------------------------------------------
    def drop_tenant(self, tenant: str) -> builtins.list[str]:
        """Forget everything a tenant owns; returns the record tables that were dropped."""
        with self.transaction() as conn:
            tables = [str(r[0]) for r in conn.execute("SELECT table_name FROM sf_objects WHERE tenant = ?", (tenant,))]
            for name in tables:
                conn.execute(f'DROP TABLE IF EXISTS "{name}"')
            for table in ("docs", "idempotency", "files", "sf_objects", "pending"):
                conn.execute(f"DELETE FROM {table} WHERE tenant = ?", (tenant,))
            conn.execute("DELETE FROM meta WHERE key LIKE ?", (f"tenant:{tenant}:%",))
        return tables
