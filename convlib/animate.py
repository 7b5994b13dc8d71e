"""The slide: the kernel moving over the image, one output position per frame.

``slide_steps`` lists the positions; ``SlideFigure`` draws one of them (the window on the image,
the products and their sum, the feature map filled so far). The animation, the GIF and the
slider widget all draw with the same ``SlideFigure``.
"""

from __future__ import annotations

import base64
import hashlib
import html as _html
import io
import itertools
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.figure import Figure

from .conv import conv2d
from .checks import format_number, padding_amounts, pair
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from .alternatives import describe, description, figure_html, grid_text
from .plot import COLORS, draw_grid, highlight, ink, update_grid

# The window is a solid red frame; the current cell of the map a dashed green one: told apart
# by the line's shape as well as its colour (red and green look alike to many readers).
WINDOW_WIDTH = 3
CURRENT_COLOR = "#1a7f37"  # a darker green than the map's cells, 5:1 on white
TAG_TEXT = "#a50f15"  # the weights' tags: dark red on a white tag, 8:1
TAG_SIZE = 9
NEVER_TEXT = "#b42318"

__all__ = ["Step", "slide_steps", "SlideFigure", "slide_animation", "play", "player_html", "save_gif"]


@dataclass(frozen=True)
class Step:
    """One position of the kernel on the (padded) image.

    ``window`` and ``products`` are ``(kh, kw)``; ``value`` is ``products.sum()``, the number
    written at ``(row, col)`` of the feature map.
    """

    index: int
    row: int
    col: int
    top: int
    left: int
    window: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    value: float

    def formula(self):
        """The dot product written out: ``'1×1 + 1×0 + … = 4'``."""
        terms = [f"{format_number(w)}×{format_number(k)}" for w, k in zip(self.window.ravel(), self.kernel.ravel())]
        return " + ".join(terms) + f" = {format_number(self.value)}"


STATIC = Path(__file__).resolve().parent / "static"  # the browser's side: the player's and the widgets' scripts


def script(*names):
    """The JavaScript files ``names`` of ``convlib/static``, one after the other (``keys.js`` first)."""
    return "\n".join((STATIC / name).read_text(encoding="utf-8") for name in names)


MAX_FRAMES = 25  # an animation draws at most this many positions (5x5): each frame adds ~40 kB to the notebook
PLAYER_DPI = 90  # the inline player's frames: the weights' tags stay legible


def _prepare(image, kernel, stride, padding):
    """``(padded image, feature map, ((top, bottom), (left, right)))`` for a 2-D slide."""
    feature = conv2d(image, kernel, stride=stride, padding=padding)  # checks every argument
    kernel = np.asarray(kernel)
    if feature.ndim != 2 or kernel.ndim != 2:
        raise ValueError(
            "the slide shows a 2-D image (H, W) with a 2-D kernel (kh, kw); "
            f"got image shape {np.shape(image)} and kernel shape {kernel.shape}"
        )
    pads = padding_amounts(padding, kernel.shape)
    return np.pad(np.asarray(image), pads), feature, pads


def slide_steps(image, kernel, *, stride=1, padding=0):
    """Every position of a 2-D kernel on a 2-D image, in row-major order.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (kh, kw)
    stride : int or (int, int)
    padding : int, (int, int), 'valid' or 'same'
        Zeros added around the image, as in ``conv2d``.

    Returns
    -------
    list of Step
        ``H' * W'`` steps; step ``i`` fills ``feature[i // W', i % W']``.

    Examples
    --------
    >>> from convlib.data import binary_image, x_kernel
    >>> steps = slide_steps(binary_image(), x_kernel())
    >>> len(steps), [s.value for s in steps[:3]]
    (9, [4, 3, 4])
    >>> steps[0].formula()
    '1×1 + 1×0 + 1×1 + 0×0 + 1×1 + 1×0 + 0×1 + 0×0 + 1×1 = 4'
    """
    padded, feature, _ = _prepare(image, kernel, stride, padding)
    kernel = np.asarray(kernel)
    rows, cols = pair(stride, "stride", minimum=1)
    kh, kw = kernel.shape
    steps = []
    for index in range(feature.size):
        row, col = divmod(index, feature.shape[1])
        top, left = row * rows, col * cols
        window = padded[top : top + kh, left : left + kw]
        products = window * kernel
        steps.append(Step(index, row, col, top, left, window, kernel, products, products.sum().item()))
    return steps


