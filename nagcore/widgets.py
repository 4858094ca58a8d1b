r"""Interactive figures that compute in the reader's browser, in JupyterLab and on the static site alike.

Each figure is an anywidget whose front end (the files in ``nagcore/widgets/``) runs the book's
optimizers itself, on every slider move, with a small port of nagcore (``widgets/nag.js``: the
same names, one function per equation, the arithmetic in numpy's order). ``tests/test_port.py``
runs the port against :func:`nagcore.run` on thousands of random settings, so the pictures show
exactly what nagcore computes. Python sends only what a figure needs to know: the problem (as
parameters the port rebuilds it from), the slider ranges, the starting setting, the palette.

The figures of the book:

* :class:`RollingBall`: gradient descent and heavy-ball momentum from the same start, as balls on
  a 1-D loss curve or paths on the contour lines of a 2-D surface, with their losses underneath;
* :class:`MomentumVsNesterov`: heavy ball and Nesterov on one surface, with Nesterov's look-ahead
  step drawn at the current step;
* :class:`LookAhead`: one step of both methods from a state the reader drags around;
* :class:`ErrorByDirection`: the error of a quadratic split along its eigen-directions, one curve
  each, and the rate of each direction, so the direction that limits the rate shows;
* :class:`PhasePlane`: position against velocity on a 1-D quadratic, with the roots that decide
  between a spiral, a critically damped approach and divergence;
* :class:`RateMapExplorer`: steps per tenfold error reduction over the (learning rate, momentum)
  plane for each method; a click on a map shows the runs at that setting beside it.

Only the contour lines of 2-D surfaces are precomputed: they do not depend on any slider, and
tracing them takes a grid of function values that contourpy handles once at build time in a few
kilobytes of output.

The front end is a set of ES modules with relative imports (so Node can test them one by one);
:func:`bundle` joins a figure's module and the modules it imports into the single ES module that
anywidget loads. On the static site ``_assets/widgets/embed-anywidget.js`` runs the same module
without a kernel and without the Jupyter widget manager.

This is the only module of the package that imports ``anywidget``/``traitlets``.
"""

from __future__ import annotations

import json
import pathlib
import re

import anywidget
import contourpy
import matplotlib as mpl
import numpy as np
import traitlets

import nagcore
from nagcore import _checks, plotting, problems, theory
from nagcore.problems import Problem

__all__ = [
    "BLOWUP",
    "Figure",
    "RollingBall",
    "MomentumVsNesterov",
    "LookAhead",
    "ErrorByDirection",
    "PhasePlane",
    "RateMapExplorer",
    "bundle",
    "port_spec",
    "contour_lines",
    "state_bytes",
]

_HERE = pathlib.Path(__file__).parent / "widgets"

#: Divergence threshold the figures pass to the run (as ``blowup`` of :func:`nagcore.run`): a run
#: is stopped once it is further than ``BLOWUP * (1 + |x0 - x_star|)`` from the minimiser, far
#: outside any plot.
BLOWUP = 100.0

METHOD_LABELS = {"gd": "gradient descent", "momentum": "heavy ball", "nesterov": "Nesterov"}
_FACTORIES = {"gd": lambda lr, momentum: nagcore.gradient_descent(lr), "momentum": nagcore.momentum, "nesterov": nagcore.nesterov}

# ---------------------------------------------------------------- the front end as one module

_IMPORT = re.compile(r'^import\s*\{[^}]*\}\s*from\s*"\./([\w-]+\.js)";[ \t]*\n', re.M)


