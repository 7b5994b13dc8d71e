"""Canvas's gradebook import: the per-learner points in the file Canvas's importer takes as it is.

Canvas (Grades → Import) reads a CSV whose header starts ``Student``, ``ID``, then the optional
``SIS User ID`` and ``SIS Login ID``, and a ``Section`` column that ends the student columns;
every later column is an assignment (so a ``Total`` would be imported as one, and none is
written). A row whose first cell is ``Points Possible`` gives each assignment's points. Rows are
matched on ``ID`` (Canvas's user id, the number in its download names) or on the student's name::

    Student,ID,SIS User ID,SIS Login ID,Section,01_image_and_kernel,02_the_slide
    Points Possible,,,,,3,3
    doejane,12345,,,,3,1

One column per exercise graded; a cell is empty when the learner handed nothing in for it.
Learners Moodle named are not Canvas's and are left out; learners without a Canvas ID are
written (Canvas can match them by name) and listed in :func:`write_canvas`'s warnings.
"""

from __future__ import annotations

from .identify import CANVAS_PLATFORM, MOODLE_PLATFORM
from .learners import NO_NAME, graded_exercises, learner_lines, possible
from .tables import write_table
from .tables import cell

__all__ = ["CANVAS_HEADER", "POINTS_POSSIBLE", "canvas_table", "write_canvas"]

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"


def canvas_table(rows):
    """``(header, lines, warnings)``: Canvas's import file for per-submission ``rows``."""
    exercises = graded_exercises(rows)
    header = [*CANVAS_HEADER, *exercises]
    lines = [[POINTS_POSSIBLE, "", "", "", "", *(possible(e) for e in exercises)]]
    no_id, left_out = [], []
    for line in learner_lines(rows):
        if line.platform == MOODLE_PLATFORM or line.name.startswith(NO_NAME):
            left_out.append(line.name)
            continue
        if line.platform != CANVAS_PLATFORM:
            no_id.append(line.name)
        lines.append([cell(line.name), line.lms_id if line.platform == CANVAS_PLATFORM else "", "", "", "",
                      *(line.points.get(e, "") for e in exercises)])
    warnings = []
    if no_id:
        warnings.append(f"{len(no_id)} learner(s) without a Canvas ID, matched by name only: {', '.join(no_id)}")
    if left_out:
        warnings.append(f"{len(left_out)} learner(s) not named by Canvas, left out: {', '.join(left_out)}")
    return header, lines, warnings


def write_canvas(path, rows):
    """Write :func:`canvas_table` of ``rows`` to ``path``; returns ``(learners written, warnings)``."""
    header, lines, warnings = canvas_table(rows)
    write_table(path, header, lines)
    return len(lines) - 1, warnings
