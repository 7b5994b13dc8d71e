"""Attacks on what the grader reads from a class folder and writes for the platforms: zips, other
files, Moodle team folders, Canvas's export, Moodle's comments, Gradescope's Markdown and the
shard records. Each test hands the real code what a learner (or a slip of the instructor's)
could hand it and asserts that the attack fails: a hostile file costs only its own row, nothing
it names becomes another learner's row, the run finishes, and every output stays well-formed.
No sandbox: the roster, the readers and the writers are called directly. The names are built as
the platforms build them: Moodle's ``mod/assign/classes/downloader.php`` (folders
``prefix_assignsubmission_file``, a team's prefix its group name and number), Canvas's
``lib/content_zipper.rb`` (``name_[LATE_]id_attachment_file``, ``anon_<id>``) and its export as
``app/models/gradebook_importer.rb`` reads it back."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import struct
import subprocess
import time
import tracemalloc
import warnings
import zipfile

import nbformat
import pytest

from convlib.grading.archive import MAX_MEMBERS, open_zip
from convlib.grading.report import Result
from convlib.grading.roster import roster
from convlib.grading.status import Status
from convlib.grading.tables import cell
from convlib.grading.text import UNSAFE

from gradingkit import EX1, EX2, course_notebook, needs_sandbox

JANE = "Jane Doe_814_assignsubmission_file"  # the attacker's own Moodle folder
ANN = "Ann Lee_816_assignsubmission_file"  # another learner's
HONEST = nbformat.writes(course_notebook("solutions", EX1)).encode()


def _zip(path, members, method=zipfile.ZIP_DEFLATED):
    """Write a zip of ``members`` (``[(name, bytes)]``: a name may come twice); returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # zipfile warns of a name written twice: the attack
                archive.writestr(info, data)
    return path


def _learners(entries):
    return {(e.learner.name, e.learner.lms_id, e.learner.platform) for e in entries}


def _written(entries):
    """Each entry as the gradebook writes it: no character that moves a cursor or reorders text."""
    for entry in entries:
        row = Result(submission=str(entry.path), learner=entry.learner.name, lms_id=entry.learner.lms_id,
                     platform=entry.learner.platform, exercise=entry.exercise or "",
                     status=entry.submission.status or Status.GRADED, detail=entry.submission.detail,
                     review="; ".join(entry.notes)).row()
        for value in row:
            assert not UNSAFE.search(str(value)), value
            assert len(str(value)) < 40_000
    return True


# --- zips: whose, how many rows, how much memory --------------------------------------------------


def test_member_names_that_look_like_other_learners_name_no_one_but_the_owner(tmp_path):
    members = [(f"{ANN}/{EX1}.ipynb", HONEST), (f"roeann_23456_67890_{EX2}.ipynb", HONEST),
               (f"Ann Lee_816_assignsubmission_file_{EX1}.ipynb", HONEST), (f"anon_xK3p_1_{EX1}.ipynb", HONEST)]
    _zip(tmp_path / JANE / "work.zip", members)
    _zip(tmp_path / f"{JANE}_flat.zip", members)  # Moodle's flat download: the prefix is the file's
    for teams in (False, True):
        entries = roster([tmp_path], teams=teams)
        assert len(entries) == 2 * len(members)
        platform = "moodle team" if teams else "moodle"
        assert _learners(entries) == {("Jane Doe", "814", platform)}  # never Ann, never Canvas 23456
        assert _written(entries)
    ann_named = [e for e in entries if "Ann Lee" in " ".join(e.notes)]
    assert ann_named  # the name Jane typed is only noted, for review


def test_a_zip_inside_a_canvas_download_stays_its_canvas_learners(tmp_path):
    _zip(tmp_path / "doejane_12345_67890_work.zip", [(f"{JANE}/{EX1}.ipynb", HONEST),
                                                    (f"roeann_23456_1_{EX1}.ipynb", HONEST)])
    entries = roster([tmp_path])
    assert _learners(entries) == {("doejane", "12345", "canvas")}
    graded = [e for e in entries if e.graded_instead is None]
    assert len(graded) == 1 and all(e.graded_instead == graded[0].path for e in entries if e is not graded[0])


