"""
DMD2: a one-step generator distilled from a diffusion teacher
=============================================================

The teacher is the exact diffusion model of an 8-mode Gaussian ring (its denoiser is analytic, so
DMD2's "real" score is exact). :class:`selfdistill.diffusion.DMD2Distiller` trains a one-step
generator with the distribution-matching gradient — the difference between the teacher's and a
critic's denoised estimates of noised generator samples (Yin et al. 2024). The example trains for a
few hundred steps only, so it runs in seconds on a CPU; ``selfdistill reproduce dmd2`` is the full
experiment with its metrics and computed verdicts.
"""

import matplotlib.pyplot as plt
import numpy as np

from selfdistill.diffusion import DMD2Distiller, GaussianMixtureTeacher
from selfdistill.diffusion.data import ring_means

centers = ring_means(8, 2.0)
teacher = GaussianMixtureTeacher(centers, stds=0.1, n_iter=400, random_state=0).fit()
X, _ = teacher.sample_data(4000, random_state=0)
student = DMD2Distiller(teacher, gan=False, max_iter=300, warmup=20, random_state=0).fit(X)

one_step_teacher = teacher.sample(2000, n_steps=1, random_state=1)
many_step_teacher = teacher.sample(2000, n_steps=40, random_state=1)
one_step_student = student.sample(2000, random_state=1)

fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), sharex=True, sharey=True)
panels = [
    ("teacher, 40 steps", many_step_teacher),
    ("teacher, 1 step", one_step_teacher),
    ("DMD2 student, 1 step", one_step_student),
]
for ax, (title, samples) in zip(axes, panels, strict=True):
    ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4)
    ax.scatter(centers[:, 0], centers[:, 1], s=25, c="k", marker="x")
    on_mode = np.min(np.linalg.norm(samples[:, None] - centers[None], axis=2), axis=1) < 0.3
    ax.set(title=f"{title}\non a mode: {on_mode.mean():.0%}", aspect="equal")
fig.tight_layout()
