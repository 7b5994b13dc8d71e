"""Before grading: which files, whose they are, which copy counts, and this machine's share.

:func:`roster` reads every notebook once (the *read* and *identify* steps) and returns one
:class:`Entry` per file, in file order:

- what was read (:func:`~.read.read`: the notebook, or why the file is none), kept for grading,
  which never reads the file again; a file that cannot be read or identified gets its own
  status, never ends the roster;
- the learner (:func:`~.identify.learner_of`) and the exercise;
- a note for review when the file's name names another exercise than its metadata;
- what is kept until grading is bounded per learner (``MAX_LEARNER_SOURCE`` characters of
  source, all their notebooks together): past it a notebook's row says ``too large``;
- a note for review on each file of a learner whose platform number is named in more than one
  folder (a folder that is no platform's may be a learner's own, named like another's);
- when one learner (told apart by the platform's number, else by name) handed in several copies of one exercise, the newest (by modification time,
  then by name) is graded and the others point to it (``graded_instead``);
- ``shard=(k, n)`` keeps the k-th of n shares. Files are shared out by a hash of the learner
  (of the file's path below the submissions folder when no learner is named), so the share is
  the same on every machine, and all of one learner's files land in one shard: its copies are
  compared and its feedback page is written whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..notebook import notebook_files
from .archive import open_zip
from .capped import is_regular
from .identify import Learner, exercise_of_file, learner_of, named_exercise
from .read import MAX_SOURCE_CHARS, Submission, read
from .status import Status

__all__ = ["Entry", "roster", "shard_of", "parse_shard"]

LISTED = 10  # files named in one row's detail
MAX_LEARNER_SOURCE = 4 * MAX_SOURCE_CHARS  # characters of source kept of one learner's notebooks, together


@dataclass
class Entry:
    path: Path
    relative: str  # below the folder the grader was given: the same on every machine
    learner: Learner = Learner()
    exercise: str | None = None
    modified: float = 0.0
    graded_instead: Path | None = None  # a newer copy of the same exercise by the same learner
    notes: list = field(default_factory=list)  # for the review column
    submission: Submission | None = None  # what was read: the notebook, or the status saying why there is none

    @property
    def key(self):
        return f"learner:{self.learner.key}" if self.learner.name else f"file:{self.relative}"


def shard_of(key, count):
    """Which of ``count`` shards (0-based) ``key`` belongs to; the same on every machine.

    >>> shard_of("learner:jdoe", 1)
    0
    >>> {shard_of(f"learner:{i}", 4) for i in range(100)} == {0, 1, 2, 3}
    True
    """
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % count


def parse_shard(text):
    """``'2/4'`` -> ``(2, 4)``; a clear ValueError for anything else.

    >>> parse_shard("1/3")
    (1, 3)
    """
    try:
        k, n = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise ValueError(f"a shard is K/N with whole numbers, like 1/4, not {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"shard {text!r}: K must be between 1 and N")
    return k, n


def _relative(file, root):
    return file.relative_to(root).as_posix() if file.is_relative_to(root) else file.name


def _entry(file, root, submission=None, member=None, teams=False):
    """The entry of ``file`` (read here unless ``submission`` is given), or of the notebook
    ``member`` of the zip ``file``: its learner is the one the platform's names give the zip."""
    path = file / member if member else file
    entry = Entry(path=path, relative=_relative(file, root) + (f"/{member}" if member else ""))
    try:
        entry.submission = submission = submission if submission is not None else read(file)
        entry.modified = submission.modified
        nb = submission.notebook if submission.notebook is not None else {}
        entry.learner, note = learner_of(nb, file, root, teams)
        if note:
            entry.notes.append(note)
        entry.exercise = exercise_of_file(nb, path)  # metadata, else the file name
        named = named_exercise(path)
        if named and entry.exercise and named != entry.exercise:
            entry.notes.append(f"the file name says {named} but the notebook is {entry.exercise}; graded as "
                               f"{entry.exercise}")
    except Exception as err:  # noqa: BLE001 - one file's trouble is its own row, never the roster's
        entry.submission = Submission(status=Status.NOT_NOTEBOOK, detail=f"cannot be read: {type(err).__name__}")
    return entry


def _zip_entries(file, root, teams=False):
    """One entry per notebook in the zip ``file`` (:mod:`.archive`), or one saying why there is none."""
    found = open_zip(file)
    refused = [f"in the zip, not opened: {', '.join(found.refused[:LISTED])}"] if found.refused else []
    if found.status or not found.notebooks:
        held = ", ".join(found.others[:LISTED]) or "nothing else"
        why = found.detail or f"a zip with no notebook (.ipynb) in it; it holds {held}"
        entry = _entry(file, root, Submission(status=found.status or Status.NOT_NOTEBOOK, detail=why,
                                              modified=found.modified), teams=teams)
        entry.notes += refused
        return [entry]
    entries = [_entry(file, root, submission, member, teams) for member, submission in found.notebooks]
    entries[0].notes += refused
    return entries


