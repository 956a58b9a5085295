"""The papers every system is scored on: the later papers (submitted after the training sample,
the set results lead with) and the test split, each with its int `label` column; and the
validation split, which only the model is scored on, for choosing among recipes (never the
later set: it only reports what validation chose). None of them may hold an abstract text of the
train split."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from arxivist.data.dedup import shared_texts
from arxivist.data.papers import TEXT
from arxivist.errors import ArxivistError
from arxivist.evaluation.metrics import check_labels
from arxivist.jsonlines import read_jsonl
from arxivist.labels import LabelSet

SETS = ("later", "test")
SELECTION = "validation"  # the model's predictions only, after SETS: what a sweep's pick reads
# the frozen encoder + LR, TF-IDF + LR (arxivist.evaluation.baselines)
BASELINES = ("encoder", "tfidf")


def load_evaluation_sets(splits: Path, later: Path, labels: LabelSet) -> dict[str, pd.DataFrame]:
    """{"later": data/later/papers.jsonl labelled, "test": data/split/test.parquet}; every class
    must have a paper in each (ROC-AUC needs it), and no text may be shared with the train split
    (check_no_shared_texts)."""
    frames = {"later": load_later_set(later, labels), "test": load_split(splits, "test", labels)}
    check_no_shared_texts(splits, frames)
    return frames


def load_later_set(later: Path, labels: LabelSet) -> pd.DataFrame:
    """data/later/papers.jsonl with its int `label` column; every class must have a paper."""
    records = read_jsonl(later)
    if not records:
        raise ArxivistError(f"{later} holds no papers; the later set must not be empty")
    frame = labels.encode(pd.DataFrame.from_records(records))
    check_labels(frame["label"].to_numpy(), labels.codes, str(later))
    return frame


def check_no_shared_texts(splits: Path, sets: Mapping[str, pd.DataFrame]) -> None:
    """Refuse a paper of the validation split or of `sets` whose normalised abstract text is a
    paper's of the train split: one line naming the sets, the count and the first ids."""

    def read(name: str) -> pd.DataFrame:
        return pd.read_parquet(splits / f"{name}.parquet", columns=["id", TEXT])

    def texts(frame: pd.DataFrame) -> Iterable[tuple[str, str]]:
        return zip(frame["id"], frame[TEXT], strict=True)

    train = list(texts(read("train")))
    shared = [
        (name, *pair)
        for name, frame in {"validation": read("validation"), **sets}.items()
        for pair in shared_texts(train, texts(frame))
    ]
    if shared:
        counts = ", ".join(f"{name} {n}" for name, n in Counter(s[0] for s in shared).items())
        first = "; ".join(
            f"{name} {arxiv_id} = train {twin}" for name, arxiv_id, twin in shared[:3]
        )
        raise ArxivistError(
            f"the train split shares {len(shared)} abstract texts (normalised) with the sets that "
            f"judge it ({counts}; first: {first}): each paper must be in one set only; fetch and "
            "later drop such papers, so rerun them (dvc repro)"
        )


def load_split(splits: Path, name: str, labels: LabelSet) -> pd.DataFrame:
    """data/split/<name>.parquet; every class must have a paper in it."""
    source = splits / f"{name}.parquet"
    frame = pd.read_parquet(source)
    check_labels(frame["label"].to_numpy(), labels.codes, str(source))
    return frame
