"""Similarity: answers that are the shipped solution, or another learner's, under new names.

Each answer is reduced to the tokens of its syntax tree (:func:`tokens`): node kinds, operators
and the attributes and functions it calls by name (``np.sum``), with every name the learner
chose (variables, parameters), every constant's value, every comment, docstring and the layout
gone. Runs of ``K`` tokens are hashed and *winnowed* as MOSS does (Schleimer, Wilkerson and
Aiken, 2003): of every ``W`` consecutive hashes the smallest is kept, so two answers that share
a run of at least ``K + W - 1`` tokens share a fingerprint however the rest differs. What the
exercise itself hands out (the stub of each answer cell) is taken out of every answer first,
and answers too short to tell apart are left alone.

The score of a pair is the share of the smaller answer's fingerprints that the other has.
Nothing is deducted: a pair at or above ``THRESHOLD`` is named in ``review`` and in the
``--similarity`` file, and a person decides.
"""

from __future__ import annotations

import ast
import hashlib
from itertools import combinations

from .tables import cell, write_table

__all__ = ["tokens", "fingerprints", "score", "similar_pairs", "similar_prints", "answer_prints", "write_similarity", "THRESHOLD", "SOLUTION",
           "SIMILARITY_COLUMNS", "review_notes"]

K, W = 5, 4  # tokens per hashed run; hashes per winnowing window
MIN_FINGERPRINTS = 6  # fewer than this (after the handout's are taken out): too short to tell apart
THRESHOLD = 0.8
SOLUTION = "(the shipped solution)"
SIMILARITY_COLUMNS = ["exercise", "question", "first", "second", "score", "first_file", "second_file"]


def tokens(source):
    """The answer's syntax as a list of tokens, names and values left out; ``[]`` if it does not parse.

    >>> tokens("def f(a):\\n    '''doc'''\\n    return a + 1  # one") == tokens("def g(x):\\n    return x + 2")
    True
    >>> tokens("total = np.sum(v)") == tokens("s = np.mean(v)")
    False
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    docstrings = {id(n) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
                  and isinstance(n.value.value, str)}
    out, stack = [], [tree]
    while stack:  # in source order (depth first), without recursion
        node = stack.pop()
        if id(node) in docstrings:
            continue
        out.append(type(node).__name__)
        if isinstance(node, ast.Attribute):
            out.append(node.attr)  # the library's names (np.sum, .shape) say what the code does
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def fingerprints(source):
    """The winnowed hashes of the answer's ``K``-token runs (a set)."""
    seq = tokens(source)
    hashes = [int.from_bytes(hashlib.blake2b(" ".join(seq[i:i + K]).encode(), digest_size=8).digest(), "big")
              for i in range(len(seq) - K + 1)]
    if len(hashes) <= W:
        return set(hashes)
    return {min(hashes[i:i + W]) for i in range(len(hashes) - W + 1)}


def score(first, second):
    """The share of the smaller set of fingerprints that the other holds (0 to 1).

    >>> score({1, 2, 3, 4}, {1, 2, 3, 9, 10})
    0.75
    """
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))


def answer_prints(answers):
    """``{(exercise, question): [(learner, file, fingerprints)]}`` of ``answers``
    (``{(exercise, question): [(learner, file, source)]}``): what a shard keeps for the merge."""
    return {key: [(learner, file, fingerprints(source)) for learner, file, source in theirs]
            for key, theirs in answers.items()}


def similar_pairs(answers, solutions, handout, threshold=THRESHOLD):
    """``[(exercise, question, first, second, score, first_file, second_file)]`` at or above ``threshold``.

    ``answers``: ``{(exercise, question): [(learner, file, source)]}``; ``solutions`` and
    ``handout``: ``{(exercise, question): source}``, the shipped solution and what the exercise
    hands out. Pairs are sorted by score, highest first.
    """
    return similar_prints(answer_prints(answers), solutions, handout, threshold)


def similar_prints(prints_by_question, solutions, handout, threshold=THRESHOLD):
    """:func:`similar_pairs` from the answers' fingerprints (:func:`answer_prints`), as a merge of
    shards has them: the same pairs as from the answers themselves."""
    found = []
    for (exercise, question), theirs in prints_by_question.items():
        base = fingerprints(handout.get((exercise, question), ""))
        prints = [(learner, file, set(mine) - base) for learner, file, mine in theirs]
        prints = [p for p in prints if len(p[2]) >= MIN_FINGERPRINTS]
        reference = fingerprints(solutions.get((exercise, question), "")) - base
        for learner, file, mine in prints:
            value = score(mine, reference) if len(reference) >= MIN_FINGERPRINTS else 0.0
            if value >= threshold:
                found.append((exercise, question, learner, SOLUTION, value, file, ""))
        for (a, file_a, first), (b, file_b, second) in combinations(prints, 2):
            if a == b:
                continue
            value = score(first, second)
            if value >= threshold:
                found.append((exercise, question, a, b, value, file_a, file_b))
    return sorted(found, key=lambda pair: (-pair[4], pair[:4]))


def write_similarity(path, pairs):
    """Write ``pairs`` (:func:`similar_pairs`) as CSV to ``path``."""
    write_table(path, SIMILARITY_COLUMNS, [[exercise, question, cell(a), cell(b), f"{value:.2f}", cell(file_a), cell(file_b)]
                                           for exercise, question, a, b, value, file_a, file_b in pairs])


NAMED_MAX = 3  # learners one review note names for one question; the --similarity file has them all


def review_notes(pairs):
    """``{file: [note]}``: what each flagged answer's row says in ``review``, a note per question."""
    found = {}
    for _exercise, question, a, b, value, file_a, file_b in pairs:
        found.setdefault((file_a, question), []).append((b, value))
        if b != SOLUTION:
            found.setdefault((file_b, question), []).append((a, value))
    notes = {}
    for (file, question), others in found.items():
        named = [f"{'the shipped solution' if who == SOLUTION else who + chr(39) + 's'} ({value:.0%})"
                 for who, value in others[:NAMED_MAX]]
        more = f" and {len(others) - NAMED_MAX} other learners'" if len(others) > NAMED_MAX else ""
        notes.setdefault(file, []).append(f"{question} matches {', '.join(named)}{more}, names and comments set "
                                          "aside: a person should look")
    return notes
