"""Grading: full marks for the solutions, zero for untouched exercises, zero for every cheat."""

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from convlib import grade
from convlib.notebook import cell_role

ROOT = Path(__file__).resolve().parent.parent
EX1 = "01_image_and_kernel"


def _read(folder, name=EX1):
    return nbformat.read(ROOT / folder / f"{name}.ipynb", as_version=4)


def _cells(nb, role, name=None):
    return [c for c in nb.cells if cell_role(c)[0] == role and (name is None or cell_role(c)[1] == name)]


def _answer(nb, name, source):
    _cells(nb, "answer", name)[0].source = source


def _solution_source(name):
    return _cells(_read("solutions"), "answer", name)[0].source


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade, in one run, a folder of crafted submissions; returns (results by file name, folder, hashes)."""
    folder = tmp_path_factory.mktemp("submissions")
    subs = {}

    # the untouched exercise and the solution, renamed as a learner would
    subs["untouched.ipynb"] = _read("exercises")
    subs["alice.ipynb"] = _read("solutions")

    # one right answer, the others untouched: partial credit
    nb = _read("exercises")
    _answer(nb, "feature_map_shape", _solution_source("feature_map_shape"))
    subs["partial.ipynb"] = nb

    # cheat: stored outputs of the checks edited to the expected ones
    nb = _read("exercises")
    reference = _read("solutions")
    for mine, theirs in zip(_cells(nb, "check"), _cells(reference, "check")):
        mine.outputs, mine.execution_count = theirs.outputs, theirs.execution_count
    subs["edited_outputs.ipynb"] = nb

    # cheat: check cells rewritten to print success, and one deleted
    nb = _read("exercises")
    for cell in _cells(nb, "check"):
        cell.source = 'print("✅ Correct: window_sum passes all 6 checks.")'
    nb.cells.remove(_cells(nb, "check")[-1])
    subs["edited_checks.ipynb"] = nb

    # cheat: tags that make nbval skip or accept errors
    nb = _read("exercises")
    for cell in _cells(nb, "answer") + _cells(nb, "check"):
        cell.metadata["tags"] = cell.metadata.get("tags", []) + ["raises-exception", "nbval-skip"]
    subs["tags.ipynb"] = nb

    # cheat: the visible example's answer hard-coded
    nb = _read("exercises")
    _answer(nb, "feature_map", "def feature_map(image, kernel):\n    return np.array([[4, 3, 4], [2, 4, 3], [2, 3, 4]])")
    _answer(nb, "window_sum", "def window_sum(image, kernel, row, col):\n    return 4")
    subs["hard_coded.ipynb"] = nb

    # an answer cell that never ends, with a right answer after it
    nb = _read("exercises")
    _answer(nb, "window_sum", "while True:\n    pass")
    _answer(nb, "feature_map_shape", _solution_source("feature_map_shape"))
    subs["infinite_loop.ipynb"] = nb

    # a function that never ends: stopped by the check itself
    nb = _read("exercises")
    _answer(nb, "feature_map", "def feature_map(image, kernel):\n    while True:\n        pass")
    subs["slow_function.ipynb"] = nb

    # an answer that kills its kernel
    nb = _read("exercises")
    _answer(nb, "window_sum", "import os\nos._exit(3)")
    subs["kills_kernel.ipynb"] = nb

    # metadata lost (a copy into a new notebook), matched by file name and by `def` name
    nb = _read("solutions")
    nb.metadata.pop("convlib")
    for cell in nb.cells:
        cell.metadata.pop("convlib", None)
        cell.id = f"x{abs(hash(cell.source)) % 10**8}"  # new ids, as a new notebook gets
    subs[f"bob_{EX1}.ipynb"] = nb

    for name, nb in subs.items():
        nbformat.write(nb, folder / name)
    (folder / "broken.ipynb").write_text('{"cells": [ this is not json')
    unknown = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(unknown, folder / "holiday_photos.ipynb")

    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    out = folder.parent / "gradebook.csv"
    command = [sys.executable, "-m", "convlib.grade", str(folder), "--out", str(out), "--jobs", "2", "--timeout", "8"]
    env = dict(os.environ, CONVLIB_CHECK_TIME_LIMIT="2")  # the checks' own limit on one call
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    with out.open() as handle:
        rows = {Path(r["submission"]).name: r for r in csv.DictReader(handle)}
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    return rows, before, after, done


def test_submissions_are_untouched(graded):
    rows, before, after, _ = graded
    assert before == after


def test_solution_scores_full_marks_untouched_scores_zero(graded):
    rows = graded[0]
    assert (rows["alice.ipynb"]["passed"], rows["alice.ipynb"]["total"], rows["alice.ipynb"]["score"]) == ("3", "3", "100.0")
    assert rows["alice.ipynb"]["exercise"] == EX1
    assert rows["untouched.ipynb"]["passed"] == "0" and rows["untouched.ipynb"]["status"] == "graded"


def test_partial_credit_per_question(graded):
    row = graded[0]["partial.ipynb"]
    assert (row["window_sum"], row["feature_map"], row["feature_map_shape"]) == ("0", "0", "1")
    assert row["passed"] == "1" and row["score"] == "33.3"


@pytest.mark.parametrize("name", ["edited_outputs.ipynb", "edited_checks.ipynb", "tags.ipynb"])
def test_cheats_score_zero(graded, name):
    assert graded[0][name]["passed"] == "0", graded[0][name]


def test_hard_coded_answers_score_zero(graded):
    row = graded[0]["hard_coded.ipynb"]
    assert row["feature_map"] == "0" and row["window_sum"] == "0"


def test_an_endless_answer_cell_is_cut_and_the_rest_still_counts(graded):
    row = graded[0]["infinite_loop.ipynb"]
    assert row["window_sum"] == "0" and row["feature_map_shape"] == "1"
    assert "ran out of time" in row["detail"]


def test_an_endless_function_is_stopped_by_the_check(graded):
    assert graded[0]["slow_function.ipynb"]["feature_map"] == "0"


def test_a_dead_kernel_is_reported_and_the_run_goes_on(graded):
    row = graded[0]["kills_kernel.ipynb"]
    assert row["passed"] == "0"
    assert row["status"] == grade.STATUS_KERNEL


def test_lost_metadata_still_matched(graded):
    row = graded[0][f"bob_{EX1}.ipynb"]
    assert row["exercise"] == EX1 and row["passed"] == "3"


def test_broken_and_unknown_files_are_reported(graded):
    rows = graded[0]
    assert rows["broken.ipynb"]["status"] == grade.STATUS_NOT_JSON
    assert rows["holiday_photos.ipynb"]["status"] == grade.STATUS_UNKNOWN


def test_summary_and_progress_are_printed(graded):
    done = graded[3]
    assert "solved by:" in done.stdout and "not gradable" in done.stdout
    assert "[13/13]" in done.stderr


def test_all_solutions_full_marks_all_exercises_zero():
    results = grade.grade([ROOT / "solutions", ROOT / "exercises"], jobs=2)
    by_folder = {}
    for r in results:
        assert r.status == grade.OK, r
        by_folder.setdefault(Path(r.submission).parent.name, []).append((r.passed, r.total))
    assert all(p == t >= 3 for p, t in by_folder["solutions"])
    assert all(p == 0 and t >= 3 for p, t in by_folder["exercises"])
    assert len(by_folder["solutions"]) == len(by_folder["exercises"]) == 5


def test_out_must_not_overwrite_a_notebook(tmp_path):
    target = tmp_path / "mine.ipynb"
    target.write_text(json.dumps(nbformat.v4.new_notebook()))
    done = subprocess.run([sys.executable, "-m", "convlib.grade", str(target), "--out", str(target)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "would overwrite a notebook" in done.stderr
    assert json.loads(target.read_text())["cells"] == []
