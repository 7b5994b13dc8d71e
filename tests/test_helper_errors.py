"""Every helper a lesson calls says, in the learner's terms, what was wrong and what was expected."""

import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from convlib import conv2d, leftover, output_size  # noqa: E402
from convlib.animate import MAX_FRAMES, SlideFigure, play, save_gif, slide_animation, slide_steps  # noqa: E402
from convlib.data import binary_image, photo, x_kernel  # noqa: E402
from convlib.kernels import kernel  # noqa: E402
from convlib.plot import MAX_ANNOTATED, draw_grid, draw_volume, effects_table, highlight, show_grids, show_images  # noqa: E402
from convlib.widgets import KernelEditor, SlideExplorer  # noqa: E402

IMAGE, KERNEL = binary_image(), x_kernel()


def _axes():
    from matplotlib.figure import Figure

    return Figure().subplots()


CASES = [
    # what a learner may type, the error, and a phrase the message must hold
    (lambda: show_grids(IMAGE), TypeError, "each panel is (values, title)"),
    (lambda: show_grids((np.ones((5, 5, 3)), "colour")), ValueError, "pass image[:, :, 0]"),
    (lambda: show_grids((np.ones(5), "row")), ValueError, "reshape(1, -1)"),
    (lambda: show_grids((np.ones((0, 3)), "empty")), ValueError, "at least one number"),
    (lambda: show_grids(), ValueError, "at least one (values, title) panel"),
    (lambda: show_images(IMAGE), TypeError, "each panel is (values, title)"),
    (lambda: show_images((np.ones((4, 4, 2)), "two channels")), ValueError, "photos (H, W) or (H, W, 3)"),
    (lambda: draw_grid(_axes(), IMAGE, role="blue-ish"), ValueError, "role must be one of image, kernel"),
    (lambda: draw_grid(_axes(), IMAGE, mask=np.ones((3, 3), bool)), ValueError, "mask must have the grid's shape (5, 5)"),
    (lambda: draw_grid(_axes(), IMAGE, offset=-1), TypeError, "offset must be a (rows, cols) pair"),
    (lambda: draw_grid(_axes(), "image"), TypeError, "must be an array of numbers"),
    (lambda: highlight(_axes(), 0, 0, 2.5, 3), TypeError, "height must be a positive whole number"),
    (lambda: draw_volume(_axes(), (32, 32, 3), (5, 5, 1), 4, (28, 28, 4)), ValueError, "has depth 1 but input_shape"),
    (lambda: draw_volume(_axes(), (32, 32, 3), (5, 5, 3), 4, (28, 28, 6)), ValueError, "4 filters make an output of depth 4"),
    (lambda: draw_volume(_axes(), (32, 32), (5, 5, 3), 4, (28, 28, 4)), ValueError, "three whole numbers (H, W, C)"),
    (lambda: effects_table(photo(size=16), [kernel("sharpen")]), TypeError, "kernels must be a dict of name"),
    (lambda: effects_table(photo(size=16), {"odd": np.ones(3)}), ValueError, "effects_table draws a 2-D array"),
    (lambda: save_gif("/tmp", IMAGE, KERNEL), ValueError, "give a file name ending in .gif, like '/tmp/slide.gif'"),
    (lambda: save_gif("slide.png", IMAGE, KERNEL), ValueError, "like 'slide.gif'"),
    (lambda: save_gif("slide.gif", IMAGE, KERNEL, fps=0), ValueError, "fps must be a positive number"),
    (lambda: slide_steps(np.ones((5, 5, 3)), np.ones((3, 3, 3))), ValueError, "the slide shows a 2-D image (H, W)"),
    (lambda: slide_steps(IMAGE, KERNEL, stride=1.5), TypeError, "stride must be"),
    (lambda: SlideFigure(IMAGE, KERNEL).draw(9), ValueError, "index must be between 0 and 8"),
    (lambda: SlideExplorer(IMAGE, np.ones((7, 7))), ValueError, "kernel is 7x7 but the image is only 5x5"),
    (lambda: KernelEditor(np.ones((8, 8)), kernel="blurry"), KeyError, "the names are: identity"),
    (lambda: KernelEditor(np.ones((8, 8)), kernel=np.ones((5, 5))), ValueError, "the editor holds a 3x3 kernel"),
    (lambda: photo(gray="yes"), TypeError, "gray must be True"),
    (lambda: photo(size=0), ValueError, "size must be a positive whole number"),
    (lambda: output_size(5.0, 3), TypeError, "n must be a positive whole number; got 5.0 (float)"),
    (lambda: output_size(5, 3, stride=(1, 1)), TypeError, "stride must be one whole number for one axis"),
    (lambda: leftover(5, 3, padding=(1, 1)), TypeError, "padding must be one whole number for one axis"),
    (lambda: conv2d(np.ones((3, 32, 32)), np.ones((5, 5, 3))), ValueError, "np.moveaxis(image, 0, -1)"),
    (lambda: conv2d(np.ones((2, 3, 32, 32)), np.ones((4, 5, 5, 3))), ValueError, "channels-first (N, C, H, W)"),
    (lambda: conv2d(np.ones((32, 32, 3)), np.ones((8, 3, 5, 5))), ValueError, "kernel.transpose(0, 2, 3, 1)"),
]


