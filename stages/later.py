"""later: papers submitted after the training sample (later.*), none of them in it
-> data/later/papers.jsonl, and what was dropped -> reports/later/papers.json."""

from pathlib import Path

from arxivist.atomic import write_json, write_jsonl
from arxivist.data.later import later_sample
from arxivist.data.papers import Paper
from arxivist.jsonlines import read_jsonl
from arxivist.params import load_params
from arxivist.stage_runner import run_stage


def later(training: Path, out: Path, report: Path) -> None:
    params = load_params()
    sample = later_sample(params, (Paper(**record) for record in read_jsonl(training)))
    write_jsonl(out, (paper.to_record() for paper in sample.papers))
    write_json(report, sample.report())


if __name__ == "__main__":
    run_stage(later, "training", "out", "report", doc=__doc__)
