"""Every reference in the repository to a document resolves inside it.

The code, tests, benchmarks and README cite the algorithm contract by section
(``docs/algorithm.md`` followed by a section sign and a number). This test
fails when a cited Markdown file or source path does not exist, when a cited
section number is not a heading of the contract, or when a citation points
outside the repository (the old specification file, an issue number), so that
the references cannot rot.

It reads the source tree, so it needs a checkout: the wheel check runs the
suite from a copy of ``tests/`` alone, where it skips.
"""

from __future__ import annotations

import re
from pathlib import Path

from checkout import ROOT, needs_checkout

CONTRACT = "docs/algorithm.md"

TOP_LEVEL_FILES = ("README.md", "CHANGELOG.md", "Cargo.toml", "pyproject.toml")
SCANNED_DIRS = ("src", "python", "tests", "benches", "docs", ".ci", ".github")
SCANNED_SUFFIXES = {".rs", ".py", ".pyi", ".md", ".toml", ".yml", ".yaml", ".sh", ""}

SECTION_SIGN = "\N{SECTION SIGN}"
SECTION = re.compile(SECTION_SIGN + r"\s?(\d+(?:\.\d+)*)")
HEADING = re.compile(r"^#{1,6}\s+" + SECTION_SIGN + r"(\d+(?:\.\d+)*)\s", re.MULTILINE)
# A Markdown file named by a relative path (not part of a URL or a longer path).
MARKDOWN_PATH = re.compile(r"(?<![\w/.:-])((?:[\w.-]+/)*[\w-]+\.md)\b")
# A path into the repository's own source folders, with a source extension.
SOURCE_PATH = re.compile(
    r"(?<![\w/.:-])((?:src|python|tests|benches|docs)/[\w./-]*\w\.(?:rs|pyi?|md|toml))\b"
)
# Citations of documents that were never in the repository.
OUTSIDE = [
    (re.compile(r"\bSPEC\b"), "the specification outside the repository"),
    (re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE), "an issue number"),
]
# How far before a section number its document must be named.
CITATION_REACH = 200


def contract_sections(text: str) -> set[str]:
    """The section numbers that are headings of the contract."""
    return set(HEADING.findall(text))


def broken_references(
    text: str, sections: set[str], exists, *, is_contract: bool = False
) -> list[str]:
    """What in ``text`` does not resolve: each as a short description.

    ``exists(path)`` says whether a relative path names a file of the repository.
    Outside the contract every section number must follow a mention of the
    contract closely, so that it cannot be a section of some other document.
    """
    problems = []
    for pattern, what in OUTSIDE:
        for match in pattern.finditer(text):
            problems.append(f"cites {what}: {match.group(0)!r}")
    for pattern in (MARKDOWN_PATH, SOURCE_PATH):
        for match in pattern.finditer(text):
            if not exists(match.group(1)):
                problems.append(f"cites a missing file: {match.group(1)}")
    for match in SECTION.finditer(text):
        number = match.group(1)
        if number not in sections:
            problems.append(f"cites a section that is not a heading of {CONTRACT}: {number}")
        before = text[max(0, match.start() - CITATION_REACH) : match.start()]
        if not is_contract and CONTRACT not in before:
            problems.append(f"cites section {number} without naming {CONTRACT} just before")
    return problems


def scanned_files() -> list[Path]:
    """The source, test, benchmark, documentation and CI files of the checkout."""
    files = [ROOT / name for name in TOP_LEVEL_FILES if (ROOT / name).is_file()]
    for folder in SCANNED_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            cached = "__pycache__" in path.parts
            if path.is_file() and path.suffix in SCANNED_SUFFIXES and not cached:
                files.append(path)
    # This file spells out the patterns it looks for.
    return [path for path in files if path.resolve() != Path(__file__).resolve()]


def exists_from(path: Path):
    """Whether a cited path exists, relative to the repository or to ``path``'s folder."""
    return lambda cited: (ROOT / cited).is_file() or (path.parent / cited).is_file()


@needs_checkout
def test_the_contract_has_numbered_sections():
    text = (ROOT / CONTRACT).read_text(encoding="utf-8")
    numbers = HEADING.findall(text)
    assert len(numbers) == len(set(numbers)), "a section number is used twice"
    for number in numbers:
        parent = number.rpartition(".")[0]
        assert not parent or parent in numbers, f"section {number} has no section {parent}"
    assert {"1", "2", "2.3", "6", "6.2", "8"} <= set(numbers)


@needs_checkout
def test_every_reference_resolves():
    sections = contract_sections((ROOT / CONTRACT).read_text(encoding="utf-8"))
    problems = []
    citations = 0
    for path in scanned_files():
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(ROOT).as_posix()
        citations += len(SECTION.findall(text)) if relative != CONTRACT else 0
        found = broken_references(
            text, sections, exists_from(path), is_contract=relative == CONTRACT
        )
        problems += [f"{relative}: {problem}" for problem in found]
    assert not problems, "\n".join(problems)
    # The scan must see the citations that exist (the core's modules cite many).
    assert citations >= 20


def test_the_check_finds_each_kind_of_broken_reference():
    sections = {"1", "2", "2.3"}
    exists = {"README.md", "docs/algorithm.md", "src/lib.rs"}.__contains__
    good = "See docs/algorithm.md §2.3 and §1, README.md, src/lib.rs and https://x.org/a/b.md."
    assert broken_references(good, sections, exists) == []
    bad = {
        "As SPEC.md §1 says.": ["specification", "missing file: SPEC.md", "without naming"],
        "The targets of issue 4.": ["issue number"],
        "In docs/algorithm.md §7.": ["not a heading"],
        "See docs/other.md.": ["missing file: docs/other.md"],
        "In src/gone.rs.": ["missing file: src/gone.rs"],
        "Only §2 here.": ["without naming"],
    }
    for text, expected in bad.items():
        found = broken_references(text, sections, exists)
        for fragment in expected:
            assert any(fragment in problem for problem in found), (text, found)
    assert broken_references("§7 refers to §2.", sections, exists, is_contract=True) == [
        f"cites a section that is not a heading of {CONTRACT}: 7"
    ]
