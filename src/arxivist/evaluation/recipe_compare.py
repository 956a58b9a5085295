"""`arxivist compare` on recipes: each side's runs found (names, globs, `--seeds`, `--by`), read
and compared over seeds and papers, and written as text or markdown; a sweep's pick, chosen on
the validation split and reported once on the later set; and, for one run a side, what the
verdict covers and how many seeds a side a verdict on the recipes would need.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from arxivist.evaluation.bootstrap import point
from arxivist.evaluation.compare import (
    VERDICTS,
    CompareError,
    RecipeResult,
    Result,
    Revision,
    Side,
    columns,
    compare,
    compare_sides,
    load,
    markdown,
    stacked,
    text,
    wrapped,
)
from arxivist.evaluation.metrics import HEADLINE
from arxivist.evaluation.recipes import (
    Choice,
    Spread,
    choose,
    pooled_sd,
    recipe_spread,
    seeds_needed,
)
from arxivist.evaluation.runs import (
    SEED,
    WORKSPACE,
    Group,
    Run,
    RunsError,
    by_values,
    check_recipe,
    compared,
    recipe_label,
    repository,
)
from arxivist.evaluation.sets import SELECTION

PICKED_BY = HEADLINE[0]  # roc_auc_ovr: what training chooses its best epoch by, too
REPORTED = "later"  # the set a pick is reported on: it chooses nothing
MODELS = (
    "a verdict on these two models, one training run each, not on their recipes: retrained "
    f"with another {SEED}, either could land elsewhere"
)
SWEEP = f"dvc exp run --queue -S '{SEED}=range(43,46)'"


class Reader:
    """Reads runs' predictions once each; runs found beside the named ones may be left out."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.read: dict[tuple[str, str | None], Revision] = {}
        self.notes: list[str] = []

    def side(self, group: Group, named: int | None = None) -> Side:
        """`group` read; its runs after the first `named` (default: all named) are left out,
        with a note, when their predictions cannot be read."""
        named = len(group.runs) if named is None else named
        runs = []
        for i, run in enumerate(group.runs):
            try:
                runs.append(self.load(run))
            except CompareError as err:
                if i < named:
                    raise
                self.notes.append(f"{run.name} left out: {err}")
        return Side(group.label, tuple(runs))

    def load(self, run: Run) -> Revision:
        key = (run.name, run.sha)
        if key not in self.read:
            self.read[key] = load(self.root, run)
        return self.read[key]


# A against B


def two_sides(args: argparse.Namespace) -> list[str]:
    """A against B: their recipes when each side has at least two runs (with --seeds, counting
    those found beside it), else the two models, with what that verdict covers."""
    with repository() as found:
        named = [Group(spec, tuple(found.named(spec))) for spec in (args.a, args.b or WORKSPACE)]
        for group in named:
            check_recipe(group)
        seeded = [found.seed_runs(group) for group in named]
        reader = Reader(str(found.root))
    chosen = seeded if args.seeds else named
    if all(len(group.runs) > 1 for group in chosen):
        sides = [
            reader.side(group, len(own.runs)) for group, own in zip(chosen, named, strict=True)
        ]
        if all(len(side.runs) > 1 for side in sides):
            return recipes(*sides, reader.notes, args)
    if any(len(group.runs) > 1 for group in named):
        raise mixed(*named)
    a, b = (reader.load(group.runs[0]) for group in named)
    spread = [reader.side(group, 1) for group in seeded]
    again = f"arxivist compare --seeds {args.a} {args.b or WORKSPACE}"
    return models(a, b, spread, reader.notes, again, args)


def mixed(a: Group, b: Group) -> RunsError:
    return RunsError(
        f"A ({a.label}) has {len(a.runs)} run(s) and B ({b.label}) {len(b.runs)}: compare one "
        "run a side (two models) or at least two seeds a side (two recipes)"
    )


def recipes(a: Side, b: Side, notes: list[str], args: argparse.Namespace) -> list[str]:
    results, set_notes = compare_sides(a, b, args.resamples, args.seed)
    changes = compared(a.runs[0].params, b.runs[0].params)
    return recipe_lines(a, b, changes, results, [*notes, *set_notes], args)


