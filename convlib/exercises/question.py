"""One exercise question: ``check()``, ``hint()``, ``solution()``, in the spirit of Kaggle Learn.

A question asks the learner for a *function*. ``check(fn)`` runs it on the example the learner
sees and on cases the learner never sees, compares with a reference, and says what differs: the
shape, a flipped kernel, a missing bias, an off-by-one size... rather than only "wrong". A
function that still raises ``NotImplementedError`` has not been attempted yet.

The same :meth:`Question.judge` gives the learner's feedback in the notebook and the grader's
verdict: in the notebook it judges what the learner's function returns there; while grading
it judges, in the grader's own process, what the function returned inside its sandbox (see
:mod:`convlib.grading`). Feedback is printed, plain text, the same on every run.
"""

from __future__ import annotations

import inspect
import linecache
import os
import re
import textwrap
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..answers.calls import DEFAULT_SECONDS, Kind, call
from ..answers.policy import scan

__all__ = ["Question", "Case", "Mistake", "CORRECT", "WRONG", "NOT_ATTEMPTED", "whole_number"]

CORRECT, WRONG, NOT_ATTEMPTED = "correct", "wrong", "not attempted"
# The hidden cases a learner's notebook checks with; grading draws fresh ones every run.
LEARNING_SEED = 20240601
SEEDS = 2**31  # each question's hidden cases come from one seed below this, named in its messages
SMALL = 64  # arrays of at most this many numbers are written out in feedback; larger ones get a recipe


@dataclass
class Case:
    """Arguments to call the learner's function with. ``shown`` cases appear in the notebook."""

    args: tuple
    shown: bool = False
    rebuild: str = ""  # how to get these arguments back: "hidden_case('window_sum', 123, 0)"

    def describe(self):
        """The call's arguments as a learner can retype them: values when small, else shapes
        and how to rebuild them."""
        text = "(" + ", ".join(_describe_value(arg) for arg in self.args) + ")"
        large = any(isinstance(a, np.ndarray) and a.size > SMALL for a in self.args)
        if large and self.rebuild:
            text += (f" [to rebuild it: from convlib.exercises import hidden_case; "
                     f"args = {self.rebuild}]")
        return text


def _describe_value(value):
    if isinstance(value, np.ndarray):
        if value.size <= SMALL:
            text = np.array2string(value, separator=", ", threshold=SMALL, max_line_width=10_000)
            return f"np.array({' '.join(text.split())})"
        return f"an array of shape {value.shape} ({value.dtype}) from {value.min():.3g} to {value.max():.3g}"
    return repr(value)


@dataclass
class Mistake:
    """A wrong answer worth recognising: if the learner's result equals ``fn(*args)``, say ``message``."""

    fn: Callable
    message: str


