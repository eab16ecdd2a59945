"""A small ranked word index over the operation tools.

Documents are built from each tool's name, path, purpose, toolset and argument names
(the fields a caller would mention). Scoring is tf·idf with per-source weights, which is
plenty for 198 short documents and needs no dependency.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

from polytomic_mcp.tools.operations.tools import OperationTool, operation_tools

WEIGHTS = {"name": 3.0, "purpose": 2.0, "path": 1.5, "toolset": 1.5, "field": 1.0}
SYNONYMS = {
    "sync": ("model_sync", "syncs"),
    "run": ("start", "execution", "executions"),
    "runs": ("executions",),
    "table": ("schema", "schemas"),
    "tables": ("schemas",),
    "delete": ("remove",),
    "remove": ("delete",),
    "user": ("users",),
    "log": ("logs", "consolelog"),
    "elt": ("bulk",),
    "reverse": ("model_sync",),
    "webhook": ("webhooks",),
    "key": ("keys",),
}
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "for",
        "in",
        "on",
        "by",
        "with",
        "and",
        "or",
        "is",
        "are",
        "be",
        "one",
        "all",
        "my",
        "me",
    ]
)


def words(text: str) -> list[str]:
    """Lower-case word stems; snake_case and paths are split, a plural s is dropped."""
    raw = re.findall(r"[a-z0-9]+", text.replace("_", " ").lower())
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in raw]


def _field_names(schema: Any) -> list[str]:
    names: list[str] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("properties", "$defs") and isinstance(value, dict):
                if key == "properties":
                    names.extend(value)
                for sub in value.values():
                    names.extend(_field_names(sub))
            elif isinstance(value, dict | list):
                names.extend(_field_names(value))
    elif isinstance(schema, list):
        for item in schema:
            names.extend(_field_names(item))
    return names


@dataclass(frozen=True, slots=True)
class Hit:
    tool: OperationTool
    score: float


class OperationSearch:
    def __init__(self, tools: list[OperationTool]) -> None:
        self.tools = tools
        self.documents: list[Counter[str]] = [self._document(tool) for tool in tools]
        frequency: Counter[str] = Counter()
        for document in self.documents:
            frequency.update(document.keys())
        total = len(tools)
        self.idf = {term: math.log(1 + total / count) for term, count in frequency.items()}

    @staticmethod
    def _document(tool: OperationTool) -> Counter[str]:
        document: Counter[str] = Counter()
        sources = {
            "name": tool.name,
            "purpose": tool.operation.purpose,
            "path": tool.operation.path,
            "toolset": tool.toolset,
            "field": " ".join(_field_names(tool.input_schema)),
        }
        for source, text in sources.items():
            for word in set(words(text)):
                document[word] += WEIGHTS[source]  # type: ignore[assignment]
        return document

    def _query_terms(self, query: str) -> list[str]:
        terms = [w for w in words(query) if w not in STOP_WORDS]
        expanded = list(terms)
        for term in terms:
            for synonym in SYNONYMS.get(term, ()):
                expanded.extend(words(synonym))
        return list(dict.fromkeys(expanded))

    def search(self, query: str, limit: int = 8, toolset: str | None = None) -> list[Hit]:
        terms = self._query_terms(query)
        hits: list[Hit] = []
        for tool, document in zip(self.tools, self.documents, strict=True):
            if toolset and tool.toolset != toolset:
                continue
            matched = [t for t in terms if t in document]
            if not matched:
                continue
            score = sum(document[t] * self.idf.get(t, 0.0) for t in matched)
            # Prefer operations that match more of the distinct query words, and whose name
            # the query covers best (`harbors list` → harbors_list before harbors_list_keys).
            score *= (1 + len(matched)) / (1 + len(terms))
            name_words = set(words(tool.name))
            score *= 1 + len(name_words & set(terms)) / len(name_words)
            hits.append(Hit(tool, round(score, 3)))
        hits.sort(key=lambda h: (-h.score, h.tool.name))
        return hits[:limit]


@cache
def operation_search() -> OperationSearch:
    return OperationSearch(list(operation_tools()))
