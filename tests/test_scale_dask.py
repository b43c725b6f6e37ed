"""dask input: statistics reduced block by block on any scheduler, lazily predicted, never materialised."""

import tracemalloc

import numpy as np
import pytest
from sklearn.base import clone

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from selfdistill import SelfDistilledRidge, SelfDistilledRidgeCV  # noqa: E402
from selfdistill._dask import reduce_statistics  # noqa: E402
from selfdistill._statistics import GroupedStatistics, RowSplit  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::selfdistill.exceptions.GridBoundaryWarning")


def _close(a, b, tol=1e-8):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "est",
    [
        SelfDistilledRidge(alpha=4.0, xi=(0.6, -0.3)),
        SelfDistilledRidgeCV(tuning="gcv"),
        SelfDistilledRidgeCV(tuning="cp", fit_intercept=False),
    ],
    ids=repr,
)
@pytest.mark.parametrize("targets", [None, 2])
def test_dask_numpy_and_partial_fit_agree(rng, est, targets, linear_problem, partial_fit_in_chunks):
    X, y = linear_problem(rng, targets=targets, n=900, offset=2.0)
    w = rng.uniform(0.0, 2.0, size=X.shape[0])
    numpy_fit = clone(est).fit(X, y, sample_weight=w)
    chunks = (137, 4)  # uneven row blocks, split columns: both are rechunked as needed
    dask_fit = clone(est).fit(
        da.from_array(X, chunks=chunks), da.from_array(y, chunks=150), sample_weight=da.from_array(w, chunks=200)
    )
    streamed = partial_fit_in_chunks(clone(est), X, y, w, size=101)
    for other in (dask_fit, streamed):
        _close(other.coef_, numpy_fit.coef_)
        _close(other.intercept_, numpy_fit.intercept_)
    assert dask_fit.statistics_.n_rows == X.shape[0]


def test_predict_on_dask_is_lazy_and_matches_numpy(rng, linear_problem):
    X, y = linear_problem(rng, targets=2, n=900, offset=2.0)
    model = SelfDistilledRidgeCV().fit(X, y)
    lazy = model.predict(da.from_array(X, chunks=(200, 3)))
    assert isinstance(lazy, da.Array) and lazy.shape == (X.shape[0], 2)
    _close(lazy.compute(), model.predict(X), 1e-12)
    single = SelfDistilledRidge().fit(X, y[:, 0])
    lazy_1d = single.predict(da.from_array(X, chunks=300))
    assert isinstance(lazy_1d, da.Array) and lazy_1d.ndim == 1
    _close(lazy_1d.compute(), single.predict(X), 1e-12)
    with pytest.raises(ValueError, match="fitted with 6 features"):
        single.predict(da.from_array(X[:, :5], chunks=300))


def test_dask_dataframe_keeps_feature_names(rng, linear_problem, partial_fit_in_chunks):
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    X, y = linear_problem(rng, n=900, offset=2.0)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    ddf = dd.from_pandas(frame, npartitions=4)
    target = dd.from_pandas(pd.Series(y, name="y"), npartitions=4)
    model = SelfDistilledRidgeCV(tuning="gcv").fit(ddf, target)
    reference = SelfDistilledRidgeCV(tuning="gcv").fit(frame, y)
    assert list(model.feature_names_in_) == list(frame.columns)
    _close(model.coef_, reference.coef_)
    prediction = model.predict(ddf)
    _close(np.asarray(prediction.compute()), reference.predict(frame))
    # a validation split needs row positions: the frame's partition lengths are computed for it
    val = SelfDistilledRidgeCV(tuning="validation", random_state=5)
    _close(val.fit(ddf, target).coef_, partial_fit_in_chunks(clone(val), X, y, size=101).coef_)


def test_validation_tuning_on_dask(rng, linear_problem, partial_fit_in_chunks):
    X, y = linear_problem(rng, n=900, offset=2.0)
    est = SelfDistilledRidgeCV(tuning="validation", random_state=3)
    hashed = clone(est).fit(da.from_array(X, chunks=128), da.from_array(y, chunks=128))
    _close(hashed.coef_, partial_fit_in_chunks(clone(est), X, y, size=77).coef_, 1e-10)
    mixed = clone(est).partial_fit(X[:300], y[:300])  # a stream of numpy and dask chunks
    mixed.partial_fit(da.from_array(X[300:], chunks=250), y[300:])
    _close(mixed.coef_, hashed.coef_, 1e-10)
    assert mixed.statistics_.n_rows == X.shape[0]
    X_val, y_val = linear_problem(np.random.default_rng(1), n=300, offset=2.0)
    explicit = clone(est).fit(
        da.from_array(X, chunks=200), y, X_val=da.from_array(X_val, chunks=100), y_val=y_val
    )
    in_memory = clone(est).fit(X, y, X_val=X_val, y_val=y_val)
    _close(explicit.coef_, in_memory.coef_)
    numpy_val = clone(est).fit(da.from_array(X, chunks=200), y, X_val=X_val, y_val=y_val)
    _close(numpy_val.coef_, in_memory.coef_)


