"""Text alternatives for the course's figures: what a screen reader says instead of the picture.

Every figure convlib draws carries a description of what it shows (a small grid: its numbers;
a volume: its shapes; a photo: what the filter did). In a notebook a matplotlib figure is then
shown twice over in one output: as ``image/png`` and as ``text/html``, an ``<img>`` with that
description as its ``alt``. JupyterLab and nbconvert's HTML export prefer the HTML, so the
description is what a screen reader reads and what the exported page keeps.

A figure drawn with plain matplotlib is described by its panels' titles and axis labels (and
the grids ``plot.draw_grid`` drew in it); say more with :func:`describe`::

    fig, ax = plt.subplots()
    ax.semilogy(losses)
    describe(fig, "the loss falls from 12 to 0.001 in 200 steps")
    plt.show()

``describe(fig, "")`` marks a figure as decorative (an empty ``alt``).
"""

from __future__ import annotations

import base64
import html

import numpy as np

__all__ = ["describe", "description", "shows", "grid_text", "filter_effect", "figure_html", "install"]

ATTRIBUTE = "convlib_description"  # where a figure or an axes keeps the description it was given
CONTENT = "convlib_content"  # what convlib drew in an axes, said after the axes' title
MAX_LISTED = 100  # a grid of at most this many cells is read out number by number


def describe(figure, text):
    """Give a figure (or one axes of it) a text alternative; returns the figure.

    Parameters
    ----------
    figure : matplotlib Figure or Axes
        The whole figure, or one panel (the figure's description then reads that panel with
        this text, the other panels by their titles).
    text : str
        What the figure shows, in a sentence or a few: the numbers a reader needs, not the
        colours. ``""`` marks the figure as decorative.

    Returns
    -------
    The ``figure`` given.

    Raises
    ------
    TypeError
        If ``text`` is not a string or ``figure`` is not a matplotlib Figure or Axes.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> description(describe(fig, "a falling line: the loss")) == "a falling line: the loss"
    True
    """
    if not isinstance(text, str):
        raise TypeError(f"describe(figure, text): text must be a string saying what the figure shows; got {type(text).__name__}")
    if not (hasattr(figure, "axes") and hasattr(figure, "savefig") or hasattr(figure, "get_title")):
        raise TypeError(f"describe(figure, text): figure must be a matplotlib Figure or Axes; got {type(figure).__name__}")
    setattr(figure, ATTRIBUTE, " ".join(text.split()))
    install()
    return figure


def shows(ax, text):
    """Record what a drawing function put in ``ax`` (read after the panel's title, whatever it becomes)."""
    setattr(ax, CONTENT, " ".join(text.split()))
    install()
    return ax


def grid_text(values, name="grid", mask=None):
    """A grid said in words: its shape and, when small, its numbers row by row.

    Parameters
    ----------
    values : array_like, shape (H, W)
    name : str or None
        Said first; ``None`` for none.
    mask : array_like of bool, shape (H, W), optional
        Cells not computed yet: said as "blank".

    Returns
    -------
    str

    Examples
    --------
    >>> grid_text([[1, 0], [2, 3]], "kernel")
    'kernel, 2×2: row 0: 1, 0; row 1: 2, 3.'
    >>> grid_text(np.zeros((20, 20)), "map")
    'map, 20×20, values from 0 to 0.'
    """
    from .checks import format_number

    grid = np.asarray(values, dtype=float)
    rows, cols = grid.shape
    head = f"{name}, {rows}×{cols}" if name else f"{rows}×{cols} grid"
    if grid.size > MAX_LISTED:
        return f"{head}, values from {format_number(np.nanmin(grid))} to {format_number(np.nanmax(grid))}."
    hidden = np.zeros(grid.shape, bool) if mask is None else np.asarray(mask, bool)
    lines = ["row {}: {}".format(r, ", ".join("blank" if hidden[r, c] else format_number(grid[r, c])
                                             for c in range(cols))) for r in range(rows)]
    return f"{head}: " + "; ".join(lines) + "."


def filter_effect(kernel, photo, result, name=None):
    """What a kernel did to a photo, in words: its numbers, its sum, and how the result differs.

    Parameters
    ----------
    kernel : array_like, shape (kh, kw)
    photo : array_like, shape (H, W)
        The photo before filtering, 0-255.
    result : array_like, shape (H, W)
        The photo after filtering (before any clipping).
    name : str, optional
        A name of ``kernels.KERNELS``: its meaning is said too.

    Returns
    -------
    str

    Examples
    --------
    >>> photo = np.tile([0.0, 100.0], (4, 2))
    >>> filter_effect(np.eye(1), photo, photo)
    'kernel [1], sum 1; the result equals the photo'
    """
    from .checks import format_number
    from .kernels import DESCRIPTIONS, divisor

    kernel, photo, result = (np.asarray(a, dtype=float) for a in (kernel, photo, result))
    scale = divisor(kernel)
    numbers = "; ".join(", ".join(format_number(v) for v in row) for row in kernel * scale)
    written = f"[{numbers}]" + (f" divided by {scale}" if scale != 1 else "")
    detail = np.mean(np.abs(np.diff(result, axis=1))) / max(np.mean(np.abs(np.diff(photo, axis=1))), 1e-9)
    change = np.mean(np.abs(result - photo)) / 255 * 100
    if change < 0.05:
        did = "the result equals the photo"
    else:
        did = f"differences between neighbouring pixels {'grow' if detail > 1 else 'shrink'} to {detail:.2g} times the photo's"
        if abs(kernel.sum() - 1) < 1e-9:
            did += f", and a pixel changes by {change:.2g} % of the grey range on average"
    meaning = DESCRIPTIONS.get(name) if name else None
    return f"kernel {written}, sum {format_number(kernel.sum())}" + (f", {meaning}" if meaning else "") + f"; {did}"


