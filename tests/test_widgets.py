"""nagcore.widgets, the Python side: the frames it sends are nagcore.run's iterates, JSON-safe and small.

The drawing itself is tested in a real browser by test_site_browser.py.
"""

import base64
import hashlib
import json
import math
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import nagcore
from nagcore import plotting, problems, widgets

ROOT = pathlib.Path(__file__).resolve().parents[1]
RAVINE = dict(condition_number=25, rotation=np.pi / 6, x0=[-1.5, -1.0])
LRS, MOMENTA, STEPS = [0.25, 1.0, 1.9, 2.5], [0.3, 0.9], 40


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


def _decode(run, steps, d):
    """A run's flat iterates back to shape (steps + 1, d), None as NaN."""
    return np.array([np.nan if v is None else v for v in run["x"]], dtype=float).reshape(steps + 1, d)


@pytest.fixture(scope="module")
def ball2d():
    return widgets.RollingBall(problems.quadratic(**RAVINE), LRS, MOMENTA, STEPS, start=(1, 1))


@pytest.fixture(scope="module")
def ball1d():
    return widgets.RollingBall(problems.double_well(), [0.05, 0.1, 0.3], [0.5, 0.8, 0.95], 120)


@pytest.fixture(scope="module")
def versus():
    return widgets.MomentumVsNesterov(problems.quadratic(**RAVINE), LRS, MOMENTA, STEPS, start=(1, 1, 5))


def test_payload_has_one_run_per_grid_cell(ball2d, versus):
    gd, mom = ball2d.payload["methods"]["gd"], ball2d.payload["methods"]["momentum"]
    assert len(gd["runs"]) == len(LRS) and isinstance(gd["runs"][0], dict)
    assert [len(row) for row in mom["runs"]] == [len(MOMENTA)] * len(LRS)
    for run in [*gd["runs"], *(r for row in mom["runs"] for r in row)]:
        assert len(run["x"]) == 2 * (STEPS + 1) and len(run["f"]) == STEPS + 1
    for method in versus.payload["methods"].values():
        assert [len(row) for row in method["runs"]] == [len(MOMENTA)] * len(LRS)
    assert [s["name"] for s in ball2d.sliders] == ["lr", "momentum", "step"]
    assert ball2d.sliders[2]["values"] == list(range(STEPS + 1))
    assert versus.selection == {"lr": 1, "momentum": 1, "step": 5}


def test_frames_are_nagcores_iterates_run_one_by_one(ball2d, versus):
    """Each frame equals a separate, unbatched nagcore.run, to the rounding of the payload."""
    p = problems.quadratic(**RAVINE)
    for i, lr in enumerate(LRS):
        expected = nagcore.run(nagcore.gradient_descent(lr), p, p.x0, STEPS, blowup=widgets.BLOWUP)
        _compare(ball2d.payload["methods"]["gd"]["runs"][i], expected, p)
        for j, gamma in enumerate(MOMENTA):
            for name, factory, payload in (
                ("momentum", nagcore.momentum, ball2d.payload),
                ("momentum", nagcore.momentum, versus.payload),
                ("nesterov", nagcore.nesterov, versus.payload),
            ):
                expected = nagcore.run(factory(lr, gamma), p, p.x0, STEPS, blowup=widgets.BLOWUP)
                _compare(payload["methods"][name]["runs"][i][j], expected, p)


def _compare(run, expected, problem):
    x = _decode(run, expected.x.shape[0] - 1, expected.x.shape[-1])
    cut = run["diverged_at"]
    assert (cut >= 0) == bool(expected.diverged)
    keep = slice(None) if cut < 0 else slice(0, cut)
    np.testing.assert_allclose(x[keep], expected.x[keep], rtol=0, atol=5e-4 + 1e-12)
    if cut >= 0:
        assert np.all(np.isnan(x[cut:])) and np.all(np.isfinite(x[:cut]))
        dist = np.linalg.norm(expected.x[cut] - problem.x_star)
        assert not np.isfinite(dist) or dist > widgets.BLOWUP * (1 + np.linalg.norm(problem.x0 - problem.x_star))
    if "f" in run:
        gap = np.array([np.nan if v is None else v for v in run["f"]])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            want = np.maximum(np.log10(expected.f - problem.f_star), widgets.LOG_FLOOR)
        np.testing.assert_allclose(gap[keep], want[keep], atol=0.005 + 1e-12)


def test_diverged_runs_are_cut_and_marked(ball2d, versus):
    # lr = 2.5 > 2/L: gradient descent diverges on this quadratic (L = 1)
    assert ball2d.payload["methods"]["gd"]["runs"][3]["diverged_at"] > 0
    assert ball2d.payload["methods"]["gd"]["runs"][0]["diverged_at"] == -1
    # Nesterov is unstable at lr = 1.9 with momentum 0.9, heavy ball is not
    assert versus.payload["methods"]["nesterov"]["runs"][2][1]["diverged_at"] > 0
    assert versus.payload["methods"]["momentum"]["runs"][2][1]["diverged_at"] == -1


@pytest.mark.parametrize("fixture", ["ball1d", "ball2d", "versus"])
def test_state_is_json_without_nan_and_small(request, fixture):
    widget = request.getfixturevalue(fixture)
    state = {k: getattr(widget, k) for k in ("payload", "sliders", "selection", "colors", "description")}
    json.dumps(state, allow_nan=False)
    assert all(math.isfinite(v) for v in _numbers(state))
    assert widgets.payload_bytes(widget) < 60_000


