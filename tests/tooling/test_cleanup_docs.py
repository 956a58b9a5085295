"""The cache cleanup that docs/data-versioning.md gives keeps what the user has.

A repository whose history grew as a user's does: v1 (the reproduced tiny pipeline) tagged and
pushed to a local GCS, a run never committed, main moved on, a branch `other`, and an experiment
queued from main that ran and was neither applied nor pushed. The documented `dvc gc` line, read
from the docs and answered `y` at its prompt in a terminal, must delete the uncommitted run's
objects and nothing else: `dvc exp apply` then restores the experiment, and every version comes back
by `git checkout` and `dvc pull`. The old advice, `dvc gc --workspace`, loses the experiment.
Every change after v1 is a publish param, so each run is the publish stage alone (seconds).
"""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from standins import localgcs
from standins.gcs import running_gcs
from standins.workspace import (
    BIN,
    ROOT,
    arxivist,
    copy_workspace,
    dvc,
    git,
    reproduced_tiny_workspace,
    tool_env,
)
from tests.pipeline.test_experiments import start_queue, stop_workers, wait_for_queue

DOC = ROOT / "docs" / "data-versioning.md"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
KEEPS_EVERYTHING = {"--all-commits", "--all-experiments"}
EXPERIMENT = "publish-elsewhere"
QUEUE_TIMEOUT_S = 300
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def commands(text: str, program: str) -> list[str]:
    """Every `program ...` command that `text` gives, in order: in inline code, or at the start of
    a line (after a console block's `$ ` prompt, or in a bash block, continued over lines ending
    in a backslash), without a trailing comment."""
    start = re.escape(program)
    pattern = re.compile(rf"`({start}\b[^`\n]*)`|^(?:\$ )?({start}\b.*)$", re.MULTILINE)
    joined = re.sub(r"\s*\\\n\s*", " ", text)  # a command continued on the next line
    return [re.sub(r"\s+#.*$", "", m[1] or m[2]).strip() for m in pattern.finditer(joined)]


def documented_cleanup() -> tuple[str, list[str]]:
    """The cleanup command of "Cleaning the cache" and the lines the page shows it printing."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Cleaning the cache") :]
    start = section.index("```console\n") + len("```console\n")
    first, *printed = section[start : section.index("\n```", start)].splitlines()
    assert first.startswith("$ dvc gc "), first
    return first.removeprefix("$ "), printed


def test_every_dvc_gc_in_the_docs_keeps_all_commits_and_experiments_first() -> None:
    """The first `dvc gc` each page names is the safe form; none cleans the bucket without it."""
    problems = []
    for doc in DOCS:
        found = commands(doc.read_text(encoding="utf-8"), "dvc gc")
        if found and not set(found[0].split()) >= KEEPS_EVERYTHING:
            problems.append(f"{doc.name}: names {found[0]!r} first")
        problems += [
            f"{doc.name}: {command!r}"
            for command in found
            if {"-c", "--cloud"} & set(command.split())
            and not set(command.split()) >= KEEPS_EVERYTHING
        ]
    assert problems == []
    assert documented_cleanup()[0] in commands(DOC.read_text(encoding="utf-8"), "dvc gc")


def test_commands_are_read_from_inline_code_and_prompts() -> None:
    text = "Run `dvc gc -w` or:\n\n```console\n$ dvc gc -A  # all\nRemoved\n```\n`dvc gcx`"
    assert commands(text, "dvc gc") == ["dvc gc -w", "dvc gc -A"]
    assert commands("```bash\ndvc exp run \\\n  -S a=1 \\\n  -S b=2\n```", "dvc exp run") == [
        "dvc exp run -S a=1 -S b=2"
    ]


def test_printed_lines_are_matched_in_order_with_ellipses() -> None:
    shown = "WARNING: a b\nc (stage: '../../dvc.yaml:fetch')\nd\ne\nRemoved 3 objects\n"
    printed = ["WARNING: a b c (stage: '.../dvc.yaml:fetch')", "...", "Removed 3 objects"]
    assert shows(shown, printed)
    assert not shows(shown, ["Removed 3 objects", "WARNING: a b"])
    assert not shows(shown, ["Removed 4 objects"])


def answered(cwd: Path, command: str, answer: str, timeout_s: float = 120) -> tuple[int, str]:
    """Run `command` in a terminal (DVC asks its question only there), type `answer` when it
    asks, and return the exit status and what the terminal showed."""
    argv = shlex.split(command)
    primary, secondary = pty.openpty()
    with subprocess.Popen(
        [str(BIN / argv[0]), *argv[1:]],
        cwd=cwd,
        env=tool_env(),
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
    ) as process:
        os.close(secondary)
        shown = converse(primary, f"{answer}\n".encode(), time.monotonic() + timeout_s)
        status = process.wait(timeout=timeout_s)
    return status, ANSI.sub("", shown.decode(errors="replace")).replace("\r\n", "\n")


def converse(primary: int, answer: bytes, deadline: float) -> bytes:
    """Everything written to a terminal until its last writer closes it, typing `answer` once
    DVC's question ("... [y/n]") is on the screen."""
    shown = b""
    try:
        while time.monotonic() < deadline:
            if select.select([primary], [], [], 1)[0]:
                chunk = os.read(primary, 4096)
                if not chunk:
                    break
                shown += chunk
                if answer and "[y/n]" in ANSI.sub("", shown.decode(errors="replace")):
                    os.write(primary, answer)
                    answer = b""
    except OSError:  # EIO: the process and its children have closed the terminal
        pass
    finally:
        os.close(primary)
    return shown


