"""Canvas's gradebook import filled into the instructor's own assignments, read back as Canvas's
importer reads it (``app/models/gradebook_importer.rb``: ``row_has_student_headers?``,
``update_column_count``, ``strip_non_assignment_columns``, ``parse_assignments`` with
``Assignment.title_and_id``, ``check_for_non_student_row``, ``process_student``), without a sandbox:
the rows are written here as the grader writes them."""

from __future__ import annotations

import csv
import re
import subprocess

import pytest

from convlib.grading.canvas import canvas_table, parse_column, read_export, write_canvas
from convlib.grading.report import Result

from gradingkit import EX1, EX2, EX3, GRADE, ROOT, questions_in

# Canvas's gradebook export as Grades > Export writes it: student columns, one column per assignment
# titled "Title (id)", then Canvas's own computed columns; a Points Possible row
EXPORT = [
    ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Exercise 1 — An image and a kernel (5001)",
     "Ex 2: the slide (5002)", "Quiz 1 (5100)", "Current Points", "Final Points", "Current Score", "Final Score"],
    ["    Points Possible", "", "", "", "", "3", "4", "10", "(read only)", "(read only)", "(read only)", "(read only)"],
    ["doe, jane", "12345", "s12345", "jdoe", "Section A", "", "", "8", "8", "8", "80", "80"],
    ["roe, ann", "23456", "s23456", "aroe", "Section A", "", "", "9", "9", "9", "90", "90"],
]


def _rows(results):
    return [r.record() for r in results]


def _class():
    return _rows([
        Result(submission=f"doejane_12345_1_{EX1}.ipynb", learner="doejane", lms_id="12345", platform="canvas",
               exercise=EX1, questions={"window_sum": True, "feature_map": True, "feature_map_shape": False}),
        Result(submission=f"roeann_23456_2_{EX2}.ipynb", learner="roeann", lms_id="23456", platform="canvas",
               exercise=EX2, questions={q: True for q in ("output_length", "same_padding", "strided_feature_map",
                                                          "dilated_same_padding")}),
        Result(submission=f"anon_xK3p_3_{EX1}.ipynb", learner="anon_xK3p", lms_id="anon_xK3p", platform="canvas",
               exercise=EX1, questions={"window_sum": True, "feature_map": False, "feature_map_shape": False}),
    ])


def _import(path, assignments):
    """What Canvas's importer makes of ``path``: ``({column: (assignment id or None, points)},
    {student id: {assignment id: grade}})``; ``assignments``: the course's ``{id: title}``."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1]  # row_has_student_headers?
    columns = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        columns += 1
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        columns += 2
    assert "Section" in header[columns - 1]  # the last student column, else InvalidHeaderRow
    own = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|Override")
    parsed = {}
    for index, name in enumerate(header[columns:], start=columns):
        if own.search(name):
            continue
        match = re.fullmatch(r"(.*) \((\d+)\)", name, re.S)  # Assignment.title_and_id
        found = int(match[2]) if match and int(match[2]) in assignments else \
            next((i for i, title in assignments.items() if title == name), None)
        parsed[name] = (found, index)
    points = next(r for r in rows[1:] if "Points Possible" in r[0])
    grades = {}
    for row in rows[1:]:
        if "Points Possible" in row[0]:
            continue
        grades[row[1]] = {found: row[index] for name, (found, index) in parsed.items()}
    return {name: (found, points[index]) for name, (found, index) in parsed.items()}, grades


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "export.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:  # Canvas's export starts with a BOM
        csv.writer(handle).writerows(EXPORT)
    return path


COURSE = {5001: "Exercise 1 — An image and a kernel", 5002: "Ex 2: the slide", 5100: "Quiz 1"}


def test_the_export_names_each_exercise_column_and_canvas_matches_every_one(export, tmp_path):
    columns = read_export(export, [EX1, EX2, EX3])
    assert columns == {EX1: "Exercise 1 — An image and a kernel (5001)", EX2: "Ex 2: the slide (5002)"}
    out = tmp_path / "canvas.csv"
    count, warnings = write_canvas(out, _class(), columns)
    assignments, grades = _import(out, COURSE)
    assert assignments == {columns[EX1]: (5001, str(questions_in(EX1))), columns[EX2]: (5002, str(questions_in(EX2)))}
    assert grades == {"12345": {5001: "2", 5002: ""}, "23456": {5001: "", 5002: "4"}} and count == 2
    assert any("anonymous learner(s) left out (anon_xK3p)" in w for w in warnings)


def test_without_the_export_the_columns_are_new_assignments_and_it_says_so():
    header, lines, warnings = canvas_table(_class())
    assert header[5:] == [EX1, EX2]  # only the exercises handed in: no column for exercise 3
    assert "anon_xK3p" not in {line[1] for line in lines}
    assert any("Canvas will offer to create new assignments" in w for w in warnings)


def test_an_exercise_without_a_column_is_left_out_with_a_word():
    header, _, warnings = canvas_table(_class(), {EX2: "Ex 2: the slide (5002)"})
    assert header[5:] == ["Ex 2: the slide (5002)"]
    assert any(f"no assignment column for {EX1}, left out" in w for w in warnings)


def test_a_column_is_named_by_number_or_notebook_and_an_ambiguous_export_is_refused(tmp_path):
    assert parse_column("1=Exercise 1 (5001)") == (EX1, "Exercise 1 (5001)")
    assert parse_column(f"{EX2}=Slide (9)") == (EX2, "Slide (9)")
    for bad in ("9=X (1)", "1", "=X", "1="):
        with pytest.raises(ValueError, match="EXERCISE=TITLE"):
            parse_column(bad)
    twice = tmp_path / "twice.csv"
    with open(twice, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([EXPORT[0][:5] + ["Exercise 1 (1)", "Exercise 1 redo (2)"], EXPORT[1][:7]])
    with pytest.raises(ValueError, match="matches several assignments.*--canvas-column 1="):
        read_export(twice, [EX1])
    with pytest.raises(ValueError, match="not Canvas's gradebook export"):
        read_export(ROOT / "README.md", [EX1])


def test_the_command_refuses_a_column_it_cannot_read(tmp_path):
    done = subprocess.run([*GRADE, str(ROOT / "solutions"), "--canvas", str(tmp_path / "c.csv"),
                           "--canvas-column", "one=Exercise 1", "--out", str(tmp_path / "g.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "EXERCISE=TITLE" in done.stderr
