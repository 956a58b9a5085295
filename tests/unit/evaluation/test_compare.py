"""`arxivist compare A B`: pairing two revisions' predictions, refusing what cannot be paired,
the paired bootstrap's verdicts, and the command on git revisions (on two experiments:
tests/pipeline/test_experiments.py)."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from arxivist import cli
from arxivist.evaluation import compare, recipe_compare, runs
from arxivist.evaluation.compare import PREDICTIONS, CompareError, Revision, Side, read_predictions
from arxivist.evaluation.metrics import HEADLINE
from arxivist.evaluation.runs import Group, Run, RunsError, by_values, check_recipe
from standins.workspace import dvc, git

CODES = ("cs.AI", "cs.IR", "cs.RO")
SIZES = (120, 120, 60)


def scored_set(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Labels and a model's probabilities (about 92% correct) for 300 papers."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(CODES)), SIZES)
    logits = rng.normal(size=(len(labels), len(CODES)))
    logits[np.arange(len(labels)), labels] += 2.0
    probabilities = np.exp(logits)
    return labels, probabilities / probabilities.sum(axis=1, keepdims=True)


def records(
    labels: np.ndarray,
    probabilities: np.ndarray,
    name: str = "test",
    ids: list[str] | None = None,
    codes: tuple[str, ...] = CODES,
) -> list[str]:
    """Prediction records as the evaluate stage writes them; `name`: their "set"."""
    ids = ids or [f"2501.{i:05d}" for i in range(len(labels))]
    lines = []
    for paper, label, row in zip(ids, labels, probabilities, strict=True):
        record = {
            "id": paper,
            "label": codes[label],
            "predicted": codes[int(row.argmax())],
            "probabilities": {code: round(float(p), 6) for code, p in zip(codes, row, strict=True)},
            "set": name,
        }
        lines.append(json.dumps(record) + "\n")
    return lines


def revision(name: str, lines: list[str]) -> Revision:
    sha = hashlib.sha1(name.encode()).hexdigest()
    return Revision(name, sha, read_predictions(lines, name))


def flip(probabilities: np.ndarray, papers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The probabilities with each of `papers` given the other prediction: a correct one becomes
    wrong (its label's probability swapped with the next class's), a wrong one right."""
    flipped = probabilities.copy()
    for i in papers:
        label, guess = labels[i], flipped[i].argmax()
        other = (label + 1) % len(CODES) if guess == label else guess
        flipped[i, [label, other]] = flipped[i, [other, label]]
    return flipped


def verdicts(a: Revision, b: Revision, seed: int = 0) -> dict[str, str]:
    (result,), _ = compare.compare(a, b, 2000, seed)
    return {metric: result.difference[metric].verdict for metric in HEADLINE}


def test_identical_predictions_differ_by_exactly_zero_with_no_evidence() -> None:
    labels, probabilities = scored_set()
    a = revision("A", records(labels, probabilities))
    b = revision("B", records(labels, probabilities))
    (result,), notes = compare.compare(a, b)
    assert (result.set, result.papers, notes) == ("test", len(labels), [])
    for metric in HEADLINE:
        difference = result.difference[metric]
        assert (difference.value, difference.low, difference.high) == (0.0, 0.0, 0.0)
        assert difference.verdict == "no evidence"
        assert result.a[metric] == result.b[metric]


def test_flipping_correct_predictions_is_worse_from_four_papers() -> None:
    """B = A with k correct predictions made wrong, nothing else: every resample that draws one
    of them scores B lower, and from k = 4 (with this seed) 97.5% of resamples draw one."""
    labels, probabilities = scored_set()
    correct = np.flatnonzero(probabilities.argmax(axis=1) == labels)
    papers = np.random.default_rng(2).permutation(correct)
    a = revision("A", records(labels, probabilities))

    def flipped(k: int) -> Revision:
        return revision("B", records(labels, flip(probabilities, papers[:k], labels)))

    assert verdicts(a, flipped(3)) == {"roc_auc_ovr": "no evidence", "macro_f1": "no evidence"}
    assert verdicts(a, flipped(4)) == {"roc_auc_ovr": "worse", "macro_f1": "worse"}
    assert verdicts(flipped(4), a) == {"roc_auc_ovr": "better", "macro_f1": "better"}


