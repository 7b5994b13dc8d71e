"""Figures, the slide animation, the GIF and the widgets: drawn without a display or a browser."""

import io

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

from convlib import animate, conv2d, data, kernels, plot, widgets  # noqa: E402

IMAGE, KERNEL = data.binary_image(), data.x_kernel()


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_draw_grid_writes_every_number():
    fig, ax = plt.subplots()
    plot.draw_grid(ax, IMAGE, title="image")
    assert _texts(ax) == [str(v) for v in IMAGE.ravel()]
    assert ax.get_title() == "image"


def test_draw_grid_masks_cells_and_uses_a_diverging_map_for_negatives():
    fig, ax = plt.subplots()
    mask = np.zeros((3, 3), bool)
    mask[2] = True
    artist = plot.draw_grid(ax, kernels.kernel("sharpen"), role="kernel", mask=mask)
    assert len(ax.texts) == 6
    assert artist.get_cmap().name.startswith(plot.CMAPS["signed"])
    lo, hi = artist.get_clim()
    assert lo == -hi  # zero in the middle of the colour map
    with pytest.raises(ValueError, match="2-D array"):
        plot.draw_grid(ax, np.ones((2, 2, 2)))


def test_show_grids_lays_out_panels_with_titles():
    fig = plot.show_grids((IMAGE, "image"), (KERNEL, "kernel", "kernel"), (conv2d(IMAGE, KERNEL), "feature", "feature"))
    assert [ax.get_title() for ax in fig.axes] == ["image", "kernel", "feature"]
    assert _texts(fig.axes[2]) == ["4", "3", "4", "2", "4", "3", "2", "3", "4"]


def test_effects_table_one_row_per_kernel():
    fig = plot.effects_table(data.photo(size=48), kernels.KERNELS)
    images = [ax for ax in fig.axes if ax.images and ax.images[0].get_cmap().name == "gray"]
    assert len(images) == len(kernels.KERNELS)
    # the box blur is written as whole numbers times 1/9
    titles = [ax.get_title() for ax in fig.axes]
    assert "× 1/9" in titles and "× 1/16" in titles


def test_volume_figure_labels_shapes():
    fig = plot.show_volume((32, 32, 3), (5, 5, 3), 6, (28, 28, 6))
    texts = " ".join(_texts(fig.axes[0]))
    assert "input 32×32×3" in texts and "output 28×28×6" in texts
    assert "filter 5×5×3" in texts and "6 activation maps" in texts


def test_slide_steps_row_major_and_equal_to_conv2d():
    steps = animate.slide_steps(IMAGE, KERNEL)
    feature = conv2d(IMAGE, KERNEL)
    assert [(s.row, s.col) for s in steps] == [(r, c) for r in range(3) for c in range(3)]
    assert [s.value for s in steps] == feature.ravel().tolist()
    for s in steps:
        np.testing.assert_array_equal(s.window, IMAGE[s.top : s.top + 3, s.left : s.left + 3])
        np.testing.assert_array_equal(s.products, s.window * KERNEL)


def test_slide_steps_with_stride_and_padding():
    steps = animate.slide_steps(IMAGE, KERNEL, stride=2, padding=1)
    assert len(steps) == 9
    assert [s.value for s in steps] == conv2d(IMAGE, KERNEL, stride=2, padding=1).ravel().tolist()
    assert steps[0].window[0].tolist() == [0, 0, 0]  # the padding row
    with pytest.raises(ValueError, match="2-D image"):
        animate.slide_steps(np.ones((5, 5, 3)), np.ones((3, 3, 3)))


