"""Ranking names against what someone typed: exact > prefix > word > substring.

Shared by find_resources and the completions, so a name ranks the same everywhere.
Ids match too (exactly or by prefix), so a pasted or half-typed id finds its object.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import TypeVar

T = TypeVar("T")

_WORD_SEPARATORS = re.compile(r"[^0-9a-z]+")


class Match(IntEnum):
    """How well a name matches; lower is better."""

    EXACT = 0
    PREFIX = 1
    WORD = 2
    SUBSTRING = 3


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def words_of(text: str) -> list[str]:
    return [word for word in _WORD_SEPARATORS.split(text.lower()) if word]


def match_of(query: str, name: str, identifier: str = "") -> Match | None:
    """How `name` (or `identifier`) matches `query`; None when it does not. Empty queries match all."""
    wanted = normalise(query)
    if not wanted:
        return Match.EXACT
    have = normalise(name)
    ident = identifier.lower()
    if have == wanted or ident == wanted:
        return Match.EXACT
    if have.startswith(wanted) or (ident and ident.startswith(wanted)):
        return Match.PREFIX
    wanted_words = words_of(wanted)
    name_words = words_of(have)
    # Each typed word starts some word of the name: "prod sales" finds "Salesforce (prod)".
    if wanted_words and all(any(w.startswith(typed) for w in name_words) for typed in wanted_words):
        return Match.WORD
    if wanted in have or (wanted_words and all(typed in have for typed in wanted_words)):
        return Match.SUBSTRING
    return None


def ranked(
    items: Iterable[T], query: str, name_of: Callable[[T], str], id_of: Callable[[T], str]
) -> list[tuple[Match, T]]:
    """Matching items, best match first; ties keep name order (case-insensitive)."""
    scored: list[tuple[Match, T]] = []
    for item in items:
        found = match_of(query, name_of(item), id_of(item))
        if found is not None:
            scored.append((found, item))
    scored.sort(key=lambda pair: (pair[0], normalise(name_of(pair[1]))))
    return scored
