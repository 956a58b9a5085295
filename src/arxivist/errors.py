"""The base of every error that is the user's to fix (bad params, bad input, missing data), and
the one way it is reported: `report`, called by the stage runner (arxivist.stage_runner) and the CLI
(arxivist.cli) alike. A full disk is the user's to fix too: both turn it into a DiskFull line."""

from __future__ import annotations

import errno
import os
import sys

# What a write fails with when the disk (or the user's quota) is full, and how the line says it.
_FULL = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded"}


class ArxivistError(Exception):
    """Reported as one line, `error: <message>` on stderr, without a traceback; the process then
    exits with `exit_status`."""

    exit_status = 1


class DiskFull(ArxivistError):
    """A write failed for want of space; the message names the stage or command."""


def report(err: ArxivistError) -> int:
    """Write `err` as its one line on stderr and return the exit status it asks for."""
    print(f"error: {err}", file=sys.stderr)
    return err.exit_status


def disk_full(err: BaseException) -> str:
    """What `err`, or an exception it came from, says about a full disk: "no space left on
    device" or "disk quota exceeded", with the file being written when it is known; "" when it
    is about something else. An OSError carries the errno; pyarrow's OSError (errno sometimes
    None) and safetensors' SafetensorError only quote the system's message."""
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        for number, reason in _FULL.items():
            if getattr(cause, "errno", None) == number or os.strerror(number) in str(cause):
                filename = getattr(cause, "filename", None)
                return f"{reason} (writing {filename})" if filename else reason
        cause = cause.__cause__ or cause.__context__
    return ""
