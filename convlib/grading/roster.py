"""Before grading: which files, whose they are, which copy counts, and this machine's share.

:func:`roster` reads every notebook once (the *read* and *identify* steps) and returns one
:class:`Entry` per file, in file order:

- what was read (:func:`~.read.read`: the notebook, or why the file is none), kept for grading,
  which never reads the file again; a file that cannot be read or identified gets its own
  status, never ends the roster;
- the learner (:func:`~.identify.learner_of`) and the exercise;
- a note for review when the file's name names another exercise than its metadata;
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
from .identify import Learner, exercise_of_file, learner_of, named_exercise
from .read import Submission, read
from .status import Status

__all__ = ["Entry", "roster", "shard_of", "parse_shard"]


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


def _entry(file, root):
    relative = file.relative_to(root).as_posix() if file.is_relative_to(root) else file.name
    entry = Entry(path=file, relative=relative)
    try:
        entry.submission = submission = read(file)
        entry.modified = submission.modified
        nb = submission.notebook if submission.notebook is not None else {}
        entry.learner, note = learner_of(nb, file, root)
        if note:
            entry.notes.append(note)
        entry.exercise = exercise_of_file(nb, file)  # metadata, else the file name
        named = named_exercise(file)
        if named and entry.exercise and named != entry.exercise:
            entry.notes.append(f"the file name says {named} but the notebook is {entry.exercise}; graded as "
                               f"{entry.exercise}")
    except Exception as err:  # noqa: BLE001 - one file's trouble is its own row, never the roster's
        entry.submission = Submission(status=Status.NOT_NOTEBOOK, detail=f"cannot be read: {type(err).__name__}")
    return entry


def roster(paths, shard=(1, 1), learner=None):
    """One :class:`Entry` per notebook under ``paths`` that falls in ``shard`` (``(k, n)``, 1-based).

    ``learner``: a :class:`~.identify.Learner` the platform says handed in every file (one
    Gradescope upload); the files' own names then name no one.
    """
    k, n = shard
    entries = [_entry(file, root) for file, root in notebook_files(paths)]
    if learner is not None:
        for entry in entries:
            entry.learner = learner
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
