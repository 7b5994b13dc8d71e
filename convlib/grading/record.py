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

TIME_LIMIT = None  # seconds per call; None: $CONVLIB_CHECK_TIME_LIMIT, else 10


def time_limit():
    """Seconds one call of a learner's function may take."""
    if TIME_LIMIT is not None:
        return TIME_LIMIT
    try:
        return float(os.environ.get("CONVLIB_CHECK_TIME_LIMIT", "10"))
    except ValueError:
        return 10.0


class _TimeUp(BaseException):
    pass


def _alarm(signum, frame):
    raise _TimeUp()


def call(fn, args, seconds=None):
    """``fn(*args)`` as a record: ``{"kind": "value" | "error" | "timeout" | "not attempted", ...}``.

    A call that runs longer than ``seconds`` (default ``TIME_LIMIT``: 10 s, or
    ``$CONVLIB_CHECK_TIME_LIMIT``) is stopped.
    """
    seconds = time_limit() if seconds is None else seconds
    usable = hasattr(signal, "setitimer")
    try:
        previous = signal.signal(signal.SIGALRM, _alarm) if usable else None
    except ValueError:  # not the main thread
        usable, previous = False, None
    if usable:
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        value = fn(*args)
    except _TimeUp:
        return {"kind": "timeout", "seconds": seconds}
    except NotImplementedError:
        return {"kind": "not attempted"}
    except Exception as err:  # noqa: BLE001 - the learner's error, recorded for the feedback
        return {"kind": "error", "error": f"{type(err).__name__}: {str(err)[:300]}"}
    finally:
        if usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
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
