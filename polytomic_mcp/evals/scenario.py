"""The scenario format (YAML) and its loader.

A scenario is one evaluation episode as data: the world the sandbox starts from, what the user
asks, optionally a scripted transcript of tool calls (the stand-in for an agent), how the user
answers the server's questions, and the assertions on the state left behind::

    name: seed-workflow
    request: Sync the contacts in high_paying_users.csv on GCS into Salesforce, matched on email.
    start_from: default            # the packaged seed world first (or: empty)
    seed: {buckets: [...], salesforce: [...], connections: [...], models: [...], syncs: [...]}
    server: {toolsets: default}    # server settings for this scenario (flags without --)
    user: {confirm: decline, authorize_oauth: true}
    transcript:
      - call: sync_gcs_csv_to_salesforce
        arguments: {csv_key: high_paying_users.csv, bucket: sandbox-exports, ...}
        expect: ok                 # ok | error | any
        save: {sync: sync_id}      # later strings may say ${saved.sync}; ${seed.syncs.NAME} too
      - approve_oauth: true        # the user authorizes pending OAuth connections
    assert:
      records: [...]               # Salesforce records: a CSV or a table they must match, a count
      objects: [...]               # API objects that must (or must not) exist
      executions: [...]            # executions of a sync: how many, in which status
      requests: {forbid: [...]}    # operations that must never have been sent
      results: {fenced: [...]}     # text that may appear in results only inside untrusted-data fences
      limits: {tool_calls: 12, result_tokens: 20000}

Loading checks every member: an error names the file and the member (``transcript[2].expect``)
and says what was expected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from polytomic_mcp.settings import Settings

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Server settings a scenario may set; the runner owns the backend, the key and determinism.
RUNNER_SETTINGS = frozenset({"api_key", "base_url", "sandbox", "deterministic"})


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the member."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CallStep(Strict):
    """Call one tool; `save` keeps members of its structured result for later steps."""

    call: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)
    expect: Literal["ok", "error", "any"] = "ok"
    contains: list[str] = Field(default_factory=list, description="text the result must contain")
    save: dict[str, str] = Field(default_factory=dict, description="name → dotted path in the structured result")


class ApproveStep(Strict):
    """The user authorizes pending OAuth connections (all, or the one named)."""

    approve_oauth: bool | str


class AdvanceStep(Strict):
    """Simulated time passes for this tenant (step clock)."""

    advance_clock: float = Field(ge=0)


Step = CallStep | ApproveStep | AdvanceStep


class UserModel(Strict):
    """How the simulated user answers the server: confirmations of destructive calls, OAuth links."""

    confirm: Literal["accept", "decline"] = "decline"
    authorize_oauth: bool = True


class CsvSource(Strict):
    bucket: str
    key: str


class RecordsCheck(Strict):
    """Records of a Salesforce object: matching a CSV from the tenant's buckets or a table, and/or a count."""

    object: str
    domain: str = "acme.my.salesforce.com"
    match_csv: CsvSource | None = None
    key_column: str | None = Field(default=None, description="CSV column (or table field) rows are matched on")
    key_field: str | None = Field(default=None, description="Salesforce field it is matched with")
    columns: dict[str, str] = Field(default_factory=dict, description="CSV column → Salesforce field to compare")
    ignore_keys: list[str] = Field(default_factory=list, description="CSV keys whose rows are expected to fail")
    rows: list[dict[str, Any]] = Field(default_factory=list, description="records that must exist (a table)")
    absent: list[dict[str, Any]] = Field(default_factory=list, description="records that must not exist")
    count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _csv_needs_keys(self) -> RecordsCheck:
        if self.match_csv is not None and not (self.key_column and self.key_field and self.columns):
            raise ValueError("match_csv needs key_column, key_field and columns")
        if self.match_csv is None and not self.rows and not self.absent and self.count is None:
            raise ValueError("say what to check: match_csv, rows, absent or count")
        return self


ObjectKind = Literal["connections", "models", "syncs", "bulk_syncs"]


class ObjectCheck(Strict):
    """API objects of one kind whose members equal `where` (dotted names reach nested members,
    `type.id: gcs`): exactly `count`, or at least one (`exists`)."""

    kind: ObjectKind
    where: dict[str, Any] = Field(default_factory=dict)
    exists: bool | None = None
    count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_expectation(self) -> ObjectCheck:
        if (self.exists is None) == (self.count is None):
            raise ValueError("give exactly one of exists and count")
        return self


