"""The *identify* step: which exercise a notebook answers, and which cells hold its answers."""

from __future__ import annotations

import re
from pathlib import Path

from ..exercises import MODULES
from ..notebook import cell_role
from ..notebook import exercise_of as recorded_exercise

__all__ = ["exercise_of", "answer_cells", "cell_role"]


def exercise_of(nb, path):
    """The exercise (``'01_image_and_kernel'``): from the notebook's metadata, else its file name."""
    name = recorded_exercise(nb)
    if name in MODULES:
        return name
    stem = Path(path).stem.lower()
    for known in MODULES:  # "01_image_and_kernel (1)", "alice_02_the_slide"
        if known in stem:
            return known
    return None


def answer_cells(submission, solution):
    """``{question name: source}`` of the submission's answer cells.

    Found by the cell's metadata (``convlib.answer``), else by the cell id of the solution's
    answer cell, else as the first code cell that defines the function.
    """
    found = {}
    for cell in submission.cells:
        role, name = cell_role(cell)
        if cell.cell_type == "code" and role == "answer" and name not in found:
            found[name] = cell.source
    by_id = {cell.get("id"): cell.source for cell in submission.cells if cell.cell_type == "code"}
    for cell in solution.cells:
        role, name = cell_role(cell)
        if role != "answer" or name in found:
            continue
        if cell.get("id") in by_id:
            found[name] = by_id[cell.get("id")]
            continue
        pattern = re.compile(rf"^def {re.escape(name)}\(", re.M)
        source = next((c.source for c in submission.cells if c.cell_type == "code" and pattern.search(c.source)), None)
        if source is not None:
            found[name] = source
    return found
