"""Feedback to hand back: one self-contained HTML page per learner, and an index of the pages.

Written for a reader without the notebook open: per exercise (its title, as the notebook
names it) and question, the point, and for each lost point what the learner's own ``check()``
says, with the words that point into the notebook ("the example above", "Call .hint()")
said so they stand alone, and a small input that failed drawn as a grid, one row a line, still
retypable. Copies that were not graded and lateness the platform marked are named. No script,
no stylesheet or font from elsewhere: the page opens offline, from an e-mail or an LMS.
Everything that came from a submission is escaped. Review notes are for the instructor and
stay out of it. ``index.csv`` and ``index.html`` map each page to its learner and LMS number.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import html
import re
from pathlib import Path

from ..exercises import MODULES, questions
from .identify import learner_key
from .status import Status
from .tables import cell, private_folder, write_table, write_text
from .text import capped, shown

__all__ = ["page", "write_feedback", "page_name", "standalone", "exercise_title", "INDEX_COLUMNS", "join_index", "write_index",
           "index_part_name"]

INDEX_COLUMNS = ["page", "learner", "platform", "lms_id"]
GRID_MAX = 12  # rows and columns of an array drawn as a grid; larger ones stay as written
ARRAY = re.compile(r"np\.array\((\[\[[-0-9.,\s\[\]eE+]*\]\])\)")

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin: 1.8rem 0 .4rem; border-bottom: 2px solid #ddd; padding-bottom: .2rem; }
.total { font-size: 1.1rem; color: #444; }
.status { background: #fff4d6; border-left: 4px solid #c98a00; padding: .4rem .7rem; }
table { border-collapse: collapse; width: 100%; }
td { border-top: 1px solid #e3e3e3; padding: .45rem .5rem; vertical-align: top; }
td.mark { width: 6.5rem; white-space: nowrap; font-weight: 600; }
.solved td.mark { color: #1a7f37; }
.lost td.mark { color: #b42318; }
td.name { width: 11rem; font-family: ui-monospace, monospace; }
.note { background: #eef4fb; border-left: 4px solid #2f6db5; padding: .4rem .7rem; }
.message { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: .9rem; margin: 0; }
footer { margin-top: 2rem; color: #666; font-size: .85rem; }
"""


def page_name(learner, key=None):
    """The file name of a learner's page: readable, and distinct for distinct learners (``key``:
    what tells them apart, the platform's number when there is one; else the name).

    >>> page_name("Jane Doe")[:9], page_name("Jane Doe") != page_name("jane doe")
    ('jane-doe-', True)
    >>> page_name("Sam Poe", "moodle:1") != page_name("Sam Poe", "moodle:2")
    True
    """
    slug = re.sub(r"[^a-z0-9]+", "-", learner.lower()).strip("-")[:40] or "learner"
    key = learner if key is None else key
    return f"{slug}-{hashlib.sha256(key.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}.html"


def exercise_title(exercise, known=None):
    """``'Exercise 1 — An image and a kernel'``: from ``known`` (:func:`titles`), else from the name.

    >>> exercise_title("02_the_slide")
    'Exercise 2 — The slide'
    """
    if known and exercise in known:
        return known[exercise]
    number, _, words = exercise.partition("_")
    return f"Exercise {int(number)} — {words.replace('_', ' ').capitalize()}" if number.isdigit() else exercise


def _grid(match):
    try:
        rows = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return match.group(0)
    if not (isinstance(rows, list) and 0 < len(rows) <= GRID_MAX
            and all(isinstance(r, list) and 0 < len(r) <= GRID_MAX and len(r) == len(rows[0]) for r in rows)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for r in rows for v in r)):
        return match.group(0)
    cells = [[repr(v) for v in r] for r in rows]
    width = max(len(c) for r in cells for c in r)
    lines = ["[" + ", ".join(c.rjust(width) for c in r) + "]" for r in cells]
    start = "\n    np.array(["  # on a line of its own, so the rows line up
    return start + ("," + "\n" + " " * (len(start) - 1)).join(lines) + "])"


