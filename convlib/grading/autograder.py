"""Gradescope as a platform: the autograder zip, and what runs for each upload.

``convlib-grade gradescope-autograder --exercise 1 --out autograder.zip`` writes the zip Gradescope
takes as it is (Configure Autograder → upload it; Ubuntu base image), bound to one exercise: one
Gradescope assignment, one exercise, whose questions are the tests. Gradescope unpacks it into
``/autograder/source``, runs ``setup.sh`` from there once, and ``/autograder/run_autograder``
(copied from the zip's root) for each upload, with the upload in ``/autograder/submission``
and ``/autograder/submission_metadata.json`` naming who handed it in. The zip holds, at its
root, ``setup.sh``, ``run_autograder`` and the course as a package (``pyproject.toml``,
``convlib/``, ``solutions/``), so ``pip install /autograder/source`` installs it.

:func:`main` (``python -m convlib.grading.autograder``) grades one upload as one learner and
always writes ``/autograder/results/results.json``: an upload without a notebook of its exercise
scores 0 with a message saying what it held and what to upload; of several copies of the
exercise the newest is graded and the others are named; other exercises' notebooks are named
and not counted. ``run_autograder`` writes a result of its own if Python cannot. It runs as
root, so nothing of the upload may come on its path: it starts from ``/autograder/source`` and
runs ``python -P`` (no working folder first on ``sys.path``), so a ``convlib/`` in the upload,
wherever Gradescope starts the script, is never imported. The
canary (:mod:`.canary`) runs before each upload is graded; if it fails, the learner is told the
autograder's set-up failed (not their work) and the instructor finds why in the autograder's
output, after the sandbox it used (on Gradescope usually ``uid``: its containers refuse the
namespaces bubblewrap needs).
"""

from __future__ import annotations

import json
import stat
import sys
import time
import zipfile
from pathlib import Path

from ..notebook import notebook_files
from .gradescope import literal, results_json, write_json
from ..exercises import MODULES
from .identify import Learner
from .roster import roster
from .text import capped, shown

__all__ = ["SETUP_SH", "RUN_AUTOGRADER", "write_autograder", "grade_upload", "main", "PLATFORM"]

PLATFORM = "gradescope"
PYTHON = "/opt/course/bin/python"
SETUP_SH = """#!/usr/bin/env bash
# Runs once, as root, when Gradescope builds the autograder image; this zip is in /autograder/source.
set -euxo pipefail
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap
PY=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then  # the course needs Python 3.11+
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
    PY=python3.11
fi
"$PY" -m venv /opt/course
/opt/course/bin/pip install --no-cache-dir /autograder/source
# the answer key for root only: the learners' code may run as other uids on this file system
chmod -R go-rwx /autograder/source \\
    "$(/opt/course/bin/python -c 'import convlib, os; print(os.path.dirname(convlib.__file__))')"
"""
RUN_AUTOGRADER = """#!/usr/bin/env bash
# Runs for each upload (in /autograder/submission), as root; always leaves /autograder/results/results.json.
# Nothing of the upload on the grader's path: it starts from the autograder's own folder, wherever
# it was started, and -P keeps Python from putting the working folder first on sys.path (as -m does).
mkdir -p /autograder/results
if cd /autograder/source; then
    "${{CONVLIB_PYTHON:-{python}}}" -P -m convlib.grading.autograder /autograder --exercise {exercise}
fi
if [ ! -s /autograder/results/results.json ]; then
    cat > /autograder/results/results.json <<'JSON'
{{"score": 0, "output": "The autograder could not run on this upload. Nothing you handed in is lost: tell your instructor.", "output_format": "text", "tests": []}}
JSON
fi
"""
NOT_THIS_EXERCISE = ("This assignment grades {exercise}, and no notebook of it was found in your upload. {others} "
                     "Upload that exercise's notebook (in Jupyter: File → Download).")
SOURCES = ("pyproject.toml", "README.md", "convlib", "solutions")  # as the Dockerfile copies them
SKIPPED = ("__pycache__", ".ipynb_checkpoints")
NO_NOTEBOOK = ("No notebook (.ipynb) was found in your upload{found}. Upload the exercise notebook itself "
               "(in Jupyter: File → Download, which saves the .ipynb file), for example "
               "`01_image_and_kernel.ipynb`; not a PDF, an HTML export or a screenshot.")


def _add(archive, path, name, mode=0o644):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, path.read_bytes() if isinstance(path, Path) else path)


