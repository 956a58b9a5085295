"""fetch: the configured papers from the live arXiv API or a snapshot -> data/raw/papers.jsonl."""

from pathlib import Path

from arxivist.atomic import write_jsonl
from arxivist.params import load_params
from arxivist.sources import fetch_papers
from arxivist.stage import run_stage


def fetch(out: Path) -> None:
    params = load_params()
    papers = fetch_papers(params.fetch)
    write_jsonl(out, (paper.to_record() for paper in papers))


if __name__ == "__main__":
    run_stage(fetch, "out", doc=__doc__)
