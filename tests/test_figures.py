"""Figures, the slide animation, the GIF and the widgets: drawn without a display or a browser."""

import html
import io
import json
import re

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

from convlib import alternatives, animate, conv2d, data, kernels, plot, widgets  # noqa: E402

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
    assert "http://" not in html and "https://" not in html and "<link" not in html and " src=\"/" not in html
    assert 'aria-label="play"' in html and "▶" in html and html.count("data:image/png;base64") == 9  # each frame once
    assert 'class="fa' not in html and "title=\"null\"" not in html
    # its script is the course's own, whole, and nothing in the data can end it early
    assert (animate.STATIC / "player.js").read_text() in html and (animate.STATIC / "keys.js").read_text() in html
    assert html.count("</script>") == 1


def test_inline_player_says_every_step_and_labels_its_slider():
    html = animate.play(IMAGE, KERNEL, stride=2).data
    slide = animate.SlideFigure(IMAGE, KERNEL, stride=2)
    texts = [slide.text(i) for i in range(4)]
    assert re.search(r'<img class="cp-frame" src="data:image/png;base64,[^"]+" alt="Step 1 of 4: the 3×3 window covers '
                     r'rows 0 to 2', html)
    # the slider runs 1 to 4 as its label says, and says the step in words
    assert re.search(r'<label class="cp-step">step <input class="cp-slider" type="range" min="1" max="4" value="1" step="1" '
                     r'aria-valuetext="step 1 of 4: window at rows 0 to 2, columns 0 to 2; sum 4 goes to feature\[0, 0\]"', html)
    assert '<p class="cp-said" role="status" aria-live="polite"></p>' in html
    assert 'data-lm-suppress-shortcuts="true"' in html
    listed = re.findall(r"<li>(.*?)</li>", html)
    assert listed == texts and "= 4." in listed[0]
    assert json.dumps(texts) in html and json.dumps([slide.summary(i) for i in range(4)]) in html
    # the summaries: where the window is (rows and columns of the image), the sum, where it goes
    sums = conv2d(IMAGE, KERNEL, stride=2)
    assert [slide.summary(i) for i in range(4)] == [
        f"step {i + 1} of 4: window at rows {2 * (i // 2)} to {2 * (i // 2) + 2}, columns {2 * (i % 2)} to "
        f"{2 * (i % 2) + 2}; sum {sums[i // 2, i % 2]} goes to feature[{i // 2}, {i % 2}]" for i in range(4)]


def ratio(a, b):
    """WCAG 2.1 contrast ratio, from the relative luminance written out here (not convlib's)."""
    from matplotlib.colors import to_rgb

    def lum(colour):
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("role", ["image", "kernel", "feature"])
@pytest.mark.parametrize("values", [np.arange(25).reshape(5, 5), np.arange(-12, 13).reshape(5, 5),
                                    np.random.default_rng(0).normal(size=(6, 6)) * 50, np.linspace(0, 1, 16).reshape(4, 4)],
                         ids=["0 to 24", "-12 to 12", "signed floats", "0 to 1"])
def test_grids_write_every_number_at_4_5_to_1_or_more(role, values):
    """Each number a still grid writes against its cell's colour (WCAG 2.1 AA: 4.5:1); white on the
    grids' mid blue was 3.7:1 when the ink was chosen by a brightness threshold."""
    fig, ax = plt.subplots()
    grid = plot.draw_grid(ax, values, role=role)
    shown = grid.get_array()
    worst = min(ratio(text.get_color(), grid.cmap(grid.norm(shown[r, c])))
                for text in grid.cell_texts for c, r in [(int(round(v)) for v in text.get_position())])
    plt.close(fig)
    assert len(grid.cell_texts) == values.size and worst >= 4.5, worst


def test_player_frames_write_every_number_at_4_5_to_1_or_more():
    """Each number in each frame against its cell's colour (WCAG 2.1 AA: 4.5:1), and the weights' tags."""
    from matplotlib.colors import to_rgb

    assert round(ratio("white", to_rgb("#4292c6")), 2) < 4.5  # white on mid blue: what the frames had
    sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    checked = 0
    for kernel, options in [(KERNEL, {}), (KERNEL, {"stride": 2}), (KERNEL, {"padding": 1}), (sobel, {})]:
        slide = animate.SlideFigure(IMAGE, kernel, **options)
        for index in range(len(slide)):
            slide.draw(index)
            for grid, padded in [(slide.image_grid, slide.padded), (slide.kernel_grid, None),
                                 (slide.product_grid, None), (slide.feature_grid, None)]:
                values = grid.get_array()
                for text in grid.cell_texts:
                    c, r = (int(round(v)) for v in text.get_position())
                    face = "#eeeeee" if padded is not None and padded[r, c] else grid.cmap(grid.norm(values[r, c]))
                    assert ratio(text.get_color(), face) >= 4.5, (options, index, text.get_text(), text.get_color(), face)
                    checked += 1
            for tag in slide.tags:  # dark red on a white tag (90 % opaque, over the darkest cell)
                darkest = np.array(to_rgb(slide.image_grid.cmap(1.0)))
                assert ratio(tag.get_color(), 0.9 * np.ones(3) + 0.1 * darkest) >= 4.5
    assert checked > 500


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