def test_cross_fitting_statistics_in_one_pass(rng, linear_problem):
    X, y = linear_problem(rng, n=700, d=4, offset=2.0)
    split = RowSplit.kfold(5, seed=9)
    (stats,) = reduce_statistics([(da.from_array(X, chunks=111), da.from_array(y, chunks=111), None, split, 1, 1, 0)])
    labels = split.groups(0, 700)
    reference = GroupedStatistics.empty(split, 4, 1).update(X, y)
    for j in range(5):
        train, held = stats.fold(j)
        ref_train, ref_held = reference.fold(j)
        assert held.n_rows == np.count_nonzero(labels == j)
        _close(held.xx, ref_held.xx, 1e-12)
        _close(train.xy, ref_train.xy, 1e-12)


def test_refusals_and_bad_dask_input(rng, linear_problem):
    X, y = linear_problem(rng, n=200, d=3, offset=2.0)
    Xd = da.from_array(X, chunks=50)
    with pytest.raises(NotImplementedError, match="leverage of every row"):
        SelfDistilledRidgeCV(tuning="loo").fit(Xd, y)
    # the cross-fitted default needs per-row held-out errors: refused, naming the modes that work
    with pytest.raises(NotImplementedError, match="held-out error.*Use tuning='gcv', 'cp' or 'validation'"):
        SelfDistilledRidgeCV().fit(Xd, y)
    assert SelfDistilledRidgeCV(tuning="gcv").fit(Xd, y).n_features_in_ == 3
    with pytest.raises(ValueError, match="y has 150 rows but X has 200"):
        SelfDistilledRidge().fit(Xd, da.from_array(y[:150], chunks=50))
    bad = X.copy()
    bad[123, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        SelfDistilledRidge().fit(da.from_array(bad, chunks=50), y)
    with pytest.raises(ValueError, match="negative"):
        SelfDistilledRidge().fit(Xd, y, sample_weight=-np.ones(200))


def test_large_dask_array_is_never_materialised(rng):
    n, d = 1_000_000, 10  # 80 MB if it were materialised
    X = da.random.RandomState(0).standard_normal(size=(n, d), chunks=(50_000, d))
    y = X @ np.arange(1.0, d + 1) + da.random.RandomState(1).standard_normal(size=n, chunks=50_000)
    tracemalloc.start()
    try:
        with dask.config.set(scheduler="threads", num_workers=2):
            model = SelfDistilledRidge(alpha=1.0, xi=(0.5,)).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < n * d * 8 / 4, f"peak traced memory {peak / 1e6:.1f} MB"
    assert np.all(np.abs(model.coef_ - np.arange(1.0, d + 1) * model.coef_[0]) < 0.05 * np.arange(1.0, d + 1))


def test_processes_scheduler_gives_the_same_model(rng, linear_problem):
    X, y = linear_problem(rng, n=400, d=4, offset=2.0)
    Xd, yd = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    threaded = SelfDistilledRidgeCV(tuning="gcv").fit(Xd, yd)
    with dask.config.set(scheduler="processes", num_workers=2):
        processes = SelfDistilledRidgeCV(tuning="gcv").fit(Xd, yd)
    _close(processes.coef_, threaded.coef_, 1e-12)


@pytest.fixture(scope="module")
def local_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield client


def test_distributed_cluster_fits_the_same_model(rng, local_client, linear_problem):
    X, y = linear_problem(rng, n=900, offset=2.0)
    Xd, yd = da.from_array(X, chunks=150), da.from_array(y, chunks=150)
    on_cluster = SelfDistilledRidgeCV(tuning="gcv").fit(Xd, yd)  # the active Client is the scheduler
    _close(on_cluster.coef_, SelfDistilledRidgeCV(tuning="gcv").fit(X, y).coef_)
    _close(on_cluster.predict(Xd).compute(), on_cluster.predict(X), 1e-12)


def test_uci_runner_on_the_dask_joblib_backend(local_client, uci_mirror):
    import joblib

    from selfdistill.reproduce.benchmark import run_uci

    kwargs = dict(datasets=("airfoil",), seeds=range(2), n_steps=(0, 1), data_dir=str(uci_mirror), show_progress=False)
    scheduler = local_client.cluster.scheduler
    transitions = scheduler.transition_counter
    with joblib.parallel_config(backend="dask"):
        on_dask = run_uci(**kwargs)
    assert scheduler.transition_counter > transitions  # the tasks went through the cluster
    local = run_uci(**kwargs, n_jobs=1)
    assert len(on_dask) == len(local) == 4
    np.testing.assert_allclose(on_dask["test_mse"], local["test_mse"], rtol=1e-12)
