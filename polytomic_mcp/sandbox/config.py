"""Settings of one sandbox instance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ClockMode = Literal["real", "step"]


@dataclass(frozen=True)
class SandboxConfig:
    """How a sandbox stores state, what world it starts with and how fast time moves.

    Durations are real seconds in ``real`` clock mode and simulated seconds in ``step`` mode,
    where time only moves when the admin surface says so or by ``step_seconds`` per API request.
    """

    db_path: str | None = None
    seed: str | Path | dict[str, Any] | None = None
    clock: ClockMode = "real"
    schema_cache_seconds: float = 1.5
    execution_queue_seconds: float = 0.5
    execution_run_seconds: float = 2.0
    job_seconds: float = 0.5
    step_seconds: float = 1.0
    public_base_url: str | None = None


DEFAULT_CONFIG = SandboxConfig()
