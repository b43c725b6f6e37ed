"""CUDA smoke run of selfdistill.diffusion: tiny teacher + DMD2 fits and samples on ``device=device``.

Prints timings and sample-quality metrics, and checks that a generator trained on the GPU gives
the same samples when copied to the CPU (float64). Exits 0 with a message when CUDA is absent.

Usage::

    python benchmarks/cuda_smoke_diffusion.py [--iters 600] [--device cuda]

``--device cpu`` runs the same script on the CPU (to check the script itself).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time

import numpy as np


def _timed(label: str, func):
    import torch

    start = time.perf_counter()
    out = func()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    print(f"  {label:<46s} {time.perf_counter() - start:7.2f} s", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=600, help="DMD2 iterations per fit")
    parser.add_argument("--device", default="cuda", help="torch device (default: cuda)")
    args = parser.parse_args(argv)
    device = args.device
    try:
        import torch
    except ImportError:
        print("SKIP: torch is not installed (pip install torch==2.13.0).")
        return 0
    if device.startswith("cuda") and not torch.cuda.is_available():
        print(f"SKIP: CUDA is not available to torch {torch.__version__}; nothing to check.")
        return 0

    from sklearn.datasets import load_digits

    from selfdistill.diffusion import DiffusionTeacher, DMD2Distiller, GaussianMixtureTeacher
    from selfdistill.diffusion.data import ring_means
    from selfdistill.metrics import (
        digits_class_accuracy,
        digits_unit_scale,
        energy_distance,
        fid_digits,
        mode_coverage,
    )

    name = torch.cuda.get_device_name(0) if device.startswith("cuda") else "cpu"
    print(f"torch {torch.__version__}, device {device} ({name})")
    failures = []

    print("ring, exact Gaussian-mixture teacher (float64):")
    teacher = _timed(
        "GaussianMixtureTeacher.fit (3000 init steps)",
        lambda: GaussianMixtureTeacher(ring_means(), 0.1, device=device, random_state=0).fit(),
    )
    X, _ = teacher.sample_data(4000, random_state=1)
    ref, _ = teacher.sample_data(2000, random_state=2)
    heun = _timed(
        "teacher 40-step Heun sample (2000)", lambda: teacher.sample(2000, random_state=3)
    )
    print(f"    teacher Heun-40 energy distance {energy_distance(heun, ref):.4f}")
    for params in ({"gan": False}, {"gan": True}, {"gan": True, "n_student_steps": 4}):
        student = DMD2Distiller(
            teacher, max_iter=args.iters, device=device, random_state=0, **params
        )
        _timed(f"DMD2 fit {params} ({args.iters} it)", lambda s=student: s.fit(X))
        samples = _timed("student sample (2000)", lambda s=student: s.sample(2000, random_state=5))
        cover = mode_coverage(samples, ring_means(), 0.1)
        print(
            f"    energy distance {energy_distance(samples, ref):.4f}, modes "
            f"{cover.n_modes_covered}/8, on-mode share {cover.high_quality_fraction:.2f}"
        )
        if not np.all(np.isfinite(samples)):
            failures.append(f"non-finite samples for {params}")
        # The same weights on the CPU must give the same samples (float64, same noise).
        cpu = copy.copy(student)
        cpu.generator_ = copy.deepcopy(student.generator_).to("cpu")
        cpu.device_ = torch.device("cpu")
        Z = np.random.default_rng(0).standard_normal((256, 2 * student.n_function_evaluations_))
        gap = float(np.max(np.abs(cpu.transform(Z) - student.transform(Z))))
        print(f"    max |CUDA - CPU| of transform: {gap:.2e}")
        if gap > 1e-8:
            failures.append(f"CUDA and CPU transforms differ by {gap:.2e} for {params}")

    print("digits, class-conditional learned teacher (float32):")
    digits = load_digits()
    Xd, yd = digits_unit_scale(digits.data), digits.target
    dteacher = _timed(
        "DiffusionTeacher.fit (3x256, 2000 it)",
        lambda: DiffusionTeacher(
            hidden=(256, 256, 256),
            n_iter=2000,
            batch_size=256,
            dtype="float32",
            device=device,
            random_state=0,
        ).fit(Xd, yd),
    )
    tsamp = _timed(
        "teacher Heun-40 sample (1797)", lambda: dteacher.sample(len(Xd), yd, random_state=1)
    )
    print(
        f"    teacher FID {fid_digits(tsamp, Xd):.2f}, accuracy {digits_class_accuracy(tsamp, yd):.3f}"
    )
    dstudent = DMD2Distiller(
        dteacher, max_iter=args.iters, dtype="float32", device=device, random_state=0
    )
    _timed(f"DMD2 fit with GAN ({args.iters} it)", lambda: dstudent.fit(Xd, yd))
    ssamp = dstudent.sample(len(Xd), yd, random_state=1)
    print(
        f"    student FID {fid_digits(ssamp, Xd):.2f}, accuracy {digits_class_accuracy(ssamp, yd):.3f}"
    )

    if failures:
        print("FAILED:", *failures, sep="\n  ")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
