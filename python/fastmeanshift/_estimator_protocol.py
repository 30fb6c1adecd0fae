"""The scikit-learn estimator protocol, implemented without importing scikit-learn.

Inheriting ``sklearn.base.BaseEstimator`` would make scikit-learn (and SciPy,
over a second of import time) a dependency of ``import fastmeanshift``.
Instead the protocol is implemented here: parameters read from ``__init__``,
``get_params``/``set_params``, scikit-learn's repr, an HTML repr, and
``__sklearn_tags__``. The last two use scikit-learn only when it asks for
them or when it is installed, so nothing here needs it.
"""

from __future__ import annotations

import html
import inspect
import re
from typing import Any

# scikit-learn's repr layout: line width, and the most non-blank characters shown.
_WIDTH = 78
_MAX_NONBLANK = 700


class ClusterEstimator:
    """What scikit-learn expects of a clusterer, for a class whose ``__init__``
    takes its parameters by keyword and stores each under its own name."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return sorted(p.name for p in signature.parameters.values() if p.name != "self")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, by name (none of them is an estimator,
        so ``deep`` changes nothing)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params: Any) -> Any:
        """Sets constructor parameters; they are validated by the next ``fit``."""
        valid = self._get_param_names()
        for key, value in params.items():
            name = key.partition("__")[0]
            if name not in valid or name != key:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {self}. "
                    f"Valid parameters are: {valid!r}."
                )
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        return _truncated(_layout(type(self).__name__, _changed_params(self)))

    def _repr_html_(self) -> str:
        """scikit-learn's HTML diagram when scikit-learn is installed, else the repr."""
        try:
            from sklearn.utils import estimator_html_repr  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            return f"<pre>{html.escape(repr(self))}</pre>"
        return estimator_html_repr(self)

    def __sklearn_tags__(self) -> Any:
        # Only scikit-learn calls this, so scikit-learn is installed.
        from sklearn.utils import InputTags, Tags, TargetTags  # type: ignore[import-untyped,unused-ignore]

        return Tags(
            estimator_type="clusterer",
            target_tags=TargetTags(required=False),
            transformer_tags=None,
            classifier_tags=None,
            regressor_tags=None,
            input_tags=InputTags(),
        )


def _changed_params(estimator: ClusterEstimator) -> list[tuple[str, Any]]:
    """Parameters whose repr differs from their default's, sorted by name, as
    scikit-learn's ``print_changed_only`` repr shows them."""
    defaults = {
        name: p.default
        for name, p in inspect.signature(type(estimator).__init__).parameters.items()
    }
    return [
        (name, value)
        for name, value in sorted(estimator.get_params(deep=False).items())
        if repr(value) != repr(defaults[name]) and not (_is_nan(value) and _is_nan(defaults[name]))
    ]


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _layout(name: str, params: list[tuple[str, Any]]) -> str:
    """``name(key=value, ...)`` laid out as scikit-learn's pretty printer does:
    items fill lines of 78 characters, continuation lines indented past ``name(``.
    (A list too long for a line is written whole; scikit-learn would wrap it.)"""
    indent = len(name) + 1
    newline = ",\n" + " " * indent
    width = max_width = _WIDTH - indent + 1
    parts = [name, "("]
    delimiter = ""
    for i, (key, value) in enumerate(params):
        if i == len(params) - 1:  # the closing parenthesis must fit too
            width -= 1
            max_width -= 1
        item = f"{key}={value!r}"
        needed = len(item) + 2
        if width < needed:
            width = max_width
            if delimiter:
                delimiter = newline
        if width >= needed:
            width -= needed
            parts += [delimiter, item]
            delimiter = ", "
        else:
            parts += [delimiter, item]
            delimiter = newline
    parts.append(")")
    return "".join(parts)


def _truncated(text: str) -> str:
    """scikit-learn's cut of a repr with more than 700 non-blank characters:
    the first and last 350 kept, joined by an ellipsis."""
    if len("".join(text.split())) <= _MAX_NONBLANK:
        return text
    pattern = rf"^(\s*\S){{{_MAX_NONBLANK // 2}}}"
    left = _match_end(pattern, text)
    right = _match_end(pattern, text[::-1])
    if "\n" in text[left:-right]:
        # Start the right part at a line break so that it stays aligned.
        right = _match_end(pattern + r"[^\n]*\n", text[::-1])
    if left + 3 < len(text) - right:
        return text[:left] + "..." + text[-right:]
    return text


def _match_end(pattern: str, text: str) -> int:
    match = re.match(pattern, text)
    return match.end() if match else 0
