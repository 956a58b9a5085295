"""Tooling around the code: remotes, versions, the lock, plots page, PR workflow, bench, layout."""
