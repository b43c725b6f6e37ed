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
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines, f".ci/run must run README's test command {test_command!r}"
    assert "selfdistill reproduce all" in commands[0]


def test_import_does_not_need_torch():
    code = "import sys, selfdistill, selfdistill.datasets; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "module", ["selfdistill.theory", "selfdistill._filters", "selfdistill._spectral"]
)
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_readme_example_runs():
    text = (ROOT / "README.md").read_text()
    example = re.findall(r"```python\n(.+?)\n```", text, re.S)[0]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(example, "README.md", "exec"), {})


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
