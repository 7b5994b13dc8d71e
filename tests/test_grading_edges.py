"""The grader's edges, attacked: whose a file is when names are crafted, an upload that brings
its own ``convlib`` to Gradescope, and files made to end or slow the run.

Each platform's pattern matches only the whole name as that platform builds it, and the
platform's prefix wins over what the learner typed inside it. The names below are built as the
platforms' own source builds them:

- Moodle, ``mod/assign/classes/downloader.php`` (4.1+): ``get_student_prefix`` is
  ``clean_filename(str_replace('_', ' ', fullname) . '_' . uniqueid)`` (``Participant`` for the
  name under blind marking; the group's name and id in team mode); with "download as folders"
  a file goes to ``prefix_assignsubmission_file`` + its own path (``/x.ipynb``; Moodle before
  4.1 wrote ``..._file_/``), else to ``prefix_assignsubmission_file_`` + its name.
- Canvas, ``lib/content_zipper.rb``: ``get_filename`` joins ``[users_name, "LATE" if late, id]``
  with ``_`` and removes every non-word character; ``users_name`` is the sortable name with
  ``_(\\d+)_`` taken out and lowercased; ``id`` is the user id, or ``anon_<anonymous id>`` under
  anonymous grading (no name then); ``add_upload_submission`` appends ``_<attachment id>_`` and
  the file's own name.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from convlib.grading.status import Status
from convlib.grading import pipeline
from convlib.exercises import MODULES
from convlib.grading.pipeline import grade_one
from convlib.grading.identify import cell_role, learner_of
from convlib.grading.read import (MAX_CELLS, MAX_CONTAINERS, MAX_DEPTH, MAX_NOTEBOOK_BYTES, MAX_SOURCE_CHARS, MAX_STRINGS,
                                  read)
from convlib.grading.roster import roster

from gradingkit import (EX1, GRADE, ROOT, as_gradescope, autograder_zip, check_results, course_notebook,
                        needs_sandbox)

MALLORY_FLAT = f"Mallory X_803_assignsubmission_file_roeann_23456_11111_{EX1}.ipynb"  # Moodle, flat download
ROEANN = f"roeann_23456_11111_{EX1}.ipynb"  # Canvas: user 23456, attachment 11111


def _write(folder, relative, nb, modified):
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    os.utime(path, (modified, modified))
    return path


def _wrong_window_sum():
    """Exercise 1's solution with window_sum wrong: 1 point of 3 (feature_map_shape)."""
    nb = course_notebook("solutions", EX1)
    next(c for c in nb.cells if cell_role(c) == ("answer", "window_sum")).source = \
        "def window_sum(image, kernel, row, col):\n    return 4\n"
    return nb


def _who(path, root):
    learner, _ = learner_of({}, root / path, root)
    return learner.name, learner.platform, learner.lms_id, learner.late


# ------------------------------------------------------------------------------ identity
@pytest.mark.parametrize("name, expected", [
    # Moodle 4.1+: prefix_assignsubmission_file + the file's path; the older ..._file_/ too
    (f"Jane Doe_814_assignsubmission_file/{EX1}.ipynb", ("Jane Doe", "moodle", "814", False)),
    (f"Jane Doe_814_assignsubmission_file_/{EX1}.ipynb", ("Jane Doe", "moodle", "814", False)),
    (f"Participant_812_assignsubmission_file/{EX1}.ipynb", ("Participant 812", "moodle", "812", False)),
    # Moodle flat download: prefix_assignsubmission_file_ + the file's name
    (f"Jane Doe_814_assignsubmission_file_{EX1}.ipynb", ("Jane Doe", "moodle", "814", False)),
    # Canvas: name, LATE, user id, attachment id, file
    (f"doejane_12345_67890_{EX1}.ipynb", ("doejane", "canvas", "12345", False)),
    (f"doejane_LATE_12345_67890_{EX1}.ipynb", ("doejane", "canvas", "12345", True)),
    (f"o_neilpat_12345_67890_{EX1}.ipynb", ("o_neilpat", "canvas", "12345", False)),  # an _ kept in the name
    (f"anon_Xy12z_67890_{EX1}.ipynb", ("anon_Xy12z", "canvas", "anon_Xy12z", False)),  # anonymous grading
    (f"LATE_anon_Xy12z_67890_{EX1}.ipynb", ("anon_Xy12z", "canvas", "anon_Xy12z", True)),
    # not the whole name as a platform builds it: no platform, no number
    (f"Doe Jane_12345_67890_{EX1}.ipynb", ("Doe Jane_12345_67890", "", "", False)),  # Canvas removes spaces
    (f"doejane_12345_my {EX1}.ipynb", ("doejane_12345_my", "", "", False)),  # no attachment id
    (f"Jane Doe_814_assignsubmission_onlinetext_{EX1}.ipynb",
     ("Jane Doe_814_assignsubmission_onlinetext", "", "", False)),  # only the file plugin holds files
    (f"Jane_Doe_814_assignsubmission_file_{EX1}.ipynb",
     ("Jane_Doe_814_assignsubmission_file", "", "", False)),  # Moodle's names never hold _
])
def test_each_platform_matches_only_its_whole_name(tmp_path, name, expected):
    assert _who(name, tmp_path) == expected


