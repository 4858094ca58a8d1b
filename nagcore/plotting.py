"""Matplotlib helpers shared by every chapter: one palette, one style, small drawing functions.

Nothing happens on import. A chapter calls :func:`use_style` once, explicitly. Every drawing
function takes an ``ax`` and returns the artists it drew; start points, windows and levels come
from the :class:`~nagcore.problems.Problem`, not from constants hidden in here.

Figures are sized for the page they appear on. The site shows a figure at 100 CSS pixels per
inch, at most :data:`FIGURE_WIDTH` inches wide, so that it fits the text column on a laptop and is
shrunk by no more than about a third on a 390 px phone; with :func:`use_style`'s 10 pt text every
label stays at least 9 CSS pixels tall there. :func:`subplots` enforces that width and at most two
panels per row, and :func:`png_for_screen` renders at twice the pixel density, sharp on
high-density screens.
"""

from __future__ import annotations

import io

import matplotlib as mpl
import numpy as np

from nagcore.problems import Problem

__all__ = [
    "COLORS",
    "METHOD_KEYS",
    "PALETTE",
    "FIGURE_WIDTH",
    "CSS_PX_PER_INCH",
    "PIXEL_DENSITY",
    "use_style",
    "subplots",
    "png_for_screen",
    "contour",
    "path",
    "curve",
    "gap_curve",
    "mark_minimum",
    "arrow",
    "stability_map",
    "region_legend",
    "rate_heatmap",
]

#: Okabe and Ito's colour-blind-safe palette (Okabe & Ito, 2008), in the order the book uses it.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

#: One colour per method, shared by every chapter's static figures and by the interactive widgets.
#: A method keeps its colour on every page of the book; keys that are not methods (the look-ahead
#: point, the loss surface, an accent for annotations) never reuse a method's colour.
COLORS = {
    "gd": PALETTE[0],  # blue: gradient descent (full batch, mini-batch or stochastic)
    "momentum": PALETTE[1],  # orange: heavy-ball momentum
    "nesterov": PALETTE[2],  # bluish green: Nesterov's accelerated gradient
    "restart": "#117733",  # dark green (Tol): Nesterov with adaptive restart
    "adam": PALETTE[4],  # sky blue
    "rmsprop": "#882255",  # wine (Tol)
    "nadam": PALETTE[7],  # black
    "lookahead": PALETTE[3],  # reddish purple: the look-ahead point and its gradient
    "accent": PALETTE[5],  # vermillion: annotations, the current setting, "oscillating"
    "surface": "#9a9a9a",
    "diverging": "#e6e6e6",  # light grey for settings that diverge (rate maps)
}

#: The keys of :data:`COLORS` that name optimization methods (each has a colour no other key uses).
METHOD_KEYS = ("gd", "momentum", "nesterov", "restart", "adam", "rmsprop", "nadam")


#: Widest figure, in inches. Pages show figures at :data:`CSS_PX_PER_INCH`, so this is 550 CSS px:
#: inside the text column at 1280 px, and scaled by 358/550 = 0.65 on a 390 px phone.
FIGURE_WIDTH = 5.5

#: CSS pixels per inch of figure on the page (matplotlib's default figure dpi).
CSS_PX_PER_INCH = 100

#: Image pixels per CSS pixel: 2 keeps lines and labels sharp on high-density (retina) screens.
PIXEL_DENSITY = 2

_STYLE = {
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "font.size": 10,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "figure.dpi": CSS_PX_PER_INCH,
    "savefig.dpi": CSS_PX_PER_INCH * PIXEL_DENSITY,
    "figure.figsize": (FIGURE_WIDTH, 3.4),
    "figure.constrained_layout.use": True,
    "image.cmap": "cividis",
}


def use_style() -> None:
    """Set the book's matplotlib style (palette, grid, text sizes). Call it once, near the top of a chapter.

    In a notebook it also makes figures display through :func:`png_for_screen`: twice the pixels,
    shown at their size in CSS pixels (so the page can shrink them on a narrow screen).
    """
    mpl.rcParams.update(_STYLE)
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing is displayed
        return
    shell = get_ipython()
    if shell is not None:
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        # Load the backend now: the inline backend registers its own PNG formatter when it loads,
        # which would otherwise replace this one at the first figure.
        plt.switch_backend(mpl.get_backend())
        shell.display_formatter.formatters["image/png"].for_type(Figure, png_for_screen)