def models(
    a: Revision,
    b: Revision,
    spread: list[Side],
    notes: list[str],
    again: str,
    args: argparse.Namespace,
) -> list[str]:
    """Today's answer for two runs, with notes on what it covers and the seeds a recipe verdict
    would need at the seed spread of `spread` (each side's recipe's runs found here); `again`:
    the command that compares the recipes once they have seeds."""
    results, set_notes = compare(a, b, args.resamples, args.seed)
    notes = [*set_notes, *notes, MODELS, *seed_notes(results, spread, again)]
    write = markdown if args.md else text
    return write(a, b, results, notes, args.resamples, args.seed)


def seed_notes(results: list[Result], spread: list[Side], again: str) -> list[str]:
    runs = [len(side.runs) for side in spread]
    if max(runs) < 2:
        return [
            f"no seed spread measured: neither recipe has a run at another {SEED} here; "
            f"queue some at each side's params ({SWEEP}, then dvc queue start) and compare "
            f"the recipes: {again}"
        ]
    per_set = []
    for result in results:
        scores = [seed_scores(side, result.set) for side in spread]
        needs = []
        for metric in HEADLINE:
            sd = pooled_sd([side[metric] for side in scores if metric in side])
            n = None if sd is None else seeds_needed(result.difference[metric], sd)
            needs.append(f"{metric} {'none would' if n is None else n}")
        per_set.append(f"{result.set} set: {', '.join(needs)}")
    notes = [
        "seeds a side for a verdict on the recipes, 4 times in 5 were these differences true, "
        f"at the seed SD of the runs of A's recipe ({runs[0]}) and B's ({runs[1]}) found here "
        f"('none would': the papers' noise alone is as large): {'; '.join(per_set)}"
    ]
    if min(runs) > 1:
        notes.append(f"both recipes have runs at other seeds here: {again}")
    return notes


def seed_scores(side: Side, name: str) -> dict[str, tuple[float, ...]]:
    """Each HEADLINE metric of each of `side`'s runs on all papers of the set `name`; {} when
    fewer than two runs scored it."""
    if len(side.runs) < 2 or not all(name in run.sets for run in side.runs):
        return {}
    labels, (stack,) = stacked([side.runs], name)
    scored = [point(labels, probabilities) for probabilities in stack]
    return {metric: tuple(score[metric] for score in scored) for metric in HEADLINE}


# Writing recipes


def recipe_lines(
    a: Side,
    b: Side,
    changes: list[str],
    results: list[RecipeResult],
    notes: list[str],
    args: argparse.Namespace,
) -> list[str]:
    """Recipes A and B compared: text, or markdown with --md."""
    changed = "; ".join(changes) or f"nothing but {SEED}"
    footer = (
        "Two-level bootstrap over each recipe's seeds and the papers (stratified, the same "
        f"papers for A and B): {args.resamples} draws, seed {args.seed}, 95% intervals widened "
        "for few seeds. A, B: the mean over a recipe's seeds ± the SD between them; P(B>A): how "
        "often a run of B beats a run of A, over the seed pairs."
    )
    verdict = (
        "B better/worse: the whole interval of B - A is above/below 0, a verdict on the recipes "
        f'(these params, any {SEED}); else "no evidence".'
    )
    header = ("metric", "A mean ± SD", "B mean ± SD", "B - A [95% CI]", "P(B>A)", "verdict")
    if args.md:
        lines = [
            f"A = {described(a, md=True)}, B = {described(b, md=True)}; B - A changes {changed}.",
            "",
            *table([("set", *header), *set_rows(results)], md=True),
            "",
            f"{footer} {verdict}",
        ]
        return lines + [f"Note: {note}." for note in notes]
    lines = [f"A = {described(a)}", f"B = {described(b)}", f"B - A changes {changed}", ""]
    for result in results:
        lines.append(f"{result.set} set, {result.papers} papers")
        lines += columns([header, *recipe_rows(result)])
        lines.append("")
    return lines + wrapped([*(f"Note: {note}" for note in notes), footer, verdict])


def described(side: Side, md: bool = False) -> str:
    """'lr-low-*: 2 runs (train.seed 42, 43): lr-low-s42, lr-low-s43'."""
    seeds = ", ".join(str(run.params.get(SEED)) for run in side.runs)
    if md:
        names = ", ".join(f"`{run.name}`" for run in side.runs)
        return f"`{side.label}` ({len(side.runs)} runs, {SEED} {seeds}: {names})"
    names = ", ".join(run.name for run in side.runs)
    return f"{side.label}: {len(side.runs)} runs ({SEED} {seeds}): {names}"


