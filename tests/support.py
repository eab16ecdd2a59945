"""Helpers shared by several test modules (not fixtures: plain functions)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from mcp.types import Tool

TESTS = Path(__file__).parent
SNAPSHOTS = TESTS / "snapshots"
VENDOR = TESTS / "vendor"
# A word shaped like a tool name (snake_case, at least one underscore): where prose may name a tool.
TOOL_NAME_SHAPE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


@cache
def every_tool_name() -> frozenset[str]:
    """Every tool the server has, operation and hand-written, listed or not."""
    from polytomic_mcp.tools.inventory import HAND_WRITTEN_TOOLS
    from polytomic_mcp.tools.operations.tools import operation_tools

    return frozenset({tool.name for tool in operation_tools()} | {tool.name for tool in HAND_WRITTEN_TOOLS})


def tool_wire(tool: Tool) -> dict[str, Any]:
    return tool.model_dump(by_alias=True, exclude_none=True, mode="json")


def check_snapshot(name: str, value: Any) -> None:
    """Compare with tests/snapshots/<name>; UPDATE_SNAPSHOTS=1 rewrites it (then review the diff)."""
    path = SNAPSHOTS / name
    text = json.dumps(value, indent=1, ensure_ascii=False, sort_keys=False) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"missing snapshot {path.name}; run with UPDATE_SNAPSHOTS=1 and review it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{path.name} changed: what the model sees is different. If intended, run with "
        "UPDATE_SNAPSHOTS=1 and commit the reviewed diff."
    )


def run_check_tools_list(payload: dict[str, Any], tmp_path: Path, *extra: str) -> tuple[int, str]:
    """Run the vendored check_tools_list.py on a ListToolsResult; (exit code, report text)."""
    source = tmp_path / "tools_list.json"
    source.write_text(json.dumps(payload), encoding="utf-8")
    completed = subprocess.run(
        [
            sys.executable,
            str(VENDOR / "check_tools_list.py"),
            str(source),
            "--schema-dir",
            str(VENDOR / "mcp-spec"),
            "--server-name",
            "polytomic",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return completed.returncode, completed.stdout + completed.stderr


def assert_rendered(result: Any) -> None:
    """The text block is the fenced rendering of the structured payload (not a second JSON copy).

    Every top-level member of the payload is named in the text, the data sits inside an
    `<untrusted-data-…>` fence, and the server's own guidance (`next`, `next_steps`, `reason`,
    `note`, `cut`) comes after it.
    """
    text = "".join(getattr(block, "text", "") for block in result.content)
    payload = result.structured_content
    assert isinstance(payload, dict)
    assert text.startswith("<untrusted-data-"), text[:80]
    tag = text.split(">", 1)[0][1:]
    assert f"</{tag}>" in text
    fenced, _, after = text.partition(f"</{tag}>")
    for key in payload:
        if key in ("next", "next_steps", "reason", "note", "cut"):
            assert f"\n{key}:" in after, key
        elif len(json.dumps(payload)) > 1200:  # rendered as lines: members are named
            assert key in fenced, key


async def set_faults(base_url: str, key: str, **faults: Any) -> None:
    """Set (or, with none given, clear) a sandbox tenant's injected faults."""
    async with httpx.AsyncClient() as admin:
        response = await admin.put(
            f"{base_url}/sandbox/faults", json=faults, headers={"Authorization": f"Bearer {key}"}
        )
        response.raise_for_status()
