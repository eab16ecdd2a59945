"""Bounded polling: a deadline, backoff between polls, progress to the client.

Every waiting tool returns before its deadline with whatever state it has, so a client's
request timeout (usually 60 s) is never hit. Polls start at the configured interval and
back off by half each time up to four times it, which keeps the average near one request
a second or less.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated

import anyio
from pydantic import Field

from polytomic_mcp import determinism
from polytomic_mcp.tools.context import RequestContext

# The waiting tools' timeout argument; the server caps it at --max-wait (55 s by default).
TimeoutSeconds = Annotated[float, Field(gt=0, description="Seconds to wait at most (the server caps it).")]


@dataclass
class Deadline:
    """Seconds left until a tool must answer."""

    seconds: float
    started: float = field(default_factory=time.monotonic)
    paused: float = 0.0  # the pauses between polls (what --deterministic reports as elapsed)

    def left(self) -> float:
        return max(0.0, self.seconds - (time.monotonic() - self.started))

    def elapsed(self) -> float:
        return self.paused if determinism.enabled() else time.monotonic() - self.started

    def expired(self) -> bool:
        return self.left() <= 0


def bounded_timeout(request: RequestContext, requested: float) -> float:
    """The caller's timeout, capped by the server's max_wait setting."""
    return max(0.0, min(requested, request.settings.max_wait))


class Poller:
    """Sleeps between polls with backoff, never past the deadline."""

    def __init__(self, request: RequestContext, deadline: Deadline) -> None:
        settings = request.settings
        self.interval = settings.poll_interval
        self.cap = settings.poll_interval * 4
        self.deadline = deadline
        self.request = request

    async def pause(self) -> bool:
        """Wait before the next poll; False when there is no time left for one."""
        if self.deadline.left() <= 0:
            return False
        pause = min(self.interval, self.deadline.left())
        await anyio.sleep(pause)
        self.deadline.paused += pause
        self.interval = min(self.interval * 1.5, self.cap)
        return not self.deadline.expired()

    async def progress(self, done: float, total: float | None, message: str) -> None:
        await self.request.report_progress(done, total, message)


async def poll_until(
    request: RequestContext,
    deadline: Deadline,
    check: Callable[[], Awaitable[tuple[bool, float, float | None, str]]],
) -> bool:
    """Call `check` until it says done or time runs out; report its progress each time.

    `check` returns (done, progress, total, message). The result says whether it finished.
    """
    poller = Poller(request, deadline)
    done = False
    # A slow or retried request is cut at the deadline too: the tool never waits longer
    # than it was given, and reports whatever state it last saw.
    with anyio.move_on_after(deadline.left()):
        while True:
            done, progress, total, message = await check()
            await poller.progress(progress, total, message)
            if done or not await poller.pause():
                break
    return done
