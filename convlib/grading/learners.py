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

from dataclasses import dataclass, field
from functools import cache

from ..exercises import MODULES, questions
from .identify import learner_key
from .status import Status
from .tables import cell, write_table

__all__ = ["Line", "learner_lines", "graded_exercises", "learner_rows", "write_learners", "learner_columns",
           "possible", "NO_NAME"]

NO_NAME = "(no name)"


@cache
def possible(exercise):
    """The points ``exercise`` is worth: one per question."""
    return len(questions(exercise))


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
    return learner_key(row["learner"], row["lms_id"], row["platform"]) or f"file:{row['submission']}"


def learner_lines(rows):
    """``[Line]``, one per learner (sorted by name, then number), from per-submission ``rows``."""
    table = {}
    for row in rows:
        if row["status"] == Status.OLDER_COPY or row["exercise"] not in MODULES:
            continue
        line = table.setdefault(_key(row), Line(row["learner"] or f"{NO_NAME} {row['submission']}",
                                                row["platform"], row["lms_id"]))
        line.late = line.late or row["late"] == "late"
        line.points[row["exercise"]] = max(int(row["passed"]), line.points.get(row["exercise"], 0))
        line.rows.append(row)
    return sorted(table.values(), key=lambda line: (line.name.lower(), line.platform, line.lms_id.zfill(12)))


def graded_exercises(rows):
    """The exercises the rows grade, in the course's order."""
    seen = {row["exercise"] for row in rows if row["status"] != Status.OLDER_COPY}
    return [exercise for exercise in MODULES if exercise in seen]


def learner_columns(exercises):
    return ["Student", "ID", "Platform", "Late", *exercises, "Total", "Possible"]


def learner_rows(rows):
    """``[{column: value}]``, one per learner, from per-submission ``rows``."""
    exercises = graded_exercises(rows)
    worth = sum(possible(exercise) for exercise in exercises)
    return [{"Student": line.name, "ID": line.lms_id, "Platform": line.platform, "Late": "late" if line.late else "",
             **{exercise: line.points.get(exercise, "") for exercise in exercises},
             "Total": line.total, "Possible": worth} for line in learner_lines(rows)]


def write_learners(path, rows):
    """Write :func:`learner_rows` of ``rows`` as CSV to ``path``; returns the learner rows."""
    lines = learner_rows(rows)
    columns = learner_columns(graded_exercises(rows))
    write_table(path, columns, [[cell(line[c]) if c == "Student" else line[c] for c in columns] for line in lines])
    return lines
