"""`polytomic-mcp demo`: the seed workflow, end to end, the way an agent would walk it.

It starts the sandbox (the Polytomic emulator) in this process and the MCP server as a
stdio subprocess, connects the MCP SDK's client, and then:

1. step by step with operation and workflow tools: Salesforce connection (the "user"
   opens the auth_url), GCS connection, wait_schema_ready, a model over the CSV, the
   target's fields, a model sync to Contact in updateOrCreate mode keyed on email, and a
   run with run_sync_and_wait;
2. the same with the composite sync_gcs_csv_to_salesforce (it reuses the connections),
   and once more to show that a repeated call changes nothing;
3. prints the Salesforce contacts that changed and checks them against the CSV. The
   exit code is 0 only when every contact is right;
4. explains the numbers: the CSV's deliberately bad rows, why a run reports more updates
   than contacts changed, and which columns each mapping left out (demo_explain.py).

The server subprocess runs with `--sandbox` pointed at this process's sandbox (a shared
sandbox), so its start-up line says `backend=sandbox` as in every other sandbox mode.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import anyio
import httpx
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from polytomic_mcp.commands.demo_explain import csv_facts, explain_csv, explain_mapping, explain_run, replay
from polytomic_mcp.commands.output import say
from polytomic_mcp.sandbox import SandboxConfig, start_sandbox

KEY = "demo-tenant"
BUCKET = "sandbox-exports"
CSV_KEY = "high_paying_users.csv"
DOMAIN = "acme.my.salesforce.com"
SERVICE_ACCOUNT = json.dumps(
    {
        "type": "service_account",
        "project_id": "demo",
        "client_email": "sync@demo.iam.gserviceaccount.com",
        "private_key": "-----BEGIN PRIVATE KEY-----\ndemo\n-----END PRIVATE KEY-----\n",
    }
)
NUMERIC_FIELD_TYPES = frozenset({"double", "currency", "percent", "int", "integer", "number"})


class DemoFailed(Exception):
    """A step went wrong; the message says which."""


class Printer:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.monotonic()
        self.calls = 0

    def step(self, text: str) -> None:
        if not self.quiet:
            say(f"[{time.monotonic() - self.started:5.1f}s] {text}")

    def detail(self, text: str) -> None:
        if not self.quiet:
            say(f"         {text}")


@dataclass
class Observed:
    """What the runs reported, for the explanation at the end."""

    target_field_types: dict[str, str] = field(default_factory=dict)
    first_mapping: dict[str, str] = field(default_factory=dict)
    first_counts: dict[str, int] = field(default_factory=dict)
    composite_mapping: dict[str, str] = field(default_factory=dict)
    composite_counts: dict[str, int] = field(default_factory=dict)


async def call(client: Client, printer: Printer, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    printer.calls += 1

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        shown = f"{progress:g}/{total:g}" if total else f"{progress:g}"
        printer.detail(f"… {message or ''} ({shown})")

    result = await client.call_tool(tool, arguments, progress_callback=progress)
    text = "".join(getattr(block, "text", "") for block in result.content)
    if result.is_error or result.structured_content is None:
        raise DemoFailed(f"{tool} failed: {text}")
    return dict(result.structured_content)


def sandbox_get(base_url: str, path: str, **params: str) -> Any:
    response = httpx.get(f"{base_url}{path}", params=params, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
    response.raise_for_status()
    return response.json()["data"]


def contacts(base_url: str) -> dict[str, dict[str, Any]]:
    """Every Contact of the demo org, by case-folded email."""
    data = sandbox_get(base_url, "/sandbox/salesforce/objects/Contact/records", domain=DOMAIN, limit="100000")
    return {str(r.get("Email") or "").strip().casefold(): r for r in data["records"] if r.get("Email")}


async def step_by_step(client: Client, printer: Printer, seen: Observed) -> None:
    printer.step("1. connections_create: Salesforce (OAuth)")
    salesforce = await call(
        client,
        printer,
        "connections_create",
        {
            "name": f"Salesforce {DOMAIN}",
            "type": "salesforce",
            "configuration": {"domain": DOMAIN},
        },
    )
    sf_id, auth_url = salesforce["data"]["id"], salesforce["data"].get("auth_url")
    printer.detail(f"connection {sf_id}, status {salesforce['data'].get('status')}")
    if not auth_url:
        raise DemoFailed("the Salesforce connection came back without an auth_url")
    printer.detail(f"the user opens {auth_url}")
    async with httpx.AsyncClient(timeout=30) as browser:
        opened = await browser.get(auth_url, follow_redirects=True)
    printer.detail(f"→ {opened.status_code}, Salesforce authorized")

    printer.step("2. connections_create: GCS bucket")
    gcs = await call(
        client,
        printer,
        "connections_create",
        {
            "name": f"GCS {BUCKET}",
            "type": "gcs",
            "configuration": {"service_account": SERVICE_ACCOUNT, "bucket": BUCKET},
        },
    )
    gcs_id = gcs["data"]["id"]
    printer.detail(f"connection {gcs_id}")

    printer.step("3. wait_schema_ready: both schema caches")
    ready = await call(client, printer, "wait_schema_ready", {"connection_ids": [sf_id, gcs_id]})
    if not ready["ready"]:
        raise DemoFailed(f"schemas not ready: {ready}")
    printer.detail(f"ready after {ready['waited_s']} s")

    printer.step(f"4. models_create: a model over {CSV_KEY}")
    model = await call(
        client,
        printer,
        "models_create",
        {
            "name": "High-paying users",
            "connection_id": gcs_id,
            "configuration": {"model_from": "single_file", "key": CSV_KEY, "file_format": "csv"},
        },
    )
    model_id = model["data"]["id"]
    printer.detail(f"model {model_id}: fields {', '.join(f['name'] for f in model['data']['fields'])}")

    printer.step("5. model_sync_targets_get_fields: Contact")
    target = await call(client, printer, "model_sync_targets_get_fields", {"id": sf_id, "target": "Contact"})
    email = next(f for f in target["data"]["fields"] if f["id"] == "Email")
    seen.target_field_types = {f["id"]: str(f.get("type", "")) for f in target["data"]["fields"]}
    printer.detail(
        f"Email supports identity: {email['supports_identity']} ({', '.join(email.get('identity_functions') or [])})"
    )

    printer.step("6. model_sync_create: updateOrCreate on email")
    source = {"model_id": model_id}
    seen.first_mapping = {"first_name": "FirstName", "last_name": "LastName"}
    sync = await call(
        client,
        printer,
        "model_sync_create",
        {
            "name": "High-paying users → Contacts",
            "mode": "updateOrCreate",
            "target": {"connection_id": sf_id, "object": "Contact"},
            "identity": {"source": {**source, "field": "email"}, "target": "Email", "function": "Equality"},
            "fields": [{"source": {**source, "field": col}, "target": to} for col, to in seen.first_mapping.items()],
            "schedule": {"frequency": "manual"},
            "active": True,
        },
    )
    sync_id = sync["data"]["id"]
    printer.detail(f"sync {sync_id}")

    printer.step("7. run_sync_and_wait")
    run = await call(client, printer, "run_sync_and_wait", {"sync_id": sync_id})
    printer.detail(f"execution {run['execution']['status']}: {run['execution']['counts']}")
    if not run["finished"]:
        raise DemoFailed(f"the run did not finish in time: {run}")
    seen.first_counts = dict(run["execution"]["counts"])
    await diagnose(client, printer, "7b", sync_id, run["execution"]["id"])


async def diagnose(client: Client, printer: Printer, number: str, sync_id: str, execution_id: str) -> None:
    """diagnose_sync on a run with record errors: the causes, grouped, with an example each."""
    printer.step(f"{number}. diagnose_sync: why some records failed")
    report = await call(client, printer, "diagnose_sync", {"sync_id": sync_id, "execution_id": execution_id})
    for cause in (report.get("errors") or {}).get("causes", []):
        printer.detail(f"{cause['count']} × {cause['cause']} (e.g. {cause.get('example_message')})")


async def composite(client: Client, printer: Printer, seen: Observed) -> None:
    arguments = {
        "csv_key": CSV_KEY,
        "bucket": BUCKET,
        "service_account_json": SERVICE_ACCOUNT,
        "salesforce_domain": DOMAIN,
    }
    printer.step("8. sync_gcs_csv_to_salesforce: the same job in one call")
    report = await call(client, printer, "sync_gcs_csv_to_salesforce", arguments)
    for step in report["steps"]:
        printer.detail(f"{step['step']}: {step['status']}" + (f" ({step['detail']})" if step.get("detail") else ""))
    printer.detail(f"status {report['status']}; mapping {report.get('plan', {}).get('fields')}")
    if report.get("execution"):
        printer.detail(f"execution: {report['execution']['counts']}")
    if report["status"] not in ("completed", "completed_with_errors"):
        raise DemoFailed(f"the composite did not complete: {report}")
    seen.composite_mapping = dict(report.get("plan", {}).get("fields") or {})
    seen.composite_counts = dict((report.get("execution") or {}).get("counts") or {})
    if report.get("execution") and seen.composite_counts.get("error"):
        await diagnose(client, printer, "8b", report["sync_id"], report["execution"]["id"])

    printer.step("9. sync_gcs_csv_to_salesforce again: nothing new is created")
    again = await call(client, printer, "sync_gcs_csv_to_salesforce", arguments)
    printer.detail(f"status {again['status']}: " + ", ".join(f"{s['step']} {s['status']}" for s in again["steps"]))
    if any(s["status"] == "created" for s in again["steps"]):
        raise DemoFailed("the repeated call created something")


def expected_rows() -> list[dict[str, str]]:
    text = resources.files("polytomic_mcp.sandbox.seeds").joinpath(CSV_KEY).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def check_contacts(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> tuple[int, int]:
    """Print what changed; (contacts that do not match the CSV, contacts there before that changed)."""
    wrong = 0
    created = [k for k in after if k not in before]
    updated = [k for k in after if k in before and after[k] != before[k]]
    # The last row for an email wins (the CSV has emails that differ only in case).
    wanted: dict[str, dict[str, str]] = {}
    for row in expected_rows():
        email = (row.get("email") or "").strip().casefold()
        if email and "@" in email:
            wanted[email] = row
    for email, row in wanted.items():
        record = after.get(email)
        if record is None or (record.get("FirstName"), record.get("LastName")) != (row["first_name"], row["last_name"]):
            wrong += 1
            say(
                f"MISMATCH {email}: expected {row['first_name']} {row['last_name']}, got "
                f"{None if record is None else (record.get('FirstName'), record.get('LastName'))}"
            )
    say(
        f"\nSalesforce Contacts: {len(before)} before, {len(after)} after — "
        f"{len(created)} created, {len(updated)} updated"
    )
    for label, emails in (("updated", updated[:8]), ("created", created[:5])):
        for email in emails:
            old = before.get(email, {})
            new = after[email]
            was = f"{old.get('FirstName')} {old.get('LastName')} → " if old else ""
            say(f"  {label:8} {new.get('Email')}: {was}{new.get('FirstName')} {new.get('LastName')}")
    untouched = [k for k in before if k not in wanted]
    if untouched:
        say(f"  {len(untouched)} contacts not in the CSV were left alone")
    say(f"checked {len(wanted)} CSV rows with an email against Salesforce: {wrong} wrong")
    return wrong, len(updated)


def explain(seen: Observed, before: dict[str, dict[str, Any]], changed: int) -> None:
    """What the numbers mean, from the CSV and what the runs reported (see demo_explain.py)."""
    rows = expected_rows()
    facts = csv_facts(rows)
    say("\nWhat the numbers mean")
    for line in explain_csv(facts):
        say(f"  {line}")
    first = replay(facts, rows, before, failing=set())
    for line in explain_run("Step 7 (first run)", seen.first_counts, first, changed):
        say(f"  {line}")
    if seen.composite_counts:
        after_first = set(before) | {(r.get("email") or "").strip().casefold() for r in rows}
        numeric = {
            column: target
            for column, target in seen.composite_mapping.items()
            if seen.target_field_types.get(target) in NUMERIC_FIELD_TYPES and column in facts.not_numbers
        }
        failing = {n for column in numeric for n in facts.not_numbers[column]}
        second = replay(facts, rows, after_first, failing)
        title = "Step 8 (the composite, more columns)"
        for line in explain_run(title, seen.composite_counts, second, matched="contacts step 7 created or updated"):
            say(f"  {line}")
        for column, target in numeric.items():
            for number, value in facts.not_numbers[column].items():
                kind = seen.target_field_types[target]
                say(f"    row {number}'s {column} {value!r} fails now: it goes to {target}, a {kind} field")
    columns = list(rows[0]) if rows else []
    say("  " + explain_mapping("Step 6 mapping", seen.first_mapping, "email", columns))
    if seen.composite_mapping:
        say("  " + explain_mapping("Step 8 mapping (matched by name)", seen.composite_mapping, "email", columns))
        fields = {name.casefold() for name in seen.target_field_types}
        left = [c for c in columns if c not in seen.composite_mapping and c != "email"]
        unmatched = [c for c in left if c.casefold() not in fields]
        if unmatched:
            say(f"    ({', '.join(unmatched)}: Contact has no field of that name)")


async def run(clock: str, quiet: bool) -> int:
    printer = Printer(quiet)
    seen = Observed()
    with start_sandbox(SandboxConfig(clock=clock)) as sandbox:  # type: ignore[arg-type]
        printer.step(f"sandbox (the Polytomic emulator) at {sandbox.base_url}, clock={clock}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
        env.update(
            POLYTOMIC_SANDBOX="true",  # with the base URL: the sandbox running here, shared
            POLYTOMIC_API_KEY=KEY,
            POLYTOMIC_BASE_URL=sandbox.base_url,
            POLYTOMIC_ACCESS_MODE="full-access",
            POLYTOMIC_POLL_INTERVAL="0.25",
        )
        params = StdioServerParameters(command=sys.executable, args=["-m", "polytomic_mcp"], env=env)
        before = contacts(sandbox.base_url)
        try:
            async with Client(params) as client:
                tools = (await client.list_tools()).tools
                printer.step(f"MCP server on stdio: {len(tools)} tools listed")
                await step_by_step(client, printer, seen)
                await composite(client, printer, seen)
        except DemoFailed as failure:
            print(f"demo failed: {failure}", file=sys.stderr)
            return 1
        wrong, changed = check_contacts(before, contacts(sandbox.base_url))
    explain(seen, before, changed)
    say(f"{printer.calls} tool calls in {time.monotonic() - printer.started:.1f} s")
    if wrong:
        print("demo FAILED: Salesforce does not match the CSV", file=sys.stderr)
        return 1
    say("demo OK: Salesforce matches the CSV")
    return 0


def run_demo(args: argparse.Namespace) -> int:
    return anyio.run(run, args.clock, args.quiet)
