"""The runs `arxivist compare` reads, found through DVC's API: git revisions and experiments by
name or glob, the experiments of a baseline commit, each run's params (params.yaml at its commit,
or the workspace's), and the checks that make a group of runs one recipe.

A recipe is the params less `train.seed`: a group's runs may differ in that key only, once each.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from arxivist.errors import ArxivistError

if TYPE_CHECKING:
    from dvc.repo import Repo

SEED = "train.seed"
PARAMS = "params.yaml"
WORKSPACE = "workspace"
GLOB = frozenset("*?[")


class RunsError(ArxivistError):
    """Runs that cannot be found, or grouped into recipes."""


@dataclass(frozen=True)
class Run:
    """A run as the user (or a search) named it, the commit it resolved to, and its params."""

    name: str
    sha: str | None  # None: the workspace
    params: Mapping[str, Any]  # flat: {"train.seed": 42, ...}

    @property
    def seed(self) -> Any:
        return self.params.get(SEED)


@dataclass(frozen=True)
class Group:
    """Runs of one recipe, as a side of a comparison: `label` says which."""

    label: str
    runs: tuple[Run, ...]

    @property
    def seeds(self) -> str:
        """'train.seed 42, 43' (in run order)."""
        return f"{SEED} {', '.join(str(run.seed) for run in self.runs)}"


class Runs:
    """Finds runs in one open DVC repository."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.root = Path(repo.root_dir)

    def named(self, spec: str) -> list[Run]:
        """The runs of `spec`: names (revisions, tags, experiments or 'workspace') and globs over
        experiment names, separated by commas, in order, each once."""
        found: dict[tuple[str, str | None], Run] = {}
        for part in filter(None, (part.strip() for part in spec.split(","))):
            for run in self._glob(part) if GLOB & set(part) else [self.run(part)]:
                found.setdefault((run.name, run.sha), run)
        if not found:
            raise RunsError(f"no run named in {spec!r}")
        return list(found.values())

    def run(self, name: str) -> Run:
        """The revision or experiment `name`, or the workspace."""
        if name == WORKSPACE:
            return Run(name, None, self.params(None))
        sha = self.resolve(name)
        return Run(name, sha, self.params(sha))

    def resolve(self, name: str) -> str:
        from dvc.scm import RevError, resolve_rev

        try:
            return resolve_rev(self.repo.scm, name)
        except RevError:
            raise RunsError(
                f"revision {name!r} not found: not a git revision, tag or experiment name here "
                f"(for someone else's experiment: dvc exp pull origin {name})"
            ) from None

    @cached_property
    def listed(self) -> dict[str, list[tuple[str, str | None]]]:
        """Every experiment here: baseline commit -> [(name, commit)]."""
        return dict(self.repo.experiments.ls(all_commits=True))

    def _glob(self, pattern: str) -> list[Run]:
        found = sorted(
            (name, sha)
            for experiments in self.listed.values()
            for name, sha in experiments
            if sha and fnmatch.fnmatchcase(name, pattern)
        )
        if not found:
            raise RunsError(
                f"no experiment name matches {pattern!r} (dvc exp list --all-commits lists them)"
            )
        return [Run(name, sha, self.params(sha)) for name, sha in found]

    def experiments(self, baseline: str) -> list[Run]:
        """Every experiment of the commit `baseline`, by name."""
        sha = self.resolve(baseline)
        return [
            Run(name, found, self.params(found))
            for name, found in sorted(self.listed.get(sha, []))
            if found
        ]

    def baseline(self, run: Run) -> Run | None:
        """The commit `run` was run from: an experiment's baseline, a commit itself, the
        workspace's HEAD (None without commits)."""
        if run.sha is None:
            sha = self.repo.scm.get_rev() if not self.repo.scm.no_commits else None
            return None if sha is None else Run("HEAD", sha, self.params(sha))
        for base, experiments in self.listed.items():
            if any(found == run.sha for _, found in experiments):
                return Run(base[:7], base, self.params(base))
        return run

    def seed_runs(self, group: Group) -> Group:
        """`group` and the runs of its recipe at other seeds: the baseline commits of its runs
        and their experiments whose params differ from the group's only in train.seed; a seed
        the group has is not added again."""
        recipe = without_seed(group.runs[0].params)
        runs = {run.seed: run for run in reversed(group.runs)}  # the group's own win
        for run in group.runs:
            base = self.baseline(run)
            if base is None:
                continue
            for other in [base, *self.experiments(base.sha or "")]:
                if without_seed(other.params) == recipe and SEED in other.params:
                    runs.setdefault(other.seed, other)
        ordered = [*group.runs, *(r for r in runs.values() if r not in group.runs)]
        return Group(group.label, tuple(ordered))

    def params(self, sha: str | None) -> dict[str, Any]:
        """params.yaml at commit `sha` (None: the workspace's), flat; {} where there is none."""
        if sha is None:
            path = self.root / PARAMS
            text = path.read_text(encoding="utf-8") if path.is_file() else None
        else:
            fs = self.repo.scm.get_fs(sha)
            text = fs.read_text(PARAMS) if fs.exists(PARAMS) else None
        loaded = yaml.safe_load(text) if text else None
        return flat(loaded) if isinstance(loaded, dict) else {}


