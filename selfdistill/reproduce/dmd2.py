"""DMD2 at toy scale: one- and four-step students of a diffusion teacher (torch extra).

Yin et al., "Improved Distribution Matching Distillation for Fast Image Synthesis" (NeurIPS 2024)
distil a many-step diffusion model into a one-step generator with a distribution-matching gradient,
a fake critic updated more often than the generator (two time-scale rule), a GAN head on the
critic's features and, for few-step students, backward simulation. We run the same algorithm
(:class:`selfdistill.diffusion.DMD2Distiller`) on two data sets small enough for a CPU:

- **ring**: a 2-D mixture of 8 Gaussians (radius 2, std 0.1), 10 000 training points, a learned
  unconditional EDM teacher (:class:`~selfdistill.diffusion.DiffusionTeacher`, 3 x 128 MLP);
  metrics: energy distance and RBF-MMD (bandwidth 0.2) to 2 000 fresh points, modes covered and
  the share of samples within 3 std of a mode.
- **digits**: scikit-learn's 1 797 8x8 digits scaled to [-1, 1], a class-conditional teacher
  (3 x 256 MLP, float32 for speed); metrics: "FID on digits" (:func:`selfdistill.metrics.fid_digits`)
  and energy distance against all 1 797 images for 1 797 samples drawn with the real label
  counts, and the accuracy of a fixed digits classifier on the class-conditional samples.

Methods: the teacher with 40 Heun steps (79 network evaluations) and with 1 step; DMD
(regression on 4 096 teacher noise/sample pairs, weight 0.25, r = 1, no GAN); DMD2 without GAN
(r = 5); DMD2 with GAN; DMD2 4-step with and without backward simulation (with GAN). Students
are trained for 3 000 (ring) / 2 000 (digits) iterations, batch 256, AdamW lr 1e-3 -- toy-scale
settings of ours; the loss weights, ratios, noise ranges and schedules are the official ones.

Runs sequentially (``--jobs`` is not used); the full run takes about 10 minutes on 2 CPU cores
(set ``OMP_NUM_THREADS=1`` on a shared machine: oversubscribed torch threads are much slower).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from .._progress import progress
from ..metrics import (
    digits_class_accuracy,
    digits_unit_scale,
    energy_distance,
    fid_digits,
    mmd_rbf,
    mode_coverage,
)
from ._base import (
    Claim,
    ExperimentOutput,
    ReproduceContext,
    environment_info,
    markdown_table,
    save_figure,
    write_json,
)
from ._kd_report import format_mean_se, mean_se
from ._paper import pyplot

NAME = "dmd2"


@dataclass(frozen=True)
class Method:
    """One row of the comparison: a teacher sampler or a distilled student."""

    key: str
    label: str
    teacher_steps: int | None = None  # teacher rows: ODE steps (Heun; one step is Euler)
    student: dict = field(default_factory=dict)  # student rows: DMD2Distiller parameters


METHODS: tuple[Method, ...] = (
    Method("teacher_40", "teacher, 40 Heun steps", teacher_steps=40),
    Method("teacher_1", "teacher, 1 step", teacher_steps=1),
    Method(
        "dmd",
        "DMD (regression, r=1)",
        student={"regression_weight": 0.25, "dfake_gen_update_ratio": 1, "gan": False},
    ),
    Method("dmd2_no_gan", "DMD2 without GAN", student={"gan": False}),
    Method("dmd2_gan", "DMD2 with GAN", student={"gan": True}),
    Method(
        "dmd2_4step_bs",
        "DMD2 4-step, backward sim.",
        student={"gan": True, "n_student_steps": 4, "backward_simulation": True},
    ),
    Method(
        "dmd2_4step_fwd",
        "DMD2 4-step, forward-noised data",
        student={"gan": True, "n_student_steps": 4, "backward_simulation": False},
    ),
)


@dataclass(frozen=True)
class DataConfig:
    """Settings for one data set (recorded in every result row)."""

    dataset: str
    teacher_hidden: tuple[int, ...]
    teacher_iter: int
    teacher_batch: int
    student_iter: int
    student_batch: int = 256
    lr: float = 1e-3
    n_regression_pairs: int = 4096
    dtype: str = "float64"
    n_train: int = 10_000  # ring only
    n_eval: int = 2_000  # ring: fresh reference points and samples; digits: all images


RING = DataConfig("ring", (128, 128, 128), 6000, 512, 3000)
DIGITS = DataConfig("digits", (256, 256, 256), 4000, 256, 2000, dtype="float32")
RING_QUICK = replace(
    RING,
    teacher_hidden=(32, 32),
    teacher_iter=150,
    student_iter=30,
    student_batch=64,
    n_regression_pairs=128,
    n_train=1000,
    n_eval=300,
)
DIGITS_QUICK = replace(
    DIGITS,
    teacher_hidden=(32, 32),
    teacher_iter=60,
    teacher_batch=64,
    student_iter=20,
    student_batch=64,
    n_regression_pairs=128,
)
RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.1
RING_MMD_BANDWIDTH = 0.2


# ----------------------------------------------------------------------------- data
def _ring_data(cfg: DataConfig, seed: int):
    from ..diffusion.data import ring_means, sample_gaussian_mixture

    centers = ring_means(RING_MODES, RING_RADIUS)
    X, _ = sample_gaussian_mixture(centers, RING_STD, cfg.n_train, random_state=seed)
    reference, _ = sample_gaussian_mixture(centers, RING_STD, cfg.n_eval, random_state=seed + 1)
    return X, None, reference, None


def _digits_data():
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = digits_unit_scale(digits.data)
    return X, digits.target, X, digits.target


# ----------------------------------------------------------------------------- one data set
def _metrics(dataset: str, samples: np.ndarray, reference: np.ndarray, y_eval) -> dict:
    if dataset == "ring":
        from ..diffusion.data import ring_means

        cover = mode_coverage(samples, ring_means(RING_MODES, RING_RADIUS), RING_STD)
        return {
            "energy_distance": energy_distance(samples, reference),
            "mmd": mmd_rbf(samples, reference, bandwidth=RING_MMD_BANDWIDTH),
            "modes_covered": cover.n_modes_covered,
            "high_quality": cover.high_quality_fraction,
        }
    return {
        "fid_digits": fid_digits(samples, reference),
        "energy_distance": energy_distance(samples, reference),
        "class_accuracy": digits_class_accuracy(samples, y_eval),
    }


def _run_dataset(cfg: DataConfig, seed: int, quick: bool, show: bool):
    """Train the teacher and every student for one data set and seed; return rows and figures' data."""
    from ..diffusion import DiffusionTeacher, DMD2Distiller

    if cfg.dataset == "ring":
        X, y, reference, y_eval = _ring_data(cfg, 1000 * seed)
    else:
        X, y, reference, y_eval = _digits_data()
    n_eval = reference.shape[0]
    start = time.perf_counter()
    teacher = DiffusionTeacher(
        hidden=cfg.teacher_hidden,
        n_iter=cfg.teacher_iter,
        batch_size=cfg.teacher_batch,
        dtype=cfg.dtype,
        random_state=seed,
        verbose=show,
    ).fit(X, y)
    teacher_seconds = time.perf_counter() - start
    rows, samples, histories = [], {}, {}
    gallery_labels = None if y is None else np.repeat(np.arange(10), 10)
    for method in METHODS:
        start = time.perf_counter()
        row = {"dataset": cfg.dataset, "method": method.key, "label": method.label, "seed": seed}
        if method.teacher_steps is not None:
            sampler = "heun" if method.teacher_steps > 1 else "euler"

            def draw(n, labels, rs, _steps=method.teacher_steps, _sampler=sampler):
                return teacher.sample(n, labels, n_steps=_steps, sampler=_sampler, random_state=rs)

            row.update(nfe=teacher.n_function_evaluations(method.teacher_steps, sampler))
            row.update(fit_seconds=teacher_seconds)
        else:
            params = {
                "max_iter": cfg.student_iter,
                "batch_size": cfg.student_batch,
                "lr": cfg.lr,
                "n_regression_pairs": cfg.n_regression_pairs,
                "dtype": cfg.dtype,
                "random_state": seed,
                "verbose": show,
                **method.student,
            }
            student = DMD2Distiller(teacher, **params).fit(X, y)
            histories[method.key] = student.history_

            def draw(n, labels, rs, _student=student):
                return _student.sample(n, labels, random_state=rs)

            row.update(nfe=student.n_function_evaluations_)
            row.update(fit_seconds=time.perf_counter() - start)
            row.update({k: params[k] for k in ("max_iter", "lr", "batch_size")})
            full = student.get_params()
            row.update(
                {
                    k: full[k]
                    for k in (
                        "n_student_steps",
                        "dfake_gen_update_ratio",
                        "gan",
                        "backward_simulation",
                        "regression_weight",
                    )
                }
            )
        generated = draw(n_eval, y_eval, 10_000 + seed)
        row.update(_metrics(cfg.dataset, generated, reference, y_eval))
        row.update(
            teacher_iter=cfg.teacher_iter,
            teacher_hidden=str(cfg.teacher_hidden),
            dtype=cfg.dtype,
            quick=quick,
        )
        rows.append(row)
        samples[method.key] = (
            generated if gallery_labels is None else draw(100, gallery_labels, 20_000 + seed)
        )
    samples["data"] = X[:n_eval] if y is None else _real_gallery(X, y)
    return rows, samples, histories