class SlideFigure:
    """A figure of three panels that draws any step of the slide.

    ``draw(i)`` shows step ``i``: the padded image with the window framed and the kernel's
    numbers written small in the window's corners, the window's products with their sum, and
    the feature map filled up to that step.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (kh, kw)
    stride, padding : as in ``conv2d``
    figsize : (float, float)

    Examples
    --------
    >>> from convlib.data import binary_image, x_kernel
    >>> slide = SlideFigure(binary_image(), x_kernel())
    >>> len(slide)
    9
    >>> slide.draw(4).filled().tolist()
    [[4, 3, 4], [2, 4, None], [None, None, None]]
    """

    def __init__(self, image, kernel, *, stride=1, padding=0, figsize=None):
        self.steps = slide_steps(image, kernel, stride=stride, padding=padding)
        self.image, self.feature, self.pads = _prepare(image, kernel, stride, padding)
        self.kernel = np.asarray(kernel)
        # four panels, every cell the same size: input, kernel, products, output
        widths = [self.image.shape[1], self.kernel.shape[1], self.kernel.shape[1], self.feature.shape[1]]
        if figsize is None:
            cell = min(0.5, 9.6 / (sum(widths) + 4.5))
            figsize = (cell * (sum(widths) + 4.5), cell * self.image.shape[0] + 1.45)
        self.figure = Figure(figsize=figsize, layout="constrained")
        self.axes = self.figure.subplots(1, 4, gridspec_kw={"width_ratios": widths})
        self.current = None
        self.vmax = max(1.0, float(np.abs(self.image).max()))
        # cells of the (padded) image that no position of the kernel reaches: an uneven stride
        self.uncovered = np.ones(self.image.shape, bool)
        kh, kw = self.kernel.shape
        for step in self.steps:
            self.uncovered[step.top : step.top + kh, step.left : step.left + kw] = False
        (top, bottom), (left, right) = self.pads
        h, w = self.image.shape
        self.padded = np.zeros(self.image.shape, bool)  # the zeros added around the image
        self.padded[:top] = self.padded[h - bottom:] = self.padded[:, :left] = self.padded[:, w - right:] = True

    def __len__(self):
        return len(self.steps)

    def __repr__(self):
        where = "not drawn yet" if self.current is None else f"step {self.current + 1} of {len(self)}"
        return f"<SlideFigure: {len(self)} positions, {where}>"

    def filled(self, index=None):
        """The feature map as drawn at step ``index`` (by default the current one): numbers up to it, None after it."""
        index = self.current if index is None else index
        out = self.feature.astype(object)
        for step in self.steps[index + 1 :]:
            out[step.row, step.col] = None
        return out

    def _build(self):
        """Draw what every step shares, once: the padded image, the kernel, empty products and map."""
        kh, kw = self.kernel.shape
        image_ax, kernel_ax, product_ax, feature_ax = self.axes
        (top, bottom), (left, right) = self.pads
        self.image_grid = draw_grid(image_ax, self.image, role="image", vmin=0, vmax=self.vmax, offset=(-top, -left))
        for r, c in zip(*np.nonzero(self.padded)):  # padding cells hatched lightly
            image_ax.add_patch(_pad_patch(r, c))
        for r, c in zip(*np.nonzero(self.uncovered)):
            image_ax.add_patch(_never_patch(r, c))
        if self.uncovered.any():
            image_ax.set_xlabel("red cross-hatching: never under the kernel", fontsize=9, color=NEVER_TEXT)
        self.window = highlight(image_ax, 0, 0, kh, kw, linewidth=WINDOW_WIDTH)
        # the kernel's weights, written in the window's cells: inside the frame, on a white tag
        self.tags = [image_ax.text(j, i, f"×{format_number(self.kernel[i, j])}", ha="right", va="bottom",
                                   fontsize=TAG_SIZE, fontweight="bold", color=TAG_TEXT, zorder=6,
                                   bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none", alpha=0.9))
                     for i in range(kh) for j in range(kw)]
        sides = {top, bottom, left, right}
        title = "input image" + ("" if sides == {0} else f", padding {top}" if len(sides) == 1 else
                                 f", padding: top {top}, bottom {bottom}, left {left}, right {right}")
        image_ax.set_title(title, fontsize=11)
        self.kernel_grid = draw_grid(kernel_ax, self.kernel, role="kernel")
        kernel_ax.set_title("kernel", fontsize=11)
        self.product_grid = draw_grid(product_ax, np.zeros(self.kernel.shape), role="kernel",
                                      vmin=min(0, self.kernel.min()) * self.vmax, vmax=max(1, self.kernel.max()) * self.vmax)
        lo, hi = float(min(0, self.feature.min())), float(max(1, self.feature.max()))
        self.feature_grid = draw_grid(feature_ax, self.feature, role="feature", mask=np.ones(self.feature.shape, bool),
                                      vmin=lo, vmax=hi)
        feature_ax.set_title("output:\nfeature map", fontsize=11)
        # the current cell: dashed and green, where the window is solid and red (told apart without colour)
        self.marker = highlight(feature_ax, 0, 0, 1, 1, color=CURRENT_COLOR, linewidth=WINDOW_WIDTH)
        self.marker.set_linestyle((0, (2, 1)))
        self.title = self.figure.suptitle("", fontsize=11)
        for grid in (self.image_grid, self.kernel_grid):
            _readable(grid, self.padded if grid is self.image_grid else None)

    def draw(self, index):
        """Draw step ``index`` (0-based); returns ``self``.

        The parts every step shares are drawn once; a step moves the window, the weights and the
        current cell, and writes the products and the map so far.
        """
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"index must be a whole number; got {index!r}")
        if not 0 <= index < len(self.steps):
            raise ValueError(f"index must be between 0 and {len(self.steps) - 1}; got {index}")
        if self.current is None:
            self._build()
        step = self.steps[index]
        self.current = index
        kh, kw = self.kernel.shape
        self.window.set_xy((step.left - 0.5, step.top - 0.5))
        for tag, (i, j) in zip(self.tags, np.ndindex(kh, kw)):
            tag.set_position((step.left + j + 0.38, step.top + i + 0.4))  # clear of the frame's line
        _readable(update_grid(self.product_grid, step.products))
        self.axes[2].set_title(f"window × kernel\nsum = {format_number(step.value)}", fontsize=11)
        mask = np.ones(self.feature.shape, bool)
        for done in self.steps[: index + 1]:
            mask[done.row, done.col] = False
        _readable(update_grid(self.feature_grid, self.feature, mask=mask))
        self.marker.set_xy((step.col - 0.5, step.row - 0.5))
        self.title.set_text(f"step {index + 1} of {len(self.steps)}:  row {step.row}, column {step.col}")
        describe(self.figure, self.text(index))
        if self.figure.get_layout_engine() is not None and not isinstance(self.figure.get_layout_engine(),
                                                                            PlaceHolderLayoutEngine):
            # lay the panels out once; later steps only change what is inside them
            self.figure.draw_without_rendering()
            self.figure.set_layout_engine("none")
        return self

    def text(self, index=None):
        """Step ``index`` (by default the current one) in words: its text alternative."""
        index = self.current if index is None else index
        step = self.steps[index]
        (top, _), (left, _) = self.pads
        kh, kw = self.kernel.shape
        filled = self.filled(index)
        blank = np.equal(filled, None)
        parts = [f"Step {index + 1} of {len(self.steps)}: the {kh}×{kw} window covers rows {step.top - top} to "
                 f"{step.top - top + kh - 1} and columns {step.left - left} to {step.left - left + kw - 1} of the image"
                 + (" (rows and columns below 0 or past the edge are padding zeros)"
                    if self.padded[step.top:step.top + kh, step.left:step.left + kw].any() else "") + ".",
                 f"Products, pixel × weight: {step.formula()}.",
                 f"The sum {format_number(step.value)} goes to row {step.row}, column {step.col} of the "
                 f"{self.feature.shape[0]}×{self.feature.shape[1]} feature map.",
                 grid_text(np.where(blank, 0, filled).astype(float), "Feature map so far", blank)]
        never = [(r - top, c - left) for r, c in zip(*np.nonzero(self.uncovered))]
        if never:
            parts.append(f"{len(never)} pixels are never under the kernel (cross-hatched): "
                         + ", ".join(f"({r}, {c})" for r, c in never) + ".")
        return " ".join(parts)

    def summary(self, index=None):
        """Step ``index`` (by default the current one) in a few words: what the player's slider
        and live region say.

        Examples
        --------
        >>> from convlib.data import binary_image, x_kernel
        >>> SlideFigure(binary_image(), x_kernel()).summary(4)
        'step 5 of 9: window at rows 1 to 3, columns 1 to 3; sum 4 goes to feature[1, 1]'
        """
        index = self.current if index is None else index
        step = self.steps[index]
        (top, _), (left, _) = self.pads
        kh, kw = self.kernel.shape
        return (f"step {index + 1} of {len(self.steps)}: window at rows {step.top - top} to {step.top - top + kh - 1}, "
                f"columns {step.left - left} to {step.left - left + kw - 1}; sum {format_number(step.value)} goes to "
                f"feature[{step.row}, {step.col}]")

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Notebooks show a SlideFigure as its picture, described in an <img alt> too."""
        png = self.png(dpi=self.figure.dpi)
        return {"image/png": png, "text/html": figure_html(png, description(self.figure)),
                "text/plain": repr(self)}

    def _moving(self):
        """The artists a step changes, in the order they are drawn (all others make the background)."""
        _, _, product_ax, feature_ax = self.axes
        panels = []
        for ax, grid in ((product_ax, self.product_grid), (feature_ax, self.feature_grid)):
            panels += [grid, ax.xaxis, ax.yaxis, *ax.spines.values(), *grid.cell_texts]
        panels += [self.window, *self.tags, self.marker, product_ax.title]
        return sorted(panels, key=lambda artist: artist.get_zorder()) + [self.title]

    def frames(self, count=None, dpi=None):
        """PNG bytes of steps ``0 .. count - 1``, drawn cheaply: what they share is drawn once.

        The panels are drawn once without the parts a step changes (the background); each step
        then puts the background back and draws only the window, its weights, the products and
        the map over it (matplotlib's blitting).

        Parameters
        ----------
        count : int, optional
            How many steps; by default all of them.
        dpi : float, optional
            Dots per inch; by default the figure's.

        Returns
        -------
        list of bytes
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from PIL import Image

        count = len(self) if count is None else count
        if dpi is not None:
            self.figure.set_dpi(dpi)
        self.draw(0)  # the panels built and laid out
        canvas = FigureCanvasAgg(self.figure)
        pictures = []
        try:
            for artist in self._moving():
                artist.set_animated(True)
            canvas.draw()
            background = canvas.copy_from_bbox(self.figure.bbox)
            for index in range(count):
                self.draw(index)
                canvas.restore_region(background)
                for artist in self._moving():  # the map's numbers are new artists at each step
                    artist.set_animated(True)
                    self.figure.draw_artist(artist)
                buffer = io.BytesIO()
                Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]).save(buffer, format="png")
                pictures.append(buffer.getvalue())
        finally:
            for artist in self._moving():
                artist.set_animated(False)
        return pictures

    def png(self, index=None, dpi=80):
        """The figure as PNG bytes (drawing step ``index`` first, when given)."""
        if index is not None:
            self.draw(index)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()


