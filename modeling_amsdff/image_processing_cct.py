# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Image processor of the Compact Convolutional Transformer."""

from __future__ import annotations

from .image_processing_channel_conversion import ChannelConvertingImageProcessor


class CctImageProcessor(ChannelConvertingImageProcessor):
    r"""
    Image processor of CCT: converts every image to the model's `num_channels` (1: greyscale, 3: RGB), resizes,
    rescales and normalises it. See [`ChannelConvertingImageProcessor`] for the arguments; the defaults are
    CIFAR-10's (32x32 RGB and its mean/std), and `train.py` saves the size and statistics of its own training images.
    """


__all__ = ["CctImageProcessor"]