def bundle(entry: str) -> str:
    """One ES module made of the front-end file ``entry`` and, before it, every file it imports.

    The files in ``nagcore/widgets/`` import each other only as ``import { a, b } from "./x.js";``.
    Their top-level names are distinct, so the files can be concatenated (dependencies first,
    each once) with those import lines removed. Only ``entry`` may have a default export.

    Example:
      >>> "export default" in bundle("paths.js") and "./nag.js" not in bundle("paths.js")
      True
    """
    order: list[str] = []

    def visit(name: str, trail: tuple) -> None:
        if name in order:
            return
        if name in trail:
            raise ValueError(f"circular import: {' -> '.join(trail + (name,))}")
        source = (_HERE / name).read_text()
        for dependency in _IMPORT.findall(source):
            visit(dependency, trail + (name,))
        order.append(name)

    visit(entry, ())
    parts = []
    for name in order:
        source = _IMPORT.sub("", (_HERE / name).read_text())
        if name != entry and "export default" in source:
            raise ValueError(f"{name} is imported by {entry} and must not have a default export")
        if re.search(r"^\s*import\b", source, re.M):
            raise ValueError(f"{name}: only `import {{ ... }} from \"./file.js\";` lines can be bundled")
        parts.append(f"// ======== nagcore/widgets/{name}\n{source}")
    return "\n".join(parts)


# ---------------------------------------------------------------- problems the port can rebuild


def _probe_points(problem: Problem, n: int = 40) -> np.ndarray:
    rng = np.random.default_rng(0)
    lo, hi = problem.bounds[:, 0], problem.bounds[:, 1]
    return lo + (hi - lo) * rng.random((n, problem.dim))


def _agrees(problem: Problem, grad, f) -> bool:
    x = _probe_points(problem)
    with np.errstate(all="ignore"):
        g_ref, g = problem.grad(x), grad(x)
        f_ref, f_new = problem.f(x), f(x)
    scale = 1.0 + np.abs(g_ref).max()
    return bool(np.allclose(g, g_ref, rtol=1e-12, atol=1e-12 * scale) and np.allclose(f_new, f_ref, rtol=1e-12, atol=1e-12 * (1 + np.abs(f_ref).max())))


def _candidates(problem: Problem):
    d = problem.dim
    x_star = problem.x_star.astype(float)
    if d == 2:
        a = float(x_star[0])
        b = float(problem.grad(np.array([0.0, 1.0]))[1] / 2.0)
        if np.isfinite(b) and b > 0:
            yield {"name": "rosenbrock", "a": a, "b": b}, problems.rosenbrock(a, b)
    if d == 1:
        tilt = float(problem.grad(np.zeros(1))[0])
        if 0 < tilt < 2 / (3 * np.sqrt(3)):
            yield {"name": "double_well", "tilt": tilt, "x_star": x_star.tolist()}, problems.double_well(tilt)
        yield {"name": "piecewise_quadratic"}, problems.piecewise_quadratic()
    hessian = np.stack([problem.grad(x_star + e) - problem.grad(x_star) for e in np.eye(d)], axis=-1)
    f_star = problem.f_star
    quad = Problem(
        lambda x: 0.5 * np.sum(((x - x_star) @ hessian.T) * (x - x_star), axis=-1) + f_star,
        lambda x: (x - x_star) @ hessian.T,
        x_star, problem.L, problem.mu, problem.name, problem.x0, problem.bounds,
    )
    yield {"name": "quadratic", "hessian": hessian.tolist(), "x_star": x_star.tolist(), "f_star": f_star}, quad


def port_spec(problem: Problem) -> dict:
    """The parameters from which the front end's port rebuilds ``problem`` (see ``widgets/nag.js``).

    The port knows the quadratics (sent as their Hessian and minimiser), Rosenbrock's function,
    the double well and the piecewise quadratic. The spec is checked against ``problem`` itself:
    gradients and values agree at random points of its window, or this raises.

    Example:
      >>> port_spec(nagcore.problems.double_well(0.25))["tilt"]
      0.25
      >>> port_spec(nagcore.problems.quadratic([1.0, 4.0]))["hessian"]
      [[1.0, 0.0], [0.0, 4.0]]
    """
    for spec, rebuilt in _candidates(problem):
        if _agrees(problem, rebuilt.grad, rebuilt.f):
            return spec
    raise ValueError(
        f"problem {problem.name!r} cannot be computed in the browser: the figures know quadratics, "
        "Rosenbrock's function, the double well and the piecewise quadratic"
    )


