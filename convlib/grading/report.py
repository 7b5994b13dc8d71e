"""The *report* step: the gradebook CSV, one row per submission as it finishes, and a summary.

Rows are flushed to disk one by one, so a grader that is killed leaves a valid CSV of the
submissions graded so far; when the run ends the file is rewritten in file order, so the rows
of a run come in one order however its submissions finished, and :func:`merge` of shards gives
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
from pathlib import Path

from ..exercises import MODULES, questions
from .text import shown

__all__ = ["Result", "Gradebook", "summary", "merge", "read_gradebook", "QUESTION_COLUMNS", "COLUMNS", "OK",
           "OLDER_COPY", "FIELD_MAX", "write_rows"]

OK = "graded"
OLDER_COPY = "older copy"
QUESTION_COLUMNS = [q.name for exercise in MODULES for q in questions(exercise)]
COLUMNS = ["submission", "learner", "platform", "lms_id", "late", "exercise", "status", "passed", "total", "score", *QUESTION_COLUMNS,
           "detail", "review", "sandbox"]
FIELD_MAX = 32 * 1024  # characters of one field: well under what any CSV reader accepts (128 KiB here)


@dataclass
class Result:
    """One submission's grade."""

    submission: str
    learner: str = ""
    lms_id: str = ""
    platform: str = ""  # the learning platform whose names gave the learner and lms_id (canvas, moodle)
    late: bool = False  # the platform marked the file late
    exercise: str = ""
    status: str = OK
    questions: dict = field(default_factory=dict)  # name -> True/False, in order
    messages: dict = field(default_factory=dict)  # name -> what the learner is told, for each lost point
    detail: str = ""
    review: str = ""
    sandbox: str = ""
    seconds: float = 0.0
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

    def row(self):
        marks = ["" if name not in self.questions else int(bool(self.questions[name])) for name in QUESTION_COLUMNS]
        return [_text(self.submission), _text(self.learner), self.platform, self.lms_id, "late" if self.late else "",
                self.exercise, _text(self.status),
                self.passed, self.total, self.score, *marks, _text(self.detail), _text(self.review), self.sandbox]

    def record(self):
        """The row as the gradebook holds it: ``{column: text}``."""
        return dict(zip(COLUMNS, map(str, self.row())))


def _text(value):
    """Learner-made text, safe in a spreadsheet and in UTF-8: escaped (:func:`~.text.shown`), capped
    at ``FIELD_MAX`` characters, and never a formula (no leading = + - @)."""
    value = shown(value, keep="\n")
    if len(value) > FIELD_MAX:
        value = value[:FIELD_MAX] + " … (cut)"
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t") else value


class Gradebook:
    """The CSV, open for the run: ``add(result)`` writes and flushes one row."""

    def __init__(self, out):
        self.path = Path(out)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the grader's alone
        os.fchmod(fd, 0o600)
        self._handle = open(fd, "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(COLUMNS)
        self._flush()

    def _flush(self):
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def add(self, result):
        """Write and flush ``result``'s row; a row that cannot be written becomes a row that says so."""
        try:
            self._writer.writerow(result.row())
        except Exception as err:  # noqa: BLE001 - one row's trouble never ends the run
            self._writer.writerow([_text(result.submission), "", "", "", "", "", _text(f"grader error: {type(err).__name__}"),
                                   0, 0, 0.0, *[""] * len(QUESTION_COLUMNS), "", "", _text(result.sandbox)])
        self._flush()

    def close(self):
        """Close the file, rewritten in file order (left as written if it cannot be read back)."""
        self._handle.close()
        try:
            rows = read_gradebook(self.path)
        except (ValueError, csv.Error) as err:
            print(f"the gradebook {shown(self.path)} is kept in grading order: {shown(err)}", file=sys.stderr)
            return
        _write(self.path, rows)


def _order(row):
    return Path(row["submission"].lstrip("'")).parts


def write_rows(path, rows):
    """Rewrite the gradebook at ``path`` with ``rows`` (``{column: text}``), in file order."""
    _write(path, rows)


def _write(path, rows):
    """Write ``rows`` (dicts) sorted by submission, atomically (a temporary file, then a rename)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with open(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(rows, key=_order))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_gradebook(path):
    """The rows (``{column: text}``) of a gradebook CSV this module wrote; ValueError if it is not one."""
    csv.field_size_limit(max(csv.field_size_limit(), 4 * FIELD_MAX))
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            raise ValueError(f"{path} is not a gradebook of this version of convlib (its columns differ)")
        return list(reader)


def merge(parts, out):
    """Join the gradebooks of shards into one, in file order; returns its rows.

    A submission that appears in two parts (overlapping shards, a part given twice) is an error.
    """
    rows, seen = [], {}
    for part in parts:
        for row in read_gradebook(part):
            if row["submission"] in seen:
                raise ValueError(f"{row['submission']} is in both {seen[row['submission']]} and {part}")
            seen[row["submission"]] = part
            rows.append(row)
    _write(out, rows)
    return sorted(rows, key=_order)


def summary(results, sandbox_note=""):
    """A readable table of the results, and how often each question was solved."""
    lines = []
    width = min(80, max([len(shown(r.submission)) for r in results] + [10]))
    lines.append(f"{'submission':{width}s}  {'exercise':22s} {'score':>6s}  status")
    for r in results:
        flags = (f" (review: {shown(r.review)[:300]})" if r.review else "")
        lines.append(f"{shown(r.submission):{width}s}  {r.exercise or '-':22s} {r.passed:>2d}/{r.total:<3d}  "
                     f"{shown(r.status)[:200]}{flags}")
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