def test_the_chapters_widgets_stay_small():
    well = widgets.RollingBall(problems.double_well(), [0.02, 0.05, 0.1, 0.2, 0.3], [0.5, 0.7, 0.8, 0.9, 0.95], 120)
    assert widgets.payload_bytes(well) < 80_000


def test_one_dimensional_ball_sits_on_the_curve(ball1d):
    p = problems.double_well()
    run = ball1d.payload["methods"]["momentum"]["runs"][1][1]
    x = np.array(run["x"], dtype=float)
    np.testing.assert_allclose(run["y"], p.f(x[:, None]), atol=2e-3)


def test_contour_lines_lie_on_their_levels():
    p = problems.quadratic(**RAVINE)
    lines = widgets.contour_lines(p, levels=6)
    assert lines and all(len(line) % 2 == 0 for line in lines)
    resolved = [np.array(line).reshape(-1, 2) for line in lines if len(line) >= 100]
    assert len(resolved) >= 3
    for pts in resolved:  # tiny ellipses near the minimum span only a few grid cells
        gap = p.f(pts) - p.f_star
        assert np.ptp(np.log(gap)) < 0.1, "a polyline crosses levels"


def test_frame_widget_refuses_nan_and_bad_sliders():
    slider = {"name": "step", "label": "step", "values": [0, 1], "start": 0}
    with pytest.raises(ValueError):
        widgets.FrameWidget(kind="curve", sliders=[slider], payload={"x": [float("nan")]}, description="d")
    with pytest.raises(ValueError, match="start index"):
        widgets.FrameWidget(kind="curve", sliders=[dict(slider, start=2)], payload={}, description="d")
    with pytest.raises(ValueError, match="unique"):
        widgets.FrameWidget(kind="curve", sliders=[slider, slider], payload={}, description="d")
    with pytest.raises(ValueError, match="1-D or 2-D"):
        widgets.RollingBall(problems.quadratic(condition_number=4, dim=3), [0.1], [0.5], 5)


def test_colours_come_from_the_shared_palette(ball2d):
    assert {k: ball2d.colors[k] for k in plotting.COLORS} == plotting.COLORS
    assert ball2d.colors["ink"] in plotting.PALETTE
    js = (ROOT / "nagcore" / "widgets" / "frames.js").read_text()
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgb\(|hsl\(", js), "frames.js must take every colour from the model"
    for method in ball2d.payload["methods"].values():
        assert method["color"] in plotting.COLORS


def test_lazy_import_and_one_way_dependencies():
    code = "import sys, nagcore; assert 'anywidget' not in sys.modules and 'ipywidgets' not in sys.modules; nagcore.widgets.RollingBall"
    subprocess.run([sys.executable, "-c", code], check=True)
    others = [p for p in (ROOT / "nagcore").glob("*.py") if p.name != "widgets.py"]
    for path in others:
        assert not re.search(r"^\s*(import|from)\s+(anywidget|ipywidgets)", path.read_text(), re.M), path.name


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


@pytest.fixture(scope="module")
def ratemap():
    return widgets.RateMapExplorer(kappas=(10.0, 1000.0), n_lr=24, n_momentum=18, start=1)


def _spectral_radius(method, h, g):
    """Largest |eigenvalue| of the 2x2 error recurrence, by numpy's eigvals (independent of theory.py)."""
    b, c = {"gd": (1 - h, 0.0), "momentum": (1 + g - h, g), "nesterov": ((1 + g) * (1 - h), g * (1 - h))}[method]
    return max(abs(np.linalg.eigvals(np.array([[b, -c], [1.0, 0.0]]))))


def test_rate_map_cells_match_eigenvalues_of_the_iteration(ratemap):
    rmap = ratemap.rate_map
    shape = ratemap.payload["shape"]
    assert shape == [18, 24]
    for m in ("gd", "momentum", "nesterov"):
        for k, kappa in enumerate(rmap.kappa):
            codes = np.frombuffer(base64.b64decode(ratemap.payload["methods"][m]["grids"][k]), dtype=np.uint8).reshape(shape)
            for j in range(0, 18, 5):
                for i in range(0, 24, 5):
                    g, lr = rmap.momentum[j], rmap.lr[i]
                    rho = max(_spectral_radius(m, lr * lam, g) for lam in (1 / kappa, 1.0))
                    if rho >= 1 + 1e-9:
                        assert codes[j, i] == widgets.DIVERGES, (m, kappa, g, lr)
                    elif rho < 1 - 1e-9:
                        steps = math.log(10) / -math.log(rho)
                        expected = 254 * math.log(max(steps, 1)) / math.log(widgets.MAX_STEPS_PER_DECADE)
                        assert abs(codes[j, i] - min(expected, 254)) <= 0.5 + 1e-6, (m, kappa, g, lr)


def test_rate_map_marks_tuned_settings_and_stays_small(ratemap):
    for m in ("gd", "momentum", "nesterov"):
        tuned = ratemap.payload["methods"][m]["tuned"]
        for (lr, g), kappa in zip(tuned, (10.0, 1000.0)):
            expect = nagcore.theory.tuned(m, 1.0, 1.0 / kappa)
            assert lr == pytest.approx(expect.lr, abs=1e-5) and g == pytest.approx(expect.momentum, abs=1e-5)
    assert len(ratemap.payload["lut"]) == 255
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in ratemap.payload["lut"])
    assert widgets.payload_bytes(widgets.RateMapExplorer()) < 120_000  # the chapter's default grid
    assert ratemap.sliders == [{"name": "kappa", "label": "condition number κ", "values": [10.0, 1000.0], "start": 1}]
