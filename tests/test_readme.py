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


DOCS = sorted((ROOT / "docs").glob("*.md"))


def test_the_readme_is_for_users_first_and_links_the_rest() -> None:
    headings = [line for line in README.splitlines() if line.startswith("## ")]
    assert headings[:3] == ["## Set up and go", "## Install", "## Connect a client"]
    assert "Python 3.11" in README.split("<!-- main-command -->")[0], "prerequisites come before the commands"
    for doc in ("docs/tools.md", "docs/safety.md", "docs/reliability.md", "docs/sandbox.md", "docs/development.md"):
        assert f"]({doc})" in README, doc
    assert len(README.splitlines()) < 300, "sandbox internals and the development guide live in docs/"


def test_every_repository_path_named_in_the_docs_exists() -> None:
    import re

    for document in [ROOT / "README.md", *DOCS]:
        text = document.read_text(encoding="utf-8")
        for path in re.findall(r"`([A-Za-z_][\w.-]*/[\w./-]*)`", text):
            if path.startswith(("polytomic_mcp/", "tests/", "bench/", "prompts/", "docs/", ".ci/")):
                assert (ROOT / path.rstrip("/")).exists(), f"{document.name} names {path}, which does not exist"
        for link in re.findall(r"\]\(((?:\.\./)?[\w./-]+\.md)(?:#[\w-]+)?\)", text):
            assert (document.parent / link).resolve().exists(), f"{document.name} links {link}"
        assert "shared/" not in text.replace("polytomic_mcp/", ""), f"{document.name} names the shared folder"
