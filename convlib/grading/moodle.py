"""Moodle's grading worksheet: one file per exercise, uploaded in the assignment it grades.

A Moodle assignment's "Upload grading worksheet" (the offline grading worksheet) reads a CSV
and needs three columns by their names in the grader's language (English here; a Moodle shown in
another language looks for its own words): ``Identifier`` (``Participant N``: Moodle strips
the word ``Participant`` and looks up N, the number in its download folder names, blind
marking or not), ``Grade`` and ``Last modified (grade)`` (a grade changed in Moodle after that
time is kept unless the upload is told to ignore it; Moodle reads the time with PHP's
``strtotime``, so it is written in ISO 8601 with its offset). ``Feedback comments`` is imported when
the assignment has feedback comments on. A grade that is empty, negative or above the
assignment's maximum grade is skipped, so set the assignment's maximum grade to the number of
questions (``Maximum Grade`` here) or above::

    Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,
    Last modified (submission),Last modified (grade),Feedback comments
    Participant 812,Participant 812,,Submitted for grading,2.00,3.00,Yes,,2026-11-30T22:22:04+00:00,...

Only learners Moodle named (``moodle`` in the gradebook's ``platform``) are written; the others
are listed in the warnings.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .identify import MOODLE_PLATFORM, PARTICIPANT
from .learners import graded_exercises, learner_lines, possible
from .status import Status
from .tables import cell, write_table
from .text import capped

__all__ = ["WORKSHEET_HEADER", "worksheet", "write_moodle", "summary_comment", "worksheet_name"]

WORKSHEET_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                    "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
SUBMITTED = "Submitted for grading"
COMMENT_MAX = 600  # characters of one feedback comment


def worksheet_name(exercise):
    return f"moodle-{exercise}.csv"


def summary_comment(row):
    """A short plain-text summary of one graded row for ``Feedback comments``.

    >>> summary_comment({"passed": "1", "total": "3", "status": "graded", "late": "",
    ...                  "detail": "feature_map: ✗ wrong | feature_map_shape: ✗ off by one"})
    '1 of 3 points. Not yet right: feature_map: wrong; feature_map_shape: off by one'
    """
    text = f"{row['passed']} of {row['total']} points."
    if row["status"] != Status.GRADED:
        text += f" The notebook did not run to the end ({row['status']})."
    lost = []
    for part in row["detail"].split(" | "):
        name, _, message = part.partition(": ")
        first = message.strip().lstrip("✗❌ ").splitlines()[0] if message.strip() else ""
        if first and not name.startswith("cells that raised"):
            lost.append(f"{name}: {first}")
    if lost:
        text += " Not yet right: " + "; ".join(lost)
    if row.get("late") == "late":
        text += " Handed in late."
    return capped(text, COMMENT_MAX)


def worksheet(rows, exercise, when=None):
    """``(header, lines)``: the grading worksheet of ``exercise`` for per-submission ``rows``."""
    # ISO 8601 with its offset: PHP's strtotime reads it the same in every language and time zone
    moment = datetime.now(timezone.utc) if when is None else datetime.fromtimestamp(when, timezone.utc)
    stamp = moment.astimezone().isoformat(timespec="seconds")
    lines = []
    for line in sorted(learner_lines(rows), key=lambda line: int(line.lms_id or 0)):
        row = next((r for r in line.rows if r["exercise"] == exercise), None)
        if line.platform != MOODLE_PLATFORM or row is None:
            continue
        lines.append([f"{PARTICIPANT} {line.lms_id}", cell(line.name), "", SUBMITTED,
                      f"{line.points[exercise]:.2f}", f"{possible(exercise):.2f}", "Yes", "", stamp,
                      cell(summary_comment(row))])
    return WORKSHEET_HEADER, lines


def write_moodle(folder, rows, when=None):
    """Write one worksheet per exercise graded into ``folder``; returns ``({exercise: path}, warnings)``."""
    folder = Path(folder)
    written = {}
    for exercise in graded_exercises(rows):
        header, lines = worksheet(rows, exercise, when)
        if lines:
            written[exercise] = folder / worksheet_name(exercise)
            write_table(written[exercise], header, lines)
    others = [line.name for line in learner_lines(rows) if line.platform != MOODLE_PLATFORM]
    warnings = [f"{len(others)} learner(s) not named by Moodle, left out: {', '.join(others)}"] if others else []
    return written, warnings

