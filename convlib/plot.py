"""Figures of the course: annotated grids, the sliding window, volumes, the filter-effects table.

One colour per role, in every lesson:

=============  ==========================================
role           colour
=============  ==========================================
``image``      blues: the input
``kernel``     oranges (purple-orange when it has negatives)
``feature``    greens: the convolved feature / feature map
``window``     a red frame: where the kernel is now
=============  ==========================================

Every function draws on matplotlib axes and returns what it made, so that the notebooks, the
animation and the widgets share one drawing code.
"""

from __future__ import annotations

import numpy as np
from matplotlib import patches
from matplotlib.colors import ListedColormap, to_rgb
from matplotlib import pyplot as plt

from .alternatives import describe, filter_effect, grid_text, install, shows
from .checks import as_numbers, format_number, pair, shape_triple, whole
from .checks import grid as as_grid
from .kernels import divisor

__all__ = [
    "COLORS",
    "CMAPS",
    "draw_grid",
    "show_grids",
    "highlight",
    "draw_volume",
    "show_volume",
    "effects_table",
    "show_images",
    "show_receptive_field",
    "update_grid",
    "contrast",
    "luminance",
    "ink",
]

install()  # figures shown in a notebook carry their description as an <img alt>

COLORS = {"image": "#1f77b4", "kernel": "#ff7f0e", "feature": "#2ca02c", "window": "#d62728"}
CMAPS = {"image": "Blues", "kernel": "Oranges", "feature": "Greens", "signed": "PuOr_r", "photo": "gray"}
_FULL_RANGE = {"photo"}  # roles whose colour map is used whole (text colour adapts instead)
# Above this many cells the numbers are left out (a note says so): they could not be read, and
# writing each one costs about a millisecond.
MAX_ANNOTATED = 32 * 32
# The part of a colour map a grid uses, so that black numbers stay legible on every cell: the
# lighter 65 % of a one-sided map, the middle 60 % of the diverging one (0 stays in its middle).
_LIGHTER = (0.0, 0.65)
_LIGHTER_SIGNED = (0.2, 0.8)
TABLE_DPI = 100  # the filter-effects table: photos fine enough to compare close up


def _panel(panel, index, where):
    """``(values, title, extra)`` from a panel tuple, or a TypeError saying what a panel is."""
    if not isinstance(panel, (tuple, list)) or len(panel) not in (2, 3) or not isinstance(panel[1], str):
        got = f"an array of shape {np.shape(panel)}" if isinstance(panel, np.ndarray) else repr(panel)[:60]
        raise TypeError(f"{where}: each panel is (values, title) or (values, title, {'role' if where == 'show_grids' else '(vmin, vmax)'}); "
                        f"panel {index + 1} is {got}. For example {where}((image, \"image\"), (kernel, \"kernel\"))")
    return panel[0], panel[1], panel[2] if len(panel) == 3 else None


