"""The figures that README.md and docs/benchmarks.md report come from the benchmarks' results: every
"value [low, high]" in them is an interval recorded in bench/results/*.json, at the decimals shown,
the README's results table gives no figure without its interval, and its glossary's blog sample
and seed recipe are what the benchmarks run."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from standins.workspace import ROOT

RESULTS = ROOT / "bench" / "results"
REPORTS = ("README.md", "docs/benchmarks.md")
FIGURE = re.compile(r"(?P<value>[+-]?\d+\.\d+) \[(?P<low>[+-]?\d+\.\d+), (?P<high>[+-]?\d+\.\d+)\]")
Figure = tuple[str, str, str]


def intervals(node: Any) -> Iterator[dict[str, float]]:
    """Every {"value", "low", "high"} record anywhere in a result."""
    if isinstance(node, dict):
        if {"value", "low", "high"} <= node.keys():
            yield node
        for child in node.values():
            yield from intervals(child)
    elif isinstance(node, list):
        for child in node:
            yield from intervals(child)


def written(record: dict[str, float], decimals: int, signed: bool) -> Figure:
    """The record as a report writes it: 3 or 4 decimals, with a sign for a difference."""
    form = f"{{:{'+' if signed else ''}.{decimals}f}}"
    return form.format(record["value"]), form.format(record["low"]), form.format(record["high"])


def recorded() -> set[Figure]:
    return {
        written(record, decimals, signed)
        for path in sorted(RESULTS.glob("*.json"))
        for record in intervals(json.loads(path.read_text(encoding="utf-8")))
        for decimals in (3, 4)
        for signed in (False, True)
    }


def figures(text: str) -> list[Figure]:
    return [(m["value"], m["low"], m["high"]) for m in FIGURE.finditer(text)]


def test_a_figure_is_read_at_its_decimals_with_its_sign() -> None:
    record = {"value": -0.015777, "low": -0.028667, "high": -0.002483}
    assert written(record, 3, signed=True) == ("-0.016", "-0.029", "-0.002")
    assert written({"value": 0.9784, "low": 0.974478, "high": 0.98211}, 3, signed=False) == (
        "0.978",
        "0.974",
        "0.982",
    )
    assert figures("by +0.004 [+0.002, +0.007] ROC-AUC and 0.91 [0.90,0.92]") == [
        ("+0.004", "+0.002", "+0.007")
    ]


@pytest.mark.parametrize("report", REPORTS)
def test_every_interval_reported_is_a_benchmarks_result(report: str) -> None:
    found = figures((ROOT / report).read_text(encoding="utf-8"))
    assert found, f"{report} reports no interval"
    known = recorded()
    unknown = [f"{v} [{lo}, {hi}]" for v, lo, hi in found if (v, lo, hi) not in known]
    assert unknown == [], f"{report}: not in bench/results/*.json at these decimals: {unknown}"


def test_the_readme_results_table_gives_every_figure_with_its_interval() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = text[text.index("## Results") :].splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| system"))
    rows = list(itertools.takewhile(lambda line: line.startswith("|"), lines[header + 2 :]))
    assert len(rows) == 3, rows  # the model and its two baselines
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
        assert len(cells) == 4 and all(FIGURE.fullmatch(cell) for cell in cells), row


def test_the_glossary_s_blog_sample_and_seed_recipe_are_what_the_benchmarks_run() -> None:
    """README.md says what the blog sample and the seed recipe are; bench/ runs them."""
    from bench.harness import BENCH_PARAMS
    from bench.time_to_quality import SEED_RECIPE

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    samples = re.findall(
        r"the first (\d+) cs\.AI, (\d+) cs\.IR and (\d+) cs\.RO papers by id", readme
    )
    wanted = tuple(str(count) for count in BENCH_PARAMS["fetch"]["categories"].values())
    assert len(samples) >= 2 and set(samples) == {wanted}
    recipe = re.search(
        r"at (\d+) tokens, batch (\d+), AdamW at lr (\S+) \(.*?\), (\d+) epochs", readme
    )
    assert recipe, "the README's glossary states the seed recipe"
    max_length, batch_size, learning_rate, epochs = recipe.groups()
    assert (int(max_length), int(batch_size), float(learning_rate), int(epochs)) == (
        SEED_RECIPE["max_length"],
        SEED_RECIPE["batch_size"],
        SEED_RECIPE["learning_rate"],
        SEED_RECIPE["epochs"],
    )
