"""Route table built from the catalog: 198 path templates, literal segments beat parameters."""

from __future__ import annotations

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


def is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


@dataclass(frozen=True)
class Template:
    operation: Operation
    segments: tuple[str, ...]

    @property
    def specificity(self) -> tuple[int, ...]:
        """Literal segments rank above parameters, position by position."""
        return tuple(0 if is_param(s) else 1 for s in self.segments)

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


class MethodNotAllowed(Exception):
    def __init__(self, allowed: list[str]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


class Router:
    """Finds the catalog operation for a method and a concrete path."""

    def __init__(self, catalog: Catalog) -> None:
        templates = [Template(op, split_path(op.path)) for op in catalog.operations]
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
                return RouteMatch(template.operation, params)
            allowed.append(template.operation.method)
        if allowed:
            raise MethodNotAllowed(sorted(set(allowed)))
        return None
