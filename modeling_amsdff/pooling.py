# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Masked pooling over the token axis, shared by the text families (padding never counts). Travels with the text
models that import it; imports only torch."""

from __future__ import annotations

import torch


def masked_mean(hidden_states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the sequence axis of `(bs, seq_len, dim)` states, counting only positions where `mask` is 1."""
    mask = mask.unsqueeze(-1).to(hidden_states.dtype)  # (bs, seq_len, 1)
    return (hidden_states * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def masked_max(hidden_states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over the sequence axis of `(bs, seq_len, dim)` states, ignoring positions where `mask` is 0."""
    fill = torch.finfo(hidden_states.dtype).min
    masked = hidden_states.masked_fill(~mask.bool().unsqueeze(-1), fill)
    return masked.max(dim=1).values
