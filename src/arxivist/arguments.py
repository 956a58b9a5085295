"""Argument types for command lines: what `arxivist` commands and the benchmarks parse alike."""

from __future__ import annotations

import argparse


def positive_int(value: str) -> int:
    """A positive integer command-line value (argparse `type=`)."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}")
    return number