def test_a_moodle_prefix_wins_over_a_canvas_name_typed_after_it(tmp_path):
    """Mallory (Moodle 803) names her flat-download file after a Canvas classmate: it is hers,
    and the classmate's own Canvas file stays the classmate's, graded, never an older copy."""
    _write(tmp_path, ROEANN, course_notebook("solutions", EX1), 1_700_000_000)
    _write(tmp_path, MALLORY_FLAT, course_notebook("exercises", EX1), 2_000_000_000)  # newer
    entries = {e.relative: e for e in roster([tmp_path])}
    mallory, roeann = entries[MALLORY_FLAT], entries[ROEANN]
    assert (mallory.learner.name, mallory.learner.platform, mallory.learner.lms_id) == ("Mallory X", "moodle", "803")
    assert (roeann.learner.name, roeann.learner.platform, roeann.learner.lms_id) == ("roeann", "canvas", "23456")
    assert roeann.graded_instead is None and mallory.graded_instead is None
    assert roeann.notes == []
    assert "roeann_23456_11111" in " ".join(mallory.notes) and "Mallory X (moodle 803)" in " ".join(mallory.notes)


def test_a_platform_folder_the_learner_made_inside_their_own_is_theirs(tmp_path):
    """Moodle keeps the folders a learner made in their submission; the outermost one is Moodle's."""
    inside = f"Mallory Poe_817_assignsubmission_file/Ann Lee_816_assignsubmission_file/{EX1}.ipynb"
    assert _who(inside, tmp_path) == ("Mallory Poe", "moodle", "817", False)
    learner, note = learner_of({}, tmp_path / f"Mallory Poe_817_assignsubmission_file/{ROEANN}", tmp_path)
    assert (learner.lms_id, learner.platform) == ("817", "moodle") and "roeann_23456_11111" in note


def test_folders_above_the_graded_folder_name_no_one(tmp_path):
    root = tmp_path / "Jane Doe_814_assignsubmission_file"
    assert _who(f"{EX1}.ipynb", root) == ("", "", "", False)


# ------------------------------------------------------------------------------ nothing from the upload on the grader's path
PLANTED = """import json, pathlib
for where in ("/autograder", "/tmp"):
    try:
        (pathlib.Path(where) / "planted-ran").write_text(__file__)
    except OSError:
        pass
"""
PLANTED_AUTOGRADER = PLANTED + """
results = pathlib.Path("/autograder/results")
results.mkdir(parents=True, exist_ok=True)
(results / "results.json").write_text(json.dumps({"score": 1000, "output": "planted", "tests": []}))
"""


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    return autograder_zip(tmp_path_factory.mktemp("zip"))


@needs_sandbox
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("bwrap") is None,
                    reason="Gradescope runs the autograder as root; bubblewrap binds the folder at /autograder")
def test_gradescope_started_inside_the_upload_runs_none_of_it(autograder, tmp_path, monkeypatch):
    """An upload that carries its own ``convlib`` (the package, its grading and its autograder),
    with run_autograder started from inside the upload: the planted code never runs and the
    score is the real one."""
    upload = tmp_path / "upload"
    _write(upload, f"{EX1}.ipynb", _wrong_window_sum(), 1_700_000_000)
    (upload / "convlib" / "grading").mkdir(parents=True)
    (upload / "convlib" / "__init__.py").write_text(PLANTED)
    (upload / "convlib" / "grading" / "__init__.py").write_text(PLANTED)
    (upload / "convlib" / "grading" / "autograder.py").write_text(PLANTED_AUTOGRADER)
    (upload / "convlib" / "answers").mkdir()
    (upload / "convlib" / "answers" / "__init__.py").write_text(PLANTED)
    (upload / "convlib" / "answers" / "policy.py").write_text(PLANTED)  # the answers' scanner, run as root
    monkeypatch.chdir(upload)  # Gradescope starts run_autograder where it likes: here, inside the upload
    home = tmp_path / "run"
    data, log = as_gradescope(home, autograder, upload)
    check_results(data)
    assert data["score"] == 1, data  # feature_map_shape only: the wrong window_sum, graded for real
    assert data["output"] != "planted"
    assert not (home / "autograder" / "planted-ran").exists(), log[-2000:]


