"""PolytomicClient against httpx.MockTransport: headers, retries, waits, errors, secrets.

No network and no real waiting: every client gets a fake `sleep` that records the waits
it was asked for, so the tests can assert them exactly.
"""

from __future__ import annotations

import base64
import logging
import random
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import anyio
import httpx
import pytest

from polytomic_mcp import client as client_module
from polytomic_mcp.client import (
    ApiResponse,
    PolytomicClient,
    PolytomicError,
    encode_query,
    normalize_base_url,
)
from polytomic_mcp.settings import Credentials

API_KEY = "sk_live_Zq9SECRETkey7731"
ORG_ID = "0b6f9c1e-5d0c-4a53-9d7e-2f0d7f1f2a11"
BEARER = Credentials(API_KEY)
PARTNER = Credentials(API_KEY, "partner", ORG_ID)
BASIC_TOKEN = base64.b64encode(f"{ORG_ID}:{API_KEY}".encode()).decode()

Handler = Callable[[httpx.Request], httpx.Response] | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


class FakeSleep:
    """Stands in for anyio.sleep: records each requested wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> float:
    now = 1_750_000_000.0
    monkeypatch.setattr(client_module, "_now", lambda: now)
    return now


@pytest.fixture
def max_jitter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Full jitter always picks the top of its window, so backoff waits are exact."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    yield


def make_client(handler: Handler, sleep: FakeSleep, **options: Any) -> PolytomicClient:
    options.setdefault("base_url", "https://app.polytomic.test")
    return PolytomicClient(transport=httpx.MockTransport(handler), sleep=sleep, **options)


def scripted(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering with the given responses in order (exceptions are raised)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def ok(data: Any = None, status: int = 200, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, json={"data": data if data is not None else {"ok": True}}, **kwargs)


def api_error(status: int, message: str, key: str | None = None, **kwargs: Any) -> httpx.Response:
    body: dict[str, Any] = {"status": status, "message": message, "metadata": {}}
    if key:
        body["key"] = key
    return httpx.Response(status, json=body, **kwargs)


# 1. Retry-After in seconds


async def test_429_with_retry_after_waits_exactly_and_returns_data(sleep: FakeSleep) -> None:
    handler, seen = scripted(
        api_error(429, "slow down", "rate_limited", headers={"Retry-After": "2"}),
        ok({"id": "conn-1"}),
    )
    async with make_client(handler, sleep) as client:
        result = await client.request("GET", "/api/connections/conn-1", credentials=BEARER)

    assert sleep.waits == [2.0]
    assert len(seen) == 2
    assert result.status == 200
    assert result.data == {"data": {"id": "conn-1"}}
    assert result.attempts == 2


# 2. Retry-After-Ms, X-RateLimit-Reset, HTTP-date Retry-After


async def test_retry_after_ms_is_honoured(sleep: FakeSleep) -> None:
    handler, _ = scripted(httpx.Response(429, headers={"Retry-After-Ms": "1500"}), ok())
    async with make_client(handler, sleep) as client:
        result = await client.request("GET", "/api/me", credentials=BEARER)
    assert sleep.waits == [1.5]
    assert result.attempts == 2


async def test_x_ratelimit_reset_is_epoch_seconds_from_now(sleep: FakeSleep, pinned_clock: float) -> None:
    reset = str(int(pinned_clock) + 7)
    handler, _ = scripted(httpx.Response(429, headers={"X-RateLimit-Reset": reset}), ok())
    async with make_client(handler, sleep) as client:
        await client.request("GET", "/api/me", credentials=BEARER)
    assert sleep.waits == [7.0]


async def test_x_ratelimit_reset_against_the_real_clock(sleep: FakeSleep) -> None:
    reset = str(int(time.time()) + 5)
    handler, _ = scripted(httpx.Response(503, headers={"X-RateLimit-Reset": reset}), ok())
    async with make_client(handler, sleep) as client:
        await client.request("GET", "/api/me", credentials=BEARER)
    assert len(sleep.waits) == 1
    assert 3.5 <= sleep.waits[0] <= 5.0


async def test_retry_after_http_date(sleep: FakeSleep, pinned_clock: float) -> None:
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(pinned_clock + 12))
    handler, _ = scripted(httpx.Response(503, headers={"Retry-After": date}), ok())
    async with make_client(handler, sleep) as client:
        await client.request("GET", "/api/me", credentials=BEARER)
    assert sleep.waits == [12.0]


async def test_retry_after_ms_wins_over_retry_after(sleep: FakeSleep) -> None:
    handler, _ = scripted(httpx.Response(429, headers={"Retry-After": "3", "Retry-After-Ms": "250"}), ok())
    async with make_client(handler, sleep) as client:
        await client.request("GET", "/api/me", credentials=BEARER)
    assert sleep.waits == [0.25]


async def test_rate_limit_reset_in_the_past_falls_back_to_backoff(
    sleep: FakeSleep, pinned_clock: float, max_jitter: None
) -> None:
    stale = str(int(pinned_clock) - 30)
    handler, _ = scripted(httpx.Response(429, headers={"X-RateLimit-Reset": stale}), ok())
    async with make_client(handler, sleep, backoff_base=0.5) as client:
        await client.request("GET", "/api/me", credentials=BEARER)
    assert sleep.waits == [0.5]


# 3. Exponential backoff with full jitter, capped


async def test_503_twice_then_success_with_bounded_backoff(sleep: FakeSleep) -> None:
    handler, seen = scripted(httpx.Response(503), httpx.Response(503), ok({"id": "m-1"}))
    async with make_client(handler, sleep, backoff_base=0.5, backoff_cap=0.8) as client:
        result = await client.request("GET", "/api/models/m-1", credentials=BEARER)

    assert result.attempts == 3
    assert len(seen) == 3
    assert result.data == {"data": {"id": "m-1"}}
    assert len(sleep.waits) == 2
    assert 0 <= sleep.waits[0] <= 0.5  # first window: backoff_base
    assert 0 <= sleep.waits[1] <= 0.8  # second window (1.0) clipped to the cap


async def test_backoff_window_doubles_up_to_the_cap(sleep: FakeSleep, max_jitter: None) -> None:
    handler, _ = scripted(*[httpx.Response(500)] * 6, ok())
    async with make_client(
        handler, sleep, max_retries=6, backoff_base=0.5, backoff_cap=3.0, retry_budget=1000
    ) as client:
        result = await client.request("GET", "/api/me", credentials=BEARER)
    assert result.attempts == 7
    assert sleep.waits == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


async def test_backoff_jitter_stays_within_bounds(sleep: FakeSleep) -> None:
    handler, _ = scripted(*[httpx.Response(502)] * 8, ok())
    async with make_client(handler, sleep, max_retries=8, backoff_base=1.0, backoff_cap=2.0) as client:
        await client.request("GET", "/api/me", credentials=BEARER)
    assert len(sleep.waits) == 8
    assert all(0 <= wait <= 2.0 for wait in sleep.waits)


# 4. Dropped connections and connect failures


@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ConnectError("[Errno 104] Connection reset by peer"),
        httpx.ReadError("connection reset"),
    ],
    ids=["remote-protocol", "connect", "read"],
)
async def test_transport_failure_then_success(sleep: FakeSleep, failure: Exception) -> None:
    handler, seen = scripted(failure, ok({"id": "s-1"}))
    async with make_client(handler, sleep) as client:
        result = await client.request("GET", "/api/syncs/s-1", credentials=BEARER)
    assert result.data == {"data": {"id": "s-1"}}
    assert result.attempts == 2
    assert len(seen) == 2
    assert len(sleep.waits) == 1


# 5. One idempotency key per logical call


class CreateServer:
    """A tiny Polytomic stand-in that stores creates per Idempotency-Key and replays them."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures  # per attempt: "gateway-503", "drop-after-create", or "ok"
        self.created: dict[str, dict[str, Any]] = {}
        self.keys: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("Idempotency-Key")
        self.keys.append(key)
        mode = self.failures[len(self.keys) - 1] if len(self.keys) <= len(self.failures) else "ok"
        if request.method == "GET":
            return httpx.Response(200, json={"data": list(self.created.values())})
        if mode == "gateway-503":  # never reached the application
            return httpx.Response(503, text="upstream unavailable")
        assert key is not None
        if key not in self.created:
            self.created[key] = {"id": f"model-{len(self.created) + 1}", "name": "contacts"}
        if mode == "drop-after-create":  # created, but the answer was lost
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(201, json={"data": self.created[key]})


