"""How the course marks its notebooks and cells: every key, once, and the functions that read them.

The course's own metadata sits under one key, ``convlib`` (:data:`META`), of a notebook's or a
cell's metadata; two more marks go with it, the cell tags and the solution block:

=========  ========================  ===================  =========================================
where      mark                      written by           means; read by
=========  ========================  ===================  =========================================
notebook   ``convlib.exercise``      the author, in       which exercise it is: :func:`exercise_of`;
                                     ``solutions/``       the grader falls back on the file name
                                     (assign keeps it)    (``convlib.grading.identify``)
notebook   ``convlib.learner``       nothing in the       whose it says it is: :func:`claimed_learner`;
                                     course (a learner    the grader only notes it for review and
                                     or a tool may)       never files anything under it
code cell  ``convlib.answer``        the author           the answer to the question named:
                                                          :func:`cell_role`; the grader takes these
                                                          cells from a submission
code cell  ``convlib.check``         the author           the check of the question named:
                                                          :func:`cell_role`; the graded copy ends
                                                          at the last one
code cell  tag :data:`ANSWER_TAG`,   the author           JupyterLab's tag view; nbval compares the
           tags :data:`CHECK_TAGS`                        output of a check (the graded copy drops
                                                          the nbval tags)
code cell  :data:`BEGIN` ...         the author, in       the answer itself: ``convlib.answers.
           :data:`END` lines         ``solutions/``       blocks`` turns it into the exercise's
                                                          stub; the answer key reads it
=========  ========================  ===================  =========================================

So an answer cell of a solution carries three marks (``convlib.answer``, the tag, a block) and
a check cell two (``convlib.check``, the tags). They must agree: a block in a cell without
``convlib.answer`` would be stripped from the exercise, yet the grader would keep the solution's
answer in that cell of its graded copy. :func:`mark_mismatches` says where they do not, and
``convlib.assign`` refuses to write exercises from such a solution.

Metadata of the wrong kind (a list where a dict belongs, a number for a name) counts as none:
every reader here returns ``None`` for it rather than raise, since a submitted notebook may hold
anything. This module imports nothing but the standard library, so every part of the course
(lessons, exercises, the grader, the sandbox's copy) can use it.
"""

from __future__ import annotations

__all__ = ["META", "EXERCISE", "LEARNER", "ANSWER", "CHECK", "ROLES", "ANSWER_TAG", "CHECK_TAGS", "BEGIN",
           "END", "course_metadata", "exercise_of", "claimed_learner", "cell_role", "mark_mismatches"]

META = "convlib"  # the key of the course's own metadata, in a notebook's and in a cell's
EXERCISE = "exercise"  # notebook: which exercise it is
LEARNER = "learner"  # notebook: whose it says it is (noted, never trusted)
ANSWER = "answer"  # code cell: the answer to the question named
CHECK = "check"  # code cell: the check of the question named
ROLES = (ANSWER, CHECK)  # what a cell can be, in the order they are looked up
ANSWER_TAG = "answer"  # the cell tag of an answer cell
CHECK_TAGS = ("check", "nbval-check-output")  # the cell tags of a check cell (nbval compares its output)
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"  # around an answer in a solution's answer cell


def course_metadata(thing):
    """The ``convlib`` part of a notebook's or a cell's metadata, as a dict, or None.

    ``thing`` is a notebook or a cell, as ``nbformat`` reads it or as plain JSON.

    Examples
    --------
    >>> course_metadata({"metadata": {"convlib": {"exercise": "02_the_slide"}}})
    {'exercise': '02_the_slide'}
    >>> course_metadata({"metadata": {"convlib": ["answer", "f"]}}) is None
    True
    >>> course_metadata({"metadata": []}) is None
    True
    """
    metadata = thing.get("metadata") if isinstance(thing, dict) else None
    meta = metadata.get(META) if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else None


def _text(thing, key):
    meta = course_metadata(thing)
    value = meta.get(key) if meta is not None else None
    return value if isinstance(value, str) else None


