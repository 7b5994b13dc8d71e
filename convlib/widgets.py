"""Interactive pieces for the lessons: step through the slide, edit a kernel and see its effect.

Each widget draws a PNG with the same drawing code as the static figures and shows it in an
``ipywidgets.Image``, so it works in JupyterLab, Notebook, VS Code and Binder alike, and a test
can check that moving a slider changes the picture without a browser.
"""

from __future__ import annotations

import io
from pathlib import Path

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets
from matplotlib.figure import Figure

from .alternatives import figure_html, filter_effect
from .animate import SlideFigure
from .checks import grid, whole
from .conv import conv2d
from .data import binary_image, photo, x_kernel
from .kernels import KERNELS, canonical_name, divisor, name_of

__all__ = ["SlideWidget", "SlideExplorer", "KernelEditor"]

OWN = "(your own)"  # the editor's preset when the numbers match no named kernel
STRIDES, PADDINGS = 3, 2  # the explorer's sliders reach at least these
STATIC = Path(__file__).resolve().parent / "static"


def _grid_list(value, name):
    """A 2-D array of numbers as nested lists of Python numbers (what the browser receives)."""
    arr = grid(value, name, "SlideWidget")
    return [[int(v) if float(v).is_integer() else float(v) for v in row] for row in arr]


class SlideWidget(anywidget.AnyWidget):
    """The slide you can touch: drag the kernel's window over the image, in the browser.

    Drawn and computed in the browser (no round trip to the kernel at each step): the image with
    the window on it, the kernel, the window's products and their sum, and the feature map.
    Drag the window (it snaps to the positions the stride allows) or move it with the arrow
    keys; hover a cell of the map to preview its window (leaving brings the window back) and
    click it to move there; click a pixel to flip it between 0 and 1 and a weight to change it
    (0 -> 1 -> -1); pick stride, padding and dilation. What the learner builds comes back to
    Python.

    By keyboard and screen reader alike: every control keeps its focus through updates and its
    keys stay in the widget; a live region says the window's position, products and sum after
    each move; cells are labelled by row, column, value and weight.

    Parameters
    ----------
    image : array_like, shape (H, W), optional
        By default the 5x5 binary image of the first lesson.
    kernel : array_like, shape (kh, kw), optional
        By default the 3x3 "x" kernel.
    stride, padding, dilation : int
        As in ``conv2d`` (padding: zeros on every side).

    Attributes
    ----------
    image, kernel : list of lists
        Synced with the browser; ``image_array`` and ``kernel_array`` give them as arrays.
    position : [row, col]
        The window's position, in feature-map coordinates.
    feature : list of lists
        The map the browser draws; it always equals :meth:`conv2d_map`.

    Examples
    --------
    >>> slide = SlideWidget()
    >>> slide.conv2d_map().tolist()
    [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    >>> slide.image = np.eye(5, dtype=int)
    >>> int(slide.conv2d_map()[0, 0])
    3
    >>> SlideWidget(kernel=np.ones((7, 7)))
    Traceback (most recent call last):
    ValueError: kernel is 7x7 but the image is only 5x5: the kernel must fit inside the image; use a smaller kernel or more padding
    """

    _esm = STATIC / "slide.js"
    _css = STATIC / "slide.css"
    image = traitlets.Any().tag(sync=True)  # given as arrays or lists, kept as lists of numbers
    kernel = traitlets.Any().tag(sync=True)
    stride = traitlets.Int(1).tag(sync=True)
    padding = traitlets.Int(0).tag(sync=True)
    dilation = traitlets.Int(1).tag(sync=True)
    position = traitlets.List(traitlets.Int(), default_value=[0, 0], minlen=2, maxlen=2).tag(sync=True)
    feature = traitlets.List().tag(sync=True)

    def __init__(self, image=None, kernel=None, *, stride=1, padding=0, dilation=1):
        image = binary_image() if image is None else image
        kernel = x_kernel() if kernel is None else kernel
        feature = conv2d(image, kernel, stride=stride, padding=padding, dilation=dilation)  # checks them all
        if feature.ndim != 2 or np.ndim(kernel) != 2:
            raise ValueError("the slide widget shows a 2-D image (H, W) and a 2-D kernel (kh, kw); got shapes "
                             f"{np.shape(image)} and {np.shape(kernel)}")
        super().__init__(image=_grid_list(image, "image"), kernel=_grid_list(kernel, "kernel"), stride=stride,
                         padding=padding, dilation=dilation, feature=feature.tolist())

    @traitlets.validate("image", "kernel")
    def _valid_grid(self, proposal):
        return _grid_list(proposal["value"], proposal["trait"].name)

    @traitlets.validate("stride", "dilation")
    def _valid_step(self, proposal):
        return whole(proposal["value"], proposal["trait"].name)

    @traitlets.validate("padding")
    def _valid_padding(self, proposal):
        return whole(proposal["value"], "padding", minimum=0)

    @property
    def image_array(self):
        return np.array(self.image)

    @property
    def kernel_array(self):
        return np.array(self.kernel)

    def conv2d_map(self):
        """``conv2d`` of the widget's image and kernel, with its stride, padding and dilation."""
        return conv2d(self.image_array, self.kernel_array, stride=self.stride, padding=self.padding,
                      dilation=self.dilation)


