"""How the course marks its notebooks and cells: every key, once, and the functions that read them.

The course's own metadata sits under one key, ``convlib`` (:data:`META`), of a notebook's or a
cell's metadata:

=============  ============  ===========================  ==========================================
where          key           value                        means; who writes it; who reads it
=============  ============  ===========================  ==========================================
notebook       ``exercise``  ``'01_image_and_kernel'``    which exercise the notebook is. Written by
                                                          the author in ``solutions/``; kept in
                                                          ``exercises/`` by :mod:`convlib.assign`.
                                                          Read by the grader (:func:`exercise_of`;
                                                          a file that lost it is matched by its
                                                          name, :mod:`convlib.grading.identify`).
notebook       ``learner``   a name                       whose the notebook says it is. Written by
                                                          nothing in the course (a learner or
                                                          another tool may); read by
                                                          :func:`claimed_learner`, and the grader
                                                          only notes it for review, never names a
                                                          learner by it.
code cell      ``answer``    ``'window_sum'``             the cell holds the answer to that
                                                          question (a function of that name).
                                                          Written by the author in ``solutions/``;
                                                          read by :func:`cell_role`: the grader
                                                          takes these cells from a submission.
code cell      ``check``     ``'window_sum'``             the cell checks that question
                                                          (``q1.check(window_sum)``). Written by
                                                          the author; read by :func:`cell_role`:
                                                          the graded copy ends at the last one.
=============  ============  ===========================  ==========================================

Two more marks go with them, so that each is readable where it is used:

- the cell tags (``metadata.tags``) :data:`ANSWER_TAG` on an answer cell and :data:`CHECK_TAGS`
  on a check cell, for JupyterLab's tag view and for nbval, which compares a check's output.
  Written by the author beside the metadata above; nothing in ``convlib`` reads them, and the
  grader's copy drops the nbval tags; a test keeps them in step with the metadata.
- in an answer cell's source in ``solutions/``, the lines :data:`BEGIN` and :data:`END` around
  the answer itself: :mod:`convlib.answers.blocks` turns each such block into a stub for the
  exercise, and the answer key reads the worked answer between them.

Metadata of the wrong kind (a list where a dict belongs, a number for a name) counts as none:
every reader here returns ``None`` for it rather than raise, since a submitted notebook may hold
anything. This module imports nothing but the standard library, so every part of the course
(lessons, exercises, the grader, the sandbox's copy) can use it.
"""

from __future__ import annotations

__all__ = ["META", "EXERCISE", "LEARNER", "ANSWER", "CHECK", "ROLES", "ANSWER_TAG", "CHECK_TAGS", "BEGIN",
           "END", "course_metadata", "exercise_of", "claimed_learner", "cell_role"]

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
