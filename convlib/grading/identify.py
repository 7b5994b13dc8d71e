"""The *identify* step: which exercise a notebook answers, whose it is, and which cells hold its answers.

Whose a file is comes from the names the learning platform gave it, never from what the learner
typed. A platform's name carries the learner's number there (``lms_id``), and that number, not
the name, tells learners apart::

    Jane Doe_814_assignsubmission_file/01_image_and_kernel.ipynb     -> Jane Doe, moodle 814
    Jane Doe_814_assignsubmission_file_/01_image_and_kernel.ipynb    -> Jane Doe, moodle 814 (Moodle before 4.1)
    Participant_812_assignsubmission_file/01_image_and_kernel.ipynb  -> Participant 812, moodle 812 (blind marking)
    Group A-John Roe_815_assignsubmission_file/...                   -> Group A-John Roe, moodle 815 (group mode)
    Jane Doe_814_assignsubmission_file_01_image_and_kernel.ipynb     -> Jane Doe, moodle 814 (flat download)
    doejane_12345_67890_01_image_and_kernel.ipynb                    -> doejane, canvas 12345
    doejane_LATE_12345_67890_01_image_and_kernel.ipynb               -> doejane, canvas 12345, late
    jdoe_01_image_and_kernel.ipynb, jdoe/01_image_and_kernel.ipynb   -> jdoe (no platform)

Each platform's pattern matches only the whole name as that platform builds it:

- Moodle (``mod/assign/classes/downloader.php``): the prefix is ``clean_filename(name + '_' +
  number)`` where every ``_`` of the name became a space, so the name holds no ``_``; then
  ``_assignsubmission_file`` and the file's own path (a folder), or ``_assignsubmission_file_``
  and the file's name (a flat download).
- Canvas (``lib/content_zipper.rb``): ``[sortable name, LATE if late, user id]`` joined by ``_``
  with every non-word character removed (``_<digits>_`` taken out of the name, so the name never
  holds one), or ``anon_<anonymous id>`` for the id; then ``_<attachment id>_<the file's name>``.

The platform's prefix wins over whatever the learner typed inside it: the outermost Moodle
folder below the folder the grader was given names the learner, whatever folders or file names
the learner made inside it; a Moodle prefix at the start of a flat file's name is Moodle's even
when the learner's own file name after it looks like Canvas's (``Mallory X_803_assignsubmission
_file_roeann_23456_11111_...`` is Moodle participant 803's). The file's own name prefix inside a
platform's folder (``Ann Lee_01_...`` in Mallory's Moodle folder) is only noted for review; so is
the notebook's ``convlib.learner`` metadata, which never names anyone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from ..exercises import MODULES
from ..schema import ANSWER, cell_role, claimed_learner
from ..schema import exercise_of as recorded_exercise
from .text import shown

__all__ = ["exercise_of_file", "named_exercise", "learner_of", "Learner", "answer_cells", "cell_role", "CANVAS_PLATFORM",
           "MOODLE_PLATFORM", "MOODLE_TEAM", "PARTICIPANT", "learner_key", "looks_like_teams"]

CANVAS_PLATFORM, MOODLE_PLATFORM = "canvas", "moodle"
MOODLE_TEAM = "moodle team"  # a Moodle team submission: its number is the group's, never a participant's
DEFAULT_TEAM = "Default group"  # Moodle's team for learners in no group (its folder carries no number)
PARTICIPANT = "Participant"  # Moodle's name for a learner under blind marking ("Participant 812")
# Canvas: the name is word characters only, lowercased, and never holds _<digits>_; LATE in capitals;
# under anonymous grading no name and the id anon_<anonymous id> (tried first)
CANVAS_ANONYMOUS = re.compile(r"^(?:(?P<late>LATE)_)?(?P<id>anon_[A-Za-z0-9]+)_\d+_(?P<file>.+)\Z")
CANVAS = re.compile(r"^(?P<name>\w*?)(?:_(?P<late>LATE))?_(?P<id>\d+)_\d+_(?P<file>.+)\Z")
# Moodle: the name never holds _ (Moodle made each a space); a folder with or without the older trailing _
MOODLE_FOLDER = re.compile(r"^(?P<name>[^_/]+)_(?P<id>\d+)_assignsubmission_file_?\Z")
MOODLE_FILE = re.compile(r"^(?P<name>[^_/]+)_(?P<id>\d+)_assignsubmission_file_(?P<file>.+)\Z")
# team submissions: the group's name and id, or the default team's name alone
MOODLE_TEAM_FOLDER = re.compile(r"^(?P<name>[^_/]+?)(?:_(?P<id>\d+))?_assignsubmission_file_?\Z")
# a folder Moodle names with no number: only a team download has one (its default team)
NUMBERLESS_MOODLE_FOLDER = re.compile(r"^[^_/]+_assignsubmission_file_?\Z")
MOODLE_TEAM_FILE = re.compile(r"^(?P<name>[^_/]+?)(?:_(?P<id>\d+))?_assignsubmission_file_(?P<file>.+)\Z")
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
        """What tells two learners apart (:func:`learner_key`)."""
        return learner_key(self.name, self.lms_id, self.platform)


def learner_key(name, lms_id="", platform=""):
    """What tells two learners apart: the platform's number when there is one, else the name (with
    its platform when it has one: Moodle's default team is never a learner of that name).

    >>> learner_key("Jane Doe", "814", "moodle"), learner_key("Default group", "", "moodle team"), learner_key("jdoe")
    ('moodle:814', 'moodle team:Default group', 'jdoe')
    """
    if lms_id:
        return f"{platform}:{lms_id}"
    return f"{platform}:{name}" if platform and name else name


def _clean(name):
    name = "".join(ch for ch in shown(name) if ch.isprintable()).strip(SEPARATORS)
    return name[:MAX_NAME]


def named_exercise(path):
    """The exercise a file's name mentions (``'alice_02_the_slide (1)'`` -> ``'02_the_slide'``), or None."""
    stem = Path(path).stem.lower()
    return next((known for known in MODULES if known in stem), None)


