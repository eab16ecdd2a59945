"""Confirmation and safe mode over the real transports: a stdio subprocess, and streamable HTTP on a
loopback port, stateful and `--stateless`, in both protocol eras. After each call the sandbox
(started by the server process) is asked whether the connection still exists."""

from __future__ import annotations

import sys
from typing import Any

import httpx2
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.guard_support import User, exists, not_confirmed, text_of
from tests.test_transports import GCS_CONFIG, clean_env, running_http_server

ERAS = ["auto", "legacy"]


def stdio_client(mode: str, user: User | None, *extra: str) -> Client:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "polytomic_mcp", "--sandbox", "--sandbox-clock", "step", *extra],
        env=clean_env(),
    )
    return Client(params, mode=mode, elicitation_callback=user)


def http_client(url: str, key: str, mode: str, user: User | None) -> Client:
    transport = streamable_http_client(url, http_client=httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}))
    return Client(transport, mode=mode, elicitation_callback=user)


async def create_connection(client: Client, name: str = "to delete") -> str:
    result = await client.call_tool("connections_create", {"name": name, "type": "gcs", "configuration": GCS_CONFIG})
    assert not result.is_error, text_of(result)
    return str(result.structured_content["data"]["id"])  # type: ignore[index]


async def delete_and_check(client: Client) -> tuple[Any, bool]:
    """Create a connection, ask to delete it; (the delete's result, whether it still exists)."""
    ident = await create_connection(client)
    result = await client.call_tool("connections_delete", {"connection_id": ident})
    return result, await exists(client, "connections_get", connection_id=ident)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("answer", ["accept", "decline", "none"])
async def test_stdio(mode: str, answer: str) -> None:
    user = None if answer == "none" else User(answer)  # type: ignore[arg-type]
    async with stdio_client(mode, user) as client:
        result, still_there = await delete_and_check(client)
    if answer == "accept":
        assert not result.is_error and not still_there, text_of(result)
    else:
        refusal = not_confirmed(result)
        assert still_there
        assert refusal["confirmation"] == ("declined" if answer == "decline" else "unsupported")
    assert (len(user.shown) if user else 0) == (0 if answer == "none" else 1)


@pytest.mark.slow
@pytest.mark.parametrize("stateless", [False, True])
async def test_http_both_eras(stateless: bool) -> None:
    extra = ("--stateless",) if stateless else ()
    with running_http_server(*extra) as url:
        outcomes: dict[tuple[str, str], tuple[Any, bool]] = {}
        for mode in ERAS:
            for answer in ("accept", "decline"):
                async with http_client(url, f"http-{mode}-{answer}", mode, User(answer)) as client:  # type: ignore[arg-type]
                    outcomes[(mode, answer)] = await delete_and_check(client)
            async with http_client(url, f"http-{mode}-none", mode, None) as client:
                outcomes[(mode, "none")] = await delete_and_check(client)
    for (mode, answer), (result, still_there) in outcomes.items():
        where = f"{mode}/{answer}/stateless={stateless}"
        unreachable = stateless and mode == "legacy"  # no back-channel, and no 2026 retry either
        if answer == "accept" and not unreachable:
            assert not result.is_error and not still_there, where + text_of(result)
            continue
        assert still_there, where
        expected = "no_channel" if unreachable else {"decline": "declined", "none": "unsupported"}[answer]
        assert not_confirmed(result)["confirmation"] == expected, where
    # A handshake-era client on stateless HTTP cannot be asked: refused, and it says why and what to do.
    if stateless:
        refusal = not_confirmed(outcomes[("legacy", "accept")][0])
        assert "no channel for a question" in refusal["reason"] and "2026-07-28" in refusal["next"]


@pytest.mark.slow
async def test_http_safe_mode_follows_the_mcp_session() -> None:
    with running_http_server("--safe-mode", "session") as url:
        async with http_client(url, "safe-http", "legacy", User("accept")) as first:
            own = await create_connection(first, "first session's")
            kept = await create_connection(first, "kept")
            deleted = await first.call_tool("connections_delete", {"connection_id": own})
        async with http_client(url, "safe-http", "legacy", User("accept")) as second:
            foreign = await second.call_tool("connections_delete", {"connection_id": kept})
        async with http_client(url, "safe-http", "auto", User("accept")) as modern:
            created = await create_connection(modern, "made without a session")
            sessionless = await modern.call_tool("connections_delete", {"connection_id": created})
            assert await exists(modern, "connections_get", id=kept)
            assert not await exists(modern, "connections_get", id=own)
    assert not deleted.is_error, text_of(deleted)
    assert foreign.is_error and "was not created in this MCP session" in text_of(foreign)
    assert sessionless.is_error and "belongs to no MCP session" in text_of(sessionless)


@pytest.mark.slow
def test_startup_line_shows_the_guard_settings() -> None:
    import subprocess

    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "polytomic_mcp",
            "--sandbox",
            "--confirm-destructive",
            "never",
            "--safe-mode",
            "session",
        ],
        env=clean_env(),
        input=b"",
        capture_output=True,
        timeout=30,
        check=False,
    )
    line = process.stderr.decode()
    assert "confirm-destructive=never" in line and "safe-mode=session" in line, line