def test_flips_both_ways_need_a_net_difference_beyond_the_noise() -> None:
    """B fixes 10 of A's errors and breaks 10 + k right answers: macro-F1 calls it worse only from
    k = 9 (with this seed); below, the difference is inside the noise."""
    labels, probabilities = scored_set()
    right = probabilities.argmax(axis=1) == labels
    broken = np.random.default_rng(2).permutation(np.flatnonzero(right))
    fixed = np.flatnonzero(~right)[:10]
    a = revision("A", records(labels, probabilities))

    def traded(k: int) -> Revision:
        papers = np.concatenate([broken[: 10 + k], fixed])
        return revision("B", records(labels, flip(probabilities, papers, labels)))

    assert verdicts(a, traded(8))["macro_f1"] == "no evidence"
    assert verdicts(a, traded(9))["macro_f1"] == "worse"


def test_pairing_is_by_paper_id_and_label_code_not_by_line() -> None:
    """B: the same predictions in another line order, their probability keys in another order."""
    labels, probabilities = scored_set()
    order = np.random.default_rng(3).permutation(len(labels))
    ids = [f"2501.{i:05d}" for i in range(len(labels))]
    # records() names label id l and column j by codes[l] and codes[j]: under reversed codes,
    # reversed ids and columns are the same labels and probabilities, keyed in the other order.
    reverse = len(CODES) - 1
    shuffled = records(
        reverse - labels[order],
        probabilities[order][:, ::-1],
        ids=[ids[i] for i in order],
        codes=CODES[::-1],
    )
    b = revision("B", shuffled)
    assert b.sets["test"].codes == CODES[::-1]
    (result,), _ = compare.compare(revision("A", records(labels, probabilities)), b)
    for metric in HEADLINE:
        difference = result.difference[metric]
        assert (difference.value, difference.low, difference.high) == (0.0, 0.0, 0.0)


def test_different_papers_are_refused_naming_the_counts_and_first_ids() -> None:
    labels, probabilities = scored_set()
    ids = [f"2501.{i:05d}" for i in range(len(labels))]
    other = ids[:-12] + [f"2502.{i:05d}" for i in range(12)]
    a = revision("base", records(labels, probabilities, "later", ids=ids))
    b = revision("mine", records(labels, probabilities, "later", ids=other))
    with pytest.raises(CompareError) as refused:
        compare.compare(a, b)
    assert str(refused.value) == (
        f"{a.label} and {b.label} scored different papers on the later set: 12 only in "
        "base (first: 2501.00288), 12 only in mine (first: 2502.00000)"
    )


def test_a_subset_is_refused_too() -> None:
    labels, probabilities = scored_set()
    a = revision("A", records(labels, probabilities))
    keep = np.arange(len(labels)) != 5
    ids = [f"2501.{i:05d}" for i in range(len(labels)) if i != 5]
    b = revision("B", records(labels[keep], probabilities[keep], ids=ids))
    with pytest.raises(CompareError, match=r"1 only in A .*\(first: 2501.00005\), none only in B"):
        compare.compare(a, b)


def test_different_labels_are_refused() -> None:
    labels, probabilities = scored_set()
    relabelled = labels.copy()
    relabelled[[7, 9]] = 2
    a = revision("A", records(labels, probabilities))
    b = revision("B", records(relabelled, probabilities))
    with pytest.raises(CompareError) as refused:
        compare.compare(a, b)
    assert "label 2 of the same papers differently on the test set" in str(refused.value)
    assert "(first: 2501.00007, cs.AI in A" in str(refused.value)
    assert "cs.RO in B" in str(refused.value)


def test_different_label_codes_are_refused() -> None:
    labels, probabilities = scored_set()
    a = revision("A", records(labels, probabilities))
    b = revision("B", records(labels, probabilities, codes=("cs.AI", "cs.IR", "cs.LG")))
    with pytest.raises(CompareError, match="use different label codes"):
        compare.compare(a, b)


def test_a_paper_twice_is_refused() -> None:
    labels, probabilities = scored_set()
    ids = [f"2501.{i:05d}" for i in range(len(labels))]
    ids[3] = ids[2]
    a = revision("A", records(labels, probabilities))
    with pytest.raises(CompareError, match=r"scored paper 2501\.00002 more than once"):
        compare.compare(a, revision("B", records(labels, probabilities, ids=ids)))


