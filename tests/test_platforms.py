"""Class folders as Moodle and Canvas deliver them, and the files those platforms import.

The files are held against the importers' own rules, checked here as the importers check them:

- Canvas's gradebook import (Grades > Import): the header starts ``Student, ID``; only ``SIS User
  ID`` and ``SIS Login ID`` may come before the ``Section`` column that ends the student columns;
  every later column is an assignment; a ``Points Possible`` row gives each one's points.
- Moodle's "Upload grading worksheet" (mod/assign/feedback/offline, importgradeslib.php): it needs
  the columns ``Identifier``, ``Grade`` and ``Last modified (grade)`` by name, strips the word
  ``Participant `` off the identifier and looks the rest up as the participant number; it skips a
  grade that is empty, negative or above the assignment's maximum, and one changed in Moodle
  more than a minute after ``Last modified (grade)`` (read with PHP's strtotime).
"""

from __future__ import annotations

import csv
import json
import shutil
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from convlib.grading.identify import cell_role, learner_of
from convlib.grading.roster import roster

from gradingkit import (EX1, EX2, GRADE, as_gradescope_at_once, autograder_zip, check_results,
                        course_notebook as _notebook, needs_sandbox, questions_in as _questions_in)


def _wrong_window_sum():
    nb = _notebook("solutions", EX1)
    next(c for c in nb.cells if cell_role(c) == ("answer", "window_sum")).source = \
        "def window_sum(image, kernel, row, col):\n    return 4\n"
    return nb


def _write(folder, relative, nb, modified):
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    os.utime(path, (modified, modified))


BLIND_A, BLIND_B = "Participant_812_assignsubmission_file_", "Participant_813_assignsubmission_file_"
FLAT = f"Jane Doe_814_assignsubmission_file_{EX1}.ipynb"
GROUP = "Group A-John Roe_815_assignsubmission_file_"
ANN, MALLORY = "Ann Lee_816_assignsubmission_file_", "Mallory Poe_817_assignsubmission_file_"
LATE = f"doejane_LATE_12345_67999_{EX1}.ipynb"
CANVAS_ON_TIME = f"roeann_23456_11111_{EX2}.ipynb"


def _class(folder):
    _write(folder, f"{BLIND_A}/{EX1}.ipynb", _notebook("solutions", EX1), 1_700_000_000)
    _write(folder, f"{BLIND_B}/{EX1}.ipynb", _notebook("exercises", EX1), 1_600_000_000)
    _write(folder, FLAT, _wrong_window_sum(), 1_700_000_000)
    _write(folder, f"{GROUP}/{EX2}.ipynb", _notebook("solutions", EX2), 1_700_000_000)
    _write(folder, f"{ANN}/{EX1}.ipynb", _notebook("solutions", EX1), 1_700_000_000)
    # Mallory names a file after Ann inside her own folder, newest of all
    _write(folder, f"{MALLORY}/Ann Lee_{EX1}.ipynb", _notebook("exercises", EX1), 2_000_000_000)
    claim = _notebook("exercises", EX1)  # no name in its path; its metadata claims Ann
    claim.metadata["convlib"]["learner"] = "Ann Lee"
    _write(folder, f"{EX1}.ipynb", claim, 2_000_000_001)
    _write(folder, LATE, _notebook("solutions", EX1), 1_700_000_000)
    _write(folder, CANVAS_ON_TIME, _notebook("exercises", EX2), 1_700_000_000)


