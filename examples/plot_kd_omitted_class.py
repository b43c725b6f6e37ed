"""
Knowledge distillation: a student that never sees a "3"
=======================================================

Hinton et al.'s omitted-class experiment on scikit-learn's digits. The teacher is trained on one
half of the training data with all ten classes; the student learns from the *other* half with every
"3" removed, so the teacher's soft targets are held-out predictions (on its own training rows they
would be nearly one-hot). A student trained on hard labels cannot predict a class it has never seen;
a student trained on the teacher's soft targets (temperature T = 4, ξ = 0.9: ξ weights the teacher)
learns about "3" from how much the teacher's probabilities resemble a 3 on the other digits.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from selfdistill.kd import KnowledgeDistillationClassifier, SoftTargetLogisticRegression

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
X_teach, X_transfer, y_teach, y_transfer = train_test_split(
    X_train, y_train, test_size=0.5, random_state=0, stratify=y_train
)
teacher = LogisticRegression(C=0.1, max_iter=2000).fit(X_teach, y_teach)

keep = y_transfer != 3
student = SoftTargetLogisticRegression(alpha=1e-2)
models = {
    "hard labels": KnowledgeDistillationClassifier(teacher, student, xi=0.0),
    "soft targets (T = 4)": KnowledgeDistillationClassifier(teacher, student, xi=0.9, temperature=4.0),
}
threes = y_test == 3
rows = []
for name, model in models.items():
    model.fit(X_transfer[keep], y_transfer[keep])
    pred = model.predict(X_test)
    rows.append((name, np.mean(pred[threes] == 3), np.mean(pred == y_test)))
rows.append(("teacher", np.mean(teacher.predict(X_test)[threes] == 3), teacher.score(X_test, y_test)))

fig, ax = plt.subplots(figsize=(6.4, 3.6))
names = [r[0] for r in rows]
width = 0.38
ax.bar(np.arange(3) - width / 2, [r[1] for r in rows], width, label='accuracy on "3"s')
ax.bar(np.arange(3) + width / 2, [r[2] for r in rows], width, label="overall accuracy")
ax.set_xticks(np.arange(3), names)
ax.set(ylim=(0, 1.05), title='Students trained without any "3"')
ax.legend(loc="lower right")
fig.tight_layout()
for name, on_threes, overall in rows:
    print(f"{name:22s} accuracy on 3s {on_threes:.3f}, overall {overall:.3f}")
