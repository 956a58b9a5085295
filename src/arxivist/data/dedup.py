"""One paper, one place: the rules every source applies to what it read, and their counts.

- Ids: each record's id is read against arXiv's schemes (`arxivist.data.papers.parse_id`; a short
  new-style id gets its lost trailing zeros back, counted). Records of one id are one paper: the
  newest version wins (the id's vN, else the length of the record's `versions` list, else 1); at
  the same version an intact id wins over a padded one (the damaged copy), then the first read.
- Texts: an abstract is compared by its normalised text (`normalized_text`). The sample holds each
  text once, in the paper earliest in submission order; an abstract without words, or (for the
  later set) whose text is in the training sample, is dropped. These drops happen while choosing
  the first papers of each category, so the next papers still fill the quotas; each is counted only
  when the paper would otherwise be in the sample.

`Selection` chooses from a stream in bounded memory, `Sample` carries the papers and the counts
(`reports/fetch/papers.json`, `reports/later/papers.json`, the fetch log and the model card).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from arxivist.data.papers import ArxivId, Paper, submission_key

logger = logging.getLogger(__name__)

# Report key -> what its count counts, as the log, the reports' readers and the model card say it.
KINDS = {
    "ids_repaired": "ids that had lost trailing zeros (an id once read as a number), padded to "
    "their month's digits",
    "versions_collapsed": "records dropped for a newer version of their paper",
    "duplicate_ids": "records dropped for repeating an id in the same version",
    "duplicate_texts": "papers dropped for the abstract text of an earlier paper of the sample",
    "wordless_abstracts": "papers dropped for an abstract without words",
    "training_texts": "papers dropped for the abstract text of a paper of the training sample",
}
ID_KINDS = ("ids_repaired", "versions_collapsed", "duplicate_ids")  # over the records read
SAMPLE_KINDS = ("duplicate_texts", "wordless_abstracts")  # over the papers that would be chosen
FETCH_KINDS = (*ID_KINDS, *SAMPLE_KINDS)  # reports/fetch/papers.json (later's adds training_texts)
EXAMPLES = 3  # examples kept per kind

_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
# The same for ASCII text (most abstracts), several times faster: a bytes.translate table that
# makes every byte other than [A-Za-z0-9] a space (ASCII text has no bytes above 127).
_ASCII_SPACES = bytes(byte if chr(byte).isalnum() else 32 for byte in range(128)) + bytes(128)
# A LaTeX command (\alpha), or a word: two or more letters in a row.
_COMMAND_OR_WORD = re.compile(r"\\[A-Za-z]+|[^\W\d_]{2,}")


def normalized_text(text: str) -> str:
    """The text two abstracts are compared by: Unicode NFKC, casefolded, each run of characters
    that are not letters or digits one space, stripped."""
    if text.isascii():  # NFKC leaves ASCII as it is, and casefold is lower
        return " ".join(text.lower().encode().translate(_ASCII_SPACES).decode().split())
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_ALPHANUMERIC.sub(" ", folded).strip()


def has_words(text: str) -> bool:
    """Whether a text has a word (two letters in a row) once its LaTeX commands (\\alpha, \\,)
    are taken out."""
    return any(not found[0].startswith("\\") for found in _COMMAND_OR_WORD.finditer(text))


@dataclass
class Tally:
    """How many papers or records one rule touched, and the first few."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: str) -> None:
        self.count += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(example)


def describe(kind: str, tally: Mapping[str, Any]) -> str:
    """'ids that had lost trailing zeros (...): 205, e.g. 2503.1868 -> 2503.18680'."""
    examples = tally["examples"]
    return f"{KINDS[kind]}: {tally['count']}" + (f", e.g. {examples[0]}" if examples else "")


@dataclass(frozen=True)
class Sample:
    """A source's papers, in submission order, and the counts of what its rules changed."""

    papers: list[Paper]
    tallies: dict[str, Tally]

    def report(self) -> dict[str, Any]:
        """reports/{fetch,later}/papers.json: the papers, and each kind's count and examples."""
        return {"papers": len(self.papers)} | {
            kind: asdict(tally) for kind, tally in self.tallies.items()
        }

    def log(self, section: str) -> None:
        """One line per kind, `section` (fetch or later) first."""
        logger.info("%s: %d papers", section, len(self.papers))
        for kind, tally in self.tallies.items():
            logger.info("%s: %s", section, describe(kind, asdict(tally)))


class IdBook:
    """The records a source read, one entry per id: which record of it wins, with the counts of
    repaired ids and of the records that lost."""

    def __init__(self) -> None:
        self.best: dict[str, tuple[tuple[int, bool], Any]] = {}
        self.tallies = {kind: Tally() for kind in ID_KINDS}
        self.replaced = False  # a record beat one read before it

    def offer(self, raw: str, parsed: ArxivId, version: int, record: Any) -> bool:
        """Note a record (`record`: what the caller needs to find it again) of id `parsed`, read
        as `raw`; whether it is the first of its id."""
        if parsed.padded:
            self.tallies["ids_repaired"].add(f"{raw.strip()} -> {parsed.id}")
        rank = (version, not parsed.padded)
        held = self.best.get(parsed.id)
        if held is None:
            self.best[parsed.id] = (rank, record)
            return True
        if rank > held[0]:
            self.best[parsed.id] = (rank, record)
            self.replaced = True
        if rank[0] == held[0][0]:
            self.tallies["duplicate_ids"].add(parsed.id)
        else:
            kept, lost = max(rank[0], held[0][0]), min(rank[0], held[0][0])
            self.tallies["versions_collapsed"].add(f"{parsed.id}: v{kept} kept, v{lost} dropped")
        return False

    def winner(self, arxiv_id: str) -> Any:
        """The record that won for `arxiv_id`."""
        return self.best[arxiv_id][1]