# ---------------------------------------------------------------- background data


def contour_lines(problem: Problem, *, window=None, levels: int = 12, resolution: int = 90, decimals: int = 3) -> list:
    """Level sets of a 2-D problem over ``window`` (default ``problem.bounds``) as flat polylines ``[x0, y0, x1, y1, ...]``.

    Levels are spaced geometrically in ``f - f_star``, as in :func:`nagcore.plotting.contour`, from
    1/1000 of the 95th percentile: smaller level sets would span only a few cells of the grid.
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


def _colors() -> dict:
    # ink and paper complete the palette for the canvas; all colours live in nagcore.plotting
    return {**plotting.COLORS, "ink": plotting.PALETTE[7], "paper": "#ffffff"}


def _ramp(name: str, n: int, lo: float = 0.0, hi: float = 1.0) -> list:
    """``n`` colours of a matplotlib colour map as hex strings."""
    cmap = mpl.colormaps[name]
    return [mpl.colors.to_hex(cmap(t)) for t in np.linspace(lo, hi, n)]


# ---------------------------------------------------------------- the widget


def slider(name: str, label: str, low: float, high: float, *, scale: str = "linear", digits: int = 3) -> dict:
    """A slider for :class:`Figure`: continuous between ``low`` and ``high`` (400 positions) on a
    ``"linear"``, ``"log"`` or ``"log1m"`` (uniform in ``log(1 - value)``) scale, or one position
    per integer (``"int"``)."""
    low, high = float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"slider {name!r} needs finite low < high, got {low!r}, {high!r}")
    if scale == "log" and low <= 0:
        raise ValueError(f"slider {name!r} on a log scale needs low > 0, got {low!r}")
    if scale == "log1m" and high >= 1:
        raise ValueError(f"slider {name!r} on a log1m scale needs high < 1, got {high!r}")
    if scale not in ("linear", "log", "log1m", "int"):
        raise ValueError(f"scale must be 'linear', 'log', 'log1m' or 'int', got {scale!r}")
    if scale == "int":
        low, high = int(low), int(high)
    return {"name": name, "label": label, "min": low, "max": high, "scale": scale, "digits": digits}


def _step_slider(steps: int) -> dict:
    steps = _checks.count("steps", steps, minimum=1)
    return slider("step", "step", 0, steps, scale="int")


class Figure(anywidget.AnyWidget):
    """A figure whose front end computes and draws in the browser.

    Traits (synced with the front end):
      spec: what the figure shows, for its front-end module: the problem, the sliders
        (see :func:`slider`), choices between methods, background data.
      params: the current setting, one value per slider or choice. The front end writes it back
        when the reader moves a control, so a live notebook can read ``figure.params``.
      colors: :data:`nagcore.plotting.COLORS` plus ink and paper.
    """

    _css = _HERE / "figures.css"

    spec = traitlets.Dict().tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    colors = traitlets.Dict().tag(sync=True)

    def __init__(self, spec: dict, params: dict, **kwargs):
        for s in spec.get("sliders", []):
            value = params.get(s["name"])
            if value is None or not s["min"] <= value <= s["max"]:
                raise ValueError(f"{s['name']} must start in [{s['min']}, {s['max']}] (the slider's range), got {value!r}")
        for c in spec.get("choices", []):
            if params.get(c["name"]) not in [value for value, _ in c["options"]]:
                raise ValueError(f"{c['name']} must be one of {[v for v, _ in c['options']]}, got {params.get(c['name'])!r}")
        spec = {"figure": type(self).__name__, **spec}
        json.dumps(spec, allow_nan=False)  # raises ValueError on NaN or inf
        super().__init__(spec=spec, params=params, colors=_colors(), **kwargs)

    # What a figure runs, for runs(): subclasses give problem_at, and _start and _methods where
    # the defaults (the problem's start, the chosen method) do not fit.

    def problem_at(self, params: dict | None = None) -> Problem:
        """The problem the figure runs on at ``params`` (default: the current setting)."""
        raise NotImplementedError(f"{type(self).__name__} draws no runs")

    def _start(self, p: dict) -> np.ndarray:
        return self.problem_at(p).x0

    def _methods(self, p: dict) -> list:
        return [p["method"]]

    def runs(self, params: dict | None = None) -> dict:
        """What the figure computes in the browser at ``params`` (default: the current setting), computed
        by nagcore: ``{method: Trajectory}``, run with ``blowup=BLOWUP``. tests/test_port.py checks that
        the front end draws exactly these."""
        p = {**self.params, **(params or {})}
        problem = self.problem_at(p)
        return {m: nagcore.run(_FACTORIES[m](p["lr"], p["momentum"]), problem, self._start(p), self.spec["steps"], blowup=BLOWUP) for m in self._methods(p)}


def state_bytes(widget: Figure) -> int:
    """Size of the widget's synced state as compact JSON, in bytes (what a page stores), front-end module included."""
    state = {name: getattr(widget, name) for name in ("spec", "params", "colors", "_esm", "_css")}
    state["_css"] = pathlib.Path(state["_css"]).read_text() if isinstance(state["_css"], pathlib.Path) else state["_css"]
    return len(json.dumps(state, separators=(",", ":"), allow_nan=False).encode())


