"""Shards: one class graded on several machines (``--shard K/N``), then merged into one run's result.

Each shard writes, beside its gradebook, a *shard record* (``grades-2.csv.shard.json``, ``0600``):
which share it graded (``K`` of ``N``), how many rows, and the fingerprints of its learners'
answers (:func:`~.similarity.answer_prints`: hashes of their syntax, no code). A shard of more
than one compares no answers itself, since it sees only its share of the class. :func:`merge`
refuses a set of parts with a shard missing, doubled or of another split (unless ``partial``),
joins the rows in file order, and compares the answers across the whole class from the
records, so the merged gradebook is the one a single run would have written, row for row
(the hidden inputs aside, which are drawn fresh every run).
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from .report import join_rows, read_gradebook, write_rows
from .similarity import review_notes, similar_prints
from .tables import cell, write_text

__all__ = ["record_path", "write_record", "read_record", "merge", "RECORD_FORMAT"]

RECORD_FORMAT = "convlib shard record 1"
RECORD_MAX = 256 * 2**20  # bytes of one record read back


def record_path(gradebook):
    """Where the shard record of the gradebook ``gradebook`` is: ``<gradebook>.shard.json``."""
    gradebook = Path(gradebook)
    return gradebook.with_name(gradebook.name + ".shard.json")


def write_record(gradebook, shard, rows, prints):
    """Write the shard record beside ``gradebook``: ``shard`` ``(k, n)``, the number of ``rows``,
    and ``prints`` (``{(exercise, question): [(learner, file, fingerprints)]}``)."""
    answers = [[exercise, question, who, file, sorted(mine)]
               for (exercise, question), theirs in prints.items() for who, file, mine in theirs]
    data = {"format": RECORD_FORMAT, "convlib": __version__, "shard": list(shard), "rows": rows, "answers": answers}
    return write_text(record_path(gradebook), json.dumps(data))


def read_record(gradebook):
    """``(shard, rows, prints)`` of ``gradebook``'s shard record; ValueError when it has none or it is not one."""
    path = record_path(gradebook)
    try:
        if path.stat().st_size > RECORD_MAX:
            raise ValueError(f"{path} is larger than a shard record can be")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{gradebook} has no shard record ({path.name} beside it): "
                         "was it written by convlib-grade --shard K/N?") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"{path} cannot be read: {type(err).__name__}: {err}") from None
    try:
        if data["format"] != RECORD_FORMAT:
            raise ValueError
        k, n = (int(x) for x in data["shard"])
        if not 1 <= k <= n:
            raise ValueError
        prints = {}
        for exercise, question, who, file, mine in data["answers"]:
            if not all(isinstance(x, str) for x in (exercise, question, who, file)) or not isinstance(mine, list):
                raise ValueError
            prints.setdefault((exercise, question), []).append((who, file, {int(h) for h in mine}))
        return (k, n), int(data["rows"]), prints
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{path} is not a shard record of this version of convlib") from None


def _check_whole(records):
    """The shards' ``{gradebook: (k, n)}`` must be 1..N of one N, each once; else ValueError."""
    counts = {n for _, n in records.values()}
    if len(counts) > 1:
        raise ValueError("the parts come from different splits: " + ", ".join(f"{p} is {k}/{n}" for p, (k, n)
                                                                          in records.items()))
    [n] = counts
    seen = {}
    for part, (k, _) in records.items():
        if k in seen:
            raise ValueError(f"shard {k}/{n} is given twice: {seen[k]} and {part}")
        seen[k] = part
    missing = [f"{k}/{n}" for k in range(1, n + 1) if k not in seen]
    if missing:
        raise ValueError(f"shard(s) {', '.join(missing)} missing: {len(seen)} of {n} parts given")
    return n


def merge(parts, out, solutions=None, partial=False):
    """Join the gradebooks of shards into ``out``, in file order; returns ``(rows, pairs)``.

    Every part must have its shard record and hold the rows it says (a shard graded again and
    stopped part-way leaves fewer beside its earlier record), and together they must be shards
    1..N of one N, each once (``partial=True`` joins what is given, and compares answers only among them). A
    submission in two parts is an error. ``solutions``: the run's
    :class:`~.solutions.SolutionBook`, to compare answers with the shipped solution; the
    similarity notes go into the rows' ``review`` as a single run writes them.
    """
    rows = join_rows(parts)  # a submission in two parts is named first
    records, prints = {}, {}
    for part in parts:
        try:
            shard, count, theirs = read_record(part)
            held = len(read_gradebook(part))
            if held != count:  # graded again and stopped part-way, beside the record of an earlier run
                raise ValueError(f"{part} holds {held} row(s) and its shard record says {count}: was that shard "
                                 "stopped before it finished? grade it again, or give --partial")
        except ValueError:
            if not partial:
                raise
            continue
        records[str(part)] = shard
        for key, answers in theirs.items():
            prints.setdefault(key, []).extend(answers)
    if not partial:
        _check_whole(records)
    whole_run = len(records) == 1 and next(iter(records.values()))[1] == 1  # a 1/1 run noted its own
    pairs = []
    if solutions is not None and not whole_run:
        for answers in prints.values():
            answers.sort(key=lambda answer: Path(answer[1]))  # file order, as one run meets them
        pairs = similar_prints(prints, *solutions.references({exercise for exercise, _ in prints}))
        _note(rows, pairs)
    write_rows(out, rows)
    return rows, pairs


def _note(rows, pairs):
    notes = {cell(file): found for file, found in review_notes(pairs).items()}
    for row in rows:
        extra = notes.get(row["submission"])
        if extra:
            row["review"] = cell("; ".join(filter(None, [row["review"], *extra])))
