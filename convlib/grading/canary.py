"""The *canary* step: before anyone is graded, the grader grades what it knows the answer to.

For each exercise a run is about to grade, the shipped solution must score full marks and the
untouched handout made from it (:func:`convlib.answers.blocks.make_exercise`) must score zero,
graded the way every learner is: the same sandbox mode, the same limits, the same workers.
Anything else means the grader cannot grade on this machine -- the sandbox's uid cannot read a
path it needs, the kernel could not start, a limit is too tight for this machine, the solutions
do not match the installed convlib -- and a whole class would get zeros (or marks) that are not
theirs. Then :func:`check` raises :class:`CanaryFailed`, saying what failed and why, and no
learner is graded. In the ``uid`` mode the paths a sandbox must read are checked first
(:func:`~.packages.unreachable`), so an unreachable one is named before anything runs.

It costs two sandboxed runs per exercise graded, spread over the run's workers (measured in
``benchmarks/bench_grading.py``); the log says it ran and what it took.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..answers.blocks import make_exercise
from ..notebook import import_nbformat
from .packages import unreachable
from .solutions import SolutionBook
from .status import Status
from .text import capped

__all__ = ["CanaryFailed", "check", "handouts"]


class CanaryFailed(RuntimeError):
    """The grader failed its own check; the message says what and why. No learner was graded."""


@dataclass
class _Run:
    exercise: str
    what: str  # "shipped solution" or "untouched handout"
    path: Path


def handouts(exercises, solutions, folder):
    """Write each exercise's untouched handout into ``folder``; the canary's ``_Run`` list.
    ``solutions``: the run's :class:`~.solutions.SolutionBook` (or its folder)."""
    book = solutions if isinstance(solutions, SolutionBook) else SolutionBook(solutions)
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    runs = []
    for exercise in sorted(exercises):
        solution = book.path(exercise)
        if not solution.is_file():
            raise CanaryFailed(f"no solution notebook {solution}: give --solutions the folder of the solutions")
        handout = folder / f"{exercise}.ipynb"
        import_nbformat().write(make_exercise(book.notebook(exercise), name=str(solution)), handout)
        runs += [_Run(exercise, "shipped solution", solution), _Run(exercise, "untouched handout", handout)]
    return runs


def _why(result, limits):
    """What most likely made a canary run go wrong, in the instructor's terms."""
    log = getattr(result, "log", "") or ""
    denied = re.findall(r"Permission denied: '([^']+)'", log)
    missing = re.findall(r"No module named '([^']+)'", log)
    if result.status is Status.TIMED_OUT:
        return (f"it ran out of time ({limits.wall:g} s for the notebook, {limits.cell_timeout:g} s a cell): "
                "a limit too tight for this machine now; give a larger --timeout or fewer --jobs")
    if result.status is Status.OUT_OF_MEMORY:
        return (f"it ran out of memory ({limits.memory / 2**20:.0f} MB for the whole sandbox): a limit too tight "
                "for this exercise; give a larger --memory")
    if denied:
        return (f"the sandbox's uid cannot read {denied[-1]}: make it (and every folder above it) readable "
                "by every user, or install the course where it is")
    if missing:
        return (f"the sandbox cannot import {missing[-1]}: install it in the Python that runs the grader "
                f"({sys.executable})")
    if result.status is Status.GRADER_ERROR:
        return result.status_text
    if result.status is Status.KERNEL_DIED:
        return f"the kernel could not start or died ({result.detail.split(' | ')[0]})"
    last = [line for line in log.splitlines() if line.strip()][-3:]
    said = f"; the runner's log ends: {capped(' / '.join(last), 400)}" if last else ""
    return f"{capped(result.detail, 400) or result.status}{said}"


def check(exercises, solutions, folder, grade_file, run_all=None, *, limits, uid_mode=False, stage_dirs=()):
    """Grade each exercise's shipped solution and handout; the log line, or :class:`CanaryFailed`.

    ``grade_file(path)`` grades one notebook as the class is graded (a :class:`~.report.Result`);
    ``run_all(function, items)`` maps it over the runs on the run's workers (default: in turn).
    ``uid_mode``: first check that a sandbox's uid can read what it needs (``stage_dirs`` and
    the standard library).
    """
    started = time.monotonic()
    if uid_mode:
        blocked = unreachable(stage_dirs)
        if blocked:
            raise CanaryFailed("the sandbox's uid cannot read what every notebook needs, so every learner would "
                               "score zero: " + "; ".join(f"{path} ({what}): {fix}" for path, what, fix in blocked))
    runs = handouts(exercises, solutions, folder)
    results = list((run_all or map)(lambda run: grade_file(run.path), runs))
    failed = []
    for run, result in zip(runs, results):
        expected = result.total if run.what == "shipped solution" else 0
        if result.status is not Status.GRADED or not result.total or result.passed != expected:
            failed.append(f"{run.exercise}: the {run.what} scored {result.passed}/{result.total} "
                          f"(expected {expected}/{result.total or '?'}, status {result.status_text}): {_why(result, limits)}")
    seconds = time.monotonic() - started
    if failed:
        raise CanaryFailed("the grader failed its own check, so no learner was graded: " + " || ".join(failed))
    marks = ", ".join(f"{r.exercise} {res.passed}/{res.total}" for r, res in zip(runs, results) if r.what == "shipped solution")
    return (f"canary: the shipped solutions scored full marks ({marks}) and the untouched handouts zero, "
            f"in this run's sandboxes, in {seconds:.1f} s")
