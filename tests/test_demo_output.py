"""The demo explains its numbers, says backend=sandbox at start, and stops quietly into `head`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from polytomic_mcp.commands.demo_explain import csv_facts, explain_csv, explain_run, replay

DEMO = [sys.executable, "-m", "polytomic_mcp", "demo", "--clock", "step"]


@pytest.mark.slow
def test_the_demo_explains_the_seeds_bad_rows_the_update_count_and_the_mapping() -> None:
    completed = subprocess.run(DEMO, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    explained = out.split("What the numbers mean", 1)[1]
    for line in (
        "row 26: no email, so nothing to match on",
        "row 27: email 'not-an-email' is not an email address",
        "row 12: the email of row 11 in other letter case",
        "row 28: monthly_spend is 'n/a', not a number",
        "Step 7 (first run): 285 inserted + 13 updated + 2 errors = 300 rows",
        "12 rows matched contacts that were in Salesforce before the demo",
        "row 12 repeats row 11's email, so it updated the contact row 11 had just created",
        "so 13 updates changed 12 contacts that existed before the demo",
        "Step 8 (the composite, more columns): 0 inserted + 297 updated + 3 errors = 300 rows",
        "row 28's monthly_spend 'n/a' fails now: it goes to Monthly_Spend__c",
        "left out: company, plan, monthly_spend, signup_date",
        "(company: Contact has no field of that name)",
    ):
        assert line in explained, line
    assert "diagnose_sync" in out and "2 contacts not in the CSV were left alone" in out
    # The server the demo starts uses the demo's sandbox, and says so.
    assert "backend=sandbox at http://127.0.0.1:" in completed.stderr
    assert "(shared, clock=step)" in completed.stderr


@pytest.mark.slow
def test_the_demo_piped_into_head_finishes_quietly_and_keeps_its_exit_code() -> None:
    shell = " ".join(DEMO) + " | head -n 3; exit ${PIPESTATUS[0]}"
    completed = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    assert len(completed.stdout.splitlines()) == 3
    assert "Traceback" not in completed.stderr and "BrokenPipe" not in completed.stderr


ROWS = [
    {"email": "a@example.com", "amount": "1"},
    {"email": "", "amount": "2"},
    {"email": "A@Example.com ", "amount": "3"},
    {"email": "b@example.com", "amount": "n/a"},
    {"email": "bad-email", "amount": "5"},
]


def test_the_replay_reconciles_counts_and_explains_repeats() -> None:
    facts = csv_facts(ROWS)
    assert facts.no_email == [2] and facts.malformed == {5: "bad-email"}
    assert facts.repeats == {3: 1} and facts.padded == [3] and facts.not_numbers == {"amount": {4: "n/a"}}
    expected = replay(facts, ROWS, existing={"b@example.com"}, failing=set())
    assert (expected.inserts, expected.updates, expected.errors) == (1, 2, 2)
    lines = explain_run("Run", {"total": 5, "insert": 1, "update": 2, "error": 2}, expected, changed_contacts=1)
    assert lines[0] == "Run: 1 inserted + 2 updated + 2 errors = 5 rows (total 5)"
    assert any("row 3 repeats row 1's email" in line for line in lines)
    assert any("2 updates changed 1 contacts" in line for line in lines)
    rows_named = [line.split(":")[0].strip() for line in explain_csv(facts)[1:]]
    assert rows_named == ["row 2", "row 3", "row 3", "row 4", "row 5"]


def test_counts_that_do_not_match_the_replay_are_not_explained_away() -> None:
    facts = csv_facts(ROWS)
    expected = replay(facts, ROWS, existing=set(), failing=set())
    lines = explain_run("Run", {"total": 5, "insert": 3, "update": 0, "error": 2}, expected)
    assert len(lines) == 1 and "but replaying the CSV gives 2, 1, 2" in lines[0]