def _photo_png(values):
    """A grayscale array (0-255, clipped) as PNG bytes, straight from the numbers (no figure)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.round(values), 0, 255).astype(np.uint8)).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def _img(png, alt, cls):
    """An <img> of PNG bytes with its alt text, 300 px wide (what the kernel editor shows)."""
    return figure_html(png, alt).replace("<img ", f'<img class="{cls}" style="width: 300px; height: auto" ', 1)


def _png(figure, dpi=80):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class SlideExplorer(widgets.VBox):
    """Step through the slide by hand: a slider over the kernel's positions, stride and padding.

    Parameters
    ----------
    image : array_like, shape (H, W), optional
        By default the 5x5 binary image of the first lesson.
    kernel : array_like, shape (kh, kw), optional
        By default the 3x3 "x" kernel.
    stride, padding : int
        Starting values of their sliders. The stride slider runs from 1 to 3, the padding slider
        from 0 to 2, or further when the starting value is larger.

    Attributes
    ----------
    position, stride, padding : ipywidgets.IntSlider
    picture : ipywidgets.Image
        The current drawing, PNG bytes in ``picture.value``.
    formula : ipywidgets.HTML
        The dot product at the current position, written out.

    Examples
    --------
    >>> explorer = SlideExplorer()
    >>> explorer.position.max, explorer.slide.filled().tolist()[0]
    (8, [4, None, None])
    >>> explorer.position.value = 8
    >>> explorer.slide.filled().tolist()[2]
    [2, 3, 4]
    >>> wide = SlideExplorer(stride=4, padding=3)
    >>> (wide.stride.value, wide.stride.max), (wide.padding.value, wide.padding.max)
    ((4, 4), (3, 3))
    """

    def __init__(self, image=None, kernel=None, *, stride=1, padding=0):
        self.image = binary_image() if image is None else np.asarray(image)
        self.kernel = x_kernel() if kernel is None else np.asarray(kernel)
        self.slide = SlideFigure(self.image, self.kernel, stride=stride, padding=padding)  # checks arguments
        style = {"description_width": "70px"}
        layout = widgets.Layout(width="360px")
        self.position = widgets.IntSlider(0, 0, len(self.slide) - 1, description="position", style=style,
                                          layout=layout, continuous_update=False)
        # the ranges reach the starting values (a slider clamps a value past its end)
        self.stride = widgets.IntSlider(stride, 1, max(STRIDES, stride), description="stride", style=style,
                                        layout=layout, continuous_update=False)
        self.padding = widgets.IntSlider(padding, 0, max(PADDINGS, padding), description="padding", style=style,
                                         layout=layout, continuous_update=False)
        self.picture = widgets.Image(format="png")
        self.formula = widgets.HTML()
        self.position.observe(self._redraw, names="value")
        self.stride.observe(self._rebuild, names="value")
        self.padding.observe(self._rebuild, names="value")
        controls = widgets.HBox([self.position, widgets.VBox([self.stride, self.padding])])
        super().__init__([controls, self.formula, self.picture])
        self._redraw()

    def _rebuild(self, _change=None):
        """Stride or padding moved: a new set of positions, back to the first."""
        self.slide = SlideFigure(self.image, self.kernel, stride=self.stride.value, padding=self.padding.value)
        with self.position.hold_trait_notifications():
            self.position.value = 0
            self.position.max = len(self.slide) - 1
            self.position.disabled = len(self.slide) == 1  # one position: nothing to slide
        self._redraw()

    def _redraw(self, _change=None):
        self.slide.draw(self.position.value)
        step = self.slide.steps[self.position.value]
        self.formula.value = (
            f"<code>feature[{step.row}, {step.col}] = {step.formula()}</code>"
            f" &nbsp; ({len(self.slide)} position{'s' if len(self.slide) != 1 else ''}, output "
            f"{self.slide.feature.shape[0]}×"
            f"{self.slide.feature.shape[1]})"
        )
        self.picture.value = _png(self.slide.figure)


class KernelEditor(widgets.VBox):
    """Type the nine numbers of a 3x3 kernel (or pick a named one) and see the filtered photo.

    Parameters
    ----------
    image : array_like, shape (H, W), optional
        A grayscale photo, 0-255; by default the sample photo at 256x256.
    kernel : str or array_like (3, 3), optional
        The starting kernel, a name of ``KERNELS`` or nine numbers; by default "sharpen".

    Attributes
    ----------
    cells : list of ipywidgets.FloatText
        The nine numbers, row by row.
    preset : ipywidgets.Dropdown
    scale : ipywidgets.FloatText
        The kernel is divided by this (9 for a box blur of ones, 16 for the Gaussian).
    original, picture : ipywidgets.HTML
        The photo, and the filtered photo: ``<img>`` with alt text saying what the kernel did
        (PNGs made straight from the numbers, a few ms).

    Examples
    --------
    >>> editor = KernelEditor(np.eye(8) * 255, kernel="identity")
    >>> editor.kernel().tolist()[1]
    [0.0, 1.0, 0.0]
    >>> editor.cells[4].value = 2.0
    >>> float(editor.result().max())
    510.0
    """

    def __init__(self, image=None, kernel="sharpen"):
        self.image = (photo(size=256) if image is None else np.asarray(image)).astype(float)
        if self.image.ndim != 2:
            raise ValueError(f"the kernel editor takes a grayscale image (H, W); got shape {self.image.shape}")
        names = list(KERNELS)
        cell_layout = widgets.Layout(width="64px")
        # each weight is labelled by its row and column (a label a screen reader reads; it takes
        # no room on screen, where the grid of boxes says it)
        self.cells = [widgets.FloatText(0.0, layout=cell_layout, step=1, description=f"weight row {i}, column {j}",
                                        style={"description_width": "0px"})
                      for i in range(3) for j in range(3)]
        for cell in self.cells:
            cell.add_class("convlib-weight")
        self.scale = widgets.FloatText(1.0, description="divide by", layout=widgets.Layout(width="170px"),
                                       style={"description_width": "70px"})
        self.preset = widgets.Dropdown(options=names + [OWN], description="kernel",
                                       layout=widgets.Layout(width="320px"))
        # the photos as <img> with alt text (an HTML widget: ipywidgets' Image has no alt)
        self.original = widgets.HTML(_img(_photo_png(self.image), self._photo_words(), "convlib-photo"))
        self.picture = widgets.HTML()
        self.caption = widgets.HTML()
        self.status = widgets.HTML()
        self._loading, self._ready = False, False
        self.set_kernel(kernel)
        for cell in self.cells + [self.scale]:
            cell.observe(self._edited, names="value")
        self.preset.observe(self._picked, names="value")
        grid = widgets.GridBox(self.cells, layout=widgets.Layout(grid_template_columns="repeat(3, 70px)"))
        photos = widgets.HBox([widgets.VBox([widgets.HTML("<b>photo</b>"), self.original]),
                               widgets.VBox([self.caption, self.picture])], layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([self.preset, widgets.HBox([grid, self.scale]), self.status, photos])
        self.add_class("convlib-editor")
        self._ready = True
        self._redraw()

    def set_kernel(self, kernel):
        """Show a named kernel or nine numbers in the cells (as integers over a scale if possible)."""
        if isinstance(kernel, str):
            name = canonical_name(kernel)
            values = KERNELS[name]
        else:
            values = np.asarray(kernel, dtype=float)
            if values.shape != (3, 3):
                raise ValueError(f"the editor holds a 3x3 kernel; got shape {values.shape}")
            name = name_of(values) or OWN
        scale = divisor(values)
        self._loading = True
        try:
            for cell, value in zip(self.cells, (values * scale).ravel()):
                cell.value = float(np.round(value, 6))
            self.scale.value = float(scale)
            self.preset.value = name
        finally:
            self._loading = False
        if self._ready:
            self._redraw()

    def kernel(self):
        """The kernel as it stands: the nine numbers divided by the scale, shape (3, 3)."""
        scale = self.scale.value or 1.0
        return np.array([cell.value for cell in self.cells], dtype=float).reshape(3, 3) / scale

    def result(self):
        """The photo filtered by the kernel (same size, zero padding)."""
        return conv2d(self.image, self.kernel(), padding="same")

    def _picked(self, change):
        if not self._loading and change["new"] != OWN:
            self.set_kernel(change["new"])

    def _edited(self, _change):
        if self._loading:
            return
        self._loading = True
        self.preset.value = name_of(self.kernel()) or OWN
        self._loading = False
        self._redraw()

    def _photo_words(self):
        height, width = self.image.shape
        return f"the photo before filtering: grey, {height}×{width} pixels"

    def _redraw(self):
        kernel, result = self.kernel(), self.result()
        name = self.preset.value if self.preset.value != OWN else None
        words = "the photo filtered by the " + (f"{name} " if name else "") + filter_effect(kernel, self.image, result, name)
        if kernel.sum() > 0.5:  # keeps brightness: show as an image viewer would
            png = _photo_png(result)
            self.caption.value = "<b>filtered</b> (clipped to 0–255)"
            words += "; shown clipped to 0 black … 255 white"
        else:  # sums to about zero: an edge detector; show how strongly it responds
            top = np.percentile(np.abs(result), 99.5) or 1.0
            png = _photo_png(np.abs(result) * (255.0 / top))
            self.caption.value = "<b>|filtered|</b>: the kernel's response"
            words += f"; shown as |response|, 0 black … {top:.3g} white"
        self.picture.value = _img(png, words, "convlib-result")
        self.status.value = (
            f"sum of the kernel: <b>{kernel.sum():.3g}</b> "
            "(1 keeps the brightness, 0 keeps only changes)"
        )
