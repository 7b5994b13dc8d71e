"""The *assemble* step: the graded copy a sandbox runs, and the inputs its answers are called with.

The graded copy is the solution notebook with only the learner's answer cells put in: setup,
checks and prose come from the solution, so edited checks, outputs or tags change nothing.
Outputs and nbval markers are dropped (nothing is compared; the verdict is the judge's), and
so are the cells after the last check, which only demonstrate. Where the learner has no answer
cell for a question, the exercise's stub (``raise NotImplementedError()``) stands in.

The inputs are the shown examples plus hidden cases drawn fresh for every submission from a
random seed that never leaves the grader; only the arguments go into the sandbox, never the
expected results.
"""

from __future__ import annotations

import copy

from ..answers.blocks import make_exercise
from .identify import answer_cells, cell_role
from .wire import dumps

__all__ = ["graded_copy", "inputs_for"]

NBVAL_TAGS = {"nbval-check-output", "nbval-ignore-output", "nbval-skip", "raises-exception", "nbval-raise"}


def graded_copy(submission, solution):
    """``(notebook, answers)``: the notebook to run, and ``{name: source}`` of the learner's answers."""
    copy_ = copy.deepcopy(solution)
    stubs = make_exercise(solution)
    answers = answer_cells(submission, solution)
    last_check = max((i for i, c in enumerate(copy_.cells) if cell_role(c)[0] == "check"), default=-1)
    copy_.cells = copy_.cells[: last_check + 1]
    copy_.metadata.pop("widgets", None)
    for index, cell in enumerate(copy_.cells):
        if cell.cell_type != "code":
            continue
        role, name = cell_role(cell)
        if role == "answer":
            cell.source = answers.get(name, stubs.cells[index].source)
        cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
        tags = [t for t in cell.metadata.get("tags", []) if t not in NBVAL_TAGS]
        cell.metadata["tags"] = tags
    return copy_, {name: source for name, source in answers.items()}


def inputs_for(questions, rng):
    """``(cases by question name, JSON text of their arguments)`` with hidden cases from ``rng``."""
    cases = {q.name: q.cases_for(rng) for q in questions}
    text = dumps({name: [list(case.args) for case in items] for name, items in cases.items()})
    return cases, text
