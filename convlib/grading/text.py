"""Text from a submission, made safe to show: escaped, and capped.

File names and messages come from learners. A file name that is not UTF-8 (what unzip makes of
a Latin-1 zip) reaches Python as lone surrogates, which no UTF-8 file can hold; control
characters and bidirectional overrides would move an instructor's terminal cursor or reorder
what a spreadsheet shows. :func:`shown` turns each into a visible escape, so every row, page and
line can be written, and says what the bytes were.

Examples
--------
>>> shown("caf\\udce9_01.ipynb")
'caf\\\\xe9_01.ipynb'
>>> shown("evil\\x1b[2J.ipynb")
'evil\\\\x1b[2J.ipynb'
>>> capped("x" * 5000, 10)
'xxxxxxxxxx … (5000 characters, cut)'
"""

from __future__ import annotations

import re

__all__ = ["shown", "capped", "inert_links", "MESSAGE_MAX"]

MESSAGE_MAX = 2048  # characters of one message or repr that reach a row or a page
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def _escape(match):
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(value, keep=""):
    """``value`` as text with non-UTF-8 bytes and control or invisible characters escaped.

    ``keep``: characters left as they are (``"\\n"`` for a CSV field that may span lines).
    """
    text = str(value)
    if keep:
        return "".join(UNSAFE.sub(_escape, part) if part not in keep else part
                       for part in re.split(f"([{re.escape(keep)}])", text))
    return UNSAFE.sub(_escape, text)


# no word boundary asked for: "_https://x" is a link to Markdown's autolinker, and an escape glues
# its hex digits to the scheme ("\x0f" + "tp://x" shows as "\x0ftp://x")
INERT_LINK = re.compile(r"(?i)(?:https?|ftp|file|javascript|data|mailto):\S*|www\.\S+")


def inert_links(text):
    """``text`` with every link a reader's software would follow (``https://…``, ``www.…``,
    ``javascript:…``, also inside a word) replaced by ``[link]``: a learner's text is shown, never
    a way out. Escape control characters first (:func:`shown`), so no escape completes a scheme.

    >>> inert_links("see https://evil.example/x or www.x.io, and javascript:alert(1)")
    'see [link] or [link] and [link]'
    """
    return INERT_LINK.sub("[link]", str(text))


def capped(value, limit=MESSAGE_MAX):
    """``value`` as text of at most about ``limit`` characters, saying how long it was."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]} … ({len(text)} characters, cut)"
