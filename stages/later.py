"""later: papers submitted after the training sample (later.*), none of them in it
-> data/later/papers.jsonl."""

from pathlib import Path

from arxivist.atomic import write_jsonl
from arxivist.jsonlines import read_jsonl
from arxivist.later import later_papers
from arxivist.params import load_params
from arxivist.stage import run_stage


def later(training: Path, out: Path) -> None:
    params = load_params()
    papers = later_papers(params, (record["id"] for record in read_jsonl(training)))
    write_jsonl(out, (paper.to_record() for paper in papers))


if __name__ == "__main__":
    run_stage(later, "training", "out", doc=__doc__)
