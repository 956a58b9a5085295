"""The arXiv API's search queries, as plain strings: no client and no `arxiv` import, so the model
card can state the queries without depending on the code that sends them (arxiv_api.py beside it;
this package's __init__ imports nothing).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from arxivist.params import FetchParams


class Window(NamedTuple):
    """Whole days of the fetch window, from `first` to `last`, both included."""

    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def category_query(code: str, params: FetchParams) -> str:
    """The API query for one category's papers submitted within the whole fetch window."""
    return window_query(code, Window(params.submitted_from, params.submitted_to))


def window_query(code: str, window: Window) -> str:
    """The API query for one category's papers submitted within `window` (whole days)."""
    return f"cat:{code} AND submittedDate:[{window.first:%Y%m%d}0000 TO {window.last:%Y%m%d}2359]"