# ------------------------------------------------------------------------------ identity, without grading
def test_identity_comes_from_the_names_the_platform_set(tmp_path):
    _class(tmp_path)
    found = {e.relative: (e.learner.name, e.learner.platform, e.learner.lms_id, e.learner.late, e.graded_instead)
             for e in roster([tmp_path])}
    assert found == {
        f"{BLIND_A}/{EX1}.ipynb": ("Participant 812", "moodle", "812", False, None),
        f"{BLIND_B}/{EX1}.ipynb": ("Participant 813", "moodle", "813", False, None),
        FLAT: ("Jane Doe", "moodle", "814", False, None),
        f"{GROUP}/{EX2}.ipynb": ("Group A-John Roe", "moodle", "815", False, None),
        f"{ANN}/{EX1}.ipynb": ("Ann Lee", "moodle", "816", False, None),
        f"{MALLORY}/Ann Lee_{EX1}.ipynb": ("Mallory Poe", "moodle", "817", False, None),
        f"{EX1}.ipynb": ("", "", "", False, None),
        LATE: ("doejane", "canvas", "12345", True, None),
        CANVAS_ON_TIME: ("roeann", "canvas", "23456", False, None),
    }
    notes = {e.relative: " ".join(e.notes) for e in roster([tmp_path])}
    assert "says Ann Lee; filed under Mallory Poe (moodle 817)" in notes[f"{MALLORY}/Ann Lee_{EX1}.ipynb"]
    assert "says it is Ann Lee's" in notes[f"{EX1}.ipynb"]
    assert notes[f"{ANN}/{EX1}.ipynb"] == ""


def test_the_same_name_with_two_numbers_is_two_learners(tmp_path):
    """Two Moodle participants called alike (or a Canvas and a Moodle learner) never merge."""
    _write(tmp_path, f"Sam Poe_1_assignsubmission_file_/{EX1}.ipynb", _notebook("exercises", EX1), 1)
    _write(tmp_path, f"Sam Poe_2_assignsubmission_file_/{EX1}.ipynb", _notebook("exercises", EX1), 2)
    assert [e.graded_instead for e in roster([tmp_path])] == [None, None]


def test_a_canvas_looking_file_inside_a_moodle_folder_is_the_folder_owners(tmp_path):
    nb = _notebook("exercises", EX1)
    learner, note = learner_of(nb, tmp_path / MALLORY / f"annlee_23456_1_{EX1}.ipynb", tmp_path)
    assert (learner.name, learner.lms_id) == ("Mallory Poe", "817") and "annlee_23456_1" in note