@pytest.mark.parametrize("call, error, phrase", CASES, ids=[c[2][:40] for c in CASES])
def test_bad_call_gets_a_clear_message(call, error, phrase):
    with pytest.raises(error) as info:
        call()
    assert phrase in str(info.value)
    assert info.traceback[-1].frame.f_globals["__name__"].startswith("convlib")  # raised by us, not by NumPy


def test_the_slide_takes_padding_names_as_conv2d_does():
    steps = slide_steps(IMAGE, KERNEL, padding="same")
    feature = conv2d(IMAGE, KERNEL, padding="same")
    assert [s.value for s in steps] == feature.ravel().tolist()
    even = SlideFigure(np.ones((4, 4)), np.ones((2, 2)), padding="same")  # the extra row and column: bottom, right
    assert even.pads == ((0, 1), (0, 1)) and len(even) == 16


def test_a_large_grid_is_drawn_quickly_without_numbers():
    ax = _axes()
    draw_grid(ax, np.random.default_rng(0).random((96, 96)))
    assert not ax.texts and "too many to read" in ax.get_xlabel()  # not 9,216 texts (seconds to draw)
    small = _axes()
    draw_grid(small, IMAGE)
    assert len(small.texts) == 25 and MAX_ANNOTATED >= 32 * 32


def test_an_animation_caps_its_frames_and_says_so():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        animation = slide_animation(np.ones((12, 12)), KERNEL)
    assert len(list(animation.new_frame_seq())) == MAX_FRAMES
    assert any("shows the first" in str(w.message) and "100 positions" in str(w.message) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the lesson's slides stay whole and quiet
        assert len(list(slide_animation(IMAGE, KERNEL, padding=1).new_frame_seq())) == 25


def test_play_of_a_large_slide_stays_small():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = play(np.ones((12, 12)), KERNEL).data
    assert html.count("data:image/png") <= MAX_FRAMES


def test_the_effects_table_can_zoom_and_says_when_the_zoom_is_outside():
    table = effects_table(photo(size=64), {"identity": kernel("identity"), "box blur": kernel("box blur")},
                          zoom=(10, 10, 20))
    close_ups = [ax for ax in table.axes if ax.images and ax.images[0].get_array().shape == (20, 20)]
    assert len(close_ups) == 2
    with pytest.raises(ValueError, match="reaches outside the 64x64 photo"):
        effects_table(photo(size=64), {"identity": kernel("identity")}, zoom=(50, 50, 20))


def test_shared_scales_get_a_colour_bar():
    figure = show_images((np.zeros((4, 4)), "a", (0, 2)), (np.ones((4, 4)), "b", (0, 2)), colorbar=True)
    assert len(figure.axes) == 3 and figure.axes[-1].get_ylim() == (0.0, 2.0)
