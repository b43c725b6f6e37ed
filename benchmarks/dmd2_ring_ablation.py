"""Ablations: why does a one-step DMD2 student put mass between the modes of the 2-D ring?

Each run distils a teacher of the 8-Gaussian ring (radius 2, std 0.1) into a one-step generator
and scores 2 000 samples against 2 000 fresh data points (energy distance, on-mode fraction,
mode-weight total variation). One knob changes per row, relative to ``base``; see ``VARIANTS``.
Run a subset with ``--variants a,b,c`` and ``--seeds``; rows are appended to ``--out`` (CSV) as
they finish, so a time-boxed run keeps what it completed.

    OMP_NUM_THREADS=1 python benchmarks/dmd2_ring_ablation.py --variants base,gan_w0.03 --seeds 0

Single-threaded torch (``torch.set_num_threads(1)``): the host is shared.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
import torch

from selfdistill.diffusion import DiffusionTeacher, DMD2Distiller, GaussianMixtureTeacher
from selfdistill.diffusion.data import ring_means, sample_gaussian_mixture
from selfdistill.metrics import energy_distance, mixture_mode_metrics

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
    "batchnorm": {"student": {"dm_normalizer": "batch"}},
    "batchnorm_nogan": {"student": {"dm_normalizer": "batch", "gan": False}},
    "batchnorm_wide": {"student": {"dm_normalizer": "batch"}, "teacher_hidden": (256, 256, 256)},
    "batchnorm_long": {"student": {"dm_normalizer": "batch", "max_iter": 9000}},
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


def run_one(name: str, seed: int) -> dict:
    cfg = merged(name)
    means = ring_means(N_MODES, RADIUS)
    weights = None if cfg["weights"] is None else np.asarray(cfg["weights"], dtype=float)
    X, _ = sample_gaussian_mixture(means, STD, 10_000, weights=weights, random_state=1000 * seed)
    reference, _ = sample_gaussian_mixture(
        means, STD, 2000, weights=weights, random_state=1000 * seed + 1
    )
    start = time.perf_counter()
    if cfg["teacher"] == "exact":
        teacher = GaussianMixtureTeacher(
            means, STD, weights=weights, hidden=tuple(cfg["teacher_hidden"]),
            n_iter=cfg["teacher_iter"], dtype="float32", random_state=seed,
        ).fit()
    else:
        teacher = DiffusionTeacher(
            hidden=tuple(cfg["teacher_hidden"]), n_iter=cfg["teacher_iter"], dtype="float32",
            random_state=seed,
        ).fit(X)
    teacher_s = time.perf_counter() - start
    start = time.perf_counter()
    student = DMD2Distiller(teacher, random_state=seed, **cfg["student"]).fit(X)
    student_s = time.perf_counter() - start
    samples = student.sample(2000, random_state=10_000 + seed)
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="base")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--out", default="benchmarks/results/dmd2_ring_ablation.csv")
    args = parser.parse_args(argv)
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
