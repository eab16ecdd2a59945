"""The catalog-derived route table: literal path segments win over parameters."""

from __future__ import annotations

import pytest

from polytomic_mcp.catalog import load_catalog
from polytomic_mcp.sandbox.http.routing import MethodNotAllowed, Router

CATALOG = load_catalog()


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/syncs/schedules", "model_sync_get_schedule_options"),
        ("GET", "/api/syncs/1234", "model_sync_get"),
        ("GET", "/api/bulk/syncs/status", "bulk_sync_executions_list_status"),
        ("GET", "/api/bulk/syncs/abc", "bulk_sync_get"),
        ("GET", "/api/syncs/s/executions/e/logs", "model_sync_executions_get_logs_index"),
        ("GET", "/api/syncs/s/executions/e/consolelog", "model_sync_executions_get_console_logs"),
        ("GET", "/api/syncs/s/executions/e/errors", "model_sync_executions_get_log_urls"),
        ("POST", "/api/connections/connect/", "connections_connect"),
        ("POST", "/api/connections/connect", "connections_connect"),
        ("POST", "/api/connections/test", "connections_test_connection"),
        ("GET", "/api/connections/connect/session", "connections_get_connect_session"),
        ("GET", "/api/organizations/entities/x", "entities_get_for_partner"),
        ("GET", "/api/organizations/x", "organization_get"),
        ("GET", "/api/harbors/h/contexts/drafts", "harbors_list_context_drafts"),
        ("GET", "/api/harbors/h/contexts/c", "harbors_get_context"),
    ],
)
def test_literal_segments_win_over_parameters(method: str, path: str, expected: str) -> None:
    match = Router(CATALOG).resolve(method, path)
    assert match is not None and match.operation.name == expected


def test_every_catalog_path_routes_to_its_own_operation() -> None:
    router = Router(CATALOG)
    for op in CATALOG.operations:
        concrete = op.path.replace("{", "x").replace("}", "")
        match = router.resolve(op.method, concrete)
        assert match is not None
        # A concrete path made of the template's own names may hit a literal sibling only when
        # that sibling spells the same text; otherwise it is this operation.
        assert match.operation.path.count("{") <= op.path.count("{")


def test_wrong_verb_is_method_not_allowed() -> None:
    with pytest.raises(MethodNotAllowed) as caught:
        Router(CATALOG).resolve("DELETE", "/api/syncs/schedules")
    assert caught.value.allowed == ["GET"]


def test_unknown_path_has_no_route() -> None:
    assert Router(CATALOG).resolve("GET", "/api/nothing/here") is None


@pytest.mark.parametrize(
    ("path", "expected", "params"),
    [
        (
            "/api/connections/c1/schemas/exports%2Fcontacts.csv",
            "schemas_get",
            {"id": "c1", "schema_id": "exports/contacts.csv"},
        ),
        (
            "/api/connections/c1/schemas/a%2Fb%20c.csv/records",
            "schemas_get_records",
            {"id": "c1", "schema_id": "a/b c.csv"},
        ),
        (
            "/api/connections/c1/schemas/dir%2Ff.csv/fields/x%2Fy",
            "schemas_delete_field",
            {"connection_id": "c1", "schema_id": "dir/f.csv", "field_id": "x/y"},
        ),
        ("/api/bulk/syncs/b1/schemas/dir%2Ff.csv", "bulk_sync_schemas_get", {"id": "b1", "schema_id": "dir/f.csv"}),
        (
            "/api/syncs/s/executions/e/errors/2024%2Fpart-1.jsonl",
            "model_sync_executions_get_logs",
            {"sync_id": "s", "id": "e", "type": "errors", "filename": "2024/part-1.jsonl"},
        ),
        ("/api/connections/c1/schemas/%73tatus", "schemas_get_status", {"id": "c1"}),  # %73 is "s"
    ],
)
def test_segments_are_decoded_after_the_split(path: str, expected: str, params: dict[str, str]) -> None:
    method = "DELETE" if expected == "schemas_delete_field" else "GET"
    match = Router(CATALOG).resolve(method, path)
    assert match is not None and match.operation.name == expected
    assert match.path_params == params


def test_an_escape_that_is_not_utf8_names_no_route() -> None:
    assert Router(CATALOG).resolve("GET", "/api/connections/%FF") is None