def _real_gallery(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.vstack([X[y == c][:10] for c in range(10)])


# ----------------------------------------------------------------------------- figures
def _plot_ring(samples: dict, table: pd.DataFrame, path, quick: bool):
    from ..diffusion.data import ring_means

    plt = pyplot()
    keys = ["data", *(m.key for m in METHODS)]
    labels = {"data": "training data", **{m.key: m.label for m in METHODS}}
    fig, axes = plt.subplots(2, 4, figsize=(16, 8.4), sharex=True, sharey=True)
    centers = ring_means(RING_MODES, RING_RADIUS)
    for ax, key in zip(axes.ravel(), keys, strict=True):
        pts = samples[key]
        ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.35, color="tab:blue", label="samples")
        ax.scatter(
            centers[:, 0], centers[:, 1], marker="x", color="tab:red", s=30, label="mode centres"
        )
        title = labels[key]
        if key != "data":
            row = table[table["method"] == key].iloc[0]
            title += f"\nED {row['energy_distance']:.3f}, {row['nfe']} NFE"
        ax.set_title(title, fontsize=10)
        ax.set_xlim(-3.2, 3.2)
        ax.set_ylim(-3.2, 3.2)
        ax.set_aspect("equal")
    for ax in axes[-1]:
        ax.set_xlabel("$x_1$")
    for ax in axes[:, 0]:
        ax.set_ylabel("$x_2$")
    axes[0, 0].legend(loc="lower left", fontsize=8, markerscale=3)
    fig.suptitle("Ring of 8 Gaussians: samples of the teacher and of the distilled students")
    return save_figure(fig, path, quick=quick)


