# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""ResNet-18 for 32x32 images (He et al., 2016; the CIFAR variant of the AMSRA-Net paper's comparison): transformers'
own ResNet blocks and heads, with the ImageNet stem (7x7 stride-2 convolution + max-pool, which would shrink a 32x32
image to 8x8 at once) replaced by a 3x3 stride-1 convolution + BatchNorm + ReLU. 11.17M parameters for 10 classes.
"""

from __future__ import annotations

from torch import nn
from transformers import ResNetConfig, ResNetForImageClassification, ResNetModel

from .shared_layers import BodyAutoMapMixin


class CifarResNetConfig(ResNetConfig):
    r"""
    [`ResNetConfig`] for the CIFAR stem; defaults are ResNet-18 (basic blocks, depths (2, 2, 2, 2), widths 64-512).
    All arguments are `ResNetConfig`'s; only the stem differs from transformers' ResNet.
    """

    model_type = "cifar_resnet"


def _cifar_stem(config: ResNetConfig) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(config.num_channels, config.embedding_size, kernel_size=3, stride=1, padding=1, bias=False),
        nn.BatchNorm2d(config.embedding_size),
        nn.ReLU(),
    )


class CifarResNetModel(ResNetModel):
    config_class = CifarResNetConfig

    def __init__(self, config: CifarResNetConfig):
        super().__init__(config)
        self.embedder.embedder = _cifar_stem(config)
        self.embedder.pooler = nn.Identity()
        self.post_init()


class CifarResNetForImageClassification(BodyAutoMapMixin, ResNetForImageClassification):
    config_class = CifarResNetConfig
    _body_class_name = "CifarResNetModel"

    def __init__(self, config: CifarResNetConfig):
        super().__init__(config)
        # The parent built an ImageNet-stem body; swap in the CIFAR one (a construction-time cost only).
        self.resnet = CifarResNetModel(config)
        self.post_init()


def resnet18_cifar_config(**kwargs) -> CifarResNetConfig:
    """The ResNet-18 configuration: basic blocks, two per stage, 64/128/256/512 channels."""
    defaults = dict(layer_type="basic", depths=(2, 2, 2, 2), hidden_sizes=(64, 128, 256, 512), embedding_size=64)
    defaults.update(kwargs)
    return CifarResNetConfig(**defaults)


__all__ = ["CifarResNetConfig", "CifarResNetModel", "CifarResNetForImageClassification", "resnet18_cifar_config"]