def recipe_rows(result: RecipeResult) -> list[tuple[str, ...]]:
    return [
        (
            metric,
            str(d.a),
            str(d.b),
            f"{d.difference.value:+.4f} [{d.difference.low:+.4f}, {d.difference.high:+.4f}]",
            f"{d.beats:.2f}",
            VERDICTS[d.difference.verdict],
        )
        for metric, d in result.metrics.items()
    ]


def set_rows(results: list[RecipeResult]) -> list[tuple[str, ...]]:
    """recipe_rows of every set, each led by its set's name and papers."""
    return [
        (f"{result.set} ({result.papers} papers)", *row)
        for result in results
        for row in recipe_rows(result)
    ]


def table(rows: Sequence[Sequence[str]], md: bool) -> list[str]:
    """Rows of cells, the first the header: aligned text, or a markdown table."""
    if not md:
        return columns(rows)
    cells = [rows[0], ["---"] * len(rows[0]), *rows[1:]]
    return ["| " + " | ".join(row) + " |" for row in cells]


# A sweep: --by KEY


def sweep(args: argparse.Namespace) -> list[str]:
    """The experiments of commit A grouped by their values of the --by keys: each recipe
    against the one with A's own values, or, with --pick, the pick."""
    if SEED in args.by:
        raise RunsError(f"--by {SEED}: a recipe's runs differ in it; group by another key")
    with repository() as found:
        baseline = found.run(args.a)
        experiments = found.experiments(args.a)
        if not experiments:
            raise RunsError(
                f"{args.a} has no experiments to group (dvc exp show lists them); run a sweep "
                f"from it, e.g. {SWEEP} -S '{args.by[0]}=...'"
            )
        if unknown := [k for k in args.by if not any(k in run.params for run in experiments)]:
            raise RunsError(f"no experiment of {args.a} has the params key {unknown[0]!r}")
        groups = by_values(experiments, args.by, args.a)
        for group in groups:
            check_recipe(group)
        reader = Reader(str(found.root))
    home = recipe_label(baseline.params, args.by)
    base = next((group for group in groups if group.label == home), None)
    if args.pick:
        return pick(groups, base, reader, args)
    first = base or groups[0]
    notes = [] if base else [f"no experiment has {args.a}'s {home}: A is {first.label}"]
    lines: list[str] = []
    for other in (group for group in groups if group is not first):
        if (len(first.runs) == 1) != (len(other.runs) == 1):
            raise mixed(first, other)
        a, b = reader.side(first), reader.side(other)
        if len(a.runs) > 1:
            lines += [*recipes(a, b, notes, args), ""]
        else:
            again = f"arxivist compare --by {' --by '.join(args.by)} {args.a}"
            lines += [*models(a.runs[0], b.runs[0], [a, b], notes, again, args), ""]
    if not lines:
        raise RunsError(f"the experiments of {args.a} make one recipe ({first.label}): no pair")
    return lines[:-1]


@dataclass(frozen=True)
class Pick:
    """The recipe chosen on the validation split, why, and what it was chosen from."""

    winner: str
    why: Choice
    base: str | None  # the baseline's recipe, when one has the baseline's values
    spreads: dict[str, dict[str, Spread]]  # each recipe on validation
    versus: dict[str, RecipeResult]  # each other recipe against the baseline's, on validation


def choose_recipe(sides: Mapping[str, Side], base: str | None, count: int, seed: int) -> Pick:
    """The pick among recipes `sides` (each with at least two runs), reading their validation
    predictions only: the baseline's recipe `base` stays unless another is better than it by
    PICKED_BY (arxivist.evaluation.recipes.choose)."""
    spreads = {label: recipe_on(side, SELECTION, count, seed) for label, side in sides.items()}
    versus = {
        label: compare_sides(sides[base], side, count, seed, only=SELECTION)[0][0]
        for label, side in sides.items()
        if base is not None and label != base
    }
    means = {label: spreads[label][PICKED_BY].mean.value for label in sides}
    verdicts = {label: r.metrics[PICKED_BY].difference.verdict for label, r in versus.items()}
    winner, why = choose(base, means, verdicts)
    return Pick(winner, why, base, spreads, versus)


