"""MCP prompts loaded from Markdown files.

Every ``*.md`` file in the prompts folder is one prompt. The folder is the top-level
``prompts/`` of the repository; the wheel ships it as ``polytomic_mcp/_prompts``
(see ``pyproject.toml``). Files are read and validated once, when first needed: the server
reads the shipped ones on its first prompts request, not at start-up (YAML costs ~20 ms).

File format
-----------
YAML front matter between two ``---`` lines, then the prompt text::

    ---
    name: triage_failing_sync          # required; lower snake_case, unique
    title: Triage a failing sync       # optional; shown by clients
    description: Find out why ...      # required
    arguments:                         # optional list
      - name: sync                     # required; an identifier
        description: Name or id ...    # required
        required: true                 # optional; false when left out
      - name: days
        description: How many days ...
        required: false
        default: "7"                   # required for an optional argument
    ---
    Find out why the sync `{sync}` is failing. Look at the last {days} days.

Placeholders
------------
- ``{name}`` (braces around an identifier) is replaced by the value of argument ``name``.
- ``{{name}}`` renders as the literal text ``{name}``, e.g. for a URI template such as
  ``polytomic://connections/{{connection_id}}/schemas``.
- Any other brace is plain text, so JSON examples need no escaping.
- Substitution is one pass: braces inside a value are inserted as they are.

Every placeholder must name a declared argument and every declared argument must be
used; the loader rejects the file otherwise.

Argument values
---------------
A required argument must be given and not blank. An optional argument that is left
out, or given as a blank string, renders as its ``default`` from the front matter; write
the default so that it reads well in the text (``Contact``, or ``not given (ask me)``).
The listed description of an optional argument ends with its default, since MCP has no
field for it. Values are trimmed. Unknown arguments are rejected.

What a client sees
------------------
A missing required argument, an unknown argument or an unknown prompt is a JSON-RPC
error with code -32602 (invalid params) and a message that names the problem, in both
protocol eras.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from mcp import MCPError
from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.prompts import Prompt
from mcp.server.mcpserver.prompts.base import Message, PromptArgument, UserMessage
from mcp.types import INVALID_PARAMS, InputRequiredResult
from pydantic import PrivateAttr

from polytomic_mcp.errors import SettingsError, UserInputError

__all__ = [
    "PromptArgumentError",
    "PromptArgumentSpec",
    "PromptFileError",
    "PromptSpec",
    "add_prompts",
    "install_prompt_guard",
    "load_prompt_specs",
    "prompts_directory",
    "register_prompts",
]

PromptsLocation = str | os.PathLike[str] | Traversable
"""A prompts folder: a path, or a `Traversable` such as `importlib.resources.files(...)`."""

PACKAGED_DIR = "_prompts"
"""Where the wheel puts the prompt files, inside the ``polytomic_mcp`` package."""

_PLACEHOLDER = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PROMPT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_ARGUMENT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_PROMPT_KEYS = frozenset({"name", "title", "description", "arguments"})
_ARGUMENT_KEYS = frozenset({"name", "description", "required", "default"})


class PromptFileError(SettingsError):
    """One or more prompt files are malformed. The message names each file and problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("invalid prompt files:\n" + "\n".join(f"  - {p}" for p in self.problems))


class PromptArgumentError(UserInputError, ValueError):
    """Arguments that do not fit a prompt: a required one missing, an unknown one, a bad value."""


@dataclass(frozen=True, slots=True)
class PromptArgumentSpec:
    """One declared argument of a prompt."""

    name: str
    description: str
    required: bool
    default: str | None
    """The text rendered when an optional argument is absent; ``None`` for required ones."""

    @property
    def listed_description(self) -> str:
        """The description clients see in prompts/list (an optional one states its default)."""
        if self.required or self.default is None:
            return self.description
        return f"{self.description} Default: {self.default}."