def standalone(message, question=None):
    """A check's message as a reader without the notebook reads it: no mark, no "above", hints
    named as the notebook calls them, small arrays one row a line.

    >>> print(standalone("❌ Not yet, on the example above (np.array([[1, 10], [0, 1]]), 2): wrong. "
    ...                  "Stuck? Call .hint()."))
    Not yet, on the exercise notebook's own example (
        np.array([[ 1, 10],
                  [ 0,  1]]), 2): wrong. Stuck? In the exercise notebook, run ex.qN.hint() for a hint.
    """
    text = LEADING_MARK.sub("", message)
    text = text.replace("the example above", "the exercise notebook's own example")
    hint = f"ex.q{question}.hint()" if question else "ex.qN.hint()"
    text = text.replace("Stuck? Call .hint().", f"Stuck? In the exercise notebook, run {hint} for a hint.")
    return ARRAY.sub(_grid, text)


LEADING_MARK = re.compile(r"^\s*(❌|✅|✏️|✏)\s*")


def _question_numbers(exercise):
    try:
        return {q.name: i for i, q in enumerate(questions(exercise), 1)}
    except (KeyError, ImportError):
        return {}


def _question_rows(result):
    rows = []
    unreached = "Not reached: the notebook stopped before this check." if result.status is not Status.GRADED else "Not solved."
    numbers = _question_numbers(result.exercise)
    for name, solved in result.questions.items():
        mark = "✓ 1 point" if solved else "✗ 0 points"  # glyphs every system font has
        told = capped(shown(result.messages.get(name, unreached), "\n"))
        message = "Correct." if solved else standalone(told, numbers.get(name))
        rows.append(f'<tr class="{"solved" if solved else "lost"}"><td class="mark">{mark}</td>'
                    f'<td class="name">{html.escape(name)}</td>'
                    f'<td><pre class="message">{html.escape(message)}</pre></td></tr>')
    return "\n".join(rows)


def page(learner, results, known_titles=None):
    """The HTML of one learner's page, from their :class:`~.report.Result` s (older copies included)."""
    graded = sorted((r for r in results if r.status is not Status.OLDER_COPY and r.exercise in MODULES),
                    key=lambda r: list(MODULES).index(r.exercise))
    older = [r for r in results if r.status is Status.OLDER_COPY]
    earned = sum(r.passed for r in graded)
    possible = sum(r.total for r in graded)
    sections = []
    for r in graded:
        status = "" if r.status is Status.GRADED else (
            f'<p class="status">This notebook was not graded to the end: {html.escape(shown(r.status_text))}'
            f'{" — " + html.escape(capped(shown(r.detail.split(" | ")[-1]))) if r.detail else ""}.</p>')
        late = ('<p class="note">Handed in late, as the learning platform marked it.</p>' if r.late else "")
        ignored = "".join(f'<p class="note">Also handed in, not graded: <code>{html.escape(shown(Path(o.submission).name))}'
                          f'</code>, an older copy of this exercise (the newest copy is graded).</p>'
                          for o in older if o.exercise == r.exercise)
        sections.append(f'<section><h2>{html.escape(exercise_title(r.exercise, known_titles))} — '
                        f'{r.passed} / {r.total}</h2>{status}{late}'
                        f'<p>Graded file: <code>{html.escape(shown(Path(r.submission).name))}</code></p>{ignored}'
                        f'<table>{_question_rows(r)}</table></section>')
    if not sections:
        sections.append("<p>None of the files handed in could be matched to an exercise.</p>")
    name = html.escape(shown(learner))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Feedback for {name}</title><style>{STYLE}</style></head>
