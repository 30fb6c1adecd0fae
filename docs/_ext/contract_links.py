"""Section signs as links into the algorithm contract.

The contract (``docs/algorithm.md``) numbers its sections (``§2.3 The
climb``) and cites them by number, as do the code, the changelog and the
README (``docs/algorithm.md §10``). On the site, each numbered section of
the contract gets the label ``contract-<number>`` (so that a page can write
``:ref:`§2.3 <contract-2.3>```), and every ``§<number>`` in running text
becomes a link to that section. A number that is no section of the contract
is an unresolved reference, which the strict build reports.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

CONTRACT = "algorithm"
SECTION_SIGN = "\N{SECTION SIGN}"
NUMBERED_TITLE = re.compile(SECTION_SIGN + r"(\d+(?:\.\d+)*)\s")
CITATION = re.compile(SECTION_SIGN + r"\s?(\d+(?:\.\d+)*)")
# Text inside these is shown as written: code, titles, and existing links.
VERBATIM = (nodes.literal, nodes.literal_block, nodes.title, nodes.reference, addnodes.pending_xref)


def label(number: str) -> str:
    return f"contract-{number}"


class ContractLinks(SphinxTransform):
    """Labels the contract's sections and links the section numbers cited in text.

    Runs before Sphinx collects labels (the domains' transform, priority 850),
    so the labels added here are known to every page."""

    default_priority = 840

    def apply(self, **kwargs: Any) -> None:
        current = getattr(self.env, "current_document", None)
        docname = current.docname if current is not None else self.env.docname
        if docname == CONTRACT:
            for section in self.document.findall(nodes.section):
                match = NUMBERED_TITLE.match(section[0].astext() + " ")
                if match:
                    section["names"].append(label(match.group(1)))
                    self.document.note_explicit_target(section, section)
        for text in list(self.document.findall(nodes.Text)):
            if not CITATION.search(text) or self.verbatim(text):
                continue
            text.parent.replace(text, self.linked(text))

    @staticmethod
    def verbatim(text: nodes.Text) -> bool:
        parent = text.parent
        while parent is not None:
            if isinstance(parent, VERBATIM):
                return True
            parent = parent.parent
        return False

    @staticmethod
    def linked(text: nodes.Text) -> list[nodes.Node]:
        """``text`` with each citation replaced by a reference to its section."""
        parts: list[nodes.Node] = []
        start = 0
        for match in CITATION.finditer(text):
            parts.append(nodes.Text(text[start : match.start()]))
            reference = addnodes.pending_xref(
                "",
                refdomain="std",
                reftype="ref",
                reftarget=label(match.group(1)),
                refexplicit=True,
                refwarn=True,
            )
            reference += nodes.inline(match.group(0), match.group(0))
            parts.append(reference)
            start = match.end()
        parts.append(nodes.Text(text[start:]))
        return [part for part in parts if not (isinstance(part, nodes.Text) and not part)]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_transform(ContractLinks)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