def shows(shown: str, printed: list[str]) -> bool:
    """Whether the terminal showed the `printed` lines in order, whatever the line breaks; `...`
    in a line stands for any text, a line of `...` for any lines."""
    flat = " ".join(shown.split())
    parts = [re.escape(" ".join(line.split())).replace(r"\.\.\.", ".*?") for line in printed]
    return re.search(".*?".join(parts), flat) is not None


@dataclass(frozen=True)
class History:
    workspace: Path
    uncommitted: set[str]  # cache objects of the run no commit records
    experiment_lock: str  # the queued experiment's dvc.lock


def cache_objects(workspace: Path) -> set[str]:
    cache = workspace / ".dvc/cache/files/md5"
    return {str(path.relative_to(cache)) for path in cache.rglob("*") if path.is_file()}


def publish_with(workspace: Path, **publish: str) -> None:
    """Set publish params and `dvc repro`: the publish stage alone runs."""
    params = yaml.safe_load((workspace / "params.yaml").read_text(encoding="utf-8"))
    params["publish"].update(publish)
    (workspace / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    dvc(workspace, "repro")


def commit(workspace: Path, message: str) -> None:
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", message)


def experiment_ref(workspace: Path, name: str) -> str:
    refs = git(workspace, "for-each-ref", "--format=%(refname)", "refs/exps/").split()
    (ref,) = [ref for ref in refs if ref.endswith(f"/{name}")]
    return ref


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> Iterator[History]:
    root = tmp_path_factory.mktemp("cleanup")
    workspace = copy_workspace(reproduced_tiny_workspace(tmp_path_factory, tiny_bert), root / "ws")
    with running_gcs(root / "gcs", localgcs.remote_bucket(workspace)) as gcs:
        gcs.configure(workspace)
        git(workspace, "tag", "-a", "v1", "-m", "v1")
        dvc(workspace, "push")
        before = cache_objects(workspace)
        publish_with(workspace, license="mit")  # then changed again before any commit
        uncommitted = cache_objects(workspace) - before
        publish_with(workspace, license="cc-by-4.0")
        commit(workspace, "main moves on")
        git(workspace, "checkout", "-q", "-b", "other")
        publish_with(workspace, repo_id="team/other")
        commit(workspace, "another branch")
        git(workspace, "checkout", "-q", "main")
        dvc(workspace, "checkout")
        set_repo = f"publish.repo_id=team/{EXPERIMENT}"
        dvc(workspace, "exp", "run", "--queue", "-n", EXPERIMENT, "-S", set_repo)
        try:
            start_queue(workspace, root / "queue-start.log")
            status = wait_for_queue(workspace, EXPERIMENT, QUEUE_TIMEOUT_S)
        finally:
            stop_workers(workspace)
        assert status == "Success", dvc(workspace, "queue", "logs", EXPERIMENT).stdout[-3000:]
        lock = git(workspace, "show", f"{experiment_ref(workspace, EXPERIMENT)}:dvc.lock")
        yield History(workspace, uncommitted, lock)


def assert_outputs_match_the_lock(workspace: Path) -> None:
    """Every tracked file in the workspace and the cache, hashed against dvc.lock."""
    checked = arxivist(workspace, "check-data", "--no-remote")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.slow
def test_the_documented_cleanup_keeps_an_unapplied_experiment_branches_and_tags(
    history: History, tmp_path: Path
) -> None:
    workspace = copy_workspace(history.workspace, tmp_path / "ws")
    command, printed = documented_cleanup()
    status, shown = answered(workspace, command, "y")
    assert status == 0, shown
    assert shows(shown, printed), shown  # as the page shows it
    assert history.uncommitted, "the uncommitted run added no object"
    assert f"Removed {len(history.uncommitted)} objects from repo cache." in printed
    assert not history.uncommitted & cache_objects(workspace)

    git(workspace, "checkout", "-q", "v1")
    dvc(workspace, "pull")
    assert_outputs_match_the_lock(workspace)
    for branch in ("other", "main"):  # never pushed: only the cache holds their data
        git(workspace, "checkout", "-q", branch)
        dvc(workspace, "checkout")
        assert_outputs_match_the_lock(workspace)

    dvc(workspace, "exp", "apply", EXPERIMENT)
    assert (workspace / "dvc.lock").read_text(encoding="utf-8") == history.experiment_lock
    assert_outputs_match_the_lock(workspace)


@pytest.mark.slow
def test_the_old_advice_loses_the_unapplied_experiment(history: History, tmp_path: Path) -> None:
    workspace = copy_workspace(history.workspace, tmp_path / "ws")
    dvc(workspace, "gc", "--workspace", "--force")
    applied = dvc(workspace, "exp", "apply", EXPERIMENT, check=False)
    assert applied.returncode != 0
    assert "Checkout failed for following targets:" in applied.stderr, applied.stderr
    assert "models/published" in applied.stderr, applied.stderr
