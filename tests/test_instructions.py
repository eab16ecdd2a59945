"""The instructions a session gets are written for that session: its access mode, and only
tools it lists — read through a real client in both protocol eras."""

from __future__ import annotations

import pytest
from mcp.client import Client

from polytomic_mcp.server import build_server
from polytomic_mcp.settings import Settings
from tests.support import TOOL_NAME_SHAPE, every_tool_name


def server(mode: str) -> object:
    return build_server(Settings(api_key="instructions-key", sandbox=True, access_mode=mode), "http://127.0.0.1:9")


@pytest.mark.parametrize("era", ["auto", "legacy"])
@pytest.mark.parametrize("mode", ["read-only", "read-write", "full-access"])
async def test_instructions_name_only_listed_tools_and_say_the_mode(era: str, mode: str) -> None:
    async with Client(server(mode), mode=era) as client:  # type: ignore[arg-type]
        text = client.instructions or ""
        listed = {tool.name for tool in (await client.list_tools()).tools}
    named = {name for name in TOOL_NAME_SHAPE.findall(text) if name in every_tool_name()}
    assert named, text  # the instructions do recommend tools
    assert named <= listed, f"{mode}: instructions name unlisted tools {sorted(named - listed)}"
    if mode == "read-only":
        assert "read-only" in text and "sync_gcs_csv_to_salesforce" not in text
        assert "call_write_operation" not in text
    else:
        assert "sync_gcs_csv_to_salesforce" in text and "read-only:" not in text
    if mode == "full-access":
        assert "confirm" in text  # destructive calls are confirmed by the user
