"""The papers every system is scored on: the later papers (submitted after the training sample,
the set results lead with) and the test split, each with its int `label` column; and the
validation split, which only the model is scored on, for choosing among recipes (never the
later set: it only reports what validation chose)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `arxivist compare` reads SETS and starts fast
    import pandas as pd

    from arxivist.labels import LabelSet

SETS = ("later", "test")
SELECTION = "validation"  # the model's predictions only, after SETS: what a sweep's pick reads
BASELINES = ("encoder", "tfidf")  # the frozen encoder + LR, TF-IDF + LR (arxivist.baselines)


def load_evaluation_sets(splits: Path, later: Path, labels: LabelSet) -> dict[str, pd.DataFrame]:
    """{"later": data/later/papers.jsonl labelled, "test": data/split/test.parquet}; every class
    must have a paper in each (ROC-AUC needs it)."""
    import pandas as pd

    from arxivist.errors import ArxivistError
    from arxivist.jsonlines import read_jsonl
    from arxivist.metrics import check_labels

    records = read_jsonl(later)
    if not records:
        raise ArxivistError(f"{later} holds no papers; the later set must not be empty")
    frame = labels.encode(pd.DataFrame.from_records(records))
    check_labels(frame["label"].to_numpy(), labels.codes, str(later))
    return {"later": frame, "test": load_split(splits, "test", labels)}


def load_split(splits: Path, name: str, labels: LabelSet) -> pd.DataFrame:
    """data/split/<name>.parquet; every class must have a paper in it."""
    import pandas as pd

    from arxivist.metrics import check_labels

    source = splits / f"{name}.parquet"
    frame = pd.read_parquet(source)
    check_labels(frame["label"].to_numpy(), labels.codes, str(source))
    return frame
