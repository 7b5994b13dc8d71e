"""SlideExplorer's sliders: they show the values it starts with, and the position slider always
spans exactly the positions of the stride and padding shown."""

import itertools

import numpy as np
import pytest

from convlib.conv import conv2d
from convlib.data import binary_image, x_kernel
from convlib import widgets
from convlib.widgets import SlideExplorer

IMAGE, KERNEL = binary_image(), x_kernel()


def _positions(image, kernel, stride, padding):
    """How many positions the kernel takes, from conv2d's own output size."""
    return int(np.prod(conv2d(image, kernel, stride=stride, padding=padding).shape))


def _assert_shows(explorer, image, kernel, stride, padding):
    """The sliders say ``stride`` and ``padding``, and the position slider spans their positions."""
    assert (explorer.stride.value, explorer.padding.value) == (stride, padding)
    for slider in (explorer.stride, explorer.padding, explorer.position):
        assert slider.min <= slider.value <= slider.max, slider.description
    count = _positions(image, kernel, stride, padding)
    assert (explorer.position.min, explorer.position.max, explorer.position.value) == (0, count - 1, 0)
    assert explorer.position.disabled == (count == 1)  # one position: nothing to slide
    assert len(explorer.slide) == count
    side = conv2d(image, kernel, stride=stride, padding=padding).shape
    assert f"output {side[0]}×{side[1]}" in explorer.formula.value


@pytest.mark.parametrize("stride, padding", [(4, 3), (1, 0), (2, 1), (3, 2), (5, 0), (1, 6)])
def test_the_sliders_start_at_the_values_given(stride, padding):
    explorer = SlideExplorer(stride=stride, padding=padding)
    _assert_shows(explorer, IMAGE, KERNEL, stride, padding)
    assert explorer.stride.min == 1 and explorer.stride.max >= max(3, stride)
    assert explorer.padding.min == 0 and explorer.padding.max >= max(2, padding)


def test_the_position_range_follows_every_stride_and_padding_the_sliders_reach(monkeypatch):
    explorer = SlideExplorer(stride=4, padding=3)
    drawn = []  # ranges, not pictures (tests/test_figures.py looks at those): no drawing, 0.5 s each
    monkeypatch.setattr(widgets.SlideFigure, "draw", lambda slide, step: drawn.append(step) or slide)
    monkeypatch.setattr(widgets, "_png", lambda figure: b"")
    strides = range(explorer.stride.min, explorer.stride.max + 1)
    paddings = range(explorer.padding.min, explorer.padding.max + 1)
    assert list(strides) == [1, 2, 3, 4] and list(paddings) == [0, 1, 2, 3]
    for stride, padding in itertools.product(strides, paddings):
        explorer.position.value = explorer.position.max  # from the far end: the range must shrink too
        explorer.stride.value = stride
        explorer.padding.value = padding
        _assert_shows(explorer, IMAGE, KERNEL, stride, padding)
    assert drawn  # every change above went through the explorer's drawing


def test_one_position_disables_the_position_slider_from_the_start_as_after_a_change():
    explorer = SlideExplorer(stride=4)  # 5x5 image, 3x3 kernel, stride 4: one position
    _assert_shows(explorer, IMAGE, KERNEL, 4, 0)
    explorer.stride.value = 1
    _assert_shows(explorer, IMAGE, KERNEL, 1, 0)
    explorer.stride.value = 4
    _assert_shows(explorer, IMAGE, KERNEL, 4, 0)


def test_the_padding_slider_holds_only_paddings_the_kernel_fits_in():
    """A 2x4 image and a 3x3 kernel need a padding of 1: the slider cannot go below it, so it
    never shows a padding the picture and the position range do not."""
    image, kernel = np.ones((2, 4)), np.ones((3, 3))
    explorer = SlideExplorer(image, kernel, padding=2)
    _assert_shows(explorer, image, kernel, 1, 2)
    assert explorer.padding.min == 1
    for padding in range(explorer.padding.min, explorer.padding.max + 1):
        explorer.padding.value = padding
        _assert_shows(explorer, image, kernel, 1, padding)
    explorer.padding.value = 0  # below the range: the slider clamps, as it does in the browser
    _assert_shows(explorer, image, kernel, 1, 1)
    wide = SlideExplorer(np.ones((1, 1)), np.ones((7, 7)), padding=3)  # needs 3 on every side
    assert wide.padding.min == 3 and wide.padding.max >= 3
    _assert_shows(wide, np.ones((1, 1)), np.ones((7, 7)), 1, 3)
