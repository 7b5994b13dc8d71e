"""Lesson 7's helpers: the digits as scikit-learn gives them, digits on a larger canvas, and grids
whose colour limits (and so their colour bars) are the values' true ones."""

import matplotlib
import numpy as np
import pytest
from matplotlib import pyplot as plt

from convlib import digits, plot

matplotlib.use("Agg")


def test_the_digits_are_scikit_learns():
    from sklearn.datasets import load_digits

    images, labels = digits.load()
    theirs = load_digits()
    np.testing.assert_array_equal(images[..., 0] * 16, theirs.images)
    np.testing.assert_array_equal(labels, theirs.target)


def test_a_split_is_repeatable_and_keeps_every_image_once():
    train, test = digits.split(100, 20, seed=3)
    again = digits.split(100, 20, seed=3)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    assert len(test) == 20 and sorted(np.concatenate([train, test]).tolist()) == list(range(100))
    with pytest.raises(ValueError, match="must leave images to learn from"):
        digits.split(10, 10, seed=0)


def test_on_canvas_puts_each_image_whole_at_its_place_and_nothing_else():
    images = np.random.default_rng(0).integers(1, 5, (50, 3, 3, 1)).astype(float)
    canvas, places = digits.on_canvas(images, 7, seed=1)
    assert canvas.shape == (50, 7, 7, 1)
    assert places.min() == 0 and places.max() == 4  # every place the image fits at is drawn
    for image, board, (row, col) in zip(images, canvas, places):
        np.testing.assert_array_equal(board[row:row + 3, col:col + 3], image)
        assert board.sum() == image.sum()
    with pytest.raises(ValueError, match=r"canvas \(2x2\) must be at least as large as the images \(3x3\)"):
        digits.on_canvas(images, 2, seed=0)


@pytest.mark.parametrize("values, role, limits, expected", [
    (np.arange(17.0).reshape(1, 17), "image", {}, (0.0, 16.0)),
    (np.array([[-56.0, 3.0], [61.0, 0.0]]), "feature", {}, (-61.0, 61.0)),
    (np.array([[0.0, 0.2]]), "feature", {}, (0.0, 1.0)),  # 0 to 1 at least, as documented
    (np.array([[1.0, 4.0]]), "feature", {"vmin": 0, "vmax": 9}, (0.0, 9.0)),
])
def test_a_grids_colour_limits_and_its_colour_bar_are_the_true_ones(values, role, limits, expected):
    fig, ax = plt.subplots()
    artist = plot.draw_grid(ax, values, role=role, **limits)
    assert artist.get_clim() == expected
    bar = fig.colorbar(artist, ax=ax)
    assert bar.ax.get_ylim() == pytest.approx(expected)
    plt.close(fig)


def test_grids_keep_the_lighter_colours_that_let_black_numbers_read():
    fig, ax = plt.subplots()
    artist = plot.draw_grid(ax, np.array([[0.0, 16.0]]))
    darkest = artist.get_cmap()(artist.norm(16.0))
    assert darkest == pytest.approx(plt.get_cmap("Blues")(0.65), abs=0.01)  # not the map's darkest end
    signed = plot.draw_grid(ax, np.array([[-2.0, 1.0]]))
    assert signed.get_cmap()(signed.norm(-2.0)) == pytest.approx(plt.get_cmap("PuOr_r")(0.2), abs=0.01)
    assert signed.get_cmap()(signed.norm(0.0)) == pytest.approx(plt.get_cmap("PuOr_r")(0.5), abs=0.01)
    plt.close(fig)
