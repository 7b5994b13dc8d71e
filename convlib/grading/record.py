"""The check cells' side of grading, inside the sandbox: run the answer, record what it returns.

While grading, ``convlib.exercises`` in the sandbox holds no reference answers and no checks:
each question is a :class:`Recorder`. Its ``check(fn)`` calls the learner's function on the
inputs the grader handed in (``$CONVLIB_GRADING_DIR/in/inputs.json``) and writes what came back
-- values, or the error raised -- as plain data to ``out/answers/<name>.json``. The grader
judges those values in its own process, against references the sandbox never sees: whatever
this module (or the learner's code) prints, patches or writes can only change the recorded
values of that learner's own answers.
"""

from __future__ import annotations

import os
import signal

from .wire import dumps, encode, loads

__all__ = ["Recorder", "call"]

TIME_LIMIT = None  # CPU seconds per call; None: $CONVLIB_CHECK_TIME_LIMIT, else 10
WALL_FACTOR = 6  # a call may wait this many times its CPU limit by the clock


def time_limit():
    """Seconds one call of a learner's function may take."""
    if TIME_LIMIT is not None:
        return TIME_LIMIT
    try:
        return float(os.environ.get("CONVLIB_CHECK_TIME_LIMIT", "10"))
    except ValueError:
        return 10.0


class _TimeUp(BaseException):
    def __init__(self, by):
        super().__init__(by)
        self.by = by


def _alarm(signum, frame):
    raise _TimeUp("cpu" if signum == signal.SIGPROF else "clock")


def call(fn, args, seconds=None):
    """``fn(*args)`` as a record: ``{"kind": "value" | "error" | "timeout" | "not attempted", ...}``.

    A call that uses more than ``seconds`` of CPU time (default ``TIME_LIMIT``: 10 s, or
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


class Recorder:
    """A question while grading: ``check(fn)`` records ``fn``'s answers; no hints, no solution."""

    def __init__(self, name):
        self.name = name

    def check(self, answer=None):
        folder = os.environ.get("CONVLIB_GRADING_DIR", "/grading")
        with open(os.path.join(folder, "in", "inputs.json"), encoding="utf-8") as handle:
            inputs = loads(handle.read()).get(self.name, [])
        records = []
        for args in inputs:
            if answer is None or answer is Ellipsis:
                record = {"kind": "not attempted"}
            elif not callable(answer):
                record = {"kind": "not a function", "type": type(answer).__name__}
            elif records and records[-1]["kind"] == "timeout":
                record = records[-1]  # an endless function is not called again
            else:
                record = call(answer, tuple(args))
            if record["kind"] == "value":
                try:
                    encode(record["value"])
                except (TypeError, ValueError) as err:
                    record = {"kind": "not plain data", "error": str(err)[:200]}
            records.append(record)
        path = os.path.join(folder, "out", "answers", f"{self.name}.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".part", "w", encoding="utf-8") as handle:
            handle.write(dumps(records))
        os.replace(path + ".part", path)
        print(f"📝 {self.name}: recorded for grading.")

    def hint(self, number=None):
        print("Hints are not available while grading.")

    def solution(self):
        print("Solutions are not available while grading.")

    def __repr__(self):
        return f"Recorder({self.name!r})"
