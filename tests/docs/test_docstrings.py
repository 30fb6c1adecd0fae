"""The examples in the public docstrings run and print what they show.

They are run from the installed package (not with ``--doctest-modules`` on the
source tree, which has no compiled extension in a clean clone)."""

from __future__ import annotations

import doctest

import pytest

import fastmeanshift
import fastmeanshift.image

DOCUMENTED = {
    "estimate_bandwidth": fastmeanshift.estimate_bandwidth,
    "get_bin_seeds": fastmeanshift.get_bin_seeds,
    "mean_shift": fastmeanshift.mean_shift,
    "MeanShift": fastmeanshift.MeanShift,
    "MeanShift.fit": fastmeanshift.MeanShift.fit,
    "MeanShift.predict": fastmeanshift.MeanShift.predict,
    "MeanShift.fit_predict": fastmeanshift.MeanShift.fit_predict,
    "image.segment": fastmeanshift.image.segment,
    "image.segmentation": fastmeanshift.image.segmentation,
    "image.Segmented": fastmeanshift.image.Segmented,
}


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_docstring_examples_run(name):
    (test,) = doctest.DocTestFinder(recurse=False).find(DOCUMENTED[name], name, globs={})
    assert test.examples, f"{name} has no example"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=lambda report: print(report, end=""))
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed"


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_docstring_has_numpydoc_sections(name):
    doc = DOCUMENTED[name].__doc__ or ""
    for section in ("Parameters", "Examples"):
        assert f"{section}\n" in doc and "-" * len(section) in doc, (name, section)
