"""Make the learners' exercise notebooks from the solution notebooks: ``make exercises``.

    python -m convlib.assign solutions exercises          # write exercises/
    python -m convlib.assign solutions exercises --check  # only say whether exercises/ is current

``solutions/NN_topic.ipynb`` is the one source: every block between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` becomes ``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the same
indentation, outputs and execution counts are cleared, and the notebook keeps its metadata
(``convlib.exercise``, :mod:`convlib.schema`) so that a renamed submission is still matched to its solution.
A solution whose answer or check cells are marked only in part (a block without
``convlib.answer``, a tag without its metadata: :func:`convlib.schema.mark_mismatches`) is
refused, with the cells named.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .answers.blocks import BEGIN, END, make_exercise, strip_solutions
from .notebook import import_nbformat
from .schema import mark_mismatches

__all__ = ["BEGIN", "END", "strip_solutions", "make_exercise", "assign", "main"]


def assign(source_dir, target_dir, check=False):
    """Write (or, with ``check``, compare) ``target_dir/NN_topic.ipynb`` for every solution.

    Returns the list of exercise files that are missing or differ (all of them written unless
    ``check``). Raises ValueError, before writing anything, when a solution's cells are marked
    only in part (:func:`convlib.schema.mark_mismatches`) or its solution blocks are unbalanced.

    Examples
    --------
    >>> import json, shutil, tempfile
    >>> from convlib.exercises.answer_key import SOLUTIONS
    >>> folder = Path(tempfile.mkdtemp())
    >>> nb = json.loads((SOLUTIONS / "01_image_and_kernel.ipynb").read_text(encoding="utf-8"))
    >>> answer = next(c for c in nb["cells"] if c["metadata"].get("tags") == ["answer"])
    >>> answer["metadata"]["tags"] = []  # its metadata and its block left as they are
    >>> _ = (folder / "01_image_and_kernel.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    >>> assign(folder, folder / "out")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...01_image_and_kernel.ipynb: the marks of an answer or check cell disagree: cell ... (answer of window_sum) lacks the tag 'answer'
    >>> (folder / "out").exists()
    False
    >>> shutil.rmtree(folder)
    """
    nbformat = import_nbformat()

    source_dir, target_dir = Path(source_dir), Path(target_dir)
    made = []
    for path in sorted(source_dir.glob("*.ipynb")):
        solution = nbformat.read(path, as_version=4)
        mismatched = mark_mismatches(solution)
        if mismatched:
            raise ValueError(f"{path}: the marks of an answer or check cell disagree: {'; '.join(mismatched)}")
        made.append((path, make_exercise(solution, name=path.name)))
    stale = []
    for path, exercise in made:
        target = target_dir / path.name
        text = nbformat.writes(exercise) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(target)
            if not check:
                target_dir.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(description="solutions/ -> exercises/ (solution blocks stripped)")
    parser.add_argument("solutions", nargs="?", default="solutions")
    parser.add_argument("exercises", nargs="?", default="exercises")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if exercises/ is not current")
    args = parser.parse_args(argv)
    if not any(Path(args.solutions).glob("*.ipynb")):
        installed = Path(__file__).resolve().parent / "solutions"
        parser.error(f"no solution notebooks (*.ipynb) in {args.solutions}/"
                     + (f"; the answer key installed with convlib is {installed}" if installed.is_dir() else ""))
    try:
        stale = assign(args.solutions, args.exercises, check=args.check)
    except ValueError as err:  # a solution marked only in part, or an unbalanced block: nothing written
        parser.error(str(err))
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path}")
    if args.check and stale:
        print("run `make exercises` to regenerate them from the solutions")
        return 1
    if not stale:
        print(f"{args.exercises}/ is up to date with {args.solutions}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