def _spoken(text):
    """A title as words: one line, the star drawn as mathtext read as the ⋆ it stands for."""
    return " ".join(text.replace(r"$\bigstar$", "⋆").split())


def _own(artist):
    text = getattr(artist, ATTRIBUTE, None)
    return text if isinstance(text, str) else None


def _axes_text(ax):
    """One panel in words: its own description, or its title and what it plots."""
    own = _own(ax)
    if own is not None:
        return own
    title = _spoken(ax.get_title())
    parts = [title] if title else []
    content = getattr(ax, CONTENT, None)
    if content:
        parts.append(content)
    elif ax.lines:
        xlabel, ylabel = ax.get_xlabel(), ax.get_ylabel()
        what = "a line plot" + (f" of {ylabel}" if ylabel else "") + (f" against {xlabel}" if xlabel else "")
        parts.append(what)
    elif ax.patches and not ax.images and ax.get_xlabel():
        parts.append(f"bars against {ax.get_xlabel()}")
    return ": ".join(parts)


def description(figure):
    """The figure's text alternative: the one it was given, or one made from its panels.

    Returns
    -------
    str
        ``""`` for a figure marked decorative.
    """
    own = _own(figure)
    if own is not None:
        return own
    suptitle = getattr(figure, "_suptitle", None)
    head = _spoken(suptitle.get_text()) if suptitle is not None else ""
    panels = [text for text in (_axes_text(ax) for ax in figure.axes if ax.get_visible()) if text]
    if len(panels) > 1:
        body = f"{len(panels)} panels. " + " ".join(f"Panel {i}, {text.rstrip('.')}." for i, text in enumerate(panels, 1))
    else:
        body = "".join(panels)
    text = ". ".join(part.rstrip(".") for part in (head, body) if part) + ("." if head or body else "")
    return text or "a figure with no title"


def figure_html(png, alt, width=None):
    """An ``<img>`` of PNG bytes (or base64 text) with ``alt``: the HTML a notebook keeps."""
    data = png if isinstance(png, str) else base64.b64encode(png).decode("ascii")
    size = f' width="{int(width)}"' if width else ""
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}"{size}>'


# ------------------------------------------------------------------------------------------
# In IPython: one more representation of every matplotlib figure, the described <img>
# ------------------------------------------------------------------------------------------

_rendered = {}  # id(figure) -> (figure, PNG as the PNG formatter gave it): rendered once, used twice


def _png_of(figure, formatter):
    """The PNG formatter's output for ``figure``: ``(data, metadata)``."""
    result = formatter(figure)
    data, metadata = result if isinstance(result, tuple) else (result, {})
    return data, metadata or {}


def _described_bundle(figure):
    """The ``text/html`` of a figure: its PNG (drawn once, shared with ``image/png``) with its description."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return None
    png = shell.display_formatter.formatters["image/png"]
    try:
        printer = png.lookup(figure)
    except KeyError:
        return None  # no PNG of figures here (e.g. an SVG-only setting): leave the output alone
    if not getattr(printer, "_convlib_shares", False):
        png.for_type(type(figure), _sharing(printer))
        printer = png.lookup(figure)
    data, metadata = _png_of(figure, printer.__wrapped__)
    if data is None:
        return None
    _rendered.clear()
    _rendered[id(figure)] = (figure, data, metadata)
    return {"text/html": figure_html(data, description(figure), metadata.get("width"))}


def _sharing(printer):
    """Wrap the PNG printer so that the PNG just made for the HTML is not drawn again."""

    def shared(figure):
        kept = _rendered.pop(id(figure), None)
        if kept is not None and kept[0] is figure:
            return (kept[1], kept[2]) if kept[2] else kept[1]
        return printer(figure)

    shared._convlib_shares = True
    shared.__wrapped__ = printer
    return shared


def install():
    """Add the described ``<img>`` to every matplotlib figure a notebook shows (once; no-op outside IPython)."""
    import sys

    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    # The inline backend clears every per-type formatter of Figure when it starts (IPython's
    # select_figure_formats), which may come after this: the mime-bundle formatter is not among
    # them. Its text/html stands unless a text/html printer of Figure is registered.
    formatter = shell.display_formatter.mimebundle_formatter
    formatter.for_type_by_name("matplotlib.figure", "Figure", _described_bundle)
    return True
