"""The *identify* step: which exercise a notebook answers, whose it is, and which cells hold its answers.

Whose a file is comes from the names the learning platform gave it, never from what the learner
typed. A platform's name carries the learner's number there (``lms_id``), and that number, not
the name, tells learners apart::

    Jane Doe_814_assignsubmission_file_/01_image_and_kernel.ipynb    -> Jane Doe, moodle 814
    Participant_812_assignsubmission_file_/01_image_and_kernel.ipynb -> Participant 812, moodle 812 (blind marking)
    Group A-John Roe_815_assignsubmission_file_/...                  -> Group A-John Roe, moodle 815 (group mode)
    Jane Doe_814_assignsubmission_file_01_image_and_kernel.ipynb     -> Jane Doe, moodle 814 (flat download)
    doejane_12345_67890_01_image_and_kernel.ipynb                    -> doejane, canvas 12345
    doejane_LATE_12345_67890_01_image_and_kernel.ipynb               -> doejane, canvas 12345, late
    jdoe_01_image_and_kernel.ipynb, jdoe/01_image_and_kernel.ipynb   -> jdoe (no platform)

Inside a platform's folder the file's own name prefix (``Ann Lee_01_...`` in Mallory's Moodle
folder) is the learner's typing and is only noted for review; so is the notebook's
``convlib.learner`` metadata, which never names anyone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from ..exercises import MODULES
from ..notebook import cell_role
from ..notebook import exercise_of as recorded_exercise
from .text import shown

__all__ = ["exercise_of", "named_exercise", "learner_of", "Learner", "answer_cells", "cell_role", "CANVAS_PLATFORM",
           "MOODLE_PLATFORM", "PARTICIPANT"]

CANVAS_PLATFORM, MOODLE_PLATFORM = "canvas", "moodle"
PARTICIPANT = "Participant"  # Moodle's name for a learner under blind marking ("Participant 812")
CANVAS = re.compile(r"^(?P<name>.+?)(?P<late>_late)?_(?P<id>\d+)_\d+(?:_|$)", re.I)
MOODLE_FOLDER = re.compile(r"^(?P<name>[^_]+)_(?P<id>\d+)_assign(?:submission|feedback)_[a-z]+_$", re.I)
MOODLE_FILE = re.compile(r"^(?P<name>[^_]+)_(?P<id>\d+)_assign(?:submission|feedback)_[a-z]+_", re.I)
SEPARATORS = " _-.()[]"
MAX_NAME = 100


class Learner(NamedTuple):
    """Who handed a file in; ``name`` is empty when no name the platform set names the learner.

    ``platform`` and ``lms_id``: the learning platform and its number for the learner, when its
    names carry one (Canvas's user id, Moodle's participant number); ``late``: the platform
    marked the file late (Canvas's ``_LATE_``).
    """

    name: str = ""
    lms_id: str = ""
    platform: str = ""
    late: bool = False

    @property
    def key(self):
        """What tells two learners apart: the platform's number when there is one, else the name."""
        return f"{self.platform}:{self.lms_id}" if self.lms_id else self.name


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


def _moodle(match):
    name, number = _clean(match["name"]), match["id"]
    if name.lower() == PARTICIPANT.lower():  # blind marking: the number is all there is
        name = f"{PARTICIPANT} {number}"
    return Learner(name, number, MOODLE_PLATFORM)


def _typed_name(stem):
    """The learner's own prefix before the exercise's name (``'Ann Lee'`` of ``'Ann Lee_01_image_and_kernel'``)."""
    exercise = named_exercise(stem)
    return _clean(stem[:stem.lower().index(exercise)] if exercise else stem)


def _named_by_path(path, root):
    """``(learner, typed)``: the learner the platform's names give, and a name the file's own
    prefix gives inside a platform's folder (for review only)."""
    path = Path(path)
    stem = path.stem
    base = Path(root).resolve() if root is not None else None
    for folder in path.parents:  # a platform's folder first: whatever is inside it, the learner named
        if folder == Path(".") or (base is not None and folder.resolve() == base):
            break
        moodle = MOODLE_FOLDER.match(folder.name)
        if moodle:
            return _moodle(moodle), _typed_name(stem)
    canvas = CANVAS.match(stem)
    if canvas:
        return Learner(_clean(canvas["name"]), canvas["id"], CANVAS_PLATFORM, bool(canvas["late"])), ""
    moodle = MOODLE_FILE.match(stem)
    if moodle:
        return _moodle(moodle), ""
    if _typed_name(stem):
        return Learner(_typed_name(stem)), ""
    folder = path.parent
    if folder == Path(".") or (base is not None and folder.resolve() == base):
        return Learner(), ""
    return Learner(_clean(folder.name)), ""


def learner_of(nb, path, root=None):
    """``(learner, note)``: the :class:`Learner` who handed in ``path``, and a note for review.

    The names the learning platform set (its folder, its file name) name the learner; the
    learner's own file-name prefix inside a platform's folder and the notebook's
    ``convlib.learner`` metadata, which the learner can edit, are only noted. ``root`` is the
    folder the grader was pointed at; folders above it name no one.

    >>> learner_of({}, "class/doejane_LATE_12345_67890_01_image_and_kernel.ipynb", "class")[0]
    Learner(name='doejane', lms_id='12345', platform='canvas', late=True)
    >>> learner_of({}, "class/Participant_812_assignsubmission_file_/01_image_and_kernel.ipynb", "class")[0]
    Learner(name='Participant 812', lms_id='812', platform='moodle', late=False)
    >>> learner_of({}, "class/Mal Roy_9_assignsubmission_file_/Ann Lee_01_image_and_kernel.ipynb", "class")[1]
    "the file's own name says Ann Lee; filed under Mal Roy (moodle 9), as the platform named it"
    >>> learner_of({"metadata": {"convlib": {"learner": "jdoe"}}}, "class/01_image_and_kernel.ipynb", "class")
    (Learner(name='', lms_id='', platform='', late=False), "the notebook says it is jdoe's; no name the platform set says whose it is")
    """
    meta = nb.get("metadata", {}).get("convlib") if isinstance(nb.get("metadata"), dict) else None
    claimed = _clean(meta["learner"]) if isinstance(meta, dict) and isinstance(meta.get("learner"), str) else ""
    named, typed = _named_by_path(path, root)
    notes = []
    where = f" ({named.platform} {named.lms_id})" if named.lms_id else ""
    if typed and typed.lower() != named.name.lower():
        notes.append(f"the file's own name says {typed}; filed under {named.name}{where}, as the platform named it")
    if claimed and not named.name:
        notes.append(f"the notebook says it is {claimed}'s; no name the platform set says whose it is")
    elif claimed and claimed.lower() != named.name.lower():
        notes.append(f"the notebook says it is {claimed}'s; filed under {named.name}{where}, as its file name says")
    return named, "; ".join(notes)


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
