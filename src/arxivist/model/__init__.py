"""Model: checkpoints, compute and devices, processes, training, inference, `arxivist predict`."""
