"""The *judge* step: a submission's recorded answers against the references, in the grader.

Only the grader's process holds the references and the catalogue of mistakes
(:meth:`convlib.exercises.Question.judge`). It reads what the sandbox recorded -- plain data,
size-capped, decoded by :mod:`.wire` -- and calls the reference on its own copy of the inputs.
A question scores when every case agrees and the policy found no forbidden call. Judging fails
closed: whatever goes wrong while judging one question (a value the wire cannot hold, a
reference that raises on it) scores that question nothing and says "grader error"; every
message is capped before it reaches a row.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..exercises import CORRECT
from .text import capped
from .wire import loads

__all__ = ["Verdict", "judge"]


@dataclass
class Verdict:
    solved: bool
    message: str


def _records(raw, count):
    """The list of per-case records from an answer file's bytes, or a reason it is unusable."""
    if raw is None:
        return None, "its recorded answer was too large to read"
    try:
        records = loads(raw)
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError) as err:
        return None, f"its recorded answer was not plain data ({capped(err, 200)})"
    if not isinstance(records, list) or len(records) != count or not all(isinstance(r, dict) for r in records):
        return None, "its recorded answer did not match the inputs it was given"
    return records, ""


def judge(question, cases, raw, forbidden=(), reached=True):
    """The :class:`Verdict` on one question; never raises, never scores on an error.

    ``raw`` is the answer file's bytes (absent: the check never ran), ``forbidden`` the names
    the policy found, ``reached`` whether the notebook got as far as the check.
    """
    try:
        verdict = _judge(question, cases, raw, forbidden, reached)
    except Exception as err:  # noqa: BLE001 - a verdict, never a crash of the row or the batch
        verdict = Verdict(False, f"❌ {question.name}: grader error ({type(err).__name__}).")
    verdict.message = capped(verdict.message)
    return verdict


def _judge(question, cases, raw, forbidden, reached):
    if forbidden:
        return Verdict(False, question.forbidden_message(forbidden))
    if raw is ...:
        why = "its check cell did not run" + ("" if reached else " (the notebook stopped before it)")
        return Verdict(False, f"❌ {question.name}: {why}.")
    records, problem = _records(raw, len(cases))
    if records is None:
        return Verdict(False, f"❌ {question.name}: {problem}.")
    outcome, message = question.judge(cases, records)
    return Verdict(outcome == CORRECT, str(message))
