"""Where papers come from: the arXiv API (its queries and client) and bulk-metadata snapshots."""
