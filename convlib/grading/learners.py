"""The gradebook per learner: one row per learner, one column per exercise, and the total.

Written from the per-submission rows (:func:`~.report.read_gradebook`), so it comes out the
same from one run, from shards merged, or from an old gradebook. The columns are those a
learning platform's gradebook import expects::

    Student, ID, 01_image_and_kernel, ..., 05_learning_a_filter, Total, Possible

``Student`` is the learner's name as the files named them, ``ID`` the platform's user id when
the file names carried one (Canvas downloads do); a cell is the points earned on that exercise,
empty when the learner handed nothing in for it; ``Possible`` is the course's whole total.
Older copies count for nothing (the newest
copy is graded).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ..exercises import MODULES, questions
from .report import OLDER_COPY, _text

__all__ = ["learner_rows", "write_learners", "LEARNER_COLUMNS", "POSSIBLE"]

POSSIBLE = {exercise: len(questions(exercise)) for exercise in MODULES}
LEARNER_COLUMNS = ["Student", "ID", *MODULES, "Total", "Possible"]
NO_NAME = "(no name)"


def learner_rows(rows):
    """``[{column: value}]``, one per learner (sorted by name), from per-submission ``rows``."""
    table = {}
    for row in rows:
        if row["status"] == OLDER_COPY or row["exercise"] not in MODULES:
            continue
        name = row["learner"] or NO_NAME + " " + row["submission"]
        line = table.setdefault(name, {"Student": row["learner"] or name, "ID": row["lms_id"]})
        line["ID"] = line["ID"] or row["lms_id"]
        line[row["exercise"]] = max(int(row["passed"]), line.get(row["exercise"], 0))
    for line in table.values():
        line["Total"] = sum(line.get(exercise, 0) for exercise in MODULES)
        line["Possible"] = sum(POSSIBLE.values())
    return [table[name] for name in sorted(table, key=str.lower)]


def write_learners(path, rows):
    """Write :func:`learner_rows` of ``rows`` as CSV to ``path``; returns the learner rows."""
    lines = learner_rows(rows)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, LEARNER_COLUMNS)
        writer.writeheader()
        for line in lines:
            writer.writerow({**line, "Student": _text(line["Student"])})
        handle.flush()
        os.fsync(handle.fileno())
    return lines
