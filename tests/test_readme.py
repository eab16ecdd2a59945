"""The README stays true: its two commands, and every setting documented."""

from __future__ import annotations

import subprocess
from pathlib import Path

from polytomic_mcp.settings import Settings

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_after(marker: str) -> str:
    lines = README.splitlines()
    index = lines.index(marker)
    assert lines[index + 1].startswith("```"), f"a code block must follow {marker}"
    return lines[index + 2]


def test_the_two_set_up_and_go_commands_are_at_the_top() -> None:
    main = command_after("<!-- main-command -->")
    tests = command_after("<!-- test-command -->")
    assert main.endswith("polytomic-mcp demo") and "pip install" in main
    assert "pytest" in tests and "npm ci" in tests
    assert README.index("<!-- main-command -->") < README.index("## What the agent gets")


def test_ci_runs_the_readme_test_command() -> None:
    extracted = subprocess.run(
        ["sed", "-n", "/<!-- test-command -->/{n;n;p;q}", "README.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert extracted == command_after("<!-- test-command -->")
    assert "<!-- test-command -->" in (ROOT / ".ci" / "run").read_text()


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`POLYTOMIC_{name.upper()}`" in README, name
        if name != "api_key":
            assert f"`--{name.replace('_', '-')}`" in README, name
