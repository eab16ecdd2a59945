"""Fitting a payload into a token budget by cutting its biggest lists, then long strings.

Cuts are recorded (where, how many kept of how many) so the result can say what was cut
and how to get the rest. Counting tokens is skipped when the JSON is shorter in
characters than the budget in tokens (a token is at least one character).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from polytomic_mcp.tokens import count_tokens

MAX_ROUNDS = 40
MIN_STRING = 120


@dataclass(frozen=True, slots=True)
class Cut:
    path: str
    kept: int
    total: int
    unit: str  # "items" or "characters"

    def describe(self) -> str:
        return f"{self.path or 'result'}: {self.kept} of {self.total} {self.unit}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def tokens_of(value: Any) -> int:
    text = _json(value)
    return len(text) if len(text) < 64 else count_tokens(text)


Path = tuple[str | int, ...]


def path_text(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _largest(value: Any, kind: type[list[Any]] | type[str]) -> tuple[Path, Any] | None:
    """The biggest list (or long string) anywhere in value, by JSON size, with its path."""
    best: tuple[Path, Any, int] | None = None

    def visit(node: Any, where: Path) -> None:
        nonlocal best
        if isinstance(node, list | str) and isinstance(node, kind):
            eligible = len(node) > 1 if kind is list else len(node) > MIN_STRING
            size = len(_json(node)) if eligible else 0
            if eligible and (best is None or size > best[2]):
                best = (where, node, size)
        if isinstance(node, dict):
            for key, item in node.items():
                visit(item, (*where, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                visit(item, (*where, index))

    visit(value, ())
    return None if best is None else (best[0], best[1])


def _replace(node: Any, path: Path, new: Any) -> Any:
    """A copy of node with the value at path replaced (containers on the way are copied)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(node, list) and isinstance(head, int):
        copy = list(node)
        copy[head] = _replace(node[head], rest, new)
        return copy
    return {**node, head: _replace(node[head], rest, new)}


def fit(payload: Any, budget: int) -> tuple[Any, list[Cut]]:
    """payload cut down to at most `budget` tokens, and the cuts made."""
    cuts: dict[str, Cut] = {}
    current = payload
    for _ in range(MAX_ROUNDS):
        size = tokens_of(current)
        if size <= budget:
            break
        ratio = budget / size
        largest = _largest(current, list)
        if largest is not None:
            path, items = largest
            keep = max(1, min(len(items) - 1, int(len(items) * ratio * 0.9)))
            name = path_text(path)
            total = cuts[name].total if name in cuts else len(items)
            cuts[name] = Cut(name, keep, total, "items")
            current = _replace(current, path, items[:keep])
            continue
        longest = _largest(current, str)
        if longest is None:
            break
        path, text = longest
        keep = max(MIN_STRING, int(len(text) * ratio * 0.9))
        name = path_text(path)
        total = cuts[name].total if name in cuts else len(text)
        cuts[name] = Cut(name, keep, total, "characters")
        current = _replace(current, path, text[:keep] + "…")
    return current, list(cuts.values())
