"""Interactive pieces for the lessons: step through the slide, edit a kernel and see its effect.

- ``SlideWidget`` (lesson 2) is drawn and computed in the browser: an anywidget whose
  JavaScript and CSS are in ``convlib/static/`` (``keys.js``, ``slide.js``, ``slide.css``), with
  no round trip to the kernel as the window moves. Its traits are synced both ways: Python
  sends the image, the kernel, stride, padding and dilation; the browser sends back the pixels
  and weights the learner flipped, the stride, padding and dilation picked, the window's
  position and the feature map it computed.
- ``KernelEditor`` (lesson 4) is an anywidget too (``editor.js``, ``editor.css``): its controls
  are drawn in the browser, which sends the nine numbers, the divisor and the named kernel
  picked. Python filters the photo and sends each picture as ``{src, alt, caption}``: a PNG made
  with Pillow straight from the numbers (no matplotlib), as a ``data:`` URL, and an ``alt`` that
  says what the kernel did; with it the kernel's sum and the sentence its live region says.
- ``SlideExplorer`` is stock ipywidgets, redrawn in the kernel: sliders for the position, the
  stride and the padding, an ``HTML`` line with the position's dot product written out, and an
  ``ipywidgets.Image`` that holds a PNG of ``animate.SlideFigure`` (what the lessons' still
  slide figures draw with) made by matplotlib at each move. Its picture has no ``alt`` and
  nothing is announced: the formula line says the sum in text.

The two anywidgets keep every key pressed in them from JupyterLab's notebook shortcuts, leave to
their cell on Escape, say each change in a live region and reflow down to 320 CSS px. All three
work without a browser too: a test can set a value and read what would be shown.
"""

from __future__ import annotations

import base64
import io

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets
from matplotlib.figure import Figure

from .alternatives import figure_html, filter_effect
from .animate import STATIC, SlideFigure, script
from .checks import format_number, grid, whole
from .conv import conv2d
from .data import binary_image, photo, x_kernel
from .kernels import KERNELS, canonical_name, divisor, name_of

__all__ = ["SlideWidget", "SlideExplorer", "KernelEditor"]

OWN = "(your own)"  # the editor's preset when the numbers match no named kernel
STRIDES, PADDINGS = 3, 2  # the explorer's sliders reach at least these


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

    By keyboard and screen reader alike: every control keeps its focus through updates; no key
    pressed in the widget reaches JupyterLab's notebook shortcuts, and Escape goes back to the
    cell; a live region says the window's position and sum after each move (P: the products), an
    edge as such, and the new map size after a change of stride, padding or dilation; cells are
    labelled by row, column, value and weight.

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

    _esm = script("keys.js", "slide.js")
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


def _data_url(png):
    """PNG bytes as a ``data:`` URL (what an ``<img src>`` in the browser takes)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _least_padding(image_shape, kernel_shape):
    """The smallest zero padding (on every side) that lets the kernel fit inside the image.

    >>> _least_padding((2, 4), (3, 3)), _least_padding((5, 5), (3, 3))
    (1, 0)
    """
    return max(0, *(-(-(k - n) // 2) for n, k in zip(image_shape, kernel_shape)))


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
        from 0 to 2, each further when the starting value is larger; the padding slider starts
        higher when the kernel fits the image only with padding (a 3x3 kernel on a 2x4 image
        needs 1), so every value a slider shows is one the picture is drawn at. The position
        slider runs over the kernel's positions at the stride and padding shown, and is
        disabled when there is only one.

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
        self._fit_position()
        # the ranges reach the starting values (a slider clamps a value past its end), and the
        # padding's starts where the kernel fits (the arguments were checked: padding is at least that)
        self.stride = widgets.IntSlider(stride, 1, max(STRIDES, stride), description="stride", style=style,
                                        layout=layout, continuous_update=False)
        least = _least_padding(self.image.shape, self.kernel.shape)
        self.padding = widgets.IntSlider(padding, least, max(PADDINGS, padding), description="padding",
                                         style=style, layout=layout, continuous_update=False)
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
        moved = self.position.value != 0
        with self.position.hold_trait_notifications():  # a move back to 0 redraws on leaving this block
            self.position.value = 0
            self._fit_position()
        if not moved:
            self._redraw()

    def _fit_position(self):
        """The position slider spans the slide's positions (disabled when there is only one)."""
        self.position.max = len(self.slide) - 1
        self.position.disabled = len(self.slide) == 1  # one position: nothing to slide

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


class _Control:
    """One control of the kernel editor as Python sees it: ``value`` reads and sets what it shows.

    (The controls are drawn in the browser; these keep ``editor.preset.value``,
    ``editor.scale.value`` and ``editor.cells[i].value`` working as with ipywidgets.)
    """

    def __init__(self, get, put=None, description=""):
        self._get, self._put, self.description = get, put, description

    @property
    def value(self):
        return self._get()

    @value.setter
    def value(self, new):
        if self._put is None:
            raise AttributeError(f"{self.description} is shown, not set: change the kernel instead")
        self._put(new)

    def __repr__(self):
        return f"<{self.description}: {self.value!r}>"


