"""Feedback to hand back: one self-contained HTML page per learner.

Per exercise and question: the point, and for each lost point the message the learner's own
``check()`` would have shown, with the input that failed when it is small enough to retype.
No script, no stylesheet or font from elsewhere: the page opens offline, from an e-mail or an
LMS. Everything that came from a submission is escaped. Review notes are for the instructor
and stay out of it.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

from ..exercises import MODULES
from .report import OK, OLDER_COPY
from .text import capped, shown

__all__ = ["page", "write_feedback", "page_name"]

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
.message { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: .9rem; margin: 0; }
footer { margin-top: 2rem; color: #666; font-size: .85rem; }
"""


def page_name(learner):
    """The file name of a learner's page: readable, and distinct for distinct names.

    >>> page_name("Jane Doe")[:9], page_name("Jane Doe") != page_name("jane doe")
    ('jane-doe-', True)
    """
    slug = re.sub(r"[^a-z0-9]+", "-", learner.lower()).strip("-")[:40] or "learner"
    return f"{slug}-{hashlib.sha256(learner.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}.html"


LEADING_MARK = re.compile(r"^\s*(❌|✅|✏️|✏)\s*")


def _question_rows(result):
    rows = []
    unreached = "Not reached: the notebook stopped before this check." if result.status != OK else "Not solved."
    for name, solved in result.questions.items():
        mark = "✓ 1 point" if solved else "✗ 0 points"  # glyphs every system font has
        told = capped(shown(result.messages.get(name, unreached), "\n"))
        message = "Correct." if solved else LEADING_MARK.sub("", told)
        rows.append(f'<tr class="{"solved" if solved else "lost"}"><td class="mark">{mark}</td>'
                    f'<td class="name">{html.escape(name)}</td>'
                    f'<td><pre class="message">{html.escape(message)}</pre></td></tr>')
    return "\n".join(rows)


def page(learner, results):
    """The HTML of one learner's page, from their :class:`~.report.Result` s."""
    graded = sorted((r for r in results if r.status != OLDER_COPY and r.exercise in MODULES),
                    key=lambda r: list(MODULES).index(r.exercise))
    earned = sum(r.passed for r in graded)
    possible = sum(r.total for r in graded)
    sections = []
    for r in graded:
        status = "" if r.status == OK else (
            f'<p class="status">This notebook was not graded to the end: {html.escape(shown(r.status))}'
            f'{" — " + html.escape(capped(shown(r.detail.split(" | ")[-1]))) if r.detail else ""}.</p>')
        sections.append(f'<section><h2>{html.escape(r.exercise)} — {r.passed} / {r.total}</h2>{status}'
                        f'<p>Graded file: <code>{html.escape(shown(Path(r.submission).name))}</code></p>'
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
<footer>Each check was run on new inputs as well as the ones in your notebook. Where a point was lost,
the message is the one <code>check()</code> gives; run the input it shows through your function to see
what differs.</footer>
</body></html>
"""


def write_feedback(folder, results):
    """Write one page per named learner into ``folder``; returns ``{learner: path}``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    by_learner = {}
    for r in results:
        if r.learner:
            by_learner.setdefault(r.learner, []).append(r)
    written = {}
    for learner, theirs in sorted(by_learner.items()):
        path = folder / page_name(learner)
        path.write_text(page(learner, theirs), encoding="utf-8")
        written[learner] = path
    return written