@pytest.mark.parametrize(
    "failures",
    [["gateway-503"], ["drop-after-create", "gateway-503"]],
    ids=["503-then-ok", "lost-answer-then-503-then-ok"],
)
async def test_retried_create_reuses_its_key_and_creates_once(sleep: FakeSleep, failures: list[str]) -> None:
    server = CreateServer(failures)
    async with make_client(server, sleep) as client:
        result = await client.request("POST", "/api/models", credentials=BEARER, json={"name": "contacts"})

    assert result.status == 201
    assert result.attempts == len(failures) + 1
    assert len(server.keys) == len(failures) + 1
    assert len(set(server.keys)) == 1
    key = server.keys[0]
    assert key is not None and len(key) >= 8
    assert len(server.created) == 1
    assert result.data == {"data": server.created[key]}


async def test_each_logical_call_gets_a_fresh_key_and_get_sends_none(sleep: FakeSleep) -> None:
    server = CreateServer([])
    async with make_client(server, sleep) as client:
        await client.request("POST", "/api/models", credentials=BEARER, json={"name": "a"})
        await client.request("POST", "/api/models", credentials=BEARER, json={"name": "b"})
        await client.request("GET", "/api/models", credentials=BEARER)
    first, second, get = server.keys
    assert first and second and first != second
    assert get is None
    assert len(server.created) == 2


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_every_non_get_method_carries_a_key(sleep: FakeSleep, method: str) -> None:
    handler, seen = scripted(httpx.Response(503), httpx.Response(204))
    async with make_client(handler, sleep) as client:
        result = await client.request(method, "/api/models/m-1", credentials=BEARER)
    keys = [r.headers.get("Idempotency-Key") for r in seen]
    assert keys[0] is not None and keys == [keys[0], keys[0]]
    assert result.status == 204 and result.data is None


