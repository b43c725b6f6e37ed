"""The prepared GPU check (benchmarks/cuda_smoke.py): skips cleanly without CUDA, runs end to end on
the CPU at tiny sizes, and stops at its time limit."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "cuda_smoke.py"


@pytest.fixture(scope="module")
def smoke():
    spec = importlib.util.spec_from_file_location("cuda_smoke", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_cuda_the_check_skips_with_status_0(smoke, capsys):
    if torch.cuda.is_available():
        pytest.skip("CUDA is present: run `python benchmarks/cuda_smoke.py` itself")
    assert smoke.main(["--device", "cuda"]) == 0
    assert "SKIP: CUDA is not available" in capsys.readouterr().out


def test_time_limit_stops_the_check(smoke, capsys, monkeypatch):
    import time

    # A stage that outlasts the limit, so the check does not depend on the machine's speed.
    monkeypatch.setattr(smoke, "_diffusion", lambda *args: time.sleep(5))
    assert smoke.main(["--device", "cpu", "--quick", "--time-limit", "0.05"]) == 2
    assert "TIME LIMIT" in capsys.readouterr().out


@pytest.mark.slow
def test_cpu_run_of_the_whole_script(smoke, capsys):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        status = smoke.main(["--device", "cpu", "--quick", "--iters", "5", "--time-limit", "120"])
    finally:
        torch.set_num_threads(before)
    out = capsys.readouterr().out
    assert status == 0, out
    assert "binary/torch agreement 1.0000" in out and out.rstrip().endswith("OK")