def test_slide_explorer_starts_at_the_stride_and_padding_it_is_given():
    explorer = widgets.SlideExplorer(stride=4, padding=3)
    assert (explorer.stride.value, explorer.padding.value) == (4, 3)  # not clamped to the default ranges
    side = (5 + 2 * 3 - 3) // 4 + 1  # the output size, ⌊(n + 2p − f)/s⌋ + 1
    assert side == 3 and explorer.position.max == side * side - 1
    assert explorer.slide.feature.tolist() == conv2d(IMAGE, KERNEL, stride=4, padding=3).tolist()
    assert f"output {side}×{side}" in explorer.formula.value
    explorer.stride.value = 1  # and back: the ranges still hold the defaults
    assert explorer.stride.min == 1 and explorer.padding.min == 0 and explorer.position.max == 9 * 9 - 1
    small = widgets.SlideExplorer(stride=2, padding=1)
    assert (small.stride.max, small.padding.max) == (3, 2)


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
    assert 'alt="the photo filtered by the sharpen kernel [0, -1, 0; -1, 5, -1; 0, -1, 0], sum 1' in editor.picture.value
    assert 'alt="the photo before filtering: grey, 64×64 pixels"' in editor.original.value
    assert [c.description for c in editor.cells[:2]] == ["weight row 0, column 0", "weight row 0, column 1"]
    assert editor.scale.description == "divide by"
    # the live region's words: the alt's, short (the kernel's name, its sum, what it did)
    alt = editor.filtered_img["alt"]
    assert editor.said.startswith("the sharpen kernel, sum 1: differences between neighbouring pixels grow to ")
    assert editor.said.split(": ", 1)[1] in alt and len(editor.said) < len(alt) / 2
    editor.cells[4].value = 4.0  # sum 0 now: an edge detector of one's own
    assert editor.said.startswith("your own kernel, sum 0: ") and editor.preset.value == "(your own)"
    with pytest.raises(ValueError, match="3x3"):
        editor.set_kernel(np.ones((5, 5)))
    with pytest.raises(ValueError, match="grayscale"):
        widgets.KernelEditor(np.ones((5, 5, 3)))


# ------------------------------------------------------------------------------ text alternatives


def test_grids_are_described_by_their_numbers():
    fig = plot.show_grids((IMAGE, "image"), (KERNEL, "kernel", "kernel"), suptitle="the lesson's pair")
    said = alternatives.description(fig)
    assert said.startswith("the lesson's pair. 2 panels.")
    assert "Panel 1, image: 5×5 grid: row 0: 1, 1, 1, 0, 0;" in said
    assert "Panel 2, kernel: 3×3 grid: row 0: 1, 0, 1; row 1: 0, 1, 0; row 2: 1, 0, 1." in said
    masked = np.zeros((3, 3), bool)
    masked[2] = True
    fig, ax = plt.subplots()
    plot.draw_grid(ax, conv2d(IMAGE, KERNEL), mask=masked)
    ax.set_title("feature map so far")  # a title set afterwards is read too
    assert alternatives.description(fig) == ("feature map so far: 3×3 grid: row 0: 4, 3, 4; row 1: 2, 4, 3; "
                                             "row 2: blank, blank, blank.")


def test_plain_figures_are_described_by_titles_until_described_in_words():
    fig, (left, right) = plt.subplots(1, 2)
    left.plot([3, 2, 1])
    left.set(title="the loss falling", xlabel="step", ylabel="loss")
    plot.draw_grid(right, KERNEL, title="learned kernel")
    said = alternatives.description(fig)
    assert "Panel 1, the loss falling: a line plot of loss against step." in said
    assert "Panel 2, learned kernel: 3×3 grid: row 0: 1, 0, 1;" in said
    from convlib import describe

    assert describe(fig, "  the loss falls  from 3 to 1 ") is fig
    assert alternatives.description(fig) == "the loss falls from 3 to 1"
    assert alternatives.description(describe(plt.figure(), "")) == ""  # decorative
    with pytest.raises(TypeError, match="text must be a string"):
        describe(fig, None)
    with pytest.raises(TypeError, match="matplotlib Figure or Axes"):
        describe("figure", "words")


def test_volumes_photos_and_fields_are_described():
    said = alternatives.description(plot.show_volume((32, 32, 3), (5, 5, 3), 6, (28, 28, 6)))
    assert "input volume 32×32×3" in said and "filter 5×5×3" in said and "output volume 28×28×6" in said
    photo = data.photo(size=48)
    said = alternatives.description(plot.show_images((photo, "photo"), (photo / 2, "darker", (0, 255)), colorbar=True))
    assert "Panel 2, darker: grey image 48×48, black 0 to white 255" in said and "colour bar" in said
    said = alternatives.description(plot.show_receptive_field(2, 3, dilation=2))
    assert "25 of the 81 pixels of that 9×9 square lead to the output" in said  # 5×5 taps of a 9×9 field
    assert "the other 56 never do" in said