async def test_caller_supplied_idempotency_key_is_used(sleep: FakeSleep) -> None:
    handler, seen = scripted(httpx.Response(500), ok())
    async with make_client(handler, sleep) as client:
        await client.request("POST", "/api/syncs/s-1/executions", credentials=BEARER, idempotency_key="run-s1-0001")
    assert [r.headers["Idempotency-Key"] for r in seen] == ["run-s1-0001", "run-s1-0001"]


async def test_invalid_idempotency_key_is_refused_before_sending(sleep: FakeSleep) -> None:
    handler, seen = scripted(ok())
    async with make_client(handler, sleep) as client:
        with pytest.raises(ValueError, match="idempotency_key"):
            await client.request("POST", "/api/models", credentials=BEARER, idempotency_key="no spaces!")
    assert seen == []


# 6. 409 while the first request with the key is still in flight


async def test_409_in_flight_then_replay_succeeds_with_same_key(sleep: FakeSleep) -> None:
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        if len(keys) == 1:
            return httpx.Response(409, json={"message": "request in flight", "key": "idempotency_conflict"})
        return httpx.Response(201, json={"data": {"id": "conn-9"}})

    async with make_client(handler, sleep) as client:
        result = await client.request("POST", "/api/connections", credentials=BEARER, json={"name": "gcs"})

    assert result.status == 201
    assert result.data == {"data": {"id": "conn-9"}}
    assert result.attempts == 2
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(sleep.waits) == 1