def exercise_of(nb):
    """The exercise the notebook's metadata names (``'01_image_and_kernel'``), or None.

    Only the metadata: the grader's ``exercise_of_file`` (:mod:`convlib.grading.identify`)
    falls back on the file's name.

    Examples
    --------
    >>> exercise_of({"metadata": {"convlib": {"exercise": "01_image_and_kernel"}}})
    '01_image_and_kernel'
    >>> exercise_of({"metadata": {"convlib": {"exercise": 1}}}) is None
    True
    """
    return _text(nb, EXERCISE)


def claimed_learner(nb):
    """The name the notebook's metadata says it belongs to, as written, or None.

    A learner can edit it: the grader only notes it, never files anything under it.

    Examples
    --------
    >>> claimed_learner({"metadata": {"convlib": {"learner": "jdoe"}}})
    'jdoe'
    >>> claimed_learner({"metadata": {}}) is None
    True
    """
    return _text(nb, LEARNER)


def cell_role(cell):
    """``('answer', name)``, ``('check', name)`` or ``(None, None)`` from a cell's metadata.

    Metadata of the wrong kind (a list, a number) counts as none.

    Examples
    --------
    >>> cell_role({"metadata": {"convlib": {"answer": "window_sum"}}})
    ('answer', 'window_sum')
    >>> cell_role({"metadata": {"convlib": {"check": "window_sum"}}})
    ('check', 'window_sum')
    >>> cell_role({"metadata": {"convlib": "not a dict"}})
    (None, None)
    """
    for role in ROLES:
        name = _text(cell, role)
        if name is not None:
            return role, name
    return None, None


def mark_mismatches(nb):
    """Where the marks of a solution notebook's answer and check cells disagree.

    An answer cell has ``convlib.answer``, the tag :data:`ANSWER_TAG` and a :data:`BEGIN` line,
    and is a code cell; a check cell has ``convlib.check`` and the tags :data:`CHECK_TAGS`. A cell
    with some of its kind's marks but not all is named, with what it lacks.

    Parameters
    ----------
    nb : dict
        A notebook, as ``nbformat`` reads it or as plain JSON (sources as text or lists of lines).

    Returns
    -------
    list of str
        One sentence per such cell, in cell order; empty when every mark agrees.

    Examples
    --------
    >>> answer = {"cell_type": "code", "metadata": {"convlib": {"answer": "f"}, "tags": ["answer"]},
    ...           "source": "def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION"}
    >>> check = {"cell_type": "code", "metadata": {"convlib": {"check": "f"}, "tags": ["check"]}, "source": "q1.check(f)"}
    >>> mark_mismatches({"cells": [answer, check]})
    ["cell 1 (check of f) lacks the tag 'nbval-check-output'"]
    >>> untagged = {"cell_type": "code", "metadata": {}, "source": answer["source"]}
    >>> mark_mismatches({"cells": [untagged]})
    ["cell 0 (answer) lacks convlib.answer in its metadata and the tag 'answer'"]
    """
    found = []
    cells = nb.get("cells") if isinstance(nb, dict) else None
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict):
            continue
        role, name = cell_role(cell)
        metadata = cell.get("metadata")
        tags = metadata.get("tags") if isinstance(metadata, dict) else None
        tags = tags if isinstance(tags, list) else []
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        blocked = any(line.strip() == BEGIN for line in source.splitlines())
        lacks = []
        if role == ANSWER or ANSWER_TAG in tags or blocked:
            what = ANSWER
            if role != ANSWER:
                lacks.append(f"{META}.{ANSWER} in its metadata")
            if ANSWER_TAG not in tags:
                lacks.append(f"the tag {ANSWER_TAG!r}")
            if not blocked:
                lacks.append(f"a {BEGIN} block")
            if cell.get("cell_type") != "code":
                lacks.append("being a code cell")
        elif role == CHECK or any(tag in tags for tag in CHECK_TAGS):
            what = CHECK
            if role != CHECK:
                lacks.append(f"{META}.{CHECK} in its metadata")
            lacks += [f"the tag {tag!r}" for tag in CHECK_TAGS if tag not in tags]
        if lacks:
            named = f" of {name}" if name else ""
            listed = lacks[0] if len(lacks) == 1 else f"{', '.join(lacks[:-1])} and {lacks[-1]}"
            found.append(f"cell {index} ({what}{named}) lacks {listed}")
    return found
