"""`arxivist compare A B`: is B better than A on the same papers, or can the data not say?

Both sides' per-paper predictions (reports/eval/predictions.jsonl, a DVC-cached output of the
evaluate stage) are read through DVC, from the cache or the remote, without checking any out;
A and B are git revisions, tags or DVC experiment names, and B defaults to the workspace (the
difference is B - A, as in `dvc metrics diff A B`). Each evaluation set that both scored (the
later papers first, then the test split, then the validation split; records without a "set"
field are the test split) must hold the same papers with the same labels and label codes, else
the comparison is refused. Then a paired stratified bootstrap scores both on the same resamples
of those papers: per headline metric, A, B, the difference B - A with its 95% interval, and a
verdict: "B better" or "B worse" when the whole interval is on one side of 0, else "no evidence".
That verdict is about two models; where a side is a recipe's runs at several training seeds
(arxivist.evaluation.recipe_compare), the same papers are paired under a two-level bootstrap over
seeds and papers (arxivist.evaluation.recipes) and the verdict is about the recipes.
"""

from __future__ import annotations

import argparse
import logging
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from arxivist.arguments import positive_int
from arxivist.errors import ArxivistError
from arxivist.evaluation.bootstrap import Difference, Interval
from arxivist.evaluation.metrics import HEADLINE, check_labels
from arxivist.evaluation.recipes import RecipeDifference, compare_recipes
from arxivist.evaluation.runs import WORKSPACE, Run
from arxivist.evaluation.sets import SETS  # the order they are reported in; others follow
from arxivist.jsonlines import decode_lines, parse_objects
from arxivist.params import EvaluateParams

PREDICTIONS = "reports/eval/predictions.jsonl"
BASELINE_PREDICTIONS = "data/baselines/predictions.jsonl"  # the baselines stage's, by "system"
VERDICTS = {"better": "B better", "worse": "B worse", "no evidence": "no evidence"}


class CompareError(ArxivistError):
    """Revisions that cannot be compared: missing, without predictions, or on other papers."""


@dataclass(frozen=True)
class Scored:
    """One revision's predictions on one evaluation set, in file order."""

    ids: tuple[str, ...]
    labels: tuple[str, ...]  # label codes
    codes: tuple[str, ...]  # the probability columns, in label-id order
    probabilities: np.ndarray  # (papers, codes)


@dataclass(frozen=True)
class Revision:
    """A revision as the user named it, what it resolved to, and its predictions by set."""

    name: str
    sha: str | None  # None: the workspace
    sets: dict[str, Scored]
    # flat, as arxivist.evaluation.runs reads them
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The name, with the short commit when the name does not already say it."""
        if self.sha is None or self.sha.startswith(self.name):
            return self.name
        return f"{self.name} ({self.sha[:7]})"

    @property
    def code(self) -> str:
        """The label for markdown: the name as code."""
        return self.label.replace(self.name, f"`{self.name}`", 1)


@dataclass(frozen=True)
class Result:
    """A and B on one evaluation set, on the same resamples of the same papers."""

    set: str
    papers: int
    a: dict[str, Interval]
    b: dict[str, Interval]
    difference: dict[str, Difference]  # B - A


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a recipe's runs (one run: a model), and what to call it."""

    label: str
    runs: tuple[Revision, ...]


@dataclass(frozen=True)
class RecipeResult:
    """Recipes A and B on one evaluation set: each HEADLINE metric over seeds and papers."""

    set: str
    papers: int
    metrics: dict[str, RecipeDifference]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "a",
        nargs="?",
        default="HEAD",
        metavar="A",
        help="git revision, tag or DVC experiment name; several, comma-separated, or a glob "
        "over experiment names ('lr-low-*'): a recipe's runs at several train.seed "
        "(default: %(default)s); with --by: the commit whose experiments to group",
    )
    parser.add_argument(
        "b",
        nargs="?",
        metavar="B",
        help=f"the same, or '{WORKSPACE}' (default: {WORKSPACE}); differences are B - A",
    )
    parser.add_argument(
        "--seeds",
        action="store_true",
        help="add to each side its recipe's runs at other train.seed values: its commit and "
        "that commit's experiments whose params differ only in train.seed",
    )
    parser.add_argument(
        "--by",
        action="append",
        metavar="KEY",
        help="group every experiment of A by its value of params KEY (repeatable), each group "
        "a recipe whose runs differ only in train.seed; compare each with A's own value's",
    )
    parser.add_argument(
        "--pick",
        action="store_true",
        help="with --by: choose the recipe on the validation set (the baseline's unless "
        "another is better), then report it on the later set",
    )
    parser.add_argument(
        "--resamples",
        type=positive_int,
        default=EvaluateParams.bootstrap_resamples,
        metavar="N",
        help="bootstrap resamples (default: %(default)s, as evaluate.bootstrap_resamples)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=EvaluateParams.bootstrap_seed,
        help="the resamples' seed (default: %(default)s, as evaluate.bootstrap_seed)",
    )
    parser.add_argument("--md", action="store_true", help="print a markdown table")


