"""The blog's stratified, seeded train/validation/test split."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from arxivist.errors import ArxivistError
from arxivist.params import SplitParams

SPLITS = ("train", "validation", "test")


class SplitError(ArxivistError):
    """Too few papers of some label to stratify with the configured fractions."""


def split_papers(papers: pd.DataFrame, params: SplitParams) -> dict[str, pd.DataFrame]:
    """Test = test_size of all papers; validation = val_size of the rest; stratified by label and
    seeded by split.seed alone.

    With the blog's 2,100 papers and the defaults this gives 1428 / 357 / 315.
    """
    rest, test = _split(papers, params.test_size, params.seed, "split.test_size")
    train, validation = _split(rest, params.val_size, params.seed, "split.val_size")
    parts = {"train": train, "validation": validation, "test": test}
    labels = set(papers["label"])
    for name, part in parts.items():
        if missing := labels - set(part["label"]):
            raise SplitError(f"the {name} split has no paper of label(s) {sorted(missing)}")
    return {name: part.sort_values("id").reset_index(drop=True) for name, part in parts.items()}


def _split(
    frame: pd.DataFrame, size: float, seed: int, key: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    try:
        return train_test_split(
            frame, test_size=size, stratify=frame["label"], random_state=seed, shuffle=True
        )
    except ValueError as err:
        counts = frame["label"].value_counts().sort_index().to_dict()
        raise SplitError(
            f"{key}={size} cannot split {len(frame)} papers stratified by label "
            f"(papers per label: {counts}): {err}"
        ) from None
