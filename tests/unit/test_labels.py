"""arxivist.labels: categories to ids in params order, saved and loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from arxivist.labels import LabelError, LabelSet
from tests.unit.frames import LABELS, papers


def test_labels_follow_params_order_and_round_trip(tmp_path: Path) -> None:
    labeled = LABELS.encode(papers({"cs.RO": 1, "cs.AI": 1, "cs.IR": 1}))
    assert dict(zip(labeled["primary_category"], labeled["label"], strict=True)) == {
        "cs.RO": 2,
        "cs.AI": 0,
        "cs.IR": 1,
    }
    LABELS.save(tmp_path / "labels.json")
    loaded = LabelSet.load(tmp_path / "labels.json")
    assert loaded == LABELS
    assert loaded.id2label == {
        0: "Artificial Intelligence",
        1: "Information Retrieval",
        2: "Robotics",
    }


def test_unlabeled_category_is_named() -> None:
    with pytest.raises(LabelError, match=r"cs\.CV"):
        LABELS.encode(papers({"cs.AI": 2, "cs.CV": 1}))
