"""SlideWidget on the Python side: what it accepts, what it refuses, what it gives back.

(Dragging it is tested in a real browser: tests/test_browser.py.)
"""

import re

import numpy as np
import pytest
import traitlets

from convlib import conv2d, data
from convlib.widgets import STATIC, KernelEditor, SlideWidget


def test_it_starts_on_the_first_lesson_and_its_map_is_conv2d():
    slide = SlideWidget()
    assert slide.image == data.binary_image().tolist() and slide.kernel == data.x_kernel().tolist()
    assert slide.feature == conv2d(data.binary_image(), data.x_kernel()).tolist() == slide.conv2d_map().tolist()
    assert slide.position == [0, 0]


def test_arrays_become_lists_and_settings_follow_conv2d():
    slide = SlideWidget(np.eye(6, dtype=np.uint8), np.ones((2, 2)), stride=2, padding=1, dilation=2)
    assert slide.image[0][:2] == [1, 0] and all(isinstance(v, int) for v in slide.image[0])
    assert slide.conv2d_map().tolist() == conv2d(np.eye(6), np.ones((2, 2)), stride=2, padding=1, dilation=2).tolist()
    slide.kernel = np.array([[0.5, 0.25]])
    assert slide.kernel == [[0.5, 0.25]]


@pytest.mark.parametrize("change, error, phrase", [
    (dict(image=np.ones((5, 5, 3))), ValueError, "pass image[:, :, 0]"),
    (dict(image="five"), TypeError, "must be an array of numbers"),
    (dict(kernel=[[1, 2], [3]]), ValueError, "not rectangular"),
    (dict(stride=0), ValueError, "stride must be a positive whole number"),
    (dict(padding=-1), ValueError, "padding must be a whole number >= 0"),
])
def test_bad_values_are_refused_with_a_clear_message(change, error, phrase):
    slide = SlideWidget()
    with pytest.raises((error, traitlets.TraitError)) as info:
        for name, value in change.items():
            setattr(slide, name, value)
    assert phrase in str(info.value)


def test_a_kernel_that_does_not_fit_is_refused_at_once():
    with pytest.raises(ValueError, match="kernel is 7x7 but the image is only 5x5"):
        SlideWidget(kernel=np.ones((7, 7)))
    with pytest.raises(ValueError, match="2-D image"):
        SlideWidget(np.ones((5, 5, 3)), np.ones((3, 3, 3)))


def test_its_javascript_ships_with_the_package():
    for name in ("keys.js", "slide.js", "editor.js", "player.js"):
        source = (STATIC / name).read_text()
        assert not re.search(r"^\s*import\b", source, re.M) and "http" not in source, name  # nothing fetched at run time
    assert "export default { render }" in (STATIC / "slide.js").read_text()
    assert (STATIC / "slide.css").is_file() and (STATIC / "editor.css").is_file()


def test_each_widget_keeps_its_keys_from_the_notebook():
    """keys.js comes first in each widget's module, and each one calls it on its root."""
    keys = (STATIC / "keys.js").read_text()
    assert "data-lm-suppress-shortcuts" in keys and "stopPropagation" in keys and '"Escape"' in keys
    for widget, own in ((SlideWidget, "slide.js"), (KernelEditor, "editor.js")):
        assert widget._esm.startswith(keys) and widget._esm.endswith((STATIC / own).read_text())
        assert "keepKeys(root);" in (STATIC / own).read_text()