# ------------------------------------------------------------------------------ reading that cannot fail the run
def _cells_file(count):
    """A notebook of ``count`` empty raw cells, 46 bytes each (700,000 of them: 31 MB)."""
    cell = b'{"cell_type":"raw","metadata":{},"source":[]}'
    return b'{"cells":[' + b",".join([cell] * count) + b'],"metadata":{},"nbformat":4,"nbformat_minor":5}'


def _deep_metadata(depth=600):
    """Exercise 1's handout whose notebook metadata nests ``depth`` deep: about 9 KB of valid JSON
    beyond the handout, and RecursionError in nbformat's from_dict."""
    nb = json.loads((ROOT / "exercises" / f"{EX1}.ipynb").read_text(encoding="utf-8"))
    node = nb["metadata"]
    for _ in range(depth):
        node["k"] = {}
        node = node["k"]
    return json.dumps(nb, separators=(",", ":")).encode()


def _hostile(folder):
    """``{name: (status, words the detail holds)}`` for hostile files written into ``folder``."""
    (folder / f"deep_{EX1}.ipynb").write_bytes(_deep_metadata())
    (folder / f"cells_{EX1}.ipynb").write_bytes(_cells_file(700_000))
    (folder / f"self_{EX1}.ipynb").symlink_to(f"self_{EX1}.ipynb")  # a link to itself
    (folder / f"loop_a_{EX1}.ipynb").symlink_to(f"loop_b_{EX1}.ipynb")  # a loop of two links
    (folder / f"loop_b_{EX1}.ipynb").symlink_to(f"loop_a_{EX1}.ipynb")
    (folder / f"key_{EX1}.ipynb").symlink_to(ROOT / "solutions" / f"{EX1}.ipynb")  # to the answer key
    os.mkfifo(folder / f"fifo_{EX1}.ipynb")  # no writer: opening it for reading would block
    return {f"deep_{EX1}.ipynb": (Status.TOO_LARGE, f"nested more than {MAX_DEPTH} deep"),
            f"cells_{EX1}.ipynb": (Status.TOO_LARGE, f"more than {MAX_CONTAINERS:,} JSON objects and lists"),
            f"self_{EX1}.ipynb": (Status.NOT_A_FILE, "a symbolic link"),
            f"loop_a_{EX1}.ipynb": (Status.NOT_A_FILE, "a symbolic link"),
            f"loop_b_{EX1}.ipynb": (Status.NOT_A_FILE, "a symbolic link"),
            f"key_{EX1}.ipynb": (Status.NOT_A_FILE, "a symbolic link"),
            f"fifo_{EX1}.ipynb": (Status.NOT_A_FILE, "a FIFO")}


def test_hostile_files_are_read_to_a_status_of_their_own(tmp_path):
    expected = _hostile(tmp_path)
    assert len((tmp_path / f"deep_{EX1}.ipynb").read_bytes()) - len((ROOT / "exercises" / f"{EX1}.ipynb").read_bytes()) \
        < 12_000
    assert (tmp_path / f"cells_{EX1}.ipynb").stat().st_size < MAX_NOTEBOOK_BYTES  # refused for its cells, not its size
    with pytest.raises(RecursionError):  # what the deep file does to nbformat, unbounded
        nbformat.from_dict(json.loads((tmp_path / f"deep_{EX1}.ipynb").read_bytes()))
    for name, (status, words) in expected.items():
        submission = read(tmp_path / name)
        assert (submission.status, submission.notebook) == (status, None), name
        assert words in submission.detail, (name, submission.detail)


