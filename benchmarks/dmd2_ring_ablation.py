"""Ablations: why does a one-step DMD2 student put mass between the modes of the 2-D ring?

Each run distils a teacher of the 8-Gaussian ring (radius 2, std 0.1) into a one-step generator
and scores 2 000 samples against 2 000 fresh data points (energy distance, on-mode fraction,
mode-weight total variation). One knob changes per row, relative to ``base``; see ``VARIANTS``.
Run a subset with ``--variants a,b,c`` and ``--seeds``; rows are appended to ``--out`` (CSV) as
they finish, so a time-boxed run keeps what it completed.

    OMP_NUM_THREADS=1 python benchmarks/dmd2_ring_ablation.py --variants base,gan_w0.03 --seeds 0

Single-threaded torch (``torch.set_num_threads(1)``): the host is shared. ``--summarize`` prints
mean ± s.e. per variant and whether issue 17's target (on-mode fraction ≥ 0.85, mode-weight TV
≤ 0.05, energy distance ≤ 3x the 40-step teacher's; each with a 95% interval) is met.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from selfdistill.diffusion import (
    DiffusionTeacher,
    DMD2Distiller,
    GaussianMixtureTeacher,
    energy_distance,
    mixture_mode_metrics,
)
from selfdistill.diffusion.data import ring_means, sample_gaussian_mixture

RADIUS, STD, N_MODES = 2.0, 0.1, 8

#: teacher settings and DMD2Distiller parameters per variant (merged over ``base``).
BASE = {
    "teacher": "exact",  # "exact" (GaussianMixtureTeacher) or "learned" (DiffusionTeacher)
    "teacher_hidden": (128, 128, 128),
    "teacher_iter": 3000,
    "weights": None,
    "student": {
        "gan": True,
        "max_iter": 3000,
        "batch_size": 256,
        "lr": 1e-3,
        "dtype": "float32",
    },
}
VARIANTS: dict[str, dict] = {
    "base": {},
    "no_gan": {"student": {"gan": False}},
    "r1": {"student": {"dfake_gen_update_ratio": 1}},
    "r10": {"student": {"dfake_gen_update_ratio": 10}},
    "gan_w0.03": {"student": {"gen_gan_weight": 0.03, "disc_gan_weight": 0.1}},
    "gan_w0.1": {"student": {"gen_gan_weight": 0.1, "disc_gan_weight": 0.1}},
    "gan_w0.3": {"student": {"gen_gan_weight": 0.3, "disc_gan_weight": 0.3}},
    "lowt": {"student": {"max_t": 0.5}},
    "hight": {"student": {"min_t": 0.5}},
    "wide": {"teacher_hidden": (256, 256, 256)},
    "deep": {"teacher_hidden": (128, 128, 128, 128)},
    "long": {"student": {"max_iter": 9000}},
    "lr3e-4": {"student": {"lr": 3e-4}},
    "noclip": {"student": {"max_grad_norm": None}},
    "nowd": {"student": {"weight_decay": 0.0}},
    "long_gan_w0.1": {"student": {"max_iter": 9000, "gen_gan_weight": 0.1, "disc_gan_weight": 0.1}},
    "learned_base": {"teacher": "learned", "teacher_iter": 6000},
    "ode_pretrain": {"student": {"regression_pretrain_iter": 2000}},
    "ode_pretrain_long": {"student": {"regression_pretrain_iter": 2000, "max_iter": 9000}},
    "dmd2_reg": {"student": {"regression_weight": 0.25}},
    "dmd1": {"student": {"regression_weight": 0.25, "dfake_gen_update_ratio": 1, "gan": False}},
    "long18k": {"student": {"max_iter": 18000}},
    "long_wide": {"student": {"max_iter": 9000}, "teacher_hidden": (256, 256, 256)},
    "long_r10": {"student": {"max_iter": 9000, "dfake_gen_update_ratio": 10}},
    "long_nogan": {"student": {"max_iter": 9000, "gan": False}},
    "batchnorm": {"student": {"dm_normalizer": "batch"}},
    "batchnorm_nogan": {"student": {"dm_normalizer": "batch", "gan": False}},
    "batchnorm_wide": {"student": {"dm_normalizer": "batch"}, "teacher_hidden": (256, 256, 256)},
    "batchnorm_long": {"student": {"dm_normalizer": "batch", "max_iter": 9000}},
    # Training-choice levers (issue 17, second round): generator EMA, cosine LR decay, batch size.
    "long_ema": {"student": {"max_iter": 9000, "ema_decay": 0.99}},
    "long_cos": {"student": {"max_iter": 9000, "lr_schedule": "cosine"}},
    "long_ema_cos": {"student": {"max_iter": 9000, "ema_decay": 0.99, "lr_schedule": "cosine"}},
    "long_b1024": {"student": {"max_iter": 9000, "batch_size": 1024}},
    "long_reg_ema_cos": {"student": {"max_iter": 9000, "regression_weight": 0.25,
                                     "ema_decay": 0.99, "lr_schedule": "cosine"}},
    "long_wide_ema": {"student": {"max_iter": 9000, "ema_decay": 0.99},
                      "teacher_hidden": (256, 256, 256)},
    "long_ema_ganlow": {"student": {"max_iter": 9000, "ema_decay": 0.99,
                                    "diffusion_gan_max_t": 300, "gen_gan_weight": 0.01}},
    "long_ema_reg": {"student": {"max_iter": 9000, "ema_decay": 0.99, "regression_weight": 0.25}},
    "long18k_ema": {"student": {"max_iter": 18000, "ema_decay": 0.995}},
    "long_b1024_ema": {"student": {"max_iter": 9000, "batch_size": 1024, "ema_decay": 0.99}},
    "long_b2048": {"student": {"max_iter": 9000, "batch_size": 2048}},
    "b1024_18k": {"student": {"max_iter": 18000, "batch_size": 1024}},
    "long_b2048_ema": {"student": {"max_iter": 9000, "batch_size": 2048, "ema_decay": 0.99}},
    # DM noise levels: drop the lowest grid levels (sigma < 0.036 / 0.106 on this ring), where the
    # normalised DM direction is the critic's approximation error over a small |x - mu_real|.
    "long_mint0.2": {"student": {"max_iter": 9000, "min_t": 0.2}},
    "long_mint0.3": {"student": {"max_iter": 9000, "min_t": 0.3}},
    "b1024_18k_ema": {"student": {"max_iter": 18000, "batch_size": 1024, "ema_decay": 0.995}},
    "ode_pretrain_b1024": {"student": {"regression_pretrain_iter": 2000, "max_iter": 9000,
                                       "batch_size": 1024}},
    # ... with a better-fitted initialisation network (critic and generator start from it)
    "ode_pretrain_b1024_t10k": {"student": {"regression_pretrain_iter": 2000, "max_iter": 9000,
                                            "batch_size": 1024}, "teacher_iter": 10000},
    "ode_pretrain_b1024_ema": {"student": {"regression_pretrain_iter": 2000, "max_iter": 9000,
                                           "batch_size": 1024, "ema_decay": 0.99}},
}


def merged(name: str) -> dict:
    cfg = json.loads(json.dumps(BASE))
    extra = VARIANTS[name]
    for key, value in extra.items():
        if key == "student":
            cfg["student"].update(value)
        else:
            cfg[key] = value
    return cfg


@functools.lru_cache(maxsize=4)
def _fitted_teacher(kind: str, hidden: tuple, n_iter: int, weights, seed: int):
    """The teacher of one seed and configuration and its fit time (fitted once per process:
    variants that share the teacher reuse it, as it is never modified by a distiller)."""
    means = ring_means(N_MODES, RADIUS)
    start = time.perf_counter()
    if kind == "exact":
        teacher = GaussianMixtureTeacher(
            means, STD, weights=None if weights is None else np.asarray(weights),
            hidden=hidden, n_iter=n_iter, dtype="float32", random_state=seed,
        ).fit()
    else:
        X, _ = sample_gaussian_mixture(means, STD, 10_000, weights=None if weights is None
                                       else np.asarray(weights), random_state=1000 * seed)
        teacher = DiffusionTeacher(
            hidden=hidden, n_iter=n_iter, dtype="float32", random_state=seed,
        ).fit(X)
    return teacher, time.perf_counter() - start


def run_one(name: str, seed: int) -> dict:
    cfg = merged(name)
    means = ring_means(N_MODES, RADIUS)
    weights = None if cfg["weights"] is None else np.asarray(cfg["weights"], dtype=float)
    X, _ = sample_gaussian_mixture(means, STD, 10_000, weights=weights, random_state=1000 * seed)
    reference, _ = sample_gaussian_mixture(
        means, STD, 2000, weights=weights, random_state=1000 * seed + 1
    )
    teacher, teacher_s = _fitted_teacher(
        cfg["teacher"], tuple(cfg["teacher_hidden"]), cfg["teacher_iter"],
        None if weights is None else tuple(weights), seed,
    )
    start = time.perf_counter()
    student = DMD2Distiller(teacher, random_state=seed, **cfg["student"]).fit(X)
    student_s = time.perf_counter() - start
    samples = student.sample(2000, random_state=10_000 + seed)
    if SAMPLES_DIR is not None:  # for diagnosis (where the off-mode samples sit)
        np.save(Path(SAMPLES_DIR) / f"{name}_seed{seed}.npy", samples)
    w = np.full(N_MODES, 1 / N_MODES) if weights is None else weights / weights.sum()
    mm = mixture_mode_metrics(samples, means, STD, weights=w)
    teacher_samples = teacher.sample(2000, n_steps=40, random_state=20_000 + seed)
    tm = mixture_mode_metrics(teacher_samples, means, STD, weights=w)
    return {
        "variant": name,
        "seed": seed,
        "energy_distance": energy_distance(samples, reference),
        "on_mode": mm.on_mode_fraction,
        "weight_tv": mm.weight_tv,
        "teacher40_energy_distance": energy_distance(teacher_samples, reference),
        "teacher40_on_mode": tm.on_mode_fraction,
        "teacher_s": round(teacher_s, 1),
        "student_s": round(student_s, 1),
        "config": json.dumps(cfg, sort_keys=True),
    }


#: Folder for the students' samples (``--save-samples``), None: not saved.
SAMPLES_DIR = None

#: Issue 17's target for the one-step student on the equal-weight ring.
TARGET = {"on_mode": 0.85, "weight_tv": 0.05, "ed_ratio": 3.0}


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean ± s.e. per variant and the target verdicts (95% intervals, mean ± 1.96 s.e.)."""
    from selfdistill.reproduce import interval_verdict

    rows = rows.assign(ed_ratio=rows["energy_distance"] / rows["teacher40_energy_distance"])
    out = []
    for name, part in rows.groupby("variant", sort=False):
        record = {"variant": name, "seeds": ",".join(str(s) for s in sorted(part["seed"]))}
        verdicts = []
        for metric, better in (("on_mode", "higher"), ("weight_tv", "lower"),
                               ("ed_ratio", "lower"), ("energy_distance", None)):
            mean = part[metric].mean()
            se = part[metric].std(ddof=1) / np.sqrt(len(part)) if len(part) > 1 else np.nan
            record[metric] = mean if np.isnan(se) else f"{mean:.4f} ± {se:.4f}"
            if better is not None:
                verdicts.append(interval_verdict(mean, se, TARGET[metric], better=better))
        record["target"] = ("met" if all(v == "reproduced" for v in verdicts) else
                            "missed" if "not reproduced" in verdicts else "inconclusive")
        record["minutes_per_fit"] = round(part["student_s"].mean() / 60, 1)
        out.append(record)
    return pd.DataFrame(out)


