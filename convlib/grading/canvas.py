"""Canvas's gradebook import: the per-learner points in the file Canvas's importer takes as it is.

As ``app/models/gradebook_importer.rb`` reads it (Grades → Import): a header whose first cell
holds ``Student`` and second ``ID``, then ``SIS User ID`` and ``SIS Login ID``, and a ``Section``
column that ends the student columns; every later column is an assignment (so a ``Total`` would be
imported as one, and none is written) unless it is one of Canvas's own (``Current Score`` …). An
assignment column is matched by the id in its title, ``Title (id)``, then by the exact title;
any other title becomes a *new* assignment. A row whose first cell holds ``Points Possible``
gives each assignment's points. A row is matched on ``ID`` (Canvas's user id, the number in its
download names), then the SIS ids, then the name::

    Student,ID,SIS User ID,SIS Login ID,Section,Exercise 1 (12345),Exercise 2 (12346)
    Points Possible,,,,,3,4
    doejane,12345,,,,3,1

The columns are the instructor's own assignments: read from Canvas's gradebook export
(``--canvas-from export.csv``: each exercise's column found by its number or title), or given
(``--canvas-column 1="Exercise 1 (12345)"``); without either, a column is named after the
exercise's notebook and Canvas offers to create it. One column per exercise graded; a cell is
empty when the learner handed nothing in for it. Learners Moodle named are not Canvas's and are
left out; so are Canvas's anonymous ids (``anon_…``), which its importer cannot match to anyone
(grade those in SpeedGrader, or once the assignment's anonymity is lifted); learners without a
Canvas ID are written (Canvas can match them by name). :func:`write_canvas` says each.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ..exercises import MODULES
from .identify import CANVAS_PLATFORM, MOODLE_PLATFORM, MOODLE_TEAM
from .learners import NO_NAME, graded_exercises, learner_lines, possible
from .tables import cell, write_table

__all__ = ["CANVAS_HEADER", "POINTS_POSSIBLE", "canvas_table", "write_canvas", "read_export", "parse_column",
           "ANONYMOUS"]

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"
ANONYMOUS = "anon_"  # the start of Canvas's anonymous ids (anonymous grading)
TITLE_AND_ID = re.compile(r"^(?P<title>.*) \((?P<id>\d+)\)\Z", re.S)  # as Assignment.title_and_id reads a column
CANVAS_OWN = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
                        "Override Score|Override Grade|Override Status")
EXPORT_MAX = 32 * 2**20


def _number(exercise):
    return int(exercise.split("_", 1)[0])


def parse_column(text):
    """``'1=Exercise 1 (12345)'`` -> ``('01_image_and_kernel', 'Exercise 1 (12345)')``; ValueError otherwise.

    >>> parse_column("2=Slide (77)")
    ('02_the_slide', 'Slide (77)')
    """
    key, sep, title = str(text).partition("=")
    key = key.strip()
    exercise = next((e for e in MODULES if key in (e, str(_number(e)), f"{_number(e):02d}")), None)
    if not sep or exercise is None or not title.strip():
        raise ValueError(f"a column is EXERCISE=TITLE, the exercise a number (1) or a notebook name "
                         f"({next(iter(MODULES))}), not {text!r}")
    return exercise, title.strip()


def _candidates(exercise, titles, known_title):
    number = _number(exercise)
    words = re.compile(rf"(?i)\b(exercise|ex\.?|assignment|lab|notebook)\s*0*{number}\b")
    found = []
    for column in titles:
        title = (TITLE_AND_ID.match(column) or {"title": column})["title"].strip()
        if title.lower() in {exercise.lower(), (known_title or "").lower()} or exercise.lower() in title.lower() \
                or words.search(title):
            found.append(column)
    return found


def read_export(path, exercises, known_titles=None):
    """``{exercise: column}``: each exercise's assignment column in Canvas's gradebook export at
    ``path``, found by its notebook name, its title or its number (``Exercise 1``, ``Ex 1``,
    ``Lab 1``); ValueError when the file is no export or an exercise matches several columns."""
    path = Path(path)
    if path.stat().st_size > EXPORT_MAX:
        raise ValueError(f"{path} is larger than a gradebook export can be")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            first = handle.readline(64 * 1024)
            handle.seek(0)
            if first.startswith("\ufeff"):
                handle.read(1)
            # Canvas's "use semicolons to separate fields in CSV exports" (a user's setting)
            delimiter = ";" if first.count(";") > first.count(",") else ","
            header = next(csv.reader(handle, delimiter=delimiter), [])
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8, as Canvas's export is: export it again from Canvas") from None
    except csv.Error as err:
        raise ValueError(f"{path} cannot be read as CSV ({err})") from None
    if len(header) < 4 or "Student" not in header[0] or "ID" not in header[1] or "Section" not in header:
        raise ValueError(f"{path} is not Canvas's gradebook export (its header is not Student, ID, …, Section, …)")
    titles = [c for c in header[header.index("Section") + 1:] if c.strip() and not CANVAS_OWN.search(c)]
    columns = {}
    for exercise in exercises:
        found = _candidates(exercise, titles, (known_titles or {}).get(exercise))
        if len(found) > 1:
            raise ValueError(f"{exercise} matches several assignments of {path.name} ({', '.join(found)}): "
                             f"say which with --canvas-column {_number(exercise)}=\"TITLE (ID)\"")
        if found:
            columns[exercise] = found[0]
    for column in set(columns.values()):  # one assignment's points are one exercise's
        both = [exercise for exercise, title in columns.items() if title == column]
        if len(both) > 1:
            raise ValueError(f"{column} of {path.name} matches {' and '.join(both)}: say which is which with "
                             f"--canvas-column {_number(both[0])}=\"TITLE (ID)\"")
    return columns


def canvas_table(rows, columns=None):
    """``(header, lines, warnings)``: Canvas's import file for per-submission ``rows``.

    ``columns``: ``{exercise: assignment column}`` (the instructor's ``Title (id)``); an exercise
    graded but not among them is left out, and said so. None: each exercise's notebook name.
    """
    exercises = graded_exercises(rows)
    warnings = []
    if columns is not None:
        unmatched = [e for e in exercises if e not in columns]
        if unmatched:
            warnings.append(f"no assignment column for {', '.join(unmatched)}, left out: give --canvas-column "
                            f"{_number(unmatched[0])}=\"TITLE (ID)\"")
        exercises = [e for e in exercises if e in columns]
    else:
        warnings.append("the columns are named after the notebooks, so Canvas will offer to create new assignments: "
                        "give --canvas-from (Canvas's gradebook export) to fill your own assignments' columns")
    # never a formula (a title may start with =); Canvas matches a column by the id at its end
    header = [*CANVAS_HEADER, *(cell((columns or {}).get(e, e)) for e in exercises)]
    lines = [[POINTS_POSSIBLE, "", "", "", "", *(possible(e) for e in exercises)]]
    no_id, left_out, anonymous = [], [], []
    for line in learner_lines(rows):
        if line.platform == CANVAS_PLATFORM and line.lms_id.startswith(ANONYMOUS):
            anonymous.append(line.lms_id)
            continue
        if line.platform in (MOODLE_PLATFORM, MOODLE_TEAM) or line.name.startswith(NO_NAME):
            left_out.append(line.name)
            continue
        if line.platform != CANVAS_PLATFORM:
            no_id.append(line.name)
        lines.append([cell(line.name), line.lms_id if line.platform == CANVAS_PLATFORM else "", "", "", "",
                      *(line.points.get(e, "") for e in exercises)])
    if no_id:
        warnings.append(f"{len(no_id)} learner(s) without a Canvas ID, matched by name only: {', '.join(no_id)}")
    if left_out:
        warnings.append(f"{len(left_out)} learner(s) not named by Canvas, left out: {', '.join(left_out)}")
    if anonymous:
        warnings.append(f"{len(anonymous)} anonymous learner(s) left out ({', '.join(anonymous)}): Canvas's import "
                        "cannot match an anonymous id; enter their grades in SpeedGrader, or grade again once the "
                        "assignment's anonymity is lifted")
    return header, lines, warnings


def write_canvas(path, rows, columns=None):
    """Write :func:`canvas_table` of ``rows`` to ``path``; returns ``(learners written, warnings)``."""
    header, lines, warnings = canvas_table(rows, columns)
    write_table(path, header, lines)
    return len(lines) - 1, warnings