def test_a_member_named_twice_is_one_row_so_no_output_has_two_rows_of_one_file(tmp_path):
    # zip allows a name twice; a/./b and a//b are a/b once Path has them: each would be a second row
    # of one submission, which the merge of shards refuses as "in both"
    wrong = nbformat.writes(course_notebook("exercises", EX1)).encode()
    _zip(tmp_path / JANE / "w.zip", [(f"{EX1}.ipynb", HONEST), (f"{EX1}.ipynb", wrong),
                                     (f"x/./{EX2}.ipynb", HONEST), (f"x//{EX2}.ipynb", HONEST),
                                     ("notes.txt", b"a"), ("notes.txt", b"b")])
    entries = roster([tmp_path])
    paths = [str(e.path) for e in entries]
    assert len(paths) == len(set(paths)) == 2
    notes = " ".join(n for e in entries for n in e.notes)
    assert f"{EX1}.ipynb (a second member of that name, not opened)" in notes
    assert "x//02_the_slide.ipynb (a second member of that name" in notes


def test_a_bzip2_bomb_of_a_few_hundred_bytes_is_never_unpacked(tmp_path):
    # zipfile unpacks a bzip2 or LZMA member whole, whatever size is asked for: before, this 300-byte
    # member took 200 MB (a 64 MB zip of them: far more than the machine has)
    path = _zip(tmp_path / JANE / "b.zip", [(f"{EX1}.ipynb", b"\0" * (100 * 2**20))], zipfile.ZIP_BZIP2)
    assert path.stat().st_size < 1000
    _zip(tmp_path / ANN / "l.zip", [(f"{EX1}.ipynb", HONEST)], zipfile.ZIP_LZMA)
    tracemalloc.start()
    entries = roster([tmp_path])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40 * 2**20, peak
    assert {e.learner.lms_id: e.submission.status for e in entries} == {"814": Status.NOT_NOTEBOOK,
                                                                        "816": Status.NOT_NOTEBOOK}
    assert all("which this grader does not unpack; use deflate" in " ".join(e.notes) for e in entries)