def _pick(values, index: int, name: str) -> float:
    values = [float(v) for v in values]
    if not values or not 0 <= index < len(values):
        raise ValueError(f"start index for {name} must be in [0, {len(values)}), got {index}")
    return values[index]


class _Paths(Figure):
    module = "paths.js"  # the front-end module in nagcore/widgets/
    _esm = bundle(module)
    methods: dict = {}  # key -> label
    lookahead = False

    def __init__(self, problem: Problem, lrs, momenta, steps: int = 60, *, start=(0, 0), window=None):
        if problem.dim not in (1, 2):
            raise ValueError(f"problem must be 1-D or 2-D to draw, got dim={problem.dim}")
        lrs, momenta = [float(v) for v in lrs], [float(v) for v in momenta]
        self.problem = problem
        bounds = _window(problem, window)
        if not np.all((bounds[:, 0] <= problem.x0) & (problem.x0 <= bounds[:, 1])):
            raise ValueError(f"the start {problem.x0.tolist()} must lie inside the window {bounds.tolist()}")
        lr_scale = "log" if max(lrs) / min(lrs) > 20 else "linear"
        sliders = [
            slider("lr", "learning rate η", min(lrs), max(lrs), scale=lr_scale),
            slider("momentum", "momentum γ", min(momenta), max(momenta)),
            _step_slider(steps),
        ]
        names = ["start θ₀"] if problem.dim == 1 else ["start, θ₁", "start, θ₂"]
        sliders += [slider(f"start{i + 1}", name, *bounds[i]) for i, name in enumerate(names)]
        params = {
            "lr": _pick(lrs, start[0], "lr"),
            "momentum": _pick(momenta, start[1], "momentum"),
            "step": int(start[2]) if len(start) > 2 else steps // 2,
            **{f"start{i + 1}": float(problem.x0[i]) for i in range(problem.dim)},
        }
        spec = {
            "problem": port_spec(problem),
            "name": problem.name,
            "dim": problem.dim,
            "f_star": problem.f_star,
            "methods": [{"key": key, "label": label} for key, label in self.methods.items()],
            "steps": steps,
            "blowup": BLOWUP,
            "lookahead": self.lookahead,
            "window": {"xlim": bounds[0].tolist(), **({"ylim": bounds[1].tolist()} if problem.dim == 2 else {})},
            "sliders": sliders,
        }
        if problem.dim == 2:
            spec["contours"] = contour_lines(problem, window=bounds)
        super().__init__(spec, params)

    def problem_at(self, params=None) -> Problem:
        return self.problem

    def _start(self, p):
        return np.array([p[f"start{i + 1}"] for i in range(self.problem.dim)])

    def _methods(self, p):
        return list(self.methods)


