"""Exit codes across the sandbox wall: what the runner, the zygote and the grader say to each other.

Runs inside a sandbox (the runner and the zygote import it) and in the grader, which reads a
runner's status only through :func:`outcome` and :func:`set_up_failed`. An exit status is one
byte: ``0-127`` the code a process gave, ``128 + N`` the signal ``N`` that ended it.

=====================  ======  ==============================================================
name                   code    meaning
=====================  ======  ==============================================================
pytest's own           0-5     the runner's pytest ended (0: every cell ran), in the low bits
``CELL_TIMED_OUT``     +32     the runner saw a cell run out of time (nbval's timeout)
``KERNEL_DIED``        +64     the runner saw its kernel process die
``CHILD_FAILED``       120     the zygote's child failed before or around the runner (set-up)
``STILL_PRIVILEGED``   121     the child still had root after dropping privileges (set-up)
``SIGNALLED`` + N      128-    killed by signal N: the runner did not end by itself
=====================  ======  ==============================================================

Examples
--------
>>> runner_code(1, kernel_died=True, cell_timed_out=False)
65
>>> outcome(65), outcome(33), outcome(128 + 9), outcome(CHILD_FAILED), outcome(None)
((True, False), (False, True), (True, False), (True, False), (False, False))
>>> from_returncode(-9), from_returncode(3), set_up_failed(STILL_PRIVILEGED)
(137, 3, True)
"""

from __future__ import annotations

import os

__all__ = ["KERNEL_DIED", "CELL_TIMED_OUT", "PYTEST_BITS", "CHILD_FAILED", "STILL_PRIVILEGED", "SET_UP_FAILED",
           "SIGNALLED", "runner_code", "outcome", "set_up_failed", "from_returncode", "from_wait_status"]

KERNEL_DIED, CELL_TIMED_OUT = 64, 32  # added by the runner to pytest's exit code, from what it saw
PYTEST_BITS = 0x1F  # what is kept of pytest's own exit code (0-5)
CHILD_FAILED, STILL_PRIVILEGED = 120, 121  # the zygote's child, before the runner ran
SET_UP_FAILED = (CHILD_FAILED, STILL_PRIVILEGED)
SIGNALLED = 128  # plus the signal's number: a process a signal ended


def runner_code(pytest_code, kernel_died, cell_timed_out):
    """The runner's exit code: pytest's (0-5), plus ``KERNEL_DIED`` and ``CELL_TIMED_OUT``.

    Parameters
    ----------
    pytest_code : int
        What ``pytest.main`` returned.
    kernel_died, cell_timed_out : bool
        What the runner saw of its kernel process and of nbval's cell timeout.

    Returns
    -------
    int
        A code from 0 to 127.
    """
    return (int(pytest_code) & PYTEST_BITS) | (KERNEL_DIED if kernel_died else 0) | \
        (CELL_TIMED_OUT if cell_timed_out else 0)


def outcome(code):
    """``(kernel_died, cell_timed_out)`` from the runner's exit status (None: it never ended).

    A runner that did not end by itself (killed by a signal: ``SIGNALLED + N``), or whose
    set-up failed, lost its kernel too.
    """
    if code is None:
        return False, False
    if code >= SIGNALLED or code in SET_UP_FAILED:
        return True, False
    return bool(code & KERNEL_DIED), bool(code & CELL_TIMED_OUT)


def set_up_failed(code):
    """Whether the zygote's child ended before the runner ran: the grader's set-up, not the learner."""
    return code in SET_UP_FAILED


def from_returncode(code):
    """A ``returncode`` as ``subprocess`` gives it (``-N``: signal ``N``) as one byte; None stays None."""
    if code is None:
        return None
    return code & 0xFF if code >= 0 else SIGNALLED + (-code & 0x7F)


def from_wait_status(status):
    """A wait status (``os.waitpid``) as one byte: the exit code, or ``SIGNALLED`` + the signal."""
    return from_returncode(os.waitstatus_to_exitcode(status))