class ExecutionCheck(Strict):
    """Executions of the sync named `sync` (a model sync, or a bulk sync with `kind: bulk_syncs`):
    how many, optionally only in one status."""

    sync: str
    kind: Literal["syncs", "bulk_syncs"] = "syncs"
    count: int = Field(ge=0)
    status: str | None = None


class RequestsCheck(Strict):
    forbid: list[str] = Field(default_factory=list, description="catalog operations that must never be sent")


class ResultsCheck(Strict):
    fenced: list[str] = Field(default_factory=list, description="text allowed in results only inside data fences")
    absent: list[str] = Field(default_factory=list, description="text no result may contain")


class Limits(Strict):
    tool_calls: int | None = Field(default=None, ge=0)
    result_tokens: int | None = Field(default=None, ge=0)


class Assertions(Strict):
    records: list[RecordsCheck] = Field(default_factory=list)
    objects: list[ObjectCheck] = Field(default_factory=list)
    executions: list[ExecutionCheck] = Field(default_factory=list)
    requests: RequestsCheck = Field(default_factory=RequestsCheck)
    results: ResultsCheck = Field(default_factory=ResultsCheck)
    limits: Limits = Field(default_factory=Limits)


class Scenario(Strict):
    name: Annotated[str, Field(pattern=NAME.pattern)]
    description: str = ""
    request: str = Field(min_length=1, description="what the user asks the agent")
    start_from: Literal["default", "empty"] = "default"
    seed: dict[str, Any] = Field(default_factory=dict)
    server: dict[str, str | int | float | bool] = Field(default_factory=dict)
    user: UserModel = Field(default_factory=UserModel)
    transcript: list[Step] = Field(default_factory=list)
    assertions: Assertions = Field(alias="assert")

    @field_validator("server")
    @classmethod
    def _known_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        allowed = sorted(set(Settings.model_fields) - RUNNER_SETTINGS)
        for name in value:
            if name not in allowed:
                raise ValueError(f"unknown server setting {name!r}; expected one of {', '.join(allowed)}")
        return value

    @property
    def tenant_key(self) -> str:
        """The sandbox tenant the scenario runs in: the same for every run, so answers repeat."""
        return f"eval-{self.name}"


def _where(location: tuple[int | str, ...], document: Any) -> str:
    """`transcript[2].expect` from pydantic's location, with the step's union member dropped."""
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("CallStep", "ApproveStep", "AdvanceStep"):
            continue
        else:
            out += ("." if out else "") + ("assert" if part == "assert" else part)
    return out or "(top level)"


def parse_scenario(document: Any, origin: str) -> Scenario:
    if not isinstance(document, dict):
        raise ScenarioError(f"{origin}: a scenario is a mapping with name, request and assert")
    try:
        return Scenario.model_validate(document)
    except ValidationError as invalid:
        problems = []
        for error in invalid.errors()[:5]:
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{_where(tuple(error['loc']), document)}: {message}")
        raise ScenarioError(f"{origin}: " + "; ".join(problems)) from None


def load_scenario(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as unreadable:
        raise ScenarioError(f"{path}: cannot be read ({unreadable.strerror})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as bad:
        mark = getattr(bad, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError(f"{path}: not YAML{where}") from None
    return parse_scenario(document, str(path))


def load_scenarios(target: Path) -> list[Scenario]:
    """One file, or every `*.yaml` / `*.yml` in a folder (sorted by name); names must be unique."""
    if target.is_dir():
        paths = sorted(p for p in target.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not paths:
            raise ScenarioError(f"{target}: no *.yaml scenario files in this folder")
    elif target.is_file():
        paths = [target]
    else:
        raise ScenarioError(f"{target}: no such file or folder")
    scenarios = [load_scenario(p) for p in paths]
    seen: dict[str, Path] = {}
    for path, scenario in zip(paths, scenarios, strict=True):
        if scenario.name in seen:
            raise ScenarioError(f"{path}: name {scenario.name!r} is already used by {seen[scenario.name]}")
        seen[scenario.name] = path
    return scenarios
