r"""Interactive figures that stay interactive on the static website: "Python precomputes, JavaScript draws".

Every figure here is an anywidget whose traits carry *all* the frames it can show. Python runs the
optimizers over a grid of settings with one batched :func:`nagcore.run` call per method, rounds the
iterates and hands them over; the front end (``widgets/frames.js``, shipped inside the package)
only builds the controls and draws the selected frame on a canvas. No kernel is needed to move a
slider, so the figures work in JupyterLab and on the book's offline site alike.

This is the only module of the package that imports ``anywidget``/``ipywidgets``.

The building block is :class:`FrameWidget`: a ``kind`` (the name of a drawer in ``frames.js``), a list
of sliders (one per grid axis, plus ``step``, which the Play button animates), the current
selection, a JSON ``payload`` and the palette. The figures of the book are small subclasses:

* :class:`RollingBall`: gradient descent and heavy-ball momentum side by side, on a 1-D loss curve
  or on the contours of a 2-D surface (sliders: learning rate, momentum, step);
* :class:`MomentumVsNesterov`: both momentum methods from the same start on one surface, Nesterov's
  look-ahead vectors at the current step, and the loss curves underneath;
* :class:`RateMapExplorer`: how fast each method converges over the whole (learning rate,
  momentum) plane of a quadratic, with a slider for the condition number (data from
  :func:`nagcore.theory.rate_map`).

To add a figure: compute its data in Python with batched calls, pass it as the payload of a
:class:`FrameWidget` with a new ``kind``, and add a drawer of that name (a ``height`` and a ``draw``
function) to ``DRAWERS`` in ``frames.js``, as :class:`RateMapExplorer` does with ``"heatmap"``. A
figure without a ``step`` slider has no Play button.

Runs that blow up cannot be sent as JSON (NaN and inf are not JSON). Each run is cut at the first
iterate that is non-finite or further than ``blowup`` times its starting distance from the
minimiser (the rule :func:`nagcore.run` uses to flag ``diverged``, with ``blowup`` = :data:`BLOWUP`);
the rest of that run is sent as ``null`` and ``diverged_at`` says where, so the drawing can say so.
"""

from __future__ import annotations

import base64
import json
import pathlib
from typing import Callable, Sequence

import anywidget
import contourpy
import matplotlib as mpl
import numpy as np
import traitlets

import nagcore
from nagcore import plotting, theory
from nagcore.problems import Problem
from nagcore.run import Trajectory, first_divergence

__all__ = [
    "BLOWUP",
    "FrameWidget",
    "RollingBall",
    "MomentumVsNesterov",
    "RateMapExplorer",
    "sweep",
    "encode_runs",
    "contour_lines",
    "encode_steps_per_decade",
    "payload_bytes",
]

_HERE = pathlib.Path(__file__).parent / "widgets"

#: Divergence threshold passed to :func:`nagcore.run` for widget sweeps: a run is cut once it is
#: further than ``BLOWUP * (1 + |x0 - x_star|)`` from the minimiser, far outside any plot.
BLOWUP = 100.0

#: Floor for ``log10(f - f_star)`` in loss curves (a run that reaches the minimum exactly).
LOG_FLOOR = -12.0


def _colors() -> dict:
    # ink and paper complete the palette for the canvas; all colours live in nagcore.plotting
    return {**plotting.COLORS, "ink": plotting.PALETTE[7], "paper": "#ffffff"}


def sweep(factory: Callable, problem: Problem, lrs: Sequence[float], momenta: Sequence[float], steps: int) -> Trajectory:
    """Run ``factory(lr, momentum)`` over the whole ``lrs x momenta`` grid in one batched call.

    Args:
      factory: :func:`nagcore.momentum` or :func:`nagcore.nesterov` (any ``(lr, momentum)`` factory).
      problem: the :class:`~nagcore.problems.Problem`; every run starts at ``problem.x0``.
      lrs, momenta: the grid axes (1-D).
      steps: number of steps.

    Returns:
      A :class:`~nagcore.run.Trajectory` with batch shape ``(len(lrs), len(momenta))``.
    """
    lr = np.asarray(lrs, dtype=float).reshape(-1, 1)
    gamma = np.asarray(momenta, dtype=float).reshape(1, -1)
    return nagcore.run(factory(lr, gamma), problem, problem.x0, steps, blowup=BLOWUP)