# 7. Retries exhausted


async def test_exhausted_retries_raise_the_last_error_body(sleep: FakeSleep) -> None:
    handler, seen = scripted(api_error(503, "query runner is not configured", "feature_unavailable"))
    async with make_client(handler, sleep, max_retries=2) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("POST", "/api/queries/c-1", credentials=BEARER, json={"query": "select 1"})

    error = caught.value
    assert error.status == 503
    assert error.message == "query runner is not configured"
    assert error.key == "feature_unavailable"
    assert error.metadata == {}
    assert error.method == "POST" and error.path == "/api/queries/c-1"
    assert error.attempts == 3 == len(seen)
    assert error.retryable
    assert len(sleep.waits) == 2
    assert str(error) == (
        "POST /api/queries/c-1 -> 503 (feature_unavailable): query runner is not configured [3 attempts]"
    )


async def test_max_retries_zero_makes_one_attempt(sleep: FakeSleep) -> None:
    handler, seen = scripted(httpx.Response(500))
    async with make_client(handler, sleep, max_retries=0) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("GET", "/api/me", credentials=BEARER)
    assert caught.value.attempts == 1 and len(seen) == 1
    assert caught.value.message == "Internal Server Error"
    assert sleep.waits == []


# 8. Errors that are not retried


@pytest.mark.parametrize(
    ("status", "message", "key", "metadata"),
    [
        (400, "cache refresh in progress", "bad_request", {}),
        (404, "connection not found", "not_found", {"id": "c-404"}),
        (422, "field 'Foo' not found", "invalid_mapping", {"fields": ["Foo"]}),
    ],
)
async def test_client_errors_are_not_retried(
    sleep: FakeSleep, status: int, message: str, key: str, metadata: dict[str, Any]
) -> None:
    body = {"status": status, "message": message, "key": key, "metadata": metadata}
    handler, seen = scripted(httpx.Response(status, json=body))
    async with make_client(handler, sleep) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("POST", "/api/syncs", credentials=BEARER, json={"name": "x"})

    error = caught.value
    assert (error.status, error.message, error.key, error.metadata) == (status, message, key, metadata)
    assert error.attempts == 1 and len(seen) == 1
    assert not error.retryable
    assert error.retry_after is None
    assert sleep.waits == []
    assert str(error) == f"POST /api/syncs -> {status} ({key}): {message}"


async def test_legacy_error_shape_is_understood(sleep: FakeSleep) -> None:
    handler, _ = scripted(httpx.Response(403, json={"error": {"message": "partner key required"}}))
    async with make_client(handler, sleep) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("GET", "/api/organizations", credentials=BEARER)
    assert caught.value.status == 403
    assert caught.value.message == "partner key required"
    assert caught.value.key is None
    assert str(caught.value) == "GET /api/organizations -> 403: partner key required"


async def test_metadata_list_from_older_shape_is_kept(sleep: FakeSleep) -> None:
    body = {"message": "invalid", "status_code": 400, "metadata": [{"field": "name"}]}
    handler, _ = scripted(httpx.Response(400, json=body))
    async with make_client(handler, sleep) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("GET", "/api/models", credentials=BEARER)
    assert caught.value.metadata == {"details": [{"field": "name"}]}


async def test_non_json_error_body_becomes_a_short_message(sleep: FakeSleep) -> None:
    page = "   <html><body>" + "Bad gateway " * 40 + "</body></html>\n"
    handler, _ = scripted(httpx.Response(502, text=page, headers={"Content-Type": "text/html"}))
    async with make_client(handler, sleep, max_retries=0) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("GET", "/api/me", credentials=BEARER)
    assert caught.value.status == 502
    assert caught.value.message.startswith("<html><body>Bad gateway Bad gateway")
    assert len(caught.value.message) == 200
    assert caught.value.key is None and caught.value.metadata == {}


