"""The dependency rules ARCHITECTURE.md states, checked on the package's own imports.

Every `import` and `from ... import` in every module counts, wherever it stands: at the top,
inside a function (a lazy import is still a dependency) or under `if TYPE_CHECKING:`.
Each rule quotes the sentence of ARCHITECTURE.md it enforces, so the document and the check
cannot drift apart silently; the checker itself is tested on synthetic import graphs and on a
synthetic package, so a broken arrow is known to fail.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "polytomic_mcp"
ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")

ImportGraph = Mapping[str, frozenset[str]]


# -- reading the imports ------------------------------------------------------------------


def module_name(path: Path, package_dir: Path) -> str:
    parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package_dir: Path, known: frozenset[str]) -> frozenset[str]:
    """The project modules one file imports (relative imports resolved, `from pkg import mod` as pkg.mod)."""
    name = module_name(path, package_dir)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            submodules = {f"{target}.{alias.name}" for alias in node.names} & known
            # `from pkg import mod` depends on mod; `from pkg import name` on pkg itself.
            found.update(submodules if len(submodules) == len(node.names) else {target, *submodules})
    return frozenset(m for m in found if m == package_dir.name or m.startswith(package_dir.name + "."))


def import_graph(package_dir: Path) -> dict[str, frozenset[str]]:
    files = sorted(package_dir.rglob("*.py"))
    known = frozenset(module_name(path, package_dir) for path in files)
    return {module_name(path, package_dir): imports_of(path, package_dir, known) for path in files}


def within(module: str, prefix: str) -> bool:
    """`polytomic_mcp.tools.views` is within `polytomic_mcp.tools`, `polytomic_mcp.toolsets` is not;
    the package root is only itself (its `__version__`), and ANY is every module."""
    if prefix == ANY:
        return True
    return module == prefix or (prefix != P and module.startswith(prefix + "."))


# -- the rules ----------------------------------------------------------------------------

P = "polytomic_mcp"
ANY = "*"
SERVER_LAYER = tuple(
    f"{P}.{m}"
    for m in (
        "server",
        "http_app",
        "stdio_transport",
        "jsonrpc_errors",
        "admin_proxy",
        "resources",
        "completions",
        "prompts",
        "instructions",
    )
)


@dataclass(frozen=True)
class Rule:
    """Modules within `importers` (less `exempt`) import nothing `forbidden`, or, with `only`,
    nothing of the project outside `only`. `states` is the sentence of ARCHITECTURE.md."""

    states: str
    importers: tuple[str, ...]
    forbidden: tuple[str, ...] = ()
    only: tuple[str, ...] | None = None
    exempt: tuple[str, ...] = ()

    def applies_to(self, module: str) -> bool:
        return any(within(module, p) for p in self.importers) and not any(within(module, p) for p in self.exempt)

    def breaks(self, target: str) -> bool:
        if any(within(target, p) for p in self.forbidden):
            return True
        return self.only is not None and not any(within(target, p) for p in (*self.only, *self.importers))


RULES = (
    Rule(
        "`tools/` imports, of the rest of the package, only `guardrails/`, `client.py`, `catalog/`, "
        "`errors.py`, `settings.py`, `tokens.py` and `determinism.py`: never `server.py`, `resources.py` "
        "or `commands/`",
        importers=(f"{P}.tools",),
        only=(
            f"{P}.guardrails",
            f"{P}.client",
            f"{P}.catalog",
            f"{P}.errors",
            f"{P}.settings",
            f"{P}.tokens",
            f"{P}.determinism",
        ),
    ),
    Rule(
        "`resources.py` and `completions.py` import no `tools/workflow/` module",
        importers=(f"{P}.resources", f"{P}.completions"),
        forbidden=(f"{P}.tools.workflow",),
    ),
    Rule(
        "`guardrails/` imports, of `tools/`, only the leaves `tools/operations/{tools,naming}.py`, "
        "`tools/toolsets.py` and `tools/shaping/sanitize.py`, and otherwise only `catalog/`, `client.py`, "
        "`errors.py` and `settings.py`",
        importers=(f"{P}.guardrails",),
        only=(
            f"{P}.tools.operations.tools",
            f"{P}.tools.operations.naming",
            f"{P}.tools.toolsets",
            f"{P}.tools.shaping.sanitize",
            f"{P}.catalog",
            f"{P}.client",
            f"{P}.errors",
            f"{P}.settings",
        ),
    ),
    Rule(
        "The server layer (`server.py`, `http_app.py`, `stdio_transport.py`, `jsonrpc_errors.py`, "
        "`admin_proxy.py`, `resources.py`, `completions.py`, `prompts.py`, `instructions.py`) never imports "
        "`cli.py` or `commands/`",
        importers=SERVER_LAYER,
        forbidden=(f"{P}.cli", f"{P}.commands", f"{P}.__main__"),
    ),
    Rule(
        "`client.py` imports only `catalog/`, `settings.py` and `errors.py`",
        importers=(f"{P}.client",),
        only=(f"{P}.catalog", f"{P}.settings", f"{P}.errors", P),
    ),
    Rule(
        "`settings.py` imports only `catalog/` and `errors.py`",
        importers=(f"{P}.settings",),
        only=(f"{P}.catalog", f"{P}.errors"),
    ),
    Rule("`catalog/` and `errors.py` import nothing of the project", importers=(f"{P}.catalog",), only=()),
    Rule("`catalog/` and `errors.py` import nothing of the project", importers=(f"{P}.errors",), only=()),
    Rule(
        "The sandbox imports nothing of the server: of the rest of the package only `catalog/`",
        importers=(f"{P}.sandbox",),
        only=(f"{P}.catalog",),
    ),
    Rule(
        "Only `commands/`, `evals/` (and tests) start a sandbox, through `polytomic_mcp.sandbox` itself",
        importers=(ANY,),
        exempt=(f"{P}.sandbox", f"{P}.commands", f"{P}.evals"),
        forbidden=(f"{P}.sandbox",),
    ),
    Rule(
        "Only `commands/`, `evals/` (and tests) start a sandbox, through `polytomic_mcp.sandbox` itself",
        importers=(f"{P}.commands", f"{P}.evals"),
        forbidden=tuple(
            f"{P}.sandbox.{group}" for group in ("http", "handlers", "engine", "state", "world", "seeds", "config")
        ),
    ),
    Rule(
        "`engine/` imports no handler and nothing of `http/`",
        importers=(f"{P}.sandbox.engine",),
        forbidden=(f"{P}.sandbox.handlers", f"{P}.sandbox.http"),
    ),
    Rule(
        "`state/` and `world/` import neither `engine/`, `handlers/` nor `http/`",
        importers=(f"{P}.sandbox.state", f"{P}.sandbox.world"),
        forbidden=(f"{P}.sandbox.engine", f"{P}.sandbox.handlers", f"{P}.sandbox.http"),
    ),
)


def violations(graph: ImportGraph, rules: tuple[Rule, ...] = RULES) -> list[str]:
    return [
        f"{module} imports {target}, but ARCHITECTURE.md says: {rule.states}"
        for rule in rules
        for module, targets in sorted(graph.items())
        if rule.applies_to(module)
        for target in sorted(targets)
        if target != module and rule.breaks(target)
    ]


# -- the package keeps the rules ----------------------------------------------------------


def test_the_package_keeps_every_dependency_rule() -> None:
    graph = import_graph(PACKAGE)
    assert len(graph) > 100  # the whole package was read
    assert violations(graph) == []


@pytest.mark.parametrize("rule", sorted({r.states for r in RULES}))
def test_each_rule_is_stated_in_the_architecture_document(rule: str) -> None:
    assert rule in " ".join(ARCHITECTURE.split()), rule


# -- the checker fails when an arrow is broken ---------------------------------------------

# One arrow that breaks each rule, in an otherwise empty graph.
BROKEN_ARROWS: dict[int, tuple[str, str]] = {
    0: (f"{P}.tools.views", f"{P}.resources"),
    1: (f"{P}.completions", f"{P}.tools.workflow.finding"),
    2: (f"{P}.guardrails.previews", f"{P}.tools.api"),
    3: (f"{P}.http_app", f"{P}.commands.startup"),
    4: (f"{P}.client", f"{P}.tools.api"),
    5: (f"{P}.settings", f"{P}.tools.toolsets"),
    6: (f"{P}.catalog.model", f"{P}.errors"),
    7: (f"{P}.errors", f"{P}.settings"),
    8: (f"{P}.sandbox.http.app", f"{P}.client"),
    9: (f"{P}.server", f"{P}.sandbox"),
    10: (f"{P}.commands.demo", f"{P}.sandbox.state.store"),
    11: (f"{P}.sandbox.engine.executions", f"{P}.sandbox.handlers.models"),
    12: (f"{P}.sandbox.world.files", f"{P}.sandbox.engine.jobs"),
}


def test_every_rule_has_a_broken_arrow_to_fail_on() -> None:
    assert sorted(BROKEN_ARROWS) == list(range(len(RULES)))


@pytest.mark.parametrize("index", sorted(BROKEN_ARROWS))
def test_a_broken_arrow_is_reported_with_its_rule(index: int) -> None:
    importer, target = BROKEN_ARROWS[index]
    found = violations({importer: frozenset({target})})
    assert f"{importer} imports {target}, but ARCHITECTURE.md says: {RULES[index].states}" in found


def test_allowed_arrows_are_not_reported() -> None:
    allowed = {
        f"{P}.tools.workflow.finding": frozenset({f"{P}.tools.api", f"{P}.client", f"{P}.errors"}),
        f"{P}.resources": frozenset({f"{P}.tools.views", f"{P}.tools.context"}),
        f"{P}.guardrails.tiers": frozenset({f"{P}.tools.toolsets", f"{P}.tools.operations.naming"}),
        f"{P}.sandbox.handlers.models": frozenset({f"{P}.sandbox.engine.jobs", f"{P}.catalog"}),
        f"{P}.commands.backend": frozenset({f"{P}.sandbox", f"{P}.server"}),
        f"{P}.toolsets_elsewhere": frozenset({f"{P}.server"}),  # not within tools/: no rule about it
    }
    assert violations(allowed) == []


def test_lazy_relative_and_type_checking_imports_are_read(tmp_path: Path) -> None:
    """A synthetic package with arrows hidden the three ways a real module could hide them."""
    package = tmp_path / P
    (package / "tools").mkdir(parents=True)
    (package / "sandbox" / "engine").mkdir(parents=True)
    for init in (package, package / "tools", package / "sandbox", package / "sandbox" / "engine"):
        (init / "__init__.py").write_text("")
    (package / "server.py").write_text("")
    (package / "tools" / "lazy.py").write_text("def later():\n    from polytomic_mcp.server import build\n")
    (package / "tools" / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from polytomic_mcp import server\n"
    )
    (package / "sandbox" / "engine" / "relative.py").write_text("from ..handlers import models\n")
    graph = import_graph(package)
    assert graph[f"{P}.tools.typed"] == {f"{P}.server"}
    assert set(violations(graph)) == {
        f"{P}.tools.lazy imports {P}.server, but ARCHITECTURE.md says: {RULES[0].states}",
        f"{P}.tools.typed imports {P}.server, but ARCHITECTURE.md says: {RULES[0].states}",
        f"{P}.sandbox.engine.relative imports {P}.sandbox.handlers, but ARCHITECTURE.md says: {RULES[11].states}",
    }


# -- the document covers what exists ------------------------------------------------------


def named_groups() -> list[str]:
    """What ARCHITECTURE.md must name: every package, and every module of the top level,
    `tools/`, `guardrails/` and `sandbox/` (as its file name; packages as `name/`)."""
    wanted: list[str] = []
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE)
        if "__pycache__" in relative.parts or relative.name.startswith("_"):
            continue
        if path.is_dir() and (path / "__init__.py").exists():
            wanted.append(f"{relative.name}/")
        elif path.suffix == ".py" and (
            len(relative.parts) == 1 or relative.parts[:-1] in (("tools",), ("guardrails",), ("sandbox",))
        ):
            wanted.append(relative.name)
    return wanted


def test_the_architecture_document_names_every_module_group() -> None:
    missing = [name for name in named_groups() if not re.search(rf"(?<![\w/]){re.escape(name)}", ARCHITECTURE)]
    assert missing == []


# A backticked path into the package or the repository: a folder (`tools/workflow/`) or a file.
NAMED_PATH = re.compile(r"`((?:tools|guardrails|sandbox|commands|catalog|tests|bench|docs)/[\w./{},-]*(?:/|\.\w+))`")


def test_every_path_the_architecture_document_names_exists() -> None:
    named = NAMED_PATH.findall(ARCHITECTURE)
    assert "tools/operations/{tools,naming}.py" in named and "tests/test_operation_literals.py" in named
    for path in named:
        for expanded in expand_braces(path):
            where = ROOT / expanded if expanded.startswith(("tests/", "bench/", "docs/")) else PACKAGE / expanded
            assert where.exists(), f"ARCHITECTURE.md names {path}, which does not exist"


def expand_braces(path: str) -> list[str]:
    """`tools/operations/{tools,naming}.py` → both paths."""
    match = re.search(r"\{([^}]*)\}", path)
    if match is None:
        return [path.rstrip("/")]
    return [
        expanded
        for choice in match.group(1).split(",")
        for expanded in expand_braces(path[: match.start()] + choice + path[match.end() :])
    ]


def test_nothing_in_the_repository_points_outside_it() -> None:
    """No file refers to the team's reference material by its names (the vendored catalog's
    `generator` member is data, copied byte for byte; PROVENANCE.md says where it came from)."""
    outside = re.compile(r"shared/[\w/.-]+|reference\.md|design\.md")
    skipped = {".venv", "node_modules", ".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
    texts: list[Path] = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in skipped]
        texts += [Path(folder) / name for name in files if name.endswith((".py", ".md", ".toml", ".json", ".yaml"))]
    checked = [path for path in texts if path.name != "operations.json" and path != Path(__file__)]
    assert len(checked) > 100
    assert [str(p.relative_to(ROOT)) for p in checked if outside.search(p.read_text(encoding="utf-8"))] == []