@dataclass(frozen=True, slots=True)
class PromptSpec:
    """A validated prompt file."""

    name: str
    title: str | None
    description: str
    arguments: tuple[PromptArgumentSpec, ...]
    body: str
    source: str
    """The file the prompt came from, for error messages."""

    def argument(self, name: str) -> PromptArgumentSpec | None:
        return next((a for a in self.arguments if a.name == name), None)

    def render(self, arguments: Mapping[str, object] | None = None) -> str:
        """The prompt text with every placeholder replaced.

        Raises:
            PromptArgumentError: a required argument is missing or blank, an argument is
                not declared, or a value is not text.
        """
        given = dict(arguments or {})
        declared = [a.name for a in self.arguments]
        unknown = sorted(set(given) - set(declared))
        if unknown:
            accepted = ", ".join(f"'{n}'" for n in declared) or "none"
            raise PromptArgumentError(
                f"Prompt '{self.name}' has no argument {_names(unknown)}; it accepts: {accepted}."
            )

        values: dict[str, str] = {}
        missing: list[PromptArgumentSpec] = []
        for arg in self.arguments:
            value = _as_text(self.name, arg.name, given.get(arg.name))
            if value:
                values[arg.name] = value
            elif arg.required:
                missing.append(arg)
            else:
                values[arg.name] = arg.default or ""
        if missing:
            details = "; ".join(f"'{a.name}': {a.description}" for a in missing)
            plural = "s" if len(missing) > 1 else ""
            raise PromptArgumentError(f"Prompt '{self.name}' is missing required argument{plural} {details}")

        def substitute(match: re.Match[str]) -> str:
            literal, name = match.group(1), match.group(2)
            return "{" + literal + "}" if literal is not None else values[name]

        return _PLACEHOLDER.sub(substitute, self.body)

    def __call__(self, **arguments: object) -> str:
        return self.render(arguments)