def _plot_digits(samples: dict, table: pd.DataFrame, path, quick: bool):
    plt = pyplot()
    keys = ["data", *(m.key for m in METHODS)]
    labels = {"data": "real digits", **{m.key: m.label for m in METHODS}}
    fig, axes = plt.subplots(2, 4, figsize=(16, 8.8))
    for ax, key in zip(axes.ravel(), keys, strict=True):
        images = np.clip(samples[key], -1, 1).reshape(10, 10, 8, 8)
        # One-pixel white gutters between the tiles; rows are classes, columns samples.
        tiles = np.pad(images, ((0, 0), (0, 0), (0, 1), (0, 1)), constant_values=-1.0)
        mosaic = tiles.transpose(0, 2, 1, 3).reshape(90, 90)
        ax.imshow(mosaic, cmap="gray_r", vmin=-1, vmax=1)
        title = labels[key]
        if key != "data":
            row = table[table["method"] == key].iloc[0]
            title += f"\nFID {row['fid_digits']:.2f}, {row['nfe']} NFE"
        ax.set_title(title, fontsize=10)
        ax.set_yticks(np.arange(4, 90, 9), [str(c) for c in range(10)])
        ax.set_xticks([])
        ax.set_ylabel("class (row)")
    fig.suptitle("Class-conditional 8x8 digits: one row per class, 10 samples each")
    return save_figure(fig, path, quick=quick)