class KernelEditor(anywidget.AnyWidget):
    """Type the nine numbers of a 3x3 kernel (or pick a named one) and see the filtered photo.

    The controls are drawn in the browser (``convlib/static/editor.js``); the filtered photo is
    computed here and sent as a PNG made straight from the numbers (a few ms). By keyboard and
    screen reader: the menu and the weights keep their keys (none reaches JupyterLab's notebook
    shortcuts; Escape goes back to the cell), each weight is labelled by its row and column, a
    live region says the new kernel and what it did, and the layout reflows down to 320 px.

    Parameters
    ----------
    image : array_like, shape (H, W), optional
        A grayscale photo, 0-255; by default the sample photo at 256x256.
    kernel : str or array_like (3, 3), optional
        The starting kernel, a name of ``KERNELS`` or nine numbers; by default "sharpen".

    Attributes
    ----------
    preset : control
        ``preset.value`` is the kernel's name, or ``"(your own)"``; setting it picks a kernel.
    cells : list of 9 controls
        The nine numbers, row by row (``cells[4].value = 2.0``).
    scale : control
        The kernel is divided by ``scale.value`` (9 for a box blur of ones, 16 for the Gaussian).
    original, picture : controls
        ``value``: the photo and the filtered photo as ``<img>`` HTML, with alt text saying what
        the kernel did.
    said : str
        What the live region says after the last change.

    Examples
    --------
    >>> editor = KernelEditor(np.eye(8) * 255, kernel="identity")
    >>> editor.kernel().tolist()[1]
    [0.0, 1.0, 0.0]
    >>> editor.cells[4].value = 2.0
    >>> float(editor.result().max())
    510.0
    >>> editor.preset.value
    '(your own)'
    >>> print(editor.said)
    your own kernel, sum 2: differences between neighbouring pixels grow to 2 times the photo's
    """

    _esm = script("keys.js", "editor.js")
    _css = STATIC / "editor.css"
    names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    preset_name = traitlets.Unicode().tag(sync=True)
    numbers = traitlets.List(traitlets.Float(), minlen=9, maxlen=9, default_value=[0.0] * 9).tag(sync=True)
    divide_by = traitlets.Float(1.0).tag(sync=True)
    kernel_sum = traitlets.Unicode().tag(sync=True)
    original_img = traitlets.Dict().tag(sync=True)
    filtered_img = traitlets.Dict().tag(sync=True)
    said = traitlets.Unicode().tag(sync=True)

    def __init__(self, image=None, kernel="sharpen"):
        image = (photo(size=256) if image is None else np.asarray(image)).astype(float)
        if image.ndim != 2:
            raise ValueError(f"the kernel editor takes a grayscale image (H, W); got shape {image.shape}")
        self._loading, self._ready = False, False
        super().__init__(names=list(KERNELS) + [OWN])
        self.image = image
        self.original_img = {"src": _data_url(_photo_png(self.image)), "alt": self._photo_words(), "caption": "photo"}
        self.preset = _Control(lambda: self.preset_name, self._pick, "kernel")
        self.scale = _Control(lambda: self.divide_by, lambda v: setattr(self, "divide_by", float(v)), "divide by")
        self.cells = [_Control(lambda k=k: self.numbers[k], lambda v, k=k: self._set_number(k, v),
                               f"weight row {k // 3}, column {k % 3}") for k in range(9)]
        self.original = _Control(lambda: figure_html(self.original_img["src"].split(",", 1)[1], self.original_img["alt"]),
                                 description="the photo")
        self.picture = _Control(lambda: figure_html(self.filtered_img["src"].split(",", 1)[1], self.filtered_img["alt"]),
                                description="the filtered photo")
        self.set_kernel(kernel)
        self.observe(self._picked, names="preset_name")
        self.observe(self._edited, names=["numbers", "divide_by"])
        self._ready = True
        self._redraw()

    def _pick(self, name):
        self.preset_name = name

    def _set_number(self, k, value):
        numbers = list(self.numbers)
        numbers[k] = float(value)
        self.numbers = numbers

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
            self.numbers = [float(np.round(v, 6)) for v in (values * scale).ravel()]
            self.divide_by = float(scale)
            self.preset_name = name
        finally:
            self._loading = False
        if self._ready:
            self._redraw()

    def kernel(self):
        """The kernel as it stands: the nine numbers divided by the scale, shape (3, 3)."""
        scale = self.divide_by or 1.0
        return np.array(self.numbers, dtype=float).reshape(3, 3) / scale

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
        self.preset_name = name_of(self.kernel()) or OWN
        self._loading = False
        self._redraw()

    def _photo_words(self):
        height, width = self.image.shape
        return f"the photo before filtering: grey, {height}×{width} pixels"

    def _redraw(self):
        kernel, result = self.kernel(), self.result()
        name = self.preset_name if self.preset_name != OWN else None
        effect = filter_effect(kernel, self.image, result, name)
        words = "the photo filtered by the " + (f"{name} " if name else "") + effect
        if kernel.sum() > 0.5:  # keeps brightness: show as an image viewer would
            png = _photo_png(result)
            caption = "filtered (clipped to 0–255)"
            words += "; shown clipped to 0 black … 255 white"
        else:  # sums to about zero: an edge detector; show how strongly it responds
            top = np.percentile(np.abs(result), 99.5) or 1.0
            png = _photo_png(np.abs(result) * (255.0 / top))
            caption = "|filtered|: the kernel's response"
            words += f"; shown as |response|, 0 black … {top:.3g} white"
        self.filtered_img = {"src": _data_url(png), "alt": words, "caption": caption}
        self.kernel_sum = (f"sum of the kernel: <b>{format_number(kernel.sum())}</b> "
                           "(1 keeps the brightness, 0 keeps only changes)")
        # the live region: the same words as the picture's alt, short (the kernel's numbers are on screen)
        did = effect.rsplit("; ", 1)[-1]
        self.said = f"{'the ' + name if name else 'your own'} kernel, sum {format_number(kernel.sum())}: {did}"
