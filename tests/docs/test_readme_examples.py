"""README's Python examples run, in order in one namespace as a reader would
paste them, and print what their comments say (the Dask example, which starts
a cluster of worker processes, is the Dask tests' and the docs' to run)."""

from __future__ import annotations

import contextlib
import io
import re

from checkout import ROOT, needs_checkout

README = ROOT / "README.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
# `print(...)  # output`: the output as it is printed, up to a "; " remark.
PRINTED = re.compile(r"^print\(.*\)\s+# (?P<output>[^;]*)", re.MULTILINE)


def python_blocks() -> list[str]:
    return [b for b in BLOCK.findall(README.read_text()) if "Client(" not in b]


@needs_checkout
def test_readme_python_examples_run_and_print_what_they_say():
    blocks = python_blocks()
    assert len(blocks) >= 3
    namespace: dict[str, object] = {}
    for block in blocks:
        if "from fastmeanshift import MeanShift, estimate_bandwidth" in block:
            continue  # the drop-in sketch: X_new stands for the reader's data
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block, str(README), "exec"), namespace)
        got = " ".join(printed.getvalue().split())
        for match in PRINTED.finditer(block):
            assert " ".join(match["output"].split()) in got, (match["output"], got)
