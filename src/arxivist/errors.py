"""The base of every error that is the user's to fix (bad params, bad input, missing data)."""


class ArxivistError(Exception):
    """Reported as one clear line by the stages and the CLI, without a traceback."""