PAD_FACE = "#eeeeee"  # the padding cells' own colour, over the grid's


def cell_colours(grid, padded=None):
    """``[(text, background)]`` for every number written in a grid drawn by ``plot.draw_grid``."""
    values = grid.get_array()
    pairs = []
    for text in grid.cell_texts:
        c, r = (int(round(v)) for v in text.get_position())
        face = PAD_FACE if padded is not None and padded[r, c] else grid.cmap(grid.norm(values[r, c]))
        pairs.append((text, face))
    return pairs


def _readable(grid, padded=None):
    """Write each number of ``grid`` in black or white, whichever contrasts more with its cell (at
    least 4.5:1 on the course's colour maps; white on mid blue was 3.7:1)."""
    for text, face in cell_colours(grid, padded):
        text.set_color(ink(face))
    return grid


def _pad_patch(r, c):
    from matplotlib.patches import Rectangle

    return Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=PAD_FACE, edgecolor="#bbbbbb", linewidth=0,
                     zorder=1.5, hatch="//")


def _never_patch(r, c):
    from matplotlib.patches import Rectangle

    return Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="none", edgecolor=NEVER_TEXT, linewidth=0,
                     zorder=1.6, hatch="xx")


def _slide_frames(image, kernel, stride, padding, figsize=None, dpi=100):
    """``(slide, count)``: the SlideFigure to draw with and how many of its steps to show."""
    slide = SlideFigure(image, kernel, stride=stride, padding=padding, figsize=figsize)
    slide.figure.set_dpi(dpi)
    frames = len(slide)
    if frames > MAX_FRAMES:
        warnings.warn(f"the slide has {frames} positions; the animation shows the first {MAX_FRAMES} "
                      "(each frame adds to the notebook's size). For all of them, "
                      "step through SlideFigure or SlideWidget, or use a larger stride or a smaller image.",
                      stacklevel=3)
        frames = MAX_FRAMES
    return slide, frames


