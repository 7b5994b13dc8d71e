"""What the grading tests share: the course's root, the grader's command, the sandbox this
machine gives, and the course's own notebooks to build submissions from."""

import os
import sys
from pathlib import Path

import nbformat
import pytest

from convlib.grading.sandbox import NO_SANDBOX, sandbox_kind

ROOT = Path(__file__).resolve().parent.parent
EX1, EX2, EX3 = "01_image_and_kernel", "02_the_slide", "03_depth"
GRADE = [sys.executable, "-m", "convlib.grade"]
KIND, WHY = sandbox_kind()

# only the tests that grade in a sandbox need one; CI always has bubblewrap (.ci/run installs it)
needs_sandbox = pytest.mark.skipif(KIND == NO_SANDBOX and not os.environ.get("CI"),
                                   reason=f"grading sandbox unavailable ({WHY or KIND}); .ci/run installs bubblewrap")


def course_notebook(folder, exercise=EX1):
    """``folder/exercise.ipynb`` of the course (``solutions``, ``exercises``, ``notebooks``)."""
    return nbformat.read(ROOT / folder / f"{exercise}.ipynb", as_version=4)
