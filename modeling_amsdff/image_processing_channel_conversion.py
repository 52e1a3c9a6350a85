# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""The image processor of the small-image classifiers (AMSRA-Net, the CIFAR ResNet): transformers' ViT processor
(resize, rescale, normalise with the data set's mean/std), preceded by a conversion of every image to the model's
channel count, so that a greyscale model (Fashion-MNIST) accepts colour photos and a colour model (CIFAR-10) accepts
greyscale scans. Each family names its own subclass (`image_processing_amsra_net.py`,
`image_processing_cifar_resnet.py`), which travels with this file."""

from __future__ import annotations

import numpy as np
from transformers import ImagesKwargs, ViTImageProcessorPil


class ChannelConversionKwargs(ImagesKwargs, total=False):
    """
    num_channels (`int`, *optional*, defaults to 3):
        Channels the model expects: 1 (images become greyscale, ITU-R 601 luma) or 3 (RGB; greyscale is repeated,
        an alpha channel dropped).
    """

    num_channels: int | None


class ChannelConvertingImageProcessor(ViTImageProcessorPil):
    r"""
    [`ViTImageProcessorPil`] with a channel conversion first. Defaults are the CIFAR-10 recipe: 32x32 RGB, mean
    (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616); `train.py` sets the statistics of its training data.

    Args:
        num_channels (`int`, *optional*, defaults to 3):
            Channels of the model's input (1 or 3).
        size, image_mean, image_std, ...:
            As [`ViTImageProcessorPil`]; `image_mean`/`image_std` need one value per channel.
    """

    valid_kwargs = ChannelConversionKwargs
    model_input_names = ["pixel_values"]
    num_channels = 3
    size = {"height": 32, "width": 32}
    image_mean = [0.4914, 0.4822, 0.4465]
    image_std = [0.2470, 0.2435, 0.2616]

    def __init__(self, **kwargs):
        num_channels = kwargs.get("num_channels") or self.num_channels
        if num_channels == 1:  # greyscale: the RGB defaults become their luma-weighted single values
            kwargs.setdefault("image_mean", [0.4809])
            kwargs.setdefault("image_std", [0.2466])
        super().__init__(**kwargs)
        for name in ("image_mean", "image_std"):
            value = getattr(self, name)
            if isinstance(value, (list, tuple)) and len(value) != num_channels:
                raise ValueError(
                    f"{type(self).__name__}: {name} has {len(value)} values for {num_channels} "
                    "channel(s); give one value per channel."
                )

    def process_image(self, image, do_convert_rgb=None, input_data_format=None, **kwargs) -> np.ndarray:
        num_channels = kwargs.pop("num_channels", None) or self.num_channels
        if num_channels not in (1, 3):
            raise ValueError(f"{type(self).__name__}: num_channels must be 1 or 3, got {num_channels}.")
        if hasattr(image, "convert") and hasattr(image, "mode"):  # a PIL image: let PIL convert it
            image = image.convert("L" if num_channels == 1 else "RGB")
        image = super().process_image(image, do_convert_rgb=False, input_data_format=input_data_format, **kwargs)
        channels = image.shape[0]  # channels-first from here on
        if channels == 4:  # RGBA array: drop alpha
            image, channels = image[:3], 3
        if channels == num_channels:
            return image
        if channels == 3 and num_channels == 1:
            luma = np.array([0.299, 0.587, 0.114], dtype=np.float64).reshape(3, 1, 1)
            return (image.astype(np.float64) * luma).sum(0, keepdims=True).astype(image.dtype)
        if channels == 1 and num_channels == 3:
            return np.repeat(image, 3, axis=0)
        raise ValueError(f"{type(self).__name__}: cannot turn a {channels}-channel image into {num_channels}.")


__all__ = ["ChannelConvertingImageProcessor"]
