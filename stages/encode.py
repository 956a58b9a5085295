"""encode: add integer labels -> data/labeled/papers.parquet and data/labeled/labels.json."""

from pathlib import Path

import pandas as pd

from arxivist.atomic import write_parquet
from arxivist.jsonlines import read_jsonl
from arxivist.labels import LabelSet
from arxivist.params import load_params
from arxivist.stage_runner import run_stage


def encode(papers: Path, out: Path) -> None:
    labels = LabelSet.from_params(load_params().labels)
    labeled = labels.encode(pd.DataFrame(read_jsonl(papers)))
    labels.save(out / "labels.json")
    write_parquet(out / "papers.parquet", labeled)


if __name__ == "__main__":
    run_stage(encode, "papers", "out", doc=__doc__)
