"""Every learner of a download appears: a notebook handed in inside a ``.zip`` is read (safely)
and graded as that learner's, and a learner who handed in only other files gets a row saying
what they were. Folder names as Moodle's ``mod/assign/classes/downloader.php`` (4.1+) and
Canvas's ``lib/content_zipper.rb`` build them. No sandbox: what is tested is what the roster reads."""

from __future__ import annotations

import stat
import subprocess
import tracemalloc
import zipfile

import nbformat

from convlib.grading.archive import MAX_MEMBERS, MAX_NOTEBOOKS, open_zip
from convlib.grading.roster import roster
from convlib.grading.status import Status

from gradingkit import EX1, EX2, GRADE, course_notebook

JANE = "Jane Doe_814_assignsubmission_file"  # Moodle 4.1+: no trailing _
ANN = "Ann Lee_816_assignsubmission_file"


def _zip(path, members):
    """Write a zip of ``members``: ``{name: bytes}``, or ``{name: (bytes, ZipInfo changes)}``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            data, extra = data if isinstance(data, tuple) else (data, {})
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            for key, value in extra.items():
                setattr(info, key, value)
            archive.writestr(info, data)
    return path


def _notebook(folder="solutions", exercise=EX1):
    return nbformat.writes(course_notebook(folder, exercise)).encode()


def test_notebooks_in_a_zip_are_the_learners_and_other_files_say_what_they_were(tmp_path):
    _zip(tmp_path / JANE / "my work.zip", {f"work/{EX1}.ipynb": _notebook(), f"work/{EX2}.ipynb": _notebook("exercises", EX2),
                                           "work/notes.txt": b"hello", "__MACOSX/._x": b"", })
    (tmp_path / ANN).mkdir()
    (tmp_path / ANN / "report.pdf").write_bytes(b"%PDF-1.4\n")
    (tmp_path / ANN / "screenshot.png").write_bytes(b"\x89PNG")
    (tmp_path / "loose notes.txt").write_text("the instructor's own")  # no learner: no row
    entries = roster([tmp_path])
    by = {e.relative: e for e in entries}
    assert set(by) == {f"{JANE}/my work.zip/work/{EX1}.ipynb", f"{JANE}/my work.zip/work/{EX2}.ipynb",
                       f"{ANN}/report.pdf"}
    jane = by[f"{JANE}/my work.zip/work/{EX1}.ipynb"]
    assert (jane.learner.name, jane.learner.lms_id, jane.learner.platform) == ("Jane Doe", "814", "moodle")
    assert jane.exercise == EX1 and jane.submission.notebook is not None and not jane.submission.status
    assert by[f"{JANE}/my work.zip/work/{EX2}.ipynb"].exercise == EX2
    ann = by[f"{ANN}/report.pdf"]
    assert (ann.learner.lms_id, ann.submission.status) == ("816", Status.NOT_NOTEBOOK)
    assert ann.submission.detail == (f"no notebook (.ipynb) handed in; the files handed in: {ANN}/report.pdf, "
                                     f"{ANN}/screenshot.png")


def test_a_hostile_zip_costs_only_its_own_row(tmp_path):
    link = (b"/etc/passwd", {"external_attr": (stat.S_IFLNK | 0o777) << 16})
    bomb = b"{" + b" " * (200 * 2**20)  # 200 MB of spaces: a few hundred KB compressed
    _zip(tmp_path / JANE / "a.zip", {f"{EX1}.ipynb": _notebook(), "evil.ipynb": link, "../../outside.ipynb": b"{}",
                                     "/abs.ipynb": b"{}", "inner.zip": b"PK", f"bomb_{EX1}.ipynb": bomb})
    tracemalloc.start()
    entries = roster([tmp_path])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 120 * 2**20, peak  # the bomb is never unpacked past the notebook's bound
    by = {e.relative.rsplit("/", 1)[-1]: e for e in entries}
    assert set(by) == {f"{EX1}.ipynb", f"bomb_{EX1}.ipynb"}
    assert by[f"bomb_{EX1}.ipynb"].submission.status == Status.TOO_LARGE
    honest = by[f"{EX1}.ipynb"]
    assert honest.submission.notebook is not None and honest.learner.lms_id == "814"
    refused = " ".join(honest.notes)
    for name, why in (("evil.ipynb", "a link"), ("../../outside.ipynb", "a path outside the zip"),
                      ("/abs.ipynb", "a path outside the zip"), ("inner.zip", "a zip inside the zip")):
        assert f"{name} ({why}, not opened)" in refused


def test_a_zip_with_too_many_files_or_none_or_not_a_zip_is_a_row_that_says_so(tmp_path):
    _zip(tmp_path / f"{JANE}/many.zip", {f"f{i}.txt": b"" for i in range(MAX_MEMBERS + 1)})
    (tmp_path / ANN).mkdir()
    (tmp_path / ANN / "fake.zip").write_bytes(b"not a zip at all")
    _zip(tmp_path / "Bo Li_817_assignsubmission_file" / "pics.zip", {"a.png": b"x"})
    rows = {e.relative: e.submission for e in roster([tmp_path])}
    assert rows[f"{JANE}/many.zip"].status == Status.TOO_LARGE and "more than 1000 files" in rows[f"{JANE}/many.zip"].detail
    assert rows[f"{ANN}/fake.zip"].status == Status.NOT_NOTEBOOK
    assert "no notebook (.ipynb) in it; it holds a.png" in rows["Bo Li_817_assignsubmission_file/pics.zip"].detail


def test_a_zip_of_many_notebooks_gives_at_most_its_share_of_rows(tmp_path):
    _zip(tmp_path / JANE / "many.zip", {f"copy{i:03d}_{EX1}.ipynb": b"{}" for i in range(MAX_NOTEBOOKS + 5)})
    entries = roster([tmp_path])
    assert len(entries) == MAX_NOTEBOOKS
    notes = " ".join(note for entry in entries for note in entry.notes)
    assert f"copy{MAX_NOTEBOOKS + 4:03d}_{EX1}.ipynb (more than {MAX_NOTEBOOKS} notebooks in one zip" in notes


def test_a_zip_is_read_in_memory_never_unpacked(tmp_path):
    path = _zip(tmp_path / "x.zip", {"../escape.ipynb": b"{}", f"{EX1}.ipynb": _notebook()})
    before = sorted(p.name for p in tmp_path.parent.iterdir())
    found = open_zip(path)
    assert [name for name, _ in found.notebooks] == [f"{EX1}.ipynb"]
    assert sorted(p.name for p in tmp_path.parent.iterdir()) == before and sorted(tmp_path.iterdir()) == [path]


def test_the_command_grades_a_folder_of_zips(tmp_path):  # refuses nothing for want of a .ipynb file
    _zip(tmp_path / "class" / JANE / "w.zip", {"notes.txt": b"x"})
    done = subprocess.run([*GRADE, str(tmp_path / "class"), "--out", str(tmp_path / "g.csv"), "--shard", "1/1",
                           "--solutions", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no solutions folder" in done.stderr  # past the files: they were found
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([*GRADE, str(empty), "--out", str(tmp_path / "g.csv")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "nothing handed in found" in done.stderr