@contextmanager
def repository(root: str | None = None) -> Iterator[Runs]:
    """The DVC repository at or around `root` (default: the current directory), open."""
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    try:
        found = Repo.find_root(root)
    except NotDvcRepoError:
        raise RunsError("not inside a DVC repository") from None
    with Repo(found) as repo:
        yield Runs(repo)


def flat(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"train": {"seed": 42}} -> {"train.seed": 42}; lists become tuples."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= flat(value, f"{name}.")
        else:
            out[name] = tuple(value) if isinstance(value, list) else value
    return out


def without_seed(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if key != SEED}


MISSING = "(absent)"


def differing(runs: Sequence[Run], ignore: Sequence[str] = (SEED,)) -> list[str]:
    """The params keys whose values are not the same in all `runs`, less `ignore`."""
    keys = sorted({key for run in runs for key in run.params} - set(ignore))
    return [key for key in keys if len({repr(r.params.get(key, MISSING)) for r in runs}) > 1]


def values(key: str, runs: Sequence[Run]) -> str:
    """'lr-low: 0.001, lr-high: 0.02': each run's value of `key`."""
    return ", ".join(f"{run.name}: {run.params.get(key, MISSING)}" for run in runs)


def check_recipe(group: Group) -> None:
    """Refuse a group whose runs differ in anything but train.seed, or repeat a seed."""
    if len(group.runs) > 1 and (unseeded := [run for run in group.runs if SEED not in run.params]):
        raise RunsError(
            f"{group.label}: {unseeded[0].name} has no {SEED} in its {PARAMS}, so it is no run "
            "of a recipe at a seed"
        )
    if keys := differing(group.runs):
        raise RunsError(
            f"{group.label}: its runs differ in {', '.join(keys)} ({values(keys[0], group.runs)})"
            f"; a recipe's runs may differ only in {SEED}"
        )
    seen: dict[Any, Run] = {}
    for run in group.runs:
        if run.seed in seen:
            raise RunsError(
                f"{group.label}: {seen[run.seed].name} and {run.name} both ran {SEED} "
                f"{run.seed}; a recipe needs each seed once"
            )
        seen[run.seed] = run


def by_values(runs: Sequence[Run], keys: Sequence[str], where: str) -> list[Group]:
    """`runs` grouped into recipes by their values of `keys` (in order of first appearance),
    refused if they differ in any other key but train.seed."""
    if others := differing(runs, (*keys, SEED)):
        raise RunsError(
            f"the experiments of {where} differ in {', '.join(others)} beside "
            f"{', '.join(keys)} and {SEED} ({values(others[0], runs)}); --by compares recipes "
            f"that differ only in {', '.join(keys)}: remove the others (dvc exp remove) or name "
            "each side's runs"
        )
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(recipe_label(run.params, keys), []).append(run)
    return [Group(label, tuple(members)) for label, members in groups.items()]


def recipe_label(params: Mapping[str, Any], keys: Sequence[str]) -> str:
    """'tokenize.max_length=256' (and more keys, comma-separated)."""
    return ",".join(f"{key}={params.get(key, MISSING)}" for key in keys)


def compared(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """'tokenize.max_length: 256 -> 512' for each params key but train.seed whose value differs
    between params `a` and `b`."""
    keys = sorted((set(a) | set(b)) - {SEED})
    return [
        f"{key}: {a.get(key, MISSING)} -> {b.get(key, MISSING)}"
        for key in keys
        if repr(a.get(key, MISSING)) != repr(b.get(key, MISSING))
    ]