def slide_animation(image, kernel, *, stride=1, padding=0, interval=900, figsize=None, dpi=100):
    """The slide as a matplotlib ``FuncAnimation``: one frame per output position.

    At most ``MAX_FRAMES`` frames: a larger slide shows its first positions, with a warning.
    (:func:`play` and :func:`save_gif` draw the same frames without it, each one once.)

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Its ``slide`` attribute is the ``SlideFigure`` it draws with.
    """
    slide, frames = _slide_frames(image, kernel, stride, padding, figsize, dpi)
    animation = FuncAnimation(slide.figure, lambda i: slide.draw(i) and [], frames=frames,
                              interval=interval, repeat=True)
    animation.slide = slide
    return animation


_players = itertools.count()
PLAYER_CSS = """
.convlib-player { font-family: var(--jp-ui-font-family, system-ui, sans-serif); font-size: 13px; color: #1b1b1b;
  max-width: 100%; box-sizing: border-box; padding: 4px; }
.convlib-player .cp-frame { display: block; max-width: 100%; height: auto; }
.convlib-player .cp-controls { display: flex; flex-wrap: wrap; gap: 6px 8px; align-items: center; margin: 6px 0; }
.convlib-player button { font: inherit; min-width: 36px; min-height: 32px; color: #1b1b1b; background: #f4f4f4;
  border: 1px solid #6b6b6b; border-radius: 3px; cursor: pointer; }
.convlib-player .cp-step { display: inline-flex; gap: 6px; align-items: center; flex: 0 1 24em; min-width: 0; }
.convlib-player .cp-slider { flex: 1 1 auto; min-width: 6em; max-width: 24em; }
.convlib-player button:focus, .convlib-player input:focus, .convlib-player summary:focus {
  outline: 3px solid #0b5394; outline-offset: 2px; }
.convlib-player .cp-said { margin: 4px 0; min-height: 1.3em; }
"""


