"""exercises/ is generated from solutions/: one source of truth."""

from pathlib import Path

import nbformat
import pytest

from convlib.assign import BEGIN, END, assign, make_exercise, strip_solutions
from convlib.notebook import cell_role, exercise_of

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_exercises_are_what_make_exercises_generates():
    stale = assign(ROOT / "solutions", ROOT / "exercises", check=True)
    assert stale == [], f"run `make exercises`: {[p.name for p in stale]} differ from their solutions"


def test_same_numbers_and_topics_in_all_three_folders():
    names = lambda folder: sorted(p.name for p in (ROOT / folder).glob("*.ipynb"))  # noqa: E731
    assert names("solutions") == names("exercises") == names("notebooks")
    from convlib.exercises import MODULES

    assert names("notebooks") == [f"{exercise}.ipynb" for exercise in MODULES]  # one per exercise, in order


def test_assign_writes_into_an_empty_folder(tmp_path):
    written = assign(ROOT / "solutions", tmp_path / "out")
    assert len(written) == len(SOLUTIONS) and all(p.exists() for p in written)
    assert assign(ROOT / "solutions", tmp_path / "out", check=True) == []


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_exercise_has_no_solutions_and_no_outputs(path):
    solution = nbformat.read(path, as_version=4)
    exercise = make_exercise(solution, name=path.name)
    text = nbformat.writes(exercise)
    assert BEGIN not in text and END not in text
    assert exercise_of(exercise) == exercise_of(solution) == path.stem
    answers = 0
    for sol_cell, ex_cell in zip(solution.cells, exercise.cells, strict=True):
        assert sol_cell.get("id") == ex_cell.get("id")
        if ex_cell.cell_type == "code":
            assert ex_cell.outputs == [] and ex_cell.execution_count is None
        if cell_role(ex_cell)[0] == "answer":
            answers += 1
            assert "raise NotImplementedError()" in ex_cell.source
            assert BEGIN in sol_cell.source  # the solution really had an answer here
    assert answers >= 3
    assert solution.cells[2].source  # the solution itself is unchanged
    assert all(c.get("outputs") for c in solution.cells if cell_role(c)[0] == "check")


def test_strip_keeps_indentation_and_surrounding_code():
    source = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n# after"
    assert strip_solutions(source) == "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n# after"


@pytest.mark.parametrize(
    "source, phrase",
    [
        (f"{BEGIN}\nx = 1", "never closed"),
        (f"x = 1\n{END}", "without a"),
        (f"{BEGIN}\n{BEGIN}\n{END}", "inside another"),
    ],
)
def test_unbalanced_markers_are_reported(source, phrase):
    with pytest.raises(ValueError, match=phrase):
        strip_solutions(source, where="solutions/99_x.ipynb, cell 3")


@pytest.mark.kernel
@pytest.mark.parametrize("path", sorted((ROOT / "exercises").glob("*.ipynb")), ids=lambda p: p.name)
def test_untouched_exercise_runs_top_to_bottom_and_says_not_attempted(path, tmp_path):
    """A learner's Run All on a fresh exercise: no error, every check asks for an attempt."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        if cell_role(cell)[0] == "check":
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert "not attempted yet" in text and "YOUR CODE HERE" in text


STUCK = "Stuck? Uncomment `hint()` under a check"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_every_exercise_opens_alike_and_tags_its_cells(path):
    """The same opening (how to answer, where the hints are) and the same cell tags in every
    exercise: answers tagged ``answer``, checks ``check`` and compared by nbval."""
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].source.startswith(f"# Exercise {int(path.name[:2])} ")
    assert STUCK in nb.cells[0].source and "YOUR CODE HERE" in nb.cells[0].source
    for cell in nb.cells:
        role, name = cell_role(cell)
        tags = cell.metadata.get("tags", [])
        if role == "answer":
            assert tags == ["answer"] and f"def {name}(" in cell.source
        elif role == "check":
            assert tags == ["check", "nbval-check-output"] and f".check({name})" in cell.source
