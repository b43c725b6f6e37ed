"""Hinton et al.'s (2015) omitted-class transfer on scikit-learn's bundled digits.

The teacher is trained on every digit. The student -- a linear softmax model on the raw pixels
(:class:`~selfdistill.kd.SoftTargetLogisticRegression`) -- only ever sees the *transfer set*: the
teacher's training set with every image of one digit (default 3) removed. Students compared:

- ``hard labels``: labels only (``xi = 0``), with an output for the omitted digit. It can never
  predict that digit: its intercept is driven down because the digit is absent.
- ``soft targets``: Hinton's loss ``xi T^2 CE(q(v;T), q(z;T)) + (1 - xi) CE(y, q(z;1))``. The
  teacher's probabilities for the omitted digit on *other* digits are all it learns about it.
- ``soft targets + bias``: the same model with the omitted digit's bias raised by ``delta``,
  chosen WITHOUT any image of the omitted digit (that is the point): a prior correction
  (Saerens, Latinne & Decaestecker 2002). The student's implicit prior for the omitted class is
  its mean predicted probability on the transfer set, ``m_c``; the class's share in the
  teacher's training labels is ``pi_c``; the bias is raised by ``delta = log(pi_c / m_c)``.
  Hinton et al. raised the bias of 3 by a hand-picked 3.5 [recalled, not confirmed].

Soft targets are **cross-fitted**: every transfer-set row gets the probabilities of a teacher of
the same recipe fitted on the other folds (5-fold ``cross_val_predict``), not those of the teacher
on its own training rows, which are near one-hot (little dark knowledge to transfer). The share
of near-one-hot targets (max p > 0.99) is reported.

Two reference rows: the teacher, and the same linear student trained on labels of the full
training set (3s included). Two teachers: an MLP (300 ReLU units) and an RBF-kernel softmax model
(Nystroem features); they differ in how much probability they put on the omitted digit for other
digits, which decides how much the bias correction helps. The test-set sweep over ``delta`` in
the figure is for illustration only; nothing is tuned on the test set.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.special import softmax
from sklearn.datasets import load_digits
from sklearn.kernel_approximation import Nystroem
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from .._progress import progress
from ..kd import SoftTargetLogisticRegression
from ._experiment import Claim, Experiment, ReproduceContext, Results, interval_verdict
from ._kd_report import format_mean_se, mean_se, write_tables
from ._outputs import markdown_table, pyplot, save_figure, write_json

NAME = "kd-omitted-class"
#: Our choices where Hinton et al. (2015) used MNIST and deep networks.
ASSUMPTIONS = (
    "sklearn's 8x8 digits, a linear softmax student and MLP / RBF-kernel teachers stand in for "
    "Hinton et al.'s MNIST networks; the paper's bias of 3.5 and error counts are recalled, not "
    "confirmed.",
    "The bias is corrected by a prior correction chosen without images of the omitted digit "
    "(ours), not by hand.",
)
TEACHERS = {
    "mlp": "MLP, 300 ReLU units",
    "kernel": "RBF kernel (Nystroem 300) + softmax",
}
STUDENTS = (
    "teacher (all digits)",
    "student, hard labels, all digits",
    "student, hard labels, transfer set",
    "student, soft targets, transfer set",
    "student, soft targets + bias, transfer set",
)
#: Hinton et al.'s bias shift for the omitted 3 [recalled]; only drawn as a reference line.
HINTON_BIAS = 3.5


@dataclass(frozen=True)
class OmittedClassConfig:
    """Settings of the experiment (recorded in every result row)."""

    omitted: int = 3  # the digit left out of the transfer set
    n_test: int = 597  # held-out test images (of the 1797 digits)
    xi: float = 0.9  # teacher weight of Hinton's loss
    temperature: float = 4.0
    student_alpha: float = 1e-4  # L2 penalties of the linear softmax student and teacher
    teacher_alpha: float = 1e-4
    mlp_hidden: int = 300  # the MLP teacher's ReLU units and iterations
    mlp_max_iter: int = 500
    nystroem_gamma: float = 0.2  # the kernel teacher's RBF features
    nystroem_components: int = 300
    n_folds: int = 5  # cross-fitting folds of the soft targets
    n_bias: int = 61  # points of the figure's test-set bias sweep (illustration only)


def make_teacher(kind: str, seed: int, config: OmittedClassConfig):
    """An unfitted teacher of the given kind."""
    if kind == "mlp":
        return MLPClassifier(
            (config.mlp_hidden,), alpha=1e-3, max_iter=config.mlp_max_iter, random_state=seed
        )
    return make_pipeline(
        Nystroem(
            gamma=config.nystroem_gamma,
            n_components=config.nystroem_components,
            random_state=seed,
        ),
        SoftTargetLogisticRegression(alpha=config.teacher_alpha),
    )


def prior_correction_bias(logits_transfer: np.ndarray, column: int, prior: float) -> float:
    """``delta = log(prior / m)``, ``m`` = mean predicted probability of ``column`` on the transfer set.

    Uses only the transfer set (no example of the omitted class) and the class's share in the
    teacher's training labels.
    """
    implicit_prior = float(np.mean(softmax(logits_transfer, axis=1)[:, column]))
    return float(np.log(prior / implicit_prior))


def _accuracies(pred, y, omitted) -> dict[str, float]:
    is_omitted = y == omitted
    return {
        "acc_overall": float(np.mean(pred == y)),
        "acc_omitted": float(np.mean(pred[is_omitted] == omitted)),
        "acc_others": float(np.mean(pred[~is_omitted] == y[~is_omitted])),
    }


def _predict_shifted(logits, classes, column, delta):
    shifted = logits.copy()
    shifted[:, column] += delta
    return classes[np.argmax(shifted, axis=1)]


def run_seed(seed: int, kind: str, config: OmittedClassConfig, bias_grid: np.ndarray):
    """One split and one teacher: the result rows and the test-set bias sweep."""
    # The matrices are tiny: BLAS threads only add overhead (10x slower measured on 2 busy cores).
    with threadpool_limits(limits=1):
        return _run_seed(seed, kind, config, bias_grid)


def _run_seed(seed, kind, config, bias_grid):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixel intensities 0..16 -> [0, 1]
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=config.n_test, stratify=y, random_state=seed
    )
    teacher = make_teacher(kind, seed, config).fit(X_tr, y_tr)
    classes = teacher.classes_
    column = int(np.flatnonzero(classes == config.omitted)[0])
    transfer = y_tr != config.omitted
    X_tf, y_tf = X_tr[transfer], y_tr[transfer]
    # Cross-fitted soft targets: each transfer row gets the prediction of a teacher (same recipe)
    # fitted on the other 4 folds, since the teacher's predictions on its own training rows are
    # near one-hot and carry little dark knowledge (issue 17).
    folds = StratifiedKFold(n_splits=config.n_folds, shuffle=True, random_state=seed)
    teacher_proba = cross_val_predict(
        make_teacher(kind, seed, config), X_tr, y_tr, cv=folds, method="predict_proba"
    )[transfer]
    onehot_share = float(np.mean(teacher_proba.max(axis=1) > 0.99))

    def student():
        return SoftTargetLogisticRegression(alpha=config.student_alpha)

    full = student().fit(X_tr, y_tr)
    hard = student().fit(X_tf, y_tf, classes=classes)
    soft = student().fit_kd(
        X_tf, y_tf, teacher_proba, xi=config.xi, temperature=config.temperature, classes=classes
    )
    prior = float(np.mean(y_tr == config.omitted))
    delta = prior_correction_bias(soft.decision_function(X_tf), column, prior)
    soft_logits = soft.decision_function(X_te)
    predictions = {
        STUDENTS[0]: teacher.predict(X_te),
        STUDENTS[1]: full.predict(X_te),
        STUDENTS[2]: hard.predict(X_te),
        STUDENTS[3]: soft.predict(X_te),
        STUDENTS[4]: _predict_shifted(soft_logits, classes, column, delta),
    }
    base = {"seed": seed, "teacher": kind, **asdict(config), "n_train": len(y_tr),
            "n_transfer": len(y_tf), "soft_targets": "cross-fitted",
            "share_targets_above_0.99": onehot_share}
    rows = [
        {**base, "model": model, "bias": delta if model == STUDENTS[4] else np.nan,
         **_accuracies(pred, y_te, config.omitted)}
        for model, pred in predictions.items()
    ]
    sweep = [
        {"seed": seed, "teacher": kind, "bias": b,
         **_accuracies(_predict_shifted(soft_logits, classes, column, b), y_te, config.omitted)}
        for b in bias_grid
    ]
    return rows, sweep


def plot(summary: pd.DataFrame, sweep: pd.DataFrame, raw: pd.DataFrame, config, path, quick=False):
    """Bars of the accuracies per student and teacher, and the bias sweeps."""
    plt = pyplot()

    kinds = list(dict.fromkeys(summary["teacher"]))
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    width = 0.8 / len(kinds)
    for ax, metric, title in (
        (axes[0, 0], "acc_omitted", f"accuracy on the omitted digit {config.omitted}"),
        (axes[0, 1], "acc_overall", "overall test accuracy"),
    ):
        for i, kind in enumerate(kinds):
            part = summary[summary["teacher"] == kind].set_index("model").loc[list(STUDENTS)]
            bars = ax.bar(
                np.arange(len(STUDENTS)) + (i - (len(kinds) - 1) / 2) * width,
                part[f"{metric}_mean"],
                width,
                yerr=part[f"{metric}_se"].fillna(0.0),
                capsize=3,
                label=f"teacher: {TEACHERS[kind]}",
            )
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
        ax.set_xticks(np.arange(len(STUDENTS)))
        ax.set_xticklabels([s.replace(", ", "\n") for s in STUDENTS], fontsize=8)
        ax.set_ylabel("accuracy (mean ± s.e. over seeds)")
        ax.set_ylim(0, 1.05)
        ax.set_title(title)
        ax.legend(fontsize=8, loc="lower right")
    for ax, kind in zip(axes[1], kinds, strict=False):
        curve = sweep[sweep["teacher"] == kind].groupby("bias")[
            ["acc_omitted", "acc_others", "acc_overall"]
        ].mean()
        for metric, label in (
            ("acc_omitted", f"on digit {config.omitted}"),
            ("acc_others", "on the other digits"),
            ("acc_overall", "overall"),
        ):
            ax.plot(curve.index, curve[metric], label=label)
        chosen = raw[(raw["teacher"] == kind) & (raw["model"] == STUDENTS[4])]["bias"].mean()
        ax.axvline(chosen, color="k", ls="--", label=f"chosen on transfer set (mean {chosen:.2f})")
        ax.axvline(HINTON_BIAS, color="grey", ls=":", label=f"Hinton et al.: +{HINTON_BIAS}")
        ax.set_xlabel(f"bias added to the logit of digit {config.omitted}")
        ax.set_ylabel("test accuracy (mean over seeds)")
        ax.set_title(f"soft-target student, teacher: {TEACHERS[kind]}\n(test-set sweep, illustration only)")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(
        f"Omitted-class transfer on sklearn digits: the student never sees a {config.omitted} "
        f"(xi={config.xi}, T={config.temperature})"
    )
    fig.tight_layout()
    return save_figure(fig, path, quick=quick, dpi=120)


def claims(results: Results) -> list[Claim]:
    """Claim rows: transfer of the omitted digit, the bias correction and its side effects."""
    summary, config = (results.values[key] for key in ("summary", "config"))
    def cell(kind, model, metric):
        row = summary[(summary["teacher"] == kind) & (summary["model"] == model)].iloc[0]
        return float(row[f"{metric}_mean"]), float(np.nan_to_num(row[f"{metric}_se"]))

    def worst(values: dict, threshold: float) -> str:
        # the claim must hold for every teacher: the weakest teacher decides
        verdicts = [interval_verdict(m, s, threshold, better="higher") for m, s in values.values()]
        for v in ("not reproduced", "inconclusive"):
            if v in verdicts:
                return v
        return "reproduced"

    def listing(values: dict) -> str:
        return "; ".join(f"{k} teacher: {m:.3f} ± {s:.3f}" for k, (m, s) in values.items())

    out = []
    hard = {k: cell(k, STUDENTS[2], "acc_omitted") for k in TEACHERS}
    out.append(Claim(
        claim=f"A student trained on hard labels without any {config.omitted} never predicts it",
        paper="implied by the set-up (Hinton et al. 2015, Sec. 3)",
        measured=listing(hard),
        verdict="confirmed" if max(m for m, _ in hard.values()) == 0.0 else "NOT confirmed",
        rule="confirmed only if no test image of the omitted digit is predicted as it",
        uncertainty="exact count on the test split",
    ))
    soft = {k: cell(k, STUDENTS[3], "acc_omitted") for k in TEACHERS}
    out.append(Claim(
        claim=f"Soft targets alone teach the student to recognise the unseen digit {config.omitted}",
        paper="MNIST, no 3s in the transfer set: 206 test errors, 133 of them on the 1010 "
              "test 3s (87% of 3s right) [recalled]",
        measured=listing(soft) + " (cross-fitted soft targets)",
        verdict=worst(soft, 0.3),
        rule="for every teacher, accuracy on the omitted digit above 0.3 (95% interval)",
        uncertainty="s.e. over seeds (splits)",
    ))
    fixed = {k: cell(k, STUDENTS[4], "acc_omitted") for k in TEACHERS}
    out.append(Claim(
        claim=f"Raising the bias of {config.omitted} recovers most of the omitted class",
        paper="bias of 3 raised by 3.5: 14 errors on the 1010 test 3s [recalled]",
        measured=listing(fixed) + " (bias chosen on the transfer set by prior correction)",
        verdict=worst(fixed, 0.9),
        rule="for every teacher, accuracy on the omitted digit above 0.9 (95% interval)",
        uncertainty="s.e. over seeds (splits)",
    ))
    changes = {}
    for k in TEACHERS:
        before, se_b = cell(k, STUDENTS[3], "acc_overall")
        after, se_a = cell(k, STUDENTS[4], "acc_overall")
        changes[k] = (after - before, float(np.hypot(se_a, se_b)), before, after)
    verdicts = [interval_verdict(d, se, 0.0, better="higher") for d, se, _, _ in changes.values()]
    out.append(Claim(
        claim="The bias correction also lowers the overall error",
        paper="errors 206 -> 109 of 10,000 after the bias fix [recalled]",
        measured="; ".join(f"{k} teacher: overall accuracy {b:.3f} -> {a:.3f}"
                           for k, (_, _, b, a) in changes.items()),
        verdict=("reproduced" if all(v == "reproduced" for v in verdicts) else
                 "not reproduced" if "not reproduced" in verdicts else "inconclusive"),
        rule="for every teacher, the overall accuracy after minus before the correction is above "
             "0 (95% interval, s.e. of the difference from the two s.e., conservative)",
        uncertainty="; ".join(f"{k}: {d:+.3f} ± {se:.3f}" for k, (d, se, _, _) in changes.items()),
    ))
    return out


def run(config: OmittedClassConfig, ctx: ReproduceContext) -> Results:
    """The ``compute`` hook: every teacher and student per seed, the bias sweep, tables and a PNG.

    ``values`` holds the ``summary`` frame and ``config`` for :func:`claims`.
    """
    seeds = list(range(ctx.seeds))
    bias_grid = np.linspace(-2.0, 10.0, config.n_bias)
    tasks = [(seed, kind) for seed in seeds for kind in TEACHERS]
    results = Parallel(n_jobs=ctx.jobs)(
        delayed(run_seed)(seed, kind, config, bias_grid)
        for seed, kind in progress(tasks, desc=NAME, enabled=ctx.progress)
    )
    raw = pd.DataFrame([row for rows, _ in results for row in rows])
    raw["quick"] = ctx.quick
    sweep = pd.DataFrame([row for _, rows in results for row in rows])
    metrics = ["acc_overall", "acc_omitted", "acc_others", "bias", "share_targets_above_0.99"]
    summary = mean_se(raw, ["teacher", "model"], metrics)
    table = format_mean_se(
        summary,
        ["teacher", "model"],
        {
            "acc_overall": "accuracy overall",
            "acc_omitted": f"accuracy on {config.omitted}s",
            "acc_others": "accuracy on other digits",
            "bias": f"bias added to {config.omitted}",
            "share_targets_above_0.99": "soft targets with max p > 0.99",
        },
    )
    table["n_seeds"] = summary["n_seeds"]
    write_tables(summary, table, ctx.out_dir, "kd_omitted_class", raw=raw)
    sweep.to_csv(ctx.out_dir / "kd_omitted_class_bias_sweep.csv", index=False)
    plot(summary, sweep, raw, config, ctx.out_dir / "kd_omitted_class.png", ctx.quick)
    write_json(
        ctx.out_dir / "kd_omitted_class_config.json",
        {"config": asdict(config), "seeds": seeds, "quick": ctx.quick},
    )
    header = (
        f"Omitted-class transfer (digit {config.omitted} never in the transfer set), "
        f"{len(seeds)} seeds{' [QUICK]' if ctx.quick else ''}\n\n"
    )
    return Results(header + markdown_table(table), {"summary": summary, "config": config})


#: Quick: fewer MLP iterations and a coarser bias sweep; 10 seeds (2 quick) by default.
EXPERIMENT = Experiment(
    NAME, full=OmittedClassConfig(), quick=OmittedClassConfig(mlp_max_iter=300, n_bias=25),
    compute=run, claims=claims, assumptions=ASSUMPTIONS, seeds=(10, 2),
)
