"""Evaluation: metrics, bootstraps, baselines, evaluation sets, reports, `arxivist compare`."""
