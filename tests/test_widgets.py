"""nagcore.widgets, the Python side: what each figure sends to its front end, and how it is packed.

The front end's arithmetic is tested against nagcore in test_port.py (through Node); the figures
themselves, in a real browser, in test_figures_browser.py.
"""

import hashlib
import json
import math
import pathlib
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import yaml

import nagcore
from nagcore import plotting, problems, theory, widgets

ROOT = pathlib.Path(__file__).resolve().parents[1]
FRONT_END = ROOT / "nagcore" / "widgets"
RAVINE = problems.quadratic(condition_number=25, rotation=np.pi / 6, x0=[-1.5, -1.0])


def _numbers(obj):
    """Every number inside a nested JSON-like structure."""
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _numbers(v)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield obj


def _figures():
    return [
        widgets.RollingBall(problems.double_well(), [0.01, 0.1, 0.35], [0.0, 0.8, 0.99], 150, start=(1, 1, 60)),
        widgets.RollingBall(RAVINE, [0.05, 1.0, 2.5], [0.0, 0.8, 0.99], 60, start=(1, 1, 20)),
        widgets.MomentumVsNesterov(RAVINE, [0.05, 1.0, 1.9], [0.0, 0.9, 0.99], 60, start=(1, 1, 3), window=[(-1.7, 0.5), (-1.4, 0.8)]),
        widgets.LookAhead(RAVINE, [-1.0, -0.6], [0.1, 0.05], window=[(-1.7, 0.5), (-1.4, 0.8)]),
        widgets.ErrorByDirection(),
        widgets.PhasePlane(),
        widgets.RateMapExplorer(),
    ]


# ---------------------------------------------------------------- the port's problems


@pytest.mark.parametrize(
    "problem, expected",
    [
        (problems.rosenbrock(2.0, 50.0), {"name": "rosenbrock", "a": 2.0, "b": 50.0}),
        (problems.double_well(0.3), {"name": "double_well", "tilt": 0.3}),
        (problems.piecewise_quadratic(), {"name": "piecewise_quadratic"}),
    ],
)
def test_port_spec_recovers_the_parameters(problem, expected):
    spec = widgets.port_spec(problem)
    assert {k: spec[k] for k in expected} == expected


def test_port_spec_of_a_quadratic_is_its_hessian():
    angle, lam, centre = 0.4, np.array([0.5, 8.0]), np.array([1.0, -2.0])
    q = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    spec = widgets.port_spec(problems.quadratic(lam, rotation=angle, x_star=centre))
    assert spec["name"] == "quadratic" and spec["x_star"] == centre.tolist()
    np.testing.assert_allclose(spec["hessian"], q @ np.diag(lam) @ q.T, rtol=1e-12, atol=1e-12)
    # least squares and Nesterov's worst case are quadratics too
    worst = problems.nesterov_worst_case(dim=5)
    np.testing.assert_allclose(np.array(widgets.port_spec(worst)["hessian"]) @ worst.x_star, -worst.grad(np.zeros(5)), atol=1e-12)


def test_port_spec_refuses_a_problem_the_port_does_not_know():
    f = lambda x: np.sum(np.cosh(x), axis=-1)  # noqa: E731
    grad = np.sinh
    custom = nagcore.Problem(f, grad, np.zeros(2), 1.0, 1.0, "cosh bowl", np.ones(2), np.array([[-2.0, 2.0], [-2.0, 2.0]]))
    with pytest.raises(ValueError, match="cosh bowl"):
        widgets.port_spec(custom)


# ---------------------------------------------------------------- packing the front end


def test_every_figure_bundles_into_one_module():
    for figure in _figures():
        source = figure._esm
        assert "export default" in source and not re.search(r"^\s*import\b", source, re.M)
        names = re.findall(r"^// =+ nagcore/widgets/(\S+)$", source, re.M)
        assert names[-1] == figure.module and len(names) == len(set(names)), names
        assert names.index("nag.js") < names.index("words.js") < names.index(figure.module)