# ------------------------------------------------------------------------------ graded, and the platforms' files
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("lms")
    folder = base / "class"
    _class(folder)
    out = {"grades": base / "grades.csv", "canvas": base / "canvas.csv", "moodle": base / "moodle",
           "learners": base / "learners.csv", "feedback": base / "feedback"}
    started = time.time()
    done = subprocess.run([*GRADE, str(folder), "--out", str(out["grades"]), "--jobs", "2",
                           "--canvas", str(out["canvas"]), "--moodle", str(out["moodle"]),
                           "--by-learner", str(out["learners"]), "--feedback", str(out["feedback"]),
                           "--similarity", str(base / "similar.csv")],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(out["grades"], newline="", encoding="utf-8") as handle:
        rows = {Path(r["submission"]).relative_to(folder).as_posix(): r for r in csv.DictReader(handle)}
    return {**out, "rows": rows, "done": done, "started": started, "similar": base / "similar.csv"}


def _table(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@needs_sandbox
def test_every_learner_apart_and_every_piece_of_work_counted(graded):
    rows = graded["rows"]
    assert all(r["status"] == "graded" for r in rows.values()), {k: r["status"] for k, r in rows.items()}
    assert (rows[f"{BLIND_A}/{EX1}.ipynb"]["passed"], rows[f"{BLIND_B}/{EX1}.ipynb"]["passed"]) == ("3", "0")
    assert rows[f"{ANN}/{EX1}.ipynb"]["passed"] == "3"  # Mallory's file did not make Ann's an older copy
    assert rows[f"{MALLORY}/Ann Lee_{EX1}.ipynb"]["learner"] == "Mallory Poe"
    assert rows[f"{EX1}.ipynb"]["learner"] == ""
    assert rows[LATE]["late"] == "late" and rows[CANVAS_ON_TIME]["late"] == ""


@needs_sandbox
def test_canvas_imports_the_file(graded):
    table = _table(graded["canvas"])
    header = table[0]
    assert header[:2] == ["Student", "ID"]
    section = header.index("Section")
    assert set(header[2:section]) <= {"SIS User ID", "SIS Login ID"}
    assignments = header[section + 1:]
    assert assignments == [EX1, EX2]  # only the exercises graded: no Total, no Possible
    assert table[1][0] == "Points Possible"
    possible = dict(zip(assignments, map(float, table[1][section + 1:])))
    assert possible == {EX1: _questions_in(EX1), EX2: _questions_in(EX2)}
    students = {row[1]: dict(zip(assignments, row[section + 1:])) for row in table[2:]}
    assert students == {"12345": {EX1: "3", EX2: ""}, "23456": {EX1: "", EX2: "0"}}
    assert "not named by Canvas, left out" in graded["done"].stderr


@needs_sandbox
def test_moodle_imports_each_worksheet(graded):
    sheets = sorted(p.name for p in graded["moodle"].iterdir())
    assert sheets == [f"moodle-{EX1}.csv", f"moodle-{EX2}.csv"]
    table = _table(graded["moodle"] / f"moodle-{EX1}.csv")
    header, lines = table[0], table[1:]
    for needed in ("Identifier", "Grade", "Last modified (grade)", "Feedback comments"):
        assert needed in header
    column = {name: header.index(name) for name in header}
    grades = {}
    for line in lines:
        identifier = line[column["Identifier"]]
        assert identifier.startswith("Participant ")
        number = identifier[len("Participant "):]  # as importgradeslib.php strips it
        assert number.isdigit()
        grade, maximum = float(line[column["Grade"]]), float(line[column["Maximum Grade"]])
        assert 0 <= grade <= maximum == _questions_in(EX1)
        stamp = datetime.fromisoformat(line[column["Last modified (grade)"]]).timestamp()  # ISO 8601, as strtotime reads it
        assert graded["started"] - 120 <= stamp <= time.time() + 60  # not stale: the upload keeps it
        grades[number] = (grade, line[column["Feedback comments"]])
    assert {n: g for n, (g, _) in grades.items()} == {"812": 3, "813": 0, "814": 1, "816": 3, "817": 0}
    assert grades["814"][1].startswith("1 of 3 points.") and "window_sum" in grades["814"][1]
    assert "\n" not in grades["814"][1]


@needs_sandbox
def test_by_learner_counts_only_the_exercises_graded(graded):
    table = _table(graded["learners"])
    header = table[0]
    assert header[-2:] == ["Total", "Possible"] and EX1 in header and EX2 in header and "03_depth" not in header
    for row in table[1:]:
        line = dict(zip(header, row))
        assert int(line["Possible"]) == _questions_in(EX1) + _questions_in(EX2)
        assert int(line["Total"]) == sum(int(line[e] or 0) for e in (EX1, EX2))
    names = [dict(zip(header, row))["Student"] for row in table[1:]]
    assert names.count("Participant 812") == names.count("Participant 813") == 1


# ------------------------------------------------------------------------------ Gradescope's autograder zip
@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    return autograder_zip(tmp_path_factory.mktemp("zip"))


def test_the_autograder_zip_has_its_scripts_at_the_root_and_the_course_installable(autograder):
    import zipfile

    with zipfile.ZipFile(autograder) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        setup = archive.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "pyproject.toml", "convlib/grade.py", f"solutions/{EX1}.ipynb"} <= names
    assert not any(name.startswith("source/") for name in names)  # Gradescope unpacks it into /autograder/source
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert "pip install --no-cache-dir /autograder/source" in setup


@needs_sandbox
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap binds the folder at /autograder")
def test_gradescope_grades_a_notebook_two_copies_and_a_pdf(autograder, tmp_path):
    one = tmp_path / "one"
    _write(one, f"{EX1}.ipynb", _wrong_window_sum(), 1_700_000_000)
    copies = tmp_path / "copies"
    for i, when in enumerate((1_700_000_000, 1_800_000_000, 1_600_000_000)):
        _write(copies, f"{EX1} ({i}).ipynb", _notebook("solutions" if i == 1 else "exercises", EX1), when)
    pdf = tmp_path / "pdf"
    pdf.mkdir()
    (pdf / "my work.pdf").write_bytes(b"%PDF-1.4\n")
    runs = as_gradescope_at_once(tmp_path, autograder, {"a": one, "b": copies, "c": pdf})

    data, _ = runs["a"]
    check_results(data)
    assert data["output_format"] == "md" and len(data["tests"]) == _questions_in(EX1)
    assert data["score"] == 1  # feature_map_shape; feature_map calls the wrong window_sum
    assert "flipped" not in data["output"]

    data, _ = runs["b"]
    check_results(data)
    assert data["score"] == _questions_in(EX1)  # the newest copy, once: never 3 copies' worth
    assert f"{EX1} (0).ipynb" in data["output"].replace("\\", "") and f"{EX1} (2).ipynb" in data["output"].replace("\\", "")

    data, _ = runs["c"]
    check_results(data)
    assert data["score"] == 0 and "No notebook" in data["output"] and "my work.pdf" in data["output"].replace("\\", "")


# ------------------------------------------------------------------------------ similarity
WINDOW_SUM = """def window_sum(image, kernel, row, col):
    kh, kw = kernel.shape
    total = 0
    for i in range(kh):
        for j in range(kw):
            total += image[row + i, col + j] * kernel[i, j]
    return total
"""
RENAMED = """def window_sum(picture, k, r, c):
    # my own work, honest
    height, width = k.shape
    acc = 0
    for a in range(height):

        for b in range(width):
            acc += picture[r + a, c + b] * k[a, b]   # multiply and add
    return acc
"""
OTHER = """def window_sum(image, kernel, row, col):
    h, w = kernel.shape
    window = image[row:row + h, col:col + w]
    return float(np.sum(window * kernel))
"""
HANDOUT = "def window_sum(image, kernel, row, col):\n    raise NotImplementedError\n"


def test_similarity_sees_through_names_comments_and_layout():
    from convlib.grading.similarity import SOLUTION, similar_pairs

    key = (EX1, "window_sum")
    answers = {key: [("ann", "a.ipynb", WINDOW_SUM), ("bob", "b.ipynb", RENAMED), ("cy", "c.ipynb", OTHER),
                     ("dee", "d.ipynb", HANDOUT)]}
    pairs = similar_pairs(answers, {key: OTHER}, {key: HANDOUT})
    named = {(a, b) for _, _, a, b, _, _, _ in pairs}
    assert named == {("ann", "bob"), ("cy", SOLUTION)}  # the handout's stub matches no one
    assert all(pair[4] == 1.0 for pair in pairs)


@needs_sandbox
def test_the_shipped_solution_handed_in_is_flagged_and_nothing_deducted(graded):
    with open(graded["similar"], newline="", encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    solution_copies = {(p["first"], p["question"]) for p in pairs if p["second"] == "(the shipped solution)"}
    assert ("Participant 812 (moodle 812)", "window_sum") in solution_copies
    assert ("Ann Lee (moodle 816)", "feature_map") in solution_copies
    row = graded["rows"][f"{ANN}/{EX1}.ipynb"]
    assert row["passed"] == "3" and "matches the shipped solution" in row["review"]


def test_a_review_note_names_a_few_and_counts_the_rest():
    from convlib.grading.similarity import review_notes, similar_pairs

    key = (EX1, "window_sum")
    class_of_six = [(f"l{i}", f"f{i}", RENAMED.replace("acc", f"acc{i}")) for i in range(6)]
    notes = review_notes(similar_pairs({key: class_of_six}, {}, {key: HANDOUT}))
    assert set(notes) == {f"f{i}" for i in range(6)} and all(len(n) == 1 for n in notes.values())
    assert notes["f0"][0].count("'s (100%)") == 3 and "and 2 other learners'" in notes["f0"][0]
