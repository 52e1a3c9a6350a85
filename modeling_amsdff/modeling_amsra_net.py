# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""PyTorch AMSRA-Net: an image classifier of four cascaded hierarchical multimodal residual attention blocks (HMRAB),
each made of multi-scale feature decouplers (MSFD) in residual units and a lightweight gated self-attention engine
(LGSA). Paper (abstract only public): CIFAR-10 95.89% vs ResNet-18 95.55%; without LGSA 89.25%; single-scale MSFD
88.80%. This implementation follows the abstract and the package SPEC; no numbers of the paper are claimed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import (
    BaseModelOutputWithPoolingAndNoAttention,
    ImageClassifierOutputWithNoAttention,
)

from .configuration_amsra_net import AmsraNetConfig
from .configuration_common import name_body_in_auto_map
from .losses import classification_loss_from_config


@dataclass
class AmsraNetImageClassifierOutput(ImageClassifierOutputWithNoAttention):
    """`ImageClassifierOutputWithNoAttention` plus `loss_components` (detached CE / focal / label-smoothing terms) for
    `LossComponentsCallback`."""

    loss_components: dict[str, torch.Tensor] | None = None


class AmsraNetConvNorm(nn.Sequential):
    """Convolution -> BatchNorm (-> ReLU)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 1,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        activation: bool = True,
    ):
        padding = dilation * (kernel_size - 1) // 2
        layers = [
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        if activation:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class AmsraNetFeatureDecoupler(nn.Module):
    """Multi-scale feature decoupler (MSFD): 1x1 projection, channel groups convolved in parallel at different
    receptive fields (kernel size / dilation per group), concatenation, 1x1 fusion + BatchNorm."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, config: AmsraNetConfig):
        super().__init__()
        groups = config.msfd_groups
        width = out_channels // groups
        if config.use_multi_scale:
            kernels, dilations = config.msfd_kernel_sizes, config.msfd_dilations
        else:  # the paper's single-scale ablation: same shape and parameters, one receptive field
            kernels, dilations = (3,) * groups, (1,) * groups
        self.project = AmsraNetConvNorm(in_channels, out_channels, 1)
        self.branches = nn.ModuleList(
            AmsraNetConvNorm(width, width, k, stride=stride, dilation=d) for k, d in zip(kernels, dilations)
        )
        self.fuse = AmsraNetConvNorm(out_channels, out_channels, 1, activation=False)
        self.groups = groups

    def forward(self, pixel_features: torch.Tensor) -> torch.Tensor:
        chunks = self.project(pixel_features).chunk(self.groups, dim=1)  # groups x (bs, C/groups, H, W)
        return self.fuse(torch.cat([branch(chunk) for branch, chunk in zip(self.branches, chunks)], dim=1))