def encode_runs(traj: Trajectory, problem: Problem, *, decimals: int = 3, loss: str = "log_gap") -> list:
    """Turn a batched trajectory into nested JSON-safe lists, one dict per run.

    Args:
      traj: from :func:`sweep`; batch shape ``(n_lr, n_momentum)``.
      problem: the problem it ran on (for ``x_star`` and ``f_star``).
      decimals: iterates are rounded to this many decimals.
      loss: ``"log_gap"`` stores ``log10(f - f_star)`` (floored at :data:`LOG_FLOOR`) as ``f``;
        ``"value"`` stores ``f`` itself, rounded, as ``y`` (the height of a ball on a 1-D curve).

    Returns:
      ``runs[i][j] = {"x": [...], "f" or "y": [...], "diverged_at": k}``: ``x`` holds the iterates
      flattened step by step, ``diverged_at`` is -1 or the step from which values are ``None``.
    """
    cut = first_divergence(traj.x, problem.x_star, blowup=BLOWUP)
    n_steps = traj.x.shape[0]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if loss == "log_gap":
            values = np.round(np.maximum(np.log10(np.maximum(traj.f - problem.f_star, 0.0)), LOG_FLOOR), 2)
        elif loss == "value":
            values = np.round(traj.f, decimals)
        else:
            raise ValueError(f"loss must be 'log_gap' or 'value', got {loss!r}")
    with np.errstate(over="ignore", invalid="ignore"):
        xs = np.round(traj.x, decimals)
    key = "f" if loss == "log_gap" else "y"
    runs = []
    for i in range(traj.x.shape[1]):
        row = []
        for j in range(traj.x.shape[2]):
            k = int(cut[i, j])
            keep = n_steps if k < 0 else k
            x = xs[:keep, i, j].reshape(-1).tolist() + [None] * ((n_steps - keep) * xs.shape[-1])
            v = values[:keep, i, j].tolist() + [None] * (n_steps - keep)
            row.append({"x": x, key: v, "diverged_at": k})
        runs.append(row)
    return runs


def contour_lines(problem: Problem, *, window=None, levels: int = 10, resolution: int = 60, decimals: int = 3) -> list:
    """Level sets of a 2-D problem over ``window`` (default ``problem.bounds``) as flat polylines ``[x0, y0, x1, y1, ...]``.

    Levels are spaced geometrically in ``f - f_star``, as in :func:`nagcore.plotting.contour`, but
    from 1/1000 (not 1/10000) of the 95th percentile: smaller level sets would span only a few
    cells of the coarse grid used to keep the payload small.
    """
    (x_lo, x_hi), (y_lo, y_hi) = _window(problem, window)
    gx, gy = np.meshgrid(np.linspace(x_lo, x_hi, resolution), np.linspace(y_lo, y_hi, resolution))
    gap = problem.f(np.stack([gx, gy], axis=-1)) - problem.f_star
    top = np.percentile(gap, 95)
    generator = contourpy.contour_generator(gx, gy, gap)
    lines = []
    for level in np.geomspace(max(top * 1e-3, 1e-12), top, levels):
        for line in generator.lines(level):
            lines.append(np.round(line, decimals).reshape(-1).tolist())
    return lines


def _window(problem: Problem, window) -> np.ndarray:
    bounds = np.asarray(problem.bounds if window is None else window, dtype=float)
    if bounds.shape != (problem.dim, 2) or not np.all(np.isfinite(bounds)) or not np.all(bounds[:, 1] > bounds[:, 0]):
        raise ValueError(f"window must be {problem.dim} finite (low, high) pairs with low < high, got {window!r}")
    return bounds


def _contour_background(problem: Problem, window) -> dict:
    bounds = _window(problem, window)
    return {"levels": contour_lines(problem, window=bounds), "xlim": bounds[0].tolist(), "ylim": bounds[1].tolist(), "x_star": problem.x_star.tolist()}


