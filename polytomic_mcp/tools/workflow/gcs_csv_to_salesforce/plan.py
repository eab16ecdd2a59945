"""Checking a model-sync plan against real schemas, before anything is created.

Given the model's fields (CSV columns), the target object's fields and supported modes,
and what the caller asked for, this works out the field mapping (explicit, or by
matching names) and every problem that would make the sync fail, each naming the bad
value and the valid choices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from polytomic_mcp.tools.views import is_lookup, lookup_value_text

MAX_CHOICES = 12


def normalise(name: str) -> str:
    """`first_name`, `FirstName`, `First Name` → `firstname`."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def choices(values: list[str]) -> str:
    shown = ", ".join(values[:MAX_CHOICES])
    return shown + (f" … ({len(values)} in all)" if len(values) > MAX_CHOICES else "")


@dataclass(frozen=True, slots=True)
class TargetField:
    id: str
    name: str
    type: str
    required: bool
    createable: bool
    updateable: bool
    supports_identity: bool
    identity_functions: tuple[str, ...]
    takes: str | None = None  # for a lookup: what value it takes (an existing record's id)

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> TargetField:
        return cls(
            id=str(raw.get("id")),
            name=str(raw.get("name") or raw.get("id")),
            type=str(raw.get("type") or ""),
            required=bool(raw.get("required")),
            createable=raw.get("createable") is not False,
            updateable=raw.get("updateable") is not False,
            supports_identity=bool(raw.get("supports_identity")),
            identity_functions=tuple(str(f.get("id")) for f in raw.get("identity_functions") or []),
            takes=lookup_value_text(raw) if is_lookup(raw) else None,
        )


@dataclass(frozen=True, slots=True)
class FieldMapping:
    source: str
    target: str


@dataclass
class SyncPlan:
    """The outcome of checking: what will be mapped, what was left out, what is wrong."""

    identity_source: str
    identity_target: str
    identity_function: str
    mode: str
    mappings: list[FieldMapping] = field(default_factory=list)
    unmapped_columns: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    automatic: bool = True
    lookups: dict[str, str] = field(default_factory=dict)  # mapped lookup field -> what it takes

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "identity": f"{self.identity_source} → {self.identity_target} ({self.identity_function})",
            "mode": self.mode,
            "fields": {m.source: m.target for m in self.mappings},
            "matched": "by name" if self.automatic else "as given",
        }
        if self.unmapped_columns:
            out["left_out"] = self.unmapped_columns
        if self.lookups:
            out["lookups"] = {
                target: f"takes {takes}: the mapped column must hold such ids, or Salesforce refuses the record"
                for target, takes in self.lookups.items()
            }
        if self.problems:
            out["problems"] = self.problems
        return out


def _find_target(fields: list[TargetField], wanted: str) -> TargetField | None:
    exact = next((f for f in fields if f.id == wanted), None)
    if exact is not None:
        return exact
    key = normalise(wanted)
    return next((f for f in fields if normalise(f.id) == key or normalise(f.name) == key), None)


def check_mode(mode: str, modes: list[dict[str, Any]], target_object: str) -> tuple[str | None, bool]:
    """(problem or None, whether the mode needs an identity)."""
    by_id = {str(m.get("id") or m.get("mode")): m for m in modes}
    if mode not in by_id:
        return (
            f"mode {mode!r} is not supported by {target_object}; supported: {choices(sorted(by_id))}",
            True,
        )
    return None, bool(by_id[mode].get("requires_identity", True))


def plan_sync(
    *,
    columns: list[str],
    target_fields: list[dict[str, Any]],
    target_object: str,
    modes: list[dict[str, Any]],
    mode: str,
    identity_source: str,
    identity_target: str,
    identity_function: str,
    explicit: dict[str, str] | None,
) -> SyncPlan:
    fields = [TargetField.from_api(raw) for raw in target_fields]
    plan = SyncPlan(identity_source, identity_target, identity_function, mode, automatic=explicit is None)
    mode_problem, needs_identity = check_mode(mode, modes, target_object)
    if mode_problem:
        plan.problems.append(mode_problem)
    column_by_key = {normalise(c): c for c in columns}
    _check_identity(plan, fields, column_by_key, columns, target_object, needs_identity)
    if explicit is None:
        _match_by_name(plan, fields, columns)
    else:
        _check_explicit(plan, fields, columns, explicit, target_object)
    takes = {f.id: f.takes for f in fields if f.takes}
    plan.lookups = {m.target: takes[m.target] for m in plan.mappings if m.target in takes}
    return plan


def _check_identity(
    plan: SyncPlan,
    fields: list[TargetField],
    column_by_key: dict[str, str],
    columns: list[str],
    target_object: str,
    needs_identity: bool,
) -> None:
    source = (
        plan.identity_source if plan.identity_source in columns else column_by_key.get(normalise(plan.identity_source))
    )
    if source is None:
        plan.problems.append(
            f"identity source field {plan.identity_source!r} is not a column of the CSV; columns: {choices(columns)}"
        )
    else:
        plan.identity_source = source
    if not needs_identity:
        return
    target = _find_target(fields, plan.identity_target)
    identity_capable = [f.id for f in fields if f.supports_identity]
    if target is None:
        plan.problems.append(
            f"identity target field {plan.identity_target!r} does not exist on {target_object}; "
            f"fields that can be identities: {choices(identity_capable)}"
        )
        return
    plan.identity_target = target.id
    if not target.supports_identity:
        plan.problems.append(
            f"{target_object}.{target.id} cannot be an identity; fields that can: {choices(identity_capable)}"
        )
    elif target.identity_functions and plan.identity_function not in target.identity_functions:
        plan.problems.append(
            f"identity function {plan.identity_function!r} is not allowed on {target_object}.{target.id}; "
            f"allowed: {choices(list(target.identity_functions))}"
        )


def _writable(target: TargetField, mode: str) -> bool:
    if mode == "create":
        return target.createable
    if mode == "update":
        return target.updateable
    return target.createable or target.updateable


def _match_by_name(plan: SyncPlan, fields: list[TargetField], columns: list[str]) -> None:
    taken = {normalise(plan.identity_target)}
    for column in columns:
        if column == plan.identity_source:
            continue
        target = _find_target(fields, column)
        if target is None or normalise(target.id) in taken or not _writable(target, plan.mode):
            plan.unmapped_columns.append(column)
            continue
        taken.add(normalise(target.id))
        plan.mappings.append(FieldMapping(column, target.id))


def _check_explicit(
    plan: SyncPlan, fields: list[TargetField], columns: list[str], explicit: dict[str, str], target_object: str
) -> None:
    field_ids = [f.id for f in fields]
    for source, wanted in explicit.items():
        if source not in columns:
            plan.problems.append(f"field_mappings: {source!r} is not a column of the CSV; columns: {choices(columns)}")
            continue
        target = _find_target(fields, wanted)
        if target is None:
            plan.problems.append(
                f"field_mappings: {wanted!r} is not a field of {target_object}; fields: {choices(field_ids)}"
            )
            continue
        if not _writable(target, plan.mode):
            plan.problems.append(f"field_mappings: {target_object}.{target.id} cannot be written in {plan.mode} mode")
            continue
        plan.mappings.append(FieldMapping(source, target.id))
    mapped = set(explicit) | {plan.identity_source}
    plan.unmapped_columns = [c for c in columns if c not in mapped]