def play(image, kernel, *, stride=1, padding=0, interval=900):
    """An inline player for the notebook (play, pause, step, loop), as ``IPython.display.HTML``.

    Works offline: nothing in it is fetched from the web; its script (``convlib/static/player.js``)
    runs in JupyterLab and in a page nbconvert exports. By keyboard: the step slider moves by the
    arrow keys, PageUp/PageDown (a row of the map), Home/End, and no key pressed in the player
    reaches JupyterLab's notebook shortcuts (Escape goes back to the cell). For a screen reader:
    the slider's ``aria-valuetext`` and a polite live region say each step briefly
    (:meth:`SlideFigure.summary`), the frame's ``alt`` says it whole (:meth:`SlideFigure.text`),
    and every step is written out under the player.
    """
    from IPython.display import HTML

    slide, frames = _slide_frames(image, kernel, stride, padding, dpi=PLAYER_DPI)
    pictures = slide.frames(frames)
    return HTML(player_html(pictures, [slide.text(i) for i in range(frames)],
                            [slide.summary(i) for i in range(frames)], interval=interval,
                            page=slide.feature.shape[1], size=slide.figure.get_size_inches() * PLAYER_DPI))


def player_html(pictures, texts, summaries, *, interval=900, page=1, size=None):
    """The player's HTML: frames (PNG bytes), each frame's description and its short form.

    ``page`` is how many frames PageUp/PageDown move; ``size`` the frames' (width, height) in px.
    The player's id comes from the frames and a counter, so that re-running a notebook does not
    change its stored output.
    """
    if not (len(pictures) == len(texts) == len(summaries)) or not pictures:
        raise ValueError(f"a player needs one text and one summary per frame; got {len(pictures)} frames, "
                         f"{len(texts)} texts and {len(summaries)} summaries")
    frames = ["data:image/png;base64," + base64.b64encode(png).decode("ascii") for png in pictures]
    digest = hashlib.sha1(b"".join(pictures) + json.dumps(texts).encode()).hexdigest()
    uid = hashlib.sha1(f"{next(_players)}:{digest}".encode()).hexdigest()[:16]
    n = len(frames)
    attr = lambda text: _html.escape(text, quote=True)  # noqa: E731
    width, height = (int(round(v)) for v in size) if size is not None else (None, None)
    dims = f' width="{width}" height="{height}"' if width else ""
    buttons = "".join(f'<button type="button" class="cp-{name}" aria-label="{label}" title="{label}">{mark}</button>'
                      for name, label, mark in (("first", "first step", "⇤"), ("previous", "previous step", "◁"),
                                                ("play", "play", "▶"), ("next", "next step", "▷"),
                                                ("last", "last step", "⇥")))
    steps = "".join(f"<li>{_html.escape(text)}</li>" for text in texts)
    # </script> inside a string would end the script early: JSON escapes "/" as "\/" here
    # the first frame is in the <img> already: the script takes it from there (each frame once in the page)
    data = [json.dumps(v).replace("</", "<\\/") for v in ([None] + frames[1:], texts, summaries)]
    code = script("keys.js", "player.js")
    return (
        f'<div class="convlib-player" id="convlib-player-{uid}" role="group" aria-label="the slide, step by step" '
        f'data-lm-suppress-shortcuts="true"><style>{PLAYER_CSS}</style>'
        f'<img class="cp-frame" src="{frames[0]}" alt="{attr(texts[0])}"{dims}>'
        f'<div class="cp-controls">{buttons}'
        f'<label class="cp-step">step <input class="cp-slider" type="range" min="1" max="{n}" value="1" step="1" '
        f'aria-valuetext="{attr(summaries[0])}"></label>'
        f'<label><input class="cp-loop" type="checkbox" checked> loop</label></div>'
        f'<p class="cp-said" role="status" aria-live="polite"></p>'
        f'<details class="convlib-steps"><summary>The {n} steps in words</summary><ol>{steps}</ol></details>'
        f"<script>(function () {{\n{code}\nconvlibPlayer(document.getElementById('convlib-player-{uid}'), "
        f"{data[0]}, {data[1]}, {data[2]}, {int(interval)}, {int(page)});\n}})();</script></div>"
    )


def save_gif(path, image, kernel, *, stride=1, padding=0, fps=1.2, dpi=80):
    """Write the slide as an animated GIF; returns its path.

    Frames are drawn at ``dpi`` dots per inch (80 keeps the 5x5 example near 120 kB).
    """
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a file name like 'slide.gif'; got {type(path).__name__}")
    path = Path(path)
    if path.is_dir() or path.suffix.lower() != ".gif":
        raise ValueError(f"save_gif writes one .gif file; got {str(path)!r}: give a file name ending in .gif, "
                         f"like {str(path / 'slide.gif') if path.is_dir() else str(path.with_suffix('.gif'))!r}")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
        raise ValueError(f"fps must be a positive number of frames per second; got {fps!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    from PIL import Image

    slide, frames = _slide_frames(image, kernel, stride, padding, dpi=dpi)
    pictures = [Image.open(io.BytesIO(png)).convert("RGB") for png in slide.frames(frames)]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=round(1000 / fps), loop=0)
    return path