def pick(
    groups: list[Group], base: Group | None, reader: Reader, args: argparse.Namespace
) -> list[str]:
    """Choose among the recipes on the validation split; only then report the pick, once, on
    the later set."""
    if thin := [group.label for group in groups if len(group.runs) < 2]:
        raise RunsError(
            f"--pick compares recipes over their seeds: {', '.join(thin)} has one run; queue "
            f"more seeds of each ({SWEEP} with the --by values)"
        )
    sides = {group.label: reader.side(group) for group in groups}
    chosen = choose_recipe(sides, base and base.label, args.resamples, args.seed)
    lines = [*pick_table(sides, chosen, args), "", picked(chosen, args), ""]
    winner = chosen.winner
    later = reported(sides, chosen, args.resamples, args.seed)
    if isinstance(later, dict):
        lines.append(f"{winner} on the {REPORTED} set, once:")
        rows = [("metric", "mean ± SD", "95% CI")]
        rows += [(m, str(s), f"[{s.mean.low:.4f}, {s.mean.high:.4f}]") for m, s in later.items()]
        lines += table(rows, args.md)
    else:
        lines.append(f"{winner} on the {REPORTED} set, once, against the baseline's:")
        header = ("metric", "baseline mean ± SD", "pick mean ± SD", "pick - baseline [95% CI]")
        lines += table([(*header, "P(pick>baseline)", "verdict"), *recipe_rows(later)], args.md)
    return [*lines, "", *wrapped([rule(args)])]


def reported(
    sides: Mapping[str, Side], chosen: Pick, count: int, seed: int
) -> dict[str, Spread] | RecipeResult:
    """The pick on the later set, once: its Spread per metric when it is the baseline's recipe
    (or there is none), else its comparison with the baseline's (A = baseline, B = pick)."""
    if chosen.base is None or chosen.winner == chosen.base:
        return recipe_on(sides[chosen.winner], REPORTED, count, seed)
    (result,), _ = compare_sides(
        sides[chosen.base], sides[chosen.winner], count, seed, only=REPORTED
    )
    return result


def recipe_on(side: Side, name: str, count: int, seed: int) -> dict[str, Spread]:
    """One recipe's Spread on each HEADLINE metric of the set `name`."""
    if missing := [run for run in side.runs if name not in run.sets]:
        raise CompareError(
            f"{missing[0].label} has no predictions of the {name} set (evaluated before the "
            "evaluate stage wrote them): run its evaluate stage again"
        )
    labels, (stack,) = stacked([side.runs], name)
    return recipe_spread(labels, stack, count, seed)


def pick_table(sides: Mapping[str, Side], chosen: Pick, args: argparse.Namespace) -> list[str]:
    """Each recipe on validation, and its difference from the baseline's."""
    papers = next(iter(chosen.versus.values())).papers if chosen.versus else None
    counted = f" ({papers} papers)" if papers else ""
    lines = [
        f"Pick by {PICKED_BY} on the {SELECTION} set{counted}, among the recipes of "
        f"{', '.join(args.by)} (the experiments of {args.a}):"
    ]
    rows: list[tuple[str, ...]] = [
        ("recipe", "runs", "mean ± SD", "B - baseline [95% CI]", "verdict")
    ]
    for label, side in sides.items():
        against = ("", "")
        if label in chosen.versus:
            d = chosen.versus[label].metrics[PICKED_BY].difference
            against = (f"{d.value:+.4f} [{d.low:+.4f}, {d.high:+.4f}]", VERDICTS[d.verdict])
        name = f"{label} (baseline)" if label == chosen.base else label
        rows.append((name, str(len(side.runs)), str(chosen.spreads[label][PICKED_BY]), *against))
    return lines + table(rows, args.md)


def picked(chosen: Pick, args: argparse.Namespace) -> str:
    reasons = {
        "baseline": ", the baseline's: no other recipe is better than it on validation",
        "better": ": better than the baseline's on validation (of those that are, the highest "
        "mean)",
        "best mean": f": the highest mean on validation (no recipe has {args.a}'s values, so no "
        "baseline is kept by default)",
    }
    return f"Picked {chosen.winner}{reasons[chosen.why]}."


def rule(args: argparse.Namespace) -> str:
    return (
        f"Rule: the baseline's recipe (the values of {args.a}'s params) stays unless another is "
        f"better than it on the {SELECTION} set by {PICKED_BY} (the whole 95% interval of its "
        "two-level difference above 0); of several, the highest mean wins. The later set "
        "chooses nothing: it reports the pick, once."
    )