def payload_bytes(widget: "FrameWidget") -> int:
    """Size of the widget's synced data as compact JSON, in bytes (what a page stores)."""
    state = {name: getattr(widget, name) for name in ("kind", "sliders", "selection", "payload", "colors", "description")}
    return len(json.dumps(state, separators=(",", ":"), allow_nan=False).encode())


def _slider(name: str, label: str, values, start: int) -> dict:
    return {"name": name, "label": label, "values": [float(v) if name != "step" else int(v) for v in values], "start": int(start)}


class FrameWidget(anywidget.AnyWidget):
    """Precomputed frames, sliders that pick one, a canvas that draws it.

    Args:
      kind: name of the drawer in ``frames.js`` (``"curve"``, ``"contour"``, ...).
      sliders: ``[{"name", "label", "values", "start"}]``; the slider named ``step`` gets a Play
        button. Values are shown next to each slider and announced to screen readers.
      payload: JSON-serialisable data for the drawer; NaN and inf are refused.
      description: what the figure shows, read out by screen readers (the canvas's label).
    """

    _esm = _HERE / "frames.js"
    _css = _HERE / "frames.css"

    kind = traitlets.Unicode("").tag(sync=True)
    sliders = traitlets.List().tag(sync=True)
    selection = traitlets.Dict().tag(sync=True)
    payload = traitlets.Dict().tag(sync=True)
    colors = traitlets.Dict().tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)

    def __init__(self, *, kind: str, sliders: list, payload: dict, description: str, **kwargs):
        names = [s["name"] for s in sliders]
        if len(set(names)) != len(names):
            raise ValueError(f"slider names must be unique, got {names}")
        for s in sliders:
            if not s["values"] or not 0 <= s["start"] < len(s["values"]):
                raise ValueError(f"slider {s['name']!r} needs values and a start index in [0, {len(s['values'])}), got {s['start']}")
        json.dumps(payload, allow_nan=False)  # raises ValueError on NaN or inf
        selection = {s["name"]: s["start"] for s in sliders}
        super().__init__(kind=kind, sliders=sliders, payload=payload, selection=selection, colors=_colors(), description=description, **kwargs)


def _grid_sliders(lrs, momenta, steps, start) -> list:
    return [
        _slider("lr", "learning rate η", lrs, start[0]),
        _slider("momentum", "momentum γ", momenta, start[1]),
        _slider("step", "step", range(steps + 1), start[2] if len(start) > 2 else 0),
    ]


class RollingBall(FrameWidget):
    """Gradient descent and heavy-ball momentum side by side: a ball on a 1-D curve or a 2-D surface.

    Both methods come from one batched run of :func:`nagcore.momentum` over
    ``lrs x [0, *momenta]``: momentum 0 is gradient descent.

    Args:
      problem: a 1-D or 2-D :class:`~nagcore.problems.Problem`; runs start at ``problem.x0``.
      lrs, momenta: slider values (momenta in [0, 1)).
      steps: number of steps (the step slider goes from 0 to ``steps``).
      start: initial ``(lr index, momentum index)`` or ``(lr index, momentum index, step)``.
      window: the plotted region, ``[(x_low, x_high)]`` or ``[(x_low, x_high), (y_low, y_high)]``;
        default ``problem.bounds``. Keep it square in 2-D so that the contours are not distorted.

    Attributes:
      trajectory: the batched :class:`~nagcore.run.Trajectory` (not sent to the browser); its batch
        axes are ``(lr, [0, *momenta])``.
    """

    def __init__(self, problem: Problem, lrs, momenta, steps: int = 60, *, start=(0, 0), window=None, decimals: int = 3):
        if problem.dim not in (1, 2):
            raise ValueError(f"problem must be 1-D or 2-D to draw, got dim={problem.dim}")
        lrs, momenta = list(lrs), list(momenta)
        self.trajectory = sweep(nagcore.momentum, problem, lrs, [0.0, *momenta], steps)
        loss = "value" if problem.dim == 1 else "log_gap"
        runs = encode_runs(self.trajectory, problem, decimals=decimals, loss=loss)
        methods = {
            "gd": {"label": "gradient descent", "color": "gd", "axes": ["lr"], "runs": [row[0] for row in runs]},
            "momentum": {"label": "momentum", "color": "momentum", "axes": ["lr", "momentum"], "runs": [row[1:] for row in runs]},
        }
        payload = {"methods": methods, "panels": [["gd"], ["momentum"]], "steps": steps, "axes": {"lr": lrs, "momentum": momenta}}
        if problem.dim == 1:
            xlim = _window(problem, window)[0]
            xs = np.linspace(*xlim, 160)
            ys = problem.f(xs[:, None])
            pad = 0.08 * (ys.max() - ys.min())
            curve = np.round(np.stack([xs, ys], axis=-1), decimals).reshape(-1).tolist()
            payload["background"] = {"curve": curve, "xlim": xlim.tolist(), "ylim": [float(ys.min() - pad), float(ys.max() + pad)]}
            kind, where = "curve", "a ball on the loss curve"
        else:
            payload["background"] = _contour_background(problem, window)
            kind, where = "contour", "a path on the contour lines of the loss surface"
        description = f"Two panels, gradient descent and momentum on {problem.name}, each drawn as {where}, at the step, learning rate and momentum chosen with the sliders."
        super().__init__(kind=kind, sliders=_grid_sliders(lrs, momenta, steps, start), payload=payload, description=description)


