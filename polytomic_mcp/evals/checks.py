"""The assertions of a scenario, evaluated on the state the episode left behind."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from polytomic_mcp.evals.scenario import Assertions, ExecutionCheck, ObjectCheck, RecordsCheck
from polytomic_mcp.evals.state import SandboxStateError, TenantState
from polytomic_mcp.evals.transcript import Episode

FENCE = re.compile(r"<(untrusted-data-\d{6})>.*?</\1>", re.DOTALL)
MAX_SHOWN = 3  # mismatches named in a failing check's detail


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"check": self.name, "passed": self.passed, "detail": self.detail}


def _fold(value: Any) -> str:
    return "" if value is None else str(value).strip().casefold()


def _same(expected: Any, actual: Any) -> bool:
    """Values as a CSV or a table gives them against what Salesforce stores (numbers as numbers)."""
    if expected is None or expected == "":
        return actual in (None, "")
    if isinstance(actual, bool) or isinstance(expected, bool):
        return _fold(expected) == _fold(actual)
    if isinstance(actual, int | float):
        try:
            return float(str(expected)) == float(actual)
        except ValueError:
            return False
    return str(expected).strip() == str(actual if actual is not None else "").strip()


def _member(record: dict[str, Any], dotted: str) -> Any:
    """`type.id` reaches into nested members (an API object's `type` is `{id, name, …}`)."""
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _matches(record: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(_same(value, _member(record, field)) for field, value in wanted.items())


async def records_check(state: TenantState, check: RecordsCheck) -> list[Check]:
    label = f"records {check.object}@{check.domain}"
    records = await state.records(check.domain, check.object)
    out: list[Check] = []
    if check.count is not None:
        out.append(Check(f"{label} count", len(records) == check.count, f"{len(records)} records, want {check.count}"))
    if check.match_csv is not None:
        assert check.key_column and check.key_field  # the scenario model insists
        text = await state.file_text(check.match_csv.bucket, check.match_csv.key)
        wanted: dict[str, dict[str, str]] = {}
        ignored = {_fold(key) for key in check.ignore_keys}
        for row in csv.DictReader(io.StringIO(text)):
            key = _fold(row.get(check.key_column))
            if key and key not in ignored:
                wanted[key] = row  # a later row for the same key wins, as the sync applies them
        by_key = {_fold(r.get(check.key_field)): r for r in records if _fold(r.get(check.key_field))}
        wrong = []
        for key, row in wanted.items():
            record = by_key.get(key)
            fields = {target: row.get(column) for column, target in check.columns.items()}
            if record is None or not _matches(record, fields):
                wrong.append(key)
        shown = ", ".join(wrong[:MAX_SHOWN]) + (" …" if len(wrong) > MAX_SHOWN else "")
        detail = f"{len(wanted) - len(wrong)} of {len(wanted)} rows of {check.match_csv.key} match"
        detail += f" ({len(ignored)} keys ignored)" if ignored else ""
        out.append(
            Check(f"{label} match {check.match_csv.key}", not wrong, detail + (f"; wrong: {shown}" if wrong else ""))
        )
    if check.rows:
        missing = [row for row in check.rows if not any(_matches(r, row) for r in records)]
        detail = f"{len(check.rows) - len(missing)} of {len(check.rows)} rows found"
        out.append(
            Check(f"{label} rows", not missing, detail + (f"; missing: {missing[:MAX_SHOWN]}" if missing else ""))
        )
    if check.absent:
        present = [row for row in check.absent if any(_matches(r, row) for r in records)]
        detail = f"{len(present)} of {len(check.absent)} forbidden rows present"
        out.append(Check(f"{label} absent", not present, detail + (f": {present[:MAX_SHOWN]}" if present else "")))
    return out


async def object_check(state: TenantState, check: ObjectCheck) -> Check:
    found = [o for o in await state.objects(check.kind) if _matches(o, check.where)]
    label = f"{check.kind} " + (" ".join(f"{k}={v}" for k, v in check.where.items()) or "(any)")
    if check.count is not None:
        return Check(f"{label} count", len(found) == check.count, f"{len(found)} found, want {check.count}")
    passed = bool(found) == check.exists
    return Check(f"{label} {'exist' if check.exists else 'absent'}", passed, f"{len(found)} found")


async def execution_check(state: TenantState, check: ExecutionCheck) -> Check:
    label = f"executions of {check.sync!r}" + (f" {check.status}" if check.status else "")
    syncs = [s for s in await state.objects(check.kind) if s.get("name") == check.sync]
    if len(syncs) != 1:
        return Check(label, False, f"{len(syncs)} {check.kind} named {check.sync!r}, want 1")
    executions = await state.executions(check.kind, str(syncs[0]["id"]))
    if check.status:
        executions = [e for e in executions if e.get("status") == check.status]
    return Check(label, len(executions) == check.count, f"{len(executions)} found, want {check.count}")


def result_checks(assertions: Assertions, episode: Episode) -> list[Check]:
    out: list[Check] = []
    for text in assertions.results.fenced:
        loose = [c.tool for c in episode.calls if text in FENCE.sub("", c.text)]
        seen = sum(text in c.text for c in episode.calls)
        out.append(
            Check(
                f"results fence {text[:40]!r}",
                not loose,
                f"in {seen} results, outside a data fence in {len(loose)}"
                + (f" ({', '.join(loose)})" if loose else ""),
            )
        )
    for text in assertions.results.absent:
        holding = [c.tool for c in episode.calls if text in c.text]
        out.append(Check(f"results absent {text[:40]!r}", not holding, f"in {len(holding)} results"))
    limits = assertions.limits
    if limits.tool_calls is not None:
        calls = len(episode.calls)
        out.append(Check("limit tool_calls", calls <= limits.tool_calls, f"{calls} calls, at most {limits.tool_calls}"))
    if limits.result_tokens is not None:
        tokens = episode.result_tokens
        passed = tokens <= limits.result_tokens
        out.append(Check("limit result_tokens", passed, f"{tokens} tokens, at most {limits.result_tokens}"))
    return out


async def evaluate(assertions: Assertions, state: TenantState, episode: Episode) -> list[Check]:
    """Every check, in the scenario's order: the request log first (the checks' own reads add to it)."""
    out: list[Check] = []
    if assertions.requests.forbid:
        sent = await state.operations_sent()
        for operation in assertions.requests.forbid:
            times = sent.count(operation)
            out.append(Check(f"never sent {operation}", times == 0, f"sent {times} times"))
    try:
        for records in assertions.records:
            out += await records_check(state, records)
        for objects in assertions.objects:
            out.append(await object_check(state, objects))
        for executions in assertions.executions:
            out.append(await execution_check(state, executions))
    except SandboxStateError as refused:
        out.append(Check("read sandbox state", False, str(refused)))
    out += result_checks(assertions, episode)
    return out
