"""One exercise question: ``check()``, ``hint()``, ``solution()``, in the spirit of Kaggle Learn.

A question asks the learner for a *function*. ``check(fn)`` runs it on the example the learner
sees and on cases the learner never sees, compares with a reference, and says what differs: the
shape, a flipped kernel, a missing bias, an off-by-one size... rather than only "wrong". A
function that still raises ``NotImplementedError`` has not been attempted yet.

Feedback is printed (plain text, the same on every run), so that nbval can compare it when an
instructor grades.
"""

from __future__ import annotations

import inspect
import os
import signal
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Question", "Case", "Mistake", "CORRECT", "WRONG", "NOT_ATTEMPTED"]

CORRECT, WRONG, NOT_ATTEMPTED = "correct", "wrong", "not attempted"
# Seconds one call of the learner's function may take (an instructor may change it).
TIME_LIMIT = float(os.environ.get("CONVLIB_CHECK_TIME_LIMIT", "10"))


@dataclass
class Case:
    """Arguments to call the learner's function with. ``shown`` cases appear in the notebook."""

    args: tuple
    shown: bool = False
    label: str = ""

    def describe(self):
        if self.label:
            return self.label
        parts = []
        for arg in self.args:
            if isinstance(arg, np.ndarray):
                parts.append(f"an array of shape {arg.shape}")
            else:
                parts.append(repr(arg))
        return "(" + ", ".join(parts) + ")"


@dataclass
class Mistake:
    """A wrong answer worth recognising: if the learner's result equals ``fn(*args)``, say ``message``."""

    fn: Callable
    message: str


class _TimeUp(Exception):
    pass


@contextmanager
def _time_limit(seconds):
    """Interrupt the learner's function after ``seconds`` (main thread on Unix; else no limit)."""
    usable = hasattr(signal, "setitimer")
    try:
        previous = signal.signal(signal.SIGALRM, _raise_time_up) if usable else None
    except ValueError:  # not the main thread
        usable, previous = False, None
    if usable:
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _raise_time_up(signum, frame):
    raise _TimeUp()


@dataclass
class Question:
    """A question whose answer is a function.

    Parameters
    ----------
    name : str
        The name the learner's function has in the notebook (also the gradebook column).
    reference : callable
        A correct answer; its results are the expected ones and its source is the solution.
    cases : list of Case
        Inputs to check with; those with ``shown=True`` are the ones the notebook shows.
    mistakes : list of Mistake
        Common wrong answers, recognised by their results, each with a message.
    hints : list of str
        Numbered hints, given one at a time.
    compare : callable, optional
        ``compare(got, expected) -> str | None``: a message when they differ; by default
        :func:`compare_values`.
    solution_text : str, optional
        What ``solution()`` shows; by default the reference's source.
    """

    name: str
    reference: Callable
    cases: list
    mistakes: list = field(default_factory=list)
    hints: list = field(default_factory=list)
    compare: Callable | None = None
    solution_text: str | None = None
    _hints_given: int = field(default=0, repr=False)

    # ------------------------------------------------------------------ for the learner

    def check(self, answer=None):
        """Run the learner's function on every case and print kind, specific feedback.

        Returns nothing (so nothing extra shows in the notebook); the outcome is kept in
        ``last_outcome``: ``'correct'``, ``'wrong'`` or ``'not attempted'``.
        """
        outcome, message = self.evaluate(answer)
        self.last_outcome = outcome
        print(message)

    def hint(self, number=None):
        """Print the next hint (or hint ``number``, counting from 1)."""
        if not self.hints:
            print(f"No hints for {self.name}: the lesson's summary has what you need.")
            return
        if number is None:
            self._hints_given = min(self._hints_given + 1, len(self.hints))
            number = self._hints_given
        number = max(1, min(int(number), len(self.hints)))
        more = f" (call hint() again for hint {number + 1})" if number < len(self.hints) else ""
        print(f"💡 Hint {number} of {len(self.hints)}: {self.hints[number - 1]}{more}")

    def solution(self):
        """Print a worked solution (an instructor may hide them: CONVLIB_HIDE_SOLUTIONS=1)."""
        if os.environ.get("CONVLIB_HIDE_SOLUTIONS"):
            print("Solutions are hidden for this course run; ask your instructor.")
            return
        text = self.solution_text or textwrap.dedent(inspect.getsource(self.reference))
        print(f"One solution for {self.name}:\n\n{text.strip()}")

    # ------------------------------------------------------------------ the checking itself

    def evaluate(self, answer):
        """``(outcome, message)`` for the learner's function ``answer``."""
        if answer is None or answer is Ellipsis:
            return NOT_ATTEMPTED, self._not_attempted()
        if not callable(answer):
            return WRONG, (
                f"❌ {self.name} should be a function (def {self.name}(...): ...), "
                f"but it is {type(answer).__name__} {answer!r:.60}."
            )
        compare = self.compare or compare_values
        for case in self.cases:
            expected = self.reference(*_copies(case.args))
            try:
                with _time_limit(TIME_LIMIT):
                    got = answer(*_copies(case.args))
            except NotImplementedError:
                return NOT_ATTEMPTED, self._not_attempted()
            except _TimeUp:
                return WRONG, (
                    f"❌ {self.name}{case.describe()} ran for more than {TIME_LIMIT:g} s and was stopped. "
                    "Is there a loop that never ends?"
                )
            except Exception as err:  # the learner's code failed: say how, kindly
                return WRONG, (
                    f"❌ {self.name}{case.describe()} raised {type(err).__name__}: {err}\n"
                    f"   Try it on the example above and read the error. {self._hint_pointer()}"
                )
            difference = compare(got, expected)
            if difference is None:
                continue
            which = "the example above" if case.shown else "an input you have not seen"
            for mistake in self.mistakes:
                try:
                    if compare(got, mistake.fn(*_copies(case.args))) is None:
                        return WRONG, f"❌ Not yet, on {which}: {mistake.message} {self._hint_pointer()}"
                except Exception:  # a mistake that does not apply to this case
                    continue
            return WRONG, (
                f"❌ Not yet, on {which} {case.describe()}: {difference} {self._hint_pointer()}"
            )
        checks = "the check" if len(self.cases) == 1 else f"all {len(self.cases)} checks"
        return CORRECT, f"✅ Correct: {self.name} passes {checks}."

    def _not_attempted(self):
        return (
            f"✏️ {self.name} is not attempted yet: write your code where it says YOUR CODE HERE "
            f"(delete the raise NotImplementedError() line), run that cell, then this one. "
            f"{self._hint_pointer()}"
        )

    def _hint_pointer(self):
        return "Stuck? Call .hint()." if self.hints else ""


