"""What became of a submission: one :class:`Status` per gradebook row, and the words it shows.

A status is decided by the grader from what it saw itself -- the reader's bounds, its own timer,
the sandbox's cgroup, the runner's exit status -- never from text a submission printed. Its
value is the word the gradebook's ``status`` column, the summary and the feedback pages show
(a :class:`Status` is a ``str``, so a row compares equal to it as read back from the CSV)::

    =====================  ===============================================================
    status                 when
    =====================  ===============================================================
    graded                 the notebook ran; every question was judged
    older copy             the same learner handed in a newer copy of this exercise
    not a regular file     a link, a folder, a FIFO: never opened
    not a notebook         not UTF-8, not JSON, not a notebook's JSON, unreadable
    too large              past one of the reader's bounds (bytes, objects, depth, cells)
    belongs to no known    neither its metadata nor its file name names an exercise
    exercise
    answer too large       an answer cell too long, or too costly to read, to be judged
    timed out              the notebook ran out of time (the grader's own timer)
    out of memory          the sandbox used up its memory (its cgroup says so)
    kernel died            the kernel ended before the notebook did
    grader error           the grader's own trouble; the row's text says what (``grader
                           error: ...``) and its detail whose doing it was
    =====================  ===============================================================

Every status but ``graded`` scores nothing that was not judged; ``timed out``, ``out of memory``
and ``kernel died`` keep the points of the questions judged before the notebook stopped.

>>> Status.TIMED_OUT == "timed out"
True
>>> Status("kernel died") is Status.KERNEL_DIED
True
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Status", "READ_FAILURES"]


class Status(StrEnum):
    """What became of one submission (see the module's table); its value is the word shown."""

    GRADED = "graded"
    OLDER_COPY = "older copy"
    NOT_A_FILE = "not a regular file"
    NOT_NOTEBOOK = "not a notebook"
    TOO_LARGE = "too large"
    UNKNOWN_EXERCISE = "belongs to no known exercise"
    ANSWER_TOO_LARGE = "answer too large"
    TIMED_OUT = "timed out"
    OUT_OF_MEMORY = "out of memory"
    KERNEL_DIED = "kernel died"
    GRADER_ERROR = "grader error"


# what the read step may say of a file instead of a notebook
READ_FAILURES = (Status.NOT_A_FILE, Status.NOT_NOTEBOOK, Status.TOO_LARGE)
