"""Buckets and their files. Small files live in SQLite; big ones are referenced by local path.

Readers stream: a file is decoded and split into rows lazily, so reading a million-row CSV
costs the memory of one row (plus a fixed buffer), not of the file.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from polytomic_mcp.sandbox.errors import bad_request, not_found
from polytomic_mcp.sandbox.state.store import Store

SAMPLE_ROWS = 200
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_BOOLEAN = {"true", "false"}


@dataclass(frozen=True)
class FileInfo:
    bucket: str
    key: str
    size: int


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # schema field type: string | number | boolean | datetime
    example: str | None


# The URL schemes each file connection type accepts in front of its bucket.
SCHEMES: dict[str, tuple[str, ...]] = {"gcs": ("gs://", "gcs://"), "s3": ("s3://",)}
BUCKET_MEMBER = {"gcs": "bucket", "s3": "s3_bucket_name"}
_BUCKET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Location:
    """A bucket and the folder inside it that a connection is scoped to ("" for the whole bucket)."""

    bucket: str
    prefix: str = ""

    @property
    def text(self) -> str:
        """The normalised form: ``bucket`` or ``bucket/folder/sub``."""
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket

    def key(self, relative: str) -> str:
        """The bucket key of a file named relative to the folder."""
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def relative(self, key: str) -> str | None:
        """The name of a bucket key relative to the folder; None when the key is outside it."""
        if not self.prefix:
            return key
        head = self.prefix + "/"
        return key[len(head) :] if key.startswith(head) and len(key) > len(head) else None


def parse_location(raw: str, connection_type: str) -> Location:
    """``gs://bucket/folder/``, ``gcs://bucket/folder``, ``bucket/folder`` and ``bucket`` (``s3://``
    for S3), with any case of the scheme, surrounding blanks, repeated or trailing slashes; the
    folder keeps its case. ValueError says what is wrong."""
    text = raw.strip()
    schemes = SCHEMES.get(connection_type, ())
    if "://" in text:
        scheme = text[: text.index("://") + 3].lower()
        if scheme not in schemes:
            accepted = ", ".join(f"{s}bucket/folder" for s in schemes)
            raise ValueError(f"{scheme!r} is not a {connection_type} location; write {accepted} or bucket/folder")
        text = text[len(scheme) :]
    parts = [part for part in text.split("/") if part]
    if not parts or not _BUCKET_NAME.match(parts[0]):
        raise ValueError("name a bucket, e.g. my-bucket or my-bucket/folder")
    if any(part in (".", "..") for part in parts[1:]):
        raise ValueError("a folder path cannot contain '.' or '..' segments")
    return Location(parts[0], "/".join(parts[1:]))


def connection_location(connection: dict[str, object]) -> Location:
    """Where a stored file connection reads (stored configurations are normalised already)."""
    config = connection["configuration"]
    assert isinstance(config, dict)
    kind = str(connection["type"])
    return parse_location(str(config.get(BUCKET_MEMBER.get(kind, "bucket")) or ""), kind)


def bucket_exists(store: Store, tenant: str, bucket: str) -> bool:
    with store.lock:
        row = store.conn.execute(
            "SELECT 1 FROM files WHERE tenant = ? AND bucket = ? LIMIT 1", (tenant, bucket)
        ).fetchone()
        declared = store.get_meta(f"tenant:{tenant}:bucket:{bucket}")
    return row is not None or declared is not None


def list_buckets(store: Store, tenant: str) -> list[str]:
    """The tenant's buckets: those holding a file and those declared empty."""
    with store.lock:
        rows = store.conn.execute("SELECT DISTINCT bucket FROM files WHERE tenant = ?", (tenant,)).fetchall()
    declared_prefix = f"tenant:{tenant}:bucket:"
    declared = [key[len(declared_prefix) :] for key in store.meta_keys(declared_prefix)]
    return sorted({str(row[0]) for row in rows} | set(declared))


def declare_bucket(store: Store, tenant: str, bucket: str) -> None:
    store.set_meta(f"tenant:{tenant}:bucket:{bucket}", "1")


