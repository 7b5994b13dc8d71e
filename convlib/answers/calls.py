"""Calling a learner's function within its limits: the same call in the notebook's ``check()``
and in the sandbox's recorder, so a function that never ends is stopped alike in both.
"""

from __future__ import annotations

import os
import signal
from enum import StrEnum

__all__ = ["call", "Kind", "time_limit", "wall_limit", "DEFAULT_SECONDS", "TIME_LIMIT", "WALL_FACTOR", "CPU_ENV", "WALL_ENV"]

DEFAULT_SECONDS = 10.0  # CPU seconds per call, unless $CONVLIB_CHECK_TIME_LIMIT says otherwise
TIME_LIMIT = None  # CPU seconds per call; None: $CONVLIB_CHECK_TIME_LIMIT, else DEFAULT_SECONDS
WALL_FACTOR = 6  # a call may wait this many times its CPU limit by the clock (while grading: at most half a cell)
# how the sandbox's runner hands a call its limits (the grader's Limits, ordered by its TimeLimits)
CPU_ENV, WALL_ENV = "CONVLIB_CHECK_TIME_LIMIT", "CONVLIB_CHECK_WALL_LIMIT"


class Kind(StrEnum):
    """What one call of a learner's function gave: the ``kind`` of its record (a ``str``, so a
    record read back from JSON compares equal to it)."""

    VALUE = "value"  # it returned; the record's "value" holds what
    ERROR = "error"  # it raised; "error" says what
    TIMEOUT = "timeout"  # it was stopped at its time limit; "seconds", "by" (cpu or clock)
    NOT_ATTEMPTED = "not attempted"  # it raised NotImplementedError: still the handout's stub
    NOT_A_FUNCTION = "not a function"  # the name is bound to something else; "type" says what
    NOT_PLAIN_DATA = "not plain data"  # it returned something that cannot cross the sandbox's wall


def _from_environment(name, default):
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def time_limit():
    """CPU seconds one call of a learner's function may take."""
    if TIME_LIMIT is not None:
        return TIME_LIMIT
    return _from_environment(CPU_ENV, DEFAULT_SECONDS)


def wall_limit(seconds):
    """Seconds by the clock one call with a CPU limit of ``seconds`` may take: what the grader
    set (``$CONVLIB_CHECK_WALL_LIMIT``, see :class:`convlib.grading.limits.TimeLimits`), else
    ``WALL_FACTOR`` times it."""
    return max(seconds, _from_environment(WALL_ENV, seconds * WALL_FACTOR))


class _TimeUp(BaseException):
    def __init__(self, by):
        super().__init__(by)
        self.by = by


def _alarm(signum, frame):
    raise _TimeUp("cpu" if signum == signal.SIGPROF else "clock")


def call(fn, args, seconds=None):
    """``fn(*args)`` as a record: ``{"kind": "value" | "error" | "timeout" | "not attempted", ...}``.

    A call that uses more than ``seconds`` of CPU time (default ``TIME_LIMIT``: ``DEFAULT_SECONDS``, or
    ``$CONVLIB_CHECK_TIME_LIMIT``) is stopped; so is one that waits longer by the clock
    (sleeping, or starved): :func:`wall_limit`, which the grader keeps inside a cell's time
    (:class:`convlib.grading.limits.TimeLimits`). CPU time is what the learner's code itself used,
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
        signal.setitimer(signal.ITIMER_REAL, wall_limit(seconds))
    try:
        value = fn(*args)
    except _TimeUp as up:
        return {"kind": Kind.TIMEOUT, "seconds": seconds, "by": up.by}
    except NotImplementedError:
        return {"kind": Kind.NOT_ATTEMPTED}
    except Exception as err:  # noqa: BLE001 - the learner's error, recorded for the feedback
        return {"kind": Kind.ERROR, "error": f"{type(err).__name__}: {str(err)[:300]}"}
    finally:
        if usable:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    return {"kind": Kind.VALUE, "value": value}
