"""The *report* step: the gradebook CSV, one row per submission as it finishes, and a summary.

Rows are flushed to disk one by one, so a grader that is killed leaves a valid CSV of the
submissions graded so far; when the run ends the file is written once more, whole, in file
order (with what only the whole class shows, such as answers alike), so the rows of a run come
in one order however its submissions finished, and :func:`~.shards.merge` of shards gives
that order too (the hidden cases are drawn fresh every run, so the feedback on a wrong answer,
and the seed it names, differ from one run to the next). Text that
came from a learner (file names, error messages) is written so that a spreadsheet shows it as
text and never runs it as a formula.
"""

from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .status import Status
from .tables import FIELD_MAX, cell, write_table
from .text import shown

__all__ = ["Result", "Gradebook", "summary", "join_rows", "read_gradebook", "question_columns", "columns", "OK",
           "OLDER_COPY", "FIELD_MAX", "write_rows"]

OK, OLDER_COPY = Status.GRADED, Status.OLDER_COPY
FIRST_COLUMNS = ["submission", "learner", "platform", "lms_id", "late", "exercise", "status", "passed", "total", "score"]
LAST_COLUMNS = ["detail", "review", "sandbox"]


@cache
def question_columns():
    """One column per question of every exercise, in the exercises' order (read on first use)."""
    from ..exercises import MODULES, questions

    return [q.name for exercise in MODULES for q in questions(exercise)]


@cache
def columns():
    """The gradebook's columns: the submission's, one per question, then detail, review, sandbox."""
    return [*FIRST_COLUMNS, *question_columns(), *LAST_COLUMNS]


def __getattr__(name):  # QUESTION_COLUMNS and COLUMNS: built when first asked for, never at import
    if name == "QUESTION_COLUMNS":
        return question_columns()
    if name == "COLUMNS":
        return columns()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class Result:
    """One submission's grade."""

    submission: str
    learner: str = ""
    lms_id: str = ""
    platform: str = ""  # the learning platform whose names gave the learner and lms_id (canvas, moodle)
    late: bool = False  # the platform marked the file late
    exercise: str = ""
    status: Status = Status.GRADED
    questions: dict = field(default_factory=dict)  # name -> True/False, in order
    messages: dict = field(default_factory=dict)  # name -> what the learner is told, for each lost point
    detail: str = ""
    review: str = ""
    sandbox: str = ""
    seconds: float = 0.0
    error: str = ""  # with Status.GRADER_ERROR: the grader's trouble, in a few words
    answers: dict = field(default_factory=dict, repr=False)  # name -> the answer cell's source (not in the CSV)
    log: str = field(default="", repr=False)  # the tail of the sandbox's runner log (not in the CSV)

    @property
    def passed(self):
        return sum(bool(v) for v in self.questions.values())

    @property
    def total(self):
        return len(self.questions)

    @property
    def score(self):
        return round(100.0 * self.passed / self.total, 1) if self.total else 0.0

    @property
    def status_text(self):
        """The status as the gradebook shows it: ``grader error: <what>`` says what went wrong."""
        return f"{self.status}: {self.error}" if self.error else str(self.status)

    def row(self):
        marks = ["" if name not in self.questions else int(bool(self.questions[name])) for name in question_columns()]
        return [cell(self.submission), cell(self.learner), self.platform, self.lms_id, "late" if self.late else "",
                self.exercise, cell(self.status_text),
                self.passed, self.total, self.score, *marks, cell(self.detail), cell(self.review), self.sandbox]

    def record(self):
        """The row as the gradebook holds it: ``{column: text}``."""
        return dict(zip(columns(), map(str, self.row())))


