"""The offline plots page: DVC's config names it, it loads nothing, it is the build of the lock.

The pages that `dvc plots show` and `dvc plots diff` fill from it are opened in Chromium by
tests/pipeline/test_pipeline.py and tests/pipeline/test_experiments.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from standins.workspace import ROOT, dvc
from web.browser import visit
from web.build_page import BUILDS, PAGE, build, checked

WEB = ROOT / "web"
# What a page can fetch by itself, tag by tag.
FETCHING_ATTRIBUTES = {"src", "href", "srcset", "data", "action", "poster"}


class Fetches(HTMLParser):
    """Every attribute of the page that could make the browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [
            (tag, name, value or "") for name, value in attrs if name in FETCHING_ATTRIBUTES
        ]


def locked_versions() -> dict[str, str]:
    lock = json.loads((WEB / "package-lock.json").read_text(encoding="utf-8"))
    return {name: lock["packages"][f"node_modules/{name}"]["version"] for name in BUILDS}


def test_dvc_config_names_the_page() -> None:
    named = dvc(ROOT, "config", "plots.html_template").stdout.strip()
    assert (ROOT / ".dvc" / named).resolve() == PAGE


def test_the_page_fetches_nothing_and_replaces_dvcs_cdn_scripts() -> None:
    page = PAGE.read_text(encoding="utf-8")
    parser = Fetches()
    parser.feed(page)
    assert parser.found == []
    # Without a {scripts} placeholder DVC's three CDN <script> tags have nowhere to go.
    assert page.count("{plot_divs}") == 1
    assert "{scripts}" not in page


def test_the_page_carries_each_pinned_build_with_its_license() -> None:
    page = PAGE.read_text(encoding="utf-8")
    for name, version in locked_versions().items():
        assert f"<script>/* {name}@{version}/{BUILDS[name]} */" in page
        assert f"  {name}@{version} (BSD-3-Clause)" in page  # under the license text it uses
    assert page.count("Redistribution and use in source and binary forms") >= 3


def test_the_dependencies_are_pinned_exactly() -> None:
    manifest = json.loads((WEB / "package.json").read_text(encoding="utf-8"))
    assert manifest["dependencies"] == locked_versions()


@pytest.mark.slow
def test_the_page_is_the_build_of_the_locked_packages(tmp_path: Path) -> None:
    """`npm ci` from the npm registry, then the build: byte for byte the committed page."""
    for name in ("package.json", "package-lock.json", "page.in.html"):
        shutil.copy2(WEB / name, tmp_path / name)
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    assert build(tmp_path) == PAGE.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("epochs", [1, 2, 3, 10])
def test_the_training_curves_label_whole_epochs_each_once(epochs: int, tmp_path: Path) -> None:
    """dvc.yaml's training curves (template curves) drawn in Chromium from `epochs` logged rows:
    the epoch axis reads 1, 2, ... (not 1, 2, 2: fractional ticks under format d)."""
    curves = [
        plot
        for plot in yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["plots"]
        if next(iter(plot.values())).get("template") == "curves"
    ]
    assert curves
    for plot in curves:
        for path, field in next(iter(plot.values()))["y"].items():
            rows = "".join(f"{epoch}\t{1 / epoch:.4f}\n" for epoch in range(1, epochs + 1))
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path).write_text(f"step\t{field}\n{rows}", encoding="utf-8")
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"plots": curves}), encoding="utf-8")
    dvc(tmp_path, "init", "--no-scm", "-q")
    shutil.copytree(ROOT / ".dvc" / "plots", tmp_path / ".dvc" / "plots")
    dvc(tmp_path, "config", "plots.html_template", "plots/page.html")
    dvc(tmp_path, "plots", "show", "-o", str(tmp_path / "page"))

    seen = visit(tmp_path / "page" / "index.html")
    assert seen.problems == []
    assert len(seen.charts) == len(curves)
    for chart in seen.charts.values():
        assert chart.drawn
        assert chart.axis_labels[0] == [str(epoch) for epoch in range(1, epochs + 1)]


@pytest.mark.parametrize("text", ["a</script>b", "<!-- x", "{plot_divs}", "{scripts}"])
def test_the_build_refuses_text_that_would_break_out_of_its_script(text: str) -> None:
    with pytest.raises(ValueError, match="cannot go inline"):
        checked(text, "the test's text")
