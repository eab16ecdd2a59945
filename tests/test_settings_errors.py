"""Every invalid setting says which flag and variable, what was expected and what was got; the
start-up edges (seed and db files, a busy port, the tool cap, `| head`) say so in one line."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from polytomic_mcp.cli import main
from polytomic_mcp.settings import Settings

SERVER = [sys.executable, "-m", "polytomic_mcp"]

# One invalid value per setting, and a few words of what the message must say is expected.
INVALID: dict[str, tuple[str, str]] = {
    "base_url": ("ftp://polytomic.example.com", "http:// or https:// URL"),
    "api_version": ("2025-9", "YYYY-MM-DD"),
    "access_mode": ("admin", "read-only, read-write or full-access"),
    "deny": ("model_sync_delete,nope", "operation tool names"),
    "confirm_destructive": ("sometimes", "always or never"),
    "confirm_timeout": ("0", "number of seconds greater than 0"),
    "safe_mode": ("strict", "off or session"),
    "audit_log": ("/dev/null/audit.jsonl", "a file to append to"),
    "toolsets": ("default,nope", "comma list of connections"),
    "auth_mode": ("basic", "bearer or partner"),
    "partner_org_id": ("", "organization id"),  # checked at start: partner auth with no organization
    "sandbox": ("maybe", "true or false"),
    "deterministic": ("maybe", "true or false"),
    "timeout": ("soon", "number of seconds greater than 0"),
    "max_retries": ("11", "whole number from 0 to 10"),
    "retry_budget": ("0", "number of seconds greater than 0"),
    "max_wait": ("-5", "number of seconds greater than 0"),
    "max_tools": ("-1", "0 or more"),
    "poll_interval": ("0", "number of seconds greater than 0"),
    "result_tokens": ("100", "500 or more"),
    "client_profile": ("cursor", "auto, standard, inline or gemini"),
    "allowed_hosts": ("https://mcp.example.com", "host names"),
    "allowed_origins": ("app.example.com", "origins scheme://host"),
    "sandbox_clock": ("fast", "real or step"),
    "sandbox_seed": ("/no/such/seed.yaml", "readable JSON or YAML seed file"),
    "sandbox_db": ("/no/such/folder/state.db", "SQLite file"),
    "log_level": ("LOUD", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
}
SWITCHES = ("sandbox", "deterministic")  # flags without a value
NOT_VALIDATED = {"api_key"}  # any text is a key; it is never echoed


def flag(field: str) -> str:
    return "--" + field.replace("_", "-")


def env(field: str) -> str:
    return "POLYTOMIC_" + field.upper()


def argv_for(field: str, value: str, via_flag: bool) -> list[str]:
    """A command that reaches the setting's check (serve for start-up checks, tools otherwise)."""
    extra = [flag(field), value] if via_flag else []
    if field == "partner_org_id":
        return ["serve", "--auth-mode", "partner"]
    if field in ("sandbox_seed", "sandbox_db"):
        return ["serve", "--sandbox", *extra]
    if field in SWITCHES and via_flag:
        return ["tools", "--sandbox-clock", "nope"]  # a switch: its value comes from the env
    return ["tools", *extra]


def test_every_setting_has_an_invalid_value_under_test() -> None:
    assert set(INVALID) | NOT_VALIDATED == set(Settings.model_fields)


