"""``feature_names_in_``: set from a DataFrame at fit, checked at predict, with
scikit-learn's warnings and errors (``sklearn.utils.validation._check_feature_names``)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def feature_names(X: Any) -> np.ndarray | None:
    """Column names of a DataFrame ``X`` when they are all strings, else None.

    Mixed string and non-string names are an error, as in scikit-learn."""
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "shape") or len(getattr(X, "shape", ())) != 2:
        return None
    names = np.asarray(list(columns), dtype=object)
    if len(names) == 0:
        return None
    types = sorted(t.__qualname__ for t in {type(name) for name in names})
    if len(types) > 1 and "str" in types:
        raise TypeError(
            "Feature names are only supported if all input features have string names, "
            f"but your input has {types} as feature name / column name types. "
            "If you want feature names to be stored and validated, you must convert "
            "them all to strings, by using X.columns = X.columns.astype(str) for "
            "example. Otherwise you can remove feature / column names from your input "
            "data, or convert them all to a non-string data type."
        )
    return names if types == ["str"] else None


def check_feature_names(estimator: Any, X: Any) -> None:
    """Warns or raises, as scikit-learn does, when the names of ``X`` are not
    those ``estimator`` was fitted with."""
    fitted = getattr(estimator, "feature_names_in_", None)
    given = feature_names(X)
    name = type(estimator).__name__
    if fitted is None and given is None:
        return
    if fitted is None:
        warnings.warn(
            f"X has feature names, but {name} was fitted without feature names", stacklevel=3
        )
        return
    if given is None:
        warnings.warn(
            f"X does not have valid feature names, but {name} was fitted with feature names",
            stacklevel=3,
        )
        return
    if len(fitted) == len(given) and np.all(fitted == given):
        return
    message = "The feature names should match those that were passed during fit.\n"
    unexpected = sorted(set(given) - set(fitted))
    missing = sorted(set(fitted) - set(given))
    if unexpected:
        message += "Feature names unseen at fit time:\n" + _listed(unexpected)
    if missing:
        message += "Feature names seen at fit time, yet now missing:\n" + _listed(missing)
    if not missing and not unexpected:
        message += "Feature names must be in the same order as they were in fit.\n"
    raise ValueError(message)


def _listed(names: list[str]) -> str:
    """At most five names, one per line, then an ellipsis."""
    lines = [f"- {name}\n" for name in names[:5]]
    if len(names) > 5:
        lines.append("- ...\n")
    return "".join(lines)