@dataclass
class Question:
    """A question whose answer is a function.

    Parameters
    ----------
    name : str
        The name the learner's function has in the notebook (also the gradebook column).
    reference : callable
        A correct answer, the function of the answer cell in ``solutions/``: its results are the
        expected ones (see :mod:`convlib.exercises.answer_key`).
    solution_text : str
        What ``solution()`` shows: that answer cell, as the key reads it.
    cases : list of Case
        Inputs to check with; those with ``shown=True`` are the ones the notebook shows.
    mistakes : list of Mistake
        Common wrong answers, recognised by their results, each with a message.
    hints : list of str
        Numbered hints, given one at a time.
    compare : callable, optional
        ``compare(got, expected) -> str | None``: a message when they differ; by default
        :func:`compare_values`.
    forbidden : tuple of str
        Names the answer may not call (the function that would do the question's work for the
        learner, e.g. ``conv2d`` where the loop is the point).
    hidden : callable, optional
        ``hidden(rng) -> list of Case``: the unseen cases, drawn from ``rng``. The notebook
        checks with those of a fixed seed; grading draws new ones for every submission.
    error_hints : list of (str, str or callable)
        ``(pattern, message)``: when the answer raises an error matching the regex
        ``pattern``, the message says what probably went wrong. ``message`` may be a function
        ``message(match, args) -> str`` of the regex match and the case's arguments, to name
        what differs in this case (the shapes in a broadcast error, say).
    depends_on : tuple of str
        Earlier questions' functions this answer may call (every earlier question of its
        exercise): when it fails and calls one of them that does not pass its own check, the
        message says to fix that one first, in ``check()`` as in grading.
    """

    name: str
    reference: Callable
    solution_text: str
    cases: list
    mistakes: list = field(default_factory=list)
    hints: list = field(default_factory=list)
    compare: Callable | None = None
    forbidden: tuple = ()
    hidden: Callable | None = None
    error_hints: list = field(default_factory=list)
    depends_on: tuple = ()
    _hints_given: int = field(default=0, repr=False)

    def __post_init__(self):
        self.shown_cases = list(self.cases)
        self.cases = self.cases_for(np.random.default_rng(LEARNING_SEED))

    def cases_for(self, rng):
        """The cases to check with: the shown ones, then hidden ones drawn from ``rng``.

        The hidden ones come from one seed drawn from ``rng``, so that each can be rebuilt from
        its message: ``hidden_case(name, seed, index)``.
        """
        if not self.hidden:
            return list(self.shown_cases)
        seed = int(rng.integers(SEEDS))
        hidden = list(self.hidden(np.random.default_rng(seed)))
        for index, case in enumerate(hidden):
            case.rebuild = f"hidden_case({self.name!r}, {seed}, {index})"
        return self.shown_cases + hidden

    def hidden_case(self, seed, index):
        """The arguments of hidden case ``index`` drawn with ``seed`` (as a failed check names them)."""
        return self.hidden(np.random.default_rng(seed))[index].args

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
        try:
            number = max(1, min(int(number), len(self.hints)))
        except (TypeError, ValueError):
            print(f"hint() takes a hint number from 1 to {len(self.hints)}, or nothing for the next one; got {number!r}.")
            return
        more = f" (call hint() again for hint {number + 1})" if number < len(self.hints) else ""
        print(f"💡 Hint {number} of {len(self.hints)}: {self.hints[number - 1]}{more}")

    def solution(self):
        """Print a worked solution (an instructor may hide them: CONVLIB_HIDE_SOLUTIONS=1)."""
        if os.environ.get("CONVLIB_HIDE_SOLUTIONS"):
            print("Solutions are hidden for this course run; ask your instructor.")
            return
        print(f"One solution for {self.name}:\n\n{self.solution_text.strip()}")

    # ------------------------------------------------------------------ the checking itself

    def evaluate(self, answer):
        """``(outcome, message)`` for the learner's function ``answer``, run here."""
        if answer is None or answer is Ellipsis:
            return NOT_ATTEMPTED, self._not_attempted()
        if not callable(answer):
            return self.judge(self.cases[:1], [{"kind": Kind.NOT_A_FUNCTION, "type": type(answer).__name__}])
        source = _cell_of(answer)
        try:
            used = scan(source, self.forbidden).forbidden
        except Exception as err:  # noqa: BLE001 - a cell the policy refuses to read scores nothing when graded
            return WRONG, (f"❌ {self.name}: the cell it is defined in could not be read ({err}); "
                           f"the grader would not score it either. Keep the answer cell to the function.")
        if used:
            return WRONG, self.forbidden_message(used)
        outcome, message = self.judge(self.cases, (call(answer, _copies(case.args)) for case in self.cases))
        if outcome == WRONG:
            namespace = getattr(answer, "__globals__", {})
            broken = [name for name in self.calls(source)
                      if callable(namespace.get(name)) and _question_named(name).evaluate(namespace[name])[0] != CORRECT]
            message += self.dependency_note(broken)
        return outcome, message

    def calls(self, source):
        """The earlier questions' functions (``depends_on``) that the answer's ``source`` calls."""
        return [name for name in self.depends_on if re.search(rf"\b{name}\s*\(", source)]

    def dependency_note(self, broken):
        """The sentence added when this answer calls earlier answers that are not right yet."""
        if not broken:
            return ""
        names = " and ".join(broken)
        return (f"\n   Note: {self.name} calls your {names}, which does not pass its own check yet: "
                f"fix {'that' if len(broken) == 1 else 'those'} first, then check {self.name} again.")

    def forbidden_message(self, used):
        names = ", ".join(f"`{n}`" for n in used)
        return (f"❌ {self.name} uses {names}, which would do this question's work for you: "
                f"write it yourself, with NumPy and loops. {self._hint_pointer()}").strip()

    def judge(self, cases, records):
        """``(outcome, message)`` from what the answer gave on each case.

        ``records`` holds one ``{"kind": ...}`` per case, in order (see
        :func:`convlib.answers.calls.call`): ``"value"`` with the returned ``"value"``,
        ``"error"``, ``"timeout"``, ``"not attempted"``, ``"not a function"`` or
        ``"not plain data"``. Judging stops at the first case that is not right.
        """
        compare = self.compare or compare_values
        records = iter(records)
        for index, (case, record) in enumerate(zip(cases, records)):
            kind = record.get("kind")
            if kind == Kind.NOT_ATTEMPTED:
                return NOT_ATTEMPTED, self._not_attempted()
            if kind == Kind.NOT_A_FUNCTION:
                return WRONG, (f"❌ {self.name} should be a function (def {self.name}(...): ...), "
                               f"but it is a {record.get('type', 'value')}.")
            if kind == Kind.TIMEOUT:
                return WRONG, (f"❌ {self.name}{case.describe()} ran for more than {record.get('seconds', DEFAULT_SECONDS):g} s "
                               "and was stopped. Is there a loop that never ends?")
            if kind == Kind.ERROR:
                error = str(record.get("error", "an error"))
                likely = self._error_hint(error, case)
                return WRONG, (f"❌ {self.name}{case.describe()} raised {error}\n"
                               + (f"   {likely}\n" if likely else "")
                               + f"   {self._try_it(case)} {self._hint_pointer()}")
            if kind != Kind.VALUE:
                return WRONG, (f"❌ {self.name}{case.describe()} returned {record.get('error', 'something')}, "
                               f"not numbers or arrays. {self._hint_pointer()}")
            got = record.get("value")
            expected = self.reference(*_copies(case.args))
            try:
                difference = compare(got, expected)
            except Exception as err:  # noqa: BLE001 - a strange answer must not crash the check
                difference = f"your result ({type(got).__name__}) could not be compared: {type(err).__name__}."
            if difference is None:
                continue
            which = self._where(case)
            candidates = [m for m in self.mistakes if self._made(m, case, got, compare)]
            # several known mistakes give this result: the later cases tell which one it is
            for later, later_record in zip(cases[index + 1:], records):
                if len(candidates) < 2 or later_record.get("kind") != Kind.VALUE:
                    break
                candidates = [m for m in candidates if self._made(m, later, later_record.get("value"), compare)] \
                    or candidates
            if candidates:
                return WRONG, f"❌ Not yet, {which}: {candidates[0].message} {self._hint_pointer()}".strip()
            return WRONG, f"❌ Not yet, {which}: {difference} {self._hint_pointer()}".strip()
        checks = "the check" if len(cases) == 1 else f"all {len(cases)} checks"
        return CORRECT, f"✅ Correct: {self.name} passes {checks}."

    def _where(self, case):
        """Which case a message is about: the example shown, an unseen input, or (for a function
        that takes nothing) what it returns."""
        if not case.args:
            return f"on what {self.name}() returns"
        return f"on {'the example above' if case.shown else 'an input you have not seen'} {case.describe()}"

    def _try_it(self, case):
        if not case.args:
            return "Call it and read the error."
        if case.shown:
            return "Try it on the example above and read the error."
        return "Call it with these arguments and read the error."

    def _error_hint(self, error, case):
        """The first error hint whose pattern the error text matches, as a line of advice, or ''."""
        for pattern, message in self.error_hints:
            match = re.search(pattern, error)
            if match:
                try:
                    return message(match, case.args) if callable(message) else message
                except Exception:  # noqa: BLE001 - advice that cannot be given must not hide the error
                    return ""
        return ""

    def _made(self, mistake, case, got, compare):
        """Whether ``got`` is what ``mistake`` gives on ``case``."""
        try:
            return compare(got, mistake.fn(*_copies(case.args))) is None
        except Exception:  # noqa: BLE001 - a mistake that does not apply to this case
            return False

    def _not_attempted(self):
        return (
            f"✏️ {self.name} is not attempted yet: write your code where it says YOUR CODE HERE "
            f"(delete the raise NotImplementedError() line), run that cell, then this one. "
            f"{self._hint_pointer()}"
        )

    def _hint_pointer(self):
        return "Stuck? Call .hint()." if self.hints else ""


