"""The package's shape: imports flow one way, and importing nagcore changes nothing global."""

import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "nagcore"

# module -> the nagcore modules it may import (one-way: numpy-only core, then run, then the rest)
ALLOWED = {
    "_checks": set(),
    "problems": {"_checks"},
    "optimizers": {"_checks"},
    "_recycle": set(),
    "run": {"_checks", "_recycle", "problems", "optimizers"},
    "theory": {"_checks", "problems", "optimizers", "run"},
    "plotting": {"_checks", "problems", "optimizers", "run"},
    "verdicts": {"_checks", "problems", "optimizers", "run", "theory"},
    "widgets": {"_checks", "problems", "optimizers", "run", "theory", "plotting"},
    "restart": {"_checks", "problems", "optimizers"},
    "ode": {"_checks", "problems"},
    "pep": {"_checks", "problems"},
    "adaptive": {"_checks", "optimizers"},
    "mlp": {"_checks", "optimizers", "run"},
    "grading": set(),
}
THIRD_PARTY = {
    "matplotlib": {"plotting", "widgets"},
    "anywidget": {"widgets"},
    "ipywidgets": {"widgets"},
    "traitlets": {"widgets"},
    "PEPit": {"pep"},
    "cvxpy": {"pep"},
    "sklearn": {"mlp"},
    # the frameworks are what nagcore is checked against, never what it is built on
    "jax": set(),
    "keras": set(),
    "optax": set(),
    "torch": set(),
}


def nagcore_imports(path):
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


MODULES = sorted(p for p in PACKAGE.glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_imports_flow_one_way(path):
    assert path.stem in ALLOWED, f"new module {path.stem}: add it to ALLOWED with its place in the import order"
    imported = nagcore_imports(path)
    internal = {name.split(".")[1] for name in imported if name.startswith("nagcore.")}
    assert internal <= ALLOWED[path.stem], f"{path.stem} imports {sorted(internal - ALLOWED[path.stem])}"
    for lib, owners in THIRD_PARTY.items():
        if any(name == lib or name.startswith(lib + ".") for name in imported):
            assert path.stem in owners, f"{path.stem} must not import {lib}"


def test_library_code_does_not_print_or_sleep():
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        attrs = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
        assert "print" not in calls, path.name
        assert "sleep" not in attrs, path.name


def test_import_is_light_and_has_no_side_effects():
    code = (
        "import sys, nagcore; "
        "assert 'matplotlib' not in sys.modules, 'import nagcore pulled in matplotlib'; "
        "assert 'cvxpy' not in sys.modules and 'PEPit' not in sys.modules, 'import nagcore pulled in PEPit'; "
        "import matplotlib as mpl; before = dict(mpl.rcParams); "
        "from nagcore import plotting; "
        "assert dict(mpl.rcParams) == before, 'importing plotting changed rcParams'; "
        "plotting.use_style(); "
        "assert dict(mpl.rcParams) != before, 'use_style changed nothing'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
