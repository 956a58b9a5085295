"""The pipeline's stage scripts: one module per dvc.yaml stage, run as `python -m stages.<name>`."""
