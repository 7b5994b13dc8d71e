"""The *identify* step: which exercise a notebook answers, whose it is, and which cells hold its answers.

Learners are named the way learning platforms deliver their files (the notebook's own
``convlib.learner`` metadata only when its name and folder name no one)::

    jdoe_01_image_and_kernel.ipynb                         -> jdoe
    jdoe/01_image_and_kernel.ipynb                         -> jdoe
    doejane_12345_67890_01_image_and_kernel.ipynb          -> doejane, id 12345   (Canvas)
    doejane_LATE_12345_67890_01_image_and_kernel.ipynb     -> doejane, id 12345   (Canvas, late)
    Jane Doe_12345_assignsubmission_file_/01_image_...     -> Jane Doe            (Moodle)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from ..exercises import MODULES
from ..notebook import cell_role
from ..notebook import exercise_of as recorded_exercise
from .text import shown

__all__ = ["exercise_of", "named_exercise", "learner_of", "Learner", "answer_cells", "cell_role"]

CANVAS = re.compile(r"^(?P<name>.+?)(?:_late)?_(?P<id>\d+)_\d+(?:_|$)", re.I)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_\w*$", re.I)
SEPARATORS = " _-.()[]"
MAX_NAME = 100


class Learner(NamedTuple):
    """Who handed a file in; ``name`` is empty when nothing named the learner."""

    name: str = ""
    lms_id: str = ""  # the platform's user id, when its file names carry one (Canvas)


def _clean(name):
    name = "".join(ch for ch in shown(name) if ch.isprintable()).strip(SEPARATORS)
    return name[:MAX_NAME]


def named_exercise(path):
    """The exercise a file's name mentions (``'alice_02_the_slide (1)'`` -> ``'02_the_slide'``), or None."""
    stem = Path(path).stem.lower()
    return next((known for known in MODULES if known in stem), None)


def exercise_of(nb, path):
    """The exercise (``'01_image_and_kernel'``): from the notebook's metadata, else its file name."""
    name = recorded_exercise(nb)
    if name in MODULES:
        return name
    return named_exercise(path)  # "01_image_and_kernel (1)", "alice_02_the_slide"


def _named_by_path(path, root):
    path = Path(path)
    stem = path.stem
    exercise = named_exercise(path)
    prefix = stem[:stem.lower().index(exercise)] if exercise else stem
    canvas = CANVAS.match(stem)
    if canvas:
        return Learner(_clean(canvas["name"]), canvas["id"])
    if _clean(prefix):
        return Learner(_clean(prefix))
    folder = path.parent
    if root is not None and folder.resolve() == Path(root).resolve() or folder == Path("."):
        return Learner()
    moodle = MOODLE.match(folder.name)
    return Learner(_clean(moodle["name"] if moodle else folder.name))


def learner_of(nb, path, root=None):
    """``(learner, note)``: the :class:`Learner` who handed in ``path``, and a note for review.

    The file's name or folder, which the learning platform sets, names the learner; the
    notebook's own ``convlib.learner`` metadata, which the learner can edit, only when they do
    not (a notebook that claims to be someone else's is flagged, never filed under their name).
    ``root`` is the folder the grader was pointed at; folders above it name no one.

    >>> learner_of({}, "class/doejane_12345_67890_01_image_and_kernel.ipynb", "class")[0]
    Learner(name='doejane', lms_id='12345')
    >>> learner_of({}, "class/Jane Doe_812_assignsubmission_file_/01_image_and_kernel.ipynb", "class")[0].name
    'Jane Doe'
    >>> learner_of({"metadata": {"convlib": {"learner": "jdoe"}}}, "class/mallory_01_image_and_kernel.ipynb", "class")
    (Learner(name='mallory', lms_id=''), "the notebook says it is jdoe's; filed under mallory, as its file name says")
    """
    meta = nb.get("metadata", {}).get("convlib") if isinstance(nb.get("metadata"), dict) else None
    claimed = _clean(meta["learner"]) if isinstance(meta, dict) and isinstance(meta.get("learner"), str) else ""
    named = _named_by_path(path, root)
    if not named.name:
        return Learner(claimed), ""
    if claimed and claimed != named.name:
        return named, f"the notebook says it is {claimed}'s; filed under {named.name}, as its file name says"
    return named, ""


def answer_cells(submission, solution):
    """``{question name: source}`` of the submission's answer cells.

    Found by the cell's metadata (``convlib.answer``), else by the cell id of the solution's
    answer cell, else as the first code cell that defines the function.
    """
    found = {}
    for cell in submission.cells:
        role, name = cell_role(cell)
        if cell.cell_type == "code" and role == "answer" and name not in found:
            found[name] = cell.source
    by_id = {cell.get("id"): cell.source for cell in submission.cells if cell.cell_type == "code"}
    for cell in solution.cells:
        role, name = cell_role(cell)
        if role != "answer" or name in found:
            continue
        if cell.get("id") in by_id:
            found[name] = by_id[cell.get("id")]
            continue
        pattern = re.compile(rf"^def {re.escape(name)}\(", re.M)
        source = next((c.source for c in submission.cells if c.cell_type == "code" and pattern.search(c.source)), None)
        if source is not None:
            found[name] = source
    return found
