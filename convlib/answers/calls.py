"""Calling a learner's function within its limits: the same call in the notebook's ``check()``
and in the sandbox's recorder, so a function that never ends is stopped alike in both.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

__all__ = ["call", "time_limit", "wall_limit", "TimeLimits", "DEFAULT_SECONDS", "TIME_LIMIT", "WALL_FACTOR",
           "CALL_SHARE"]

DEFAULT_SECONDS = 10.0  # CPU seconds per call, unless $CONVLIB_CHECK_TIME_LIMIT says otherwise
TIME_LIMIT = None  # CPU seconds per call; None: $CONVLIB_CHECK_TIME_LIMIT, else DEFAULT_SECONDS
WALL_FACTOR = 6  # a call may wait this many times its CPU limit by the clock (at most CALL_SHARE of a cell)
CALL_SHARE = 0.5  # of a cell's time limit, the most one call may take by the clock
CPU_ENV, WALL_ENV = "CONVLIB_CHECK_TIME_LIMIT", "CONVLIB_CHECK_WALL_LIMIT"


@dataclass(frozen=True)
class TimeLimits:
    """Every time limit of a graded notebook, in one place, ordered so the innermost fires first.

    Like a configurable trait, each has a documented default; whatever is asked for, the limits
    kept satisfy ``call_cpu <= call_wall <= CALL_SHARE * cell < cell <= notebook <= process_cpu``:
    a call that never ends is stopped by its own limit (by CPU time, or, starved on a busy
    machine or asleep, by the clock) before its cell runs out of time, so it is "stopped" on an
    idle machine and under load alike, and costs only its own question.

    Parameters
    ----------
    call_cpu : float
        CPU seconds one call of a learner's function may use (default ``DEFAULT_SECONDS``, or
        ``$CONVLIB_CHECK_TIME_LIMIT``); lowered to ``call_wall`` if above it.
    call_wall : float or None
        Seconds by the clock one call may take: ``WALL_FACTOR`` times ``call_cpu`` (None),
        never more than ``CALL_SHARE`` of ``cell``.
    cell : float
        Seconds by the clock a cell may run (nbval's cell timeout; ``--timeout``), default 60.
    notebook : float
        Seconds by the clock the whole notebook may run, default 300; at least ``cell``.
    process_cpu : float
        CPU seconds a process of the sandbox may use (``RLIMIT_CPU``), default 600; at least
        ``notebook``.

    Raises
    ------
    ValueError
        A limit that is not a positive number.

    Examples
    --------
    >>> t = TimeLimits(call_cpu=2, cell=8)
    >>> t.call_cpu, t.call_wall, t.cell, t.notebook
    (2.0, 4.0, 8.0, 300.0)
    >>> TimeLimits(call_cpu=10, cell=8).call_cpu  # a call's limits fit in its cell
    4.0
    """

    call_cpu: float = DEFAULT_SECONDS
    call_wall: float | None = None
    cell: float = 60.0
    notebook: float = 300.0
    process_cpu: float = 600.0

    def __post_init__(self):
        for name in ("call_cpu", "cell", "notebook", "process_cpu") + (("call_wall",) if self.call_wall else ()):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"the time limit {name} must be a positive number of seconds, not {value!r}")
        notebook = max(float(self.notebook), float(self.cell))
        wall = min(float(self.call_wall or self.call_cpu * WALL_FACTOR), CALL_SHARE * float(self.cell))
        set_ = object.__setattr__
        set_(self, "cell", float(self.cell))
        set_(self, "notebook", notebook)
        set_(self, "process_cpu", max(float(self.process_cpu), notebook))
        set_(self, "call_wall", wall)
        set_(self, "call_cpu", min(float(self.call_cpu), wall))

    def environment(self):
        """What tells :func:`call` in the sandbox its limits (``$CONVLIB_CHECK_TIME_LIMIT`` and
        ``$CONVLIB_CHECK_WALL_LIMIT``)."""
        return {CPU_ENV: repr(self.call_cpu), WALL_ENV: repr(self.call_wall)}


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
    set (``$CONVLIB_CHECK_WALL_LIMIT``, see :class:`TimeLimits`), else ``WALL_FACTOR`` times it."""
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
    (:class:`TimeLimits`). CPU time is what the learner's code itself used,
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
