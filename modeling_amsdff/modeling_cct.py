# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""The Compact Convolutional Transformer (Hassani et al., 2021, "Escaping the Big Data Paradigm with Compact
Transformers", arXiv:2104.05704), CCT-7/3x1 by default: the transformer baseline of AMSRA-Net, as in its paper's
comparison. Written from the paper's description of its CIFAR models; the layer layout follows the authors' released
code (attention on the normalised stream, the stream normalised again before the MLP).

Imports only torch, public transformers API and this package's shared files.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutputWithPooling, ImageClassifierOutputWithNoAttention

from .configuration_cct import CctConfig
from .configuration_common import name_body_in_auto_map
from .losses import classification_loss_from_config


@dataclass
class CctImageClassifierOutput(ImageClassifierOutputWithNoAttention):
    """`ImageClassifierOutputWithNoAttention` plus `loss_components` (detached CE / focal / label-smoothing terms) for
    `LossComponentsCallback`."""

    loss_components: dict[str, torch.Tensor] | None = None


class CctTokenizer(nn.Module):
    """Convolutional tokenizer: conv (k x k, stride 1, "same", no bias) -> ReLU -> 3x3 max-pool, stride 2; each
    position of the map becomes a token."""

    def __init__(self, config: CctConfig):
        super().__init__()
        kernel = config.tokenizer_kernel_size
        self.convolution = nn.Conv2d(config.num_channels, config.hidden_size, kernel, padding=kernel // 2, bias=False)
        self.activation = nn.ReLU()
        self.pool = nn.MaxPool2d(3, stride=2, padding=1) if config.tokenizer_pool else nn.Identity()

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        # pixel_values: (bs, C, H, W)
        features = self.pool(self.activation(self.convolution(pixel_values)))  # (bs, D, H', W')
        return features.flatten(2).transpose(1, 2)  # (bs, H'W', D)


class CctAttention(nn.Module):
    """Multi-head self-attention over the tokens (`scaled_dot_product_attention`), no bias on the query/key/value."""

    def __init__(self, config: CctConfig):
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size, bias=False)
        self.proj = nn.Linear(config.hidden_size, config.hidden_size)
        self.attention_dropout = config.attention_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        bs, tokens, dim = hidden_states.shape
        qkv = self.qkv(hidden_states).view(bs, tokens, 3, self.num_heads, dim // self.num_heads)
        query, key, value = qkv.permute(2, 0, 3, 1, 4)  # each (bs, heads, tokens, head_dim)
        dropout = self.attention_dropout if self.training else 0.0
        attended = nn.functional.scaled_dot_product_attention(query, key, value, dropout_p=dropout)
        return self.dropout(self.proj(attended.transpose(1, 2).reshape(bs, tokens, dim)))  # (bs, tokens, dim)


class CctDropPath(nn.Module):
    """Stochastic depth: in training, drops a residual branch for a whole example with probability `rate`."""

    def __init__(self, rate: float):
        super().__init__()
        self.rate = rate

    def forward(self, branch: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0.0:
            return branch
        keep = torch.rand(branch.shape[0], 1, 1, device=branch.device) >= self.rate
        return branch * keep.to(branch.dtype) / (1.0 - self.rate)


class CctLayer(nn.Module):
    """One encoder layer as the authors' code writes it: x + attention(LayerNorm(x)), normalised, then + MLP."""

    def __init__(self, config: CctConfig, drop_path: float):
        super().__init__()
        inner = int(config.hidden_size * config.mlp_ratio)
        self.pre_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention = CctAttention(config)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.fc1 = nn.Linear(config.hidden_size, inner)
        self.activation = nn.GELU()
        self.fc2 = nn.Linear(inner, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.drop_path = CctDropPath(drop_path)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        hidden_states = self.norm(hidden_states + self.drop_path(self.attention(self.pre_norm(hidden_states))))
        mlp = self.fc2(self.dropout(self.activation(self.fc1(hidden_states))))
        return hidden_states + self.drop_path(self.dropout(mlp))


class CctPreTrainedModel(PreTrainedModel):
    config_class = CctConfig
    config: CctConfig
    base_model_prefix = "cct"
    main_input_name = "pixel_values"
    input_modalities = ("image",)
    accepts_loss_kwargs = False  # mean loss: Trainer must not rescale it
    _no_split_modules = ["CctLayer"]

    @torch.no_grad()
    def _init_weights(self, module: nn.Module):
        """As the paper's code: truncated-normal linear layers (std `initializer_range`) with zero biases, Kaiming
        convolutions, LayerNorms at one and zero, the positional embedding truncated-normal with std 0.2."""
        if isinstance(module, nn.Linear):
            init.trunc_normal_(module.weight, std=self.config.initializer_range)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, nn.Conv2d):
            init.kaiming_normal_(module.weight)
        elif isinstance(module, nn.LayerNorm):
            init.ones_(module.weight)
            init.zeros_(module.bias)
        elif isinstance(module, CctModel):
            init.trunc_normal_(module.position_embeddings, std=0.2)


class CctModel(CctPreTrainedModel):
    """Tokenizer, positional embedding, encoder layers, LayerNorm and sequence pooling; `pooler_output` is the
    `(bs, hidden_size)` feature, `last_hidden_state` the `(bs, tokens, hidden_size)` tokens."""

    def __init__(self, config: CctConfig):
        super().__init__(config)
        self.tokenizer = CctTokenizer(config)
        self.position_embeddings = nn.Parameter(torch.zeros(1, config.num_tokens(), config.hidden_size))
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        last = max(config.num_hidden_layers - 1, 1)
        self.layers = nn.ModuleList(
            CctLayer(config, config.drop_path_rate * index / last) for index in range(config.num_hidden_layers)
        )
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention_pool = nn.Linear(config.hidden_size, 1)  # sequence pooling: one score per token
        self.post_init()

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> BaseModelOutputWithPooling | tuple:
        if pixel_values is None:
            raise ValueError("CctModel needs `pixel_values`.")
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        tokens = self.tokenizer(pixel_values)  # (bs, T, D)
        if tokens.shape[1] != self.position_embeddings.shape[1]:
            raise ValueError(
                f"CctModel was built for {self.config.image_size}x{self.config.image_size} images "
                f"({self.position_embeddings.shape[1]} tokens); these give {tokens.shape[1]} tokens "
                f"({pixel_values.shape[-2]}x{pixel_values.shape[-1]} images): resize them with the model's processor."
            )
        hidden_states = self.dropout(tokens + self.position_embeddings)
        states = [hidden_states] if output_hidden_states else None
        for layer in self.layers:
            hidden_states = layer(hidden_states)
            if states is not None:
                states.append(hidden_states)
        hidden_states = self.norm(hidden_states)
        weights = self.attention_pool(hidden_states).softmax(dim=1)  # (bs, T, 1)
        pooled = (weights * hidden_states).sum(dim=1)  # (bs, D)
        output = BaseModelOutputWithPooling(
            last_hidden_state=hidden_states, pooler_output=pooled, hidden_states=tuple(states) if states else None
        )
        return output if return_dict else output.to_tuple()


class CctForImageClassification(CctPreTrainedModel):
    """CCT with a linear classifier on the sequence-pooled feature; computes the configured loss from `labels`."""

    def __init__(self, config: CctConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.cct = CctModel(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        name_body_in_auto_map(self, CctModel)
        self.post_init()

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> CctImageClassifierOutput | tuple:
        r"""
        labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Class indices in `[0, num_labels)` (0/1 float vectors for multi-label, floats for regression).
        """
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        outputs = self.cct(pixel_values, output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.classifier(outputs.pooler_output)  # (bs, num_labels)
        loss = components = None
        if labels is not None:
            loss, components = classification_loss_from_config(logits, labels, self.config)
        output = CctImageClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, loss_components=components
        )
        return output if return_dict else output.to_tuple()


__all__ = ["CctModel", "CctForImageClassification", "CctPreTrainedModel"]
