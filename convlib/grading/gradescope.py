"""Gradescope's autograder format: ``results.json`` for one learner's submission.

Gradescope runs ``/autograder/run_autograder`` on each submission and reads
``/autograder/results/results.json``: a ``score``, and ``tests`` each with ``name``,
``score``, ``max_score`` and ``output``. One test here is one question; its output is the
message the learner's ``check()`` gives.
"""

from __future__ import annotations

import json
from pathlib import Path

from .report import OK, OLDER_COPY
from .text import capped, shown

__all__ = ["results_json", "write_gradescope"]


def results_json(results):
    """The ``results.json`` dict for the :class:`~.report.Result` s of one submission."""
    tests = []
    for r in results:
        if r.status == OLDER_COPY:
            continue
        if not r.questions:
            tests.append({"name": shown(Path(r.submission).name), "score": 0, "max_score": 0, "visibility": "visible",
                          "output": capped(shown(f"This file was not graded: {r.status}. {r.detail}".strip(), "\n"))})
            continue
        note = "" if r.status == OK else f" (the notebook did not run to the end: {shown(r.status)})"
        for name, solved in r.questions.items():
            tests.append({"name": f"{r.exercise}: {name}", "score": int(bool(solved)), "max_score": 1,
                          "visibility": "visible",
                          "output": ("Correct." if solved else capped(shown(r.messages.get(name, "Not solved."), "\n")))
                          + note})
    score = sum(t["score"] for t in tests)
    possible = sum(t["max_score"] for t in tests)
    return {"score": score, "output": f"{score} of {possible} checks passed.", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def write_gradescope(path, results):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = results_json(results)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return data
