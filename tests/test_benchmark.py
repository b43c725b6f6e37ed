"""A generous, in-process version of the speed claim (ratios only, never absolute times)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_sd_cv import WORKLOADS, run_workload  # noqa: E402


def test_w1_exact_tuning_is_far_faster_than_naive_refits_and_at_least_as_good():
    record = run_workload(*WORKLOADS["W1"], naive_sample=3, repeats=3)
    # benchmarks/README.md reports ~1000-2000x on an idle machine; assert a generous floor
    assert record["ratio_naive_over_ours"] >= 100
    assert record["ours_at_least_as_good"]
    assert record["max_coef_diff_closed_vs_refits"] < 1e-10
    assert record["ratio_ridgecv_over_ours_gcv"] > 0.5
    # the cross-fitted default against issue 9's naive k = 5 search (3,198 Ridge fits): 631-960x
    # (median 731x) over 8 runs at load 1.4-1.7 (benchmarks/RESULTS.md); generous floor (the code
    # before gave 302-417x in the same runs, the fold moments ~345x, the vectorised folds ~190x,
    # the per-candidate loops 40-50x)
    assert record["ratio_naive_k5_over_default"] >= 250
