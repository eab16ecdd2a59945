"""The only code in polytomic-mcp that speaks HTTP to Polytomic.

One `PolytomicClient` holds one `httpx.AsyncClient` for the whole process. Every call
gets the auth and version headers, an `Idempotency-Key` when it is not a GET (one key
per logical call, reused by its retries, so a retried create never creates twice),
retries of transient failures inside a time budget, and a single error type,
`PolytomicError`. Credentials never reach an exception, a repr or a log line.
"""

from __future__ import annotations

import logging
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from polytomic_mcp import __version__
from polytomic_mcp.catalog import load_catalog
from polytomic_mcp.errors import UpstreamError, UserInputError
from polytomic_mcp.settings import Credentials

if TYPE_CHECKING:
    # httpx and tenacity are imported on the first request, not at start-up: together they
    # take ~30 ms to import, which a server should not pay before it lists its tools.
    import httpx
    from tenacity import RetryCallState

logger = logging.getLogger("polytomic_mcp.client")

DEFAULT_USER_AGENT = f"polytomic-mcp/{__version__}"
RETRYABLE_STATUSES = frozenset({408, 409, 429})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Polytomic's key rules: 8-255 letters, digits, '-' or '_'.
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,255}")
_SNIPPET = 200
_MASK = "***"


class PolytomicError(UpstreamError):
    """The one error type for every failed API call.

    `status` is None for transport failures and timeouts. `retry_after` is the wait the
    server asked for; when the retry budget ran out it is the wait that did not fit.
    `operation` is the tool name of the operation that failed, set by whoever sent it.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
        attempts: int = 1,
        transient: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.key = key
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.method = method
        self.path = path
        self.retry_after = retry_after
        self.attempts = attempts
        self.operation: str | None = None
        # Only meaningful without a status: a timeout is worth retrying, a bad URL is not.
        self._transient = transient

    @property
    def retryable(self) -> bool:
        if self.status is None:
            return self._transient
        return self.status in RETRYABLE_STATUSES or self.status >= 500

    def __str__(self) -> str:
        where = f"{self.method} {self.path} -> ".lstrip() if self.method or self.path else ""
        if self.status is None:
            text = f"{where}{self.message}"
        else:
            key = f" ({self.key})" if self.key else ""
            text = f"{where}{self.status}{key}: {self.message}"
        notes = []
        if self.attempts > 1:
            notes.append(f"{self.attempts} attempts")
        if self.retry_after is not None:
            notes.append(f"retry after {_seconds(self.retry_after)}s")
        return f"{text} [{'; '.join(notes)}]" if notes else text

    def __repr__(self) -> str:
        return (
            f"PolytomicError(status={self.status!r}, key={self.key!r}, method={self.method!r}, "
            f"path={self.path!r}, attempts={self.attempts!r}, retry_after={self.retry_after!r}, "
            f"message={self.message!r})"
        )


class RequestNotSentError(UserInputError):
    """A request that cannot be put on the wire as asked (the tools check their arguments first)."""


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: httpx.Headers
    data: Any  # decoded JSON body, or None when there is no body / it is not JSON
    attempts: int

    def __repr__(self) -> str:
        # The body is the caller's business (and may be large); keep it out of reprs.
        return f"ApiResponse(status={self.status}, attempts={self.attempts}, data={type(self.data).__name__})"


def normalize_base_url(base_url: str) -> str:
    """`polytomic.example.com` → `https://polytomic.example.com` (as the terraform provider does)."""
    url = base_url.strip().rstrip("/")
    if not url:
        raise ValueError("base_url must not be empty")
    return url if "://" in url else f"https://{url}"


def encode_query(query: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query pairs in the catalog's conventions.

    Lists repeat the key, mappings are deep-object (`params[key]=value`), booleans are
    `true`/`false`, None is left out.
    """
    pairs: list[tuple[str, str]] = []
    for name, value in query.items():
        _encode_into(pairs, str(name), value)
    return pairs


