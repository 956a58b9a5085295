"""split: stratified, seeded train/validation/test -> data/split/{train,validation,test}.parquet."""

from pathlib import Path

import pandas as pd

from arxivist.atomic import write_parquet
from arxivist.data.splits import split_papers
from arxivist.params import load_params
from arxivist.stage_runner import run_stage


def split(labeled: Path, out: Path) -> None:
    params = load_params()
    parts = split_papers(pd.read_parquet(labeled / "papers.parquet"), params.split)
    for name, frame in parts.items():
        write_parquet(out / f"{name}.parquet", frame)


if __name__ == "__main__":
    run_stage(split, "labeled", "out", doc=__doc__)