# 9. The retry budget


async def test_retry_after_longer_than_budget_stops_at_once(sleep: FakeSleep) -> None:
    handler, seen = scripted(api_error(429, "12 questions per minute", "rate_limited", headers={"Retry-After": "120"}))
    async with make_client(handler, sleep, retry_budget=45) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("POST", "/api/operations/search", credentials=BEARER, json={"q": "x"})
    error = caught.value
    assert sleep.waits == []
    assert len(seen) == 1 and error.attempts == 1
    assert error.status == 429 and error.key == "rate_limited"
    assert error.retry_after == 120.0
    assert "retry after 120s" in str(error)


async def test_budget_counts_every_wait(sleep: FakeSleep) -> None:
    handler, seen = scripted(httpx.Response(503, headers={"Retry-After": "10"}))
    async with make_client(handler, sleep, max_retries=10, retry_budget=25) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("GET", "/api/me", credentials=BEARER)
    # 10 + 10 fit in 25 s; a third 10 s wait would not.
    assert sleep.waits == [10.0, 10.0]
    assert len(seen) == 3 and caught.value.attempts == 3
    assert caught.value.retry_after == 10.0


async def test_budget_stop_on_backoff_reports_the_wait_it_skipped(sleep: FakeSleep, max_jitter: None) -> None:
    handler, _ = scripted(httpx.Response(500))
    async with make_client(handler, sleep, max_retries=10, backoff_base=2, backoff_cap=100, retry_budget=10) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("GET", "/api/me", credentials=BEARER)
    assert sleep.waits == [2.0, 4.0]  # the next window (8 s) would cross the 10 s budget
    assert caught.value.retry_after == 8.0


async def test_attempt_timeout_shrinks_to_what_is_left_of_the_budget(sleep: FakeSleep) -> None:
    read_timeouts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        read_timeouts.append(request.extensions["timeout"]["read"])
        if len(read_timeouts) == 1:
            return httpx.Response(429, headers={"Retry-After": "20"})
        return ok()

    async with make_client(handler, sleep, timeout=30, retry_budget=45) as client:
        await client.request("GET", "/api/me", credentials=BEARER)
    assert read_timeouts[0] == 30
    assert 24 < read_timeouts[1] <= 25


# 10. Query encoding


def test_encode_query_conventions() -> None:
    pairs = encode_query(
        {
            "ids": ["a", "b"],
            "params": {"bucket": "b1", "tags": ["x", "y"], "deep": {"k": 1}, "none": None},
            "async": True,
            "only_terminal": False,
            "skip": None,
            "limit": 10,
        }
    )
    assert pairs == [
        ("ids", "a"),
        ("ids", "b"),
        ("params[bucket]", "b1"),
        ("params[tags]", "x"),
        ("params[tags]", "y"),
        ("params[deep][k]", "1"),
        ("async", "true"),
        ("only_terminal", "false"),
        ("limit", "10"),
    ]


async def test_query_reaches_the_wire_encoded(sleep: FakeSleep) -> None:
    handler, seen = scripted(ok())
    query = {"ids": ["m1", "m2"], "properties": {"object": "Contact"}, "ascending": True, "page_token": None}
    async with make_client(handler, sleep) as client:
        await client.request("GET", "/api/connections/c-1/modelsync/target/fields", credentials=BEARER, query=query)
    url = seen[0].url
    assert url.path == "/api/connections/c-1/modelsync/target/fields"
    assert url.params.multi_items() == [
        ("ids", "m1"),
        ("ids", "m2"),
        ("properties[object]", "Contact"),
        ("ascending", "true"),
    ]
    assert b"properties%5Bobject%5D=Contact" in url.query
    assert b"page_token" not in url.query


# 11. Headers, auth forms, base URL


