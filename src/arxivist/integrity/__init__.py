"""Integrity: a model folder's sha256 list and the checks of `arxivist check-data`."""
