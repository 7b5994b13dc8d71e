"""The solution notebooks as one grading run reads them: each once, kept for the whole run.

The graded copy of every submission is built from its exercise's solution notebook
(:mod:`.assemble`), the canary makes the untouched handout from it, the similarity review
compares answers with its answer cells, and the feedback pages take its title. A
:class:`SolutionBook` reads each notebook the first time one of them asks and hands the same
(read-only) notebook to every later one; nothing here runs a line of it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..answers.blocks import strip_solutions
from ..exercises import MODULES
from ..notebook import cell_role, import_nbformat

__all__ = ["SolutionBook"]


class SolutionBook:
    """The solution notebooks of ``folder`` (``NN_topic.ipynb``), each read once, on first use.

    Parameters
    ----------
    folder : path
        The answer key's folder (``solutions/``, or the installed ``convlib/solutions``).

    Examples
    --------
    >>> from convlib.exercises.answer_key import SOLUTIONS
    >>> book = SolutionBook(SOLUTIONS)
    >>> book.notebook("01_image_and_kernel") is book.notebook("01_image_and_kernel")
    True
    >>> book.title("01_image_and_kernel")
    'Exercise 1 — An image and a kernel'
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self._read = {}
        self._lock = threading.Lock()  # the run's workers ask at once

    def path(self, exercise):
        """Where ``exercise``'s solution notebook is (whether or not it exists)."""
        return self.folder / f"{exercise}.ipynb"

    def notebook(self, exercise):
        """The solution notebook of ``exercise``; OSError or ValueError when it cannot be read.
        The same object every time: copy it before changing it."""
        with self._lock:
            if exercise not in self._read:
                nbformat = import_nbformat()  # here: the command's --help never needs it
                self._read[exercise] = nbformat.read(self.path(exercise), as_version=4)
            return self._read[exercise]

    def answers(self, exercise):
        """``{question name: (solution source, handout source)}`` of ``exercise``'s answer cells."""
        found = {}
        for cell in self.notebook(exercise).cells:
            role, name = cell_role(cell)
            if role == "answer" and cell.cell_type == "code":
                found[name] = (cell.source, strip_solutions(cell.source))
        return found

    def references(self, exercises):
        """``(solutions, handouts)``: ``{(exercise, question): source}`` of the shipped solution's
        answer cells and of the handout's stubs, for :func:`~.similarity.similar_pairs`; an
        exercise whose solution cannot be read is left out."""
        reference, handout = {}, {}
        for exercise in exercises:
            try:
                cells = self.answers(exercise)
            except (OSError, ValueError):
                continue
            for name, (solution, stub) in cells.items():
                reference[(exercise, name)], handout[(exercise, name)] = solution, stub
        return reference, handout

    def title(self, exercise):
        """The first heading of ``exercise``'s solution (``'Exercise 1 — …'``), or None."""
        try:
            first = next(c.source for c in self.notebook(exercise).cells if c.cell_type == "markdown")
            line = first.strip().splitlines()[0]
        except (OSError, ValueError, StopIteration, IndexError):
            return None
        return line[2:].strip() if line.startswith("# ") else None

    def titles(self):
        """``{exercise: title}`` of every exercise whose solution has one."""
        return {exercise: title for exercise in MODULES if (title := self.title(exercise))}
