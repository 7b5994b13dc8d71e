"""Every lesson reads like a textbook page: goal first, summary and its exercise last; outputs kept."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_structure(path):
    nb = nbformat.read(path, as_version=4)
    number = int(path.name[:2])
    first, last = nb.cells[0], nb.cells[-1]
    assert first.cell_type == "markdown" and first.source.startswith(f"# Lesson {number} ")
    assert "**Goal.**" in first.source
    assert last.cell_type == "markdown" and "## Summary" in last.source
    assert f"../exercises/{path.name}" in last.source, "the lesson must link to its exercise"
    assert (ROOT / "exercises" / path.name).exists()
    # every link to another notebook of the course points at a file that exists
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for target in re.findall(r"\]\(([^)]+\.ipynb)\)", cell.source):
                assert (path.parent / target).resolve().exists(), f"{path.name} links to missing {target}"


@pytest.mark.parametrize("path", LESSONS + sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_with_outputs_in_order_and_no_errors(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "execute top to bottom on a fresh kernel before committing"
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    assert nb.metadata["kernelspec"]["name"] == "python3"
