"""A Gradescope autograder bound to one exercise: its questions are the tests whatever is uploaded,
another exercise's notebook (even renamed) counts for nothing and is named, and the zip's
``run_autograder`` carries the exercise. The upload's layout (``/autograder/submission``,
``submission_metadata.json``'s ``users``) and ``results.json``'s fields (``tests[]`` with ``score``
and ``max_score``) are as Gradescope's autograder specification gives them
(gradescope/autograder_samples, ``docs/specs.md``). Nothing here needs a sandbox: what is not that
exercise is never graded."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile

import nbformat

from convlib.exercises import MODULES
from convlib.grading.autograder import _bound, grade_upload

from gradingkit import EX1, EX2, GRADE, check_results, course_notebook, questions_in


def _upload(root, files):
    submission = root / "submission"
    submission.mkdir(parents=True)
    for name, (folder, exercise) in files.items():
        nbformat.write(course_notebook(folder, exercise), submission / name)
    (root / "submission_metadata.json").write_text(json.dumps({"users": [{"name": "Jane Doe", "id": "77"}]}))
    return submission


def test_another_exercise_renamed_scores_nothing_and_is_named(tmp_path):
    _upload(tmp_path, {f"{EX1}.ipynb": ("solutions", EX2)})  # exercise 2's solution under exercise 1's name
    data = grade_upload(tmp_path, exercise=EX1)
    data["execution_time"] = 0
    check_results(data)
    assert data["score"] == 0 and sum(t["max_score"] for t in data["tests"]) == questions_in(EX1)
    assert {t["name"] for t in data["tests"]} == {f"{EX1}: {n}" for n in ("window_sum", "feature_map",
                                                                           "feature_map_shape")}
    output = data["output"].replace("\\", "")
    assert f"This assignment grades {EX1}" in output and f"{EX1}.ipynb ({EX2})" in output


def test_every_exercise_in_one_upload_counts_only_the_bound_one(tmp_path):
    submission = _upload(tmp_path, {f"{exercise}.ipynb": ("solutions", exercise) for exercise in MODULES})
    theirs, note = _bound(sorted(submission.iterdir()), EX2, submission)
    assert theirs == [submission / f"{EX2}.ipynb"]
    assert all(f"{e}.ipynb ({e})" in note.replace("\\", "") for e in MODULES if e != EX2)
    assert "not counted" in note


def test_the_zip_runs_its_exercise_and_the_command_needs_one(tmp_path):
    out = tmp_path / "autograder.zip"
    done = subprocess.run([*GRADE, "gradescope-autograder", "--exercise", "2", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        script = archive.read("run_autograder").decode()
    assert f"-m convlib.grading.autograder /autograder --exercise {EX2}\n" in script
    for argv in ([], ["--exercise", "9"], ["--exercise", "one"]):
        done = subprocess.run([*GRADE, "gradescope-autograder", *argv, "--out", str(tmp_path / "x.zip")],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and "--exercise" in done.stderr and not (tmp_path / "x.zip").exists()


def test_a_learners_links_and_markdown_reach_no_one(tmp_path):
    from convlib.grading.gradescope import results_json
    from convlib.grading.report import Result

    hostile = "❌ window_sum raised ValueError: see [my site](https://evil.example/x) or www.evil.example <b>hi</b>"
    data = results_json([Result(submission=f"{EX1}.ipynb", exercise=EX1, questions={"window_sum": False},
                                messages={"window_sum": hostile})], execution_time=0)
    check_results(data)
    output = data["tests"][0]["output"]
    assert "evil.example" not in output and "http" not in output and "[link]" in output.replace("\\", "")
    assert not re.search(r"(?<!\\)\]\(", output) and "<b>" not in output  # no Markdown link, no HTML: escaped
