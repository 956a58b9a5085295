"""fetch: the configured papers from the live arXiv API or a snapshot -> data/raw/papers.jsonl,
and what was repaired or dropped -> reports/fetch/papers.json."""

from pathlib import Path

from arxivist.atomic import write_json, write_jsonl
from arxivist.data.fetching import fetch_sample
from arxivist.params import load_params
from arxivist.stage_runner import run_stage


def fetch(out: Path, report: Path) -> None:
    params = load_params()
    sample = fetch_sample(params.fetch)
    write_jsonl(out, (paper.to_record() for paper in sample.papers))
    write_json(report, sample.report())


if __name__ == "__main__":
    run_stage(fetch, "out", "report", doc=__doc__)
