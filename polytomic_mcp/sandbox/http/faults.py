"""Injected failures per tenant, deterministic from a seed and the tenant's request number."""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from polytomic_mcp.sandbox.errors import bad_request
from polytomic_mcp.sandbox.state.store import Store


@dataclass(frozen=True)
class FaultConfig:
    """What goes wrong. Every field is off by default.

    ``rate_limit_every``: every Nth request answers 429 with ``Retry-After``.
    ``error_rate`` / ``error_status``: that share of requests answers ``error_status``.
    ``drop_every`` / ``drop_rate``: close the connection without an answer.
    ``lose_rate``: that share of requests is processed, then the connection closes before the
    answer is sent (the client cannot tell whether it happened; only idempotency keys help).
    ``latency_ms``: added to each request while it is processed (after its idempotency key is claimed).
    """

    seed: int = 0
    rate_limit_every: int = 0
    retry_after_seconds: int = 1
    error_rate: float = 0.0
    error_status: int = 503
    drop_every: int = 0
    drop_rate: float = 0.0
    lose_rate: float = 0.0
    latency_ms: int = 0

    @classmethod
    def from_json(cls, raw: Any) -> FaultConfig:
        if not isinstance(raw, dict):
            raise bad_request("fault settings must be a JSON object")
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise bad_request(f"unknown fault setting {unknown[0]!r}; known: {', '.join(known)}", unknown[0])
        values: dict[str, Any] = {}
        for name, value in raw.items():
            want_float = name in ("error_rate", "drop_rate", "lose_rate")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad_request(f"{name} must be a number", name)
            values[name] = float(value) if want_float else int(value)
        config = cls(**values)
        if not all(0 <= rate <= 1 for rate in (config.error_rate, config.drop_rate, config.lose_rate)):
            raise bad_request("rates are between 0 and 1")
        if not 500 <= config.error_status <= 599:
            raise bad_request("error_status must be a 5xx status", "error_status")
        if min(config.rate_limit_every, config.drop_every, config.latency_ms, config.retry_after_seconds) < 0:
            raise bad_request("counts and durations cannot be negative")
        return config


Outcome = Literal["ok", "rate_limited", "error", "drop", "lose"]


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    request_number: int
    config: FaultConfig


def _key(org: str) -> str:
    return f"tenant:{org}:faults"


def load(store: Store, org: str) -> FaultConfig:
    raw = store.get_meta(_key(org))
    return FaultConfig(**json.loads(raw)) if raw else FaultConfig()


def save(store: Store, org: str, config: FaultConfig) -> None:
    with store.transaction():
        store.set_meta(_key(org), json.dumps(asdict(config)))
        store.set_meta(f"tenant:{org}:request_number", "0")


def decide(store: Store, org: str) -> Decision:
    """Count this request and say what happens to it."""
    config = load(store, org)
    if config == FaultConfig():
        return Decision("ok", 0, config)
    with store.transaction():
        number = int(store.get_meta(f"tenant:{org}:request_number") or 0) + 1
        store.set_meta(f"tenant:{org}:request_number", str(number))
    rng = random.Random(f"{config.seed}:{number}")
    drop_roll, error_roll = rng.random(), rng.random()
    if (config.drop_every and number % config.drop_every == 0) or drop_roll < config.drop_rate:
        return Decision("drop", number, config)
    if config.rate_limit_every and number % config.rate_limit_every == 0:
        return Decision("rate_limited", number, config)
    if error_roll < config.error_rate:
        return Decision("error", number, config)
    if rng.random() < config.lose_rate:  # drawn last: the other outcomes stay what they were for a seed
        return Decision("lose", number, config)
    return Decision("ok", number, config)