class RollingBall(_Paths):
    """Gradient descent and heavy-ball momentum from the same start: balls on a 1-D curve or paths on a 2-D surface.

    Args:
      problem: a 1-D or 2-D :class:`~nagcore.problems.Problem` the port knows (see :func:`port_spec`).
      lrs, momenta: values of interest; each slider runs continuously between their smallest and
        largest (the learning rate on a log scale when they span more than a factor 20).
      steps: number of steps (the step slider goes from 0 to ``steps``).
      start: indices of the opening learning rate and momentum in ``lrs`` and ``momenta``, and
        optionally the opening step (default ``steps // 2``).
      window: the plotted region and the range of the start sliders, default ``problem.bounds``.
    """

    methods = {"gd": "gradient descent", "momentum": "momentum"}


class MomentumVsNesterov(_Paths):
    """Heavy ball and Nesterov from the same start on one surface, with Nesterov's look-ahead step at the current step.

    Arguments as for :class:`RollingBall`; ``problem`` must be 2-D.
    """

    methods = {"momentum": "heavy ball", "nesterov": "Nesterov"}
    lookahead = True

    def __init__(self, problem: Problem, lrs, momenta, steps: int = 60, **kwargs):
        if problem.dim != 2:
            raise ValueError(f"problem must be 2-D, got dim={problem.dim}")
        super().__init__(problem, lrs, momenta, steps, **kwargs)


class LookAhead(Figure):
    r"""One step of heavy ball and of Nesterov from a state :math:`(\theta, v)` the reader moves.

    The figure draws the momentum step :math:`-\gamma v` to the look-ahead point, the gradient step
    each method adds (heavy ball measures it at :math:`\theta`, Nesterov at the look-ahead point),
    where each lands, and the next ``follow`` steps of both. Drag the point or the look-ahead
    point, or use the sliders.

    Args:
      problem: a 2-D :class:`~nagcore.problems.Problem` the port knows.
      theta, velocity: the opening state (default: ``problem.x0`` at rest).
      lr, momentum: opening learning rate and momentum.
      window: plotted region (default ``problem.bounds``), also the range of the point's sliders.
      follow: how many further steps of each method to draw.
    """

    module = "lookahead.js"  # the front-end module in nagcore/widgets/
    _esm = bundle(module)

    def __init__(self, problem: Problem, theta=None, velocity=None, *, lr: float = 1.0, momentum: float = 0.9, window=None, follow: int = 8):
        if problem.dim != 2:
            raise ValueError(f"problem must be 2-D, got dim={problem.dim}")
        bounds = _window(problem, window)
        theta = problem.x0 if theta is None else np.asarray(theta, dtype=float)
        velocity = np.zeros(2) if velocity is None else np.asarray(velocity, dtype=float)
        reach = 0.5 * float(np.max(bounds[:, 1] - bounds[:, 0]))
        sliders = [
            slider("theta1", "point θ₁", *bounds[0]),
            slider("theta2", "point θ₂", *bounds[1]),
            slider("v1", "velocity v₁", -reach, reach),
            slider("v2", "velocity v₂", -reach, reach),
            slider("lr", "learning rate η", 0.02 / problem.L, 2.0 / problem.L),
            slider("momentum", "momentum γ", 0.0, 0.99),
        ]
        params = {"theta1": float(theta[0]), "theta2": float(theta[1]), "v1": float(velocity[0]), "v2": float(velocity[1]), "lr": float(lr), "momentum": float(momentum)}
        spec = {
            "problem": port_spec(problem),
            "name": problem.name,
            "f_star": problem.f_star,
            "window": {"xlim": bounds[0].tolist(), "ylim": bounds[1].tolist()},
            "contours": contour_lines(problem, window=bounds, levels=14),
            "follow": int(follow),
            "sliders": sliders,
        }
        self.problem = problem
        super().__init__(spec, params)


