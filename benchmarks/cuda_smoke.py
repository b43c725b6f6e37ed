"""CUDA smoke check of the torch paths: DMD2 (selfdistill.diffusion) and the LDC / scheduled KD
student (selfdistill.nn), end to end on one device, within a time limit.

What it runs (float32 for the diffusion networks, as on a GPU; the LDC trains in float64, its
only precision):

1. ring of 8 Gaussians, exact teacher: one-step DMD2 without and with GAN and a 4-step student
   with backward simulation; sample quality (energy distance, on-mode fraction, mode-weight TV);
   the generator copied to the CPU must give the same samples (max gap printed and checked);
2. class-conditional digits: learned teacher + DMD2 with GAN; FID against held-out images;
3. LDC and scheduled KD on digits: fit, predict, export to the binary model, and the numpy
   XNOR/popcount predictions must equal the torch predictions.

Exits 0 with "SKIP" when torch or CUDA is absent (so CI passes without a GPU), 1 on a failed check,
2 when the time limit is hit. Usage::

    python benchmarks/cuda_smoke.py [--device cuda] [--iters 600] [--time-limit 300] [--quick]

``--device cpu --quick`` runs the same script on the CPU in seconds (to check the script itself).
"""

from __future__ import annotations

import argparse
import copy
import signal
import sys
import time

import numpy as np


class _TimeLimit(Exception):
    pass


def _timed(label: str, func):
    import torch

    start = time.perf_counter()
    out = func()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    print(f"  {label:<50s} {time.perf_counter() - start:7.2f} s", flush=True)
    return out


def _diffusion(device: str, iters: int, quick: bool, failures: list) -> None:
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from selfdistill.diffusion import (
        DiffusionTeacher,
        DMD2Distiller,
        GaussianMixtureTeacher,
        digits_class_accuracy,
        digits_unit_scale,
        energy_distance,
        fid_digits,
        mixture_mode_metrics,
    )
    from selfdistill.diffusion.data import ring_means

    hidden = (16, 16) if quick else (128, 128, 128)
    n = 300 if quick else 2000
    print("ring, exact Gaussian-mixture teacher, float32 networks:")
    teacher = _timed(
        "GaussianMixtureTeacher.fit",
        lambda: GaussianMixtureTeacher(ring_means(), 0.1, hidden=hidden, n_iter=50 if quick else 3000,
                                       dtype="float32", device=device, random_state=0).fit(),
    )
    X, _ = teacher.sample_data(4 * n, random_state=1)
    ref, _ = teacher.sample_data(n, random_state=2)
    heun = _timed(f"teacher 40-step Heun sample ({n})", lambda: teacher.sample(n, random_state=3))
    print(f"    teacher Heun-40 energy distance {energy_distance(heun, ref):.4f}")
    for params in ({"gan": False}, {"gan": True}, {"gan": True, "n_student_steps": 4}):
        student = DMD2Distiller(teacher, max_iter=iters, batch_size=64 if quick else 256,
                                dtype="float32", device=device, random_state=0, **params)
        _timed(f"DMD2 fit {params} ({iters} it)", lambda s=student: s.fit(X))
        samples = _timed(f"student sample ({n})", lambda s=student: s.sample(n, random_state=5))
        modes = mixture_mode_metrics(samples, ring_means(), 0.1)
        print(f"    energy distance {energy_distance(samples, ref):.4f}, on-mode "
              f"{modes.on_mode_fraction:.2f}, mode-weight TV {modes.weight_tv:.3f}")
        if not np.all(np.isfinite(samples)):
            failures.append(f"non-finite samples for {params}")
        # The same float32 weights on the CPU must give (nearly) the same samples.
        cpu = copy.copy(student)
        cpu.generator_ = copy.deepcopy(student.generator_).to("cpu")
        cpu.device_ = torch.device("cpu")
        Z = np.random.default_rng(0).standard_normal((256, 2 * student.n_function_evaluations_))
        gap = float(np.max(np.abs(cpu.transform(Z) - student.transform(Z))))
        print(f"    max |device - CPU| of transform: {gap:.2e}")
        if gap > 1e-3:  # float32 kernels differ across devices in the last bits
            failures.append(f"device and CPU transforms differ by {gap:.2e} for {params}")

    print("digits, class-conditional learned teacher (float32), held-out reference:")
    digits = load_digits()
    Xd, X_ref, yd, y_ref = train_test_split(digits_unit_scale(digits.data), digits.target,
                                            test_size=797, stratify=digits.target, random_state=0)
    dteacher = _timed(
        "DiffusionTeacher.fit",
        lambda: DiffusionTeacher(hidden=(32, 32) if quick else (256, 256, 256),
                                 n_iter=50 if quick else 2000, batch_size=256, dtype="float32",
                                 device=device, random_state=0).fit(Xd, yd),
    )
    tsamp = _timed("teacher Heun-40 sample (797)", lambda: dteacher.sample(len(y_ref), y_ref,
                                                                           random_state=1))
    print(f"    teacher FID {fid_digits(tsamp, X_ref):.2f}, "
          f"accuracy {digits_class_accuracy(tsamp, y_ref):.3f}")
    dstudent = DMD2Distiller(dteacher, max_iter=iters, batch_size=64 if quick else 256,
                             dtype="float32", device=device, random_state=0)
    _timed(f"DMD2 fit with GAN ({iters} it)", lambda: dstudent.fit(Xd, yd))
    ssamp = dstudent.sample(len(y_ref), y_ref, random_state=1)
    print(f"    student FID {fid_digits(ssamp, X_ref):.2f}, "
          f"accuracy {digits_class_accuracy(ssamp, y_ref):.3f}")
    if not np.all(np.isfinite(ssamp)):
        failures.append("non-finite digit samples")