def teacher_rows(seed: int) -> list[dict]:
    """The exact teacher's own samplers (no training): 40 Heun, 4 Euler (matched to 4-step
    students) and 1 Euler step, scored like the students."""
    means = ring_means(N_MODES, RADIUS)
    reference, _ = sample_gaussian_mixture(means, STD, 2000, random_state=1000 * seed + 1)
    teacher = GaussianMixtureTeacher(means, STD, hidden=(8,), n_iter=1, random_state=seed).fit()
    rows = []
    for steps, sampler in ((40, "heun"), (4, "euler"), (1, "euler")):
        samples = teacher.sample(2000, n_steps=steps, sampler=sampler, random_state=10_000 + seed)
        modes = mixture_mode_metrics(samples, means, STD)
        rows.append({"sampler": f"exact teacher, {steps} {sampler} steps",
                     "nfe": teacher.n_function_evaluations(steps, sampler), "seed": seed,
                     "energy_distance": energy_distance(samples, reference),
                     "on_mode": modes.on_mode_fraction, "weight_tv": modes.weight_tv})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="base")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--out", default="benchmarks/results/dmd2_ring_ablation.csv")
    parser.add_argument("--summarize", action="store_true",
                        help="print the per-variant summary of --out and exit")
    parser.add_argument("--teacher-rows", action="store_true",
                        help="print the exact teacher's 40/4/1-step rows for --seeds and exit")
    parser.add_argument("--save-samples", default=None, metavar="DIR",
                        help="also save each student's 2 000 samples as DIR/<variant>_seed<s>.npy")
    args = parser.parse_args(argv)
    global SAMPLES_DIR
    SAMPLES_DIR = args.save_samples
    if args.teacher_rows:
        from selfdistill.reproduce._outputs import markdown_table

        rows = pd.DataFrame([r for s in args.seeds.split(",") for r in teacher_rows(int(s))])
        stats = rows.groupby(["sampler", "nfe"], sort=False)[
            ["energy_distance", "on_mode", "weight_tv"]].agg(["mean", "sem"])
        stats.columns = [f"{m} {k}" for m, k in stats.columns]
        print(markdown_table(stats.reset_index(), digits=4))
        return
    if args.summarize:
        from selfdistill.reproduce._outputs import markdown_table

        print(markdown_table(summarize(pd.read_csv(args.out)), digits=4))
        return
    torch.set_num_threads(1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for seed in (int(s) for s in args.seeds.split(",")):
        for name in args.variants.split(","):
            row = run_one(name, seed)
            new = not out.exists()
            with out.open("a", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(row))
                if new:
                    writer.writeheader()
                writer.writerow(row)
            print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()
                   if k != "config"}, flush=True)


if __name__ == "__main__":
    main()