def run(args: argparse.Namespace) -> int:
    from arxivist.evaluation import recipe_compare

    if args.pick and not args.by:
        raise CompareError("--pick chooses among the recipes of --by KEY: give --by")
    if args.by and (args.b is not None or args.seeds):
        raise CompareError(
            "--by groups the experiments of one commit (A): give no B and no --seeds"
        )
    lines = recipe_compare.sweep(args) if args.by else recipe_compare.two_sides(args)
    print("\n".join(lines))
    return 0


# Reading


def load(root: str, run: Run) -> Revision:
    """`run` with its predictions, read through DVC."""
    revision = Revision(run.name, run.sha, {}, run.params)
    return Revision(run.name, run.sha, _read(root, revision, PREDICTIONS), run.params)


def load_baseline(root: str, model: Revision, system: str) -> Revision:
    """The baseline `system` ("encoder", "tfidf") of `model`'s run, from its baselines stage's
    predictions at the same commit, on the sets both scored, labelled as `model`'s papers."""
    source = Revision(f"{system} of {model.name}", model.sha, {}, model.params)
    found = _read(root, source, BASELINE_PREDICTIONS)
    sets = {}
    for name, scored in model.sets.items():
        if (system, name) not in found:
            continue
        rows = found[system, name]
        if missing := [paper for paper in scored.ids if paper not in rows]:
            raise CompareError(
                f"{source.label}: {BASELINE_PREDICTIONS} has no {name} paper {missing[0]}"
            )
        probabilities = [[rows[paper][code] for code in scored.codes] for paper in scored.ids]
        sets[name] = Scored(scored.ids, scored.labels, scored.codes, np.array(probabilities))
    return Revision(source.name, source.sha, sets, source.params)