def _names(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _as_text(prompt: str, name: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise PromptArgumentError(f"Prompt '{prompt}': argument '{name}' must be a string, not {type(value).__name__}.")


# --- locating the files ---------------------------------------------------------------------


def prompts_directory() -> Traversable:
    """The folder holding the prompt files.

    In an installed wheel it is the package data ``polytomic_mcp/_prompts``; in the source
    checkout and in an editable install it is the repository's top-level ``prompts/``.
    """
    packaged = importlib.resources.files("polytomic_mcp") / PACKAGED_DIR
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "prompts"
    if checkout.is_dir():
        return checkout
    raise PromptFileError(
        [f"no prompts folder: neither the package data {packaged} nor the checkout folder {checkout} exists"]
    )


# --- loading and validation -----------------------------------------------------------------


def load_prompt_specs(directory: PromptsLocation | None = None) -> list[PromptSpec]:
    """Read and validate every ``*.md`` file in ``directory`` (default: the shipped prompts).

    The shipped prompts are read once per process; an explicit directory is read on every
    call. Prompts come back sorted by file name.

    Raises:
        PromptFileError: naming every file that is malformed and what is wrong with it.
    """
    if directory is None:
        return list(_shipped_specs())
    return list(_load(Path(directory) if isinstance(directory, str | os.PathLike) else directory))


@functools.cache
def _shipped_specs() -> tuple[PromptSpec, ...]:
    return _load(prompts_directory())


def _load(directory: Traversable) -> tuple[PromptSpec, ...]:
    if not directory.is_dir():
        raise PromptFileError([f"{directory}: not a directory"])
    files = sorted(
        (f for f in directory.iterdir() if f.name.endswith(".md") and not f.name.startswith(".")),
        key=lambda f: f.name,
    )
    if not files:
        raise PromptFileError([f"{directory}: no prompt files (*.md)"])

    problems: list[str] = []
    specs: list[PromptSpec] = []
    first_seen: dict[str, str] = {}
    for file in files:
        try:
            spec = _parse(file.name, file.read_text(encoding="utf-8"))
        except PromptFileError as exc:
            problems.extend(exc.problems)
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{file.name}: cannot read the file ({exc})")
            continue
        if spec.name in first_seen:
            problems.append(f"{file.name}: duplicate prompt name '{spec.name}' (also in {first_seen[spec.name]})")
            continue
        first_seen[spec.name] = file.name
        specs.append(spec)
    if problems:
        raise PromptFileError(problems)
    return tuple(specs)


def _parse(source: str, text: str) -> PromptSpec:
    """Parse one prompt file; ``source`` names it in error messages."""
    problems: list[str] = []

    def fail(problem: str) -> PromptFileError:
        return PromptFileError([f"{source}: {problem}"])

    lines = text.removeprefix("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise fail("must start with YAML front matter: a line '---', the fields, then another '---'")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise fail("the front matter is not closed by a line '---'")
    import yaml  # only when a prompt file is read (see the module docstring)

    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise fail(f"the front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise fail("the front matter must be a YAML mapping (name, description, ...)")
    body = "\n".join(lines[end + 1 :]).strip()
    # 1-based line number in the file of the body's first line (the line after '---',
    # plus any blank lines that strip() removed).
    first_body_line = end + 2 + next((i for i, ln in enumerate(lines[end + 1 :]) if ln.strip()), 0)

    for key in sorted(set(map(str, meta)) - _PROMPT_KEYS):
        problems.append(f"unknown front-matter field '{key}' (allowed: {', '.join(sorted(_PROMPT_KEYS))})")

    name = meta.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("missing 'name'")
        name = ""
    elif not _PROMPT_NAME.match(name):
        problems.append(f"name '{name}' must be lower snake_case (a-z, 0-9, _), starting with a letter")

    title = meta.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        problems.append("'title' must be non-empty text when given")
        title = None

    description = meta.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append("missing 'description'")
        description = ""

    arguments = _parse_arguments(meta.get("arguments"), problems)

    if not body:
        problems.append("the prompt text after the front matter is empty")
    used: dict[str, int] = {}
    for match in _PLACEHOLDER.finditer(body):
        if match.group(2) is not None:
            used.setdefault(match.group(2), first_body_line + body.count("\n", 0, match.start()))
    declared = {a.name for a in arguments}
    for placeholder, line in used.items():
        if placeholder not in declared:
            problems.append(
                f"line {line}: placeholder '{{{placeholder}}}' has no declared argument "
                f"(declare it under 'arguments', or write '{{{{{placeholder}}}}}' for literal braces)"
            )
    for arg in arguments:
        if arg.name not in used:
            problems.append(f"argument '{arg.name}' is declared but the text never uses '{{{arg.name}}}'")

    if problems:
        raise PromptFileError(f"{source}: {p}" for p in problems)
    return PromptSpec(
        name=name,
        title=title.strip() if isinstance(title, str) else None,
        description=" ".join(description.split()),
        arguments=tuple(arguments),
        body=body,
        source=source,
    )


def _parse_arguments(raw: object, problems: list[str]) -> list[PromptArgumentSpec]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append("'arguments' must be a list of {name, description, required, default}")
        return []
    arguments: list[PromptArgumentSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(raw, start=1):
        where = f"argument {index}"
        if not isinstance(item, dict):
            problems.append(f"{where} must be a mapping with name, description, required, default")
            continue
        name = item.get("name")
        if not isinstance(name, str) or not _ARGUMENT_NAME.match(name):
            problems.append(f"{where}: 'name' must be an identifier (letters, digits, _), got {name!r}")
            continue
        where = f"argument '{name}'"
        if name in seen:
            problems.append(f"{where} is declared twice")
            continue
        seen.add(name)
        for key in sorted(set(map(str, item)) - _ARGUMENT_KEYS):
            problems.append(f"{where}: unknown field '{key}' (allowed: {', '.join(sorted(_ARGUMENT_KEYS))})")
        description = item.get("description")
        if not isinstance(description, str) or not description.strip():
            problems.append(f"{where}: missing 'description'")
            description = ""
        required = item.get("required", False)
        if not isinstance(required, bool):
            problems.append(f"{where}: 'required' must be true or false, got {required!r}")
            required = False
        default = item.get("default")
        if required and default is not None:
            problems.append(f"{where}: a required argument cannot have a 'default'")
        if not required:
            if default is None:
                problems.append(f"{where}: an optional argument needs a 'default' (the text rendered when absent)")
            elif isinstance(default, bool) or not isinstance(default, str | int | float):
                problems.append(f"{where}: 'default' must be text, got {default!r}")
                default = None
            elif not str(default).strip():
                problems.append(f"{where}: 'default' must not be blank")
                default = None
            else:
                default = str(default).strip()
        arguments.append(
            PromptArgumentSpec(
                name=name,
                description=" ".join(description.split()),
                required=required,
                default=None if required else default,
            )
        )
    return arguments


# --- MCP registration -----------------------------------------------------------------------


class MarkdownPrompt(Prompt):
    """An MCP prompt backed by a prompt file: explicit arguments, rendered by substitution."""

    _spec: PromptSpec = PrivateAttr()

    @classmethod
    def from_spec(cls, spec: PromptSpec) -> MarkdownPrompt:
        prompt = cls(
            name=spec.name,
            title=spec.title,
            description=spec.description,
            arguments=[
                PromptArgument(name=a.name, description=a.listed_description, required=a.required)
                for a in spec.arguments
            ],
            fn=spec,
            context_kwarg=None,
        )
        prompt._spec = spec
        return prompt

    @property
    def spec(self) -> PromptSpec:
        return self._spec

    async def render(
        self, arguments: dict[str, Any] | None, context: Context[Any, Any]
    ) -> list[Message] | InputRequiredResult:
        # Argument problems are the caller's mistake: report them as invalid params with a
        # readable message. (The SDK's own check raises ValueError, which a 2026-era client
        # only sees as "Internal server error".)
        try:
            text = self._spec.render(arguments)
        except PromptArgumentError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from exc
        return [UserMessage(text)]


class UnknownPromptGuard:
    """Server middleware: ``prompts/get`` for a prompt that does not exist is invalid params.

    Without it the SDK raises ValueError, which a 2026-era client sees only as
    "Internal server error" (-32603) and a handshake-era client as error code 0.
    """

    def __init__(self, server: MCPServer) -> None:
        self._server = server

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "prompts/get" and isinstance(ctx.params, Mapping):
            name = ctx.params.get("name")
            if isinstance(name, str):
                known = [p.name for p in await self._server.list_prompts()]
                if name not in known:
                    shown = name if len(name) <= 80 else name[:77] + "..."
                    raise MCPError(
                        INVALID_PARAMS,
                        f"Unknown prompt '{shown}'. Available prompts: {', '.join(known) or 'none'}.",
                    )
        return await call_next(ctx)


def register_prompts(server: MCPServer, directory: PromptsLocation | None = None) -> None:
    """Register every prompt file as an MCP prompt on ``server``.

    Also installs `UnknownPromptGuard` (once per server) so that asking for a prompt that
    does not exist gives a readable invalid-params error.

    Raises:
        PromptFileError: a prompt file is malformed.
    """
    add_prompts(server, load_prompt_specs(directory))
    install_prompt_guard(server)


def add_prompts(server: MCPServer, specs: Iterable[PromptSpec]) -> None:
    """Add each prompt to ``server`` (without the guard: see `install_prompt_guard`)."""
    for spec in specs:
        server.add_prompt(MarkdownPrompt.from_spec(spec))


def install_prompt_guard(server: MCPServer) -> None:
    """Install `UnknownPromptGuard` on ``server``, once however often it is called."""
    if not any(isinstance(m, UnknownPromptGuard) for m in server.middleware):
        server.middleware.append(UnknownPromptGuard(server))