_METHOD_CHOICE = {"name": "method", "label": "method", "options": [[m, METHOD_LABELS[m]] for m in theory.METHODS]}


def _tuned(method: str, kappa: float) -> theory.Tuned:
    return theory.tuned(method, 1.0, 1.0 / kappa)


class ErrorByDirection(Figure):
    r"""The error of a quadratic split along its eigen-directions: one decay curve per direction.

    The quadratic has ``directions`` curvatures spaced geometrically from :math:`1/\kappa` to 1
    (``L = 1``) and starts at error 1 in each. The left panel draws :math:`|e_i(k)|` for every
    direction and the total error; the right panel the rate :math:`\rho(\eta\lambda)` over the
    curvatures, with a dot per direction: the highest dot is the direction that limits the rate.

    Args:
      kappa: opening condition number.
      method: ``"gd"``, ``"momentum"`` or ``"nesterov"`` (a choice in the figure).
      lr, momentum: opening setting; default the method's tuned setting for ``kappa``.
      directions: number of eigen-directions, 2 to 12.
      steps: number of steps.
      kappa_range: range of the condition-number slider.
    """

    module = "eigen.js"  # the front-end module in nagcore/widgets/
    _esm = bundle(module)

    def __init__(self, kappa: float = 100.0, method: str = "nesterov", *, lr=None, momentum=None, directions: int = 6, steps: int = 150, kappa_range=(1.0, 1e4)):
        if not 2 <= directions <= 12:
            raise ValueError(f"directions must be between 2 and 12, got {directions}")
        if method not in theory.METHODS:
            raise ValueError(f"method must be one of {theory.METHODS}, got {method!r}")
        t = _tuned(method, kappa)
        params = {
            "kappa": float(kappa),
            "method": method,
            "lr": float(t.lr if lr is None else lr),
            "momentum": float(t.momentum if momentum is None else momentum),
            "step": steps // 3,
        }
        spec = {
            "directions": int(directions),
            "steps": int(steps),
            "blowup": BLOWUP,
            "direction_colors": _ramp("viridis", directions, 0.0, 0.88),
            "sliders": [
                slider("kappa", "condition number κ", *kappa_range, scale="log"),
                slider("lr", "learning rate η (L = 1)", 0.01, 4.0),
                slider("momentum", "momentum γ", 0.0, 0.995, scale="log1m"),
                _step_slider(steps),
            ],
            "choices": [_METHOD_CHOICE],
        }
        super().__init__(spec, params)

    def problem_at(self, params=None) -> Problem:
        p = {**self.params, **(params or {})}
        n = self.spec["directions"]
        return problems.quadratic(condition_number=p["kappa"], dim=n, x0=np.ones(n))


