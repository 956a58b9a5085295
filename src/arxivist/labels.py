"""Category codes, integer label ids and display names, in the order params.yaml lists them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from arxivist.atomic import write_json
from arxivist.errors import ArxivistError


class LabelError(ArxivistError):
    """A paper whose category has no label."""


@dataclass(frozen=True)
class LabelSet:
    """code -> id -> display name, e.g. cs.IR -> 1 -> "Information Retrieval"."""

    codes: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def from_params(cls, labels: Mapping[str, str]) -> LabelSet:
        return cls(tuple(labels), tuple(labels.values()))

    @classmethod
    def load(cls, path: str | Path) -> LabelSet:
        entries = sorted(
            json.loads(Path(path).read_text(encoding="utf-8")).items(), key=lambda kv: kv[1]["id"]
        )
        return cls(tuple(code for code, _ in entries), tuple(e["name"] for _, e in entries))

    def save(self, path: str | Path) -> None:
        write_json(path, {code: {"id": i, "name": name} for i, (code, name) in enumerate(self)})

    def __iter__(self):
        return iter(zip(self.codes, self.names, strict=True))

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.names))

    @property
    def label2id(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    def encode(self, papers: pd.DataFrame) -> pd.DataFrame:
        """`papers` with an int `label` column from `primary_category`."""
        ids = {code: i for i, code in enumerate(self.codes)}
        unknown = papers.loc[~papers["primary_category"].isin(list(ids))]
        if len(unknown):
            first = unknown.iloc[0]
            raise LabelError(
                f"{len(unknown)} papers have a primary category without a label, e.g. "
                f"{first['id']} ({first['primary_category']}); add it to params.yaml `labels`"
            )
        return papers.assign(label=papers["primary_category"].map(ids).astype("int64"))
