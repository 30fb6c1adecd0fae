"""README is the package's front page: short, with the sections a newcomer
needs, the two quick-start commands CI runs, one speed table, and links into
the documentation that lead somewhere (the depth lives in the docs site)."""

from __future__ import annotations

import re

from checkout import ROOT, needs_checkout

pytestmark = needs_checkout
README = (ROOT / "README.md").read_text() if (ROOT / "README.md").is_file() else ""
SECTIONS = re.findall(r"^## (.+)$", README, re.MULTILINE)


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    following = README.find("\n## ", start + 1)
    return README[start : following if following != -1 else len(README)]


def test_readme_is_a_front_page_of_about_200_lines():
    assert len(README.splitlines()) <= 250


def test_readme_has_the_sections_of_a_front_page():
    for title in ("Install", "Quick start", "Drop-in usage", "Beyond scikit-learn", "Speed"):
        assert title in SECTIONS, title


def test_the_quick_start_is_the_two_commands_ci_runs():
    quick_start = section("Quick start")
    commands = re.findall(r"```bash\n(.*?)\n```", quick_start, re.DOTALL)
    assert commands == [
        'pip install ".[plot]" && fastmeanshift demo',
        'pip install ".[test]" && cargo test && pytest',
    ]
    ci = (ROOT / ".ci" / "run").read_text()
    assert all(command in ci for command in commands)


def test_one_speed_table_with_the_command_that_measures_it():
    speed = section("Speed")
    tables = re.findall(r"(?:^\|.*\|\n)+", speed, re.MULTILINE)
    assert len(tables) == 1
    assert "benches/compare.py" in speed
    assert re.search(r"AMD|Intel|Xeon|EPYC", speed)  # which CPU measured it


def test_every_link_into_the_repository_resolves():
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    local = [link for link in links if "://" not in link]
    assert len(local) >= 8  # links into the docs, not the docs themselves
    for link in local:
        assert (ROOT / link).exists(), link