def _ldc(device: str, quick: bool, failures: list) -> None:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    from selfdistill.nn import LDCClassifier, ScheduledKDClassifier

    print("LDC and scheduled KD on digits (binary export checked against torch):")
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    epochs = 2 if quick else 30
    ldc = LDCClassifier(epochs=epochs, lr=1e-2, batch_size=64, device=device, random_state=0)
    _timed(f"LDCClassifier.fit ({epochs} epochs)", lambda: ldc.fit(X_tr, y_tr))
    skd = ScheduledKDClassifier(
        teacher=LogisticRegression(max_iter=2000),
        student=LDCClassifier(epochs=epochs, lr=1e-2, batch_size=64, device=device),
        random_state=0,
    )
    _timed(f"ScheduledKDClassifier.fit ({epochs} epochs)", lambda: skd.fit(X_tr, y_tr))
    for label, model in (("LDC", ldc), ("scheduled KD", skd)):
        torch_pred = model.predict(X_te)
        student = model if label == "LDC" else model.student_
        binary = student.predict_binary(X_te)
        agreement = float(np.mean(binary == torch_pred))
        print(f"    {label}: test accuracy {np.mean(torch_pred == y_te):.3f}, "
              f"binary/torch agreement {agreement:.4f}")
        if agreement != 1.0:
            failures.append(f"{label}: binary export disagrees with torch on {1 - agreement:.2%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="torch device (default: cuda)")
    parser.add_argument("--iters", type=int, default=600, help="DMD2 iterations per fit")
    parser.add_argument("--time-limit", type=float, default=300.0,
                        help="seconds before the check stops with exit status 2 (default 300)")
    parser.add_argument("--quick", action="store_true", help="tiny networks (script check)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("SKIP: torch is not installed (pip install torch==2.13.0).")
        return 0
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"SKIP: CUDA is not available to torch {torch.__version__}; nothing to check.")
        return 0
    name = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu"
    print(f"torch {torch.__version__}, device {args.device} ({name}), "
          f"time limit {args.time_limit:g} s")

    def on_alarm(signum, frame):
        raise _TimeLimit

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, args.time_limit)
    failures: list[str] = []
    start = time.perf_counter()
    try:
        _diffusion(args.device, args.iters, args.quick, failures)
        _ldc(args.device, args.quick, failures)
    except _TimeLimit:
        print(f"TIME LIMIT: stopped after {time.perf_counter() - start:.0f} s "
              f"(--time-limit {args.time_limit:g}); the stages printed above completed.")
        return 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    print(f"total {time.perf_counter() - start:.1f} s")
    if failures:
        print("FAILED:", *failures, sep="\n  ")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
