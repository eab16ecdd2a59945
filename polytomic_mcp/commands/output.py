"""Printing to stdout for commands whose output may be piped into `head`.

When the reader goes away, the rest of the output goes to /dev/null: the command finishes
(or stops) quietly, without a BrokenPipeError traceback, and its exit code still means
what it says.
"""

from __future__ import annotations

import os
import sys


def quiet_stdout() -> None:
    """Point stdout at /dev/null (also for the interpreter's last flush at exit)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def say(text: str = "") -> None:
    """print() that keeps going quietly once stdout's reader has closed the pipe."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        quiet_stdout()