@pytest.mark.parametrize("field", sorted(INVALID))
@pytest.mark.parametrize("via_flag", [True, False], ids=["flag", "env"])
def test_an_invalid_setting_names_flag_variable_expected_and_got(
    field: str, via_flag: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(env(name), raising=False)
    value, expected = INVALID[field]
    if field == "partner_org_id":
        monkeypatch.setenv("POLYTOMIC_API_KEY", "partner-key")
    elif field in SWITCHES and via_flag:
        field, value, expected = "sandbox_clock", "nope", "real or step"
    elif not via_flag:
        monkeypatch.setenv(env(field), value)
        if field in ("sandbox_seed", "sandbox_db"):
            monkeypatch.setenv("POLYTOMIC_SANDBOX", "true")
    code = main(argv_for(field, value, via_flag))
    message = capsys.readouterr().err.strip()
    assert code == 2
    assert len(message.splitlines()) == 1, message
    assert f"{flag(field)} / {env(field)}" in message
    assert expected in message
    assert (f"got {value!r}" if value else "got nothing") in message
    for internal in ("pydantic", "errors.pydantic.dev", "input_value", "type=", "validation error"):
        assert internal not in message
    if field not in ("sandbox_seed", "sandbox_db", "partner_org_id"):
        assert f"(from {flag(field) if via_flag else env(field)})" in message


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYTOMIC_ACCESS_MODE", "")
    monkeypatch.setenv("POLYTOMIC_TIMEOUT", "")
    settings = Settings()
    assert settings.access_mode is None and settings.timeout == 30.0


def test_the_api_key_is_never_echoed_in_a_settings_error(capsys: pytest.CaptureFixture[str]) -> None:
    from pydantic import ValidationError

    from polytomic_mcp.settings import settings_error

    with pytest.raises(ValidationError) as invalid:
        Settings(api_key=12345, timeout="x")  # type: ignore[arg-type]
    text = str(settings_error(invalid.value))
    assert "12345" not in text and "--timeout / POLYTOMIC_TIMEOUT" in text


# -- seed and db files ------------------------------------------------------------------------


def broken_files(tmp_path: Path) -> dict[str, tuple[str, str, str]]:
    """name → (flag, path, what the one line must say)."""
    not_yaml = tmp_path / "not-yaml.yaml"
    not_yaml.write_text("buckets: [unclosed\n", encoding="utf-8")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("warehouses: []\n", encoding="utf-8")
    missing_csv = tmp_path / "missing-csv.yaml"
    missing_csv.write_text("buckets:\n  - name: b\n    files: [{key: a.csv, path: gone.csv}]\n", encoding="utf-8")
    garbage_db = tmp_path / "garbage.db"
    garbage_db.write_bytes(b"this is not a database" * 100)
    return {
        "seed missing": ("--sandbox-seed", str(tmp_path / "nope.yaml"), "no such file"),
        "seed not YAML": ("--sandbox-seed", str(not_yaml), "neither JSON nor YAML"),
        "seed unknown section": ("--sandbox-seed", str(unknown), "unknown seed section 'warehouses'"),
        "seed names a missing file": ("--sandbox-seed", str(missing_csv), "'gone.csv' cannot be read"),
        "db not SQLite": ("--sandbox-db", str(garbage_db), "not a SQLite database"),
        "db is a folder": ("--sandbox-db", str(tmp_path), "a folder, not a file"),
        "db folder missing": ("--sandbox-db", str(tmp_path / "gone" / "state.db"), "does not exist"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "seed missing",
        "seed not YAML",
        "seed unknown section",
        "seed names a missing file",
        "db not SQLite",
        "db is a folder",
        "db folder missing",
    ],
)
def test_a_missing_or_broken_seed_or_db_fails_at_start_in_one_line(case: str, tmp_path: Path) -> None:
    option, path, says = broken_files(tmp_path)[case]
    for command in (["serve", "--sandbox", option, path], ["sandbox", option.replace("--sandbox-", "--"), path]):
        completed = subprocess.run(
            [*SERVER, *command], capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL
        )
        lines = completed.stderr.strip().splitlines()
        assert completed.returncode == 2, completed.stderr
        assert len(lines) == 1 and says in lines[0] and "Traceback" not in completed.stderr, completed.stderr
        assert "backend=" not in completed.stderr  # nothing started


def test_a_good_db_file_still_opens(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    sqlite3.connect(db).close()  # an empty SQLite file is a valid start
    completed = subprocess.run(
        [*SERVER, "--sandbox", "--sandbox-db", str(db)], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "backend=sandbox at http://127.0.0.1:" in completed.stderr


# -- a busy port ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["serve", "--http", "--sandbox"], ["sandbox"]])
def test_a_busy_port_says_so_in_one_line(command: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = subprocess.run(
            [*SERVER, *command, "--port", str(port)], capture_output=True, text=True, timeout=60, check=False
        )
    lines = completed.stderr.strip().splitlines()
    assert completed.returncode == 2
    assert len(lines) == 1, completed.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in lines[0] and "--port" in lines[0]


# -- the tool cap -----------------------------------------------------------------------------


def test_toolsets_all_says_what_the_cap_left_out_on_stderr_and_in_tools() -> None:
    import json

    report = subprocess.run(
        [*SERVER, "tools", "--toolsets", "all", "--access-mode", "full-access", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    left_out = json.loads(report.stdout)["left_out"]
    listed = {tool["name"] for tool in json.loads(report.stdout)["tools"]}
    assert left_out, "with every toolset in full-access mode the 128-tool cap leaves some out"
    assert "harbors" in {item["toolset"] for item in left_out}
    assert len(listed) <= 128
    named = ", ".join(f"{item['toolset']} ({item['tools']} tools)" for item in left_out)
    assert f"left out of the listing: {named}" in report.stderr

    table = subprocess.run(
        [*SERVER, "tools", "--toolsets", "all", "--access-mode", "full-access"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert named in table.stdout

    served = subprocess.run(
        [*SERVER, "--sandbox", "--toolsets", "all"], capture_output=True, text=True, timeout=60, check=False
    )
    assert f"left out of the listing: {named}" in served.stderr

    uncapped = subprocess.run(
        [*SERVER, "tools", "--toolsets", "all", "--access-mode", "full-access", "--max-tools", "0", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(uncapped.stdout)["left_out"] == [] and "left out" not in uncapped.stderr


# -- piping into head -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["tools", "--toolsets", "all", "--max-tools", "0"], ["tools", "--json"]], ids=["table", "json"]
)
def test_tools_piped_into_head_exits_quietly(command: list[str]) -> None:
    shell = " ".join([*SERVER, *command]) + " | head -n 2; exit ${PIPESTATUS[0]}"
    completed = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    assert len(completed.stdout.splitlines()) == 2
    assert "Traceback" not in completed.stderr and "BrokenPipe" not in completed.stderr