@pytest.mark.parametrize("content, words", [
    (_cells_file(MAX_CELLS + 1), f"{MAX_CELLS + 1:,} cells"),  # few enough objects, too many cells
    (b'{"cells":[],"metadata":{"x":[' + b",".join([b'"ab"'] * (MAX_STRINGS + 1)) + b"]}}", "JSON strings"),
    (b'{"cells":[],"metadata":' + b'{"k":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 2), "nested"),
    (json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "x" * (MAX_SOURCE_CHARS + 1)}]}).encode(),
     "characters"),
])
def test_each_bound_of_the_reader_holds(tmp_path, content, words):
    path = tmp_path / f"{EX1}.ipynb"
    path.write_bytes(content)
    submission = read(path)
    assert submission.status == Status.TOO_LARGE and words in submission.detail, submission.detail


def test_a_notebook_within_every_bound_keeps_only_what_grading_reads(tmp_path):
    nb = course_notebook("solutions", EX1)
    nb.metadata["widgets"] = {"state": {"a": {"b": {"c": list(range(10))}}}}
    nb.cells[0].metadata["tags"] = ["x"]
    path = _write(tmp_path, f"{EX1}.ipynb", nb, 1_700_000_000)
    kept = read(path).notebook
    assert kept.metadata == {"convlib": nb.metadata["convlib"]}
    assert [(c.cell_type, c.source, c.get("id")) for c in kept.cells] == [(c.cell_type, c.source, c.id) for c in nb.cells]
    assert [c.metadata for c in kept.cells] == [{"convlib": c.metadata["convlib"]} if "convlib" in c.metadata else {}
                                               for c in nb.cells]
    assert all(c.outputs == [] for c in kept.cells if c.cell_type == "code")


class _Unused:
    """An executor or a scanner that must not be reached."""

    kind = "none"
    limits = None

    def execute(self, *args, **kwargs):
        raise AssertionError("executed")

    def scan(self, source, forbidden=()):
        raise AssertionError("scanned")


def test_each_file_is_read_once_per_run(tmp_path, monkeypatch):
    from convlib.grading import read as read_module

    opened = []
    real = read_module.read_regular
    monkeypatch.setattr(read_module, "read_regular", lambda path, cap: (opened.append(Path(path).name), real(path, cap))[1])
    nb = course_notebook("exercises", EX1)
    nb.metadata.pop("convlib")
    _write(tmp_path, "holiday.ipynb", nb, 1_700_000_000)  # no exercise: graded no further than its reading
    entries = roster([tmp_path])
    (tmp_path / "holiday.ipynb").write_bytes(b"not JSON at all")  # changed after the roster: never seen
    result = grade_one(entries[0].path, _Unused(), entry=entries[0], scanner=_Unused())
    assert result.status == Status.UNKNOWN_EXERCISE and opened == ["holiday.ipynb"]


