"""tokenize: the splits through the checkpoint's fast tokenizer -> data/tokenized (DatasetDict)."""

from pathlib import Path

import pandas as pd

from arxivist.atomic import atomic_path
from arxivist.data.splits import SPLITS
from arxivist.data.tokenization import load_tokenizer, tokenize_splits
from arxivist.model.checkpoints import resolve_checkpoint
from arxivist.params import load_params
from arxivist.stage_runner import run_stage


def tokenize(splits: Path, out: Path) -> None:
    params = load_params()
    max_length = params.tokenize.max_length
    tokenizer = load_tokenizer(resolve_checkpoint(params.model), max_length)
    frames = {name: pd.read_parquet(splits / f"{name}.parquet") for name in SPLITS}
    with atomic_path(out) as tmp:
        tokenize_splits(frames, tokenizer, max_length).save_to_disk(str(tmp))


if __name__ == "__main__":
    run_stage(tokenize, "splits", "out", doc=__doc__)
