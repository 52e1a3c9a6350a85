# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""AMSDFF's revision-1 modules (versions 0.1-0.2: post-norm residual branches, one full-width pointwise convolution
per scale fused by a query projection, separate experts), kept apart from today's architecture in
`modeling_amsdff.py` so that the models those versions saved load and give the outputs they were trained to give
(`AmsdffConfig(architecture_revision=1)`, which an unversioned saved config without `architecture_revision` reads as;
see `configuration_common.py`). Ships with every AMSDFF model, since the import walk cannot tell which it needs."""

from __future__ import annotations

import math

import torch
from torch import nn

from .configuration_amsdff import AmsdffConfig
from .losses import load_balance_loss
from .pooling import masked_mean


class AmsdffScaleBranch(nn.Module):
    """Revision 1: one scale of the multi-scale attention module: depthwise conv (kernel k) over tokens, then
    pointwise conv."""

    def __init__(self, hidden_size: int, kernel_size: int):
        super().__init__()
        self.depthwise = nn.Conv1d(
            hidden_size, hidden_size, kernel_size, padding=kernel_size // 2, groups=hidden_size, bias=False
        )
        # A 1x1 convolution over channels; nn.Linear on the (bs, seq_len, dim) layout is the same map, and faster.
        self.pointwise = nn.Linear(hidden_size, hidden_size)
        self.LayerNorm = nn.LayerNorm(hidden_size)
        self.act = nn.GELU()

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        # hidden_states: (bs, seq_len, dim), padding already zeroed
        features = self.depthwise(hidden_states.transpose(1, 2)).transpose(1, 2)  # (bs, seq_len, dim)
        return self.act(self.LayerNorm(self.pointwise(features)))


class AmsdffMultiScaleAttentionRevision1(nn.Module):
    """Revision 1 (the 0.1-0.2 module, kept so that their saved models load): scale branches fused by attention.

    At each position the token's state is the query and the `len(scales)` scale features are the keys and values of a
    multi-head attention; its output goes through a projection, dropout, a residual connection and LayerNorm.
    Padding positions are zeroed before the convolutions, so a real token never sees a padding token's state.
    """

    def __init__(self, config: AmsdffConfig):
        super().__init__()
        hidden = config.hidden_size
        self.num_heads = config.num_scale_attention_heads
        self.head_dim = hidden // self.num_heads
        self.branches = nn.ModuleList(AmsdffScaleBranch(hidden, k) for k in config.scales)
        self.query = nn.Linear(hidden, hidden)
        self.output = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.LayerNorm = nn.LayerNorm(hidden)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        bs, seq_len, dim = hidden_states.shape
        mask = attention_mask.unsqueeze(-1).to(hidden_states.dtype)  # (bs, seq_len, 1)
        masked = hidden_states * mask
        scale_features = torch.stack([branch(masked) for branch in self.branches], dim=2)  # (bs, seq_len, S, dim)
        keys = scale_features.view(bs, seq_len, -1, self.num_heads, self.head_dim)  # (bs, seq_len, S, h, d)
        query = self.query(hidden_states).view(bs, seq_len, self.num_heads, self.head_dim)  # (bs, seq_len, h, d)
        scores = torch.einsum("bthd,btshd->bths", query, keys) / math.sqrt(self.head_dim)  # (bs, seq_len, h, S)
        probs = self.dropout(scores.softmax(dim=-1))
        fused = torch.einsum("bths,btshd->bthd", probs, keys).reshape(bs, seq_len, dim)  # (bs, seq_len, dim)
        return self.LayerNorm(hidden_states + self.dropout(self.output(fused))) * mask


class AmsdffExpert(nn.Module):
    """Revision 1: one expert of the dynamic fusion module: Linear -> GELU -> dropout -> Linear, position-wise."""

    def __init__(self, dim: int, intermediate_size: int, dropout: float = 0.1):
        super().__init__()
        self.fc1 = nn.Linear(dim, intermediate_size)
        self.act = nn.GELU()
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(intermediate_size, dim)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.dropout(self.act(self.fc1(hidden_states))))


class AmsdffDynamicFusionRevision1(nn.Module):
    """Revision 1 (the 0.1-0.2 module, kept so that their saved models load): MLP experts mixed by a learned gate.

    The gate is a softmax over experts computed per example from the masked mean of the sequence (the reference code
    averaged over padding too); each expert is applied to every token; the mixture is added back with LayerNorm.
    """

    def __init__(self, config: AmsdffConfig):
        super().__init__()
        hidden = config.hidden_size
        intermediate = config.expert_size()
        self.gate = nn.Linear(hidden, config.num_experts)
        self.experts = nn.ModuleList(
            AmsdffExpert(hidden, intermediate, config.hidden_dropout_prob) for _ in range(config.num_experts)
        )
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.LayerNorm = nn.LayerNorm(hidden)

    def forward(
        self, hidden_states: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns the fused states, the gate's logits and the (unweighted) load-balance loss of its weights."""
        router_logits = self.gate(masked_mean(hidden_states, attention_mask))  # (bs, num_experts)
        weights = router_logits.float().softmax(dim=-1)
        mixed = torch.zeros_like(hidden_states)
        for index, expert in enumerate(self.experts):
            mixed = mixed + weights[:, index, None, None].to(hidden_states.dtype) * expert(hidden_states)
        return self.LayerNorm(hidden_states + self.dropout(mixed)), router_logits, load_balance_loss(weights)


__all__ = ["AmsdffDynamicFusionRevision1", "AmsdffMultiScaleAttentionRevision1"]
