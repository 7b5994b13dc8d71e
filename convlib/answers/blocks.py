"""The solution blocks of a notebook: what ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` marks,
and the exercise that is left when each block becomes a stub that raises.

The authoring command (:mod:`convlib.assign`), the answer key that reads the worked answers
(:mod:`convlib.exercises.answer_key`) and the grader's graded copy
(:mod:`convlib.grading.assemble`) all read the same markers from here. The markers themselves
are named, with the course's other marks of an answer cell, in :mod:`convlib.schema`.
"""

from __future__ import annotations

import copy

from ..schema import BEGIN, END

__all__ = ["BEGIN", "END", "strip_solutions", "make_exercise"]


def strip_solutions(source, where="cell"):
    """Replace every BEGIN/END SOLUTION block of ``source`` by a stub that raises.

    Examples
    --------
    >>> print(strip_solutions("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION"))
    def f():
        # YOUR CODE HERE
        raise NotImplementedError()
    """
    out, inside, indent = [], False, ""
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"{where}, line {number}: {BEGIN} inside another solution block")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
        elif marker == END:
            if not inside:
                raise ValueError(f"{where}, line {number}: {END} without a {BEGIN} before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {BEGIN} is never closed by {END}")
    return "\n".join(out)


def make_exercise(solution, name="notebook"):
    """The exercise notebook for a solution notebook (a new object; the solution is untouched)."""
    nb = copy.deepcopy(solution)
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        cell.source = strip_solutions(cell.source, where=f"{name}, cell {index}")
        cell.outputs = []
        cell.execution_count = None
    return nb
