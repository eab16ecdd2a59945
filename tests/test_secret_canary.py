"""A secret canary never comes back: not in a tool result, a resource, an error, or the log.

One unique value is written into every sensitive member of every connection type the
sandbox offers (at any depth: a webhook's `basic.password`, `header.value`), into a
service-account JSON, into webhook `headers` and `query` values (`Authorization: Bearer …`,
an API key passed as a query parameter), and into a Polytomic webhook's signing `secret`.
Then every read path is taken, through a stdio server subprocess logging at DEBUG: the
create results, get, list (all fields), update echoes, describe_connection, find_resources,
the connection resources, webhook get, list and update (its confirmation preview), and the
error paths (a configuration sent as JSON text, a missing required member, an unknown
member, a composite given the canary as its service account). Every text, structured result
and the whole stderr log are searched: zero appearances.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
from typing import Any

import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from polytomic_mcp.sandbox.world.connection_types import TYPES
from tests.test_transports import clean_env

CANARY = f"canary{secrets.token_hex(12)}"


def filled(schema: dict[str, Any]) -> dict[str, Any]:
    """Required members with plain values, every sensitive member (at any depth) with the canary."""
    out: dict[str, Any] = {}
    required = set(schema.get("required", []))
    for name, member in schema.get("properties", {}).items():
        if member.get("readOnly"):
            continue
        if member.get("sensitive"):
            out[name] = CANARY
        elif member.get("type") == "object" and member.get("properties"):
            nested = filled(member)
            if nested:
                out[name] = nested
        elif name in required:
            out[name] = member.get("enum", [None])[0] or {"integer": 5432, "boolean": True}.get(member["type"], "x")
    return out


def canary_configurations() -> dict[str, dict[str, Any]]:
    configurations = {type_id: filled(kind.schema) for type_id, kind in TYPES.items()}
    configurations["gcs"]["service_account"] = json.dumps(
        {"type": "service_account", "project_id": "p", "client_email": "e@p.iam", "private_key": CANARY}
    )
    configurations["gcs"]["bucket"] = "sandbox-exports"
    configurations["s3"].update(aws_access_key_id="AKIASANDBOX", s3_bucket_name="sandbox-exports")
    configurations["salesforce"]["domain"] = "acme.my.salesforce.com"
    configurations["webhook"].update(
        url="https://hooks.example.com/in",
        auth_method="header",
        headers=[{"name": "Authorization", "value": f"Bearer {CANARY}"}],
        query=[{"name": "api_key", "value": CANARY}],
    )
    return configurations


def collected(result: Any) -> str:
    texts = [getattr(block, "text", "") or getattr(block, "uri", "") for block in result.content]
    return "\n".join(texts) + json.dumps(result.structured_content)


def contents(read: Any) -> str:
    return "\n".join(getattr(item, "text", "") for item in read.contents)


def test_the_canary_is_a_secret_in_every_connection_type() -> None:
    """The test below covers what the sandbox calls sensitive, nested members included."""
    configurations = canary_configurations()
    placed = sum(json.dumps(config).count(CANARY) for config in configurations.values())
    assert set(configurations) == set(TYPES)
    assert placed >= 19
    assert CANARY in json.dumps(configurations["webhook"]["basic"])  # nested sensitive members too


@pytest.mark.slow
async def test_the_canary_appears_nowhere(tmp_path: Any) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "polytomic_mcp",
            "--sandbox",
            "--sandbox-clock",
            "step",
            "--log-level",
            "DEBUG",
            "--toolsets",
            "all",
        ],
        env=clean_env(POLYTOMIC_MAX_TOOLS="0"),
    )
    seen: list[str] = []
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:

            async def call(tool: str, arguments: dict[str, Any]) -> Any:
                result = await client.call_tool(tool, arguments)
                seen.append(collected(result))
                return result

            ids: dict[str, str] = {}
            for type_id, configuration in canary_configurations().items():
                created = await call(
                    "connections_create", {"name": f"canary {type_id}", "type": type_id, "configuration": configuration}
                )
                assert not created.is_error, collected(created)[:300]
                ids[type_id] = created.structured_content["data"]["id"]
                await call(
                    "connections_update",
                    {"connection_id": ids[type_id], "name": f"canary {type_id}", "configuration": configuration},
                )
                await call("connections_get", {"connection_id": ids[type_id]})
                await call("describe_connection", {"connection_id": ids[type_id]})
                await call("connections_get_parameter_values", {"connection_id": ids[type_id]})
                for uri in (
                    f"polytomic://connections/{ids[type_id]}/schemas",
                    f"polytomic://connection-types/{type_id}",
                ):
                    try:
                        seen.append(contents(await client.read_resource(uri)))
                    except Exception as failure:  # a resource error's text is a read path too
                        seen.append(str(failure))
            listed = await call("connections_list", {"fields": ["*"]})
            assert len(listed.structured_content["data"]) == len(TYPES)
            await call("find_resources", {"query": "canary"})
            # Polytomic's own webhooks: their signing secret is a secret too.
            webhook = await call("webhooks_create", {"endpoint": "https://hooks.example.com/events", "secret": CANARY})
            assert not webhook.is_error, collected(webhook)[:300]
            webhook_id = webhook.structured_content["data"]["id"]
            await call("webhooks_get", {"webhook_id": webhook_id})
            await call("webhooks_list", {})
            replaced = {"webhook_id": webhook_id, "endpoint": "https://hooks.example.com/v2", "secret": CANARY}
            await call("webhooks_update", replaced)
            # Error paths, each carrying the canary in what was sent.
            postgres = canary_configurations()["postgresql"]
            errors = [
                await call(
                    "connections_create",
                    {"name": "as text", "type": "postgresql", "configuration": json.dumps(postgres)},
                ),
                await call(
                    "connections_create",
                    {"name": "missing", "type": "postgresql", "configuration": {"password": CANARY}},
                ),
                await call(
                    "connections_create",
                    {"name": "unknown", "type": "gcs", "configuration": postgres, "colour": CANARY},
                ),
                await call(
                    "connections_test_connection", {"type": "postgresql", "configuration": {"password": [CANARY]}}
                ),
                await call(
                    "call_write_operation", {"operation": "connections_create", "arguments": {"configuration": CANARY}}
                ),
                await call(
                    "connections_update", {"connection_id": "no-such-id", "name": "n", "configuration": postgres}
                ),
                await call(
                    "sync_gcs_csv_to_salesforce",
                    {"bucket": "no-such-bucket", "csv_key": "x.csv", "service_account_json": CANARY, "dry_run": True},
                ),
            ]
            assert sum(result.is_error or "failed" in collected(result) for result in errors) >= 6
        errlog.seek(0)
        log = errlog.read()
    assert "POST /api/connections -> 20" in log  # the DEBUG log did record these calls
    leaks = [text[max(text.index(CANARY) - 300, 0) : text.index(CANARY) + 50] for text in seen if CANARY in text]
    assert leaks == [], leaks[:3]
    assert log.count(CANARY) == 0
    print(f"\nsecret canary: {len(seen)} results read, {len(log.splitlines())} log lines, 0 appearances")