def _copies(args):
    """Fresh copies of the arguments, so that a learner's function cannot change the cases."""
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _as_text(value):
    return np.array2string(np.asarray(value), precision=3, separator=", ", threshold=30)


def compare_values(got, expected, *, rtol=1e-6, atol=1e-8):
    """None when ``got`` matches ``expected``; else a sentence saying how they differ.

    Numbers, tuples and arrays are compared by value with a small tolerance; shapes, types and
    sizes are named when they differ.

    Examples
    --------
    >>> compare_values([[1, 2]], np.array([[1, 2]])) is None
    True
    >>> compare_values(np.ones((3, 3)), np.ones((2, 2)))
    'your result has shape (3, 3), the expected one has shape (2, 2).'
    >>> compare_values(3.5, 4)
    'you returned 3.5, expected 4.'
    """
    if got is None:
        return "your function returned None: did you forget a return statement?"
    if isinstance(expected, tuple) and not isinstance(got, np.ndarray):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"you returned {got!r}, expected a tuple of {len(expected)} like {expected!r}."
        if any(compare_values(g, e, rtol=rtol, atol=atol) for g, e in zip(got, expected)):
            return f"you returned {tuple(got)!r}, expected {expected!r}."
        return None
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"your result is {type(got).__name__} {got!r:.60}, expected numbers."
    expected_array = np.asarray(expected, dtype=float)
    if expected_array.ndim == 0:
        if got_array.ndim != 0:
            return f"you returned an array of shape {got_array.shape}, expected one number."
        if not np.isclose(got_array, expected_array, rtol=rtol, atol=atol):
            return f"you returned {_as_text(got)}, expected {_as_text(expected)}."
        return None
    if got_array.shape != expected_array.shape:
        return f"your result has shape {got_array.shape}, the expected one has shape {expected_array.shape}."
    if not np.allclose(got_array, expected_array, rtol=rtol, atol=atol):
        wrong = ~np.isclose(got_array, expected_array, rtol=rtol, atol=atol)
        first = tuple(int(i) for i in np.argwhere(wrong)[0])
        return (
            f"{int(wrong.sum())} of {wrong.size} values differ; the first at {first}: "
            f"you have {got_array[first]:.4g}, expected {expected_array[first]:.4g}."
        )
    return None