def write_autograder(out, exercise, course=None):
    """Write the autograder zip of ``exercise`` (``'01_image_and_kernel'``) to ``out`` from the
    course folder ``course`` (the repository that holds ``pyproject.toml``, ``convlib`` and
    ``solutions``); returns the names it holds. Its ``run_autograder`` grades only that exercise."""
    if exercise not in MODULES:
        raise ValueError(f"no exercise {exercise!r}: one of {', '.join(MODULES)}")
    course = Path(course) if course else Path(__file__).resolve().parents[2]
    missing = [name for name in SOURCES if not (course / name).exists()]
    if missing:
        raise FileNotFoundError(f"the course's source is needed to build the autograder, and {course} lacks "
                                f"{', '.join(missing)}: run this from a clone of the course")
    names = []
    with zipfile.ZipFile(out, "w") as archive:
        _add(archive, SETUP_SH.encode(), "setup.sh", 0o755)
        _add(archive, RUN_AUTOGRADER.format(python=PYTHON, exercise=exercise).encode(), "run_autograder", 0o755)
        names += ["setup.sh", "run_autograder"]
        for name in SOURCES:
            top = course / name
            for path in sorted([top] if top.is_file() else top.rglob("*")):
                if path.is_file() and not path.is_symlink() and not any(part in SKIPPED for part in path.parts):
                    relative = path.relative_to(course).as_posix()
                    _add(archive, path, relative)
                    names.append(relative)
    return names


def _uploader(root):
    """The learner Gradescope says handed the upload in (its metadata), else one unnamed learner."""
    try:
        users = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8")).get("users") or []
        user = users[0] if isinstance(users[0], dict) else {}
        return Learner(capped(shown(user.get("name") or "submission"), 100), shown(user.get("id") or ""), PLATFORM)
    except (OSError, ValueError, IndexError, AttributeError, TypeError):
        return Learner("submission", "", PLATFORM)


def _bound(notebooks, exercise, submission):
    """``(theirs, others)``: the notebooks that answer ``exercise`` (by their metadata, else their
    name, as the roster identifies them) and a note naming the others, which are not counted."""
    if exercise is None:
        return notebooks, ""
    theirs, others = [], []
    for entry in roster(notebooks):
        (theirs if entry.exercise == exercise else others).append(entry)
    named = [f"{literal(capped(e.path.relative_to(submission).as_posix(), 120))} "
             f"({literal(e.exercise) if e.exercise else 'no exercise of this course'})" for e in others]
    return [e.path for e in theirs], ("Also in your upload, not counted here: " + ", ".join(named) + "."
                                     if named else "")


def grade_upload(root, jobs=1, exercise=None):
    """The ``results.json`` dict for the upload in ``root/submission``; with ``exercise``, only
    that exercise's notebooks count, and its questions are the tests whatever was uploaded."""
    from .pipeline import DEFAULT_SOLUTIONS, grade  # the answer key: only when an upload is graded

    submission = root / "submission"
    notebooks = [file for file, _root in notebook_files([submission])] if submission.is_dir() else []
    if not notebooks:
        found = sorted(p.relative_to(submission).as_posix() for p in submission.rglob("*") if p.is_file()) \
            if submission.is_dir() else []
        listed = f" (it holds {', '.join(literal(capped(n, 120)) for n in found[:10])}{', …' if len(found) > 10 else ''})" \
            if found else " (it is empty)"
        return results_json([], exercise=exercise, preamble=NO_NOTEBOOK.format(found=listed))
    notebooks, others = _bound(notebooks, exercise, submission)
    if not notebooks:
        return results_json([], exercise=exercise, preamble=NOT_THIS_EXERCISE.format(exercise=exercise, others=others))
    from .sandbox import sandbox_kind

    kind, reason = sandbox_kind()
    print(f"sandbox: {kind}" + (f" ({reason})" if reason else ""), file=sys.stderr, flush=True)  # for the instructor
    results = grade(notebooks, DEFAULT_SOLUTIONS, jobs=jobs, learner=_uploader(root), kind=kind)
    return results_json(results, exercise=exercise, preamble=others)


def main(argv=None):
    """``python -m convlib.grading.autograder [ROOT]``: grade ``ROOT/submission`` (ROOT defaults to
    /autograder) and write ``ROOT/results/results.json``, whatever happens."""
    argv = sys.argv[1:] if argv is None else list(argv)
    exercise = None
    if "--exercise" in argv:
        at = argv.index("--exercise")
        exercise, argv = argv[at + 1], argv[:at] + argv[at + 2:]
    root = Path(argv[0] if argv else "/autograder")
    started = time.monotonic()
    from .canary import CanaryFailed
    try:
        data = grade_upload(root, exercise=exercise)
    except CanaryFailed as err:  # the grader's set-up on Gradescope, not the upload: the instructor's to fix
        print(f"autograder: stopped before grading: {err}", file=sys.stderr)
        data = {"score": 0, "output": "The autograder failed its own check before grading your upload (a problem "
                "with how it is set up, not with your work). Nothing you handed in is lost: tell your instructor.",
                "output_format": "text", "tests": []}
    except Exception as err:  # noqa: BLE001 - the learner always gets a results.json
        print(f"autograder: {type(err).__name__}: {err}", file=sys.stderr)
        data = {"score": 0, "output": "The autograder could not grade this upload "
                f"({type(err).__name__}). Nothing you handed in is lost: tell your instructor.",
                "output_format": "text", "tests": []}
    data["execution_time"] = max(0, round(time.monotonic() - started))
    write_json(root / "results" / "results.json", data)
    print(data.get("output", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
