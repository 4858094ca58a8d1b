"""Matplotlib helpers shared by every chapter: one palette, one style, small drawing functions.

Nothing happens on import. A chapter calls :func:`use_style` once, explicitly. Every drawing
function takes an ``ax`` and returns the artists it drew; start points, windows and levels come
from the :class:`~nagcore.problems.Problem`, not from constants hidden in here.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

from nagcore.problems import Problem

__all__ = ["COLORS", "METHOD_KEYS", "PALETTE", "use_style", "contour", "path", "curve", "gap_curve", "mark_minimum"]

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


_STYLE = {
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "axes.labelsize": 11,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (6.4, 3.6),
    "figure.constrained_layout.use": True,
    "image.cmap": "cividis",
}


def use_style() -> None:
    """Set the book's matplotlib style (palette, grid, sizes). Call it once, near the top of a chapter."""
    mpl.rcParams.update(_STYLE)


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


def mark_minimum(ax, problem: Problem, **kwargs):
    """Mark ``problem.x_star`` with a star (2-D) or a vertical line (1-D).

    Returns:
      The artist drawn.
    """
    if problem.dim == 1:
        return ax.axvline(problem.x_star[0], color="black", linewidth=0.8, linestyle=":", **kwargs)
    return ax.plot(*problem.x_star, marker="*", markersize=12, color="black", linestyle="none", **kwargs)[0]
