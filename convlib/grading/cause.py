"""Who is at fault when a notebook did not run to its end: the learner's code, or the grader's set-up.

A row whose status is ``kernel died`` or ``grader error`` starts its detail with one of these
sentences, written for the instructor: what happened, whose doing it most likely is, and what to
do. They are told apart by what the grader saw -- the runner's exit status (written by the
sandbox's root parent, never by the learner), whether the notebook's run was reported at all,
and the cell nbval names as the one the kernel died in -- and by the canary (:mod:`.canary`):
the shipped solution ran in the same sandbox, with the same limits, before the class, so a cell
of the course that fails now points at the machine, a cell of the learner at the learner.

The cell comes from nbval's report, which the learner's code could overwrite: a forged report
can only move a row between these sentences, never earn a point (points come from the recorded
answers alone, see :mod:`.judge`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .identify import cell_role
from .text import capped

__all__ = ["LEARNER", "SETUP", "kernel_death", "grader_error", "died_in"]

LEARNER = "the learner's code"
SETUP = "the grader's set-up"
AGAIN = "fix that, then grade this file again"


def died_in(junit, notebook):
    """``(number, role, name)`` of the code cell nbval reports the kernel died in, or None."""
    if not junit:
        return None
    try:
        root = ET.fromstring(junit)
    except ET.ParseError:
        return None
    code = [c for c in notebook.cells if c.cell_type == "code"]
    for case in root.iter("testcase"):
        match = re.search(r"Cell (\d+)", case.get("name", ""))
        died = any(child.tag in ("failure", "error") and "Kernel died" in (child.get("message", "") + (child.text or ""))
                   for child in case)
        if match and died:
            number = int(match.group(1))
            role, name = cell_role(code[number]) if number < len(code) else (None, None)
            return number, role, name
    return None


def _last_line(log):
    lines = [line.strip() for line in (log or "").splitlines() if line.strip()]
    return capped(lines[-1], 200) if lines else "it wrote nothing"


def kernel_death(junit, notebook, runner_failed=False, log=""):
    """The sentence for a ``kernel died`` row.

    ``runner_failed``: the runner ended before running the notebook (its exit status says so);
    ``log``: the tail of the runner's log, quoted when the set-up is at fault.
    """
    if runner_failed:
        return (f"cause: {SETUP}: the sandbox's runner failed before the notebook ran ({_last_line(log)}); "
                f"the learner's code never ran; {AGAIN}")
    where = died_in(junit, notebook)
    if where is None:
        return (f"cause: most likely {LEARNER}: the sandbox's runner was ended from inside the sandbox before "
                "it could report a cell (the learner's code runs as the same uid and can do this); the shipped "
                "solution ran to its end in this sandbox before the class")
    number, role, name = where
    code = [c for c in notebook.cells if c.cell_type == "code"]
    answered_before = any(cell_role(c)[0] == "answer" for c in code[:number])
    if role in ("answer", "check"):
        what = "the answer" if role == "answer" else "the check that calls the answer"
        return (f"cause: {LEARNER}: the kernel died in cell {number}, {what} {name}; the shipped solution runs "
                "this cell in the same sandbox; the learner can see it by running the notebook top to bottom")
    if answered_before:
        return (f"cause: most likely {LEARNER}: the kernel died in cell {number}, a cell of the course after the "
                "learner's answers (an answer can leave behind something that ends the kernel later); the "
                "shipped solution runs this cell in the same sandbox")
    return (f"cause: {SETUP}: the kernel died in cell {number}, a cell of the course before any answer ran; "
            "look at the machine (its load, --memory, --timeout, --jobs), then grade this file again")


def grader_error(error, during="sandbox"):
    """The sentence for a ``grader error`` row: ``during`` is ``sandbox`` (the sandbox could not
    run the notebook), ``grading`` (the grader failed on this file) or ``solution`` (no solution)."""
    if during == "sandbox":
        return (f"cause: {SETUP}: the sandbox could not run this notebook ({capped(error, 200)}); the learner's "
                f"code never ran; {AGAIN}")
    if during == "solution":
        return f"cause: {SETUP}: {capped(error, 200)}; give --solutions the folder of this exercise's solution"
    return (f"cause: a fault in the grader, met while grading this file ({capped(error, 200)}); not the learner's "
            "code, which runs only in the sandbox; the file itself may be malformed: open it, and report the fault")
