"""``X-Polytomic-Version``: which API version a request speaks, and what differs before 2025-09-18.

The catalog describes 2025-09-18. Every earlier version (the sandbox knows Polytomic's dated
versions) is served with the behaviour that version had where the 2025-09-18 migration changed
it; between the earlier versions themselves the sandbox makes no difference:

* bulk syncs take and show one ``schedule`` object (``frequency: multi`` with
  ``multi.schedules[{item, schedule}]`` for several) and a ``discover`` flag, instead of
  ``default_schedule`` + ``additional_schedules`` and ``automatically_add_new_objects``;
* bulk-sync start takes the boolean ``resync`` (read as ``resync_mode: resync``), which
  2025-09-18 refuses in favour of ``resync_mode``;
* the model-sync list answers every sync in full, without pages (2025-09-18: light items,
  ``page_token``/``limit`` ≤ 50);
* target fields are also served at ``GET /api/connections/{id}/modelsync/target?target=…``,
  which 2025-09-18 removed in favour of ``…/modelsync/target/fields``.

A version that never existed is refused with 400 naming the supported ones.
"""

from __future__ import annotations

from typing import Any

from polytomic_mcp.sandbox.errors import ApiError, bad_request

CURRENT = "2025-09-18"
EARLIER = ("2021-05-23", "2022-12-12", "2023-04-25", "2024-02-08")
SUPPORTED = (*EARLIER, CURRENT)
HEADER = "X-Polytomic-Version"

# Paths that earlier versions serve and 2025-09-18 does not: path template → (operation, its new path).
REMOVED_PATHS: dict[str, tuple[str, str]] = {
    "/api/connections/{id}/modelsync/target": (
        "model_sync_targets_get_target_fields",
        "/api/connections/{id}/modelsync/target/fields",
    ),
}
_SCHEDULE_KEYS = ("frequency", "minute", "hour", "day_of_week", "day_of_month", "month")
_BULK_SYNC_VIEWS = ("bulk_sync_create", "bulk_sync_update", "bulk_sync_get", "bulk_sync_list")


def negotiate(sent: str | None, default: str) -> str:
    """The version a request is served with; 400 for one that never existed."""
    version = (sent or "").strip() or default
    if version not in SUPPORTED:
        raise ApiError(
            400,
            f"{HEADER} {version!r} is not a version of this API; supported: {', '.join(SUPPORTED)}",
            "unsupported_version",
            {"field": HEADER, "supported": list(SUPPORTED)},
        )
    return version


def is_earlier(version: str) -> bool:
    return version != CURRENT


def check_path(template: str, version: str) -> None:
    """404 for a path that earlier versions served but this one does not."""
    if template in REMOVED_PATHS and not is_earlier(version):
        replacement = REMOVED_PATHS[template][1]
        raise ApiError(
            404,
            f"{template} was removed in API version {CURRENT}; use {replacement} (or send {HEADER}: {EARLIER[-1]})",
            "route_not_found",
            {"replacement": replacement},
        )


# -- requests ----------------------------------------------------------------------------------


def adapt_request(operation: str, version: str, body: Any) -> Any:
    """The body in the 2025-09-18 shape the handlers read (400 for members of the other era)."""
    if not isinstance(body, dict):
        return body
    if operation in ("bulk_sync_create", "bulk_sync_update"):
        return _earlier_bulk_sync(body, version) if is_earlier(version) else _current_bulk_sync(body)
    if operation == "bulk_sync_start":
        return _earlier_bulk_start(body) if is_earlier(version) else _current_bulk_start(body)
    return body


def _moved(member: str, replacement: str) -> ApiError:
    return bad_request(
        f"{member} was replaced by {replacement} in API version {CURRENT}; send {replacement}, or send "
        f"{HEADER}: {EARLIER[-1]} to use {member}",
        member,
    )


def _current_bulk_sync(body: dict[str, Any]) -> dict[str, Any]:
    if "schedule" in body:
        raise _moved("schedule", "default_schedule (and additional_schedules)")
    if "discover" in body:
        raise _moved("discover", "automatically_add_new_objects")
    return body


def _current_bulk_start(body: dict[str, Any]) -> dict[str, Any]:
    if "resync" in body:
        raise _moved("resync", "resync_mode (refetch, resync or rebuild)")
    return body


def _earlier_bulk_sync(body: dict[str, Any], version: str) -> dict[str, Any]:
    for member in ("default_schedule", "additional_schedules"):
        if member in body:
            raise bad_request(
                f"{member} needs {HEADER}: {CURRENT}; API version {version} takes one schedule object", member
            )
    out = dict(body)
    schedule = out.pop("schedule", None)
    if not isinstance(schedule, dict):
        raise bad_request(f"schedule is required (an object with a frequency) in API version {version}", "schedule")
    if str(schedule.get("frequency", "")).casefold() == "multi":
        items = (schedule.get("multi") or {}).get("schedules") or []
        if not items:
            raise bad_request("a multi schedule needs multi.schedules[{item, schedule}]", "schedule.multi")
        out["default_schedule"] = {"frequency": "manual"}
        out["additional_schedules"] = [_itemized(item, index) for index, item in enumerate(items)]
    else:
        out["default_schedule"] = {k: v for k, v in schedule.items() if k != "multi"}
    discover = out.pop("discover", None)
    if isinstance(discover, bool):
        out.setdefault("automatically_add_new_objects", "all" if discover else "none")
    return out


def _itemized(item: Any, index: int) -> dict[str, Any]:
    where = f"schedule.multi.schedules[{index}]"
    if not isinstance(item, dict) or not isinstance(item.get("schedule"), dict):
        raise bad_request(f"{where} must be {{item, schedule}}", where)
    schedule = {k: v for k, v in item["schedule"].items() if k != "multi"}
    if item.get("item"):
        schedule["selective_mode"] = item["item"]
    return schedule


def _earlier_bulk_start(body: dict[str, Any]) -> dict[str, Any]:
    out = dict(body)
    resync = out.pop("resync", None)
    if resync is True and "resync_mode" not in out:
        out["resync_mode"] = "resync"
    elif resync is not None and not isinstance(resync, bool):
        raise bad_request("resync must be true or false", "resync")
    return out


# -- responses ---------------------------------------------------------------------------------


def adapt_response(operation: str, version: str, body: Any) -> Any:
    """The answer in the shape the request's version has (2025-09-18 bodies pass unchanged)."""
    if not is_earlier(version) or operation not in _BULK_SYNC_VIEWS or not isinstance(body, dict):
        return body
    data = body.get("data")
    if isinstance(data, list):
        return {**body, "data": [_earlier_bulk_view(d) if isinstance(d, dict) else d for d in data]}
    if isinstance(data, dict):
        return {**body, "data": _earlier_bulk_view(data)}
    return body


def _earlier_bulk_view(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    default = out.pop("default_schedule", None) or {"frequency": "manual"}
    additional = out.pop("additional_schedules", None) or []
    if additional:
        items = [] if default.get("frequency") == "manual" else [{"item": "none", "schedule": _plain(default)}]
        items += [{"item": s.get("selective_mode") or "none", "schedule": _plain(s)} for s in additional]
        out["schedule"] = {"frequency": "multi", "multi": {"schedules": items}}
    else:
        out["schedule"] = _plain(default)
    out["discover"] = out.get("automatically_add_new_objects") == "all"
    return out


def _plain(schedule: dict[str, Any]) -> dict[str, Any]:
    return {k: schedule[k] for k in _SCHEDULE_KEYS if schedule.get(k) is not None}