def _encode_into(pairs: list[tuple[str, str]], name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for sub, item in value.items():
            _encode_into(pairs, f"{name}[{sub}]", item)
    elif isinstance(value, list | tuple):
        for item in value:
            _encode_into(pairs, name, item)
    else:
        pairs.append((name, _scalar(value)))


def _scalar(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class _Redactor:
    """Masks a call's secrets (key, Authorization value, Basic token) in text we surface."""

    def __init__(self, credentials: Credentials) -> None:
        authorization = credentials.authorization()
        candidates = {authorization, authorization.partition(" ")[2], credentials.api_key}
        if credentials.partner_org_id:
            candidates.add(f"{credentials.partner_org_id}:{credentials.api_key}")
        self._secrets = sorted((s for s in candidates if s), key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, _MASK)
        return value

    def deep(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value


@dataclass
class _Call:
    """One logical API call: what to send, and the time its attempts and waits used."""

    method: str
    path: str  # as sent (may carry a query string)
    shown_path: str  # without query, secrets masked: what errors and logs show
    params: tuple[tuple[str, str], ...] | None
    json: Any
    headers: dict[str, str]
    follow_redirects: bool
    redactor: _Redactor
    sleep: Callable[[float], Awaitable[None]]
    attempts: int = 0
    active: float = 0.0  # seconds spent inside attempts
    waited: float = 0.0  # seconds spent waiting between attempts
    last_timeout: float = 0.0  # the timeout the latest attempt ran with
    pending_failure: PolytomicError | None = None  # the first attempt's failure, handed to the retry loop

    @property
    def spent(self) -> float:
        # Attempts plus requested waits, so an injected fake sleep still counts.
        return self.active + self.waited

    async def wait(self, seconds: float) -> None:
        self.waited += seconds
        await self.sleep(seconds)


class PolytomicClient:
    """Async client for the Polytomic REST API, shared by every tool call in the process."""

    def __init__(
        self,
        *,
        base_url: str,
        api_version: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        retry_budget: float = 45.0,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        if timeout <= 0 or retry_budget <= 0 or max_retries < 0 or backoff_base < 0 or backoff_cap < 0:
            raise ValueError("timeout and retry_budget must be positive; retries and backoff not negative")
        self.base_url = normalize_base_url(base_url)
        self.api_version = api_version or load_catalog().default_api_version
        self._timeout = timeout
        self._max_retries = max_retries
        self._retry_budget = retry_budget
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._sleep: Callable[[float], Awaitable[None]] = sleep or anyio.sleep
        self._transport = transport
        self._user_agent = user_agent
        self._client: httpx.AsyncClient | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        """The one shared httpx client, made on first use: building it loads TLS certificates
        (about 25 ms), which a server should not pay before it can list its tools."""
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                transport=self._transport,
                timeout=self._timeout,
                follow_redirects=False,
                headers={
                    "X-Polytomic-Version": self.api_version,
                    "Accept": "application/json",
                    "User-Agent": self._user_agent,
                },
            )
        return self._client

    async def request(
        self,
        method: str,
        path: str,
        *,
        credentials: Credentials,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        follow_redirects: bool = False,
    ) -> ApiResponse:
        """Send one API call (with retries); raise PolytomicError unless it succeeded.

        A 3xx is an answer, not a failure, when redirects are not followed (the logs
        route answers with a 302 to the log file).
        """
        redactor = _Redactor(credentials)
        if not path.startswith("/") or path.startswith("//"):
            # An absolute URL would send the caller's credentials to another host.
            raise ValueError(f"path must start with a single '/', got {redactor.text(path)!r}")
        method = method.upper()
        call = _Call(
            method=method,
            path=path,
            shown_path=redactor.text(path.partition("?")[0]),
            params=tuple(encode_query(query)) if query else None,
            json=json,
            headers=self._headers(method, credentials, headers, idempotency_key),
            follow_redirects=follow_redirects,
            redactor=redactor,
            sleep=self._sleep,
        )
        # The first attempt runs on its own: most calls succeed, and tenacity's set-up costs
        # about 45 µs a call, half of this client's overhead on a loopback request.
        try:
            return await self._attempt(call)
        except PolytomicError as failure:
            if not _is_retryable(failure) or self._max_retries == 0:
                raise
            call.pending_failure = failure
        # tenacity runs the retries; the policy (what to retry, how long to wait, when the
        # budget is spent) lives in the three small methods below.
        from tenacity import AsyncRetrying, retry_if_exception

        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            wait=self._wait,
            stop=lambda state: self._stop(call, state),
            sleep=call.wait,
            reraise=True,
        )
        response: ApiResponse = await retrying(self._retry_attempt, call)
        return response

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> PolytomicClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _headers(
        self,
        method: str,
        credentials: Credentials,
        extra: Mapping[str, str] | None,
        idempotency_key: str | None,
    ) -> dict[str, str]:
        headers: dict[str, str] = {}
        for name, value in (extra or {}).items():
            lowered = name.lower()
            if lowered == "idempotency-key":
                idempotency_key = idempotency_key or value
            elif lowered != "authorization":  # who we are comes from the credentials only
                headers[name] = value
        headers["Authorization"] = credentials.authorization()
        if method not in SAFE_METHODS:
            key = idempotency_key or uuid.uuid4().hex
            if not _IDEMPOTENCY_KEY.fullmatch(key):
                raise ValueError("idempotency_key must be 8-255 letters, digits, '-' or '_'")
            headers["Idempotency-Key"] = key
        return headers

    async def _retry_attempt(self, call: _Call) -> ApiResponse:
        """tenacity's first round replays the failure already seen, so it waits before sending again."""
        failure, call.pending_failure = call.pending_failure, None
        if failure is not None:
            raise failure
        return await self._attempt(call)

    async def _attempt(self, call: _Call) -> ApiResponse:
        call.attempts += 1
        # No single attempt may outlive what is left of the budget.
        call.last_timeout = max(min(self._timeout, self._retry_budget - call.spent), 0.001)
        outcome = await self._send(call)
        if isinstance(outcome, PolytomicError):
            # Raised here, outside any `except`, so the httpx exception (which may quote
            # the request) is not even kept as __context__.
            raise outcome
        status = outcome.status_code
        if 200 <= status < 300 or (300 <= status < 400 and not call.follow_redirects):
            return ApiResponse(status, outcome.headers, _decode(outcome), call.attempts)
        raise _status_error(call, outcome)

    async def _send(self, call: _Call) -> httpx.Response | PolytomicError:
        import httpx

        unsendable: str | None = None
        try:
            request = self._http.build_request(
                call.method,
                call.path,
                params=call.params,
                json=call.json,
                headers=call.headers,
                timeout=call.last_timeout,
            )
        except httpx.InvalidURL:
            unsendable = "its URL is longer than HTTP allows"
        except UnicodeEncodeError:
            unsendable = "a header value is not ASCII text"
        if unsendable is not None:  # raised outside the `except`: the httpx error may quote the request
            raise RequestNotSentError(f"{call.method} {call.shown_path} was not sent: {unsendable}.")
        started = time.monotonic()
        try:
            response = await self._http.send(request, follow_redirects=call.follow_redirects)
        except httpx.RequestError as exc:
            _log(call, type(exc).__name__, started)
            return _transport_error(call, exc)
        except anyio.get_cancelled_exc_class():
            _log(call, "cancelled", started)
            raise
        finally:
            call.active += time.monotonic() - started
        _log(call, str(response.status_code), started)
        return response

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, PolytomicError) and error.retry_after is not None:
            return error.retry_after
        from tenacity import wait_random_exponential

        return float(wait_random_exponential(multiplier=self._backoff_base, max=self._backoff_cap)(state))

    def _stop(self, call: _Call, state: RetryCallState) -> bool:
        if call.attempts > self._max_retries:
            return True
        if call.spent + state.upcoming_sleep <= self._retry_budget:
            return False
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, PolytomicError) and error.retry_after is None:
            error.retry_after = state.upcoming_sleep  # tell the caller how long it would have waited
        return True


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, PolytomicError) and exc.retryable