def exercise_of_file(nb, path):
    """The exercise (``'01_image_and_kernel'``) of the file ``path`` read as ``nb``: the one its
    metadata names (:func:`convlib.schema.exercise_of`), else the one its file name mentions, or None.

    >>> exercise_of_file({"metadata": {"convlib": {"exercise": "02_the_slide"}}}, "alice_01_image_and_kernel.ipynb")
    '02_the_slide'
    >>> exercise_of_file({}, "alice_01_image_and_kernel (1).ipynb")
    '01_image_and_kernel'
    """
    name = recorded_exercise(nb)
    if name in MODULES:
        return name
    return named_exercise(path)  # "01_image_and_kernel (1)", "alice_02_the_slide"


def _moodle(match, teams=False):
    name, number = _clean(match["name"]), match["id"] or ""
    if teams:  # Moodle's team submissions: the folder names a group, and its number is the group's
        return Learner(name, number, MOODLE_TEAM)
    if name.lower() == PARTICIPANT.lower():  # blind marking: the number is all there is
        name = f"{PARTICIPANT} {number}"
    return Learner(name, number, MOODLE_PLATFORM)


def _typed_name(stem):
    """The learner's own prefix before the exercise's name (``'Ann Lee'`` of ``'Ann Lee_01_image_and_kernel'``)."""
    exercise = named_exercise(stem)
    return _clean(stem[:stem.lower().index(exercise)] if exercise else stem)


def _folders(path, root):
    """The folders between ``root`` and ``path``, outermost first (all of ``path``'s when ``root`` is
    None); read from the names alone, never by following a link."""
    path = Path(path)
    if root is not None:
        try:
            return path.relative_to(root).parts[:-1]
        except ValueError:
            return ()
    return tuple(part for part in path.parent.parts if part not in (path.anchor, "."))


def _named_by_path(path, root, teams=False):
    """``(learner, typed)``: the learner the platform's names give, and a name the file's own
    prefix gives inside a platform's folder (for review only)."""
    path = Path(path)
    name, stem = path.name, path.stem
    folders = _folders(path, root)
    folder_pattern, file_pattern = (MOODLE_TEAM_FOLDER, MOODLE_TEAM_FILE) if teams else (MOODLE_FOLDER, MOODLE_FILE)
    for folder in folders:  # the outermost platform folder: whatever is inside it, the learner named
        moodle = folder_pattern.match(folder)
        if moodle:
            return _moodle(moodle, teams), _typed_name(stem)
    moodle = file_pattern.match(name)  # a Moodle prefix first: Canvas's shape may follow it, typed by the learner
    if moodle:
        return _moodle(moodle, teams), _typed_name(Path(moodle["file"]).stem)
    canvas = CANVAS_ANONYMOUS.match(name) or CANVAS.match(name)
    if canvas:
        number = canvas["id"]
        named = _clean(canvas.groupdict().get("name") or "")
        learner = Learner(named or number, number, CANVAS_PLATFORM, bool(canvas["late"]))
        return learner, _typed_name(Path(canvas["file"]).stem)
    if _typed_name(stem):
        return Learner(_typed_name(stem)), ""
    if folders:
        return Learner(_clean(folders[-1])), ""
    return Learner(), ""


def looks_like_teams(relative_paths):
    """Whether a download holds a folder only Moodle's team submissions make (the default team's,
    with no number): then its other folders name groups, and ``--moodle-teams`` is wanted.

    >>> looks_like_teams(["Default group_assignsubmission_file/a.ipynb", "Jane Doe_814_assignsubmission_file/b.ipynb"])
    True
    """
    return any(NUMBERLESS_MOODLE_FOLDER.match(Path(path).parts[0]) for path in relative_paths if Path(path).parts[:-1])


def learner_of(nb, path, root=None, teams=False):
    """``(learner, note)``: the :class:`Learner` who handed in ``path``, and a note for review.

    ``teams``: the download is of a Moodle assignment with team submissions, whose folders name
    a group and its number (``Group A_42_assignsubmission_file/``), or the default team
    (``Default group_assignsubmission_file/``); the learner is then the team, on the platform
    ``moodle team``, so its number is never taken for a participant's.

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
    >>> learner_of({}, "class/Group A_42_assignsubmission_file/01_image_and_kernel.ipynb", "class", teams=True)[0]
    Learner(name='Group A', lms_id='42', platform='moodle team', late=False)
    >>> learner_of({"metadata": {"convlib": {"learner": "jdoe"}}}, "class/01_image_and_kernel.ipynb", "class")
    (Learner(name='', lms_id='', platform='', late=False), "the notebook says it is jdoe's; no name the platform set says whose it is")
    """
    claimed = _clean(claimed_learner(nb) or "")
    named, typed = _named_by_path(path, root, teams)
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
        if cell.cell_type == "code" and role == ANSWER and name not in found:
            found[name] = cell.source
    by_id = {cell.get("id"): cell.source for cell in submission.cells if cell.cell_type == "code"}
    for cell in solution.cells:
        role, name = cell_role(cell)
        if role != ANSWER or name in found:
            continue
        if cell.get("id") in by_id:
            found[name] = by_id[cell.get("id")]
            continue
        pattern = re.compile(rf"^def {re.escape(name)}\(", re.M)
        source = next((c.source for c in submission.cells if c.cell_type == "code" and pattern.search(c.source)), None)
        if source is not None:
            found[name] = source
    return found