def _question_named(name):
    from . import MODULES, questions

    return next(q for exercise in MODULES for q in questions(exercise) if q.name == name)


def _cell_of(fn):
    """The whole notebook cell ``fn`` was defined in, as the grader reads an answer cell.

    IPython keeps each cell's text in :mod:`linecache` under the file name its code objects
    carry, marked as no file on disk (no modification time); an import above the ``def`` is
    then read too. A function from a file on disk gives its own source only.
    """
    entry = linecache.cache.get(getattr(getattr(fn, "__code__", None), "co_filename", None))
    if isinstance(entry, tuple) and len(entry) == 4 and entry[1] is None and isinstance(entry[2], list):
        return "".join(entry[2])
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return ""


def _copies(args):
    """Fresh copies of the arguments, so that a learner's function cannot change the cases."""
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _as_text(value):
    return np.array2string(np.asarray(value), precision=3, separator=", ", threshold=30)


def whole_number(counted):
    """A ``compare`` for a question whose answer is a whole number (a count of ``counted``).

    A float that holds the right number is refused, with why: ``/`` always gives a float, and a
    count is a whole number. Anything else is compared by :func:`compare_values` (so a known
    mistake whose result is a float is still recognised by its value).

    Examples
    --------
    >>> compare = whole_number("zeros on each side")
    >>> compare(1, 1) is None
    True
    >>> print(compare(1.0, 1))
    you returned 1.0, a float: the number is right, but it counts zeros on each side, a whole number, and / always gives a float. Divide with // (or convert with int(...)).
    >>> compare(2.5, 3)
    'you returned 2.5, expected 3.'
    """
    def compare(got, expected):
        if isinstance(got, (bool, np.bool_)):
            return f"you returned {got}, a truth value; expected the whole number {expected}."
        floating = isinstance(got, (float, np.floating)) or (isinstance(got, np.ndarray) and got.ndim == 0
                                                             and got.dtype.kind == "f")
        # a float expected is a known mistake's result (``(f - 1) / 2``): compared as it is
        if floating and not isinstance(expected, (float, np.floating)) and compare_values(got, expected) is None:
            return (f"you returned {float(got)!r}, a float: the number is right, but it counts {counted}, "
                    f"a whole number, and / always gives a float. Divide with // (or convert with int(...)).")
        return compare_values(got, expected)

    return compare


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
