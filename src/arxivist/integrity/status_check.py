"""`arxivist check-data`: fail when DVC-tracked data is missing or modified, here or on the remote.

Everything DVC tracks is checked, file by file: every output recorded in dvc.lock and every .dvc
file, including each file inside a directory output.

- in the workspace (`dvc data status --granular --json`): a tracked file that is missing, differs
  from its recorded hash, or was added to (or renamed inside) a tracked directory;
- on the remote (default; `--no-remote` skips it; arxivist.integrity.content_check and
  arxivist.integrity.remote_check): any object that `dvc push` uploads and that is not there, each
  member of a directory looked up on its own (`dvc status -c` and a plain `dvc data status
  --not-in-remote` trust a directory's `.dir` manifest and miss a lost member). The remote must
  answer within remote_check.PROBE_TIMEOUT_S, or the check stops with one line naming it; a lookup
  that takes long says how far it is on stderr.

Content too (arxivist.integrity.content_check): every tracked file is hashed in the workspace and in
the local cache; `--verify-remote` also downloads and hashes every object on the remote. A corrupted
object is named with the file or URL that holds it.

The remote is checked by default because the project's promise is that a commit's data can be
pulled back; a check that skips the remote cannot vouch for that. Objects missing only from the
local cache are not problems in themselves (`dvc pull` refills it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from arxivist.errors import ArxivistError
from arxivist.integrity import content_check, remote_check

# dvc data status "uncommitted" change types (workspace vs dvc.lock/.dvc) -> what we report.
_WORKSPACE_PROBLEMS = {
    "deleted": "missing from workspace",
    "modified": "modified in workspace",
    "added": "added in workspace (not recorded in dvc.lock/.dvc)",
    "unknown": "cannot be checked (directory manifest unavailable; try `dvc pull`)",
}
_FIX_HINT = """\
fixes: `dvc checkout` or `dvc pull` restores the workspace; `dvc commit` records intended changes;
`dvc push` uploads objects missing from the remote, except members of a directory whose .dir
manifest is already there (push trusts the manifest): delete that .dir object from the remote,
then `dvc push` again. A corrupted cache object: delete the file named, then `dvc pull --force`.
A corrupted remote object: delete the object named (and, for a directory member, its directory's
.dir object), then `dvc push` from a workspace whose check-data passes."""


class DataCheckError(ArxivistError):
    """The check itself could not run (not a DVC repo, unknown or unreachable remote, ...): exit
    status 2, as 1 says the check ran and found problems."""

    exit_status = 2


def data_status(repo_dir: Path) -> dict:
    """The workspace's `dvc data status --granular --json` (it does not reach the remote)."""
    command = [sys.executable, "-m", "dvc", "data", "status", "--granular", "--json"]
    result = subprocess.run(command, cwd=repo_dir, capture_output=True, text=True)
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
        detail = errors[-1] if errors else result.stderr.strip()[-2000:]
        raise DataCheckError(f"`dvc data status` failed in {repo_dir}: {detail}")
    return json.loads(result.stdout)


def problems_from_status(status: dict) -> list[str]:
    """Turn `dvc data status --granular --json` output into one line per problem."""
    return report_lines(status_problems(status))


def status_problems(status: dict) -> list[tuple[str, str]]:
    """(path, what) for each problem in `dvc data status --granular --json` output."""
    found: list[tuple[str, str]] = []
    for change, entries in status.get("uncommitted", {}).items():
        if change == "renamed":
            for entry in entries:
                found.append((f"{entry['old']} -> {entry['new']}", "renamed in workspace"))
        elif change in _WORKSPACE_PROBLEMS:
            found += [(path, _WORKSPACE_PROBLEMS[change]) for path in entries]
        else:
            found += [(path, f"changed in workspace ({change})") for path in entries]
    return found + [(path, "missing from remote") for path in status.get("not_in_remote", [])]


def report_lines(found: Iterable[tuple[str, str]]) -> list[str]:
    """One sorted line per distinct (path, what). A workspace change to a directory (path ending
    in "/") whose members are listed is not repeated on its own."""
    found = set(found)
    changed = {path for path, what in found if "workspace" in what}
    return [
        f"{what}: {path}"
        for path, what in sorted(found)
        if not (
            path.endswith("/")
            and "workspace" in what
            and any(p != path and p.startswith(path) for p in changed)
        )
    ]


def check(
    repo_dir: Path,
    remote: bool = True,
    remote_name: str | None = None,
    verify_remote: bool = False,
    progress_after_s: float = remote_check.PROGRESS_AFTER_S,
) -> list[str]:
    """Problems with the DVC-tracked data of the workspace at `repo_dir`; empty when all is well.

    Files are hashed in the workspace and the local cache. With `remote`, objects missing from
    the DVC remote (`remote_name`, else the default) count too; with `verify_remote`, every
    object on the remote is also downloaded and hashed. A remote check that takes
    `progress_after_s` or more says how far it is on stderr. Raises DataCheckError (or
    remote_check.RemoteCheckError) when the check cannot run, e.g. the remote does not answer.
    """
    from dvc.exceptions import DvcException

    try:
        with content_check.open_repo(Path(repo_dir)) as repo:
            # First the remote: the workspace's status too reaches it for a manifest not cached.
            reached = remote_check.reach(repo, remote_name) if remote or verify_remote else None
            found = status_problems(data_status(Path(repo_dir)))
            findings = content_check.check_content(repo, reached, verify_remote, progress_after_s)
    except (DvcException, OSError) as error:
        raise DataCheckError(f"cannot check the tracked data in {repo_dir}: {error}") from None
    return report_lines(found + [finding.line() for finding in findings])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the `check-data` options."""
    parser.add_argument(
        "--repo", type=Path, default=Path("."), help="DVC workspace (default: current directory)"
    )
    parser.add_argument(
        "--remote",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also require every object on the DVC remote (default; --no-remote: workspace only)",
    )
    parser.add_argument(
        "--verify-remote",
        action="store_true",
        help="also download every object from the remote and check its hash (reads all the data)",
    )
    parser.add_argument(
        "-r", "--remote-name", help="DVC remote to check (default: the repo's default remote)"
    )


def run(args: argparse.Namespace) -> int:
    """Print the problems found; exit 0 when none, 1 when some. A check that cannot run raises
    DataCheckError (exit 2)."""
    where = "workspace and remote" if args.remote else "workspace"
    if args.verify_remote:
        where = "workspace and remote, every remote object downloaded and hashed"
    problems = check(args.repo, args.remote, args.remote_name, args.verify_remote)
    if not problems:
        print(f"check-data: all DVC-tracked data is present and unmodified ({where})")
        return 0
    print(
        f"check-data: {len(problems)} problem(s) with DVC-tracked data ({where}):", file=sys.stderr
    )
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    print(_FIX_HINT, file=sys.stderr)
    return 1
