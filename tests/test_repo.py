"""Repository-level promises: README and CI agree, the package imports without extras, doctests run."""

from __future__ import annotations

import doctest
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    setup = text.split("## Set up and run", 1)[1]
    return re.findall(r"```bash\n(.+?)\n```", setup)


def test_readme_gives_two_commands_and_ci_runs_the_test_one():
    commands = _readme_commands()
    assert len(commands) >= 2, "README must give the install+run command and the test command"
    test_command = commands[1].strip()
    ci_text = (ROOT / ".ci" / "run").read_text()
    ci_lines = [line.strip() for line in ci_text.splitlines()]
    assert test_command in ci_lines, f".ci/run must run README's test command {test_command!r}"
    assert test_command == "python -m pytest -n 2"
    assert "selfdistill reproduce all" in commands[0]
    # A fresh clone needs nothing beside it: the UCI data ship in data/uci.
    assert "--data-dir" not in commands[0] and "shared/uci" not in commands[0]
    assert "SELFDISTILL_DATA_DIR" not in ci_text and "shared/uci" not in ci_text
    assert "shared/uci" not in (ROOT / "README.md").read_text(), "README still points outside the clone"


def test_readme_documents_the_fast_lane_and_the_cpu_torch_index():
    text = (ROOT / "README.md").read_text()
    assert 'python -m pytest -m "not slow"' in _readme_commands(), "no fast test lane in README"
    assert "https://download.pytorch.org/whl/cpu" in text, "README lacks PyTorch's CPU wheel index"


def test_shipped_data_keep_the_repository_small():
    size = sum(p.stat().st_size for p in (ROOT / "data").rglob("*") if p.is_file())
    assert size < 2_000_000, f"data/ holds {size / 1e6:.1f} MB; ship compressed files only"
    assert not list((ROOT / "data").rglob("*.csv")) and not list((ROOT / "data").rglob("*.dat"))


def test_package_data_files_are_declared_for_the_wheel():
    # An editable install finds every file; a wheel only the declared package data.
    tomllib = pytest.importorskip("tomllib")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    data = [p for p in (ROOT / "selfdistill").rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert data, "expected the UCI registry records among the package data"
    for path in data:
        package = ".".join(path.parent.relative_to(ROOT).parts)
        assert any(path.match(pattern) for pattern in declared.get(package, ())), (
            f"{path.relative_to(ROOT)} is not declared in [tool.setuptools.package-data]"
        )


#: NumPy functions that exist only from NumPy 2.0 on.
_NUMPY_2_ONLY = ("bitwise_count", "unstack", "cumulative_sum", "cumulative_prod", "vecdot",
                 "matrix_transpose", "isdtype")


def test_declared_numpy_floor_covers_the_numpy_functions_used():
    floor = re.search(r'^\s*"(numpy\s*>=\s*(\d+)[^"]*)"', (ROOT / "pyproject.toml").read_text(), re.M)
    floor, major = floor.group(1), int(floor.group(2))
    used = sorted(
        {f"np.{name} in {path.relative_to(ROOT)}"
         for path in (ROOT / "selfdistill").rglob("*.py")
         for name in _NUMPY_2_ONLY if f"np.{name}(" in path.read_text()}
    )
    assert major >= 2 or not used, f"pyproject allows {floor!r} but the code uses {used}"


@pytest.mark.slow
def test_import_does_not_need_torch():
    code = "import sys, selfdistill, selfdistill.datasets; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "module", ["selfdistill.theory", "selfdistill._filters", "selfdistill._spectral"]
)
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_readme_example_runs(capsys):
    import numpy as np

    text = (ROOT / "README.md").read_text()
    example = re.findall(r"```python\n(.+?)\n```", text, re.S)[0]
    import warnings

    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(example, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out
    sd, X, y = namespace["sd"], namespace["X"], namespace["y"]
    # What the example claims: the closed form equals literal refits, optimal SD is no worse than
    # ridge and no better than the oracle bound, the 1-step sign rule, and a fitted estimator.
    coef = namespace["coef"]
    np.testing.assert_allclose(coef, sd.sd_coef_reference(X, y, alpha=10.0, xi=[-0.5, 1.5]), rtol=1e-8)
    best, one, model = namespace["best"], namespace["one"], namespace["model"]
    oracle = sd.oracle_risk(X, namespace["theta"], 1.0)
    ridge = sd.excess_risk(X, namespace["theta"], 1.0, alpha=10.0, xi=[])
    assert oracle - 1e-12 <= best.risk <= ridge + 1e-12
    assert np.sign(one.xi) == -np.sign(one.ridge_risk_derivative)
    assert model.n_steps_ in (0, 1, 2) and model.alpha_ > 0
    assert np.isfinite(model.predict(X)).all() and len(printed.splitlines()) >= 4


def _public_objects():
    import dataclasses
    import inspect

    import selfdistill

    for name in selfdistill.__all__:
        obj = getattr(selfdistill, name)
        if name.startswith("__"):
            continue
        # result dataclasses document their fields under "Attributes", not as parameters (PR01)
        ignore = {"PR01"} if dataclasses.is_dataclass(obj) else set()
        yield f"selfdistill.{name}", ignore
        if inspect.isclass(obj):
            for method in ("fit", "predict", "report"):
                if method in vars(obj):
                    yield f"selfdistill.{name}.{method}", set()


@pytest.mark.parametrize(("target", "ignore"), list(_public_objects()), ids=lambda v: v if isinstance(v, str) else "")
def test_public_docstrings_are_numpydoc(target, ignore, numpydoc_errors):
    errors = numpydoc_errors(target, ignore)
    assert not errors, errors


def test_docstrings_state_the_conventions():
    import selfdistill

    for name in ("sd_coef", "excess_risk", "SelfDistilledRidge", "SelfDistilledRidgeCV", "SelfDistilledKernelRidge"):
        doc = getattr(selfdistill, name).__doc__
        assert re.search(r"\*?sum\*? of squares", doc), name  # the lambda scaling
        assert "teacher" in doc, name  # the xi convention


def test_lint_is_clean():
    import shutil

    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (it is part of the dev extra)")
    result = subprocess.run(
        [ruff, "check", "selfdistill", "tests", "benchmarks", "experiments"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
