"""Every internal link of the built site resolves.

Reads every HTML page under the folder given (the output of ``sphinx-build
-b html``) and checks each local ``href`` and ``src``: the file it names
exists, and the fragment after ``#``, if any, is an ``id`` (or a ``name``) of
that page. Links with a scheme (``https:``, ``mailto:``) leave the site and
are not checked: the build has no network. Exits 1 listing every broken
link, 0 when there are none.

Usage: python .ci/check_html_links.py docs/_build/html
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class PageLinks(HTMLParser):
    """The anchors a page defines and the local links it makes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and tag != "meta":
                self.anchors.add(value)
            elif name in ("href", "src") and is_local(value):
                self.links.append(value)


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and url not in ("", "#")


def parse(page: Path) -> PageLinks:
    parser = PageLinks()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def built_pages(site: Path) -> list[Path]:
    """The pages of the site; not the theme's templates among its static files."""
    return [page for page in sorted(site.rglob("*.html")) if "_static" not in page.parts]


def broken_links(site: Path) -> list[str]:
    pages = {page.resolve(): parse(page) for page in built_pages(site)}
    problems = []
    for page, found in pages.items():
        for link in found.links:
            parts = urlsplit(link)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site.resolve())}: {link}"
            if not target.is_file():
                problems.append(f"{where}: no file {target}")
            elif parts.fragment and target.suffix == ".html":
                anchors = pages[target].anchors if target in pages else parse(target).anchors
                if unquote(parts.fragment) not in anchors:
                    problems.append(f"{where}: no anchor #{parts.fragment} in {target.name}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write(__doc__.strip().splitlines()[-1] + "\n")
        return 2
    site = Path(argv[0])
    pages = built_pages(site)
    if not pages:
        sys.stderr.write(f"no HTML pages under {site}\n")
        return 1
    problems = broken_links(site)
    for problem in problems:
        sys.stderr.write(f"broken link: {problem}\n")
    links = sum(len(parse(page).links) for page in pages)
    print(f"{len(pages)} pages, {links} internal links, {len(problems)} broken")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
