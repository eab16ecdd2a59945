"""Prompts loaded from `prompts/*.md`: listing, rendering, errors, loader validation, packaging."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from mcp import MCPError
from mcp.client import Client
from mcp.server import MCPServer
from mcp.types import INVALID_PARAMS, TextContent

from polytomic_mcp.prompts import (
    PromptArgumentError,
    PromptFileError,
    UnknownPromptGuard,
    load_prompt_specs,
    prompts_directory,
    register_prompts,
)

REPO = Path(__file__).resolve().parent.parent
MODES = ["auto", "legacy"]

# name -> {argument: required}
EXPECTED: dict[str, dict[str, bool]] = {
    "audit_syncs": {"focus": False},
    "setup_bulk_sync": {"source_connection": True, "destination_connection": True, "schemas": False},
    "setup_gcs_csv_to_salesforce": {
        "csv_key": True,
        "bucket": False,
        "salesforce_object": False,
        "identity_field": False,
    },
    "triage_failing_sync": {"sync": True, "days": False},
}


def make_server(directory: Path | None = None) -> MCPServer:
    server = MCPServer("t")
    register_prompts(server, directory)
    return server


async def render(server: MCPServer, mode: str, name: str, arguments: dict[str, str] | None) -> str:
    async with Client(server, mode=mode) as client:
        result = await client.get_prompt(name, arguments)
    assert len(result.messages) == 1
    message = result.messages[0]
    assert message.role == "user"
    assert isinstance(message.content, TextContent)
    return message.content.text


async def prompt_error(server: MCPServer, mode: str, name: str, arguments: dict[str, str] | None) -> MCPError:
    async with Client(server, mode=mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt(name, arguments)
    return caught.value


# --- the shipped prompts over MCP, in both protocol eras ----------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_prompts_are_listed_with_their_arguments(mode: str) -> None:
    async with Client(make_server(), mode=mode) as client:
        listed = (await client.list_prompts()).prompts

    assert sorted(p.name for p in listed) == sorted(EXPECTED)
    for prompt in listed:
        assert prompt.title and prompt.description
        assert prompt.arguments is not None
        assert {a.name: bool(a.required) for a in prompt.arguments} == EXPECTED[prompt.name]
        for argument in prompt.arguments:
            assert argument.description
            if not argument.required:
                assert "Default: " in argument.description


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_each_prompt_renders_every_argument(mode: str, name: str) -> None:
    arguments = {arg: f"<{arg} value>" for arg in EXPECTED[name]}

    text = await render(make_server(), mode, name, arguments)

    for arg, value in arguments.items():
        assert value in text, f"{arg} not rendered"
        assert "{" + arg + "}" not in text


@pytest.mark.parametrize("mode", MODES)
async def test_optional_arguments_render_their_defaults(mode: str) -> None:
    server = make_server()

    gcs = await render(server, mode, "setup_gcs_csv_to_salesforce", {"csv_key": "exports/contacts.csv"})
    assert "`exports/contacts.csv`" in gcs
    assert "Salesforce object: Contact" in gcs
    assert "the CSV column `email`" in gcs
    assert "Bucket: not given (use the bucket of an existing GCS connection" in gcs

    # A blank optional value counts as absent; values are trimmed.
    triage = await render(server, mode, "triage_failing_sync", {"sync": "  Nightly contacts ", "days": " "})
    assert "the last 7 days" in triage
    assert "`Nightly contacts`" in triage


@pytest.mark.parametrize("mode", MODES)
async def test_workflow_prompts_name_the_server_tools(mode: str) -> None:
    server = make_server()
    gcs = await render(server, mode, "setup_gcs_csv_to_salesforce", {"csv_key": "a.csv"})
    for tool in ("sync_gcs_csv_to_salesforce", "dry_run", "auth_url", "find_resources", "diagnose_sync"):
        assert tool in gcs
    bulk = await render(server, mode, "setup_bulk_sync", {"source_connection": "pg", "destination_connection": "bq"})
    for tool in ("search_operations", "describe_operation", "call_write_operation", "describe_connection"):
        assert tool in bulk


@pytest.mark.parametrize("mode", MODES)
async def test_missing_required_argument_is_a_clear_invalid_params_error(mode: str) -> None:
    server = make_server()

    error = await prompt_error(server, mode, "triage_failing_sync", {"days": "3"})
    assert error.error.code == INVALID_PARAMS
    assert error.error.message == (
        "Prompt 'triage_failing_sync' is missing required argument 'sync': Name or id of the sync."
    )

    # No arguments at all, and blank values, name every missing argument.
    for arguments in (None, {"source_connection": " ", "destination_connection": ""}):
        error = await prompt_error(server, mode, "setup_bulk_sync", arguments)
        assert error.error.code == INVALID_PARAMS
        assert "missing required arguments 'source_connection'" in error.error.message
        assert "'destination_connection'" in error.error.message


@pytest.mark.parametrize("mode", MODES)
async def test_unknown_argument_is_rejected(mode: str) -> None:
    error = await prompt_error(make_server(), mode, "audit_syncs", {"focus": "x", "verbose": "yes"})
    assert error.error.code == INVALID_PARAMS
    assert error.error.message == "Prompt 'audit_syncs' has no argument 'verbose'; it accepts: 'focus'."


@pytest.mark.parametrize("mode", MODES)
async def test_unknown_prompt_is_a_clear_invalid_params_error(mode: str) -> None:
    error = await prompt_error(make_server(), mode, "setup_everything", {})
    assert error.error.code == INVALID_PARAMS
    assert error.error.message.startswith("Unknown prompt 'setup_everything'. Available prompts: ")
    for name in EXPECTED:
        assert name in error.error.message


@pytest.mark.parametrize("mode", MODES)
async def test_guard_leaves_other_prompts_alone(mode: str) -> None:
    server = make_server()

    @server.prompt()
    def hello(who: str) -> str:
        """Say hello."""
        return f"hello {who}"

    register_prompts(server)  # a second call adds no second guard
    assert sum(isinstance(m, UnknownPromptGuard) for m in server.middleware) == 1
    assert await render(server, mode, "hello", {"who": "there"}) == "hello there"


# --- rendering details ----------------------------------------------------------------------


def write(directory: Path, filename: str, text: str) -> Path:
    path = directory / filename
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


GOOD = """
    ---
    name: greet
    title: Greet
    description: Say hello.
    arguments:
      - name: who
        description: Whom to greet.
        required: true
      - name: times
        description: How often.
        default: 2
    ---
    Greet {who} {times} times. Read polytomic://connections/{{connection_id}}/schemas,
    send {"mode": "replicate", "x": {"y": 1}} and keep {{ spaced }} braces.
    """


def test_placeholders_escapes_and_literal_braces(tmp_path: Path) -> None:
    write(tmp_path, "greet.md", GOOD)
    (spec,) = load_prompt_specs(tmp_path)

    assert [(a.name, a.required, a.default) for a in spec.arguments] == [
        ("who", True, None),
        ("times", False, "2"),
    ]
    assert spec.render({"who": "{times}", "times": 3}) == (
        "Greet {times} 3 times. Read polytomic://connections/{connection_id}/schemas,\n"
        'send {"mode": "replicate", "x": {"y": 1}} and keep {{ spaced }} braces.'
    )


def test_non_text_value_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, "greet.md", GOOD)
    (spec,) = load_prompt_specs(tmp_path)
    with pytest.raises(PromptArgumentError, match="argument 'who' must be a string, not list"):
        spec.render({"who": ["a"]})


async def test_register_prompts_from_a_directory(tmp_path: Path) -> None:
    write(tmp_path, "greet.md", GOOD)
    write(tmp_path, "notes.txt", "not a prompt")
    write(tmp_path, ".draft.md", "ignored: hidden")
    server = make_server(tmp_path)
    async with Client(server) as client:
        (listed,) = (await client.list_prompts()).prompts
        assert listed.name == "greet"
        assert [(a.name, a.required, a.description) for a in listed.arguments or []] == [
            ("who", True, "Whom to greet."),
            ("times", False, "How often. Default: 2."),
        ]
        result = await client.get_prompt("greet", {"who": "Ada"})
        assert result.description == "Say hello."


def test_shipped_prompts_come_from_the_checkout_and_are_loaded_once() -> None:
    assert Path(str(prompts_directory())) == REPO / "prompts"
    first, second = load_prompt_specs(), load_prompt_specs()
    assert [s.name for s in first] == sorted(EXPECTED)
    assert all(a is b for a, b in zip(first, second, strict=True))


# --- loader validation ----------------------------------------------------------------------

HEADER = "---\nname: p\ndescription: A prompt.\n"

MALFORMED: dict[str, tuple[str, str]] = {
    "no_front_matter": ("Just text {x}.\n", "must start with YAML front matter"),
    "unclosed": ("---\nname: p\ndescription: d\nText.\n", "front matter is not closed"),
    "bad_yaml": ("---\nname: [p\n---\nText.\n", "front matter is not valid YAML"),
    "not_mapping": ("---\n- a\n- b\n---\nText.\n", "front matter must be a YAML mapping"),
    "missing_name": ("---\ndescription: d\n---\nText.\n", "missing 'name'"),
    "missing_description": ("---\nname: p\n---\nText.\n", "missing 'description'"),
    "bad_name": ("---\nname: Set Up\ndescription: d\n---\nText.\n", "name 'Set Up' must be lower snake_case"),
    "unknown_field": (HEADER + "argument: []\n---\nText.\n", "unknown front-matter field 'argument'"),
    "empty_body": (HEADER + "---\n\n", "the prompt text after the front matter is empty"),
    "undeclared_placeholder": (
        HEADER + "---\n\nFirst line.\nUse {sync_id} here.\n",
        "line 7: placeholder '{sync_id}' has no declared argument",
    ),
    "unused_argument": (
        HEADER + "arguments:\n  - {name: sync, description: Sync., required: true}\n---\nText.\n",
        "argument 'sync' is declared but the text never uses '{sync}'",
    ),
    "optional_without_default": (
        HEADER + "arguments:\n  - {name: days, description: Days.}\n---\n{days}\n",
        "argument 'days': an optional argument needs a 'default'",
    ),
    "required_with_default": (
        HEADER + "arguments:\n  - {name: s, description: S., required: true, default: x}\n---\n{s}\n",
        "argument 's': a required argument cannot have a 'default'",
    ),
    "required_not_bool": (
        HEADER + "arguments:\n  - {name: s, description: S., required: 'yes'}\n---\n{s}\n",
        "argument 's': 'required' must be true or false",
    ),
    "argument_without_description": (
        HEADER + "arguments:\n  - {name: s, required: true}\n---\n{s}\n",
        "argument 's': missing 'description'",
    ),
    "argument_declared_twice": (
        HEADER
        + "arguments:\n  - {name: s, description: S., required: true}\n"
        + "  - {name: s, description: S., required: true}\n---\n{s}\n",
        "argument 's' is declared twice",
    ),
    "arguments_not_a_list": (HEADER + "arguments: {s: 1}\n---\nText.\n", "'arguments' must be a list"),
    "argument_bad_name": (
        HEADER + "arguments:\n  - {name: 'a-b', description: S., required: true}\n---\nText.\n",
        "argument 1: 'name' must be an identifier",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_prompt_file_is_reported_with_file_and_problem(tmp_path: Path, case: str) -> None:
    text, problem = MALFORMED[case]
    (tmp_path / f"{case}.md").write_text(text, encoding="utf-8")

    with pytest.raises(PromptFileError) as caught:
        load_prompt_specs(tmp_path)

    assert any(p.startswith(f"{case}.md: ") and problem in p for p in caught.value.problems), caught.value.problems
    assert f"{case}.md: " in str(caught.value)


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: A\n---\n{x}\n")
    write(tmp_path, "b.md", "no front matter\n")
    write(tmp_path, "c.md", GOOD)

    with pytest.raises(PromptFileError) as caught:
        load_prompt_specs(tmp_path)

    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == ["a.md", "a.md", "a.md", "b.md"]
    assert any("missing 'name'" in p for p in problems)
    assert any("missing 'description'" in p for p in problems)
    assert any("placeholder '{x}'" in p for p in problems)


def test_duplicate_prompt_names_across_files(tmp_path: Path) -> None:
    write(tmp_path, "greet.md", GOOD)
    write(tmp_path, "hello.md", GOOD)

    with pytest.raises(PromptFileError, match=r"hello\.md: duplicate prompt name 'greet' \(also in greet\.md\)"):
        load_prompt_specs(tmp_path)


def test_empty_or_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PromptFileError, match=r"no prompt files \(\*\.md\)"):
        load_prompt_specs(tmp_path)
    with pytest.raises(PromptFileError, match="not a directory"):
        load_prompt_specs(tmp_path / "absent")


def test_register_prompts_refuses_a_bad_directory(tmp_path: Path) -> None:
    write(tmp_path, "bad.md", "---\nname: bad\n---\nText.\n")
    with pytest.raises(PromptFileError, match=r"bad\.md: missing 'description'"):
        register_prompts(MCPServer("t"), tmp_path)


# --- packaging ------------------------------------------------------------------------------

PROBE = (
    "from polytomic_mcp.prompts import load_prompt_specs, prompts_directory;"
    "print(prompts_directory());"
    "print(' '.join(s.name for s in load_prompt_specs()))"
)


def probe(python_path: Path, cwd: Path) -> list[str]:
    """Import the package from `python_path` in a fresh interpreter; report where prompts came from."""
    env = {**os.environ, "PYTHONPATH": str(python_path)}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.slow
def test_wheel_ships_the_prompts_and_finds_them_when_installed(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    built = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, hatchling.build as b; print(b.build_wheel(sys.argv[1]))",
            str(dist),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    wheel = dist / built.stdout.strip().splitlines()[-1]

    shipped = sorted(p.name for p in (REPO / "prompts").glob("*.md"))
    with zipfile.ZipFile(wheel) as archive:
        packaged = sorted(
            n.removeprefix("polytomic_mcp/_prompts/")
            for n in archive.namelist()
            if n.startswith("polytomic_mcp/_prompts/")
        )
        assert packaged == shipped
        for name in shipped:
            assert archive.read(f"polytomic_mcp/_prompts/{name}") == (REPO / "prompts" / name).read_bytes()
        archive.extractall(tmp_path / "site")

    # Installed (unpacked): the prompts come from the package data, not from a checkout.
    where, names = probe(tmp_path / "site", cwd=tmp_path)
    assert Path(where) == tmp_path / "site" / "polytomic_mcp" / "_prompts"
    assert names.split() == sorted(EXPECTED)

    # Imported straight from the zip: works through importlib.resources' Traversable.
    where, names = probe(wheel, cwd=tmp_path)
    assert where.startswith(str(wheel))
    assert names.split() == sorted(EXPECTED)