<body><h1>Feedback for {name}</h1>
<p class="total">{earned} of {possible} points on the exercises you handed in.</p>
{"".join(sections)}
<footer>Each check was run on new inputs as well as on the examples in your exercise notebook. Where a
point was lost, the message is the one the question's check gives in the notebook; call your function on the
input it shows to see what differs.</footer>
</body></html>
"""


def _key(result):
    return learner_key(result.learner, result.lms_id, result.platform)


def write_feedback(folder, results, known_titles=None, shard=(1, 1)):
    """Write one page per named learner into ``folder``, and ``index.csv`` / ``index.html``;
    returns ``{learner: path}`` (``'name (platform number)'`` when two learners share a name).

    A shard (``shard=(k, n)``, ``n > 1``) writes its pages and its part of the index,
    ``index-K-of-N.csv``; :func:`join_index` (``convlib-grade merge --feedback``) makes the
    whole index from the parts once every shard has written its own.
    """
    folder = private_folder(folder)
    by_learner = {}
    for r in results:
        if r.learner:
            by_learner.setdefault(_key(r), []).append(r)
    names = [theirs[0].learner for theirs in by_learner.values()]
    written, index = {}, []
    for key, theirs in sorted(by_learner.items(), key=lambda item: (item[1][0].learner.lower(), item[0])):
        first = theirs[0]
        path = folder / page_name(first.learner, key)
        write_text(path, page(first.learner, theirs, known_titles))
        shared = names.count(first.learner) > 1
        written[f"{first.learner} ({first.platform} {first.lms_id})" if shared else first.learner] = path
        index.append([path.name, first.learner, first.platform, first.lms_id])
    k, n = shard
    if n > 1:
        write_table(folder / index_part_name(k, n), INDEX_COLUMNS, _safe(index))
    else:
        write_index(folder, index)
    return written


def _safe(index):
    return [[name, cell(learner), platform, lms_id] for name, learner, platform, lms_id in index]


def index_part_name(k, n):
    """``'index-2-of-4.csv'``: shard ``k`` of ``n``'s part of the feedback index."""
    return f"index-{k}-of-{n}.csv"


INDEX_PART = re.compile(r"index-(\d+)-of-(\d+)\.csv\Z")


def join_index(folder, partial=False):
    """Join the index parts the shards wrote into ``folder`` into ``index.csv`` / ``index.html``;
    returns the number of pages listed. ValueError when a shard's part is missing or the parts
    disagree on the number of shards, unless ``partial``."""
    folder = Path(folder)
    parts = {}
    for path in sorted(folder.iterdir()):
        match = INDEX_PART.match(path.name)
        if match:
            parts[(int(match[1]), int(match[2]))] = path
    if not parts:
        raise ValueError(f"{folder} holds no part of a feedback index (index-K-of-N.csv): was it written by --shard?")
    counts = {n for _, n in parts}
    missing = sorted({(k, n) for n in counts for k in range(1, n + 1)} - set(parts))
    if (len(counts) > 1 or missing) and not partial:
        raise ValueError(f"the feedback index of {folder} is not whole: " + (
            f"parts of {' and of '.join(map(str, sorted(counts)))} shards" if len(counts) > 1 else
            "missing " + ", ".join(index_part_name(k, n) for k, n in missing)) + " (--partial joins what is there)")
    lines = []
    for path in parts.values():
        with path.open(newline="", encoding="utf-8") as handle:
            lines += [[row.get(c, "") for c in INDEX_COLUMNS] for row in csv.DictReader(handle)]
    lines.sort(key=lambda line: (line[1].lower(), line[2], line[3]))
    write_index(folder, lines)
    return len(lines)


def write_index(folder, index):
    """``index.csv`` and ``index.html`` of ``folder`` from ``index`` rows (``[page, learner, platform, lms_id]``)."""
    folder = Path(folder)
    write_table(folder / "index.csv", INDEX_COLUMNS, _safe(index))
    rows = "\n".join(f'<tr><td><a href="{html.escape(name)}">{html.escape(shown(learner))}</a></td>'
                     f"<td>{html.escape(platform)}</td><td>{html.escape(lms_id)}</td></tr>"
                     for name, learner, platform, lms_id in index)
    write_text(folder / "index.html", f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Feedback pages</title><style>{STYLE}</style></head>
<body><h1>Feedback pages</h1>
<p>One page per learner; hand each learner their own.</p>
<table><thead><tr><th scope="col">Learner</th><th scope="col">Platform</th><th scope="col">LMS number</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
""")
