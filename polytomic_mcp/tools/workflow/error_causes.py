"""Record errors grouped by cause.

Execution errors are one message per failed record ("row 17: value 'abc' is not a valid
number for AnnualRevenue"). Stripping the record-specific parts (quoted values, emails,
ids, numbers) leaves a cause template shared by every record that failed the same way;
counting per template turns hundreds of lines into a few causes. Each cause also gets a
category, which decides the advice diagnose_sync gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_TEXT = 160

# Which record failed ("row 17", "line 3", "record 003Sb0000000042AAA"): kept apart as the example record.
_RECORD_PATTERN = re.compile(
    r"\b(?:row|line|record)\s*#?\s*(?:\d+|(?=(?:[A-Za-z]*\d){3})[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)\b",
    re.IGNORECASE,
)

# Order matters: quoted text first (it may contain emails and numbers), numbers last.
_VALUE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’|`[^`]*`"), "<value>"),
    (re.compile(r"https?://\S+"), "<url>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    # Malformed addresses ("bob@@x") are values too.
    (re.compile(r"[^\s:,;()]*@[^\s:,;()]*"), "<value>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<id>"),
    # Salesforce-style record ids: 15 or 18 letters and digits, at least three digits.
    (re.compile(r"\b(?=(?:[A-Za-z]*\d){3})[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?\b"), "<id>"),
    (re.compile(r"(?<![\w<])[+-]?\d+(?:[.,]\d+)*(?![\w>])"), "<n>"),
)

# (category, words that reveal it); the first category with a matching word wins.
_AUTH_WORDS = (
    "oauth",
    "unauthorized",
    "unauthenticated",
    "invalid_grant",
    "token expired",
    "expired token",
    "authenticat",
    "authorization",
    "credentials",
    "reconnect",
    "not authorized",
)
_CONNECTION_WORDS = (
    "connection refused",
    "unreachable",
    "timed out",
    "timeout",
    "not healthy",
    "unhealthy",
    "could not connect",
    "network",
)
_SOURCE_CHANGED_WORDS = (
    "no longer exists",
    "missing from the data",
    "missing from the source",
    "column not found",
    "no such column",
    "file not found",
    "does not exist",
)
_TYPE_WORDS = (
    "not a valid",
    "invalid",
    "cannot convert",
    "could not convert",
    "cannot parse",
    "could not parse",
    "expected",
    "type mismatch",
    "wrong type",
    "malformed",
    "format",
    "too long",
    "out of range",
    "not a whole number",
    "not a boolean",
    "not a date",
)
_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("auth", _AUTH_WORDS),
    ("rate_limit", ("rate limit", "rate-limit", "too many requests", "request_limit_exceeded", "api limit", "quota")),
    ("schema_cache", ("schema cache", "cache refresh", "did not provide any schemas", "refresh in progress")),
    ("connection", _CONNECTION_WORDS),
    ("source_changed", _SOURCE_CHANGED_WORDS),
    ("missing_identity", ("identity", "match key", "matching field", "upsert key", "external id")),
    ("duplicate", ("duplicate", "multiple records match", "more than one record", "already exists")),
    ("missing_required", ("required", "cannot be empty", "cannot be null", "must not be empty")),
    ("type_mismatch", _TYPE_WORDS),
    ("permission", ("permission", "forbidden", "insufficient access", "not allowed", "read-only", "readonly")),
)

# An identity message only counts as a missing identity when it says the value is absent.
_ABSENT_WORDS = ("missing", "empty", "blank", "null", "no value", "not set", "absent")


@dataclass(frozen=True, slots=True)
class ErrorGroup:
    """One cause: its template, category, how many records hit it, and one example."""

    cause: str
    category: str
    count: int
    example: str
    example_record: str | None
    example_value: str | None

    def to_json(self) -> dict[str, object]:
        row: dict[str, object] = {"cause": self.cause, "category": self.category, "count": self.count}
        row["example_message"] = self.example
        if self.example_record is not None:
            row["example_record"] = self.example_record
        if self.example_value is not None:
            row["example_value"] = self.example_value
        return row


@dataclass(slots=True)
class GroupedErrors:
    """Causes, most frequent first, capped; with totals so nothing is silently dropped."""

    groups: list[ErrorGroup] = field(default_factory=list)
    total_messages: int = 0
    omitted_groups: int = 0
    omitted_messages: int = 0

    def categories(self) -> list[str]:
        return list(dict.fromkeys(group.category for group in self.groups))


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def cause_template(message: str) -> str:
    """The message with record-specific values replaced by placeholders."""
    template = _RECORD_PATTERN.sub("<record>", " ".join(message.split()))
    for pattern, placeholder in _VALUE_PATTERNS:
        template = pattern.sub(placeholder, template)
    return template


def record_of(message: str) -> str | None:
    """Which record the message is about ("row 17"), when it says."""
    found = _RECORD_PATTERN.search(message)
    return found.group(0) if found else None


def first_value(message: str) -> str | None:
    """The first record-specific value in a message (quoted text, email, id or number)."""
    without_record = _RECORD_PATTERN.sub(" ", message)
    for pattern, _ in _VALUE_PATTERNS:
        found = pattern.search(without_record)
        if found:
            return _clip(found.group(0).strip("'\"“”‘’`"))
    return None


def category_of(template: str) -> str:
    lower = template.lower()
    for category, words in _CATEGORIES:
        if any(word in lower for word in words):
            if category == "missing_identity" and not any(word in lower for word in _ABSENT_WORDS):
                continue
            return category
    return "other"


def group_errors(messages: Iterable[str], limit: int = 8) -> GroupedErrors:
    """Group messages by cause template, most frequent first, keeping `limit` groups."""
    counts: dict[str, int] = {}
    examples: dict[str, str] = {}
    total = 0
    for message in messages:
        if not message or not message.strip():
            continue
        total += 1
        template = cause_template(message)
        counts[template] = counts.get(template, 0) + 1
        examples.setdefault(template, message)
    ordered = sorted(counts, key=lambda template: -counts[template])
    groups = [
        ErrorGroup(
            cause=_clip(template),
            category=category_of(template),
            count=counts[template],
            example=_clip(examples[template]),
            example_record=record_of(examples[template]),
            example_value=first_value(examples[template]),
        )
        for template in ordered[:limit]
    ]
    omitted = ordered[limit:]
    return GroupedErrors(
        groups=groups,
        total_messages=total,
        omitted_groups=len(omitted),
        omitted_messages=sum(counts[template] for template in omitted),
    )
