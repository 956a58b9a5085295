"""Small labelled frames shared by the unit tests of labels, splits, tokenization, atomic writes."""

from __future__ import annotations

import pandas as pd

from arxivist.labels import LabelSet

LABELS = LabelSet.from_params(
    {"cs.AI": "Artificial Intelligence", "cs.IR": "Information Retrieval", "cs.RO": "Robotics"}
)


def papers(counts: dict[str, int]) -> pd.DataFrame:
    rows = [
        {"id": f"2401.{code[-2:]}{i:04d}", "abstract": f"{code} text {i}", "primary_category": code}
        for code, n in counts.items()
        for i in range(n)
    ]
    return pd.DataFrame(rows)