class MomentumVsNesterov(FrameWidget):
    """Heavy ball and Nesterov from the same start on one surface, with their loss curves underneath.

    At the current step the figure draws Nesterov's two moves: the momentum step to the look-ahead
    point and the gradient correction measured there. One batched :func:`sweep` per method.

    Args:
      problem: a 2-D :class:`~nagcore.problems.Problem`.
      lrs, momenta: slider values.
      steps: number of steps.
      start: initial ``(lr index, momentum index)`` or ``(lr index, momentum index, step)``.
      window: the plotted region, ``[(x_low, x_high)]`` or ``[(x_low, x_high), (y_low, y_high)]``;
        default ``problem.bounds``. Keep it square in 2-D so that the contours are not distorted.

    Attributes:
      trajectories: ``{"momentum": Trajectory, "nesterov": Trajectory}``, batch ``(lr, momentum)``.
    """

    def __init__(self, problem: Problem, lrs, momenta, steps: int = 60, *, start=(0, 0), window=None, decimals: int = 3):
        if problem.dim != 2:
            raise ValueError(f"problem must be 2-D, got dim={problem.dim}")
        lrs, momenta = list(lrs), list(momenta)
        self.trajectories = {name: sweep(factory, problem, lrs, momenta, steps) for name, factory in (("momentum", nagcore.momentum), ("nesterov", nagcore.nesterov))}
        labels = {"momentum": "momentum", "nesterov": "Nesterov"}
        methods = {
            name: {"label": labels[name], "color": name, "axes": ["lr", "momentum"], "runs": encode_runs(traj, problem, decimals=decimals)}
            for name, traj in self.trajectories.items()
        }
        finite = [v for m in methods.values() for row in m["runs"] for run in row for v in run["f"] if v is not None]
        top = float(np.log10(problem.f(np.asarray(problem.x0)) - problem.f_star)) + 1.5  # higher values are clipped
        payload = {
            "methods": methods,
            "panels": [["momentum", "nesterov"]],
            "steps": steps,
            "axes": {"lr": lrs, "momentum": momenta},
            "lookahead": "nesterov",
            "loss": {"ylim": [max(min(finite), -8.0), round(top, 2)]},
            "background": _contour_background(problem, window),
        }
        description = (
            f"Momentum and Nesterov's method from the same start on {problem.name}: both paths on the contour lines, "
            "Nesterov's look-ahead step and its correction as arrows at the current step, and the loss of both against the step below."
        )
        super().__init__(kind="contour", sliders=_grid_sliders(lrs, momenta, steps, start), payload=payload, description=description)


#: Colour scale of :class:`RateMapExplorer`: steps per tenfold error reduction from 1 to this many.
MAX_STEPS_PER_DECADE = 3000.0
#: Byte code of a setting that does not converge (rate >= 1); codes 0..254 are the colour scale.
DIVERGES = 255


