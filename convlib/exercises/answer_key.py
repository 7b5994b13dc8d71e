"""The answer key: each question's reference and worked answer, read from ``solutions/``.

The answer cells of ``solutions/NN_topic.ipynb`` (the cells with a ``### BEGIN SOLUTION`` /
``### END SOLUTION`` block) are the one text of every answer: :func:`answer_key` runs them, in
order, after the notebook's own imports, and keeps for every function they define

- the function itself, the *reference* a question judges with, and
- the text of its cell without the two marker lines, the worked answer ``solution()`` prints.

Nothing of an answer is written a second time in :mod:`convlib.exercises`. An exercise module
takes its questions from its key::

    key = answer_key(__name__)                    # solutions/<its notebook>.ipynb
    window_sum = key["window_sum"].function       # for its mistakes, if they need it
    q1 = key.question("window_sum", cases=[...], hints=[...])

The course's repository keeps the notebooks in ``solutions/``; an installed wheel carries the
same files as the package ``convlib.solutions`` (``pyproject.toml``). The notebooks are read as
plain JSON: reading the key costs a few milliseconds, not the import of ``nbformat``.
"""

from __future__ import annotations

import ast
import json
import linecache
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..answers.blocks import BEGIN, END
from .question import Question

__all__ = ["SOLUTIONS", "Answer", "AnswerKey", "answer_key", "worked_text"]

_PACKAGE = Path(__file__).resolve().parent.parent
# inside the package when installed (a wheel), else the repository's solutions/
SOLUTIONS = next((p for p in (_PACKAGE / "solutions", _PACKAGE.parent / "solutions") if p.is_dir()),
                 _PACKAGE / "solutions")
EXERCISES_PACKAGE = "convlib.exercises"  # an import of it in a solution notebook is its own question module


@dataclass(frozen=True)
class Answer:
    """One function of the answer key: ``function`` judges, ``text`` is what ``solution()`` shows."""

    name: str
    text: str
    function: Callable


def worked_text(cell_source):
    """An answer cell as the worked answer shows it: the cell, less its two marker lines.

    Examples
    --------
    >>> print(worked_text("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION"))
    def f():
        return 1
    """
    return "\n".join(line for line in cell_source.splitlines() if line.strip() not in (BEGIN, END))


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _imports(source, filename):
    """The import statements of a set-up cell, less the import of the question module itself."""
    kept = []
    for node in ast.parse(source, filename).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(EXERCISES_PACKAGE):
            continue
        if isinstance(node, ast.Import) and any(a.name.startswith(EXERCISES_PACKAGE) for a in node.names):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            kept.append(node)
    return ast.Module(body=kept, type_ignores=[])


def _run(code_or_source, filename, namespace):
    """Run a cell's code in ``namespace``, its text kept in :mod:`linecache` for tracebacks."""
    if isinstance(code_or_source, str):
        linecache.cache[filename] = (len(code_or_source), None, code_or_source.splitlines(True), filename)
    exec(compile(code_or_source, filename, "exec"), namespace)  # noqa: S102 - the course's own solutions


class AnswerKey:
    """The answers of one exercise, read from its solution notebook ``path``.

    Parameters
    ----------
    path : path-like
        ``solutions/NN_topic.ipynb``.

    Raises
    ------
    FileNotFoundError
        When the notebook is missing (the course is installed without its solutions).
    """

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"the answer key {self.path} is missing: install the course with its "
                                    f"solutions/ (pip install . from the course folder)")
        cells = [c for c in json.loads(self.path.read_text(encoding="utf-8"))["cells"] if c.get("cell_type") == "code"]
        namespace = {"__name__": f"{EXERCISES_PACKAGE}.answer_key.{self.path.stem}"}
        self.answers = {}
        answered = False
        for index, cell in enumerate(cells):
            source = _source(cell)
            filename = f"<{self.path.parent.name}/{self.path.name}, code cell {index + 1}>"
            if BEGIN not in source:
                if not answered:  # the set-up before the first answer: its imports are the answers' names
                    _run(_imports(source, filename), filename, namespace)
                continue
            answered = True
            _run(source, filename, namespace)
            for node in ast.parse(source, filename).body:
                if isinstance(node, ast.FunctionDef):
                    self.answers[node.name] = Answer(node.name, worked_text(source), namespace[node.name])

    def __getitem__(self, name):
        try:
            return self.answers[name]
        except KeyError:
            raise KeyError(f"{self.path.name} has no answer cell defining {name!r}") from None

    def question(self, name, **details):
        """The :class:`Question` ``name``, its reference and worked answer from this key.

        ``details`` are the rest of :class:`Question`'s fields (cases, mistakes, hints...).
        """
        answer = self[name]
        return Question(name, reference=answer.function, solution_text=answer.text, **details)


def answer_key(module_name, folder=None):
    """The :class:`AnswerKey` of the exercise whose question module is ``module_name``.

    ``module_name`` is a module's ``__name__`` (``'convlib.exercises.slide'``); its exercise
    comes from :data:`convlib.exercises.MODULES`, its notebook from ``folder`` (by default
    :data:`SOLUTIONS`).
    """
    from . import MODULES

    short = module_name.rpartition(".")[2]
    exercise = next((e for e, m in MODULES.items() if m == short), None)
    if exercise is None:
        raise KeyError(f"{module_name} is not an exercise module: add it to convlib.exercises.MODULES")
    return AnswerKey(Path(folder or SOLUTIONS) / f"{exercise}.ipynb")
