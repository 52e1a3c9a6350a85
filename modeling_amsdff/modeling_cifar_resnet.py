# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""ResNet-18 for 32x32 images (He et al., 2016; the CIFAR variant of the AMSRA-Net paper's comparison): transformers'
own ResNet blocks and heads, with the ImageNet stem (7x7 stride-2 convolution + max-pool, which would shrink a 32x32
image to 8x8 at once) replaced by a 3x3 stride-1 convolution + BatchNorm + ReLU. 11.17M parameters for 10 classes.
"""

from __future__ import annotations

from torch import nn
from transformers import ResNetForImageClassification, ResNetModel

from .configuration_cifar_resnet import CifarResNetConfig
from .configuration_common import name_body_in_auto_map


def _cifar_stem(config: CifarResNetConfig) -> nn.Module:
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


class CifarResNetForImageClassification(ResNetForImageClassification):
    config_class = CifarResNetConfig

    def __init__(self, config: CifarResNetConfig):
        super().__init__(config)
        # The parent built an ImageNet-stem body; swap in the CIFAR one (a construction-time cost only).
        self.resnet = CifarResNetModel(config)
        name_body_in_auto_map(self, CifarResNetModel)
        self.post_init()


__all__ = ["CifarResNetModel", "CifarResNetForImageClassification"]