async def test_bearer_version_accept_and_user_agent_headers(sleep: FakeSleep) -> None:
    handler, seen = scripted(ok())
    async with make_client(handler, sleep, api_version="2024-02-08") as client:
        await client.request("POST", "/api/models", credentials=BEARER, json={"name": "n"})
    headers = seen[0].headers
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["X-Polytomic-Version"] == "2024-02-08"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("polytomic-mcp/")
    assert headers["Content-Type"] == "application/json"
    assert seen[0].content == b'{"name":"n"}'


async def test_default_api_version_is_2025_09_18(sleep: FakeSleep) -> None:
    handler, seen = scripted(ok())
    async with make_client(handler, sleep) as client:
        await client.request("GET", "/api/me", credentials=BEARER)
    assert seen[0].headers["X-Polytomic-Version"] == "2025-09-18"


async def test_partner_credentials_send_basic_org_and_key(sleep: FakeSleep) -> None:
    handler, seen = scripted(ok())
    async with make_client(handler, sleep) as client:
        await client.request("GET", "/api/connections", credentials=PARTNER)
    authorization = seen[0].headers["Authorization"]
    assert authorization == f"Basic {BASIC_TOKEN}"
    assert base64.b64decode(authorization.split()[1]).decode() == f"{ORG_ID}:{API_KEY}"


async def test_extra_headers_pass_but_cannot_replace_authorization(sleep: FakeSleep) -> None:
    handler, seen = scripted(ok())
    extra = {"X-Polytomic-Harbor-Session": "hs-1", "Authorization": "Bearer someone-else"}
    async with make_client(handler, sleep) as client:
        await client.request("GET", "/api/harbors", credentials=BEARER, headers=extra)
    assert seen[0].headers["X-Polytomic-Harbor-Session"] == "hs-1"
    assert seen[0].headers.get_list("Authorization") == [f"Bearer {API_KEY}"]


@pytest.mark.parametrize(
    ("configured", "expected_url"),
    [
        ("polytomic.example.com", "https://polytomic.example.com/api/me"),
        ("https://polytomic.example.com/", "https://polytomic.example.com/api/me"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/api/me"),
        ("https://corp.example.com/polytomic/", "https://corp.example.com/polytomic/api/me"),
    ],
)
async def test_base_url_forms(sleep: FakeSleep, configured: str, expected_url: str) -> None:
    handler, seen = scripted(ok())
    async with make_client(handler, sleep, base_url=configured) as client:
        await client.request("GET", "/api/me", credentials=BEARER)
    assert str(seen[0].url) == expected_url


def test_normalize_base_url() -> None:
    assert normalize_base_url("  app.polytomic.com/ ") == "https://app.polytomic.com"
    with pytest.raises(ValueError):
        normalize_base_url("  ")


@pytest.mark.parametrize("path", ["https://evil.example.com/api/me", "//evil.example.com/api/me", "api/me"])
async def test_absolute_or_relative_paths_are_refused(sleep: FakeSleep, path: str) -> None:
    handler, seen = scripted(ok())
    async with make_client(handler, sleep) as client:
        with pytest.raises(ValueError, match="path"):
            await client.request("GET", path, credentials=BEARER)
    assert seen == []


# 12. Secrets stay secret


def client_log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "polytomic_mcp.client"]


def assert_no_secret(text: str) -> None:
    for secret in (API_KEY, BASIC_TOKEN, f"{ORG_ID}:{API_KEY}"):
        assert secret not in text, f"secret leaked into: {text}"


