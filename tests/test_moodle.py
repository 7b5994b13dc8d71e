"""Moodle's feedback comments, as Moodle keeps them: HTML shown beside the grade, away from the
notebook (``mod/assign/feedback/comments``: the comment is stored as HTML text and printed as
it is). Built here from the messages the questions really give, and a learner's own error text
that tries to be HTML, a link and Markdown; no sandbox."""

from __future__ import annotations

import html
import re

import numpy as np

from convlib.exercises import questions
from convlib.grading.feedback import page_name
from convlib.grading.moodle import QUESTION_MAX, summary_comment, worksheet
from convlib.grading.report import Result

from gradingkit import EX1

HOSTILE = 'ValueError: <img src=x onerror="alert(1)"> see **https://evil.example/grades** & [this](http://x.io)'


def _messages():
    """``{question: message}`` as exercise 1's checks give them: a wrong value on the shown example and
    on a large hidden input, and the learner's own error text."""
    window_sum, feature_map, shape = questions(EX1)
    rng = np.random.default_rng(3)
    wrong = window_sum.judge(window_sum.cases_for(rng), [{"kind": "value", "value": 4.0}] * 20)[1]
    cases = feature_map.cases_for(rng)
    big = [c for c in cases if not c.shown][-1:] * len(cases)
    made = feature_map.judge(big, [{"kind": "value", "value": [[0.0]]}] * len(big))[1]
    raised = shape.judge(shape.cases_for(rng), [{"kind": "error", "error": HOSTILE}] * 20)[1]
    return {"window_sum": wrong, "feature_map": made, "feature_map_shape": raised}


def _row(messages, **extra):
    result = Result(submission=f"Jane Doe_814_assignsubmission_file/{EX1}.ipynb", learner="Jane Doe", lms_id="814",
                    platform="moodle", exercise=EX1, questions=dict.fromkeys(messages, False),
                    detail=" | ".join(f"{name}: {message}" for name, message in messages.items()), **extra)
    return result.record()


def test_the_messages_are_long_and_speak_of_the_notebook():  # what the comment must not pass on as it is
    messages = _messages()
    assert any("above" in m for m in messages.values()) and any(".hint()" in m for m in messages.values())
    assert max(map(len, messages.values())) > QUESTION_MAX and "<img" in messages["feature_map_shape"]


def test_a_comment_is_whole_plain_sentences_that_stand_alone_and_name_the_page():
    comment = summary_comment(_row(_messages()), page_name("Jane Doe", "moodle:814"))
    shown = html.unescape(comment)  # what Moodle shows
    assert "<" not in comment and ">" not in comment and "&lt;img" in comment  # escaped, never markup
    assert not re.search(r"&(?!lt;|gt;|amp;)", comment)
    assert "above" not in shown and ".hint()" not in shown and "Stuck?" not in shown
    assert "**" not in shown and "`" not in shown and "http" not in shown and "evil.example" not in shown
    assert "](" not in shown and "& this" in shown  # a Markdown link is its text
    assert shown.startswith("0 of 3 points. window_sum: ") and "(characters, cut)" not in shown
    assert shown.endswith(f"Your feedback page, {page_name('Jane Doe', 'moodle:814')}, has each message in full.")
    parts = re.split(r" (?=window_sum: |feature_map: |feature_map_shape: |Your feedback page)", shown)
    assert [p.split(":")[0] for p in parts[1:4]] == ["window_sum", "feature_map", "feature_map_shape"]
    for part in parts[1:4]:
        assert len(part) <= QUESTION_MAX + len("feature_map_shape: ") and part.endswith("."), part


def test_the_worksheet_names_each_learners_page_only_when_pages_are_written():
    row = _row(_messages(), late=True)
    _, [line] = worksheet([row], EX1, when=0, pages=True)
    assert line[0] == "Participant 814" and page_name("Jane Doe", "moodle:814") in line[-1]
    assert line[-1].endswith("has each message in full.") and "Handed in late." in line[-1]
    _, [line] = worksheet([row], EX1, when=0)
    assert "feedback page," not in line[-1]


def test_team_submissions_are_graded_as_the_team_and_never_become_a_participant(tmp_path):
    # downloader.php, team submissions: clean_filename(group name with _ as space + '_' + group id), or the
    # default team's name alone, then _assignsubmission_file and the file's own path; the grader's option
    # named in the warning is Moodle's own string (mod/assign/lang/en/assign.php, 'applytoteam')
    import nbformat

    from convlib.grading.moodle import write_moodle
    from convlib.grading.roster import roster
    from gradingkit import course_notebook

    for folder in ("Group A_42_assignsubmission_file", "Default group_assignsubmission_file"):
        (tmp_path / "class" / folder).mkdir(parents=True)
        nbformat.write(course_notebook("solutions", EX1), tmp_path / "class" / folder / f"{EX1}.ipynb")
    teams = {e.learner for e in roster([tmp_path / "class"], teams=True)}
    assert teams == {("Group A", "42", "moodle team", False), ("Default group", "", "moodle team", False)}
    assert {learner.key for learner in teams} == {"moodle team:42", "moodle team:Default group"}  # never "moodle:42"
    rows = [Result(submission=f"{learner.name}/{EX1}.ipynb", learner=learner.name, lms_id=learner.lms_id,
                   platform=learner.platform, exercise=EX1, questions={"window_sum": True}).record() for learner in teams]
    written, warnings = write_moodle(tmp_path / "moodle", rows)
    assert written == {} and not (tmp_path / "moodle" / f"moodle-{EX1}.csv").exists()  # no participant invented
    assert any("2 team(s) left out" in w and "Group A (42)" in w and "entire group" in w for w in warnings)
