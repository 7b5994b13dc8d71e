"""Moodle's grading worksheet: one file per exercise, uploaded in the assignment it grades.

A Moodle assignment's "Upload grading worksheet" (the offline grading worksheet) reads a CSV
and needs three columns by their names in the grader's language (English here; a Moodle shown in
another language looks for its own words): ``Identifier`` (``Participant N``: Moodle strips
the word ``Participant`` and looks up N, the number in its download folder names, blind
marking or not), ``Grade`` and ``Last modified (grade)`` (a grade changed in Moodle after that
time is kept unless the upload is told to ignore it; Moodle reads the time with PHP's
``strtotime``, so it is written in ISO 8601 with its offset). ``Feedback comments`` is imported when
the assignment has feedback comments on. A grade that is empty, negative or above the
assignment's maximum grade is skipped, so set the assignment's maximum grade to the number of
questions (``Maximum Grade`` here) or above::

    Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,
    Last modified (submission),Last modified (grade),Feedback comments
    Participant 812,Participant 812,,Submitted for grading,2.00,3.00,Yes,,2026-11-30T22:22:04+00:00,...

Only learners Moodle named (``moodle`` in the gradebook's ``platform``) are written; the others
are listed in the warnings.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from pathlib import Path

from .identify import MOODLE_PLATFORM, MOODLE_TEAM, PARTICIPANT
from .learners import graded_exercises, learner_lines, possible
from .status import Status
from .tables import cell, write_table
from .feedback import page_name, standalone
from .text import inert_links, shown

__all__ = ["WORKSHEET_HEADER", "worksheet", "write_moodle", "summary_comment", "worksheet_name"]

WORKSHEET_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                    "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
SUBMITTED = "Submitted for grading"
COMMENT_MAX = 1200  # characters of one feedback comment, before escaping
QUESTION_MAX = 240  # characters a question's sentences may take in it
PAGE_ROOM = 100  # kept for the sentence that names the feedback page
INPUT_MAX = 60  # a parenthesised input longer than this is left to the feedback page
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
NOT_ALONE = ("above", "below", ".hint()", "Stuck?", "this cell", "the next cell")
MARKDOWN = re.compile(r"\*\*|__|`|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)")
MARKDOWN_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")


def worksheet_name(exercise):
    return f"moodle-{exercise}.csv"


def summary_comment(row, page=None):
    """``Feedback comments`` for one graded row: whole sentences that stand alone, plain text.

    Moodle stores a comment as HTML and shows it beside the grade, away from the notebook: so no
    "above", no ``.hint()``, no Markdown; every ``<``, ``>`` and ``&`` escaped and every link
    made inert (a learner's own error text is in the messages); at most ``QUESTION_MAX``
    characters a question, an input too long to show left to the feedback ``page`` (its file
    name, named at the end).

    >>> print(summary_comment({"passed": "1", "total": "3", "status": "graded", "late": "",
    ...                  "detail": "feature_map: ❌ Not yet, on the example above (x): wrong. Stuck? Call .hint()."
    ...                            " | feature_map_shape: ❌ feature_map_shape raised ValueError: <b>&</b>"},
    ...                 "jdoe-1a2b3c4d.html"))  # doctest: +NORMALIZE_WHITESPACE
    1 of 3 points. feature_map: Not yet, on the exercise notebook's own example (x): wrong.
    feature_map_shape: feature_map_shape raised ValueError: &lt;b&gt;&amp;&lt;/b&gt;.
    Your feedback page, jdoe-1a2b3c4d.html, has each message in full.
    """
    text = f"{row['passed']} of {row['total']} points."
    if row["status"] != Status.GRADED:
        text += f" The notebook did not run to the end ({_plain(row['status'])})."
    lost = [f"{name}: {sentence}" for name, sentence in _lost(row["detail"], row)]
    kept = []
    for part in lost:
        if len(" ".join([text, *kept, part])) > COMMENT_MAX - PAGE_ROOM:
            kept.append(f"{len(lost) - len(kept)} more question(s) not yet right.")
            break
        kept.append(part)
    text = " ".join([text, *kept])
    if row.get("late") == "late":
        text += " Handed in late."
    if page:
        text += f" Your feedback page, {page}, has each message in full."
    return html.escape(text, quote=False)


def _lost(detail, row=None):
    """``[(question, sentence)]`` from a row's detail (``name: message | …``), each message made plain;
    only of the questions ``row`` marks lost (``0``): a learner's own error text may hold `` | name: ``."""
    found = []
    for part in detail.split(" | "):
        name, _, message = part.partition(": ")
        if not message.strip() or name.startswith("cells that raised") or not re.fullmatch(r"\w+", name):
            continue
        if row is not None and str(row.get(name, "0")) != "0":
            continue
        sentence = _first_sentences(" ".join(standalone(message).split()), name)
        found.append((name, sentence))
    return found


def _first_sentences(message, name):
    """The message's opening sentences that read alone, at most ``QUESTION_MAX`` characters."""
    message = _plain(_short_inputs(message))
    sentences, kept = SENTENCE.split(message.strip()), []
    for sentence in sentences:
        if not sentence or any(word in sentence for word in NOT_ALONE):
            continue
        if len(" ".join([*kept, sentence])) > QUESTION_MAX:
            break
        kept.append(sentence)
    if not kept:
        return f"{name} is not yet right; your feedback page says why."
    return " ".join(kept).rstrip(".") + "."


def _short_inputs(text):
    """Each parenthesised input longer than ``INPUT_MAX`` characters said to be on the feedback page."""
    out, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = index
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0 and index - start > INPUT_MAX:
                out.append((start, index + 1))
    for begin, end in reversed(out):
        text = text[:begin] + "(the input is on your feedback page)" + text[end:]
    return text


def _plain(text):
    """``text`` without Markdown (emphasis, code marks, ``[text](target)`` links) and with every link inert."""
    return inert_links(shown(MARKDOWN.sub("", MARKDOWN_LINK.sub(r"\1", str(text)))))  # escaped first: no escape
    # then completes a scheme after the links were made inert


def worksheet(rows, exercise, when=None, pages=False):
    """``(header, lines)``: the grading worksheet of ``exercise`` for per-submission ``rows``;
    ``pages``: feedback pages are written too (each comment names its learner's)."""
    # ISO 8601 with its offset: PHP's strtotime reads it the same in every language and time zone
    moment = datetime.now(timezone.utc) if when is None else datetime.fromtimestamp(when, timezone.utc)
    stamp = moment.astimezone().isoformat(timespec="seconds")
    lines = []
    for line in sorted(learner_lines(rows), key=lambda line: int(line.lms_id or 0)):
        row = next((r for r in line.rows if r["exercise"] == exercise), None)
        if line.platform != MOODLE_PLATFORM or row is None:
            continue
        lines.append([f"{PARTICIPANT} {line.lms_id}", cell(line.name), "", SUBMITTED,
                      f"{line.points[exercise]:.2f}", f"{possible(exercise):.2f}", "Yes", "", stamp,
                      cell(summary_comment(row, page_name(line.name, f"{MOODLE_PLATFORM}:{line.lms_id}") if pages else None))])
    return WORKSHEET_HEADER, lines


def write_moodle(folder, rows, when=None, pages=False):
    """Write one worksheet per exercise graded into ``folder``; returns ``({exercise: path}, warnings)``."""
    folder = Path(folder)
    written = {}
    for exercise in graded_exercises(rows):
        header, lines = worksheet(rows, exercise, when, pages)
        if lines:
            written[exercise] = folder / worksheet_name(exercise)
            write_table(written[exercise], header, lines)
    lines = learner_lines(rows)
    others = [line.name for line in lines if line.platform not in (MOODLE_PLATFORM, MOODLE_TEAM)]
    teams = [f"{line.name} ({line.lms_id})" if line.lms_id else line.name for line in lines if line.platform == MOODLE_TEAM]
    warnings = [f"{len(others)} learner(s) not named by Moodle, left out: {', '.join(others)}"] if others else []
    if teams:
        warnings.append(f"{len(teams)} team(s) left out of the worksheets, whose Identifier is a participant and never a "
                        f"group: {', '.join(teams)}; give each team its points in Moodle's grader with 'Apply grades "
                        "and feedback to entire group' (learners.csv and the feedback pages have them)")
    return written, warnings

