"""How the benchmarks time work: the wall seconds of a call, and a training step of the pipeline's
model as the Trainer takes it, on a batch encoded as its collator pads one (`bench.time_to_quality`
times the seed recipe's steps with them)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import torch


def encode_batch(
    rows: pd.DataFrame, tokenizer: Any, max_length: int, device: str
) -> dict[str, torch.Tensor]:
    """The rows' abstracts truncated at `max_length`, padded to the longest, with their labels."""
    encoded = tokenizer(
        rows["abstract"].tolist(),
        truncation=True,
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )
    encoded["labels"] = torch.tensor(rows["label"].to_numpy())
    return dict(encoded.to(device))


def train_step(
    model: Any,
    optimizer: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
) -> None:
    """Forward (under `autocast()`), backward, clip the gradient norm at 1 and step AdamW, as the
    Trainer does."""
    with autocast():
        loss = model(**batch).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad()


def timed(work: Callable[[], Any], device: str = "cpu") -> tuple[float, Any]:
    """Wall seconds of `work()` and its result; on CUDA the queue is drained at both ends."""
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    value = work()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, value
