"""Development stand-ins for what the project talks to: a local arXiv API, GCS and Hub, a TCP fault
proxy, a tiny BERT, small snapshots and throwaway workspaces.

The tests and the benchmarks use them; `arxivist` never does. The package sits at the repository
root, outside src/, so it is not in the wheel; workspaces copied for a pipeline run leave it out.
"""
