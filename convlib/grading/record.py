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

from ..answers.calls import Kind, call
from .wire import dumps, encode, loads

__all__ = ["Recorder"]


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
                record = {"kind": Kind.NOT_ATTEMPTED}
            elif not callable(answer):
                record = {"kind": Kind.NOT_A_FUNCTION, "type": type(answer).__name__}
            elif records and records[-1]["kind"] == Kind.TIMEOUT:
                record = records[-1]  # an endless function is not called again
            else:
                record = call(answer, tuple(args))
            if record["kind"] == Kind.VALUE:
                try:
                    encode(record["value"])
                except (TypeError, ValueError) as err:
                    record = {"kind": Kind.NOT_PLAIN_DATA, "error": str(err)[:200]}
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