async def test_secrets_never_surface_even_when_echoed(sleep: FakeSleep, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="polytomic_mcp.client")
    body = {
        "message": f"invalid key {API_KEY} (sent as Bearer {API_KEY})",
        "key": "unauthorized",
        "metadata": {"authorization": f"Bearer {API_KEY}", "seen": [API_KEY], API_KEY: "as a key"},
    }
    handler, seen = scripted(httpx.Response(401, json=body))
    async with make_client(handler, sleep) as client:
        with pytest.raises(PolytomicError) as caught:
            # The key is in the path and the query too: neither may reach the error or the log.
            await client.request("GET", f"/api/keys/{API_KEY}", credentials=BEARER, query={"token": API_KEY})

    assert seen[0].headers["Authorization"] == f"Bearer {API_KEY}"  # it was really sent
    error = caught.value
    assert error.status == 401
    assert error.message == "invalid key *** (sent as ***)"
    assert error.path == "/api/keys/***"
    assert error.metadata == {"authorization": "***", "seen": ["***"], "***": "as a key"}
    for text in (str(error), repr(error), error.message, repr(error.metadata), repr(error.args)):
        assert_no_secret(text)
    assert caplog.records, "expected one debug line per attempt"
    for record in caplog.records:
        assert_no_secret(record.getMessage())


async def test_partner_secrets_never_surface(sleep: FakeSleep, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="polytomic_mcp.client")
    failure = httpx.ConnectError(f"refused; header was Authorization: Basic {BASIC_TOKEN} for {ORG_ID}:{API_KEY}")
    handler, _ = scripted(failure)
    async with make_client(handler, sleep, max_retries=1) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("POST", "/api/models", credentials=PARTNER, json={"name": "x"})
    error = caught.value
    assert error.status is None
    assert error.message == "connection failed: refused; header was Authorization: *** for ***"
    for text in (str(error), repr(error), repr(error.__cause__), repr(error.__context__)):
        assert_no_secret(text)
    for record in caplog.records:
        assert_no_secret(record.getMessage())


async def test_plain_failures_and_responses_show_no_secrets(sleep: FakeSleep, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="polytomic_mcp.client")
    handler, _ = scripted(httpx.Response(500), ok({"id": "u-1"}))
    async with make_client(handler, sleep) as client:
        result = await client.request("GET", "/api/me", credentials=BEARER)
        assert_no_secret(repr(result) + str(result))
    handler, _ = scripted(httpx.Response(500))
    async with make_client(handler, sleep, max_retries=0) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("GET", "/api/me", credentials=PARTNER)
    assert_no_secret(str(caught.value) + repr(caught.value))
    lines = client_log_lines(caplog)
    assert len(lines) == 3
    assert [line.split(" in ")[0] for line in lines] == [
        "GET /api/me -> 500",
        "GET /api/me -> 200",
        "GET /api/me -> 500",
    ]
    assert all(line.endswith(f"(attempt {n})") for line, n in zip(lines, [1, 2, 1], strict=True))
    for line in lines:
        assert_no_secret(line)
        assert "Authorization" not in line and "Bearer" not in line and "Basic" not in line


def test_credentials_and_response_reprs_hide_the_key() -> None:
    response = ApiResponse(200, httpx.Headers({"X-Echo": API_KEY}), {"echo": API_KEY}, 1)
    assert_no_secret(repr(response))
    assert_no_secret(repr(PARTNER))


# 13. Cancellation


async def test_cancellation_cancels_the_request_and_stops_retrying(
    sleep: FakeSleep, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="polytomic_mcp.client")
    started: list[httpx.Request] = []
    cancelled: list[bool] = []
    finished: list[bool] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        started.append(request)
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            cancelled.append(True)
            raise
        finished.append(True)
        return ok()

    async with make_client(handler, sleep) as client:
        with anyio.move_on_after(0.05) as scope:
            await client.request("POST", "/api/syncs/s-1/executions", credentials=BEARER)
        assert scope.cancelled_caught
        await anyio.sleep(0.05)  # give a (wrongly) scheduled retry the chance to show up

    assert len(started) == 1
    assert cancelled == [True]
    assert finished == []
    assert sleep.waits == []
    assert [line.split(" in ")[0] for line in client_log_lines(caplog)] == [
        "POST /api/syncs/s-1/executions -> cancelled"
    ]