class Gradebook:
    """The CSV, open for the run: ``add(result)`` writes and flushes one row as soon as it is graded,
    so a grader that is killed leaves the rows graded so far; :meth:`close` writes the whole
    class once more, in file order."""

    def __init__(self, out):
        self.path = Path(out)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the grader's alone
        os.fchmod(fd, 0o600)
        self._handle = open(fd, "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(columns())
        self._flush()

    def _flush(self):
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def add(self, result):
        """Write and flush ``result``'s row; a row that cannot be written becomes a row that says so."""
        try:
            self._writer.writerow(result.row())
        except Exception as err:  # noqa: BLE001 - one row's trouble never ends the run
            self._writer.writerow([cell(result.submission), "", "", "", "", "",
                                   cell(f"{Status.GRADER_ERROR}: {type(err).__name__}"),
                                   0, 0, 0.0, *[""] * len(question_columns()), "", "", cell(result.sandbox)])
        self._flush()

    def close(self, results=None):
        """Close the file and write it whole, in file order: from ``results`` when given (the
        class with what only the whole class shows), else from the rows written so far (left as
        written if they cannot be read back)."""
        self._handle.close()
        if results is not None:
            rows = [_safe_record(r) for r in results]
        else:
            try:
                rows = read_gradebook(self.path)
            except (ValueError, csv.Error) as err:
                print(f"the gradebook {shown(self.path)} is kept in grading order: {shown(err)}", file=sys.stderr)
                return
        write_rows(self.path, rows)


def _safe_record(result):
    try:
        return result.record()
    except Exception as err:  # noqa: BLE001 - as in Gradebook.add
        return {"submission": cell(result.submission), "status": cell(f"{Status.GRADER_ERROR}: {type(err).__name__}"),
                "passed": "0", "total": "0", "score": "0.0", "sandbox": cell(result.sandbox)}


def _order(row):
    return Path(row["submission"].lstrip("'")).parts


def write_rows(path, rows):
    """Write the gradebook at ``path`` with ``rows`` (``{column: text}``), in file order, atomically."""
    write_table(path, columns(), sorted(rows, key=_order))


def read_gradebook(path):
    """The rows (``{column: text}``) of a gradebook CSV this module wrote; ValueError if it is not one."""
    csv.field_size_limit(max(csv.field_size_limit(), 4 * FIELD_MAX))
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != columns():
            raise ValueError(f"{path} is not a gradebook of this version of convlib (its columns differ)")
        return list(reader)


def join_rows(parts):
    """The rows of the gradebooks ``parts``, in file order (:func:`~.shards.merge` writes them).

    A submission that appears in two parts (overlapping shards, a part given twice) is an error.
    """
    rows, seen = [], {}
    for index, part in enumerate(parts):
        for row in read_gradebook(part):
            first = seen.setdefault(row["submission"], (index, part))
            if first[0] != index:  # two rows written alike within one part are two files (escaped names)
                raise ValueError(f"{row['submission']} is in both {first[1]} and {part}")
            rows.append(row)
    return sorted(rows, key=_order)


def summary(results, sandbox_note=""):
    """A readable table of the results, and how often each question was solved."""
    lines = []
    width = min(80, max([len(shown(r.submission)) for r in results] + [10]))
    lines.append(f"{'submission':{width}s}  {'exercise':22s} {'score':>6s}  status")
    for r in results:
        flags = (f" (review: {shown(r.review)[:300]})" if r.review else "")
        lines.append(f"{shown(r.submission):{width}s}  {r.exercise or '-':22s} {r.passed:>2d}/{r.total:<3d}  "
                     f"{shown(r.status_text)[:200]}{flags}")
    graded = [r for r in results if r.status == OK]
    lines.append(f"\n{len(results)} submission(s): {len(graded)} graded, {len(results) - len(graded)} with another status, "
                 f"{sum(bool(r.review) for r in results)} flagged for review.")
    per_question = {}
    for r in results:
        for name, ok in r.questions.items():
            per_question.setdefault((r.exercise, name), []).append(bool(ok))
    if per_question:
        lines.append("solved by:")
        for (exercise, name), marks in per_question.items():
            lines.append(f"  {exercise:22s} {name:22s} {sum(marks)}/{len(marks)}  ({100 * sum(marks) / len(marks):.0f}%)")
    if sandbox_note:
        lines.append(sandbox_note)
    return "\n".join(lines)
