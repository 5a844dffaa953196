"""The README is a front door: short, the two commands first, and every link it or docs/ holds
leads to a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "vscode-client" / "README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_readme_is_short_and_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200
    first_block = lines[lines.index("```sh") + 1: lines.index("```")]
    assert first_block[0].startswith("scripts/setup.sh && .venv/bin/anvil generate examples/")
    assert first_block[1] == "scripts/setup.sh && scripts/test.sh"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file(page: Path):
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#", 1)[0]).resolve()
        if not path.exists():
            broken.append(target)
    assert broken == []


def test_the_extension_readme_packages_without_a_repository():
    """`vsce package` cannot place relative images without a public repository to point at."""
    text = (ROOT / "vscode-client" / "README.md").read_text()
    assert not re.search(r"!\[[^\]]*\]\((?![a-z]+:)", text)
