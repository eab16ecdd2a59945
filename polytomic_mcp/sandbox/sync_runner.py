"""Runs one model-sync execution: streams the model's source rows, applies the field mapping and
writes the simulated target with the sync's mode and identity. Memory stays flat: rows are
read lazily and written in fixed-size batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from polytomic_mcp.sandbox.context import Runtime
from polytomic_mcp.sandbox.sync_rules import identity_mappings
from polytomic_mcp.sandbox.world import files, salesforce
from polytomic_mcp.sandbox.world.salesforce import FieldDef, Item, Mode, RecordWriter

BATCH_ROWS = 5000
MAX_KEPT_ERRORS = 1000


class RunFailed(Exception):
    """The execution cannot run at all (missing model, source file, target...)."""


@dataclass
class RunResult:
    total: int = 0
    insert: int = 0
    update: int = 0
    delete: int = 0
    error: int = 0
    record_errors: list[str] = field(default_factory=list)
    canceled: bool = False

    def counts(self) -> dict[str, int]:
        return {
            "total": self.total,
            "insert": self.insert,
            "update": self.update,
            "delete": self.delete,
            "error": self.error,
            "upserts": 0,
            "warnings": 0,
        }

    def add_error(self, row: int, message: str) -> None:
        self.error += 1
        if len(self.record_errors) < MAX_KEPT_ERRORS:
            self.record_errors.append(f"row {row}: {message}")


def _domain_key(value: str) -> str:
    text = value.strip().casefold()
    for prefix in ("https://", "http://"):
        text = text.removeprefix(prefix)
    text = text.split("/", 1)[0].split(":", 1)[0]
    return text.removeprefix("www.")


def _matcher(function: str) -> Callable[[str], str]:
    """Identity functions: Equality compares trimmed, case-folded text; the domain functions compare hosts."""
    if function in ("DomainMatch", "HostnameMatch"):
        return _domain_key
    return salesforce.normalize


def _source_rows(runtime: Runtime, org: str, model: dict[str, Any]) -> Iterator[tuple[list[str], Iterator[list[Any]]]]:
    connection = runtime.store.get(org, "connection", model["connection_id"])
    if connection is None:
        raise RunFailed(f"source connection {model['connection_id']} no longer exists")
    config = connection["configuration"]
    if connection["type"] in ("gcs", "s3"):
        bucket = files.normalize_bucket(str(config.get("bucket") or config.get("s3_bucket_name")))
        key = model["configuration"]["key"]
        if not files.file_exists(runtime.store, org, bucket, key):
            raise RunFailed(f"source file {bucket}/{key} no longer exists")
        with files.csv_rows(runtime.store, org, bucket, key, int(config.get("skip_lines") or 0)) as opened:
            yield opened
        return
    obj = salesforce.get_object(runtime.store, org, config["domain"], model["configuration"]["table"])
    if obj is None:
        raise RunFailed(f"source object {model['configuration']['table']} no longer exists")
    header = [f.id for f in obj.fields]

    def pages() -> Iterator[list[Any]]:
        offset = 0
        while True:
            records = salesforce.list_records(runtime.store, obj, limit=1000, offset=offset)
            if not records:
                return
            offset += len(records)
            for record in records:
                yield ["" if record.get(h) is None else str(record.get(h)) for h in header]

    yield header, pages()


def _filter(conditions: list[dict[str, Any]], header: list[str]) -> Callable[[list[Any]], bool]:
    checks: list[Callable[[list[Any]], bool]] = []
    for condition in conditions:
        index = header.index(condition["source"]["field"])
        function, expected = condition["function"], condition.get("value")

        def check(row: list[Any], i: int = index, fn: str = function, want: Any = expected) -> bool:
            value = row[i] if i < len(row) else ""
            if fn == "IsNull":
                return value == ""
            if fn == "IsNotNull":
                return value != ""
            if fn == "Equality":
                return value == str(want)
            if fn == "Inequality":
                return value != str(want)
            if fn == "StringContains":
                return str(want) in value
            try:
                number = float(value)
            except ValueError:
                return False
            return number > float(want) if fn == "GreaterThan" else number < float(want)

        checks.append(check)
    logic_all = all
    return lambda row: logic_all(c(row) for c in checks)


def run(runtime: Runtime, org: str, sync: dict[str, Any], should_stop: Callable[[], bool]) -> RunResult:
    store = runtime.store
    model_id = sync["model_ids"][0]
    model = store.get(org, "model", model_id)
    if model is None:
        raise RunFailed(f"model {model_id} no longer exists")
    target = store.get(org, "connection", sync["target"]["connection_id"])
    if target is None or target["status"] != "healthy":
        raise RunFailed(f"target connection {sync['target']['connection_id']} is not healthy")
    obj = salesforce.get_object(store, org, target["configuration"]["domain"], sync["target"]["object"])
    if obj is None:
        raise RunFailed(f"target object {sync['target']['object']} no longer exists")
    mode: Mode = sync["mode"]
    identities = identity_mappings(sync)
    identity_field: FieldDef | None = None
    if identities:
        identity_field = obj.field(identities[0]["target"])
    writer = RecordWriter(store, obj, identity_field)
    result = RunResult()
    for header, rows in _source_rows(runtime, org, model):
        position = {name: i for i, name in enumerate(header)}
        plan = _mapping_plan(sync, obj, position)
        identity_plan = None
        if identities and identity_field is not None:
            identity_plan = (
                position[identities[0]["source"]["field"]],
                identity_field,
                _matcher(identities[0]["function"]),
            )
        conditions = (sync.get("model_filters") or {}).get("conditions") or []
        keep = _filter(conditions, header) if conditions else None
        batch: list[Item] = []
        for number, row in enumerate(rows, start=1):
            if keep is not None and not keep(row):
                continue
            result.total += 1
            item = _prepare(number, row, plan, identity_plan, result)
            if item is None:
                continue
            batch.append(item)
            if len(batch) >= BATCH_ROWS:
                _write(writer, mode, batch, result)
                batch = []
                if should_stop():
                    result.canceled = True
                    return result
        if batch:
            _write(writer, mode, batch, result)
    return result


Plan = list[tuple[str, int, FieldDef | None, Any]]


def _mapping_plan(sync: dict[str, Any], obj: salesforce.ObjectDef, position: dict[str, int]) -> Plan:
    """(target field id, source column or -1, converter field or None for plain text, fixed value)."""
    plan: Plan = []
    for mapping in sync["fields"]:
        target = obj.field(mapping["target"])
        assert target is not None
        plain = target.type in ("string", "picklist", "textarea", "phone", "reference")
        converter = None if plain else target
        if mapping.get("source"):
            column = position.get(mapping["source"]["field"])
            if column is None:
                raise RunFailed(f"source column {mapping['source']['field']!r} is missing from the data")
            plan.append((target.id, column, converter, None))
        else:
            plan.append((target.id, -1, converter, mapping.get("override_value")))
    return plan


def _prepare(
    number: int,
    row: list[Any],
    plan: Plan,
    identity: tuple[int, FieldDef, Callable[[str], str]] | None,
    result: RunResult,
) -> Item | None:
    values: dict[str, Any] = {}
    width = len(row)
    try:
        for target_id, column, converter, fixed in plan:
            raw = fixed if column < 0 else (row[column] if column < width else "")
            if converter is None:
                values[target_id] = raw.strip() or None if isinstance(raw, str) else raw
            else:
                values[target_id] = salesforce.coerce(converter, raw)
        key = None
        on_create: dict[str, Any] = {}
        if identity is not None:
            column, field_def, match = identity
            raw_identity = row[column] if column < width else ""
            if not str(raw_identity).strip():
                result.add_error(number, f"no value for the identity field ({field_def.id})")
                return None
            value = salesforce.coerce(field_def, raw_identity)
            key = match(str(value))
            if field_def.createable:
                on_create[field_def.id] = value
    except ValueError as exc:
        result.add_error(number, str(exc))
        return None
    return Item(number, key, values, on_create)


def _write(writer: RecordWriter, mode: Mode, batch: list[Item], result: RunResult) -> None:
    counts = writer.apply(mode, batch)
    result.insert += counts.insert
    result.update += counts.update
    result.delete += counts.delete
    for row, message in counts.errors:
        result.add_error(row, message)
