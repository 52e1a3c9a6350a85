# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""The three regression heads of the emotion-regression seed: base MLP, gated ("Gated BERT") and mixture of experts.

Each takes a pooled feature vector `(batch, in_features)` and knows nothing of the body that made it: a text
encoder's pooled output today, an image network's pooled features just as well. Travels with the models that import
it; imports only torch.
"""

from __future__ import annotations

import torch
from torch import nn

from .losses import load_balance_loss


GATE_ACTIVATIONS = ("scaled_softmax", "scaled_sigmoid", "softmax", "sigmoid")


class RegressionHead(nn.Module):
    """Regression head of the emotion-regression seed: Dropout -> Linear(H, H/2) -> LayerNorm -> ReLU -> Dropout ->
    Linear(H/2, H/4) -> LayerNorm -> ReLU -> Dropout -> Linear(H/4, num_outputs)."""

    def __init__(self, in_features: int, num_outputs: int, dropout: float = 0.3):
        super().__init__()
        half, quarter = max(in_features // 2, 1), max(in_features // 4, 1)
        self.layers = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(in_features, half),
            nn.LayerNorm(half),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(half, quarter),
            nn.LayerNorm(quarter),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(quarter, num_outputs),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(features)  # (bs, num_outputs)


class GatedRegressionHead(nn.Module):
    """Gated head of the seed: `prediction = base(x) * gate(x)`, gate = activation(Linear(256, out)(Dropout(ReLU(
    Linear(H, 256)(x)))))`. Activations: `"scaled_softmax"` (`num_outputs * softmax` over the outputs: the seed's
    softmax, scaled so that a uniform gate is 1), `"softmax"` as the seed states (a uniform gate is `1 / num_outputs`,
    which scales every prediction down), `"scaled_sigmoid"` (`2 * sigmoid`: an independent gate per output in (0, 2)
    that is 1 at the start) or `"sigmoid"` (an independent gate per output in (0, 1), 0.5 at the start).

    The gate's last Linear starts at zero, so the gate starts uniform: with `"scaled_softmax"` and `"scaled_sigmoid"`
    the head starts as its base head. Returns the gated prediction and the gate values.
    """

    def __init__(
        self,
        in_features: int,
        num_outputs: int,
        dropout: float = 0.3,
        gate_hidden_size: int = 256,
        gate_activation: str = "scaled_softmax",
    ):
        super().__init__()
        if gate_activation not in GATE_ACTIVATIONS:
            raise ValueError(f"gate_activation must be one of {GATE_ACTIVATIONS}, got {gate_activation!r}.")
        self.base = RegressionHead(in_features, num_outputs, dropout)
        self.gate = nn.Sequential(
            nn.Linear(in_features, gate_hidden_size),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(gate_hidden_size, num_outputs),
        )
        self.gate[-1].zero_init = True
        self.gate_activation = gate_activation

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        gate_logits = self.gate(features)  # (bs, num_outputs)
        if self.gate_activation in ("sigmoid", "scaled_sigmoid"):
            gate = torch.sigmoid(gate_logits) * (2 if self.gate_activation == "scaled_sigmoid" else 1)
        else:
            gate = gate_logits.softmax(-1)
            if self.gate_activation == "scaled_softmax":
                gate = gate * gate_logits.shape[-1]
        return self.base(features) * gate, gate


class MixtureOfExpertsRegressionHead(nn.Module):
    """Mixture-of-experts head of the seed: `num_experts` heads shaped like `RegressionHead`, mixed per example by a
    2-layer MLP router with softmax (its last Linear starts at zero: the router starts uniform); returns the
    prediction, the router logits, the router weights and the load-balance loss.

    Two options from the sparse mixture-of-experts literature, both off by default (the seed's dense softmax):
    `top_k` keeps each example's `top_k` largest router weights, renormalised to sum to 1, and zeroes the rest, so
    that an expert learns only from the examples sent to it (Shazeer et al. 2017; Mixtral); at least 2, since one
    renormalised weight is always 1 and gives the router no gradient. `noisy_gating` adds Gaussian noise to the router
    logits in training, with a standard deviation learned per example and expert (`softplus(Linear(hidden))`, 0.69 at
    the start), Shazeer et al.'s noisy gating that lets the top-k choice explore.
    """

    def __init__(
        self,
        in_features: int,
        num_outputs: int,
        num_experts: int = 4,
        dropout: float = 0.3,
        router_hidden_size: int = 256,
        top_k: int | None = None,
        noisy_gating: bool = False,
    ):
        super().__init__()
        if top_k is not None and not 2 <= top_k <= num_experts:
            raise ValueError(f"top_k must be None or between 2 and num_experts ({num_experts}), got {top_k!r}.")
        self.experts = nn.ModuleList(RegressionHead(in_features, num_outputs, dropout) for _ in range(num_experts))
        self.router = nn.Sequential(
            nn.Linear(in_features, router_hidden_size), nn.ReLU(), nn.Linear(router_hidden_size, num_experts)
        )
        self.router[-1].zero_init = True
        self.router_noise = nn.Linear(router_hidden_size, num_experts) if noisy_gating else None
        if noisy_gating:
            self.router_noise.zero_init = True  # noise standard deviation softplus(0) = 0.69 at the start
        self.top_k = top_k

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        hidden = self.router[1](self.router[0](features))  # (bs, router_hidden_size)
        router_logits = self.router[2](hidden)  # (bs, num_experts)
        if self.router_noise is not None and self.training:
            noise_scale = nn.functional.softplus(self.router_noise(hidden))
            router_logits = router_logits + torch.randn_like(router_logits) * noise_scale
        weights = router_logits.float().softmax(-1)
        if self.top_k is not None:
            kept, chosen = weights.topk(self.top_k, dim=-1)  # (bs, top_k)
            weights = torch.zeros_like(weights).scatter(-1, chosen, kept / kept.sum(-1, keepdim=True))
        predictions = torch.stack([expert(features) for expert in self.experts], dim=1)  # (bs, num_experts, out)
        mixed = (weights.unsqueeze(-1).to(predictions.dtype) * predictions).sum(1)  # (bs, out)
        return mixed, router_logits, weights, load_balance_loss(weights)


def router_z_loss(router_logits: torch.Tensor) -> torch.Tensor:
    """ST-MoE's router z-loss (Zoph et al. 2022): the mean over examples of `logsumexp(router_logits) ** 2`, which
    keeps the router's logits small (0 would need every logit at -log(num_experts))."""
    return torch.logsumexp(router_logits.float(), dim=-1).pow(2).mean()
