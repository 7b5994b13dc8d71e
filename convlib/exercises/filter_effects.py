"""Exercise 4: design filters, and see the flip between convolution and cross-correlation."""

import numpy as np

from ..conv import conv2d
from .answer_key import answer_key
from .question import Case, Mistake


key = answer_key(__name__)  # solutions/04_filter_effects.ipynb


def _edge_images(seed):
    """A flat image, one with a vertical edge, one with a horizontal edge (12x12, random levels)."""
    rng = np.random.default_rng(seed)
    low, high = sorted(rng.integers(0, 256, 2) + [0, 1])
    at = int(rng.integers(4, 8))
    flat = np.full((12, 12), float(low))
    vertical = flat.copy()
    vertical[:, at:] = high
    horizontal = flat.copy()
    horizontal[at:, :] = high
    return flat, vertical, horizontal


def _judge_edge_kernel(got, expected, seed=0):
    """None if ``got`` behaves as a vertical-edge detector on images with random edges."""
    try:
        k = np.asarray(got, dtype=float) if got is not None else None
    except (TypeError, ValueError):
        return (f"return a 3x3 kernel of numbers (a nested list or an array); got {type(got).__name__} "
                f"{str(got)[:40]!r}: every row needs three numbers.")
    if k is None or k.shape != (3, 3):
        shape = None if k is None else k.shape
        return f"return a 3x3 kernel (a nested list or an array); got {'None' if shape is None else f'shape {shape}'}."
    for trial in range(5):
        flat, vertical, horizontal = _edge_images(seed * 10 + trial)
        if not np.allclose(conv2d(flat, k), 0):
            return "on a flat image (no edges) your kernel does not give 0: its numbers must add up to 0."
        if not np.allclose(conv2d(horizontal, k), 0):
            return "your kernel also responds to horizontal edges; a vertical-edge detector must give 0 there."
        if np.abs(conv2d(vertical, k)).max() < 1e-6:
            return "your kernel gives 0 on a vertical edge too: it must compare the left and the right columns."
    return None


q1 = key.question(
    "vertical_edge_kernel",
    cases=[Case(())],
    compare=_judge_edge_kernel,
    hints=[
        "A vertical edge is a change from left to right: weigh the left column against the right column.",
        "Positive numbers in one column, the same negative numbers in the other, zeros in the middle column.",
        "Check the sums: every row must add up to 0 too, or a horizontal edge would show.",
    ],
)

q2 = key.question(
    "box_blur",
    depends_on=("vertical_edge_kernel",),
    cases=[Case((3,), shown=True)],
    hidden=lambda rng: [Case((int(rng.integers(4, 8)),)), Case((1,)), Case((int(rng.integers(2, 4)),))],
    mistakes=[
        Mistake(lambda n: np.ones((n, n)), "your kernel sums to more than 1, so the image gets brighter: divide by the number of cells."),
        Mistake(lambda n: np.ones((n, n)) / n, "divide by the number of cells, size * size, not by size."),
    ],
    hints=["Every cell counts the same.", "The weights of an average add up to 1: np.ones((size, size)) divided by ..."],
)

q3 = key.question(
    "to_convolution",
    depends_on=("vertical_edge_kernel", "box_blur"),
    cases=[Case((np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]),), shown=True)],
    hidden=lambda rng: [Case((rng.integers(-5, 6, (3, 3)),)), Case((rng.integers(-5, 6, (2, 4)),)),
                        Case((rng.integers(-5, 6, (5, 3)),))],
    mistakes=[
        Mistake(lambda k: k.T, "a transpose mirrors along the diagonal; convolution turns the kernel half a turn (180°)."),
        Mistake(lambda k: np.rot90(k), "np.rot90 turns the kernel a quarter turn (90°); convolution turns it half a "
                                       "turn (180°): np.rot90(kernel, 2), or kernel[::-1, ::-1]."),
        Mistake(lambda k: np.rot90(k, -1), "np.rot90(kernel, -1) turns the kernel a quarter turn (90°, clockwise); "
                                           "convolution turns it half a turn (180°): np.rot90(kernel, 2), or "
                                           "kernel[::-1, ::-1]."),
        Mistake(lambda k: k[::-1, :], "you flipped it upside down only; flip left-right as well."),
        Mistake(lambda k: k[:, ::-1], "you flipped it left-right only; flip upside down as well."),
        Mistake(lambda k: k, "that is the kernel unchanged: conv2d would compute a cross-correlation."),
    ],
    hints=[
        "Convolution reads the kernel backwards along both axes.",
        "kernel[::-1, ::-1] reverses rows and columns (np.flip(kernel) does the same).",
    ],
)