def test_the_later_set_comes_first_and_a_set_only_one_side_scored_is_a_note() -> None:
    labels, probabilities = scored_set()
    later_ids = [f"2503.{i:05d}" for i in range(len(labels))]
    named = records(labels, probabilities, "test") + records(
        labels, probabilities, "later", ids=later_ids
    )
    new, also = revision("new", named), revision("also", named)
    test_only = revision("test-only", records(labels, probabilities, "test"))
    assert (list(test_only.sets), list(new.sets)) == (["test"], ["later", "test"])
    results, notes = compare.compare(test_only, new)
    assert [r.set for r in results] == ["test"]
    assert notes == [f"the later set: only {new.label} scored it; not compared"]
    results, notes = compare.compare(new, also)
    assert ([r.set for r in results], notes) == (["later", "test"], [])
    only_later = revision("later", records(labels, probabilities, "later", ids=later_ids))
    with pytest.raises(CompareError, match=r"share no evaluation set: .* scored test; .* later$"):
        compare.compare(test_only, only_later)


def test_bad_files_fail_naming_the_line() -> None:
    with pytest.raises(CompareError, match=r"^HEAD: x, line 2: not valid JSON"):
        read_predictions(
            ['{"id": "1", "label": "a", "probabilities": {"a": 1}, "set": "test"}\n', "{\n"],
            "HEAD: x",
        )
    with pytest.raises(CompareError, match=r"line 1: not a prediction record \('probabilities'\)"):
        read_predictions(['{"id": "1", "label": "a"}\n'], "x")
    with pytest.raises(CompareError, match=r"line 1: not a prediction record \('set'\)"):
        read_predictions(['{"id": "1", "label": "a", "probabilities": {"a": 1}}\n'], "x")
    with pytest.raises(CompareError, match=r"^x, line 1: expected a JSON object$"):
        read_predictions(['["1", "a"]\n'], "x")
    with pytest.raises(CompareError, match="no predictions"):
        read_predictions([], "x")


def test_a_set_without_a_class_is_refused() -> None:
    labels, probabilities = scored_set()
    keep = labels != 2
    a = revision("A", records(labels[keep], probabilities[keep]))
    with pytest.raises(Exception, match=r"no paper of \['cs.RO'\]"):
        compare.compare(a, a)


def test_the_text_fits_100_columns_and_the_markdown_is_one_table() -> None:
    labels, probabilities = scored_set()
    correct = np.flatnonzero(probabilities.argmax(axis=1) == labels)
    a = revision("main", records(labels, probabilities, "later"))
    b = revision("lr-2e-5", records(labels, flip(probabilities, correct[:20], labels), "later"))
    results, notes = compare.compare(a, b, 500, 0)
    lines = compare.text(a, b, results, notes, 500, 0)
    assert max(map(len, lines)) <= 100, "\n".join(lines)
    assert lines[0] == f"later set, 300 papers: A = {a.label}, B = {b.label}"
    assert re.match(r"metric +A +B +B - A +verdict$", lines[1])
    assert re.match(
        r"roc_auc_ovr +0\.\d{3} \[0\.\d{3}, 0\.\d{3}\] .* -0\.\d{3} .* B worse$", lines[2]
    )
    assert lines[3].startswith("macro_f1 ") and lines[3].endswith("B worse")
    table = compare.markdown(a, b, results, notes, 500, 0)
    rows = [line for line in table if line.startswith("| later")]
    assert len(rows) == len(HEADLINE) and all(row.endswith("| B worse |") for row in rows)


# The command on a repository: git-tracked predictions stand in for the DVC-cached ones (dvc.api
# reads both); the slow test below reads cached ones of two experiments.


