"""The base of every error that is the user's to fix (bad params, bad input, missing data), and
the one way it is reported: `report`, called by the stage runner (arxivist.stage) and the CLI
(arxivist.cli) alike."""

import sys


class ArxivistError(Exception):
    """Reported as one line, `error: <message>` on stderr, without a traceback; the process then
    exits with `exit_status`."""

    exit_status = 1


def report(err: ArxivistError) -> int:
    """Write `err` as its one line on stderr and return the exit status it asks for."""
    print(f"error: {err}", file=sys.stderr)
    return err.exit_status
