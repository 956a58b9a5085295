"""arxivist: a data-versioned DVC pipeline that classifies arXiv abstracts by topic."""

__version__ = "0.1.0"