def run_compare(*argv: str) -> int:
    """`arxivist compare ARGV` in this process: its exit status (errors as the CLI reports them)."""
    return cli.main(["compare", *argv])


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git + DVC repository whose HEAD has predictions (git-tracked) and its parent none."""
    git(tmp_path, "init", "-q", "-b", "main")
    dvc(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "init")
    labels, probabilities = scored_set()
    path = tmp_path / PREDICTIONS
    path.parent.mkdir(parents=True)
    path.write_text("".join(records(labels, probabilities)), encoding="utf-8")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "predictions")
    correct = np.flatnonzero(probabilities.argmax(axis=1) == labels)
    worse = flip(probabilities, correct[:20], labels)
    path.write_text("".join(records(labels, worse)), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_workspace_against_head_by_default(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_compare("--resamples", "500") == 0
    out = capsys.readouterr().out.splitlines()
    head = git(repository, "rev-parse", "--short=7", "HEAD").strip()
    assert out[0] == f"test set, 300 papers: A = HEAD ({head}), B = workspace"
    assert [line.split()[0] for line in out[2:4]] == list(HEADLINE)
    assert all(line.endswith("B worse") for line in out[2:4])
    assert run_compare("workspace", "HEAD", "--md") == 0
    table = capsys.readouterr().out
    assert table.count("| B better |") == len(HEADLINE)


def test_a_revision_that_does_not_exist_or_has_no_predictions(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_compare("no-such-exp") == 1
    assert capsys.readouterr().err == (
        "error: revision 'no-such-exp' not found: not a git revision, tag or experiment name "
        "here (for someone else's experiment: dvc exp pull origin no-such-exp)\n"
    )
    assert run_compare("HEAD~1", "HEAD") == 1
    parent = git(repository, "rev-parse", "--short=7", "HEAD~1").strip()
    assert capsys.readouterr().err == (
        f"error: HEAD~1 ({parent}) has no {PREDICTIONS} (no evaluate stage in its dvc.lock)\n"
    )


def test_predictions_that_are_not_utf8_fail_naming_the_byte(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repository / PREDICTIONS
    path.write_bytes(path.read_bytes().replace(b'"id": "', b'"id": "\xff', 1))
    assert run_compare() == 1
    not_utf8 = "cannot read (not UTF-8 text at byte 8) in line 1"
    assert capsys.readouterr().err == f"error: workspace: {PREDICTIONS}: {not_utf8}\n"


def test_outside_a_dvc_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_compare() == 1
    assert capsys.readouterr().err == "error: not inside a DVC repository\n"


# Recipes: sides of several runs (tests/unit/evaluation/test_recipes.py tests the statistics; the
# slow tests in tests/pipeline/test_experiments.py run them on DVC experiments).


def seeded_runs(recipe: str, skills: dict[str, float], seeds: range) -> Side:
    """A recipe's runs, one revision per train.seed, params {"train.seed": seed, "x": recipe}:
    on each set of `skills` (the same 300 papers and labels in every run) a model whose true
    class gets that much extra logit, with noise of its own in each run and set."""
    labels = np.repeat(np.arange(len(CODES)), SIZES)
    runs = []
    for seed in seeds:
        lines = []
        for i, (name, skill) in enumerate(skills.items()):
            rng = np.random.default_rng([seed, i, len(recipe)])
            logits = rng.normal(size=(len(labels), len(CODES)))
            logits[np.arange(len(labels)), labels] += skill + rng.normal(0, 0.1)
            lines += records(labels, np.exp(logits) / np.exp(logits).sum(1, keepdims=True), name)
        run = revision(f"{recipe}-s{seed}", lines)
        runs.append(Revision(run.name, run.sha, run.sets, {"train.seed": seed, "x": recipe}))
    return Side(recipe, tuple(runs))


def test_one_run_a_side_compares_exactly_as_two_revisions() -> None:
    a = seeded_runs("a", {"test": 2.0}, range(1, 2))
    b = seeded_runs("b", {"test": 2.2}, range(1, 2))
    (result,), _ = compare.compare(a.runs[0], b.runs[0], 500, 0)
    (recipes,), _ = compare.compare_sides(a, b, 500, 0)
    assert {m: d.difference for m, d in recipes.metrics.items()} == result.difference
    assert {m: (d.a.mean, d.b.mean) for m, d in recipes.metrics.items()} == {
        m: (result.a[m], result.b[m]) for m in HEADLINE
    }


def test_recipes_are_compared_per_set_with_seed_sd_and_run_pairs() -> None:
    a = seeded_runs("a", {"later": 1.0, "test": 2.0}, range(42, 45))
    b = seeded_runs("b", {"later": 3.0, "test": 2.0}, range(42, 45))
    results, notes = compare.compare_sides(a, b, 500, 0)
    assert ([r.set for r in results], notes) == (["later", "test"], [])
    later = results[0].metrics["roc_auc_ovr"]
    assert len(later.a.scores) == len(later.b.scores) == 3
    assert later.difference.verdict == "better" and later.beats == 1.0
    assert later.a.sd > 0 and later.difference.value == later.b.mean.value - later.a.mean.value


def test_a_run_of_a_recipe_on_other_papers_is_refused_naming_it() -> None:
    a = seeded_runs("a", {"test": 2.0}, range(1, 3))
    labels, probabilities = scored_set()
    ids = [f"2502.{i:05d}" for i in range(len(labels))]
    stray = revision("stray", records(labels, probabilities, "test", ids=ids))
    refused = r"a-s1 \(\w+\) and stray \(\w+\) scored different papers on the test set"
    with pytest.raises(CompareError, match=refused):
        compare.compare_sides(a, Side("b", (a.runs[0], stray)), 200, 0)


def prose(lines: list[str]) -> str:
    """Lines as one paragraph: wrapped notes joined again."""
    return " ".join(line.strip() for line in lines)


def run_args(**given: object) -> argparse.Namespace:
    return argparse.Namespace(**{"resamples": 300, "seed": 0, "md": False, **given})


def test_the_recipe_text_fits_100_columns_and_the_markdown_is_one_table() -> None:
    a = seeded_runs("a", {"later": 1.0, "test": 2.0}, range(42, 45))
    b = seeded_runs("b", {"later": 3.0, "test": 2.0}, range(42, 45))
    lines = recipe_compare.recipes(a, b, [], run_args())
    assert lines[:3] == [
        "A = a: 3 runs (train.seed 42, 43, 44): a-s42, a-s43, a-s44",
        "B = b: 3 runs (train.seed 42, 43, 44): b-s42, b-s43, b-s44",
        "B - A changes x: a -> b",
    ]
    assert lines[4] == "later set, 300 papers"
    assert re.match(
        r"metric +A mean ± SD +B mean ± SD +B - A \[95% CI\] +P\(B>A\) +verdict$", lines[5]
    )
    assert re.match(
        r"roc_auc_ovr +0\.\d{4} ± 0\.\d{4} .* \+0\.\d{4} \[\+0\.\d{4}, .*1\.00 +B better$", lines[6]
    )
    assert max(map(len, lines)) <= 100, "\n".join(lines)
    assert "a verdict on the recipes (these params, any train.seed)" in prose(lines)
    table = recipe_compare.recipes(a, b, [], run_args(md=True))
    rows = [line for line in table if line.startswith("| later") or line.startswith("| test")]
    assert len(rows) == 2 * len(HEADLINE)
    assert all(re.search(r"\| \d\.\d\d \| (B better|B worse|no evidence) \|$", row) for row in rows)
    assert table[0].startswith("A = `a` (3 runs, train.seed 42, 43, 44: `a-s42`, `a-s43`, `a-s44`)")


def test_two_models_say_what_their_verdict_covers_and_what_seeds_would_resolve() -> None:
    a = seeded_runs("a", {"test": 1.5}, range(42, 46))
    b = seeded_runs("b", {"test": 2.5}, range(42, 43))
    args = run_args(a="a-s42", b="b-s42")
    lines = prose(recipe_compare.models(a.runs[0], b.runs[0], [a, b], [], "again", args))
    assert "Note: a verdict on these two models, one training run each, not on their" in lines
    needed = re.search(
        r"of A's recipe \(4\) and B's \(1\) .*: test set: roc_auc_ovr (\d+), macro_f1 (\d+)", lines
    )
    assert needed, lines
    one = Side("a", a.runs[:1])
    alone = prose(recipe_compare.models(a.runs[0], b.runs[0], [one, b], [], "again", args))
    assert (
        "no seed spread measured" in alone
        and "then dvc queue start) and compare the recipes: again" in alone
    )


def run(name: str, **params: object) -> Run:
    return Run(name, None, {"train.seed": 42, "train.learning_rate": 0.001, **params})


def test_a_group_whose_runs_differ_in_more_than_the_seed_is_refused_naming_the_key() -> None:
    group = Group("lr-*", (run("lr-a"), run("lr-b", **{"train.seed": 43, "train.epochs": 2})))
    with pytest.raises(RunsError) as refused:
        check_recipe(group)
    assert str(refused.value) == (
        "lr-*: its runs differ in train.epochs (lr-a: (absent), lr-b: 2); a recipe's runs may "
        "differ only in train.seed"
    )
    twice = Group("lr-*", (run("lr-a"), run("lr-b")))
    with pytest.raises(RunsError, match=r"lr-a and lr-b both ran train\.seed 42; a recipe needs"):
        check_recipe(twice)
    unseeded = Group("lr-*", (run("lr-a"), Run("old", None, {"train.learning_rate": 0.001})))
    with pytest.raises(RunsError, match=r"lr-\*: old has no train\.seed in its params\.yaml"):
        check_recipe(unseeded)


def test_by_groups_runs_by_the_key_and_refuses_any_other_difference() -> None:
    runs = [
        run("e1", **{"tokenize.max_length": 256}),
        run("e2", **{"tokenize.max_length": 512}),
        run("e3", **{"tokenize.max_length": 256, "train.seed": 43}),
    ]
    groups = by_values(runs, ["tokenize.max_length"], "HEAD")
    assert [(g.label, [r.name for r in g.runs]) for g in groups] == [
        ("tokenize.max_length=256", ["e1", "e3"]),
        ("tokenize.max_length=512", ["e2"]),
    ]
    runs.append(run("e4", **{"tokenize.max_length": 512, "train.learning_rate": 0.01}))
    with pytest.raises(RunsError) as refused:
        by_values(runs, ["tokenize.max_length"], "HEAD")
    assert str(refused.value).startswith(
        "the experiments of HEAD differ in train.learning_rate beside tokenize.max_length and "
        "train.seed (e1: 0.001, e2: 0.001, e3: 0.001, e4: 0.01)"
    )


def test_the_pick_is_made_on_validation_and_the_later_set_cannot_change_it() -> None:
    base = seeded_runs("base", {"later": 2.0, "validation": 1.0}, range(42, 45))
    better = seeded_runs("better", {"later": 2.0, "validation": 2.0}, range(42, 45))
    same = seeded_runs("same", {"later": 4.0, "validation": 1.0}, range(42, 45))
    sides = {"base": base, "better": better, "same": same}
    chosen = recipe_compare.choose_recipe(sides, "base", 300, 0)
    assert (chosen.winner, chosen.why) == ("better", "better")
    verdicts = {k: r.metrics["roc_auc_ovr"].difference.verdict for k, r in chosen.versus.items()}
    assert verdicts == {"better": "better", "same": "no evidence"}
    # The later predictions turned upside down, or gone: the same pick, the same numbers.
    worse = seeded_runs("better", {"later": -2.0, "validation": 2.0}, range(42, 45))
    blind = {
        k: Side(k, tuple(without_set(r, "later") for r in side.runs)) for k, side in sides.items()
    }
    assert recipe_compare.choose_recipe({**sides, "better": worse}, "base", 300, 0) == chosen
    assert recipe_compare.choose_recipe(blind, "base", 300, 0) == chosen
    # Without a better one the baseline stays, however the later set would have ranked them.
    kept = recipe_compare.choose_recipe({"base": base, "same": same}, "base", 300, 0)
    assert (kept.winner, kept.why) == ("base", "baseline")


def test_a_pick_needs_every_runs_validation_predictions() -> None:
    base = seeded_runs("base", {"later": 2.0, "validation": 1.0}, range(42, 44))
    old = seeded_runs("old", {"later": 2.0, "test": 1.0}, range(42, 44))  # evaluated before
    with pytest.raises(CompareError) as refused:
        recipe_compare.choose_recipe({"base": base, "old": old}, "base", 300, 0)
    assert str(refused.value) == (
        f"{old.runs[0].label} has no predictions of the validation set (evaluated before the "
        "evaluate stage wrote them): run its evaluate stage again"
    )


def without_set(run: Revision, name: str) -> Revision:
    sets = {key: scored for key, scored in run.sets.items() if key != name}
    return Revision(run.name, run.sha, sets, run.params)


@pytest.fixture
def recipes_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git + DVC repository with a commit per run, tagged: a-s42, a-s43 (params x: a) and
    b-s42, b-s43 (x: b), each with params.yaml and its (git-tracked) predictions."""
    git(tmp_path, "init", "-q", "-b", "main")
    dvc(tmp_path, "init", "-q")
    labels = np.repeat(np.arange(len(CODES)), SIZES)
    path = tmp_path / PREDICTIONS
    path.parent.mkdir(parents=True)
    for recipe, skill in (("a", 1.5), ("b", 2.5)):
        for seed in (42, 43):
            rng = np.random.default_rng(seed)
            logits = rng.normal(size=(len(labels), len(CODES)))
            logits[np.arange(len(labels)), labels] += skill
            probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            path.write_text("".join(records(labels, probabilities, "later")), encoding="utf-8")
            params = {"x": recipe, "train": {"seed": seed}}
            (tmp_path / "params.yaml").write_text(json.dumps(params), encoding="utf-8")
            git(tmp_path, "add", "-A")
            git(tmp_path, "commit", "-q", "-m", f"{recipe} at seed {seed}")
            git(tmp_path, "tag", f"{recipe}-s{seed}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_command_compares_recipes_named_by_their_runs(
    recipes_repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_compare("a-s42,a-s43", "b-s42,b-s43", "--resamples", "300") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        "A = a-s42,a-s43: 2 runs (train.seed 42, 43): a-s42, a-s43",
        "B = b-s42,b-s43: 2 runs (train.seed 42, 43): b-s42, b-s43",
        "B - A changes x: a -> b",
    ]
    assert re.match(r"roc_auc_ovr .* 1\.00 +B better$", out[6]), out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("a-s42,b-s43", "b-s42"),
            "a-s42,b-s43: its runs differ in x (a-s42: a, b-s43: b); a recipe's runs may differ "
            "only in train.seed",
        ),
        (
            ("a-s42,a-s43", "b-s42"),
            "A (a-s42,a-s43) has 2 run(s) and B (b-s42) 1: compare one run a side (two models) "
            "or at least two seeds a side (two recipes)",
        ),
        (
            ("a-*", "b-s42"),
            "no experiment name matches 'a-*' (dvc exp list --all-commits lists them)",
        ),
        (("--pick",), "--pick chooses among the recipes of --by KEY: give --by"),
        (
            ("--by", "x", "HEAD", "a-s42"),
            "--by groups the experiments of one commit (A): give no B and no --seeds",
        ),
        (
            ("--by", "train.seed"),
            "--by train.seed: a recipe's runs differ in it; group by another key",
        ),
        (
            ("--by", "x"),
            "HEAD has no experiments to group (dvc exp show lists them); run a sweep from it, e.g. "
            "dvc exp run --queue -S 'train.seed=range(43,46)' -S 'x=...'",
        ),
    ],
    ids=[
        "group-differs",
        "one-run-against-two",
        "glob-matches-nothing",
        "pick-without-by",
        "by-with-b",
        "by-the-seed",
        "by-without-experiments",
    ],
)
def test_what_cannot_be_compared_as_recipes_is_refused_in_one_line(
    recipes_repository: Path,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    message: str,
) -> None:
    assert run_compare(*argv) == 1
    assert capsys.readouterr().err == f"error: {message}\n"


def test_a_run_found_beside_a_side_is_left_out_with_a_note_when_unreadable(
    recipes_repository: Path,
) -> None:
    git(recipes_repository, "rm", "-q", PREDICTIONS)
    git(recipes_repository, "commit", "-q", "-m", "predictions gone")
    with runs.repository() as found:
        named, gone = found.run("a-s42"), found.run("HEAD")
    reader = recipe_compare.Reader(str(recipes_repository))
    side = reader.side(Group("a-s42", (named, gone)), named=1)
    assert [run.name for run in side.runs] == ["a-s42"]
    assert reader.notes == [
        f"HEAD left out: HEAD ({gone.sha[:7]}) has no {PREDICTIONS} (no evaluate stage in its "
        "dvc.lock)"
    ]
    with pytest.raises(CompareError, match=re.escape(f"has no {PREDICTIONS}")):
        reader.side(Group("named", (named, gone)))  # a named run must be readable
