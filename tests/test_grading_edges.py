"""The grader's edges, attacked: whose a file is when names are crafted.

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

import os
import shutil

import nbformat
import pytest

from convlib.grading.identify import cell_role, learner_of
from convlib.grading.roster import roster

from gradingkit import EX1, as_gradescope, autograder_zip, check_results, course_notebook, needs_sandbox

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
