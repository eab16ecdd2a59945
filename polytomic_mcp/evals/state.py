"""Reading and preparing a tenant's sandbox state over HTTP (the admin routes and the API), as
a scorer does once the agent is done. One `TenantState` per scenario; every call carries the
tenant's key, so scenarios never see each other's objects."""

from __future__ import annotations

from typing import Any

import httpx

OBJECT_PATHS = {
    "connections": "/api/connections",
    "models": "/api/models",
    "syncs": "/api/syncs",
    "bulk_syncs": "/api/bulk/syncs",
}


class SandboxStateError(RuntimeError):
    """The sandbox refused an admin or API request the runner needed."""


class TenantState:
    def __init__(self, base_url: str, key: str, client: httpx.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {key}"}
        self.http = client

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.request(method, self.base_url + path, headers=self.headers, **kwargs)
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise SandboxStateError(f"{method} {path}: {response.status_code} {message}")
        return response

    async def answer(self, method: str, path: str, **kwargs: Any) -> Any:
        """The `data` member of a sandbox answer."""
        return (await self._send(method, path, **kwargs)).json().get("data")

    async def reset(self, start_from: str, seed: dict[str, Any]) -> dict[str, Any]:
        """A fresh tenant: the packaged world (or none) plus the scenario's seed; the seed's ids by name."""
        if start_from == "empty":
            added = await self.answer("POST", "/sandbox/seed", params={"replace": "true"}, json=seed)
            return dict(added.get("ids") or {})
        await self.answer("POST", "/sandbox/reset")
        if not seed:
            await self.answer("GET", "/sandbox/world")  # the tenant's first request lays the world out
            return {}
        added = await self.answer("POST", "/sandbox/seed", json=seed)
        return dict(added.get("ids") or {})

    async def approve_oauth(self, connection_id: str | None = None) -> list[str]:
        body = {"connection_id": connection_id} if connection_id else {}
        answer = await self.answer("POST", "/sandbox/oauth/approve", json=body)
        return [str(entry["connection_id"]) for entry in answer["approved"]]

    async def advance_clock(self, seconds: float) -> None:
        await self.answer("POST", "/sandbox/clock/advance", json={"seconds": seconds})

    async def records(self, domain: str, obj: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            page = await self.answer(
                "GET",
                f"/sandbox/salesforce/objects/{obj}/records",
                params={"domain": domain, "limit": "5000", "offset": str(len(found))},
            )
            found += page["records"]
            if not page["records"] or len(found) >= page["total"]:
                return found

    async def file_text(self, bucket: str, key: str) -> str:
        return (await self._send("GET", f"/sandbox/buckets/{bucket}/files", params={"key": key})).text

    async def objects(self, kind: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {}
        while True:
            body = (await self._send("GET", OBJECT_PATHS[kind], params=params)).json()
            found += body.get("data") or []
            token = (body.get("pagination") or {}).get("next_page_token")
            if not token:
                return found
            params = {"page_token": str(token)}

    async def executions(self, kind: str, sync_id: str) -> list[dict[str, Any]]:
        """Executions of a model sync (`syncs`) or a bulk sync (`bulk_syncs`)."""
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {}
        path = f"{OBJECT_PATHS[kind]}/{sync_id}/executions"
        while True:
            body = (await self._send("GET", path, params=params)).json()
            found += body.get("data") or []
            token = (body.get("pagination") or {}).get("next_page_token")
            if not token:
                return found
            params = {"page_token": str(token)}

    async def operations_sent(self) -> list[str]:
        return [str(entry.get("operation")) for entry in await self.answer("GET", "/sandbox/requests")]
