"""Calling a learner's function within its limits: the same call in the notebook's ``check()``
and in the sandbox's recorder, so a function that never ends is stopped alike in both.
"""

from __future__ import annotations

import os
import signal

__all__ = ["call", "time_limit", "DEFAULT_SECONDS", "TIME_LIMIT", "WALL_FACTOR"]

DEFAULT_SECONDS = 10.0  # CPU seconds per call, unless $CONVLIB_CHECK_TIME_LIMIT says otherwise
TIME_LIMIT = None  # CPU seconds per call; None: $CONVLIB_CHECK_TIME_LIMIT, else DEFAULT_SECONDS
WALL_FACTOR = 6  # a call may wait this many times its CPU limit by the clock


def time_limit():
    """Seconds one call of a learner's function may take."""
    if TIME_LIMIT is not None:
        return TIME_LIMIT
    try:
        return float(os.environ.get("CONVLIB_CHECK_TIME_LIMIT", DEFAULT_SECONDS))
    except ValueError:
        return DEFAULT_SECONDS


class _TimeUp(BaseException):
    def __init__(self, by):
        super().__init__(by)
        self.by = by


def _alarm(signum, frame):
    raise _TimeUp("cpu" if signum == signal.SIGPROF else "clock")


def call(fn, args, seconds=None):
    """``fn(*args)`` as a record: ``{"kind": "value" | "error" | "timeout" | "not attempted", ...}``.

    A call that uses more than ``seconds`` of CPU time (default ``TIME_LIMIT``: ``DEFAULT_SECONDS``, or
    ``$CONVLIB_CHECK_TIME_LIMIT``) is stopped; so is one that waits ``WALL_FACTOR`` times as
    long by the clock (sleeping, or starved). CPU time is what the learner's code itself used,
    so a busy neighbour on the machine never costs an honest answer its point.
    """
    seconds = time_limit() if seconds is None else seconds
    usable = hasattr(signal, "setitimer")
    try:
        previous = {s: signal.signal(s, _alarm) for s in (signal.SIGPROF, signal.SIGALRM)} if usable else {}
    except ValueError:  # not the main thread
        usable, previous = False, {}
    if usable:
        signal.setitimer(signal.ITIMER_PROF, seconds)
        signal.setitimer(signal.ITIMER_REAL, seconds * WALL_FACTOR)
    try:
        value = fn(*args)
    except _TimeUp as up:
        return {"kind": "timeout", "seconds": seconds, "by": up.by}
    except NotImplementedError:
        return {"kind": "not attempted"}
    except Exception as err:  # noqa: BLE001 - the learner's error, recorded for the feedback
        return {"kind": "error", "error": f"{type(err).__name__}: {str(err)[:300]}"}
    finally:
        if usable:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    return {"kind": "value", "value": value}