def test_bundle_refuses_cycles_and_foreign_imports(tmp_path, monkeypatch):
    (tmp_path / "a.js").write_text('import { b } from "./b.js";\nexport default {};\n')
    (tmp_path / "b.js").write_text('import { a } from "./a.js";\nexport const b = 1;\n')
    (tmp_path / "c.js").write_text('import * as d3 from "d3";\nexport default {};\n')
    (tmp_path / "d.js").write_text('import { e } from "./e.js";\nexport default {};\n')
    (tmp_path / "e.js").write_text("export const e = 1;\nexport default {};\n")
    monkeypatch.setattr(widgets, "_HERE", tmp_path)
    with pytest.raises(ValueError, match="circular"):
        widgets.bundle("a.js")
    with pytest.raises(ValueError, match="only `import"):
        widgets.bundle("c.js")
    with pytest.raises(ValueError, match="default export"):
        widgets.bundle("d.js")


def test_front_end_files_are_packaged():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'widgets/*.js' in pyproject and 'widgets/*.css' in pyproject
    assert {p.suffix for p in FRONT_END.iterdir()} <= {".js", ".css"}


# ---------------------------------------------------------------- what each figure sends


@pytest.mark.parametrize("figure", _figures(), ids=lambda f: type(f).__name__)
def test_state_is_json_small_and_within_the_sliders(figure):
    state = {"spec": figure.spec, "params": figure.params, "colors": figure.colors}
    json.dumps(state, allow_nan=False)
    assert all(math.isfinite(v) for v in _numbers(state))
    assert widgets.state_bytes(figure) < 100_000, "a figure's state (its front-end module included) must stay small"
    for s in figure.spec["sliders"]:
        assert s["min"] <= figure.params[s["name"]] <= s["max"], s["name"]
    assert {s["name"] for s in figure.spec["sliders"]} | {c["name"] for c in figure.spec.get("choices", [])} == set(figure.params)


def test_figures_refuse_bad_settings():
    with pytest.raises(ValueError, match="lr must start in"):
        widgets.Figure({"sliders": [widgets.slider("lr", "η", 0.1, 1.0)]}, {"lr": 2.0})
    with pytest.raises(ValueError, match="method must be one of"):
        widgets.Figure({"choices": [{"name": "method", "label": "m", "options": [["gd", "GD"]]}]}, {"method": "adam"})
    with pytest.raises(ValueError):
        widgets.Figure({"sliders": [], "x": float("nan")}, {})
    with pytest.raises(ValueError, match="low > 0"):
        widgets.slider("lr", "η", 0.0, 1.0, scale="log")
    with pytest.raises(ValueError, match="1-D or 2-D"):
        widgets.RollingBall(problems.quadratic(condition_number=4, dim=3), [0.1, 0.2], [0.5], 5)
    with pytest.raises(ValueError, match="inside the window"):
        widgets.RollingBall(RAVINE, [0.1, 0.2], [0.5], 5, window=[(0, 1), (0, 1)])
    with pytest.raises(ValueError, match="2-D"):
        widgets.MomentumVsNesterov(problems.double_well(), [0.1, 0.2], [0.5], 5)
    with pytest.raises(ValueError, match="directions"):
        widgets.ErrorByDirection(directions=20)


def test_runs_are_nagcore_runs_at_the_current_setting():
    ball = _figures()[1]
    p = ball.params
    runs = ball.runs()
    x0 = np.array([p["start1"], p["start2"]])
    gd = nagcore.run(nagcore.gradient_descent(p["lr"]), RAVINE, x0, 60, blowup=widgets.BLOWUP)
    hb = nagcore.run(nagcore.momentum(p["lr"], p["momentum"]), RAVINE, x0, 60, blowup=widgets.BLOWUP)
    np.testing.assert_array_equal(runs["gd"].x, gd.x)
    np.testing.assert_array_equal(runs["momentum"].x, hb.x)
    # a setting passed in replaces the current one
    assert ball.runs({"lr": 2.5})["gd"].diverged and not runs["gd"].diverged


def test_contour_lines_lie_on_their_levels():
    lines = widgets.contour_lines(RAVINE, levels=6)
    resolved = [np.array(line).reshape(-1, 2) for line in lines if len(line) >= 100]
    assert len(resolved) >= 3
    for pts in resolved:  # tiny ellipses near the minimum span only a few grid cells
        gap = RAVINE.f(pts) - RAVINE.f_star
        assert np.ptp(np.log(gap)) < 0.1, "a polyline crosses levels"