def put_file(
    store: Store, tenant: str, bucket: str, key: str, content: bytes | None = None, local_path: str | None = None
) -> FileInfo:
    """Add or replace a file, by content or by a path on this machine (for big benchmark files)."""
    if not key or key.startswith("/"):
        raise bad_request("file key must be a relative name such as exports/users.csv", "key")
    if (content is None) == (local_path is None):
        raise bad_request("give either the file content or a local path", "path")
    if local_path is not None:
        if not os.path.isfile(local_path):
            raise bad_request("local path does not name a readable file", "path")
        size = os.path.getsize(local_path)
    else:
        assert content is not None
        size = len(content)
    declare_bucket(store, tenant, bucket)
    with store.lock:
        store.conn.execute(
            "INSERT OR REPLACE INTO files (tenant, bucket, key, content, local_path, size) VALUES (?, ?, ?, ?, ?, ?)",
            (tenant, bucket, key, content, local_path, size),
        )
    return FileInfo(bucket, key, size)


def list_files(store: Store, tenant: str, bucket: str, prefix: str = "") -> list[FileInfo]:
    """Files of a bucket in key order, or only those inside the folder ``prefix``."""
    head = prefix + "/" if prefix else ""
    with store.lock:
        rows = store.conn.execute(
            "SELECT key, size FROM files WHERE tenant = ? AND bucket = ? AND substr(key, 1, ?) = ? ORDER BY key",
            (tenant, bucket, len(head), head),
        ).fetchall()
    return [FileInfo(bucket, str(k), int(s)) for k, s in rows]


def file_exists(store: Store, tenant: str, bucket: str, key: str) -> bool:
    with store.lock:
        row = store.conn.execute(
            "SELECT 1 FROM files WHERE tenant = ? AND bucket = ? AND key = ?", (tenant, bucket, key)
        ).fetchone()
    return row is not None


@contextmanager
def open_text(store: Store, tenant: str, bucket: str, key: str) -> Iterator[IO[str]]:
    with store.lock:
        row = store.conn.execute(
            "SELECT content, local_path FROM files WHERE tenant = ? AND bucket = ? AND key = ?", (tenant, bucket, key)
        ).fetchone()
    if row is None:
        raise not_found("file", f"{bucket}/{key}")
    content, local_path = row
    if local_path is not None:
        with open(local_path, encoding="utf-8-sig", newline="") as handle:
            yield handle
        return
    yield io.TextIOWrapper(io.BytesIO(bytes(content)), encoding="utf-8-sig", newline="")


@contextmanager
def csv_rows(
    store: Store, tenant: str, bucket: str, key: str, skip_lines: int = 0
) -> Iterator[tuple[list[str], Iterator[list[str]]]]:
    """The header and a lazy iterator over the records of a CSV file. Blank lines (empty, or only
    blanks) are not records, as common CSV readers skip them; a line of empty cells (``,,``) is."""
    with open_text(store, tenant, bucket, key) as handle:
        for _ in range(skip_lines):
            handle.readline()
        records = (row for row in csv.reader(handle) if len(row) > 1 or (row and row[0].strip()))
        header = next(records, [])
        yield [h.strip() for h in header], records


def _infer(values: list[str]) -> str:
    present = [v.strip() for v in values if v.strip()]
    if not present:
        return "string"
    if all(v.lower() in _BOOLEAN for v in present):
        return "boolean"
    numeric = sum(1 for v in present if _NUMBER.match(v))
    # A stray bad value in a numeric column (a typo, "n/a") keeps the column numeric; the
    # bad row then fails at sync time the way it would upstream.
    if numeric and numeric >= 0.9 * len(present):
        return "number"
    if all(_is_date(v) for v in present):
        return "datetime"
    return "string"


def _is_date(value: str) -> bool:
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def infer_columns(store: Store, tenant: str, bucket: str, key: str, skip_lines: int = 0) -> list[Column]:
    """Column names from the header, types from a sample of the first rows."""
    with csv_rows(store, tenant, bucket, key, skip_lines) as (header, rows):
        sample: list[list[str]] = []
        for row in rows:
            sample.append(row)
            if len(sample) >= SAMPLE_ROWS:
                break
    columns: list[Column] = []
    for index, name in enumerate(header):
        values = [r[index] if index < len(r) else "" for r in sample]
        example = next((v for v in values if v.strip()), None)
        columns.append(Column(name=name, type=_infer(values), example=example))
    return columns


def sample_records(store: Store, tenant: str, bucket: str, key: str, limit: int = 10) -> list[dict[str, str]]:
    with csv_rows(store, tenant, bucket, key) as (header, rows):
        out: list[dict[str, str]] = []
        for row in rows:
            out.append({name: (row[i] if i < len(row) else "") for i, name in enumerate(header)})
            if len(out) >= limit:
                break
    return out


def count_rows(store: Store, tenant: str, bucket: str, key: str) -> int:
    with csv_rows(store, tenant, bucket, key) as (_, rows):
        return sum(1 for _ in rows)