async def test_cancellation_during_a_retry_wait_makes_no_further_attempt() -> None:
    handler, seen = scripted(httpx.Response(503, headers={"Retry-After": "5"}), ok())
    # The real anyio.sleep here: the wait itself is what gets cancelled.
    client = PolytomicClient(base_url="https://app.polytomic.test", transport=httpx.MockTransport(handler))
    async with client:
        begun = time.monotonic()
        with anyio.move_on_after(0.1) as scope:
            await client.request("GET", "/api/me", credentials=BEARER)
        assert scope.cancelled_caught
        assert time.monotonic() - begun < 2
    assert len(seen) == 1


# 14. Timeouts


async def test_timeouts_every_time_become_a_status_less_error(sleep: FakeSleep) -> None:
    handler, seen = scripted(httpx.ReadTimeout("timed out"))
    async with make_client(handler, sleep, max_retries=2, timeout=30) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("GET", "/api/syncs", credentials=BEARER)
    error = caught.value
    assert error.status is None
    assert error.message == "timed out after 30s (waiting for the response)"
    assert error.attempts == 3 == len(seen)
    assert error.retryable
    assert len(sleep.waits) == 2
    assert str(error) == "GET /api/syncs -> timed out after 30s (waiting for the response) [3 attempts]"


async def test_non_transient_transport_failure_is_not_retried(sleep: FakeSleep) -> None:
    handler, seen = scripted(httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'."))
    async with make_client(handler, sleep) as client:
        with pytest.raises(PolytomicError) as caught:
            await client.request("GET", "/api/me", credentials=BEARER)
    assert caught.value.status is None
    assert not caught.value.retryable
    assert caught.value.message.startswith("request failed (UnsupportedProtocol)")
    assert len(seen) == 1 and sleep.waits == []


# Successful answers without JSON


async def test_204_has_no_data(sleep: FakeSleep) -> None:
    handler, _ = scripted(httpx.Response(204))
    async with make_client(handler, sleep) as client:
        result = await client.request("DELETE", "/api/models/m-1", credentials=BEARER)
    assert (result.status, result.data, result.attempts) == (204, None, 1)


async def test_302_is_returned_with_its_location_when_not_following(sleep: FakeSleep) -> None:
    location = "https://storage.example.com/logs/exec-1.json?sig=abc"
    handler, seen = scripted(httpx.Response(302, headers={"Location": location}))
    async with make_client(handler, sleep) as client:
        result = await client.request("GET", "/api/syncs/s-1/executions/e-1/logs/records", credentials=BEARER)
    assert result.status == 302
    assert result.headers["Location"] == location
    assert result.data is None
    assert len(seen) == 1


async def test_non_json_success_body_has_no_data(sleep: FakeSleep) -> None:
    handler, _ = scripted(httpx.Response(200, text="plain text", headers={"Content-Type": "text/plain"}))
    async with make_client(handler, sleep) as client:
        result = await client.request("GET", "/api/me", credentials=BEARER)
    assert result.status == 200 and result.data is None


# The error type on its own


def test_error_type_defaults_and_retryability() -> None:
    assert PolytomicError("x", status=429).retryable
    assert PolytomicError("x", status=504).retryable
    assert PolytomicError("x", status=408).retryable
    assert PolytomicError("x", status=409).retryable
    assert not PolytomicError("x", status=401).retryable
    assert PolytomicError("timed out after 1s").retryable
    assert not PolytomicError("bad url", transient=False).retryable
    error = PolytomicError("not found", status=404, method="GET", path="/api/models/m-9")
    assert str(error) == "GET /api/models/m-9 -> 404: not found"
    assert str(PolytomicError("not found", status=404)) == "404: not found"
    assert error.metadata == {} and error.attempts == 1 and error.retry_after is None


def test_client_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        PolytomicClient(base_url="https://x.example.com", timeout=0)
    with pytest.raises(ValueError):
        PolytomicClient(base_url="https://x.example.com", max_retries=-1)
