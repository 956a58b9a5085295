"""The pipeline under DVC: stages, experiments, interruptions, reproducibility."""
