"""The remote side of `arxivist check-data`: reach the DVC remote within a bound, look up which
objects it lacks, and say how far the check is while it runs.

Reaching: gcsfs (dvc-gs) retries a request that fails to connect 5 more times, 1, 2, 4, 8 and
16 s apart (its `retry_request`, fixed when gcsfs is imported), so one request to a server that
is down takes about 33 s; `dvc data status --not-in-remote` asks for one object after another
(439 s of silence in a small workspace). `reach` asks the remote once, through DVC's own
filesystem for it (same endpoint, credentials and retries), and gives up after PROBE_TIMEOUT_S,
naming the remote, its URL, its endpoint and the last error that gcsfs retried.

Looking up: in parallel (DVC's `fs.exists` over the list, the remote's `jobs` requests in
flight), each object counted as it is answered.

Progress: `Progress` counts the objects looked up (or downloaded). A check that takes
PROGRESS_AFTER_S or more says, on stderr, how far it is every PROGRESS_EVERY_S seconds, even while
one request hangs, and once more when it is done; a shorter check says nothing.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple, Self

from fsspec.callbacks import Callback

from arxivist.errors import ArxivistError

if TYPE_CHECKING:
    from dvc.data_cloud import Remote
    from dvc.repo import Repo
    from dvc_data.hashfile.db import HashFileDB

PROBE_TIMEOUT_S = 15.0  # 4 attempts of gcsfs's 6 against a server that refuses connections
PROGRESS_AFTER_S = 10.0  # a remote check shorter than this prints no progress
PROGRESS_EVERY_S = 5.0
_RETRIED = "after exception: "  # gcsfs logs each retried error as "... retrying after exception: E"


class RemoteCheckError(ArxivistError):
    """The remote cannot be checked (not configured, unreachable, lost during the check): exit
    status 2, as for any check-data that cannot run."""

    exit_status = 2


def one_line(text: object) -> str:
    """`text` with its whitespace (DVC's messages span lines) collapsed to single spaces."""
    return " ".join(str(text).split())


def describe(repo: Repo, remote: Remote) -> str:
    """`'NAME' (URL)`, with `, endpoint ENDPOINT` when the config redirects it (a local GCS)."""
    endpoint = repo.config["remote"][remote.name].get("endpointurl")
    where = remote.fs.unstrip_protocol(remote.path)
    return f"{remote.name!r} ({where}{f', endpoint {endpoint}' if endpoint else ''})"


class _LastRetried(logging.Handler):
    """Keeps the last error that gcsfs logged as retried (at DEBUG level)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.error = ""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if _RETRIED in message:
            self.error = message.split(_RETRIED, 1)[1]


@contextmanager
def _retried_errors() -> Iterator[_LastRetried]:
    """While open, the errors that gcsfs retries are kept by the handler it yields."""
    logger = logging.getLogger("gcsfs")
    handler, level = _LastRetried(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def probe(remote: Remote, timeout_s: float) -> str | None:
    """None when the remote answers (whether its path exists or not) within `timeout_s`; else why
    not. The question is asked in a daemon thread, left behind if it hangs."""
    outcome: list[BaseException | None] = []

    def ask() -> None:
        try:
            remote.fs.exists(remote.path)
            outcome.append(None)
        except Exception as error:  # any failure: the remote cannot be used
            outcome.append(error)

    with _retried_errors() as retried:
        thread = threading.Thread(target=ask, name="remote-probe", daemon=True)
        thread.start()
        thread.join(timeout_s)
    if outcome:
        error = outcome[0]
        return None if error is None else f"{type(error).__name__}: {one_line(error)}"
    last = f" (retried; last error: {one_line(retried.error)})" if retried.error else ""
    return f"no answer in {timeout_s:.0f} s{last}"


class Reached(NamedTuple):
    """A DVC remote that answered: its object store, its name, and its description."""

    odb: HashFileDB
    name: str
    label: str

    def progress(self, doing: str, size: int, after_s: float) -> Progress:
        """A Progress of `size` objects on this remote."""
        return Progress(doing, self.name, size, after_s)


def reach(repo: Repo, name: str | None, timeout_s: float = PROBE_TIMEOUT_S) -> Reached:
    """DVC remote `name` (else the default), once it has answered within `timeout_s`;
    RemoteCheckError when it is not configured or does not answer."""
    from dvc.exceptions import DvcException

    try:
        remote = repo.cloud.get_remote(name, command="check-data")
        odb = repo.cloud.get_remote_odb(name, command="check-data")
    except DvcException as error:
        raise RemoteCheckError(f"cannot check the DVC remote: {one_line(error)}") from None
    label = describe(repo, remote)
    why = probe(remote, timeout_s)
    if why is not None:
        raise RemoteCheckError(
            f"cannot reach DVC remote {label}: {why}; check that the server runs, the network "
            "and the credentials, then run check-data again"
        )
    return Reached(odb, remote.name, label)


@contextmanager
def remote_failures(label: str) -> Iterator[None]:
    """Any failure of the remote inside, raised as one RemoteCheckError naming it."""
    try:
        yield
    except Exception as error:  # gcsfs, aiohttp and google-auth errors alike
        raise RemoteCheckError(
            f"lost DVC remote {label} during the check: {type(error).__name__}: {one_line(error)}"
        ) from None


def missing_oids(odb: HashFileDB, oids: Iterable[str], progress: Callback) -> set[str]:
    """The objects of `oids` that `odb` lacks, looked up in parallel, each counted by `progress`."""
    oids = sorted(set(oids))
    present = odb.fs.exists([odb.oid_to_path(oid) for oid in oids], callback=progress)
    return {oid for oid, there in zip(oids, present, strict=True) if not there}


class Progress(Callback):
    """How many of `size` objects are done (an fsspec Callback, as DVC's filesystems update it).

    While open, a thread writes `check-data: DOING N of SIZE objects on remote 'NAME' (T s)` on
    stderr once `after_s` seconds have passed and then every `every_s`; closing writes the last
    count when the check took `after_s` or more.
    """

    def __init__(
        self,
        doing: str,
        remote: str,
        size: int,
        after_s: float = PROGRESS_AFTER_S,
        every_s: float = PROGRESS_EVERY_S,
    ) -> None:
        super().__init__(size=size)
        self.doing, self.remote = doing, remote
        self.after_s, self.every_s = after_s, every_s
        self._closed = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._tick, name="progress", daemon=True)

    def line(self) -> str:
        """What is done so far, and for how long the check has run."""
        elapsed = time.monotonic() - self._started
        return (
            f"check-data: {self.doing} {self.value} of {self.size} objects on remote "
            f"{self.remote!r} ({elapsed:.0f} s)"
        )

    def _tick(self) -> None:
        wait = self.after_s
        while not self._closed.wait(wait):
            print(self.line(), file=sys.stderr, flush=True)
            wait = self.every_s

    def __enter__(self) -> Self:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self._closed.set()
        self._thread.join()
        if kind is None and time.monotonic() - self._started >= self.after_s:
            print(self.line(), file=sys.stderr, flush=True)
