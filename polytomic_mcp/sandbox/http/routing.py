"""Route table built from the catalog: 198 path templates, literal segments beat parameters.

Each parameter is one path segment (an encoded ``%2F`` stays inside it). One exception, for
file names as the official SDK sends them, unencoded: when no route matches segment by segment,
a ``{schema_id}`` parameter may span several segments (``schemas/exports/2026/users.csv``). Of
the routes that then fit, the one with the most literal segments wins, so
``schemas/a/b.csv/records`` reads the records of ``a/b.csv``; a schema id whose own last segment
is one of those literal words (``records``, ``fields``, ``primary_keys``, ``cancel``,
``consolelog``) must be sent encoded. A path that two routes still fit equally names no route.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from polytomic_mcp.catalog import Catalog, Operation


def split_path(path: str) -> tuple[str, ...]:
    """Path segments without empty ones, so a trailing slash (``/api/connections/connect/``) is ignored."""
    return tuple(seg for seg in path.split("/") if seg)


def split_raw_path(raw_path: str) -> tuple[str, ...]:
    """Segments of a percent-encoded request path, each decoded only after the split, so an
    encoded slash (``exports%2Fcontacts.csv``) stays inside its segment."""
    return tuple(unquote(seg, errors="strict") for seg in raw_path.split("/") if seg)


SPANNING = "{schema_id}"  # the one parameter that may take unencoded slashes


def is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


@dataclass(frozen=True)
class Template:
    operation: Operation
    segments: tuple[str, ...]
    path: str  # the template as written (an alias path differs from the operation's own)

    @property
    def specificity(self) -> tuple[int, ...]:
        """Literal segments rank above parameters, position by position."""
        return tuple(0 if is_param(s) else 1 for s in self.segments)

    @property
    def literals(self) -> int:
        return sum(1 for s in self.segments if not is_param(s))

    def match_spanning(self, parts: tuple[str, ...]) -> dict[str, str] | None:
        """The match when ``{schema_id}`` takes two or more segments, joined by ``/``."""
        if SPANNING not in self.segments:
            return None
        start = self.segments.index(SPANNING)
        width = len(parts) - len(self.segments) + 1
        if width < 2:
            return None
        joined = (*parts[:start], "/".join(parts[start : start + width]), *parts[start + width :])
        return self.match(joined)

    def match(self, parts: tuple[str, ...]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for seg, part in zip(self.segments, parts, strict=True):
            if is_param(seg):
                params[seg[1:-1]] = part
            elif seg != part:
                return None
        return params


@dataclass(frozen=True)
class RouteMatch:
    operation: Operation
    path_params: dict[str, str]
    template: str


class AmbiguousPath(Exception):
    """Two routes fit a path whose schema id spans segments equally well."""


class MethodNotAllowed(Exception):
    def __init__(self, allowed: list[str]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


class Router:
    """Finds the catalog operation for a method and a concrete path."""

    def __init__(self, catalog: Catalog, aliases: Mapping[str, str] | None = None) -> None:
        """``aliases`` maps extra path templates to the operation they reach (paths an earlier API
        version served)."""
        templates = [Template(op, split_path(op.path), op.path) for op in catalog.operations]
        templates += [Template(catalog.get(name), split_path(path), path) for path, name in (aliases or {}).items()]
        # Most specific first: the first template whose shape matches is the right one.
        self._templates = sorted(templates, key=lambda t: t.specificity, reverse=True)

    def resolve(self, method: str, raw_path: str) -> RouteMatch | None:
        """The operation for a request, given its path as sent (percent-encoded, no query); None
        when no path matches; MethodNotAllowed when only the verb is wrong. Path parameters are
        the decoded segments, so every parameter may contain an encoded ``/``."""
        try:
            parts = split_raw_path(raw_path)
        except UnicodeDecodeError:  # %-escapes that are not UTF-8 name nothing we serve
            return None
        allowed: list[str] = []
        best_shape: tuple[int, ...] | None = None
        for template in self._templates:
            params = template.match(parts)
            if params is None:
                continue
            # Only templates as specific as the best matching one compete (e.g. /syncs/schedules
            # must not fall back to /syncs/{id} just because the verb differs).
            if best_shape is not None and template.specificity != best_shape:
                break
            best_shape = template.specificity
            if template.operation.method == method:
                return RouteMatch(template.operation, params, template.path)
            allowed.append(template.operation.method)
        if allowed:
            raise MethodNotAllowed(sorted(set(allowed)))
        return self._resolve_spanning(method, parts)

    def _resolve_spanning(self, method: str, parts: tuple[str, ...]) -> RouteMatch | None:
        fits = [(t, params) for t in self._templates if (params := t.match_spanning(parts)) is not None]
        if not fits:
            return None
        most = max(t.literals for t, _ in fits)
        best = [(t, params) for t, params in fits if t.literals == most]
        chosen = [(t, params) for t, params in best if t.operation.method == method]
        if len(chosen) > 1:
            raise AmbiguousPath(", ".join(t.operation.name for t, _ in chosen))
        if chosen:
            template, params = chosen[0]
            return RouteMatch(template.operation, params, template.path)
        raise MethodNotAllowed(sorted({t.operation.method for t, _ in best}))