def encode_steps_per_decade(rates) -> bytes:
    r"""Quantise rates to one byte each: the log of the steps per tenfold error reduction.

    A rate :math:`\rho < 1` needs :math:`s = \ln 10 / (-\ln \rho)` steps to shrink the error ten-fold.
    The code is ``round(254 * log(s) / log(MAX_STEPS_PER_DECADE))``, clipped to ``[0, 254]`` (so
    ``s <= 1`` is 0 and ``s >= MAX_STEPS_PER_DECADE`` is 254); :data:`DIVERGES` (255) marks
    :math:`\rho \ge 1`.
    """
    rho = np.asarray(rates, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = np.log(10.0) / -np.log(rho)
        code = np.round(254.0 * np.log(np.maximum(steps, 1.0)) / np.log(MAX_STEPS_PER_DECADE))
    code = np.where(rho < 1, np.clip(code, 0, 254), DIVERGES)
    return code.astype(np.uint8).tobytes()


class RateMapExplorer(FrameWidget):
    """Steps per tenfold error reduction over (learning rate, momentum), one panel per method.

    For a quadratic with curvatures in ``[1/kappa, 1]`` (so ``L = 1``) each cell shows how many steps
    the method needs to shrink the error ten-fold at that constant setting, from the exact rates of
    :func:`nagcore.theory.rate_map` (one vectorised call); grey cells diverge and a white circle
    marks the classical tuned setting of :func:`nagcore.theory.tuned`. The slider picks ``kappa``.
    The momentum axis is stretched near 1 (uniform in ``log(1 - momentum)``), where the fast
    settings of ill-conditioned problems live.

    Args:
      kappas: condition numbers for the slider, >= 1.
      n_lr: number of learning rates ``lr * L`` in ``(0, 4]``.
      n_momentum: number of momenta from 0 to 0.995.
      start: initial index into ``kappas``.

    Attributes:
      rate_map: the :class:`nagcore.theory.RateMap` behind the picture (not sent to the browser).
    """

    def __init__(self, kappas=(10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0), *, n_lr: int = 64, n_momentum: int = 48, start: int = 2):
        lrs = np.linspace(4.0, 0.0, n_lr, endpoint=False)[::-1]
        momenta = 1.0 - np.geomspace(1.0, 0.005, n_momentum)
        self.rate_map = theory.rate_map(kappas, lr=lrs, momentum=momenta)
        rmap = self.rate_map
        names = {"gd": "gradient descent", "momentum": "heavy ball", "nesterov": "Nesterov"}
        methods = {}
        for m in theory.METHODS:
            grids = [base64.b64encode(encode_steps_per_decade(rmap.rates[m][k])).decode() for k in range(rmap.kappa.size)]
            tuned = [[round(float(lr), 5), round(float(g), 5)] for lr, g, _ in rmap.tuned[m]]
            with np.errstate(divide="ignore"):
                best = [round(float(np.log(10.0) / -np.log(rmap.rates[m][k].min())), 1) for k in range(rmap.kappa.size)]
            methods[m] = {"label": names[m], "grids": grids, "tuned": tuned, "best": best}
        cmap = mpl.colormaps["cividis"]
        payload = {
            "methods": methods,
            "order": list(theory.METHODS),
            "shape": [int(momenta.size), int(lrs.size)],
            "lr": [float(lrs[0]), float(lrs[-1])],
            "momentum_ticks": [0.0, 0.5, 0.9, 0.99],
            "momentum_floor": 0.005,
            "max_steps": MAX_STEPS_PER_DECADE,
            "kappa": [float(k) for k in rmap.kappa],
            "lut": [mpl.colors.to_hex(cmap(i / 254)) for i in range(255)],
        }
        kappa_values = [float(k) for k in rmap.kappa]
        sliders = [{"name": "kappa", "label": "condition number κ", "values": kappa_values, "start": int(start)}]
        description = (
            "Three heat maps, for gradient descent, heavy ball and Nesterov, of the steps needed to shrink the error "
            "ten-fold at each learning rate (horizontal, 0 to 4 over L) and momentum (vertical), for the condition number "
            "chosen with the slider. Grey cells diverge; a white circle marks each method's classical tuned setting."
        )
        super().__init__(kind="heatmap", sliders=sliders, payload=payload, description=description)