def subplots(nrows: int = 1, ncols: int = 1, *, height: float = 3.0, **kwargs):
    """``plt.subplots`` at the book's :data:`FIGURE_WIDTH`, with at most two panels per row.

    Two panels side by side are each about 2.6 inches wide, still readable on a phone; a third would
    not be, so wider layouts raise. Stack more panels in rows instead.

    Args:
      nrows, ncols: the panel grid; ``ncols`` is 1 or 2.
      height: height of one row of panels, in inches.
      **kwargs: passed on to ``plt.subplots`` (``sharex``, ``gridspec_kw``, ...).

    Returns:
      ``(fig, axes)`` as ``plt.subplots`` returns them.

    Example:
      >>> fig, axes = subplots(2, 2, height=2.4)
      >>> fig.get_size_inches().tolist(), axes.shape
      ([5.5, 4.8], (2, 2))
    """
    if ncols not in (1, 2):
        raise ValueError(f"ncols must be 1 or 2 (wider rows are unreadable on a phone), got {ncols!r}")
    if not (isinstance(nrows, int) and nrows >= 1):
        raise ValueError(f"nrows must be an integer >= 1, got {nrows!r}")
    if not height > 0:
        raise ValueError(f"height must be > 0 inches, got {height!r}")
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, figsize=(FIGURE_WIDTH, height * nrows), **kwargs)


def png_for_screen(fig) -> tuple[bytes, dict]:
    """Render ``fig`` as a PNG at :data:`PIXEL_DENSITY` times its size on the page.

    Unless the figure shades something with a continuous colour map, the image is reduced to a
    256-colour palette (line plots use far fewer colours), which keeps a sharp double-density PNG
    smaller than a plain one. The returned metadata gives the width in CSS pixels and no height, so
    the page keeps the aspect ratio when it narrows the image.

    Returns:
      ``(png_bytes, {"width": css_pixels})``, the form IPython's display formatters accept.

    Example:
      >>> import matplotlib.figure
      >>> fig = matplotlib.figure.Figure(figsize=(4, 2))
      >>> data, meta = png_for_screen(fig)
      >>> data[:4], meta
      (b'\\x89PNG', {'width': 400})
    """
    from matplotlib.cm import ScalarMappable
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=CSS_PX_PER_INCH * PIXEL_DENSITY, facecolor="white")
    image = Image.open(raw).convert("RGB")
    artists = [a for ax in fig.axes for a in (*ax.collections, *ax.images)]
    if not any(isinstance(a, ScalarMappable) and a.get_cmap().N > 16 for a in artists):
        # no continuous colour map, whose shading a palette would turn into bands
        image = image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    return out.getvalue(), {"width": round(image.width / PIXEL_DENSITY)}


def contour(ax, problem: Problem, *, levels: int = 14, resolution: int = 200, log: bool = True):
    """Draw level sets of a 2-D problem over ``problem.bounds``.

    Levels are spaced geometrically in :math:`f - f^\\star` (``log=True``) so that both the
    steep walls and the flat valley floor show.

    Returns:
      The ``QuadContourSet``.
    """
    if problem.dim != 2:
        raise ValueError(f"problem must be 2-D to draw contours, got dim={problem.dim}")
    (x_lo, x_hi), (y_lo, y_hi) = problem.bounds
    gx, gy = np.meshgrid(np.linspace(x_lo, x_hi, resolution), np.linspace(y_lo, y_hi, resolution))
    gap = problem.f(np.stack([gx, gy], axis=-1)) - problem.f_star
    if log:
        top = np.percentile(gap, 95)
        lv = np.geomspace(max(top * 1e-4, 1e-12), top, levels)
    else:
        lv = np.linspace(0, np.percentile(gap, 95), levels)
    return ax.contour(gx, gy, gap, levels=lv, colors=COLORS["surface"], linewidths=0.7)


def path(ax, xs, *, color, label=None, marker="o", markersize=3, **kwargs):
    """Draw a 2-D trajectory ``xs`` of shape ``(steps + 1, 2)`` as a line through its iterates.

    Returns:
      The list of ``Line2D`` objects.
    """
    xs = np.asarray(xs)
    return ax.plot(xs[:, 0], xs[:, 1], color=color, label=label, marker=marker, markersize=markersize, linewidth=1.2, **kwargs)


def curve(ax, problem: Problem, *, resolution: int = 400, **kwargs):
    """Draw the graph of a 1-D problem over ``problem.bounds``.

    Returns:
      The list of ``Line2D`` objects.
    """
    if problem.dim != 1:
        raise ValueError(f"problem must be 1-D to draw its curve, got dim={problem.dim}")
    xs = np.linspace(*problem.bounds[0], resolution)[:, None]
    return ax.plot(xs[:, 0], problem.f(xs), color=COLORS["surface"], **kwargs)


