# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Configuration of the CIFAR ResNet (He et al., 2016), the baseline of AMSRA-Net."""

from __future__ import annotations

from transformers import ResNetConfig

from .configuration_common import VersionedConfigMixin


class CifarResNetConfig(VersionedConfigMixin, ResNetConfig):
    r"""
    [`ResNetConfig`] of a ResNet for small images (the CIFAR variant: a 3x3 stride-1 stem, no max-pool). The defaults
    are ResNet-18 (11.17M parameters for 10 classes): basic blocks, two per stage, 64/128/256/512 channels. Every
    argument is `ResNetConfig`'s; only these three defaults and the stem (see `modeling_cifar_resnet.py`) differ.

    Args:
        layer_type (`str`, *optional*, defaults to `"basic"`):
            `"basic"` (two 3x3 convolutions, ResNet-18/34) or `"bottleneck"` (1x1-3x3-1x1, ResNet-50 and up).
        depths (`tuple[int]`, *optional*, defaults to `(2, 2, 2, 2)`):
            Blocks per stage.
        hidden_sizes (`tuple[int]`, *optional*, defaults to `(64, 128, 256, 512)`):
            Channels of each stage.
    """

    model_type = "cifar_resnet"

    layer_type: str = "basic"
    depths: list[int] | tuple[int, ...] | None = (2, 2, 2, 2)
    hidden_sizes: list[int] | tuple[int, ...] | None = (64, 128, 256, 512)

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        # ResNetConfig checks its values only when it is saved; a wrong value should fail where it is given.
        if self.layer_type not in self.layer_types:
            raise ValueError(
                f"CifarResNetConfig: `layer_type` must be one of {self.layer_types}, got {self.layer_type!r}."
            )
        if len(self.depths) != len(self.hidden_sizes) or any(n < 1 for n in (*self.depths, *self.hidden_sizes)):
            raise ValueError(
                "CifarResNetConfig: `depths` and `hidden_sizes` must be positive integers, one of each per stage, got "
                f"{tuple(self.depths)} and {tuple(self.hidden_sizes)}."
            )
        if self.num_channels not in (1, 3):
            raise ValueError(f"CifarResNetConfig: `num_channels` must be 1 or 3, got {self.num_channels}.")


__all__ = ["CifarResNetConfig"]
