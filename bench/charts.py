"""The sweeps' results in bench/results/ as charts, docs/img/bench-<sweep>.png, drawn by `dvc plots
show` in Chromium (`make bench-charts`; docs/benchmarks.md says what each shows)."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from arxivist.atomic import write_json
from arxivist.evaluation.metrics import HEADLINE
from arxivist.evaluation.plots import SYSTEM_NAMES, interval_rows
from arxivist.evaluation.recipe_compare import REPORTED
from bench.harness import RESULTS
from bench.sweep import PLANS
from standins.workspace import BIN, ROOT, dvc
from web.screenshot import save


@dataclass(frozen=True)
class Chart:
    """One sweep's chart: the rows it draws and how dvc.yaml's `plots` names their fields."""

    name: str  # the PNG is docs/img/bench-<name>.png
    title: str  # {set_papers} becomes the rows' paper count
    x: str
    x_label: str
    y_label: str
    rows: list[dict[str, Any]]

    def plot(self) -> dict[str, Any]:
        """Its entry in a dvc.yaml's top-level `plots`."""
        fields = {"x": self.x, "y": "value", "x_label": self.x_label, "y_label": self.y_label}
        return {f"{self.name}.json": {"template": "intervals", "title": self.title, **fields}}


def seed_rows(
    name: str, runs: Mapping[str, Mapping[str, Any]], mean: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """A recipe's rows: each run's intervals (`runs`: 'seed N' -> intervals by metric) and the
    recipe's `mean` over them with its interval, where one is recorded (`value` in each metric)."""
    rows = [
        row
        for run, by_metric in runs.items()
        for row in interval_rows("recipe", name, by_metric, None, run=run)
    ]
    if all("value" in mean[m] for m in HEADLINE):
        rows += interval_rows("recipe", name, shown(mean), None, run=f"mean of {len(runs)} seeds")
    return rows


def shown(spreads: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per metric, a spread's mean and interval (no SD, no scores)."""
    return {m: {key: spreads[m][key] for key in ("value", "low", "high")} for m in HEADLINE}


def sweep_chart(name: str, result: dict[str, Any]) -> Chart:
    """A bench.sweep result: per recipe and set (the pick on the later set from `pick`), each
    run's score and the mean over seeds with its interval, and each baseline of its runs."""
    recipes = {recipe: dict(by_set) for recipe, by_set in result["recipes"].items()}
    if "pick" in result:
        later = result["pick"][REPORTED]
        spread = {m: later[m]["b"] for m in HEADLINE} if "set" in later else later
        recipes[result["pick"]["pick"]][REPORTED] = spread
    seeds = [f"seed {seed}" for seed in result["seeds"]]
    rows = [
        row
        for recipe, by_set in recipes.items()
        for set_name, spread in sorted(by_set.items())
        for row in seed_rows(f"{recipe}, {set_name}", scores(seeds, spread), spread)
    ]
    rows += [
        row
        for recipe, systems in result.get("baselines", {}).items()
        for system, found in systems.items()
        for r in found["results"]
        for row in interval_rows(
            "recipe",
            f"{recipe}, {r['set']}",
            shown({m: r[m]["a"] for m in HEADLINE}),
            r["papers"],
            run=SYSTEM_NAMES[system],
        )
    ]
    title = f"bench.sweep {result['plan']}: every run of each recipe, and the mean where recorded"
    return Chart(name, title, "recipe", "recipe, set", "score, 95% interval", rows)


def scores(seeds: Sequence[str], spreads: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Each run's interval over papers where recorded (`intervals`), else its score as an
    interval of no width: 'seed N' -> by metric."""
    keys = ("value", "low", "high")
    return {
        seed: {
            m: spreads[m]["intervals"][i]
            if "intervals" in spreads[m]
            else dict.fromkeys(keys, spreads[m]["scores"][i])
            for m in HEADLINE
        }
        for i, seed in enumerate(seeds)
    }


def draw(charts: Sequence[Chart], out: Path) -> list[Path]:
    """Each chart's PNG in `out`, drawn by `dvc plots show` in a scratch DVC project that holds
    the project's templates and page and the charts' rows."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        dvc(project, "init", "--no-scm", "-q")
        shutil.copytree(ROOT / ".dvc" / "plots", project / ".dvc" / "plots")
        dvc(project, "config", "plots.html_template", "plots/page.html")
        for chart in charts:
            write_json(project / f"{chart.name}.json", chart.rows)
        plots = {"plots": [chart.plot() for chart in charts]}
        (project / "dvc.yaml").write_text(yaml.safe_dump(plots, sort_keys=False), encoding="utf-8")
        pictures = {f"{chart.name}_json": out / f"bench-{chart.name}.png" for chart in charts}
        save([str(BIN / "dvc"), "plots", "show"], charts=pictures, cwd=project)
    return list(pictures.values())


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="the sweeps' JSON results")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="where the PNGs go")
    args = parser.parse_args()
    charts = [
        sweep_chart(path.stem.replace("_", "-"), read(path))
        for path in (args.results / plan.out for plan in PLANS.values())
        if path.exists()
    ]
    for picture in draw(charts, args.out):
        print(f"wrote {picture}")


if __name__ == "__main__":
    main()
