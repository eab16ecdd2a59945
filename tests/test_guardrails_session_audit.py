"""Session safe mode and the audit trail, through the real MCP client in memory against the sandbox.

Each in-memory client connection is its own MCP session (the server's lifespan runs per
connection), as a stdio process is; HTTP sessions are covered in test_guardrails_transports.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp.client import Client

from polytomic_mcp.sandbox import RunningSandbox, SandboxConfig, start_sandbox
from tests.guard_support import User, exists, not_confirmed, text_of
from tests.seed_setup import SEED_BUCKET, seed_server, setup_seed

PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQsecretmaterial\n-----END PRIVATE KEY-----\n"
ACCOUNT = json.dumps(
    {"type": "service_account", "project_id": "p", "client_email": "a@p.iam", "private_key": PRIVATE_KEY}
)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxConfig(clock="step")) as running:
        yield running


async def create_gcs(client: Client, name: str) -> str:
    result = await client.call_tool(
        "connections_create",
        {"name": name, "type": "gcs", "configuration": {"service_account": ACCOUNT, "bucket": SEED_BUCKET}},
    )
    assert not result.is_error, text_of(result)
    return str(result.structured_content["data"]["id"])  # type: ignore[index]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_safe_mode_changes_only_what_this_session_created(sandbox: RunningSandbox, mode: str) -> None:
    server = seed_server(sandbox.base_url, f"safe-{mode}", safe_mode="session")
    user = User("accept")
    async with Client(server, mode=mode, elicitation_callback=user) as first:
        seed = await setup_seed(first, run=False)  # creates are allowed
        own = await first.call_tool("models_delete", {"model_id": seed.model_id})
        assert own.is_error and "model in use" in text_of(own)  # allowed and sent: Polytomic refused (a sync uses it)
        deleted = await first.call_tool("model_sync_delete", {"sync_id": seed.sync_id})
        assert not deleted.is_error, text_of(deleted)
        org_wide = await first.call_tool(
            "call_write_operation",
            {"operation": "notifications_set_global_error_subscribers", "arguments": {"emails": []}},
        )
    async with Client(server, mode=mode, elicitation_callback=user) as second:
        foreign_delete = await second.call_tool("connections_delete", {"connection_id": seed.gcs_connection_id})
        foreign_start = await second.call_tool("schemas_refresh", {"connection_id": seed.gcs_connection_id})
        mine = await create_gcs(second, "second session's GCS")
        mine_deleted = await second.call_tool("connections_delete", {"connection_id": mine})
        assert not mine_deleted.is_error, text_of(mine_deleted)
        assert await exists(second, "connections_get", id=seed.gcs_connection_id)
        assert not await exists(second, "connections_get", id=mine)
    assert org_wide.is_error and "organization-wide settings" in text_of(org_wide)
    for refused in (foreign_delete, foreign_start):
        assert refused.is_error
        assert f"connections {seed.gcs_connection_id}, which was not created in this MCP session" in text_of(refused)
    # Only the confirmations of calls that safe mode let through were asked.
    asked = [m.splitlines()[0] for m in user.messages]
    assert asked == [
        "The AI agent asks to run models_delete: Delete a model.",
        "The AI agent asks to run model_sync_delete: Delete a model sync.",
        "The AI agent asks to run connections_delete: Delete a connection (force=true also removes dependants).",
    ]


async def test_every_write_is_one_audit_line_without_secrets(
    sandbox: RunningSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audit = tmp_path / "logs" / "audit.jsonl"
    key = "audit-tenant-key-123456"
    server = seed_server(sandbox.base_url, key, audit_log=str(audit), deny="webhooks_delete")
    caplog.set_level(logging.INFO, logger="polytomic_mcp.audit")
    async with Client(server, mode="legacy", elicitation_callback=User("accept")) as client:
        kept = await create_gcs(client, "kept")
        gone = await create_gcs(client, "gone")
        assert not (await client.call_tool("connections_delete", {"connection_id": gone})).is_error
        await client.call_tool("webhooks_delete", {"webhook_id": "w"})
        await client.call_tool("connections_list", {})  # a read: no audit line
    async with Client(server, elicitation_callback=User("decline")) as client:
        not_confirmed(await client.call_tool("connections_delete", {"connection_id": kept}))
        missing = await client.call_tool("models_create", {"name": "m", "connection_id": "nope", "configuration": {}})
        assert missing.is_error
    text = audit.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    summary = [(r["operation"], r["outcome"], r["confirmation"]) for r in lines]
    assert summary == [
        ("connections_create", "ok", "not_required"),
        ("connections_create", "ok", "not_required"),
        ("connections_delete", "ok", "confirmed"),
        ("webhooks_delete", "refused", "not_required"),
        ("connections_delete", "asked", "asked"),  # the question is out: never "not_required"
        ("connections_delete", "not_confirmed", "declined"),
        ("models_create", "error", "not_required"),
    ]
    first, _, delete, denied, asked, declined, failed = lines
    assert first["tool"] == "connections_create" and first["created"] == kept and first["status"] == 200
    # Configuration values may be secrets by the connection type's say: only their names are kept.
    assert first["arguments"]["configuration"] == {"service_account": "***", "bucket": "***"}
    assert first["arguments"]["name"] == "kept" and SEED_BUCKET not in text
    assert delete["arguments"] == {"connection_id": gone} and delete["status"] == 204 and delete["method"] == "DELETE"
    assert "denied" in denied["error"]
    assert asked["session"] == declined["session"] != first["session"]  # two client connections, two sessions
    assert failed["status"] == 404 or failed["status"] == 422
    assert all(r["key"] == first["key"] and r["key"].startswith("sha256:") for r in lines)
    assert all(r["time"].endswith("Z") and r["event"] == "write" for r in lines)
    for secret in (key, "MIIEvQsecretmaterial", "a@p.iam"):
        assert secret not in text
    logged = [r.getMessage() for r in caplog.records if r.name == "polytomic_mcp.audit"]
    assert len(logged) == len(lines) and all(m.startswith("audit {") for m in logged)
    assert not any("MIIEvQsecretmaterial" in m or key in m for m in logged)


def test_an_unwritable_audit_log_stops_the_server_at_start_up(tmp_path: Path) -> None:
    import subprocess
    import sys

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    process = subprocess.run(
        [sys.executable, "-m", "polytomic_mcp", "--sandbox", "--audit-log", str(blocker / "audit.jsonl")],
        capture_output=True,
        timeout=60,
        check=False,
        input=b"",
    )
    assert process.returncode == 2
    stderr = process.stderr.decode()
    assert "--audit-log / POLYTOMIC_AUDIT_LOG" in stderr and "is not a folder" in stderr
