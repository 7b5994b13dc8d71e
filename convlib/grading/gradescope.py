"""Gradescope's autograder format: ``results.json`` for one learner's upload.

Gradescope runs ``/autograder/run_autograder`` on each upload and reads
``/autograder/results/results.json`` (gradescope/autograder_samples, docs/specs.md): a
``score``, an ``output`` shown above the tests, ``output_format`` and ``test_output_format``
(how Gradescope renders text, one of ``text``, ``html``, ``simple_format``, ``md``, ``ansi``:
``md`` here, so the checks' ``*emphasis*`` renders and their arrays show as code),
``execution_time`` (seconds), and ``tests`` each with ``name``, ``score``, ``max_score``,
``output`` and ``visibility``. One test here is one question
of the newest copy of each exercise; older copies in the same upload are named, not graded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .status import Status
from .tables import write_text
from .text import capped, inert_links, shown

__all__ = ["results_json", "write_gradescope", "markdown", "literal", "OUTPUT_FORMAT"]

OUTPUT_FORMAT = "md"
CODE_LINE = re.compile(r"^\s*(\[|array\(|np\.|\d|-\d|\(|\)|\]|hidden_case\()")
MARKDOWN_SPECIAL = re.compile(r"([\\`_#<>|\[\]])")
LITERAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def markdown(text):
    """A check's plain-text message as Markdown: prose kept (its ``*emphasis*`` renders), lines
    that show arrays or calls fenced as code, Markdown's other special characters escaped, every
    link made inert (:func:`~.text.inert_links`: a learner's error text is in the messages).

    >>> print(markdown("Not yet, on window_sum(image=\\n[[1, 2],\\n [3, 4]]): your *flipped* sum"))
    Not yet, on window\\_sum(image=
    ```
    [[1, 2],
     [3, 4]]): your *flipped* sum
    ```
    """
    out, fenced = [], False
    for line in inert_links(shown(text, "\n")).splitlines():
        code = bool(CODE_LINE.match(line)) or (fenced and line.startswith(" "))
        if code != fenced:
            out.append("```")
            fenced = code
        out.append(line.replace("```", "'''") if code else MARKDOWN_SPECIAL.sub(r"\\\1", line.strip()))
    if fenced:
        out.append("```")
    return "\n".join(out)


def literal(name):
    """A file name as Markdown that shows it as it is (every punctuation mark escaped), but for a
    link in it (``www.evil.example.pdf``: an autolinker links it whatever is escaped), made inert.

    >>> literal("[x](y)*.ipynb")
    '\\\\[x\\\\]\\\\(y\\\\)\\\\*\\\\.ipynb'
    """
    return LITERAL.sub(r"\\\1", inert_links(shown(name)))


def results_json(results, execution_time=None, preamble="", exercise=None):
    """The ``results.json`` dict for the :class:`~.report.Result` s of one upload; with
    ``exercise``, a test for each of its questions whatever was graded (0 when not answered)."""
    tests, older = [], []
    if exercise is not None and not any(r.exercise == exercise and r.questions for r in results):
        from ..exercises import questions

        tests = [{"name": f"{exercise}: {q.name}", "score": 0, "max_score": 1, "visibility": "visible",
                  "output_format": OUTPUT_FORMAT, "output": "No notebook of this exercise was graded."}
                 for q in questions(exercise)]
    for r in results:
        if r.status is Status.OLDER_COPY:
            older.append(f"{literal(Path(r.submission).name)} ({literal(r.exercise or 'no exercise')})")
            continue
        if not r.questions:
            tests.append({"name": shown(Path(r.submission).name), "score": 0, "max_score": 0, "visibility": "visible",
                          "output_format": OUTPUT_FORMAT,
                          "output": markdown(capped(f"This file was not graded: {r.status_text}. {r.detail}".strip()))})
            continue
        note = "" if r.status is Status.GRADED else f"\n\n(The notebook did not run to the end: {shown(r.status_text)}.)"
        for name, solved in r.questions.items():
            told = "Correct." if solved else markdown(capped(r.messages.get(name, "Not solved.")))
            tests.append({"name": f"{r.exercise}: {name}", "score": int(bool(solved)), "max_score": 1,
                          "visibility": "visible", "output_format": OUTPUT_FORMAT, "output": told + note})
    score = sum(t["score"] for t in tests)
    possible = sum(t["max_score"] for t in tests)
    lines = [preamble] if preamble else []
    lines.append(f"{score} of {possible} checks passed.")
    if older:
        lines.append("Graded: the newest copy of each exercise. Also in your upload, not graded: "
                     + ", ".join(older) + ".")
    data = {"score": score, "output": "\n\n".join(lines), "output_format": OUTPUT_FORMAT,
            "test_output_format": OUTPUT_FORMAT, "test_name_format": "text", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}
    if execution_time is not None:
        data["execution_time"] = max(0, round(execution_time))
    return data


def write_gradescope(path, results, execution_time=None):
    """Write :func:`results_json` to ``path``; returns the dict."""
    return write_json(path, results_json(results, execution_time))


def write_json(path, data):
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False))
    return data
