"""Operation names written in the code exist in the catalog.

Hand-written tools, resources, completions and the sandbox name operations as string
literals (`api.data("connections_list")`, `@handles("model_sync_create")`). A typo there
would only fail when that line runs; this test reads the source and checks every one.
"""

from __future__ import annotations

import ast
from pathlib import Path

from polytomic_mcp.catalog import load_catalog
from polytomic_mcp.tools.operations.tools import operation_tools
from polytomic_mcp.tools.toolsets import DEFAULT_OPERATIONS
from polytomic_mcp.tools.workflow.finding import LISTINGS

PACKAGE = Path(__file__).parent.parent / "polytomic_mcp"
API_METHODS = frozenset({"data", "envelope", "all_pages"})


def operation_literals() -> list[tuple[str, int, str]]:
    """(file, line, name) for every literal operation name passed to the Api or to @handles."""
    found: list[tuple[str, int, str]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in API_METHODS:
                arguments = node.args[:1]
            elif isinstance(func, ast.Name) and func.id == "handles":
                arguments = node.args
            else:
                continue
            for argument in arguments:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    found.append((str(path.relative_to(PACKAGE)), node.lineno, argument.value))
    return found


def test_every_operation_named_in_the_code_exists() -> None:
    catalog_names = {op.name for op in load_catalog().operations}
    tool_names = set(operation_tools().names())
    literals = operation_literals()
    unknown = [(file, line, name) for file, line, name in literals if name not in catalog_names | tool_names]
    assert unknown == []
    # The scan really finds them: the workflows, resources and sandbox handlers name dozens.
    assert len(literals) > 60
    assert {"model_sync_create", "connections_list", "schemas_get_status"} <= {name for _, _, name in literals}


def test_operation_tables_name_catalog_operations() -> None:
    catalog_names = {op.name for op in load_catalog().operations}
    assert set(DEFAULT_OPERATIONS) <= catalog_names
    assert {operation for operation, _, _ in LISTINGS.values()} <= catalog_names