def gap_curve(ax, values, f_star: float, *, color, label=None, **kwargs):
    """Draw :math:`f(\\theta_k) - f^\\star` against the step ``k`` on a log scale.

    Returns:
      The list of ``Line2D`` objects.
    """
    gap = np.asarray(values) - f_star
    steps = np.arange(gap.shape[0])
    ax.set_yscale("log")
    return ax.plot(steps, np.where(gap > 0, gap, np.nan), color=color, label=label, **kwargs)


def arrow(ax, start, end, *, color, label=None, linestyle="-", linewidth=2.0):
    """Draw an arrow from ``start`` to ``end`` (2-D points) with a legend entry ``label``.

    Returns:
      The ``Annotation`` holding the arrow.
    """
    drawn = ax.annotate(
        "",
        xy=tuple(end),
        xytext=tuple(start),
        arrowprops=dict(arrowstyle="-|>", color=color, lw=linewidth, linestyle=linestyle, shrinkA=0, shrinkB=0, mutation_scale=14),
    )
    if label is not None:
        ax.plot([], [], color=color, lw=linewidth, linestyle=linestyle, label=label)
    return drawn


def mark_minimum(ax, problem: Problem, **kwargs):
    """Mark ``problem.x_star`` with a star (2-D) or a vertical line (1-D).

    Returns:
      The artist drawn.
    """
    if problem.dim == 1:
        return ax.axvline(problem.x_star[0], color="black", linewidth=0.8, linestyle=":", **kwargs)
    return ax.plot(*problem.x_star, marker="*", markersize=12, color="black", linestyle="none", **kwargs)[0]


#: Region codes of :func:`stability_map`, with their colours (none of them a method's colour).
REGIONS = {0: ("monotone", PALETTE[6]), 1: ("oscillating", COLORS["accent"]), 2: ("diverging", COLORS["diverging"])}


def stability_map(ax, h, momentum, regions, boundary=None):
    """Colour a (``h``, ``momentum``) plane by the fate of one eigen-direction.

    Args:
      ax: the axes.
      h: learning rate times curvature, shape ``(N,)`` (horizontal axis).
      momentum: momenta, shape ``(M,)`` (vertical axis).
      regions: int codes of shape ``(M, N)``, keys of :data:`REGIONS` (0 monotone, 1 oscillating, 2 diverging).
      boundary: optional ``h`` of the stability boundary per momentum, drawn dashed.

    Returns:
      The ``QuadMesh``; :func:`region_legend` gives matching legend handles.
    """
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap([REGIONS[k][1] for k in sorted(REGIONS)])
    mesh = ax.pcolormesh(h, momentum, regions, cmap=cmap, vmin=-0.5, vmax=len(REGIONS) - 0.5, alpha=0.7, shading="nearest", rasterized=True)
    if boundary is not None:
        ax.plot(boundary, momentum, color="black", linestyle="--", linewidth=1.2)
    ax.grid(False)
    return mesh


def region_legend():
    """Legend handles for the colours of :func:`stability_map`."""
    from matplotlib.patches import Patch

    return [Patch(color=colour, alpha=0.7, label=name) for name, colour in REGIONS.values()]


def _stretch_near_one(values):
    return -np.log10(1.0 - np.asarray(values))


def _unstretch(values):
    return 1.0 - 10.0 ** -np.asarray(values)


def rate_heatmap(ax, lr, momentum, steps, *, tuned=None, vmax=3e3):
    """Steps per tenfold error reduction over (learning rate, momentum), dark = fast, grey = diverges.

    The momentum axis is stretched near 1 (uniform in ``-log10(1 - momentum)``), where
    ill-conditioned problems are tuned.

    Args:
      ax: the axes.
      lr: learning rates (``lr * L``), shape ``(N,)``.
      momentum: momenta, shape ``(M,)``.
      steps: steps per tenfold reduction, shape ``(M, N)``; NaN where the method diverges.
      tuned: optional ``(lr, momentum)`` marked with a white circle.
      vmax: the colour scale runs from 1 to ``vmax`` steps (log scale).

    Returns:
      The ``QuadMesh`` (for a colour bar).
    """
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm

    cmap = colormaps["cividis"].with_extremes(bad=COLORS["diverging"])
    mesh = ax.pcolormesh(lr, momentum, steps, norm=LogNorm(vmin=1, vmax=vmax), cmap=cmap, shading="nearest", rasterized=True)
    if tuned is not None:
        ax.plot(*tuned, "o", markersize=7, markerfacecolor="white", markeredgecolor="black", clip_on=False, zorder=3)
    ax.grid(False)
    ax.set_yscale("function", functions=(_stretch_near_one, _unstretch))
    ax.set_yticks([0, 0.5, 0.9, 0.99])
    ax.set_ylim(0, np.max(momentum))
    return mesh
