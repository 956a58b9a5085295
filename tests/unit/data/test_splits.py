"""arxivist.data.splits: stratified, seeded splits; too small a class is named with the counts."""

from __future__ import annotations

import pytest

from arxivist.data.splits import SplitError, split_papers
from arxivist.params import SplitParams
from tests.unit.frames import LABELS, papers


def test_blog_split_sizes_are_1428_357_315_and_stratified() -> None:
    frame = LABELS.encode(papers({"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 100}))
    parts = split_papers(frame, SplitParams(seed=42))
    assert {name: len(part) for name, part in parts.items()} == {
        "train": 1428,
        "validation": 357,
        "test": 315,
    }
    assert parts["test"]["label"].value_counts().to_dict() == {0: 150, 1: 150, 2: 15}
    shuffled = frame.sample(frac=1, random_state=1).sort_values("id")
    again = split_papers(shuffled, SplitParams(seed=42))
    assert all(parts[name].equals(again[name]) for name in parts)
    assert not parts["test"]["id"].equals(split_papers(frame, SplitParams(seed=7))["test"]["id"])


def test_split_too_small_names_the_param() -> None:
    frame = LABELS.encode(papers({"cs.AI": 20, "cs.IR": 20, "cs.RO": 1}))
    with pytest.raises(SplitError, match=r"split\.test_size"):
        split_papers(frame, SplitParams(seed=42))


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        (
            {"cs.AI": 20, "cs.IR": 20, "cs.RO": 2},
            "too few papers of cs.RO to stratify into train, validation, test (split.test_size, "
            "split.val_size): at least 3 each (papers per class: cs.AI: 20, cs.IR: 20, cs.RO: 2)",
        ),
        (
            {"cs.AI": 20, "cs.IR": 20, "cs.RO": 3},
            "the validation split gets no paper of cs.RO with split.test_size=0.15 and "
            "split.val_size=0.2 (papers per class: cs.AI: 20, cs.IR: 20, cs.RO: 3)",
        ),
    ],
    ids=["fewer-than-splits", "rounded-away"],
)
def test_a_class_too_small_to_stratify_is_named_with_the_counts(
    counts: dict[str, int], message: str
) -> None:
    with pytest.raises(SplitError) as caught:
        split_papers(LABELS.encode(papers(counts)), SplitParams(seed=42))
    assert message in str(caught.value)
