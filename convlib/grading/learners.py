"""The gradebook per learner: one row per learner, one column per exercise graded, and the total.

Written from the per-submission rows (:func:`~.report.read_gradebook`), so it comes out the
same from one run, from shards merged, or from an old gradebook. Learners are told apart as
the roster tells them apart: by the platform's number when its names carry one (Canvas's user
id, Moodle's participant number), else by name::

    Student, ID, Platform, Late, 01_image_and_kernel, ..., Total, Possible

``ID`` is the platform's number, ``Late`` says ``late`` when the platform marked a graded file
late; a cell is the points earned on that exercise, empty when the learner handed nothing in for
it; only the exercises graded in the rows have a column, and ``Possible`` counts only them.
Older copies count for nothing (the newest copy is graded). :mod:`.canvas` and :mod:`.moodle`
write the same learners in the files those platforms import.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..exercises import MODULES, questions
from .report import OLDER_COPY, _text

__all__ = ["Line", "learner_lines", "graded_exercises", "learner_rows", "write_learners", "learner_columns",
           "write_csv", "POSSIBLE", "NO_NAME"]

POSSIBLE = {exercise: len(questions(exercise)) for exercise in MODULES}
NO_NAME = "(no name)"


@dataclass
class Line:
    """One learner: who (as the platform named them) and the points per exercise of their graded rows."""

    name: str
    platform: str = ""
    lms_id: str = ""
    late: bool = False
    points: dict = field(default_factory=dict)  # exercise -> points
    rows: list = field(default_factory=list)  # their graded rows, {column: text}

    @property
    def total(self):
        return sum(self.points.values())


def _key(row):
    if row["lms_id"]:
        return f"{row['platform']}:{row['lms_id']}"
    return row["learner"] or f"file:{row['submission']}"


def learner_lines(rows):
    """``[Line]``, one per learner (sorted by name, then number), from per-submission ``rows``."""
    table = {}
    for row in rows:
        if row["status"] == OLDER_COPY or row["exercise"] not in MODULES:
            continue
        line = table.setdefault(_key(row), Line(row["learner"] or f"{NO_NAME} {row['submission']}",
                                                row["platform"], row["lms_id"]))
        line.late = line.late or row["late"] == "late"
        line.points[row["exercise"]] = max(int(row["passed"]), line.points.get(row["exercise"], 0))
        line.rows.append(row)
    return sorted(table.values(), key=lambda line: (line.name.lower(), line.platform, line.lms_id.zfill(12)))


def graded_exercises(rows):
    """The exercises the rows grade, in the course's order."""
    seen = {row["exercise"] for row in rows if row["status"] != OLDER_COPY}
    return [exercise for exercise in MODULES if exercise in seen]


def learner_columns(exercises):
    return ["Student", "ID", "Platform", "Late", *exercises, "Total", "Possible"]


def learner_rows(rows):
    """``[{column: value}]``, one per learner, from per-submission ``rows``."""
    exercises = graded_exercises(rows)
    possible = sum(POSSIBLE[exercise] for exercise in exercises)
    return [{"Student": line.name, "ID": line.lms_id, "Platform": line.platform, "Late": "late" if line.late else "",
             **{exercise: line.points.get(exercise, "") for exercise in exercises},
             "Total": line.total, "Possible": possible} for line in learner_lines(rows)]


def write_csv(path, header, lines):
    """Write ``lines`` (lists) under ``header`` as UTF-8 CSV at ``path``, flushed to disk."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(lines)
        handle.flush()
        os.fsync(handle.fileno())


def write_learners(path, rows):
    """Write :func:`learner_rows` of ``rows`` as CSV to ``path``; returns the learner rows."""
    lines = learner_rows(rows)
    columns = learner_columns(graded_exercises(rows))
    write_csv(path, columns, [[_text(line[c]) if c == "Student" else line[c] for c in columns] for line in lines])
    return lines
