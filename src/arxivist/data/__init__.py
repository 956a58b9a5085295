"""Data: papers and ids, their sources, de-duplication, the later set, splits, tokenization."""