def _baseline_rows(lines: Iterable[str], source: str) -> dict[tuple[str, str], dict[str, Any]]:
    """{(system, set): {id: {code: probability}}} of a baselines predictions file."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for where, record in parse_objects(lines, source, CompareError):
        try:
            rows = found.setdefault((record["system"], record["set"]), {})
            rows[record["id"]] = dict(record["probabilities"])
        except (KeyError, TypeError, ValueError) as err:
            raise CompareError(f"{where}: not a baseline record ({_one_line(err)})") from None
    return found


def _read(root: str, revision: Revision, path: str) -> Any:
    """The revision's predictions file `path`, from the workspace, the cache or the remote, read
    (`path` PREDICTIONS: by read_predictions, else as a baselines file)."""
    import dvc.api
    from dvc.exceptions import DvcException, PathMissingError

    parse = read_predictions if path == PREDICTIONS else _baseline_rows
    try:
        with _quiet_remote(), dvc.api.open(path, repo=root, rev=revision.sha, mode="rb") as raw:
            source = f"{revision.label}: {path}"
            return parse(decode_lines(raw, source, CompareError), source)
    except PathMissingError:
        stage = "evaluate" if path == PREDICTIONS else "baselines"
        raise CompareError(
            f"{revision.label} has no {path} (no {stage} stage in its dvc.lock)"
        ) from None
    except (DvcException, OSError) as err:
        raise CompareError(
            f"{revision.label}: cannot read {path} from the DVC cache or the remote "
            f"({_one_line(err)}); `dvc pull` or `dvc exp pull` it, or check the remote"
        ) from None


@contextmanager
def _quiet_remote() -> Iterator[None]:
    """gcsfs logs a traceback for each failed request; the error says it in one line."""
    gcsfs = logging.getLogger("gcsfs")
    level = gcsfs.level
    gcsfs.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        gcsfs.setLevel(level)


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def read_predictions(lines: Iterable[str], source: str) -> dict[str, Scored]:
    """The records of a predictions file, by evaluation set ("set")."""
    columns: dict[str, tuple[list[str], list[str], list[list[float]]]] = {}
    codes: tuple[str, ...] | None = None
    for where, record in parse_objects(lines, source, CompareError):
        try:
            paper, label = record["id"], record["label"]
            probabilities = record["probabilities"]
            name = record["set"]
            if not all(isinstance(v, str) for v in (paper, label, name)):
                raise TypeError("id, label and set must be strings")
            row = tuple(probabilities)
            values = [float(p) for p in probabilities.values()]
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            raise CompareError(f"{where}: not a prediction record ({_one_line(err)})") from None
        if codes is None:
            codes = row
        elif row != codes:
            raise CompareError(f"{where}: probabilities of {list(row)}, not {list(codes)}")
        ids, labels, rows = columns.setdefault(name, ([], [], []))
        ids.append(paper)
        labels.append(label)
        rows.append(values)
    if codes is None:
        raise CompareError(f"{source}: no predictions")
    order = [name for name in SETS if name in columns] + sorted(set(columns) - set(SETS))
    sets = {}
    for name in order:
        ids, labels, rows = columns[name]
        sets[name] = Scored(tuple(ids), tuple(labels), codes, np.array(rows))
    return sets


# Comparing


def compare(
    a: Revision,
    b: Revision,
    count: int = EvaluateParams.bootstrap_resamples,
    seed: int = EvaluateParams.bootstrap_seed,
) -> tuple[list[Result], list[str]]:
    """A and B on each evaluation set both scored, and notes on the sets only one scored."""
    results, notes = compare_sides(Side(a.label, (a,)), Side(b.label, (b,)), count, seed)
    return [
        Result(
            result.set,
            result.papers,
            {metric: d.a.mean for metric, d in result.metrics.items()},
            {metric: d.b.mean for metric, d in result.metrics.items()},
            {metric: d.difference for metric, d in result.metrics.items()},
        )
        for result in results
    ], notes


def compare_sides(
    a: Side, b: Side, count: int, seed: int, only: str | None = None
) -> tuple[list[RecipeResult], list[str]]:
    """Recipes A and B on each evaluation set (or the set `only`) that all their runs scored,
    by the two-level bootstrap (arxivist.evaluation.recipes), and notes on the sets left out."""
    scored = {side.label: _scored_by_all(side) for side in (a, b)}
    shared = [name for name in scored[a.label] if name in scored[b.label]]
    if not shared:
        raise CompareError(
            f"{a.label} and {b.label} share no evaluation set: {a.label} scored "
            f"{', '.join(scored[a.label])}; {b.label} scored {', '.join(scored[b.label])}"
        )
    notes = [
        f"the {name} set: not every run of {side.label} scored it; not compared"
        for side in (a, b)
        if len(side.runs) > 1
        for name in side.runs[0].sets
        if name not in scored[side.label]
    ] + [
        f"the {name} set: only {owner.label} scored it; not compared"
        for owner, other in ((a, b), (b, a))
        for name in scored[owner.label]
        if name not in scored[other.label]
    ]
    if only is not None and only not in shared:
        raise CompareError(f"not every run of {a.label} and {b.label} scored the {only} set")
    results = []
    for name in shared if only is None else [only]:
        labels, (pa, pb) = stacked([a.runs, b.runs], name)
        results.append(
            RecipeResult(name, len(labels), compare_recipes(labels, pa, pb, count, seed))
        )
    return results, notes


def _scored_by_all(side: Side) -> list[str]:
    return [name for name in side.runs[0].sets if all(name in run.sets for run in side.runs)]


def stacked(groups: Sequence[Sequence[Revision]], name: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """The label ids of the `name` set and each group's probabilities, (runs, papers, classes),
    all in the paper order and label codes of the first group's first run, every run checked
    against it as `pair` checks two."""
    reference = groups[0][0]
    labels = np.empty(0, dtype=int)
    stacks = []
    for group in groups:
        rows = []
        for run in group:
            labels, _, _, probabilities = pair(reference, run, name)
            rows.append(probabilities)
        stacks.append(np.stack(rows))
    return labels, stacks


def pair(
    a: Revision, b: Revision, name: str
) -> tuple[np.ndarray, tuple[str, ...], np.ndarray, np.ndarray]:
    """Label ids, codes, and A's and B's probabilities in one paper order (A's), checking that
    both scored the same papers with the same labels and label codes."""
    sa, sb = a.sets[name], b.sets[name]
    where = f"on the {name} set"
    for revision, scored in ((a, sa), (b, sb)):
        if len(set(scored.ids)) < len(scored.ids):
            twice = next(i for i in scored.ids if scored.ids.count(i) > 1)
            raise CompareError(f"{revision.label} scored paper {twice} more than once {where}")
    if set(sa.codes) != set(sb.codes):
        raise CompareError(
            f"{a.label} and {b.label} use different label codes: "
            f"{list(sa.codes)} against {list(sb.codes)}"
        )
    if set(sa.ids) != set(sb.ids):
        only_a = sorted(set(sa.ids) - set(sb.ids))
        only_b = sorted(set(sb.ids) - set(sa.ids))
        raise CompareError(
            f"{a.label} and {b.label} scored different papers {where}: "
            f"{_only(only_a, a.name)}, {_only(only_b, b.name)}"
        )
    position = {paper: i for i, paper in enumerate(sb.ids)}
    order = np.array([position[paper] for paper in sa.ids], dtype=int)
    differ = [
        (paper, la, sb.labels[j])
        for paper, la, j in zip(sa.ids, sa.labels, order, strict=True)
        if la != sb.labels[j]
    ]
    if differ:
        paper, la, lb = differ[0]
        raise CompareError(
            f"{a.label} and {b.label} label {len(differ)} of the same papers differently {where} "
            f"(first: {paper}, {la} in {a.name}, {lb} in {b.name})"
        )
    codes = sa.codes
    index = {code: i for i, code in enumerate(codes)}
    unknown = sorted(set(sa.labels) - set(codes))
    if unknown:
        raise CompareError(f"{a.label} {where}: label {unknown[0]} is not one of {list(codes)}")
    labels = np.array([index[label] for label in sa.labels], dtype=int)
    check_labels(labels, codes, f"the {name} set")
    columns = [sb.codes.index(code) for code in codes]
    return labels, codes, sa.probabilities, sb.probabilities[order][:, columns]


def _only(ids: list[str], label: str) -> str:
    if not ids:
        return f"none only in {label}"
    return f"{len(ids)} only in {label} (first: {ids[0]})"


# Writing

COLUMNS = ("metric", "A", "B", "B - A", "verdict")


def text(
    a: Revision, b: Revision, results: list[Result], notes: list[str], count: int, seed: int
) -> list[str]:
    """The comparison as aligned lines, at most 100 columns for short revision names."""
    lines = []
    for result in results:
        lines.append(f"{result.set} set, {result.papers} papers: A = {a.label}, B = {b.label}")
        lines += columns([COLUMNS, *_rows(result)])
        lines.append("")
    lines += wrapped(f"Note: {note}" for note in notes)
    lines += [
        f"Paired stratified bootstrap on the same papers: {count} resamples, seed {seed}, 95% "
        "intervals.",
        'B better/worse: the whole interval of B - A is above/below 0; else "no evidence".',
    ]
    return lines


def columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as aligned lines, two spaces apart; the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        (
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + f"  {row[-1]}"
        ).rstrip()
        for row in rows
    ]


def wrapped(paragraphs: Iterable[str], width: int = 100) -> list[str]:
    """Each paragraph as lines of at most `width` columns, continued with an indent."""
    return [
        line
        for paragraph in paragraphs
        for line in textwrap.wrap(paragraph, width, subsequent_indent="  ", break_on_hyphens=False)
    ]


def markdown(
    a: Revision, b: Revision, results: list[Result], notes: list[str], count: int, seed: int
) -> list[str]:
    """The comparison as one markdown table, a row per set and headline metric."""
    lines = [
        f"A = {a.code}, B = {b.code}: paired stratified bootstrap on the same papers "
        f"({count} resamples, seed {seed}, 95% intervals).",
        "",
        "| set | metric | A | B | B - A [95% CI] | verdict |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        for metric, va, vb, diff, verdict in _rows(result):
            lines.append(
                f"| {result.set} ({result.papers} papers) | {metric} | {va} | {vb} | {diff} | "
                f"{verdict} |"
            )
    lines += ["", *(f"Note: {note}." for note in notes)] if notes else []
    return lines


def _rows(result: Result) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            metric,
            str(result.a[metric]),
            str(result.b[metric]),
            str(result.difference[metric]),
            VERDICTS[result.difference[metric].verdict],
        )
        for metric in HEADLINE
    ]