def _log(call: _Call, outcome: str, started: float) -> None:
    elapsed_ms = (time.monotonic() - started) * 1000
    logger.debug(
        "%s %s -> %s in %.0f ms (attempt %d)",
        call.method,
        call.shown_path,
        outcome,
        elapsed_ms,
        call.attempts,
    )


def _decode(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
        return None


def _status_error(call: _Call, response: httpx.Response) -> PolytomicError:
    message, key, metadata = _error_fields(response)
    return PolytomicError(
        call.redactor.text(message),
        status=response.status_code,
        key=call.redactor.text(key) if key else None,
        metadata=call.redactor.deep(metadata),
        method=call.method,
        path=call.shown_path,
        retry_after=server_wait(response.headers),
        attempts=call.attempts,
    )


def _error_fields(response: httpx.Response) -> tuple[str, str | None, dict[str, Any]]:
    """Polytomic's `{status, message, key, metadata}`, the legacy `{"error": {...}}`, or text."""
    fallback = response.reason_phrase or f"HTTP {response.status_code}"
    body = _decode(response)
    if not isinstance(body, dict):
        snippet = " ".join(response.text.split())[:_SNIPPET]
        return snippet or fallback, None, {}
    legacy = body.get("error")
    if isinstance(legacy, dict) and "message" not in body:
        body = legacy
    elif isinstance(legacy, str) and "message" not in body:
        body = {"message": legacy}
    message = body.get("message")
    key = body.get("key")
    metadata = body.get("metadata")
    if isinstance(metadata, list):  # an older shape carried a list of details
        metadata = {"details": metadata}
    return (
        str(message) if message else fallback,
        str(key) if key else None,
        metadata if isinstance(metadata, dict) else {},
    )


def _transport_error(call: _Call, exc: httpx.RequestError) -> PolytomicError:
    import httpx

    detail = call.redactor.text(str(exc).strip())[:_SNIPPET] or type(exc).__name__
    transient = True
    if isinstance(exc, httpx.TimeoutException):
        phase = _timeout_phase(exc)
        message = f"timed out after {_seconds(call.last_timeout)}s ({phase})"
    elif isinstance(exc, httpx.ConnectError):
        message = f"connection failed: {detail}"
    elif isinstance(exc, httpx.RemoteProtocolError):
        message = f"connection dropped by the server: {detail}"
    elif isinstance(exc, httpx.ReadError):
        message = f"connection lost while reading the response: {detail}"
    elif isinstance(exc, httpx.WriteError):
        message = f"connection lost while sending the request: {detail}"
    elif isinstance(exc, httpx.NetworkError):
        message = f"network error: {detail}"
    elif isinstance(exc, httpx.LocalProtocolError):  # its text quotes the offending header, which may be a secret
        message = "request failed: it is not valid HTTP (a header value with control characters?)"
        transient = False
    else:  # bad URL scheme, too many redirects: retrying won't help
        message = f"request failed ({type(exc).__name__}): {detail}"
        transient = False
    return PolytomicError(
        message,
        method=call.method,
        path=call.shown_path,
        attempts=call.attempts,
        transient=transient,
    )


def _timeout_phase(exc: httpx.TimeoutException) -> str:
    import httpx

    phases: dict[type[Exception], str] = {
        httpx.ConnectTimeout: "connecting",
        httpx.ReadTimeout: "waiting for the response",
        httpx.WriteTimeout: "sending the request",
        httpx.PoolTimeout: "waiting for a free connection",
    }
    return phases.get(type(exc), "timeout")


def server_wait(headers: httpx.Headers) -> float | None:
    """Seconds the server asked us to wait: Retry-After-Ms, Retry-After, else X-RateLimit-Reset."""
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        return max(millis / 1000, 0.0)
    retry_after = headers.get("retry-after")
    if retry_after:
        seconds = _number(retry_after)
        if seconds is not None:
            return max(seconds, 0.0)
        moment = _http_date(retry_after)
        if moment is not None:
            return max(moment - _now(), 0.0)
    reset = _number(headers.get("x-ratelimit-reset"))
    if reset is not None:
        wait = reset - _now()
        if wait > 0:  # a reset already past says nothing about how long to wait
            return wait
    return None


def _http_date(value: str) -> float | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # HTTP dates are GMT
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _now() -> float:
    """Wall-clock seconds (a seam so tests can pin the clock for X-RateLimit-Reset)."""
    return time.time()


def _seconds(value: float) -> str:
    return f"{round(value, 1):g}"
