"""The blog's stratified, seeded train/validation/test split."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from arxivist.errors import ArxivistError
from arxivist.params import SplitParams

SPLITS = ("train", "validation", "test")


class SplitError(ArxivistError):
    """Too few papers of some label to stratify with the configured fractions."""


MIN_PER_CLASS = len(SPLITS)  # a paper of each class in each split, at the least


def split_papers(papers: pd.DataFrame, params: SplitParams) -> dict[str, pd.DataFrame]:
    """Test = test_size of all papers; validation = val_size of the rest; stratified by label and
    seeded by split.seed alone.

    With the blog's 2,100 papers and the defaults this gives 1428 / 357 / 315.
    """
    check_class_sizes(papers)
    rest, test = _split(papers, params.test_size, params.seed, "split.test_size")
    train, validation = _split(rest, params.val_size, params.seed, "split.val_size")
    parts = {"train": train, "validation": validation, "test": test}
    for name, part in parts.items():
        if missing := set(papers["label"]) - set(part["label"]):
            absent = ", ".join(_class_names(papers, sorted(missing)))
            raise SplitError(
                f"the {name} split gets no paper of {absent} with split.test_size="
                f"{params.test_size} and split.val_size={params.val_size} (papers per class: "
                f"{_counts(papers)}); fetch more papers of it or change the fractions"
            )
    return {name: part.sort_values("id").reset_index(drop=True) for name, part in parts.items()}


def check_class_sizes(papers: pd.DataFrame) -> None:
    """Refuse a class with fewer papers than there are splits: stratifying cannot put one of
    them in each, and a class missing from a split cannot be trained or scored."""
    if papers.empty:
        raise SplitError("no papers to split")
    sizes = papers["label"].value_counts()
    if small := sorted(sizes[sizes < MIN_PER_CLASS].index):
        raise SplitError(
            f"too few papers of {', '.join(_class_names(papers, small))} to stratify into "
            f"{', '.join(SPLITS)} (split.test_size, split.val_size): at least {MIN_PER_CLASS} "
            f"each (papers per class: {_counts(papers)}); fetch more papers of it"
        )


def _split(
    frame: pd.DataFrame, size: float, seed: int, key: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    try:
        return train_test_split(
            frame, test_size=size, stratify=frame["label"], random_state=seed, shuffle=True
        )
    except ValueError as err:
        raise SplitError(
            f"{key}={size} cannot split {len(frame)} papers stratified by class "
            f"(papers per class: {_counts(frame)}): {err}"
        ) from None


def _class_names(papers: pd.DataFrame, labels: list[int]) -> list[str]:
    """The category codes of `labels` (from primary_category when the frame has it)."""
    if "primary_category" not in papers:
        return [f"label {label}" for label in labels]
    codes = papers.drop_duplicates("label").set_index("label")["primary_category"]
    return [str(codes[label]) for label in labels]


def _counts(papers: pd.DataFrame) -> str:
    """'cs.AI: 50, cs.RO: 2': papers per class, in label order."""
    sizes = papers["label"].value_counts().sort_index()
    names = _class_names(papers, list(sizes.index))
    return ", ".join(f"{name}: {count}" for name, count in zip(names, sizes, strict=True))