@dataclass(frozen=True, order=True)
class _Entry:
    """A paper met while choosing; `paper` None: one that can only be counted, never chosen."""

    key: tuple[int, int, int, str]
    category: str = field(compare=False)
    text: str = field(compare=False)
    kind: str = field(compare=False)  # the tally it counts in when dropped
    paper: Paper | None = field(compare=False, default=None)


class Selection:
    """The first wanted[code] papers of each category in submission order, each abstract text
    once (in its earliest paper, across categories too), none without words, and (given
    `exclude`, the training sample's texts) none with a text in `exclude`.

    Papers may be offered in any order, and only those that may still be chosen are held. Of one
    category, only the earliest paper of each text can be chosen (a later one of the same text is
    only counted); before its `room` = sum(wanted)-th such paper, at least wanted[code] are chosen
    (each earlier one is chosen or lost its text to a paper chosen in another category, at most
    room - wanted[code] of them), so at 2 x room they are cut back to the first room and anything
    after those is not held.
    """

    def __init__(self, wanted: Mapping[str, int], exclude: frozenset[str] | None = None) -> None:
        self.wanted = dict(wanted)
        self.exclude = exclude
        self.room = sum(self.wanted.values())
        self.firsts: dict[str, dict[str, _Entry]] = {code: {} for code in self.wanted}
        self.others: dict[str, list[_Entry]] = {code: [] for code in self.wanted}
        self.limit: dict[str, tuple[int, int, int, str] | None] = dict.fromkeys(self.wanted)

    def offer(self, paper: Paper) -> None:
        code = paper.primary_category
        if code not in self.wanted:
            return
        key, limit = submission_key(paper.id), self.limit[code]
        if limit is not None and key > limit:
            return
        text = normalized_text(paper.abstract)
        if not has_words(paper.abstract):
            self.others[code].append(_Entry(key, code, "", "wordless_abstracts"))
        elif self.exclude is not None and text in self.exclude:
            self.others[code].append(_Entry(key, code, "", "training_texts"))
        else:
            self._offer_text(_Entry(key, code, text, "duplicate_texts", paper))

    def _offer_text(self, entry: _Entry) -> None:
        firsts = self.firsts[entry.category]
        held = firsts.setdefault(entry.text, entry)
        if held is entry:
            if len(firsts) >= 2 * self.room:
                self._cut(entry.category)
            return
        earlier, later = sorted((held, entry))
        firsts[entry.text] = earlier
        self.others[entry.category].append(replace(later, paper=None))

    def _cut(self, code: str) -> None:
        kept = sorted(self.firsts[code].values())[: self.room]
        self.firsts[code] = {entry.text: entry for entry in kept}
        limit = self.limit[code] = kept[-1].key
        self.others[code] = [entry for entry in self.others[code] if entry.key <= limit]

    def finish(self) -> tuple[list[Paper], dict[str, Tally]]:
        """The chosen papers in submission order, and the count of each kind of drop: only of
        papers that would otherwise have been chosen."""
        tallies = {kind: Tally() for kind in SAMPLE_KINDS}
        if self.exclude is not None:
            tallies["training_texts"] = Tally()
        chosen: list[Paper] = []
        taken: dict[str, str] = {}  # text -> the id of the chosen paper that has it
        got = dict.fromkeys(self.wanted, 0)
        for entry in sorted(self._held()):
            if got[entry.category] >= self.wanted[entry.category]:
                continue
            arxiv_id = entry.key[3]
            if entry.paper is not None and entry.text not in taken:
                chosen.append(entry.paper)
                taken[entry.text] = arxiv_id
                got[entry.category] += 1
            elif entry.kind == "duplicate_texts":
                tallies[entry.kind].add(f"{arxiv_id} (same text as {taken[entry.text]})")
            else:
                tallies[entry.kind].add(arxiv_id)
        return chosen, tallies

    def _held(self) -> list[_Entry]:
        return [
            entry
            for code in self.wanted
            for entry in [*self.firsts[code].values(), *self.others[code]]
        ]


def choose(papers: Iterable[Paper], ids: IdBook, selection: Selection) -> Sample:
    """The papers `selection` chooses from `papers`, with its counts and those of `ids`."""
    for paper in papers:
        selection.offer(paper)
    chosen, tallies = selection.finish()
    return Sample(chosen, ids.tallies | tallies)


def shared_texts(
    reference: Iterable[tuple[str, str]], others: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """(id, id in reference) for each (id, abstract) of `others` whose normalised text one of
    `reference` has."""
    known = {normalized_text(text): arxiv_id for arxiv_id, text in reference}
    found = ((arxiv_id, known.get(normalized_text(text))) for arxiv_id, text in others)
    return [(arxiv_id, twin) for arxiv_id, twin in found if twin is not None]