def test_effects_table_says_what_each_filter_did_and_on_which_grey_scale():
    photo = data.photo(size=48)
    fig = plot.effects_table(photo, kernels.KERNELS)
    said = alternatives.description(fig)
    assert "identity: kernel [0, 0, 0; 0, 1, 0; 0, 0, 0], sum 1" in said and "the result equals the photo" in said
    assert "box blur: kernel [1, 1, 1; 1, 1, 1; 1, 1, 1] divided by 9" in said
    blur = conv2d(photo.astype(float), kernels.kernel("box blur"), padding="same")
    ratio = np.mean(np.abs(np.diff(blur, axis=1))) / np.mean(np.abs(np.diff(photo.astype(float), axis=1)))
    assert f"shrink to {ratio:.2g} times the photo's" in said
    # two grey scales in one table: each result names its own under the picture
    notes = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_text().startswith("grey:")]
    assert len(notes) == len(kernels.KERNELS)
    assert sum("|response|" in note for note in notes) == 3 and sum("(clipped)" in note for note in notes) == 4
    assert fig.dpi >= 100


def test_slide_figure_says_each_step_in_words():
    slide = animate.SlideFigure(IMAGE, KERNEL).draw(4)
    said = alternatives.description(slide.figure)
    assert said.startswith("Step 5 of 9: the 3×3 window covers rows 1 to 3 and columns 1 to 3 of the image.")
    assert f"Products, pixel × weight: {slide.steps[4].formula()}." in said
    assert "row 1: 2, 4, blank; row 2: blank, blank, blank." in said
    bundle = slide._repr_mimebundle_()
    assert bundle["image/png"] and f'alt="{html.escape(said, quote=True)}"' in bundle["text/html"]
    wide = animate.SlideFigure(np.ones((6, 6)), KERNEL, stride=2).draw(0)
    assert "11 pixels are never under the kernel (cross-hatched): (0, 5), (1, 5)" in alternatives.description(wide.figure)


def test_notebook_figures_carry_an_img_with_alt_and_are_drawn_once(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib.backend_bases import FigureCanvasBase

    shell = InteractiveShell.instance()
    try:
        assert alternatives.install()
        select_figure_formats(shell, {"png"})  # what the inline backend does when it starts: after convlib's import
        fig = plot.show_grids((KERNEL, "kernel", "kernel"))
        drawn = []
        original = FigureCanvasBase.print_figure
        monkeypatch.setattr(FigureCanvasBase, "print_figure", lambda *a, **k: drawn.append(1) or original(*a, **k))
        data_, _ = shell.display_formatter.format(fig)
        assert len(drawn) == 1  # the PNG and the HTML share one drawing
        png = data_["image/png"]
        assert data_["text/html"] == alternatives.figure_html(png, alternatives.description(fig))
        assert 'alt="kernel: 3×3 grid: row 0: 1, 0, 1; row 1: 0, 1, 0; row 2: 1, 0, 1."' in data_["text/html"]
        assert data_["text/plain"].startswith("<Figure size")
        again, _ = shell.display_formatter.format(fig)  # a second display draws again, once
        assert len(drawn) == 2 and again["image/png"] == png
    finally:
        InteractiveShell.clear_instance()


@pytest.mark.kernel
def test_html_export_keeps_the_descriptions():
    """A notebook run as a learner runs it, exported with nbconvert: every picture keeps its words."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import numpy as np\nfrom matplotlib import pyplot as plt\nimport convlib\nfrom convlib import animate, data, plot",
        "plot.show_grids((data.x_kernel(), 'kernel', 'kernel'))\nplt.show()",
        "fig, ax = plt.subplots()\nax.plot([3, 2, 1])\nconvlib.describe(fig, 'a line falling from 3 to 1')\nplt.show()",
        "animate.SlideFigure(data.binary_image(), data.x_kernel()).draw(4)",
    )]
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    page, _ = HTMLExporter().from_notebook_node(notebook)
    assert "No description has been provided" not in page
    alts = [html.unescape(alt) for alt in re.findall(r'<img [^>]*alt="([^"]*)"', page)]
    assert len(alts) == 3, alts
    assert alts[0] == "kernel: 3×3 grid: row 0: 1, 0, 1; row 1: 0, 1, 0; row 2: 1, 0, 1."
    assert alts[1] == "a line falling from 3 to 1"
    assert alts[2].startswith("Step 5 of 9: the 3×3 window covers rows 1 to 3")


def test_frames_drawn_once_are_the_frames_drawn_whole():
    """The player's frames (the shared background drawn once) are pixel for pixel the full drawings."""
    slide = animate.SlideFigure(IMAGE, KERNEL, padding=1)
    quick = slide.frames(7, dpi=60)
    for index in (0, 6):
        whole = slide.png(index, dpi=60)
        a, b = (np.asarray(Image.open(io.BytesIO(png)).convert("RGB")) for png in (quick[index], whole))
        assert a.shape == b.shape and np.array_equal(a, b), index
    assert quick[0] != quick[6]