def test_a_file_the_roster_cannot_identify_costs_only_its_row(tmp_path, monkeypatch):
    from convlib.grading import roster as roster_module

    _write(tmp_path, f"a_{EX1}.ipynb", course_notebook("solutions", EX1), 1_700_000_000)
    _write(tmp_path, f"b_{EX1}.ipynb", course_notebook("solutions", EX1), 1_700_000_000)
    real = roster_module.learner_of

    def fails_on_a(nb, path, root=None, teams=False):
        if Path(path).name.startswith("a_"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(nb, path, root, teams)

    monkeypatch.setattr(roster_module, "learner_of", fails_on_a)
    a, b = roster([tmp_path])
    assert (a.submission.status, a.submission.notebook) == (Status.NOT_NOTEBOOK, None)
    assert "RecursionError" in a.submission.detail
    assert b.submission.status == "" and b.learner.name == "b"


def test_answers_of_many_shell_lines_are_refused_before_the_scan(tmp_path):
    """IPython rewrites a cell once per escape line, reading the whole cell each time; the answer
    gets its own row and the scanner (shared by nobody, but bounded in time) is never asked."""
    nb = course_notebook("solutions", EX1)
    cell = next(c for c in nb.cells if cell_role(c) == ("answer", "window_sum"))
    cell.source = cell.source + "\n" + "\n".join("!ls" for _ in range(2_000))
    _write(tmp_path, f"{EX1}.ipynb", nb, 1_700_000_000)
    entry = roster([tmp_path])[0]
    result = grade_one(entry.path, _Unused(), entry=entry, scanner=_Unused())
    assert result.status == Status.ANSWER_TOO_LARGE and "window_sum" in result.detail, result.detail
    for exercise in MODULES:  # honest answers are never refused
        for c in course_notebook("solutions", exercise).cells:
            assert cell_role(c)[0] != "answer" or not pipeline._too_much_rewriting(c.source), (exercise, c.source[:80])


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """A class folder with honest learners of two platforms beside every hostile file above, graded
    with every output the grader writes."""
    base = tmp_path_factory.mktemp("hostile")
    folder = base / "class"
    folder.mkdir()
    expected = _hostile(folder)
    _write(folder, ROEANN, course_notebook("solutions", EX1), 1_700_000_000)  # Canvas 23456: 3 of 3
    _write(folder, MALLORY_FLAT, course_notebook("exercises", EX1), 2_000_000_000)  # Moodle 803, the newest
    _write(folder, f"Jane Doe_814_assignsubmission_file/{EX1}.ipynb", _wrong_window_sum(), 1_700_000_000)  # 1 of 3
    out = {"grades": base / "grades.csv", "canvas": base / "canvas.csv", "moodle": base / "moodle",
           "learners": base / "learners.csv", "feedback": base / "feedback", "similar": base / "similar.csv"}
    done = subprocess.run([*GRADE, str(folder), "--out", str(out["grades"]), "--jobs", "2",
                           "--canvas", str(out["canvas"]), "--moodle", str(out["moodle"]),
                           "--by-learner", str(out["learners"]), "--feedback", str(out["feedback"]),
                           "--similarity", str(out["similar"])], capture_output=True, text=True, timeout=900)
    with open(out["grades"], newline="", encoding="utf-8") as handle:
        rows = {Path(r["submission"]).relative_to(folder).as_posix(): r for r in csv.DictReader(handle)}
    return {**out, "rows": rows, "done": done, "expected": expected}


@needs_sandbox
def test_hostile_files_cost_only_their_own_rows_and_every_output_is_written(hostile_class):
    done, rows = hostile_class["done"], hostile_class["rows"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(rows) == len(hostile_class["expected"]) + 3
    for name, (status, words) in hostile_class["expected"].items():
        assert (rows[name]["status"], rows[name]["passed"]) == (status, "0"), rows[name]
        assert words in rows[name]["detail"], rows[name]
    roeann, mallory = rows[ROEANN], rows[MALLORY_FLAT]
    jane = rows[f"Jane Doe_814_assignsubmission_file/{EX1}.ipynb"]
    assert (roeann["status"], roeann["passed"], roeann["platform"], roeann["lms_id"]) == ("graded", "3", "canvas", "23456")
    assert (mallory["status"], mallory["passed"], mallory["platform"], mallory["lms_id"]) == ("graded", "0", "moodle", "803")
    assert (jane["status"], jane["passed"]) == ("graded", "1")
    for path in (hostile_class["canvas"], hostile_class["learners"], hostile_class["similar"],
                 hostile_class["feedback"] / "index.html", hostile_class["moodle"] / f"moodle-{EX1}.csv"):
        assert path.is_file() and path.stat().st_size > 0, path
    with open(hostile_class["canvas"], newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    section = table[0].index("Section")
    assert {row[1]: row[section + 1:] for row in table[2:] if row[1]} == {"23456": ["3"]}  # the classmate untouched
    sheet = (hostile_class["moodle"] / f"moodle-{EX1}.csv").read_text(encoding="utf-8")
    assert "Participant 803" in sheet and "Participant 814" in sheet


@needs_sandbox
def test_the_grader_started_inside_a_handed_in_folder_runs_none_of_it(tmp_path):
    """convlib-grade started from a folder holding a handed-in ``convlib/``: the processes it starts
    (the answers' reader among them) import the course's own package, never that one."""
    folder = tmp_path / "class"
    _write(folder, f"jdoe_{EX1}.ipynb", course_notebook("solutions", EX1), 1_700_000_000)
    for package in ("convlib", "convlib/answers", "convlib/grading"):
        (folder / package).mkdir(parents=True, exist_ok=True)
        (folder / package / "__init__.py").write_text(PLANTED)
    (folder / "convlib" / "answers" / "policy.py").write_text(PLANTED)
    (Path("/tmp") / "planted-ran").unlink(missing_ok=True)
    done = subprocess.run([*GRADE[:1], "-P", *GRADE[1:], ".", "--out", str(tmp_path / "grades.csv")], cwd=folder,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (Path("/tmp") / "planted-ran").exists()
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["status"], r["passed"]) for r in rows] == [("graded", "3")], rows
