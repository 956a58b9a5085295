"""Write outputs to a temporary sibling and rename them into place, so no reader ever sees half.

Temporaries are hidden siblings named `.<name>.<random>.tmp` (git-ignored); a folder replaces a
folder in one atomic exchange (Linux renameat2), so a kill at any moment leaves the old or the new.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a type only: `arxivist predict` loads a model folder without pandas
    import pandas as pd


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a fresh temporary path beside `target`; on success it replaces `target`.

    The caller creates a file or a folder at the yielded path. On any exception the temporary
    path is removed and `target` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    staged = tmp / target.name
    try:
        yield staged
        if not staged.exists():
            raise FileNotFoundError(f"nothing was written for {target}")
        _replace(staged, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def atomic_paths(*targets: str | Path, write: bool = True) -> Iterator[tuple[Path, ...]]:
    """atomic_path for several outputs that belong together: each is staged, and only when the
    block succeeds are they put in place, in the order given. `write=False` (a process that
    writes nothing, e.g. a data-parallel worker other than rank 0) yields the targets untouched."""
    if not write:
        yield tuple(Path(target) for target in targets)
        return
    with contextlib.ExitStack() as stack:
        staged = tuple(stack.enter_context(atomic_path(target)) for target in reversed(targets))
        yield staged[::-1]


def _replace(staged: Path, target: Path) -> None:
    """Move `staged` to `target`; an existing folder ends up at `staged`, in the temporary."""
    if not (target.is_dir() and not target.is_symlink()):
        os.replace(staged, target)
    elif not _exchange(staged, target):
        # No atomic exchange here (not Linux, or a file system without it): two renames, with a
        # moment in between where `target` is missing.
        old = staged.with_name(f"{staged.name}.old")
        os.replace(target, old)
        os.replace(staged, target)


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where unsupported."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    done = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if done == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), str(second))


def write_json(path: str | Path, obj: Any) -> None:
    """Write `obj` as stable, human-readable JSON (sorted keys, trailing newline)."""
    with atomic_path(path) as tmp:
        tmp.write_text(
            json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write one compact JSON object a line; return how many were written."""
    count = 0
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count


def write_parquet(path: str | Path, frame: pd.DataFrame) -> None:
    """Write a DataFrame without its index; the same frame always gives the same bytes."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