def _kept(entry, spent):
    """``entry``, or, once its learner's notebooks hold more than ``MAX_LEARNER_SOURCE`` characters
    of source together (``spent``: per learner so far), the same entry with its notebook dropped
    and the status ``too large``: what is kept of a class until it is graded is bounded per
    learner, however many zips of large notebooks one hands in."""
    notebook = entry.submission.notebook if entry.submission is not None else None
    if notebook is None:
        return entry
    spent[entry.key] = spent.get(entry.key, 0) + sum(len(cell["source"]) for cell in notebook.cells)
    if spent[entry.key] > MAX_LEARNER_SOURCE:
        entry.submission = Submission(status=Status.TOO_LARGE, modified=entry.submission.modified, detail=(
            f"this learner's notebooks hold more than {MAX_LEARNER_SOURCE:,} characters of source together; "
            "this one was not kept"))
    return entry


def _without_notebook(others, entries, teams=False):
    """An entry for each learner the platform named who handed in files but no notebook, saying what they were."""
    have = {entry.learner.key for entry in entries if entry.learner.name}
    theirs = {}
    for file, root in others:
        learner, _ = learner_of({}, file, root, teams)
        if learner.platform and learner.key not in have:
            theirs.setdefault(learner.key, []).append((file, root, learner))
    made = []
    for items in theirs.values():
        file, root, learner = items[0]
        names = ", ".join(_relative(f, r) for f, r, _ in items[:LISTED]) + (", …" if len(items) > LISTED else "")
        made.append(Entry(path=file, relative=_relative(file, root), learner=learner, submission=Submission(
            status=Status.NOT_NOTEBOOK, detail=f"no notebook (.ipynb) handed in; the files handed in: {names}")))
    return made


def _handed_in(paths):
    """``(notebooks, zips, others)``: every regular file under ``paths``, as ``(file, root)``, by kind;
    a notebook's name that is a link or a FIFO is still a notebook's (its row says what it is)."""
    notebooks, zips, others = [], [], []
    for file, root in notebook_files(paths, "*"):
        suffix = file.suffix.lower()
        if suffix == ".ipynb":
            notebooks.append((file, root))
        elif is_regular(file):
            (zips if suffix == ".zip" else others).append((file, root))
    return notebooks, zips, others


def _place(entry):
    """The folders above the name that carries the entry's platform number (``('moodle',)`` of
    ``moodle/Ann Lee_816_assignsubmission_file/x.ipynb``), or None."""
    number = entry.learner.lms_id
    parts = entry.relative.split("/")
    at = next((i for i, part in enumerate(parts) if f"_{number}_" in part or part.startswith(f"{number}_")), None)
    return None if at is None else "/".join(parts[:at]) or "."


def _named_in_several_places(entries):
    """Note for review each learner whose platform number is named in more than one folder: a
    folder that is not a platform's (``jdoe/``, a learner's own) may hold a name made to look
    like another learner's platform folder, to be graded as them."""
    places = {}
    for entry in entries:
        if entry.learner.platform and entry.learner.lms_id:
            places.setdefault(entry.learner.key, {}).setdefault(_place(entry), []).append(entry)
    for found in places.values():
        if len(found) > 1:
            where = ", ".join(f"{place}/" for place in sorted(found, key=str))
            learner = next(iter(found.values()))[0].learner
            note = (f"{learner.platform} {learner.lms_id} is named in {len(found)} folders ({where}): a folder "
                    "that is not a platform's may be another learner's own; check which files are theirs")
            for group in found.values():
                for entry in group:
                    entry.notes.append(note)


def roster(paths, shard=(1, 1), learner=None, teams=False):
    """One :class:`Entry` per notebook under ``paths`` that falls in ``shard`` (``(k, n)``, 1-based):
    each ``.ipynb`` file, each notebook inside a ``.zip``, and, for a learner the platform named who
    handed in other files but no notebook, one entry that says what they handed in.

    ``learner``: a :class:`~.identify.Learner` the platform says handed in every file (one
    Gradescope upload); the files' own names then name no one. ``teams``: a Moodle download of
    team submissions, whose folders name groups (:func:`~.identify.learner_of`).
    """
    k, n = shard
    notebooks, zips, others = _handed_in(paths)
    spent = {}  # characters of source kept per learner, until their files are graded
    entries = [_kept(_entry(file, root, teams=teams), spent) for file, root in notebooks]
    entries += [_kept(entry, spent) for file, root in zips for entry in _zip_entries(file, root, teams)]
    entries = sorted(entries + _without_notebook(others, entries, teams), key=lambda entry: entry.path)
    if learner is not None:
        for entry in entries:
            entry.learner = learner
    _named_in_several_places(entries)
    entries = [e for e in entries if shard_of(e.key, n) == k - 1]
    copies = {}
    for entry in entries:
        if entry.learner.name and entry.exercise:
            copies.setdefault((entry.learner.key, entry.exercise), []).append(entry)
    for group in copies.values():
        learner = group[0].learner.name
        if len(group) < 2:
            continue
        newest = max(group, key=lambda e: (e.modified, e.relative))
        for entry in group:
            if entry is not newest:
                entry.graded_instead = newest.path
                entry.notes.append(f"an older copy: {newest.relative} is graded for {learner}")
        others = ", ".join(e.relative for e in group if e is not newest)
        newest.notes.append(f"{learner} also handed in {others} (older, not graded)")
    return entries