def draw_grid(ax, values, *, role="image", title=None, annotate=True, vmin=None, vmax=None,
              mask=None, fontsize=None, offset=(0, 0)):
    """Draw a 2-D array as a grid of coloured cells, each with its number written in it.

    Parameters
    ----------
    ax : matplotlib Axes
    values : array_like, shape (H, W)
    role : {'image', 'kernel', 'feature'}
        Picks the colour map (see ``CMAPS``); values below zero switch to a diverging map
        centred on zero.
    title : str, optional
    annotate : bool
        Write each cell's number; grids of more than ``MAX_ANNOTATED`` cells are drawn without
        them, with a note under the grid.
    vmin, vmax : float, optional
        Colour limits; by default those of the values (0 to 1 at least; from -m to m, m the
        largest size, when some are negative). They are the artist's true limits: a colour bar
        made from it reads the values (the grid uses only the lighter part of its colour map,
        where written numbers stay legible).
    mask : array_like of bool, shape (H, W), optional
        Cells to leave blank (not yet computed): drawn white, without a number.
    fontsize : float, optional
        Size of the numbers; by default it shrinks as the grid grows.
    offset : (int, int)
        Row and column labels start at these numbers (e.g. -1 for a padded image).

    Returns
    -------
    matplotlib.image.AxesImage
    """
    grid = as_grid(values, "values", "draw_grid")
    if role not in CMAPS and role not in plt.colormaps():
        raise ValueError(f"role must be one of {', '.join(CMAPS)} (or a matplotlib colour map); got {role!r}")
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != grid.shape:
            raise ValueError(f"mask must have the grid's shape {grid.shape}; got {mask.shape}")
    if not isinstance(offset, (tuple, list)) or len(offset) != 2:
        raise TypeError(f"offset must be a (rows, cols) pair of whole numbers, like (-1, -1); got {offset!r}")
    lo = np.nanmin(grid) if vmin is None else vmin
    hi = np.nanmax(grid) if vmax is None else vmax
    cmap, part = CMAPS.get(role, role), _LIGHTER
    if lo < 0 and vmin is None:  # zero in the middle, as far each way
        bound = max(abs(lo), abs(hi)) or 1.0
        lo, hi, cmap, part = -bound, bound, CMAPS["signed"], _LIGHTER_SIGNED
    else:
        if vmin is None:
            lo, hi = min(lo, 0.0), max(hi, 1.0)
        if hi <= lo:
            hi = lo + 1.0
        if role in _FULL_RANGE:
            part = (0.0, 1.0)
    shown = np.ma.masked_array(grid, mask=np.zeros_like(grid, bool) if mask is None else mask)
    colormap = _lighter_part(cmap, part).with_extremes(bad="white")
    artist = ax.imshow(shown, cmap=colormap, vmin=lo, vmax=hi)
    rows, cols = grid.shape
    ax.set_xticks(np.arange(cols))
    ax.set_yticks(np.arange(rows))
    ax.set_xticklabels([str(c + offset[1]) for c in range(cols)], fontsize=8)
    ax.set_yticklabels([str(r + offset[0]) for r in range(rows)], fontsize=8)
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(cols + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="#888888", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_color("#888888")
    artist.cell_texts = []
    artist.cell_fontsize = fontsize or max(6, 16 - max(rows, cols))
    if annotate and grid.size > MAX_ANNOTATED:
        ax.set_xlabel(f"numbers not written: {rows}×{cols} cells are too many to read", fontsize=8)
    elif annotate:
        _annotate(ax, artist, grid, mask)
    shows(ax, grid_text(grid, None, mask))
    if title:
        ax.set_title(title, fontsize=11)
    return artist


def _lighter_part(name, part):
    """The colour map ``name`` cut to the fraction ``part`` = (start, end) of its colours.

    The darkest part of a colour map would hide black numbers, so a grid uses only the lighter
    part; cutting the map, not stretching the limits, keeps the limits the true ones, and a
    colour bar drawn from the grid reads the values the grid holds.
    """
    if part == (0.0, 1.0):
        return plt.get_cmap(name)
    colours = plt.get_cmap(name)(np.linspace(part[0], part[1], 256))
    return ListedColormap(colours, name=f"{name} ({part[0]:g}-{part[1]:g} of it)")


def luminance(colour):
    """WCAG 2.1 relative luminance of a colour (anything matplotlib reads), from 0 (black) to 1 (white).

    Examples
    --------
    >>> luminance("black"), luminance("white")
    (0.0, 1.0)
    """
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(first, second):
    """WCAG 2.1 contrast ratio of two colours (anything matplotlib reads), from 1 to 21.

    Examples
    --------
    >>> round(contrast("white", "black"), 1), round(contrast("#767676", "white"), 2)
    (21.0, 4.54)
    """
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# White text contrasts more than black with a colour of luminance L when 1.05 / (L + 0.05) >
# (L + 0.05) / 0.05, that is when L < sqrt(1.05 * 0.05) - 0.05
WHITE_BELOW = (1.05 * 0.05) ** 0.5 - 0.05


def ink(colour):
    """``"black"`` or ``"white"``, whichever contrasts more with ``colour`` (:func:`contrast`).

    Examples
    --------
    >>> ink("#4292c6"), ink("navy"), ink("white")
    ('black', 'white', 'black')
    """
    return "white" if luminance(colour) < WHITE_BELOW else "black"


def _annotate(ax, artist, grid, mask):
    """Write each cell's number in black or white, whichever contrasts more with its colour
    (:func:`contrast`); masked cells stay blank.

    The numbers sit inside their cells, so a layout engine need not measure them (``in_layout=False``):
    on a figure of many written grids that is most of its layout time.
    """
    colormap, size = artist.get_cmap(), artist.cell_fontsize
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            if mask is not None and mask[r, c]:
                continue
            artist.cell_texts.append(ax.text(c, r, format_number(grid[r, c]), ha="center", va="center", fontsize=size,
                                             color=ink(colormap(artist.norm(grid[r, c]))), in_layout=False))


def update_grid(artist, values, *, mask=None):
    """Show new ``values`` (same shape) in a grid drawn by :func:`draw_grid`, keeping its axes as they are.

    Much cheaper than drawing the grid again (no new axes, ticks or colour map): what an
    animation does at every frame.

    Parameters
    ----------
    artist : the AxesImage that ``draw_grid`` returned
    values : array_like, shape (H, W)
    mask : array_like of bool, shape (H, W), optional
        Cells to leave blank.
    """
    grid = np.asarray(values, dtype=float)
    old = artist.get_array()
    if grid.shape != old.shape:
        raise ValueError(f"update_grid keeps the grid's shape {old.shape}; got {grid.shape}")
    hidden = np.zeros(grid.shape, bool) if mask is None else np.asarray(mask, bool)
    artist.set_data(np.ma.masked_array(grid, mask=hidden))
    for text in artist.cell_texts:
        text.remove()
    artist.cell_texts = []
    ax = artist.axes
    if grid.size <= MAX_ANNOTATED:
        _annotate(ax, artist, grid, hidden)
    shows(ax, grid_text(grid, None, hidden))
    return artist


def highlight(ax, top, left, height, width, *, color=None, linewidth=3, label=None):
    """Frame the cells ``[top:top+height, left:left+width]`` of a grid drawn by ``draw_grid``."""
    top, left = pair((top, left), "(top, left)", minimum=-(2**31))
    height, width = whole(height, "height"), whole(width, "width")
    frame = patches.Rectangle(
        (left - 0.5, top - 0.5), width, height, fill=False,
        edgecolor=color or COLORS["window"], linewidth=linewidth, zorder=5, label=label,
    )
    ax.add_patch(frame)
    return frame


def show_grids(*panels, figsize=None, suptitle=None):
    """Several annotated grids side by side: ``show_grids((image, "image"), (kernel, "kernel", "kernel"))``.

    Each panel is ``(values, title)`` or ``(values, title, role)``; ``role`` as in ``draw_grid``.

    Returns
    -------
    matplotlib Figure
    """
    if not panels:
        raise ValueError("show_grids needs at least one (values, title) panel")
    panels = [_panel(p, i, "show_grids") for i, p in enumerate(panels)]
    grids = [as_grid(values, f"panel {i + 1}", "show_grids") for i, (values, _, _) in enumerate(panels)]
    widths = [g.shape[1] for g in grids]
    fig, axes = plt.subplots(
        1, len(panels), figsize=figsize or (min(10, 1.2 + 0.62 * sum(widths) + 0.5 * len(panels)), 3.2),
        gridspec_kw={"width_ratios": widths}, squeeze=False, layout="constrained",
    )
    for ax, values, (_, title, role) in zip(axes[0], grids, panels):
        draw_grid(ax, values, role=role or "image", title=title)
    if suptitle:
        fig.suptitle(suptitle, fontsize=12)
    return fig


def show_images(*panels, figsize=None, suptitle=None, cols=None, colorbar=False):
    """Photos side by side, without axes: ``show_images((photo, "original"), (edges, "edges"))``.

    Grayscale panels are drawn in gray, from their own minimum to maximum unless the panel
    gives ``(values, title, (vmin, vmax))``. ``colorbar=True`` adds one grey scale with its
    numbers, for panels that share their limits (to be added up or compared).
    """
    if not panels:
        raise ValueError("show_images needs at least one (values, title) panel")
    panels = [_panel(p, i, "show_images") for i, p in enumerate(panels)]
    for i, (values, _, _) in enumerate(panels):
        shape = np.shape(as_numbers(values, f"panel {i + 1}"))
        if not (len(shape) == 2 or len(shape) == 3 and shape[2] in (3, 4)) or 0 in shape:
            raise ValueError(f"show_images shows photos (H, W) or (H, W, 3); panel {i + 1} has shape {shape}")
    cols = whole(cols, "cols") if cols is not None else len(panels)
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=figsize or (3.0 * cols, 3.2 * rows),
                             squeeze=False, layout="constrained")
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, panel in zip(axes.flat, panels):
        values = np.asarray(panel[0])
        limits = panel[2] or (None, None)
        if values.ndim == 2:
            artist = ax.imshow(values, cmap="gray", vmin=limits[0], vmax=limits[1])
            lo, hi = artist.get_clim()
            shows(ax, f"grey image {values.shape[0]}×{values.shape[1]}, black {format_number(lo)} to white "
                      f"{format_number(hi)}; its values run from {format_number(values.min())} to {format_number(values.max())}")
        else:
            ax.imshow(values)
            shows(ax, f"colour image {values.shape[0]}×{values.shape[1]}")
        ax.set_title(_glyphs(panel[1]), fontsize=10)
    if colorbar:
        shown = [ax.images[0] for ax in axes.flat if ax.images and ax.images[0].get_array().ndim == 2]
        if shown:
            bar = fig.colorbar(shown[-1], ax=list(axes.flat), shrink=0.8, pad=0.02)
            lo, hi = shown[-1].get_clim()
            shows(bar.ax, f"colour bar: one grey scale, black {format_number(lo)} to white {format_number(hi)}")
    if suptitle:
        fig.suptitle(_glyphs(suptitle), fontsize=12)
    return fig