class AmsraNetResidualUnit(nn.Module):
    """`decouplers_per_unit` MSFDs with a shortcut: two as a ResNet basic block (the default), or one, as a ResNet
    bottleneck block with a multi-scale middle (1x1 -> parallel dilated 3x3 -> 1x1; the shortcut projects when the
    shape changes)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, config: AmsraNetConfig):
        super().__init__()
        self.decoupler1 = AmsraNetFeatureDecoupler(in_channels, out_channels, stride, config)
        two = config.decouplers_per_unit == 2
        self.decoupler2 = AmsraNetFeatureDecoupler(out_channels, out_channels, 1, config) if two else None
        self.shortcut = (
            AmsraNetConvNorm(in_channels, out_channels, 1, stride=stride, activation=False)
            if stride != 1 or in_channels != out_channels
            else nn.Identity()
        )
        # With `zero_init_residual` (default: units of two MSFDs), the branch's last BatchNorm starts at zero, so
        # every unit starts as its shortcut (Goyal et al., 2017; timm's `zero_init_last`).
        (self.decoupler2 or self.decoupler1).fuse[1].zero_init = config.zero_init_last_norm()

    def forward(self, pixel_features: torch.Tensor) -> torch.Tensor:
        hidden = self.decoupler1(pixel_features)
        if self.decoupler2 is not None:
            hidden = self.decoupler2(F.relu(hidden))
        return F.relu(hidden + self.shortcut(pixel_features))


class AmsraNetGatedSelfAttention(nn.Module):
    """Lightweight gated self-attention engine (LGSA): every position attends to the whole map, with queries and keys
    of width C / `lgsa_reduction`; the keys and values come from the map average-pooled to at most
    `lgsa_key_value_size` per side (PVT's spatial-reduction attention), so the cost grows with the positions, not with
    their square. The output is scaled by a per-position sigmoid gate (suppressing background) and by a learnable
    `gamma` initialised at 0 (so the block starts as the identity), then added to the input.

    `lgsa_key_value_size=None` attends over all positions (SAGAN; the engine of configs saved before version 0.3)."""

    def __init__(self, channels: int, config: AmsraNetConfig):
        super().__init__()
        reduced = channels // config.lgsa_reduction
        self.query = nn.Conv2d(channels, reduced, 1)
        self.key = nn.Conv2d(channels, reduced, 1)
        self.value = nn.Conv2d(channels, channels, 1)
        self.gate = nn.Conv2d(channels, 1, 1) if config.use_lgsa_gate else None
        self.gamma = nn.Parameter(torch.zeros(1))
        self.key_value_size = config.lgsa_key_value_size

    def forward(self, pixel_features: torch.Tensor) -> torch.Tensor:
        bs, channels, height, width = pixel_features.shape
        context = pixel_features
        if self.key_value_size is not None and max(height, width) > self.key_value_size:
            # 1x1 convolutions commute with average pooling: pooling first computes the same keys and values,
            # cheaper.
            size = (min(height, self.key_value_size), min(width, self.key_value_size))
            context = F.adaptive_avg_pool2d(pixel_features, size)  # (bs, C, h, w)
        if self.gate is not None:  # queries and gate read the full map: one convolution computes both
            weight = torch.cat([self.query.weight, self.gate.weight])
            both = F.conv2d(pixel_features, weight, torch.cat([self.query.bias, self.gate.bias]))
            query, gate_logits = both[:, :-1], both[:, -1:]  # (bs, C/r, H, W), (bs, 1, H, W)
        else:
            query, gate_logits = self.query(pixel_features), None
        query = query.flatten(2).transpose(1, 2).unsqueeze(1)  # (bs, 1, HW, C/r)
        key = self.key(context).flatten(2).transpose(1, 2).unsqueeze(1)  # (bs, 1, hw, C/r)
        value = self.value(context).flatten(2).transpose(1, 2).unsqueeze(1)  # (bs, 1, hw, C)
        # SAGAN's attention is unscaled; scaled dot products keep the softmax well-conditioned at any width.
        attended = F.scaled_dot_product_attention(query, key, value)  # (bs, 1, HW, C)
        attended = attended.squeeze(1).transpose(1, 2).unflatten(2, (height, width))  # (bs, C, H, W), a view
        # x + gamma * gate * attention, in one pass; the gate (bs, 1, H, W) suppresses background positions
        scale = self.gamma if gate_logits is None else self.gamma * torch.sigmoid(gate_logits)
        return torch.addcmul(pixel_features, attended, scale)


class AmsraNetStage(nn.Module):
    """Hierarchical multimodal residual attention block (HMRAB): `depth` residual MSFD units, then an LGSA."""

    def __init__(self, in_channels: int, out_channels: int, depth: int, stride: int, config: AmsraNetConfig):
        super().__init__()
        self.units = nn.Sequential(
            *(
                AmsraNetResidualUnit(
                    in_channels if i == 0 else out_channels, out_channels, stride if i == 0 else 1, config
                )
                for i in range(depth)
            )
        )
        self.attention = AmsraNetGatedSelfAttention(out_channels, config) if config.use_lgsa else None

    def forward(self, pixel_features: torch.Tensor) -> torch.Tensor:
        hidden = self.units(pixel_features)
        return self.attention(hidden) if self.attention is not None else hidden


class AmsraNetPreTrainedModel(PreTrainedModel):
    config_class = AmsraNetConfig
    config: AmsraNetConfig
    base_model_prefix = "amsra_net"
    main_input_name = "pixel_values"
    input_modalities = ("image",)
    accepts_loss_kwargs = False  # mean loss: Trainer must not rescale it
    _no_split_modules = ["AmsraNetStage"]

    @torch.no_grad()
    def _init_weights(self, module: nn.Module):
        if isinstance(module, nn.Conv2d):
            init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d) and getattr(module, "zero_init", False):
            super()._init_weights(module)  # biases and running statistics as usual ...
            init.zeros_(module.weight)  # ... but the scale at zero: the residual unit starts as its shortcut
        elif isinstance(module, AmsraNetGatedSelfAttention):
            init.zeros_(module.gamma)
        else:
            super()._init_weights(module)


class AmsraNetModel(AmsraNetPreTrainedModel):
    """Stem, four HMRAB stages and global average pooling; `pooler_output` is the `(bs, hidden_sizes[-1])` feature."""

    def __init__(self, config: AmsraNetConfig):
        super().__init__(config)
        self.stem = AmsraNetConvNorm(config.num_channels, config.stem_channels, 3)
        widths = (config.stem_channels, *config.hidden_sizes)
        self.stages = nn.ModuleList(
            AmsraNetStage(widths[i], widths[i + 1], config.depths[i], 1 if i == 0 else 2, config) for i in range(4)
        )
        self.post_init()

    def forward_features(self, pixel_values: torch.Tensor, output_hidden_states: bool = False):
        if pixel_values.dim() != 4 or pixel_values.shape[1] != self.config.num_channels:
            raise ValueError(
                f"AmsraNet expects pixel_values of shape (batch, {self.config.num_channels}, height, width), got "
                f"{tuple(pixel_values.shape)}; the model was configured with num_channels={self.config.num_channels}."
            )
        if min(pixel_values.shape[-2:]) < 8:
            raise ValueError(f"AmsraNet needs images of at least 8x8 pixels, got {tuple(pixel_values.shape[-2:])}.")
        hidden = self.stem(pixel_values)
        states = [hidden] if output_hidden_states else None
        for stage in self.stages:
            hidden = stage(hidden)
            if states is not None:
                states.append(hidden)
        return hidden, states

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> BaseModelOutputWithPoolingAndNoAttention | tuple:
        if pixel_values is None:
            raise ValueError("AmsraNetModel needs `pixel_values`.")
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        hidden, states = self.forward_features(pixel_values, output_hidden_states)
        pooled = hidden.mean(dim=(2, 3))  # (bs, C)
        output = BaseModelOutputWithPoolingAndNoAttention(
            last_hidden_state=hidden, pooler_output=pooled, hidden_states=tuple(states) if states else None
        )
        return output if return_dict else output.to_tuple()


class AmsraNetForImageClassification(AmsraNetPreTrainedModel):
    """AMSRA-Net with a linear classifier on the pooled feature; computes the configured loss from `labels`."""

    def __init__(self, config: AmsraNetConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.amsra_net = AmsraNetModel(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        name_body_in_auto_map(self, AmsraNetModel)
        self.post_init()

    def forward_head(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(pooled))  # (bs, num_labels)

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> AmsraNetImageClassifierOutput | tuple:
        r"""
        labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Class indices in `[0, num_labels)` (0/1 float vectors for multi-label, floats for regression).
        """
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        outputs = self.amsra_net(pixel_values, output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.forward_head(outputs.pooler_output)
        loss = components = None
        if labels is not None:
            loss, components = classification_loss_from_config(logits, labels, self.config)
        output = AmsraNetImageClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, loss_components=components
        )
        return output if return_dict else output.to_tuple()


__all__ = ["AmsraNetModel", "AmsraNetForImageClassification", "AmsraNetPreTrainedModel"]
