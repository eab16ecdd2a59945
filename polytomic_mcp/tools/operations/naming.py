"""Stable MCP tool names for catalog operations.

A tool keeps its catalog name (`<group>_<verb>`, so tools sort by area) unless that name
is too long for clients that prefix tool names (`mcp__polytomic__…` under a 64-character
cap) or reads badly. Renames are listed here, once; `tests/snapshots/tool_names.json`
holds the full table for all operations so any change is a reviewed diff.
"""

from __future__ import annotations

import re

from polytomic_mcp.catalog import Operation

MAX_TOOL_NAME = 48
TOOL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,48}$")

RENAMES: dict[str, str] = {
    # Over 48 characters in the catalog.
    "connections_shared_connections_list_shared_connections": "connections_list_shares",
    "connections_shared_connections_list_shared_connections_for_partner": "connections_list_shares_for_partner",
    "connections_shared_connections_create_shared_connection": "connections_create_share",
    # Repeated words.
    "connections_proxy_execute_proxy": "connections_proxy_execute",
    "connections_proxy_get_proxy_info": "connections_proxy_get_info",
    "connections_proxy_get_proxy_settings": "connections_proxy_get_settings",
    "connections_proxy_update_proxy_settings": "connections_proxy_update_settings",
    "connections_get_connection_type_schema": "connections_get_type_schema",
    "model_sync_targets_get_target_fields": "model_sync_targets_get_fields",
    "users_list_current_org_users": "users_list_in_my_org",
    "users_create_current_org_user": "users_create_in_my_org",
    "users_get_current_org_user": "users_get_in_my_org",
    "users_update_current_org_user": "users_update_in_my_org",
    "users_delete_current_org_user": "users_delete_in_my_org",
    # Names that do not say what the operation does.
    "models_post": "models_get_enrichment_input_fields",
    "model_sync_targets_get_create_property": "model_sync_targets_get_creation_values",
    "model_sync_executions_get_logs": "model_sync_executions_get_log_file",
    "bulk_sync_executions_get_logs": "bulk_sync_executions_get_log_urls",
    "identity_get": "identity_get_me",
}


def tool_name(operation: Operation) -> str:
    """The MCP tool name of a catalog operation."""
    return RENAMES.get(operation.name, operation.name)
