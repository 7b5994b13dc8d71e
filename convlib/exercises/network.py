"""Exercise 6: from one layer to a network: parameters, receptive fields, the frameworks' layout."""

import numpy as np

from .answer_key import answer_key
from .question import Case, Mistake


key = answer_key(__name__)  # solutions/06_a_network.ipynb
parameter_counts = key["parameter_counts"].function


LAYOUTS = (("images", "(N, C, H, W)"), ("kernels", "(K, C, kh, kw)"))  # what to_channels_first returns


def compare_layouts(got, expected):
    """None when ``got`` is the pair ``expected`` (images, kernels); else which array differs, in
    a sentence: its shape and the expected one, or how many of its numbers are misplaced.

    Parameters
    ----------
    got : object
        What the learner's ``to_channels_first`` returned; should be ``(images, kernels)``.
    expected : tuple of ndarray
        ``(images (N, C, H, W), kernels (K, C, kh, kw))``, the reference's result.

    Returns
    -------
    str or None

    Examples
    --------
    >>> x, w = np.zeros((2, 3, 4, 5)), np.zeros((6, 3, 2, 2))
    >>> compare_layouts((x, w.transpose(0, 2, 3, 1)), (x, w))
    'your kernels have shape (6, 2, 2, 3); expected (6, 3, 2, 2), that is (K, C, kh, kw).'
    """
    if not isinstance(got, (tuple, list)) or len(got) != len(LAYOUTS):
        what = f"one array of shape {got.shape}" if isinstance(got, np.ndarray) else f"{type(got).__name__} {got!r:.60}"
        return f"return two arrays, (images, kernels); you returned {what}."
    for (name, layout), mine, theirs in zip(LAYOUTS, got, expected):
        try:
            mine = np.asarray(mine, dtype=float)
        except (TypeError, ValueError):
            return f"your {name} are not an array of numbers."
        if mine.shape != theirs.shape:
            return f"your {name} have shape {mine.shape}; expected {theirs.shape}, that is {layout}."
        misplaced = int(np.sum(mine != theirs))
        if misplaced:
            return (f"your {name} have the right shape {mine.shape}, {layout}, but {misplaced} of their "
                    f"{mine.size} numbers are not where they belong.")
    return None


q1 = key.question(
    "parameter_counts",
    cases=[Case(((32, 32, 3), 16, 3), shown=True)],
    hidden=lambda rng: [Case(((int(h), int(h), int(c)), int(k), int(f)))
                        for h, c, k, f in zip(rng.integers(4, 64, 3), rng.integers(1, 8, 3), rng.integers(2, 64, 3),
                                              rng.choice([1, 3, 5, 7], 3))],
    mistakes=[
        Mistake(lambda s, k, f: (f * f * s[2] * k, parameter_counts(s, k, f)[1]),
                "your conv count forgets the biases: each filter has one, n_filters in all."),
        Mistake(lambda s, k, f: (parameter_counts(s, k, f)[0], s[0] * s[1] * s[2] * s[0] * s[1] * k),
                "your dense count forgets the biases: one per output, H * W * n_filters of them."),
        Mistake(lambda s, k, f: ((f * f + 1) * k, parameter_counts(s, k, f)[1]),
                "a filter goes through the full depth of its input: f * f * channels weights, not f * f."),
        Mistake(lambda s, k, f: (parameter_counts(s, k, f)[0], (s[0] * s[1] * s[2] + 1) * k),
                "a dense layer connects every input to every *output number*: H * W * n_filters outputs, "
                "not n_filters."),
    ],
    hints=[
        "A conv layer: each of the n_filters filters has f * f * channels weights and one bias.",
        "A dense layer: every one of the H * W * C inputs connects to every one of the H * W * n_filters "
        "outputs, and each output has one bias: (inputs + 1) * outputs.",
    ],
)

q2 = key.question(
    "receptive_field",
    depends_on=("parameter_counts",),
    cases=[Case((3, 3), shown=True)],
    hidden=lambda rng: [Case((2, 3))] + [Case((int(n), int(f), int(d))) for n, f, d in
                        zip(rng.integers(1, 9, 4), rng.choice([3, 5, 7], 4), rng.integers(1, 4, 4))],
    mistakes=[
        Mistake(lambda n, f, d=1: n * (f - 1) * d, "you are one short: the output's own pixel counts too (1 + ...)."),
        Mistake(lambda n, f, d=1: n * f, "stacked windows overlap: each layer adds f - 1, not f."),
        Mistake(lambda n, f, d=1: f ** n, "the field grows by adding, not by multiplying: each layer adds (f - 1) * dilation."),
        Mistake(lambda n, f, d=1: 1 + n * (f - 1), "the dilation spreads the taps: each layer adds (f - 1) * dilation."),
    ],
    hints=[
        "One 3x3 layer sees 3x3. A second 3x3 layer on top sees 3x3 positions of the first: 5x5 of the input.",
        "Each layer adds (f - 1) * dilation to the side of the field, starting from the single output pixel.",
    ],
)

q3 = key.question(
    "to_channels_first",
    depends_on=("parameter_counts", "receptive_field"),
    compare=compare_layouts,
    cases=[Case((np.arange(2 * 4 * 5 * 3).reshape(2, 4, 5, 3), np.arange(6 * 3 * 2 * 3).reshape(6, 3, 2, 3)),
                shown=True)],
    hidden=lambda rng: [Case((rng.integers(0, 9, (int(n), int(h), int(w), int(c))),
                              rng.integers(-3, 4, (int(k), int(f), int(f) + 1, int(c)))))
                        for n, h, w, c, k, f in zip(rng.integers(1, 3, 2), rng.integers(3, 6, 2), rng.integers(6, 9, 2),
                                                    rng.integers(2, 5, 2), rng.integers(2, 5, 2), rng.integers(2, 4, 2))],
    mistakes=[
        Mistake(lambda x, w: (x.transpose(0, 3, 2, 1), w.transpose(0, 3, 1, 2)),
                "your images have width before height: (N, C, H, W) keeps H before W, so transpose(0, 3, 1, 2)."),
        Mistake(lambda x, w: (x.transpose(0, 3, 1, 2), w.transpose(3, 0, 1, 2)),
                "your kernels start with the channels: PyTorch wants (K, C, kh, kw), filters first."),
        Mistake(lambda x, w: (x.reshape(x.shape[0], x.shape[3], x.shape[1], x.shape[2]),
                              w.reshape(w.shape[0], w.shape[3], w.shape[1], w.shape[2])),
                "reshape keeps the numbers in their order and only relabels the axes: the shape is right but "
                "the pixels are scrambled. Move axes with transpose (or np.moveaxis)."),
        Mistake(lambda x, w: (x.transpose(0, 3, 1, 2), w.transpose(0, 3, 2, 1)),
                "your kernels have kw before kh: (K, C, kh, kw), so transpose(0, 3, 1, 2)."),
    ],
    hints=[
        "Moving axes is a transpose: images (N, H, W, C) -> (N, C, H, W) is images.transpose(0, 3, 1, 2).",
        "The kernels need the same move: (K, kh, kw, C) -> (K, C, kh, kw). Return both, as a tuple.",
    ],
)
