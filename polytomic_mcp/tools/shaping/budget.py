"""Fitting a payload into a token budget.

Each round cuts where it pays most: the biggest list (keeping a share of its items in
proportion to the budget), else the biggest long string (truncated), else the biggest
nested member (left out, with a marker). Cuts are recorded, so the result can say what
was cut and how to get the rest. Tokens are estimated (`tokens.estimate_tokens`, which
over-counts cl100k on the project's results), so the exact tokenizer is never loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polytomic_mcp.tokens import compact_json, estimate_tokens

MAX_ROUNDS = 40
MIN_STRING = 120
# A list or string is worth cutting when it is at least this share of the whole.
WORTH_CUTTING = 0.25

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Cut:
    path: str
    kept: int
    total: int
    unit: str  # "items", "characters", or "omitted"

    def describe(self) -> str:
        where = self.path or "result"
        if self.unit == "omitted":
            return f"{where} left out"
        return f"{where}: {self.kept} of {self.total} {self.unit}"


def tokens_of(value: Any) -> int:
    """Estimated tokens of the value as compact JSON, the form results are sent in."""
    return estimate_tokens(compact_json(value))


def path_text(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True, slots=True)
class Node:
    path: Path
    value: Any
    size: int  # characters of JSON


def _nodes(value: Any) -> list[Node]:
    """Every value below the root, with its path and JSON size."""
    found: list[Node] = []

    def visit(node: Any, where: Path) -> None:
        if where:
            found.append(Node(where, node, len(compact_json(node))))
        if isinstance(node, dict):
            for key, item in node.items():
                visit(item, (*where, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                visit(item, (*where, index))

    visit(value, ())
    return found


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


def _choose(nodes: list[Node], whole: int) -> Node | None:
    lists = [n for n in nodes if isinstance(n.value, list) and len(n.value) > 1]
    strings = [n for n in nodes if isinstance(n.value, str) and len(n.value) > MIN_STRING]
    for group in (lists, strings):
        best = max(group, key=lambda n: n.size, default=None)
        if best is not None and best.size >= WORTH_CUTTING * whole:
            return best
    # Nothing dominates: leave out the biggest member of an object (never the top-level data itself).
    members = [n for n in nodes if isinstance(n.path[-1], str) and n.path != ("data",) and n.size > 40]
    return max(members, key=lambda n: n.size, default=None)


def fit(payload: Any, budget: int) -> tuple[Any, list[Cut]]:
    """payload cut down to at most `budget` tokens (as far as cutting can), and the cuts made."""
    cuts: dict[str, Cut] = {}
    current = payload
    for _ in range(MAX_ROUNDS):
        size = tokens_of(current)
        if size <= budget:
            break
        whole = len(compact_json(current))
        node = _choose(_nodes(current), whole)
        if node is None:
            break
        name = path_text(node.path)
        ratio = budget / size
        if isinstance(node.value, list):
            keep = max(1, min(len(node.value) - 1, int(len(node.value) * ratio * 0.9)))
            total = cuts[name].total if name in cuts else len(node.value)
            cuts[name] = Cut(name, keep, total, "items")
            current = _replace(current, node.path, node.value[:keep])
        elif isinstance(node.value, str):
            keep = max(MIN_STRING, int(len(node.value) * ratio * 0.9))
            total = cuts[name].total if name in cuts else len(node.value)
            cuts[name] = Cut(name, keep, total, "characters")
            current = _replace(current, node.path, node.value[:keep] + "…")
        else:
            cuts[name] = Cut(name, 0, 0, "omitted")
            current = _replace(current, node.path, "…(left out to fit the result budget)")
    return current, list(cuts.values())