def _glyphs(text):
    """Titles as matplotlib can draw them: the star operator ⋆ is a dot in its font, so a larger star."""
    return text.replace("⋆", r"$\bigstar$") if "⋆" in text and "$" not in text else text


def show_receptive_field(n_layers=3, f=3, *, dilation=1):
    """Trace one output back through ``n_layers`` stacked ``f`` x ``f`` layers to the input.

    Panels from the output (one pixel) back to the input: each cell holds how many paths lead
    from it to that output, computed by sliding a kernel of ones (``conv2d``, 'same' padding)
    over the panel before it; the cells that are not zero are the receptive field, whose side
    grows by ``(f - 1) * dilation`` per layer.

    Returns
    -------
    matplotlib Figure
    """
    from .conv import conv2d

    n_layers, f, dilation = whole(n_layers, "n_layers"), whole(f, "f"), whole(dilation, "dilation")
    side = 1 + n_layers * (f - 1) * dilation
    if side > 15:
        raise ValueError(f"the receptive field would be {side}x{side}: too large to draw; use fewer or smaller layers")
    size = side + 2
    counts = np.zeros((size, size), dtype=int)
    counts[size // 2, size // 2] = 1
    panels = [counts]
    for _ in range(n_layers):
        panels.append(conv2d(panels[-1], np.ones((f, f), dtype=int), padding="same", dilation=dilation))
    fig, axes = plt.subplots(1, n_layers + 1, figsize=(3.1 * (n_layers + 1), 3.6), layout="constrained")
    for i, (ax, grid) in enumerate(zip(axes, panels)):
        width = 1 + i * (f - 1) * dilation
        where = "the output" if i == 0 else ("the input" if i == n_layers else f"layer {n_layers - i}'s output")
        draw_grid(ax, grid, role="feature" if i == 0 else "image", mask=grid == 0, fontsize=8 if size > 9 else 10)
        ax.set_title(f"{where}\nspans {width}×{width}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    title = f"one output of {n_layers} stacked {f}×{f} layers" + (f", dilation {dilation}" if dilation > 1 else "")
    fig.suptitle(title + ": numbers = paths from that pixel to the output", fontsize=11)
    fig.get_layout_engine().set(h_pad=0.15)  # room between the suptitle and the panels' two-line titles
    reached = int(np.count_nonzero(panels[-1][1:-1, 1:-1]))
    describe(fig, f"{title[0].upper()}{title[1:]}, traced back to the input. "
                  + " ".join(f"{ax.get_title().splitlines()[0].capitalize()}: spans {1 + i * (f - 1) * dilation}×"
                             f"{1 + i * (f - 1) * dilation}." for i, ax in enumerate(axes))
                  + f" On the input, {reached} of the {side * side} pixels of that {side}×{side} square lead to the "
                  f"output, by 1 to {int(panels[-1].max())} paths"
                  + (f"; the other {side * side - reached} never do." if reached < side * side else ".")
                  + (" " + grid_text(panels[-1], "Paths per input pixel", panels[-1] == 0) if panels[-1].size <= 81 else ""))
    return fig


# --------------------------------------------------------------------------------------------
# Volumes: a picture of (H, W, C) boxes, as in CS231n's notes
# --------------------------------------------------------------------------------------------


def _box(ax, x, y, width, height, depth, color, alpha=0.35, edge="black", zorder=1):
    """An oblique drawing of a box: front face width x height, depth going up and right."""
    dx, dy = 0.5 * depth, 0.35 * depth
    front = [(x, y), (x + width, y), (x + width, y + height), (x, y + height)]
    top = [(x, y + height), (x + width, y + height), (x + width + dx, y + height + dy), (x + dx, y + height + dy)]
    side = [(x + width, y), (x + width + dx, y + dy), (x + width + dx, y + height + dy), (x + width, y + height)]
    for face, shade in ((front, 1.0), (top, 0.8), (side, 0.65)):
        ax.add_patch(patches.Polygon(face, closed=True, facecolor=color, alpha=alpha * shade + 0.1,
                                     edgecolor=edge, linewidth=1, zorder=zorder))
    return dx, dy


def draw_volume(ax, input_shape, kernel_shape, n_filters, output_shape, *, scale=None):
    """Input volume, one filter through its full depth, and the output volume of the layer.

    Parameters
    ----------
    ax : matplotlib Axes
    input_shape : (H, W, C)
    kernel_shape : (kh, kw, C)
    n_filters : int
    output_shape : (H', W', K)
    """
    height, width, channels = shape_triple(input_shape, "input_shape")
    kh, kw, kc = shape_triple(kernel_shape, "kernel_shape", "(kh, kw, C)")
    out_h, out_w, out_k = shape_triple(output_shape, "output_shape", "(H', W', K)")
    n_filters = whole(n_filters, "n_filters")
    if kc != channels:
        raise ValueError(f"a filter goes through the full depth of its input: kernel_shape {kernel_shape} has depth "
                         f"{kc} but input_shape {input_shape} has {channels} channels")
    if out_k != n_filters:
        raise ValueError(f"each filter gives one activation map: {n_filters} filters make an output of depth "
                         f"{n_filters}, but output_shape {output_shape} has depth {out_k}")
    unit = scale or 4.0 / max(height, width, out_h, out_w)
    depth_unit = 0.6  # one channel or one map, drawn this deep
    # the input volume
    _box(ax, 0, 0, width * unit, height * unit, channels * depth_unit * 1.5, COLORS["image"])
    ax.text(width * unit / 2, -0.35, f"input {height}×{width}×{channels}", ha="center", va="top", fontsize=10)
    # one filter, through the full depth, near the top left corner of the input
    fx, fy = 0.6, (height - kh) * unit - 0.6
    _box(ax, fx, fy, kw * unit, kh * unit, kc * depth_unit * 1.5, COLORS["kernel"], alpha=0.7, zorder=3)
    ax.annotate(f"filter {kh}×{kw}×{kc}\n(the full depth)", xy=(fx + kw * unit, fy + kh * unit),
                xytext=(fx + kw * unit + 0.8, height * unit + 1.6), fontsize=9, ha="left",
                arrowprops=dict(arrowstyle="->", color=COLORS["kernel"]))
    # the output volume: one thin map per filter
    ox = width * unit + channels * depth_unit * 0.75 + 2.2
    maps = min(out_k, 12)
    step = out_k * depth_unit * 1.0 / maps
    for k in range(maps):
        _box(ax, ox + k * 0.5 * step, k * 0.35 * step, out_w * unit, out_h * unit, step * 0.8,
             COLORS["feature"], alpha=0.25, zorder=2 + k)
    ax.text(ox + out_w * unit / 2, -0.35, f"output {out_h}×{out_w}×{out_k}\n({n_filters} activation maps)",
            ha="center", va="top", fontsize=10)
    # one position of the filter gives one number: the cell of the first map under it
    cell = max(unit, 0.22)
    row = col = int(round(0.6 / unit))
    cx, cy = ox + col * unit, (out_h - 1 - row) * unit
    ax.add_patch(patches.Rectangle((cx, cy), cell, cell, facecolor=COLORS["kernel"], edgecolor="black",
                                   linewidth=1, zorder=40))
    ax.annotate(f"one position → one number:\n{kh}·{kw}·{kc} products + bias", xy=(cx + cell / 2, cy + cell / 2),
                xytext=(ox + out_w * unit + out_k * depth_unit * 0.5 + 0.3, -0.9), fontsize=8.5, ha="left",
                va="center", zorder=41,
                arrowprops=dict(arrowstyle="->", color=COLORS["kernel"]))
    ax.annotate("", xy=(ox - 0.2, height * unit / 2), xytext=(width * unit + channels * depth_unit * 0.75 + 0.3, height * unit / 2),
                arrowprops=dict(arrowstyle="-|>", color="black", linewidth=1.5))
    ax.text((width * unit + ox) / 2 + 0.3, height * unit / 2 + 0.25, "conv", ha="center", fontsize=10)
    ax.set_xlim(-0.5, ox + out_w * unit + out_k * depth_unit * 0.5 + 3.4)
    ax.set_ylim(-1.9, max(height, out_h) * unit + 2.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    shows(ax, f"an input volume {height}×{width}×{channels}; one filter {kh}×{kw}×{kc} through its full depth "
              f"(one position gives one number: {kh}·{kw}·{kc} products plus a bias); an arrow labelled conv to the "
              f"output volume {out_h}×{out_w}×{out_k}, {n_filters} activation maps, one per filter")
    return ax


def show_volume(input_shape, kernel_shape, n_filters, output_shape, *, title=None):
    """A figure with :func:`draw_volume`."""
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    draw_volume(ax, input_shape, kernel_shape, n_filters, output_shape)
    if title:
        ax.set_title(title, fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# The filter-effects table
# --------------------------------------------------------------------------------------------


def effects_table(image, kernels, *, conv=None, title=None, clip=True, zoom=None):
    """A table figure: one row per kernel, its name, its numbers, and the filtered image.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A grayscale photo, values 0-255.
    kernels : dict of name -> array (kh, kw)
    conv : callable, optional
        ``conv(image, kernel) -> (H, W)``; by default ``conv2d(..., padding='same')``.
    clip : bool
        Show results clipped to 0-255, as an image viewer would; edge detectors show their
        absolute response instead.
    zoom : (top, left, size), optional
        Add a column with that square of each result, enlarged (pixels drawn as blocks): a blur
        and the original look alike small and differ close up.

    Returns
    -------
    matplotlib Figure
    """
    from .conv import conv2d

    photo = as_numbers(image, "image").astype(float)
    if photo.ndim != 2:
        raise ValueError(f"effects_table takes a grayscale photo (H, W); got shape {photo.shape}")
    conv = conv or (lambda im, k: conv2d(im, k, padding="same"))
    if not isinstance(kernels, dict) or not kernels:
        raise TypeError(f"kernels must be a dict of name -> 2-D kernel, like {{'sharpen': kernel('sharpen')}}; "
                        f"got {type(kernels).__name__}")
    kernels = {str(name): as_grid(k, f"kernel {name!r}", "effects_table") for name, k in kernels.items()}
    if zoom is not None:
        if not isinstance(zoom, (tuple, list)) or len(zoom) != 3:
            raise TypeError(f"zoom must be (top, left, size) in pixels; got {zoom!r}")
        top, left = pair((zoom[0], zoom[1]), "zoom's (top, left)", minimum=0)
        size = whole(zoom[2], "zoom's size")
        if top + size > photo.shape[0] or left + size > photo.shape[1]:
            raise ValueError(f"zoom {zoom} reaches outside the {photo.shape[0]}x{photo.shape[1]} photo")
    n = len(kernels)
    rows_said = []
    heads = ["operation", "kernel\n(purple < 0 < orange)", "image result"] + (["close-up"] if zoom is not None else [])
    widths = [1.3, 1.1, 1.6] + ([1.6] if zoom is not None else [])
    fig = plt.figure(figsize=(7.2 + (2.4 if zoom is not None else 0), 2.25 * n + 0.5), dpi=TABLE_DPI,
                     layout="constrained")
    grid = fig.add_gridspec(n + 1, len(heads), width_ratios=widths, height_ratios=[0.26] + [1] * n)
    for col, head in enumerate(heads):
        ax = fig.add_subplot(grid[0, col])
        ax.set_axis_off()
        ax.text(0.5, 0.5, head, ha="center", va="center", fontsize=12, fontweight="bold")
    for row, (name, k) in enumerate(kernels.items(), start=1):
        name_ax = fig.add_subplot(grid[row, 0])
        name_ax.set_axis_off()
        name_ax.text(0.5, 0.5, name.replace(" (", "\n("), ha="center", va="center", fontsize=11, wrap=True)
        k = np.asarray(k, dtype=float)
        # write 1/9 and 1/16 kernels as whole numbers times a fraction
        scale = divisor(k)
        kernel_ax = fig.add_subplot(grid[row, 1])
        draw_grid(kernel_ax, k * scale, role="kernel", fontsize=10)
        kernel_ax.set_xticks([])
        kernel_ax.set_yticks([])
        if scale != 1:
            kernel_ax.set_title(f"× 1/{scale}", fontsize=10)
        result = conv(photo, k)
        image_ax = fig.add_subplot(grid[row, 2])
        image_ax.set_axis_off()
        if clip and k.sum() > 0.5:
            shown, limits = np.clip(result, 0, 255), (0, 255)
            scale_note = "grey: 0 black … 255 white (clipped)"
        else:  # edge detectors sum to zero: show how strongly they respond
            shown, limits = np.abs(result), (0, np.percentile(np.abs(result), 99.5))
            scale_note = f"grey: |response| 0 black … {format_number(limits[1])} white"
        image_ax.imshow(shown, cmap="gray", vmin=limits[0], vmax=limits[1])
        # two grey scales in one table: each result says which one it is drawn on
        image_ax.text(0.5, -0.02, scale_note, transform=image_ax.transAxes, ha="center", va="top", fontsize=9)
        rows_said.append(f"{name}: {filter_effect(k, photo, result, name)}; {scale_note}.")
        if zoom is not None:
            image_ax.add_patch(patches.Rectangle((left - 0.5, top - 0.5), size, size, fill=False,
                                                 edgecolor=COLORS["window"], linewidth=1.5))
            zoom_ax = fig.add_subplot(grid[row, 3])
            zoom_ax.set_axis_off()
            zoom_ax.imshow(shown[top:top + size, left:left + size], cmap="gray", vmin=limits[0], vmax=limits[1],
                           interpolation="nearest")
    if title:
        fig.suptitle(title, fontsize=13)
    describe(fig, (f"{title}. " if title else "") + f"The filter-effects table: {n} kernels applied to a "
             f"{photo.shape[0]}×{photo.shape[1]} grey photo" + (", with a close-up of each result" if zoom else "")
             + ". " + " ".join(rows_said))
    return fig