def test_slide_figure_fills_the_feature_map_step_by_step():
    slide = animate.SlideFigure(IMAGE, KERNEL)
    first, last = slide.png(0), slide.png(8)
    assert first != last
    assert slide.filled().tolist() == conv2d(IMAGE, KERNEL).tolist()
    image_ax, kernel_ax, product_ax, feature_ax = slide.axes
    assert "sum = 4" in product_ax.get_title()
    assert image_ax.get_title().startswith("input") and feature_ax.get_title().startswith("output")
    assert [t.get_text() for t in kernel_ax.texts] == [str(v) for v in np.asarray(KERNEL).ravel()]
    slide.figure.canvas.draw()
    cell = [ax.get_window_extent().width / len(ax.get_xticks()) for ax in (image_ax, kernel_ax, feature_ax)]
    assert max(cell) - min(cell) < 0.05 * max(cell)  # one cell size in every panel
    assert slide.figure.texts[0].get_text().startswith("step 9 of 9")
    slide.draw(1)
    assert feature_ax.texts[-1].get_text() == "3" and len(feature_ax.texts) == 2
    with pytest.raises(ValueError, match="between 0 and 8"):
        slide.draw(9)
    with pytest.raises(TypeError, match="whole number"):
        slide.draw(1.0)


def test_uneven_stride_marks_the_cells_never_covered():
    wide = np.ones((6, 6))
    slide = animate.SlideFigure(wide, KERNEL, stride=2)
    assert slide.uncovered[:, 5].all() and slide.uncovered[5, :].all()
    assert slide.uncovered.sum() == 11
    slide.draw(0)
    assert "never under the kernel" in slide.axes[0].get_xlabel()
    assert not animate.SlideFigure(IMAGE, KERNEL, stride=2).uncovered.any()  # 5 = 2·2 + 1 fits


def test_animation_has_one_frame_per_position():
    animation = animate.slide_animation(IMAGE, KERNEL)
    frames = list(animation.new_frame_seq())
    assert frames == list(range(9))
    html = animation.to_jshtml()
    assert html.count("data:image/png;base64") == 9


def test_inline_player_needs_no_network():
    html = animate.play(IMAGE, KERNEL).data
    assert "http://" not in html and "https://" not in html
    assert 'title="Play"' in html and "▶" in html and html.count("data:image/png;base64") == 9
    assert 'class="fa' not in html


def test_gif_is_small_and_has_nine_frames(tmp_path):
    path = animate.save_gif(tmp_path / "out" / "slide.gif", IMAGE, KERNEL)
    assert path.exists() and path.stat().st_size < 300_000
    with Image.open(path) as gif:
        assert gif.n_frames == 9


def test_slide_explorer_redraws_when_moved():
    explorer = widgets.SlideExplorer()
    before = explorer.picture.value
    assert "= 4" in explorer.formula.value
    explorer.position.value = 1
    assert explorer.picture.value != before
    assert "feature[0, 1]" in explorer.formula.value and "= 3" in explorer.formula.value
    explorer.padding.value = 1  # 25 positions now, back to the first
    assert explorer.position.max == 24 and explorer.position.value == 0
    explorer.stride.value = 2
    assert explorer.position.max == 8
    assert Image.open(io.BytesIO(explorer.picture.value)).size[0] > 400


def test_kernel_editor_reacts_to_presets_and_edits():
    editor = widgets.KernelEditor(data.photo(size=64), kernel="identity")
    np.testing.assert_allclose(editor.result(), data.photo(size=64))
    first = editor.picture.value
    editor.preset.value = "box blur"
    assert editor.scale.value == 9 and [c.value for c in editor.cells] == [1.0] * 9
    np.testing.assert_allclose(editor.kernel(), np.ones((3, 3)) / 9)
    assert editor.picture.value != first
    blurred = editor.picture.value
    editor.cells[0].value = 5.0  # an edit of one's own
    assert editor.preset.value == "(your own)"
    assert editor.picture.value != blurred
    editor.set_kernel(kernels.kernel("sharpen"))
    assert editor.preset.value == "sharpen"
    with pytest.raises(ValueError, match="3x3"):
        editor.set_kernel(np.ones((5, 5)))
    with pytest.raises(ValueError, match="grayscale"):
        widgets.KernelEditor(np.ones((5, 5, 3)))
