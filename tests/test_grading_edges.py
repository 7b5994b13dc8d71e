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

import nbformat
import pytest

from convlib.grading.identify import learner_of
from convlib.grading.roster import roster

from gradingkit import EX1, course_notebook

MALLORY_FLAT = f"Mallory X_803_assignsubmission_file_roeann_23456_11111_{EX1}.ipynb"  # Moodle, flat download
ROEANN = f"roeann_23456_11111_{EX1}.ipynb"  # Canvas: user 23456, attachment 11111


def _write(folder, relative, nb, modified):
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    os.utime(path, (modified, modified))
    return path


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

