"""Why the demo's numbers are what they are, worked out from the CSV and what the runs reported.

The seed CSV plants bad rows on purpose (see sandbox/seeds/generate_default.py): a row
without an email, a malformed email, two rows whose emails differ only in case, a padded
email and `n/a` in a number column. Replaying updateOrCreate on email over the rows gives
the counts each run should report; the explanation is printed only as far as it matches
what the runs did report, and says so when it does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def identity(value: str | None) -> str:
    """Emails compare trimmed and case-folded, as the sandbox (and Salesforce) compare them."""
    return (value or "").strip().casefold()


def is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


@dataclass
class CsvFacts:
    """The deliberately bad rows of the CSV, by data-row number (1 = the row after the header)."""

    rows: int
    no_email: list[int] = field(default_factory=list)
    malformed: dict[int, str] = field(default_factory=dict)
    padded: list[int] = field(default_factory=list)
    repeats: dict[int, int] = field(default_factory=dict)  # row → the earlier row with the same email
    not_numbers: dict[str, dict[int, str]] = field(default_factory=dict)  # column → {row: value}

    def bad_identity(self) -> set[int]:
        return set(self.no_email) | set(self.malformed)


def csv_facts(rows: list[dict[str, str]], email_column: str = "email") -> CsvFacts:
    facts = CsvFacts(len(rows))
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        raw = row.get(email_column) or ""
        if not raw.strip():
            facts.no_email.append(number)
            continue
        if not EMAIL.fullmatch(raw.strip()):
            facts.malformed[number] = raw
            continue
        if raw != raw.strip():
            facts.padded.append(number)
        key = identity(raw)
        if key in first_row:
            facts.repeats[number] = first_row[key]
        else:
            first_row[key] = number
    for column in rows[0] if rows else {}:
        values = [(n, r.get(column) or "") for n, r in enumerate(rows, start=1) if (r.get(column) or "").strip()]
        numeric = [v for _, v in values if is_number(v)]
        if values and len(numeric) >= 0.75 * len(values) and len(numeric) < len(values):
            facts.not_numbers[column] = {n: v for n, v in values if not is_number(v)}
    return facts


@dataclass(frozen=True)
class Replay:
    """updateOrCreate on email over the rows: what should be inserted, updated, refused."""

    inserts: int
    updates: int
    errors: int
    matched_existing: int  # rows whose email matched a contact that was there before
    repeat_updates: dict[int, int]  # rows that updated the contact an earlier row had just created


def replay(facts: CsvFacts, rows: list[dict[str, str]], existing: Iterable[str], failing: set[int]) -> Replay:
    """`failing` are rows refused for other reasons (a value that does not fit its field)."""
    seen = set(existing)
    before = set(seen)
    inserts = updates = matched = 0
    repeat_updates: dict[int, int] = {}
    for number, row in enumerate(rows, start=1):
        if number in facts.bad_identity() or number in failing:
            continue
        key = identity(row.get("email"))
        if key in seen:
            updates += 1
            if key in before:
                matched += 1
            elif number in facts.repeats:
                repeat_updates[number] = facts.repeats[number]
        else:
            inserts += 1
            seen.add(key)
    errors = len(facts.bad_identity() | failing)
    return Replay(inserts, updates, errors, matched, repeat_updates)


def explain_csv(facts: CsvFacts) -> list[str]:
    """The planted rows, in row order."""
    always = "(a record error in every run)"
    found: list[tuple[int, str]] = [(n, f"no email, so nothing to match on {always}") for n in facts.no_email]
    found += [(n, f"email {v!r} is not an email address {always}") for n, v in facts.malformed.items()]
    found += [(n, f"the email of row {e} in other letter case (the same contact)") for n, e in facts.repeats.items()]
    found += [(n, "email padded with spaces (matched after trimming)") for n in facts.padded]
    for column, bad in facts.not_numbers.items():
        later = f"(an error once {column} goes to a number field)"
        found += [(n, f"{column} is {v!r}, not a number {later}") for n, v in bad.items()]
    lines = [f"The seed CSV has {facts.rows} rows; some are bad on purpose, to show how a sync treats them:"]
    lines += [f"  row {number}: {what}" for number, what in sorted(found)]
    return lines


def explain_run(
    title: str,
    counts: Mapping[str, int],
    expected: Replay,
    changed_contacts: int | None = None,
    matched: str = "contacts that were in Salesforce before the demo",
) -> list[str]:
    """Reconcile one run's counts with the replay; never explains numbers that do not match."""
    got = (counts.get("insert", 0), counts.get("update", 0), counts.get("error", 0))
    if got != (expected.inserts, expected.updates, expected.errors):
        return [
            f"{title}: reported {got[0]} inserted, {got[1]} updated, {got[2]} errors, but replaying the CSV "
            f"gives {expected.inserts}, {expected.updates}, {expected.errors}: see diagnose_sync above"
        ]
    lines = [
        f"{title}: {got[0]} inserted + {got[1]} updated + {got[2]} errors = {sum(got)} rows "
        f"(total {counts.get('total', sum(got))})"
    ]
    if expected.matched_existing:
        lines.append(f"  {expected.matched_existing} rows matched {matched}")
    for number, earlier in expected.repeat_updates.items():
        lines.append(
            f"  row {number} repeats row {earlier}'s email, so it updated the contact row {earlier} had just "
            "created: that is an update, but not another contact"
        )
    if changed_contacts is not None and changed_contacts != got[1]:
        lines.append(f"  so {got[1]} updates changed {changed_contacts} contacts that existed before the demo")
    return lines


def explain_mapping(title: str, mapped: Mapping[str, str], identity_column: str, columns: Iterable[str]) -> str:
    left = [c for c in columns if c not in mapped and c != identity_column]
    fields = ", ".join(f"{source} → {target}" for source, target in mapped.items())
    return f"{title}: {identity_column} is the identity; mapped {fields}; left out: {', '.join(left) or 'nothing'}"
