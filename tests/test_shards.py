"""Shards merged whole: each part says which share it is, a missing or doubled part is refused,
and the merged gradebook is the one a single run writes, answers alike compared across the
whole class (the rows are built here without a sandbox: what is tested is the merge)."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess

import pytest

from convlib.grading.feedback import index_part_name, join_index, write_feedback
from convlib.grading.pipeline import class_answers, finish
from convlib.grading.report import Gradebook, Result, read_gradebook
from convlib.grading.roster import shard_of
from convlib.grading.shards import merge, record_path, write_record
from convlib.grading.similarity import answer_prints
from convlib.grading.solutions import SolutionBook
from convlib.grading.status import Status

from gradingkit import COPIED_WINDOW_SUM, EX1, GRADE, ROOT, course_notebook

BOOK = SolutionBook(ROOT / "solutions")
OWN = "def window_sum(image, kernel, row, col):\n    return {i}\n"  # too short to compare with anyone's


def _class(folder, count=12):
    """Results for ``count`` Canvas learners of exercise 1: every third copies one answer, one hands in the
    shipped solution's, the rest a line of their own; as the grader would have left them (file order)."""
    solution = next(c.source for c in course_notebook("solutions", EX1).cells
                    if c.get("metadata", {}).get("convlib", {}).get("answer") == "window_sum")
    results = []
    for i in range(count):
        source = solution if i == 1 else COPIED_WINDOW_SUM if i % 3 == 0 else OWN.format(i=i)
        results.append(Result(submission=str(folder / f"learner{i:02d}_{1000 + i}_1_{EX1}.ipynb"),
                              learner=f"learner{i:02d}", lms_id=str(1000 + i), platform="canvas", exercise=EX1,
                              questions={"window_sum": i % 2 == 0, "feature_map": True, "feature_map_shape": False},
                              review="an earlier note" if i == 6 else "", answers={"window_sum": source}))
    return results


def _shard(results, k, n):
    return [r for r in results if shard_of(f"learner:canvas:{r.lms_id}", n) == k - 1]


def _write_part(path, results, k, n):
    book = Gradebook(path)
    for r in results:
        book.add(r)
    book.close(results)
    write_record(path, (k, n), len(results), answer_prints(class_answers(results)))


@pytest.fixture
def parts(tmp_path):
    whole = _class(tmp_path / "class")
    single = [Result(**{**vars(r)}) for r in whole]
    finish(single, BOOK)  # the single run: answers compared across the class
    paths = []
    for k in (1, 2, 3):
        paths.append(tmp_path / f"part{k}.csv")
        _write_part(paths[-1], [Result(**vars(r)) for r in _shard(whole, k, 3)], k, 3)
    return {"paths": paths, "single": [r.record() for r in single], "base": tmp_path}


def test_three_shards_merged_equal_one_run_review_notes_included(parts):
    assert all(_shard(_class(parts["base"] / "class"), k, 3) for k in (1, 2, 3))  # every shard has learners
    rows, pairs = merge(parts["paths"], parts["base"] / "merged.csv", BOOK)
    assert rows == parts["single"] == read_gradebook(parts["base"] / "merged.csv")
    noted = [r for r in rows if "a person should look" in r["review"]]
    copiers = {f"learner{i:02d}" for i in range(0, 12, 3)} | {"learner01"}
    assert {r["learner"] for r in noted} == copiers  # copies compared across shards, and the shipped solution
    assert next(r for r in rows if r["learner"] == "learner06")["review"].startswith("an earlier note; ")
    assert {p[2:4] for p in pairs} >= {("learner00 (canvas 1000)", "learner03 (canvas 1003)")}


def test_a_missing_or_doubled_part_is_refused_unless_partial(parts):
    first, second, third = parts["paths"]
    out = parts["base"] / "m.csv"
    with pytest.raises(ValueError, match="shard\\(s\\) 3/3 missing: 2 of 3 parts"):
        merge([first, second], out, BOOK)
    with pytest.raises(ValueError, match="is in both"):  # the same part twice: its rows twice
        merge([first, second, second, third], out, BOOK)
    record = json.loads(record_path(third).read_text(encoding="utf-8"))
    record_path(third).write_text(json.dumps({**record, "shard": [2, 3]}), encoding="utf-8")
    with pytest.raises(ValueError, match="shard 2/3 is given twice"):  # another share, labelled as one given
        merge([first, second, third], out, BOOK)
    assert not out.exists()
    rows, _ = merge([first, second], out, BOOK, partial=True)
    assert len(rows) == len(read_gradebook(first)) + len(read_gradebook(second))


def test_a_gradebook_without_its_shard_record_is_refused(parts):
    record_path(parts["paths"][2]).unlink()
    with pytest.raises(ValueError, match="has no shard record"):
        merge(parts["paths"], parts["base"] / "m.csv", BOOK)


def test_the_merge_command_exits_non_zero_on_a_missing_part(parts):
    done = subprocess.run([*GRADE, "merge", *map(str, parts["paths"][:2]), "--out", str(parts["base"] / "m.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "3/3 missing" in done.stderr and "--partial" not in done.stdout
    assert not (parts["base"] / "m.csv").exists()
    done = subprocess.run([*GRADE, "merge", *map(str, parts["paths"]), "--out", str(parts["base"] / "m.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_feedback_pages_of_every_shard_in_one_index(parts, tmp_path):
    whole = _class(tmp_path / "class")
    folder = tmp_path / "feedback"
    for k in (1, 2, 3):
        write_feedback(folder, _shard(whole, k, 3), shard=(k, 3))
        assert not (folder / "index.csv").exists()
    assert join_index(folder) == len(whole)
    with open(folder / "index.csv", newline="", encoding="utf-8") as handle:
        index = list(csv.DictReader(handle))
    assert sorted(r["learner"] for r in index) == sorted(r.learner for r in whole)
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{r["page"]}"' in html and (folder / r["page"]).is_file() for r in index)
    (folder / index_part_name(2, 3)).unlink()
    with pytest.raises(ValueError, match="missing index-2-of-3.csv"):
        join_index(folder)


def test_every_output_is_private(parts, tmp_path):
    whole = _class(tmp_path / "class")
    write_feedback(tmp_path / "made" / "feedback", whole)
    files = [*parts["paths"], *map(record_path, parts["paths"]), *(tmp_path / "made" / "feedback").iterdir()]
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in files} == {0o600}
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in (tmp_path / "made", tmp_path / "made" / "feedback")} == {0o700}


def test_statuses_read_back_equal_the_status_type(parts):
    assert {r["status"] for r in read_gradebook(parts["paths"][0])} == {Status.GRADED}