def _plot_training(histories: dict, path, quick: bool):
    plt = pyplot()
    fig, axes = plt.subplots(len(histories), 2, figsize=(12, 3.6 * len(histories)), squeeze=False)
    for row_axes, (dataset, per_method) in zip(axes, histories.items(), strict=True):
        for key, history in per_method.items():
            label = next(m.label for m in METHODS if m.key == key)
            gen = history[history["generator_updated"]]
            window = max(1, len(gen) // 30)
            # Rolling medians: the per-sample normaliser mean|x - mu_real| can be tiny, so single
            # batches spike (the official normalisation; the update itself is clipped).
            row_axes[0].plot(gen["iteration"], gen["loss_dm"].rolling(window).median(), label=label)
            window = max(1, len(history) // 30)
            row_axes[1].plot(
                history["iteration"], history["loss_fake"].rolling(window).median(), label=label
            )
        row_axes[0].set_title(f"{dataset}: distribution-matching loss (generator steps)")
        row_axes[1].set_title(f"{dataset}: fake-critic denoising loss (every iteration)")
        for ax in row_axes:
            ax.set_xlabel("iteration")
            ax.set_yscale("log")
        row_axes[0].set_ylabel(r"$L_{DM} = \frac{1}{2}\,\mathrm{mean}\, g^2$ (rolling median)")
        row_axes[1].set_ylabel(r"$L_{fake}$ (rolling median)")
        row_axes[1].legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path, quick=quick)


# ----------------------------------------------------------------------------- claims
def _claims(summary: pd.DataFrame, n_seeds: int) -> list[Claim]:
    def value(dataset: str, method: str, metric: str) -> float:
        sel = summary[(summary["dataset"] == dataset) & (summary["method"] == method)]
        return float(sel[f"{metric}_mean"].iloc[0]) if len(sel) else float("nan")

    seeds = f"{n_seeds} seed{'s' if n_seeds > 1 else ''}"
    claims = []
    teacher_fid, student_fid = (
        value("digits", "teacher_40", "fid_digits"),
        value("digits", "dmd2_gan", "fid_digits"),
    )
    teacher_ed, student_ed = (
        value("ring", "teacher_40", "energy_distance"),
        value("ring", "dmd2_gan", "energy_distance"),
    )
    one_step_fid = value("digits", "teacher_1", "fid_digits")
    if student_fid <= teacher_fid:
        verdict = "reproduced (toy scale)"
    elif student_fid < 0.5 * (teacher_fid + one_step_fid) and student_fid <= 2 * teacher_fid:
        verdict = "partly: close to the teacher, not better"
    else:
        verdict = "not reproduced at this scale"
    claims.append(
        Claim(
            claim="A one-step DMD2 student matches its many-step teacher at a fraction of the cost",
            paper="FID 1.28 on ImageNet-64 with one step, surpassing the teacher with 500x fewer "
            "network evaluations [abstract]",
            measured=f"digits FID {student_fid:.2f} (1 NFE) vs teacher {teacher_fid:.2f} (79 NFE) "
            f"and teacher 1-step {one_step_fid:.2f}; ring energy distance {student_ed:.4f} vs "
            f"{teacher_ed:.4f} ({seeds})",
            verdict=verdict,
        )
    )
    no_gan, gan = (
        value("digits", "dmd2_no_gan", "fid_digits"),
        value("digits", "dmd2_gan", "fid_digits"),
    )
    ring_no_gan, ring_gan = (
        value("ring", "dmd2_no_gan", "energy_distance"),
        value("ring", "dmd2_gan", "energy_distance"),
    )
    claims.append(
        Claim(
            claim="The GAN term on the critic's features improves the one-step student",
            paper="ImageNet-64 FID 2.61 without GAN -> 1.51 with GAN [README]",
            measured=f"digits FID {no_gan:.2f} -> {gan:.2f}; ring energy distance "
            f"{ring_no_gan:.4f} -> {ring_gan:.4f} ({seeds})",
            verdict="reproduced"
            if gan < no_gan and ring_gan < ring_no_gan
            else (
                "mixed"
                if gan < no_gan or ring_gan < ring_no_gan
                else "not reproduced at this scale"
            ),
        )
    )
    bs, fwd = (
        value("digits", "dmd2_4step_bs", "fid_digits"),
        value("digits", "dmd2_4step_fwd", "fid_digits"),
    )
    ring_bs, ring_fwd = (
        value("ring", "dmd2_4step_bs", "energy_distance"),
        value("ring", "dmd2_4step_fwd", "energy_distance"),
    )
    claims.append(
        Claim(
            claim="Backward simulation beats training a multi-step student on noised real data",
            paper="removes the training/inference mismatch of multi-step students (SDXL 4-step "
            "ablation; numbers not quoted here)",
            measured=f"4-step digits FID {bs:.2f} (backward sim.) vs {fwd:.2f} (forward-noised); "
            f"ring energy distance {ring_bs:.4f} vs {ring_fwd:.4f} ({seeds})",
            verdict="reproduced"
            if bs < fwd and ring_bs < ring_fwd
            else ("mixed" if bs < fwd or ring_bs < ring_fwd else "not reproduced at this scale"),
        )
    )
    dmd, dmd2 = value("digits", "dmd", "fid_digits"), value("digits", "dmd2_no_gan", "fid_digits")
    ring_dmd, ring_dmd2 = (
        value("ring", "dmd", "energy_distance"),
        value("ring", "dmd2_no_gan", "energy_distance"),
    )
    claims.append(
        Claim(
            claim="With the two time-scale rule the regression loss (and its pairs) is not needed",
            paper="DMD2 drops DMD's regression loss; ImageNet-64 FID 2.62 (DMD) -> 2.61 (DMD2 w/o "
            "GAN) -> 1.28 [abstract, README]",
            measured=f"digits FID {dmd:.2f} (DMD: regression, r=1) vs {dmd2:.2f} (DMD2, r=5, no "
            f"regression); ring energy distance {ring_dmd:.4f} vs {ring_dmd2:.4f} ({seeds})",
            verdict="reproduced"
            if dmd2 <= dmd and ring_dmd2 <= ring_dmd
            else (
                "mixed" if dmd2 <= dmd or ring_dmd2 <= ring_dmd else "not reproduced at this scale"
            ),
        )
    )
    return claims


# ----------------------------------------------------------------------------- entry point
def run(ctx: ReproduceContext) -> ExperimentOutput:
    """Run both data sets for ``ctx.n_seeds(1)`` seeds; write tables, figures and claims."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise ImportError("the dmd2 experiment needs PyTorch: pip install torch==2.13.0") from exc
    n_seeds = ctx.n_seeds(1)
    configs = (RING_QUICK, DIGITS_QUICK) if ctx.quick else (RING, DIGITS)
    rows, first_samples, histories = [], {}, {}
    tasks = [(cfg, seed) for seed in range(n_seeds) for cfg in configs]
    for cfg, seed in progress(tasks, desc="dmd2 data sets x seeds", enabled=ctx.progress):
        task_rows, samples, task_histories = _run_dataset(cfg, seed, ctx.quick, show=False)
        rows += task_rows
        if seed == 0:
            first_samples[cfg.dataset] = samples
            histories[cfg.dataset] = task_histories
    data = pd.DataFrame(rows)
    metrics = [
        "nfe",
        "energy_distance",
        "mmd",
        "modes_covered",
        "high_quality",
        "fid_digits",
        "class_accuracy",
        "fit_seconds",
    ]
    summary = mean_se(data, ["dataset", "method", "label"], metrics)

    out = ctx.out_dir
    files = []
    data.to_csv(out / "dmd2_results.csv", index=False)
    summary.to_csv(out / "dmd2_summary.csv", index=False)
    files += [out / "dmd2_results.csv", out / "dmd2_summary.csv"]
    sections = []
    ring_cols = {
        "energy_distance": "energy distance",
        "mmd": "MMD² (h=0.2)",
        "high_quality": "share on a mode",
    }
    digit_cols = {
        "fid_digits": "FID (digits)",
        "class_accuracy": "class accuracy",
        "energy_distance": "energy distance",
    }
    for dataset, cols in (("ring", ring_cols), ("digits", digit_cols)):
        part = summary[summary["dataset"] == dataset].reset_index(drop=True)
        table = pd.DataFrame({"method": part["label"], "NFE": part["nfe_mean"].astype(int)})
        table = pd.concat([table, format_mean_se(part, [], cols, digits=4)], axis=1)
        if dataset == "ring":
            table = pd.concat(
                [table, format_mean_se(part, [], {"modes_covered": "modes (of 8)"}, 1)], axis=1
            )
        table = pd.concat([table, format_mean_se(part, [], {"fit_seconds": "train s"}, 0)], axis=1)
        sections.append(
            f"### {dataset}{' (quick)' if ctx.quick else ''}\n\n" + markdown_table(table)
        )
    markdown = (
        "[QUICK] smoke configuration: numbers are not results.\n\n" if ctx.quick else ""
    ) + "\n".join(sections)
    (out / "dmd2_summary.md").write_text(markdown)
    files.append(out / "dmd2_summary.md")
    files.append(
        write_json(
            out / "dmd2_config.json",
            {
                "experiment": NAME,
                "configs": [asdict(c) for c in configs],
                "methods": [asdict(m) for m in METHODS],
                "seeds": n_seeds,
                "quick": ctx.quick,
                "environment": environment_info(),
            },
        )
    )
    ring_table = data[(data["dataset"] == "ring") & (data["seed"] == 0)]
    digits_table = data[(data["dataset"] == "digits") & (data["seed"] == 0)]
    figures = [
        _plot_ring(first_samples["ring"], ring_table, out / "dmd2_ring_samples.png", ctx.quick),
        _plot_digits(first_samples["digits"], digits_table, out / "dmd2_digits_samples.png",
                     ctx.quick),
        _plot_training(histories, out / "dmd2_training_curves.png", ctx.quick),
    ]
    files += figures
    claims = _claims(summary, n_seeds)
    if ctx.quick:
        for claim in claims:
            claim.verdict = "not assessed (quick mode: a few iterations)"
    note = (
        "\nNFE = network evaluations per sample. Means over seeds (± s.e. with several seeds). "
        "Toy scale: MLP networks, 2-D ring and 8x8 digits, a few thousand iterations.\n"
    )
    return ExperimentOutput(
        name=NAME, summary=markdown + note, files=files, claims=claims, figures=figures
    )
