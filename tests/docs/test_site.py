"""The documentation site covers what it must, from the sources that cannot drift.

``.ci/docs`` builds the site and is the real check; these read its sources:
the API reference lists every public name of the package, and the command
line's reference is generated from the command's own parser. They need the
source tree of a checkout: the wheel check runs the suite from a copy of
``tests/`` alone, where they skip.
"""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path

import pytest

import fastmeanshift

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

pytestmark = pytest.mark.skipif(
    not (DOCS / "conf.py").is_file(), reason="needs the source tree of a checkout"
)

# An autosummary entry: an indented bare name under an ``.. autosummary::``.
AUTOSUMMARY = re.compile(r"^\.\. autosummary::\n((?:[ \t]+.*\n|\n)+)", re.MULTILINE)
DIRECTIVE_OPTION = re.compile(r"^:(\w+):\s*(\S+)\s*$", re.MULTILINE)


def autosummary_names(text: str) -> list[str]:
    names = []
    for block in AUTOSUMMARY.findall(text):
        for line in block.splitlines():
            entry = line.strip()
            if entry and not entry.startswith(":"):
                names.append(entry)
    return names


def test_the_api_reference_lists_every_public_name():
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    listed = []
    # Each part of the page names its entries relative to the module of the
    # ``currentmodule`` directive before it.
    for part in re.split(r"^\.\. currentmodule:: ", text, flags=re.MULTILINE)[1:]:
        module, _, rest = part.partition("\n")
        listed += [f"{module.strip()}.{name}" for name in autosummary_names(rest)]
    public = [f"fastmeanshift.{name}" for name in fastmeanshift.__all__]
    dask = pytest.importorskip("fastmeanshift.dask", exc_type=ImportError)
    public += [f"fastmeanshift.dask.{name}" for name in dask.__all__]
    image = importlib.import_module("fastmeanshift.image")
    public += [f"fastmeanshift.image.{name}" for name in image.__all__]
    assert sorted(listed) == sorted(public)


def test_the_command_line_reference_is_generated_from_its_parser():
    page = (ROOT / "docs/user_guide/cli.md").read_text(encoding="utf-8")
    (directive,) = re.findall(r"```\{argparse\}\n(.*?)```", page, re.DOTALL)
    options = dict(DIRECTIVE_OPTION.findall(directive))
    builder = getattr(importlib.import_module(options["module"]), options["func"])
    parser = builder()
    assert isinstance(parser, argparse.ArgumentParser)
    # The function the console script parses its arguments with.
    assert builder is importlib.import_module("fastmeanshift.cli.main").build_parser
    assert options["prog"] == parser.prog


def test_the_autosummary_reader_finds_each_entry():
    text = ".. autosummary::\n   :toctree: generated\n\n   MeanShift\n   mean_shift\n\nAfter.\n"
    assert autosummary_names(text) == ["MeanShift", "mean_shift"]