def _spectral_radius(method, h, g):
    """Largest |eigenvalue| of the 2x2 error recurrence, by numpy's eigvals (independent of theory.py)."""
    b, c = {"gd": (1 - h, 0.0), "momentum": (1 + g - h, g), "nesterov": ((1 + g) * (1 - h), g * (1 - h))}[method]
    return max(abs(np.linalg.eigvals(np.array([[b, -c], [1.0, 0.0]]))))


def test_rate_map_uses_the_chapters_grid_and_its_fewest_steps_are_right():
    explorer = widgets.RateMapExplorer()
    default = theory.rate_map(10.0)
    assert explorer.spec["lr"] == default.lr.tolist() and explorer.spec["momentum"] == default.momentum.tolist()
    fewest = explorer.fewest_steps(10.0)
    for m in theory.METHODS:  # brute force with eigvals over every grid cell
        worst = [max(_spectral_radius(m, lr * lam, g) for lam in (0.1, 1.0)) for g in default.momentum for lr in default.lr]
        assert fewest[m] == round(math.log(10) / -math.log(min(worst)), 1)
    assert fewest == {"gd": 11.6, "momentum": 3.8, "nesterov": 5.4}


def test_fewest_steps_at_the_edges_of_convergence():
    """Rate 0 needs no step per tenfold reduction; a best rate of exactly 1 never converges (inf, not a count)."""
    explorer = widgets.RateMapExplorer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # kappa = 1: every method at lr * L = 1 and momentum 0 (both on the grid) lands on the minimum in one step
        assert explorer.fewest_steps(1.0) == {"gd": 0.0, "momentum": 0.0, "nesterov": 0.0}
        # at momentum 0 all three are gradient descent, whose rate at lr * L = 2 is |1 - 2| = 1 exactly
        explorer.grid = theory.rate_map(1.0, lr=[2.0, 3.0], momentum=[0.0])
        assert explorer.fewest_steps(10.0) == {m: math.inf for m in theory.METHODS}


def test_colours_come_from_the_shared_palette():
    figure = _figures()[0]
    assert {k: figure.colors[k] for k in plotting.COLORS} == plotting.COLORS
    assert figure.colors["ink"] in plotting.PALETTE
    for path in FRONT_END.glob("*.js"):
        assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgb\(|hsl\(", path.read_text()), f"{path.name} must take every colour from the model"
    for figure in _figures():
        for method in figure.spec.get("methods", []):
            assert method["key"] in plotting.METHOD_KEYS


def test_lazy_import_and_one_way_dependencies():
    code = "import sys, nagcore; assert 'anywidget' not in sys.modules and 'ipywidgets' not in sys.modules; nagcore.widgets.RollingBall"
    subprocess.run([sys.executable, "-c", code], check=True)
    others = [p for p in (ROOT / "nagcore").glob("*.py") if p.name != "widgets.py"]
    for path in others:
        assert not re.search(r"^\s*(import|from)\s+(anywidget|ipywidgets)", path.read_text(), re.M), path.name


def test_static_site_loads_the_light_host_not_the_widget_manager():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    # a module script: deferred, so it never holds up the first paint of the text
    assert config["sphinx"]["config"]["nb_ipywidgets_js"] == {"widgets/embed-anywidget.js": {"type": "module"}}
    host = (ROOT / "_assets" / "widgets" / "embed-anywidget.js").read_text()
    assert "https://" not in host, "the host must not load anything from the network"


def test_vendored_front_end_matches_its_sources():
    assets = ROOT / "_assets" / "widgets"
    import anywidget

    installed = pathlib.Path(anywidget.__file__).parent / "nbextension" / "index.js"
    assert (assets / "anywidget" / "index.js").read_bytes() == installed.read_bytes(), "run `make vendor`"
    for line in (assets / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((assets / name).read_bytes()).hexdigest() == digest, name
    assert not list(ROOT.glob("**/_static")) or all(".venv" in p.parts or "_build" in p.parts for p in ROOT.glob("**/_static")), (
        "a _static/ folder makes jupyter-book inject every .js in it into every page"
    )