class PhasePlane(Figure):
    r"""Position against velocity on :math:`f(\theta) = \theta^2/2`, with the roots that shape the path.

    From :math:`\theta_0 = 1`, heavy ball or Nesterov; the velocity is :math:`v_k = \theta_{k-1} - \theta_k`.
    Complex roots of :math:`z^2 - bz + c` make the path a spiral (the iterate crosses the minimum
    again and again); a double root is the critically damped setting, a straight approach; a root
    outside the unit circle diverges. A button picks the critically damped momentum for the
    current learning rate.

    Args:
      method: ``"momentum"`` or ``"nesterov"``.
      lr, momentum: opening setting (``lr`` is also :math:`\eta\lambda`, as the curvature is 1).
      steps: number of steps.
    """

    module = "phase.js"  # the front-end module in nagcore/widgets/
    _esm = bundle(module)

    def __init__(self, method: str = "momentum", *, lr: float = 0.5, momentum: float = 0.7, steps: int = 60):
        spec = {
            "problem": port_spec(self.problem_at()),
            "steps": int(steps),
            "blowup": BLOWUP,
            "sliders": [
                slider("lr", "learning rate η (curvature 1)", 0.01, 4.0),
                slider("momentum", "momentum γ", 0.0, 0.99),
                _step_slider(steps),
            ],
            "choices": [{"name": "method", "label": "method", "options": [["momentum", "heavy ball"], ["nesterov", "Nesterov"]]}],
        }
        super().__init__(spec, {"method": method, "lr": float(lr), "momentum": float(momentum), "step": steps // 2})

    def problem_at(self, params=None) -> Problem:
        return problems.quadratic([1.0], x0=[1.0])


class RateMapExplorer(Figure):
    """Steps per tenfold error reduction over (learning rate, momentum), one map per method; click a map to see the runs.

    For a quadratic with curvatures in ``[1/kappa, 1]`` (so ``L = 1``) each cell shows
    :math:`\\ln 10 / (-\\ln\\rho)`, the steps the method needs to shrink the error ten-fold at that
    constant setting, from the rates of :func:`nagcore.theory.rate` (computed in the browser by
    the port, on the grid of :func:`nagcore.theory.rate_map`'s defaults, so the numbers match the
    chapter's static maps). Grey cells diverge; white circles mark the tuned settings. A click on
    a map (or the two setting sliders) picks a setting; the panel beside the maps shows the error
    of each method at that setting on the 2-D quadratic with curvatures ``1/kappa`` and 1.

    Args:
      kappa: opening condition number.
      lr, momentum: opening setting.
      kappa_range: range of the condition-number slider (log scale).
      steps: steps of the runs beside the maps.

    Attributes:
      grid: the :class:`nagcore.theory.RateMap` grid the maps use (``lr``, ``momentum``).
    """

    module = "ratemap.js"  # the front-end module in nagcore/widgets/
    _esm = bundle(module)

    def __init__(self, kappa: float = 100.0, *, lr: float = 1.0, momentum: float = 0.8, kappa_range=(1.0, 1e4), steps: int = 300):
        self.grid = theory.rate_map(1.0)
        floor = 1.0 - float(self.grid.momentum[-1])
        spec = {
            "lr": self.grid.lr.tolist(),
            "momentum": self.grid.momentum.tolist(),
            "momentum_floor": floor,
            "momentum_ticks": [0.0, 0.5, 0.9, 0.99],
            "max_steps": 3000.0,
            "lut": _ramp("cividis", 256),
            "steps": int(steps),
            "blowup": BLOWUP,
            "labels": METHOD_LABELS,
            "sliders": [
                slider("kappa", "condition number κ", *kappa_range, scale="log"),
                slider("lr", "chosen learning rate ηL", float(self.grid.lr[0]), float(self.grid.lr[-1])),
                slider("momentum", "chosen momentum γ", 0.0, float(self.grid.momentum[-1]), scale="log1m"),
            ],
        }
        super().__init__(spec, {"kappa": float(kappa), "lr": float(lr), "momentum": float(momentum)})

    def problem_at(self, params=None) -> Problem:
        p = {**self.params, **(params or {})}
        return problems.quadratic([1.0 / p["kappa"], 1.0], x0=[1.0, 1.0])

    def _methods(self, p):
        return list(theory.METHODS)

    def fewest_steps(self, kappa: float) -> dict:
        """Each method's fewest steps per tenfold error reduction on the map's grid at ``kappa``, rounded to 0.1 as the figure shows them."""
        rates = theory.rate_map(kappa, lr=self.grid.lr, momentum=self.grid.momentum).rates
        return {m: round(float(theory.steps_per_decade(r.min())), 1) for m, r in rates.items()}
