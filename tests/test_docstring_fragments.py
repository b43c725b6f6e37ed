"""Shared numpydoc fragments (selfdistill._docstrings): substitution, indentation, unknown names."""

import pytest

from selfdistill._docstrings import fill_doc


def test_fragment_is_reindented_for_methods_and_functions():
    class Model:
        @fill_doc
        def predict(self, X):
            """Predict.

            Notes
            -----
            Percent signs elsewhere stay: 5 % of %(rows)s.

            Parameters
            ----------
            %(X_predict)s
            """

    @fill_doc(extra="e : int\n    An e.")
    def function():
        """Function.

        Parameters
        ----------
        %(extra)s
        """

    assert "            X : array-like of shape (n_samples, n_features)\n                Samples." in Model.predict.__doc__
    assert "5 % of %(rows)s." in Model.predict.__doc__
    assert "        e : int\n            An e." in function.__doc__


def test_unknown_fragment_fails_at_decoration():
    def function():
        """%(no_such_fragment)s"""

    with pytest.raises(KeyError):
        fill_doc(function)
