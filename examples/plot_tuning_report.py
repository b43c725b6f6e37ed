"""
Tuning report on real data: Airfoil Self-Noise
==============================================

:class:`selfdistill.SelfDistilledRidgeCV` chooses λ, the number of steps k and ξ from one
decomposition. Its :meth:`~selfdistill.SelfDistilledRidgeCV.report` shows the criterion of every
(λ, k) candidate. The honest comparison is out of sample: the last lines compare the test error
with scikit-learn's ``RidgeCV`` on the same split and grid.
"""

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import train_test_split

from selfdistill import SelfDistilledRidgeCV
from selfdistill.datasets import load_uci

X, y = load_uci("airfoil")
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
alphas = np.logspace(-3, 4, 15)

model = SelfDistilledRidgeCV(alphas=alphas, n_steps=(0, 1, 2, 3)).fit(X_train, y_train)
report = model.report()
print(report.summary())
report.plot()

ridge = RidgeCV(alphas=alphas).fit(X_train, y_train)
mse_sd = np.mean((model.predict(X_test) - y_test) ** 2)
mse_ridge = np.mean((ridge.predict(X_test) - y_test) ** 2)
print(f"test MSE: self-distilled {mse_sd:.3f} (k = {model.n_steps_}) vs RidgeCV {mse_ridge:.3f}")
