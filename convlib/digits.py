"""Lesson 7's handwritten digits: scikit-learn's 1,797 digits, a split, and digits placed on a larger canvas.

The digits are read from the file scikit-learn installs with itself (``digits.csv.gz``), without
importing scikit-learn, which takes seconds; nothing is downloaded. They are the digits of
:func:`sklearn.datasets.load_digits` (the tests hold them equal).

Shapes are channels last, as everywhere in convlib: images ``(N, H, W, 1)``, labels ``(N,)``.
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from .checks import whole

__all__ = ["load", "split", "on_canvas"]

SIDE = 8  # each digit is 8x8 pixels
INK = 16  # a pixel counts the inked dots of a 4x4 block: 0 to 16


def _data_file():
    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("lesson 7's digits come with scikit-learn: pip install scikit-learn")
    return Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"


def load():
    """The 1,797 digits as images from 0 (paper) to 1 (ink), and the digit each one shows.

    Returns
    -------
    images : ndarray of float, shape (1797, 8, 8, 1)
        Each pixel's count of inked dots (0 to 16) divided by 16.
    labels : ndarray of int, shape (1797,)

    Examples
    --------
    >>> images, labels = load()
    >>> images.shape, labels[:5].tolist(), float(images.max())
    ((1797, 8, 8, 1), [0, 1, 2, 3, 4], 1.0)
    """
    with gzip.open(_data_file(), "rt") as file:
        table = np.loadtxt(file, delimiter=",")
    return table[:, :-1].reshape(-1, SIDE, SIDE, 1) / INK, table[:, -1].astype(int)


def split(n, n_test, seed):
    """Indices of ``n`` images shuffled with ``seed``: ``(train, test)``, the first ``n_test`` for testing.

    Examples
    --------
    >>> train, test = split(10, 3, seed=0)
    >>> len(train), len(test), sorted(train.tolist() + test.tolist()) == list(range(10))
    (7, 3, True)
    """
    order = np.random.default_rng(seed).permutation(whole(n, "n"))
    n_test = whole(n_test, "n_test", minimum=1)
    if n_test >= len(order):
        raise ValueError(f"n_test must leave images to learn from: {n_test} of {len(order)}")
    return order[n_test:], order[:n_test]


def on_canvas(images, side, seed):
    """Each image placed at a random place of a larger blank canvas, ``side`` x ``side``.

    Parameters
    ----------
    images : ndarray, shape (N, h, w, C)
    side : int
        The canvas's side, at least the images' own.
    seed : int
        Seed of the places (each image's top-left corner, drawn uniformly from every place where
        it fits whole).

    Returns
    -------
    canvas : ndarray of float, shape (N, side, side, C)
    places : ndarray of int, shape (N, 2)
        Each image's (row, column) on its canvas.

    Raises
    ------
    ValueError
        If the canvas is smaller than the images.

    Examples
    --------
    >>> canvas, places = on_canvas(np.ones((2, 2, 2, 1)), 4, seed=0)
    >>> canvas.shape, int(canvas[0].sum()), places.shape
    ((2, 4, 4, 1), 4, (2, 2))
    """
    images = np.asarray(images, dtype=float)
    side = whole(side, "side")
    if images.ndim != 4:
        raise ValueError(f"images must be a batch (N, h, w, C); got shape {images.shape}")
    n, height, width, channels = images.shape
    if side < max(height, width):
        raise ValueError(f"the canvas ({side}x{side}) must be at least as large as the images ({height}x{width})")
    rng = np.random.default_rng(seed)
    places = np.stack([rng.integers(0, side - height + 1, n), rng.integers(0, side - width + 1, n)], axis=1)
    canvas = np.zeros((n, side, side, channels))
    for k, (row, col) in enumerate(places):
        canvas[k, row:row + height, col:col + width] = images[k]
    return canvas, places
