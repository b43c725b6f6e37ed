"""selfdistill.nn is an optional torch extra: a clear error without torch, the core imports fine."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Make `import torch` fail in a fresh interpreter, as on a machine without the extra. (A None
# entry in sys.modules would also block it, but scipy's array-API helpers trip over that.)
_BLOCK_TORCH = (
    "import sys\n"
    "class _NoTorch:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'torch' or name.startswith('torch.'):\n"
    "            raise ImportError('No module named torch (blocked by the test)')\n"
    "sys.meta_path.insert(0, _NoTorch())\n"
)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _BLOCK_TORCH + code], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow
def test_nn_without_torch_names_the_pinned_install_command():
    result = _run("import selfdistill.nn")
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "pip install torch==2.13.0" in result.stderr


@pytest.mark.slow
def test_core_and_bci_loader_import_without_torch():
    result = _run("import selfdistill, selfdistill.datasets.bci; "
                  "from selfdistill.datasets import load_bci, BCI_DATASETS; print('ok')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


_METHODS = ("fit", "predict", "predict_proba", "predict_binary", "decision_logits", "export",
            "model_bits", "inference_ops", "similarities")


def test_public_docstrings_are_numpydoc(numpydoc_errors):
    import pytest

    pytest.importorskip("torch")

    import selfdistill.nn as nn

    # the experiment's hooks are documented once, on selfdistill.reproduce.Experiment
    # (tests/test_reproduce_figures.py checks that docstring)
    targets = ["selfdistill.datasets.bci.load_bci", "selfdistill.datasets.bci.window_means"]
    for name in nn.__all__:
        targets.append(f"selfdistill.nn.{name}")
        obj = getattr(nn, name)
        if isinstance(obj, type):
            targets += [f"selfdistill.nn.{name}.{m}" for m in _METHODS if hasattr(obj, m)]
    problems = {t: errors for t in targets
                if (errors := numpydoc_errors(t))}
    assert not problems, problems