def _directory_bomb(path, entries):
    """A zip whose end record says one file while its central directory repeats one entry ``entries`` times."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", b"x")
    raw = buffer.getvalue()
    end = raw.rfind(b"PK\x05\x06")
    size, offset = struct.unpack_from("<II", raw, end + 12)
    directory = raw[offset:offset + size] * entries
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw[:offset] + directory + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(directory),
                                                             offset, 0))
    return path


def test_a_central_directory_longer_than_its_count_says_is_refused_before_it_is_parsed(tmp_path):
    # zipfile parses entries until the directory's bytes are used up, whatever the count says:
    # before, this 15 MB zip that "holds one file" built 300,000 entries (160 MB, seconds)
    path = _directory_bomb(tmp_path / JANE / "d.zip", 300_000)
    tracemalloc.start()
    started = time.monotonic()
    found = open_zip(path)
    seconds, peak = time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert found.status == Status.TOO_LARGE and "list of files takes more than" in found.detail
    assert peak < 40 * 2**20 and seconds < 2, (peak, seconds)
    small = open_zip(_directory_bomb(tmp_path / "ok.zip", 3))  # a small lie is read, never past MAX_MEMBERS
    assert not small.status and len(small.others) == 1 <= MAX_MEMBERS


def test_a_member_whose_size_lies_costs_only_its_own_row(tmp_path):
    path = _zip(tmp_path / JANE / "w.zip", [(f"a_{EX1}.ipynb", HONEST), (f"b_{EX2}.ipynb", HONEST)],
                zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    # the second member's stored bytes changed after the fact: its checksum no longer holds
    at = raw.find(HONEST, raw.find(b"b_" + EX2.encode()))
    raw[at + 10] ^= 0xFF
    path.write_bytes(bytes(raw))
    entries = {e.relative.rsplit("/", 1)[-1]: e.submission for e in roster([tmp_path])}
    assert entries[f"a_{EX1}.ipynb"].notebook is not None and not entries[f"a_{EX1}.ipynb"].status
    assert entries[f"b_{EX2}.ipynb"].status == Status.NOT_NOTEBOOK
    assert "cannot be unpacked (BadZipFile)" in entries[f"b_{EX2}.ipynb"].detail


def test_macosx_shadows_suffixes_and_files_that_are_not_what_they_say(tmp_path):
    _zip(tmp_path / JANE / "mac.ZIP", [(f"__MACOSX/._{EX1}.ipynb", b"\0\5\26\7"), (f"__MACOSX/{EX1}.ipynb", HONEST),
                                       (f"work/{EX1}.Ipynb", HONEST)])
    (tmp_path / ANN).mkdir()
    (tmp_path / ANN / "really_a_notebook.zip").write_bytes(HONEST)
    _zip(tmp_path / ANN / f"{EX2}.ipynb", [(f"{EX2}.ipynb", HONEST)])  # a zip named as a notebook
    entries = {e.relative: e for e in roster([tmp_path])}
    assert set(entries) == {f"{JANE}/mac.ZIP/work/{EX1}.Ipynb", f"{ANN}/really_a_notebook.zip", f"{ANN}/{EX2}.ipynb"}
    assert entries[f"{JANE}/mac.ZIP/work/{EX1}.Ipynb"].submission.notebook is not None
    assert entries[f"{ANN}/really_a_notebook.zip"].submission.status == Status.NOT_NOTEBOOK
    assert entries[f"{ANN}/{EX2}.ipynb"].submission.status == Status.NOT_NOTEBOOK
    assert _written(entries.values())


BIDI = "\u202e\u2066"


def test_control_bidi_and_overlong_names_are_written_escaped_and_capped(tmp_path):
    long = "x" * 60_000
    _zip(tmp_path / JANE / "w.zip", [(f"evil{BIDI}\x1b[2J_{EX1}.ipynb", HONEST), (f"{long}.ipynb", b"{}"),
                                     (f"a{BIDI}.txt\r\n=cmd|' /C calc'!A0", b"")])
    (tmp_path / ANN).mkdir()
    for name in (f"gpj.{BIDI}exe.pdf", "=HYPERLINK(1).pdf", "caf\udce9.pdf"):  # the last: Latin-1 bytes
        (tmp_path / ANN / name).write_bytes(b"%PDF")
    entries = roster([tmp_path])
    assert _learners(entries) == {("Jane Doe", "814", "moodle"), ("Ann Lee", "816", "moodle")}
    assert _written(entries)
    ann = next(e for e in entries if e.learner.lms_id == "816")
    assert cell(ann.submission.detail).count("\\u202e") == 1 and "caf\\xe9.pdf" in cell(ann.submission.detail)


def test_thousands_of_other_files_are_one_row_naming_ten(tmp_path):
    folder = tmp_path / ANN
    folder.mkdir()
    for i in range(3000):
        (folder / f"page{i:04d}.png").write_bytes(b"")
    entries = roster([tmp_path])
    assert len(entries) == 1 and entries[0].submission.status == Status.NOT_NOTEBOOK
    detail = entries[0].submission.detail
    assert detail.count("page") == 10 and detail.endswith(", …") and len(detail) < 1000


def test_absurd_dates_neither_crash_nor_let_a_copy_win_for_another_learner(tmp_path):
    for folder, when in ((JANE, 2**40), (ANN, -2**33)):
        (tmp_path / folder).mkdir()
        for name in (f"{EX1}.ipynb", f"again_{EX1}.ipynb"):
            (tmp_path / folder / name).write_bytes(HONEST)
        os.utime(tmp_path / folder / f"again_{EX1}.ipynb", (when, when))
    entries = roster([tmp_path])
    graded = {e.learner.lms_id: e.relative for e in entries if e.graded_instead is None}
    assert graded == {"814": f"{JANE}/again_{EX1}.ipynb", "816": f"{ANN}/{EX1}.ipynb"}
    for entry in entries:
        if entry.graded_instead is not None:
            assert entry.graded_instead.parent == entry.path.parent  # the learner's own copy, never another's


# --- Moodle team folders --------------------------------------------------------------------------


def test_a_team_folder_that_looks_like_a_participants_never_becomes_that_participant(tmp_path):
    from convlib.grading.moodle import write_moodle

    for folder in (JANE, "Participant_816_assignsubmission_file", "Default group_assignsubmission_file"):
        (tmp_path / "class" / folder).mkdir(parents=True)
        (tmp_path / "class" / folder / f"{EX1}.ipynb").write_bytes(HONEST)
    entries = roster([tmp_path / "class"], teams=True)
    assert {e.learner.key for e in entries} == {"moodle team:814", "moodle team:816", "moodle team:Default group"}
    rows = [Result(submission=str(e.path), learner=e.learner.name, lms_id=e.learner.lms_id,
                   platform=e.learner.platform, exercise=EX1, questions={"window_sum": True}).record() for e in entries]
    written, warnings = write_moodle(tmp_path / "moodle", rows)
    assert written == {} and any("3 team(s) left out" in w for w in warnings)  # no "Participant 814" written


# --- Moodle's comments and Gradescope's Markdown: a learner's error text ---------------------------

LINKS = re.compile(r"(?i)(?:https?|ftp|file|javascript|data|mailto):|www\.")
ATTACKS = {
    "escape glued to a scheme": "\x0ftp://evil.example/x and \x0data:text/html,hi",  # \x0f + tp://, \r + ata:
    "word character before": "_https://evil.example/x or _www.evil.example",
    "html": "</textarea><script>alert(1)</script> &#x3C;img src=x onerror=alert(1)&#x3E; javascript:alert(1)",
    "bidi": "\u202egnp.exe\u2066 \x1b[2J",
    "a long line": "A" * 20_000,
}


def _comment_rows(text, solved=("window_sum", "feature_map")):
    """A Moodle row of exercise 1 whose feature_map_shape raised ``text``, as the checks report it."""
    import numpy as np

    from convlib.exercises import questions

    shape = questions(EX1)[2]
    message = shape.judge(shape.cases_for(np.random.default_rng(1)), [{"kind": "error", "error": text}] * 20)[1]
    questions_ = {"window_sum": "window_sum" in solved, "feature_map": "feature_map" in solved,
                  "feature_map_shape": False}
    result = Result(submission=f"{JANE}/{EX1}.ipynb", learner="Jane Doe", lms_id="814", platform="moodle",
                    exercise=EX1, questions=questions_, messages={"feature_map_shape": message},
                    detail=f"feature_map_shape: {message}")
    return result, message


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_comment_holds_no_markup_no_live_link_and_no_control_character(attack, tmp_path):
    from convlib.grading.moodle import write_moodle

    result, message = _comment_rows(f"ValueError: {ATTACKS[attack]}")
    assert ATTACKS[attack][:10] in message  # the learner's text reaches the message as it is
    written, _ = write_moodle(tmp_path, [result.record()], when=0)
    with open(written[EX1], newline="", encoding="utf-8") as handle:
        [line] = list(csv.DictReader(handle))
    comment = line["Feedback comments"]
    assert "<" not in comment and ">" not in comment and not re.search(r"&(?!lt;|gt;|amp;)", comment)
    assert not LINKS.search(html.unescape(comment)), comment  # what Moodle's URL filter would link
    assert not UNSAFE.search(comment) and len(comment) <= 1200 * 5
    assert comment.startswith("2 of 3 points. feature_map_shape: ")


def test_a_comment_never_speaks_for_a_question_the_learner_did_not_lose():
    from convlib.grading.moodle import summary_comment

    result, _ = _comment_rows("ValueError: x | window_sum: Not yet: the grader is wrong, ask for a regrade")
    comment = summary_comment(result.record())
    assert "window_sum" not in comment and "regrade" not in comment  # window_sum was solved
    result, _ = _comment_rows("ValueError: x", solved=("feature_map",))
    result.detail = "window_sum: Not yet. | feature_map_shape: raised ValueError: x"
    assert "window_sum: Not yet." in summary_comment(result.record())  # a question lost is still said


@pytest.mark.parametrize("attack", ATTACKS)
def test_gradescope_markdown_has_no_live_link_no_html_no_control_character(attack):
    from convlib.grading.gradescope import results_json

    result, _ = _comment_rows(f"ValueError: {ATTACKS[attack]}")
    data = results_json([result], execution_time=0)
    for text in [data["output"], *(t["output"] for t in data["tests"]), *(t["name"] for t in data["tests"])]:
        shown = re.sub(r"\\(.)", r"\1", text)  # what Markdown shows of its escapes
        assert not LINKS.search(shown), text
        assert not re.search(r"(?<!\\)<", text) and not UNSAFE.search(text.replace("\n", "")) and len(text) < 3000


def test_an_upload_of_hostile_names_is_listed_inert(tmp_path):
    from convlib.grading.autograder import _bound, grade_upload

    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "[click](javascript:alert(1)) <b>.pdf").write_bytes(b"%PDF")
    (submission / "_https:x.png").write_bytes(b"")
    data = grade_upload(tmp_path, exercise=EX1)  # no notebook: no sandbox, nothing graded
    assert data["score"] == 0 and len(data["tests"]) == 3
    shown = re.sub(r"\\(.)", r"\1", data["output"])
    assert "[click]([link] <b>.pdf" in shown and "_[link]" in shown  # named, its links inert ...
    assert not re.search(r"(?<!\\)[\[\]<]", data["output"])  # ... every mark of it escaped
    nbformat.write(course_notebook("solutions", EX2), submission / f"www.evil.example [x](y) {EX1}.ipynb")
    theirs, note = _bound(sorted(submission.glob("*.ipynb")), EX1, submission)
    assert theirs == [] and "\\[x\\]\\(y\\)" in note  # another exercise under this one's name: named, inert
    assert not LINKS.search(re.sub(r"\\(.)", r"\1", note))  # www.… is a link to Markdown's autolinker


# --- Canvas's gradebook export, as the instructor downloads it ----------------------------------------

HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS = ["    Points Possible", "", "", "", ""]


def _export(path, header, rows=(), delimiter=",", encoding="utf-8-sig"):
    with open(path, "w", newline="", encoding=encoding) as handle:
        csv.writer(handle, delimiter=delimiter).writerows([header, *rows])
    return path


def test_an_export_with_semicolons_is_read_as_canvas_writes_it(tmp_path):
    # Canvas's "use semicolons to separate fields in CSV exports" (a user's setting)
    from convlib.grading.canvas import read_export

    path = _export(tmp_path / "e.csv", [*HEADER, "Exercise 1; the kernel (5001)", "Lab 2 (5002)"],
                   [[*POINTS, "3", "4"]], delimiter=";")
    assert read_export(path, [EX1, EX2]) == {EX1: "Exercise 1; the kernel (5001)", EX2: "Lab 2 (5002)"}


def test_one_assignment_is_never_two_exercises_columns(tmp_path):
    # before: both exercises were written into assignment 5001, the second's points over the first's
    from convlib.grading.canvas import read_export

    path = _export(tmp_path / "e.csv", [*HEADER, "Lab 1 and Lab 2 (5001)", "Quiz (5100)"])
    with pytest.raises(ValueError, match="Lab 1 and Lab 2 \\(5001\\).*--canvas-column"):
        read_export(path, [EX1, EX2])


def test_an_export_that_is_broken_is_refused_with_a_reason_never_a_traceback(tmp_path):
    from convlib.grading.canvas import read_export

    huge = _export(tmp_path / "huge.csv", [*HEADER, "Exercise 1 " + "x" * 200_000 + " (5001)"])
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_text('Student,ID,SIS User ID,Section,"Exercise 1 (5001)\n' + "doe,1\n" * 30_000, encoding="utf-8")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(",".join([*HEADER, "Exercice 1 r\xe9vis\xe9 (5001)"]).encode("latin-1"))
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"Student,ID,SIS User ID,\0,Section,Exercise 1 (5001)\n")
    for path in (huge, unclosed, latin, nul):
        try:
            read_export(path, [EX1])
        except ValueError as err:
            assert str(path.name) in str(err)


def test_huge_rows_and_duplicate_titles_cost_nothing_or_are_refused(tmp_path):
    from convlib.grading.canvas import read_export

    path = _export(tmp_path / "e.csv", [*HEADER, "Exercise 1 (5001)"],
                   [[*POINTS, "3"], *[["x" * 100_000, str(i), "", "", "", "1"] for i in range(100)]])
    started = time.monotonic()
    assert read_export(path, [EX1]) == {EX1: "Exercise 1 (5001)"} and time.monotonic() - started < 1
    twice = _export(tmp_path / "twice.csv", [*HEADER, "Exercise 1 (5001)", "Exercise 1 (5001)"])
    with pytest.raises(ValueError, match="matches several"):
        read_export(twice, [EX1])


def test_canvas_csv_cells_are_never_formulas(tmp_path):
    from convlib.grading.canvas import write_canvas

    rows = [Result(submission=f"=HYPERLINK(1)_{EX1}.ipynb", learner="=HYPERLINK(\"http://x\")", exercise=EX1,
                   questions={"window_sum": True}).record(),
            Result(submission=f"doejane_12345_1_{EX1}.ipynb", learner="doejane", lms_id="12345", platform="canvas",
                   exercise=EX1, questions={"window_sum": True}).record()]
    out = tmp_path / "canvas.csv"
    write_canvas(out, rows, {EX1: "=cmd|' /C calc'!A0 (5001)"})
    with open(out, newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    for line in lines:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in line), line
    assert re.fullmatch(r"(.*) \((\d+)\)", lines[0][5])[2] == "5001"  # Canvas still matches it by its id


# --- shard records --------------------------------------------------------------------------------


def _part(tmp_path, k, n, learners):
    from convlib.grading.report import Gradebook
    from convlib.grading.shards import write_record

    path = tmp_path / f"part{k}.csv"
    results = [Result(submission=str(tmp_path / f"{who}_{1000 + i}_1_{EX1}.ipynb"), learner=who, lms_id=str(1000 + i),
                      platform="canvas", exercise=EX1, questions={"window_sum": True}) for i, who in learners]
    book = Gradebook(path)
    for result in results:
        book.add(result)
    book.close(results)
    write_record(path, (k, n), len(results), {})
    return path


def test_a_part_cut_short_beside_its_old_record_is_refused(tmp_path):
    # a shard graded again and stopped part-way leaves its earlier record beside a gradebook of fewer
    # rows: before, the merge took the part as whole and the missing learners silently had no row
    from convlib.grading.shards import merge

    first = _part(tmp_path, 1, 2, [(0, "ann"), (1, "bob")])
    second = _part(tmp_path, 2, 2, [(2, "cy"), (3, "di"), (4, "ed")])
    lines = second.read_text(encoding="utf-8").splitlines(keepends=True)
    second.write_text("".join(lines[:2]), encoding="utf-8")  # the header and one row of three
    with pytest.raises(ValueError, match="part2.csv holds 1 row.*its shard record says 3"):
        merge([first, second], tmp_path / "m.csv")
    assert not (tmp_path / "m.csv").exists()
    rows, _ = merge([first, second], tmp_path / "m.csv", partial=True)  # what is there, when asked for
    assert len(rows) == 3


@pytest.mark.parametrize("edit", [{"shard": [0, 2]}, {"shard": [3, 2]}, {"shard": [1, 0]}, {"shard": [1, "x"]},
                                  {"shard": [1]}, {"rows": "many"}, {"answers": [["a", "b", "c", "d", ["9" * 5000]]]},
                                  {"answers": [[[]] * 5]}, {"format": None}, "deep"])
def test_a_record_edited_by_hand_is_refused_with_a_reason(tmp_path, edit):
    from convlib.grading.shards import merge, record_path

    first = _part(tmp_path, 1, 2, [(0, "ann")])
    second = _part(tmp_path, 2, 2, [(1, "bob")])
    record = json.loads(record_path(second).read_text(encoding="utf-8"))
    text = "[" * 100_000 + "]" * 100_000 if edit == "deep" else json.dumps({**record, **edit})
    record_path(second).write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="part2.csv"):
        merge([first, second], tmp_path / "m.csv")
    assert not (tmp_path / "m.csv").exists()


def test_a_learners_own_folder_made_to_look_like_another_learners_is_flagged(tmp_path):
    # a class folder that holds a learner's own folder (jdoe/, no platform) beside the platforms'
    # downloads: jdoe can name a folder or a file in it as Moodle or Canvas names another learner's
    forged = nbformat.writes(course_notebook("exercises", EX1)).encode()
    files = {f"moodle/{ANN}/{EX1}.ipynb": HONEST, f"jdoe/{ANN}/{EX1}.ipynb": forged,
             f"canvas/roeann_23456_1_{EX1}.ipynb": HONEST, f"jdoe/roeann_23456_2_{EX1}.ipynb": forged,
             f"moodle/{JANE}/{EX1}.ipynb": HONEST}
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    entries = {e.relative: e for e in roster([tmp_path])}
    for name in files:
        notes = " ".join(entries[name].notes)
        if JANE in name:
            assert "folders" not in notes  # one place: nothing to say
            continue
        number = "816" if ANN in name else "23456"
        place = "moodle/" if ANN in name else "canvas/"
        assert f"{number} is named in 2 folders (" in notes and place in notes and "jdoe/" in notes, notes


def test_zips_of_large_notebooks_keep_at_most_a_learners_share_until_grading(tmp_path):
    # before: these 320 KB of zips kept 290 MB of source for the whole run (20 such zips, Moodle's
    # most files a submission: 2 GB); now at most MAX_LEARNER_SOURCE characters per learner
    from convlib.grading.roster import MAX_LEARNER_SOURCE

    big = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "a", "metadata": {}, "source": "x" * 2_500_000, "outputs": [],
         "execution_count": None}]}).encode()
    for z in range(3):
        _zip(tmp_path / JANE / f"w{z}.zip", [(f"c{i:02d}_{EX1}.ipynb", big) for i in range(40)])
    (tmp_path / ANN).mkdir()
    (tmp_path / ANN / f"{EX1}.ipynb").write_bytes(HONEST)
    tracemalloc.start()
    entries = roster([tmp_path])
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert held < MAX_LEARNER_SOURCE + 20 * 2**20, held
    jane = [e for e in entries if e.learner.lms_id == "814"]
    kept = [e for e in jane if e.submission.notebook is not None]
    assert len(jane) == 120 and len(kept) == MAX_LEARNER_SOURCE // 2_500_000
    dropped = next(e for e in jane if e.submission.notebook is None)
    assert dropped.submission.status == Status.TOO_LARGE and "characters of source together" in dropped.submission.detail
    ann = next(e for e in entries if e.learner.lms_id == "816")
    assert ann.submission.notebook is not None  # another learner's share is their own


# --- the whole command, once, in its sandbox -------------------------------------------------------


@needs_sandbox
def test_a_hostile_class_folder_is_graded_to_the_end_and_every_output_is_well_formed(tmp_path):
    import subprocess

    from gradingkit import GRADE

    moodle = tmp_path / "class" / "moodle"
    _zip(moodle / JANE / "work.zip", [(f"{ANN}/{EX1}.ipynb", HONEST), (f"{ANN}/{EX1}.ipynb", b"{}"),
                                      (f"evil{BIDI}\x1b[2J.txt", b""), ("../../x.ipynb", b"{}")])
    _zip(moodle / JANE / "bomb.zip", [(f"{EX1}.ipynb", b"\0" * 2**20)], zipfile.ZIP_BZIP2)
    (moodle / ANN).mkdir()
    (moodle / ANN / f"=HYPERLINK(1){BIDI}.pdf").write_bytes(b"%PDF")
    _directory_bomb(moodle / "Bo Li_817_assignsubmission_file" / "d.zip", 100_000)
    out = tmp_path / "out"
    done = subprocess.run([*GRADE, str(tmp_path / "class"), "--out", str(out / "grades.csv"), "--by-learner",
                           str(out / "learners.csv"), "--moodle", str(out / "moodle"), "--feedback", str(out / "feedback"),
                           "--canvas", str(out / "canvas.csv")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not UNSAFE.search(done.stdout.replace("\n", "")) and not UNSAFE.search(done.stderr.replace("\n", ""))
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = sorted((r["lms_id"], r["status"], r["passed"]) for r in csv.DictReader(handle))
    assert rows == [("814", "graded", "3"), ("814", "not a notebook", "0"), ("816", "not a notebook", "0"),
                    ("817", "too large", "0")]  # Ann's name in Jane's zip is Jane's; Bo's zip is one row
    for table in [out / "grades.csv", out / "learners.csv", out / "canvas.csv", *(out / "moodle").glob("*.csv"),
                  out / "feedback" / "index.csv"]:
        with open(table, newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle))
        assert len({len(line) for line in lines}) == 1, table  # every row as wide as the header
        for value in (v for line in lines for v in line):
            assert not UNSAFE.search(value.replace("\n", "")) and not value.startswith(("=", "+", "@")), (table, value)
    with open(out / "moodle" / f"moodle-{EX1}.csv", newline="", encoding="utf-8") as handle:
        [jane] = list(csv.DictReader(handle))
    assert (jane["Identifier"], jane["Grade"]) == ("Participant 814", "3.00")


def test_two_file_names_that_are_written_alike_never_stop_the_merge(tmp_path):
    from convlib.grading.report import Gradebook
    from convlib.grading.shards import merge, write_record

    results = [Result(submission=str(tmp_path / "jdoe" / name), learner="jdoe", exercise=EX1,
                      questions={"window_sum": True})
               for name in (f"a\udce9_{EX1}.ipynb", f"a\\xe9_{EX1}.ipynb")]  # both written a\xe9_…
    book = Gradebook(tmp_path / "g.csv")
    for result in results:
        book.add(result)
    book.close(results)
    write_record(tmp_path / "g.csv", (1, 1), 2, {})
    rows, _ = merge([tmp_path / "g.csv"], tmp_path / "m.csv")
    assert len(rows) == 2


def test_a_folder_nested_deeper_than_pythons_recursion_limit_costs_only_its_own_row(tmp_path):
    (tmp_path / ANN).mkdir()
    (tmp_path / ANN / f"{EX1}.ipynb").write_bytes(HONEST)
    folder = tmp_path / JANE
    folder.mkdir()
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(1900):  # 3,800 characters of path: within PATH_MAX
            os.mkdir("a", dir_fd=descriptor)
            inner = os.open("a", os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
        with open(os.open("notes.txt", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=descriptor), "w") as handle:
            handle.write("x")
    finally:
        os.close(descriptor)
    try:
        entries = roster([tmp_path])
        assert {e.learner.lms_id: e.submission.status for e in entries} == {"816": "", "814": Status.NOT_NOTEBOOK}
    finally:  # pytest's own clean-up of old temporary folders recurses, and would fail on this one in a later run
        subprocess.run(["rm", "-rf", str(folder)], check=True)
