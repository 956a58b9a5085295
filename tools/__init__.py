"""Development tools that keep files in step with the code (run from the repository root)."""
