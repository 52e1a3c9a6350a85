# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Configuration of the Compact Convolutional Transformer (CCT; Hassani et al., 2021, "Escaping the Big Data
Paradigm with Compact Transformers"), the transformer baseline of AMSRA-Net."""

from __future__ import annotations

from transformers import PreTrainedConfig

from .configuration_common import VersionedConfigMixin, as_tuple
from .losses import LossSettings, validate_classification_loss_settings


class CctConfig(VersionedConfigMixin, LossSettings, PreTrainedConfig):
    r"""
    [`CctConfig`] of a Compact Convolutional Transformer for small images. The defaults are CCT-7/3x1, the paper's
    CIFAR model: a convolutional tokenizer of one 3x3 convolution (stride 1, no bias) + ReLU + 3x3 max-pool (stride
    2), so a 32x32 image gives 16x16 = 256 tokens (28x28: 196), a learnable positional embedding, 7 transformer
    encoder layers of width 256 with 4 heads and an MLP ratio of 2 (stochastic depth up to 0.1, attention dropout
    0.1), a final LayerNorm, sequence pooling (a learned softmax weighting of the tokens instead of a class token)
    and a linear classifier: 3.7M parameters for 10 classes at 32x32.

    Args:
        num_channels (`int`, *optional*, defaults to 3):
            Channels of the input images (3 for CIFAR-10, 1 for Fashion-MNIST).
        image_size (`int`, *optional*, defaults to 32):
            Side of the (square) input images; it fixes the number of tokens of the positional embedding.
        hidden_size (`int`, *optional*, defaults to 256):
            Width of the tokens (the tokenizer's output channels) and of every encoder layer.
        num_hidden_layers (`int`, *optional*, defaults to 7):
            Transformer encoder layers.
        num_attention_heads (`int`, *optional*, defaults to 4):
            Attention heads; must divide `hidden_size`.
        mlp_ratio (`float`, *optional*, defaults to 2.0):
            Width of each layer's MLP as a multiple of `hidden_size`.
        tokenizer_kernel_size (`int`, *optional*, defaults to 3):
            Kernel of the tokenizer's convolution (odd; stride 1 and "same" padding, as CCT-7/3x1).
        tokenizer_pool (`bool`, *optional*, defaults to `True`):
            3x3 max-pooling with stride 2 after the convolution (a quarter of the tokens).
        attention_dropout (`float`, *optional*, defaults to 0.1):
            Dropout on the attention weights.
        hidden_dropout_prob (`float`, *optional*, defaults to 0.0):
            Dropout after the positional embedding and on each branch's output.
        drop_path_rate (`float`, *optional*, defaults to 0.1):
            Stochastic depth of the last layer; layer `i` drops its branches with `drop_path_rate * i / (L - 1)`.
        layer_norm_eps (`float`, *optional*, defaults to 1e-5):
            Epsilon of every LayerNorm.
        classification_loss (`str`, *optional*, defaults to `"label_smoothing"`):
            As `AmsdffConfig`'s, with the other loss arguments (`loss_weights`, `focal_gamma`, `focal_alpha`,
            `label_smoothing` 0.1, `regression_loss`, `huber_delta`); label smoothing 0.1 is the paper's recipe.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Standard deviation of the truncated-normal initialisation of the linear layers (the positional embedding:
            0.2, as in the paper's code).
    """

    model_type = "cct"

    num_channels: int = 3
    image_size: int = 32
    hidden_size: int = 256
    num_hidden_layers: int = 7
    num_attention_heads: int = 4
    mlp_ratio: float = 2.0
    tokenizer_kernel_size: int = 3
    tokenizer_pool: bool = True
    attention_dropout: float = 0.1
    hidden_dropout_prob: float = 0.0
    drop_path_rate: float = 0.1
    layer_norm_eps: float = 1e-5
    classification_loss: str = "label_smoothing"  # the other loss arguments: `LossSettings`' defaults
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs):
        for name in ("loss_weights", "focal_alpha"):
            setattr(self, name, as_tuple(getattr(self, name)))
        super().__post_init__(**kwargs)
        self._validate_cct()

    def num_tokens(self) -> int:
        """Tokens per image: the convolution keeps the side ("same" padding), the max-pool halves it (rounding up)."""
        side = self.image_size
        return ((side + 1) // 2) ** 2 if self.tokenizer_pool else side**2

    def _validate_cct(self) -> None:
        def fail(name, allowed, value):
            raise ValueError(f"CctConfig: `{name}` must be {allowed}, got {value!r}.")

        if self.num_channels < 1:
            fail("num_channels", "a positive integer", self.num_channels)
        if self.image_size < 4:
            fail("image_size", "at least 4", self.image_size)
        if self.hidden_size < 1 or self.num_attention_heads < 1 or self.hidden_size % self.num_attention_heads:
            fail(
                "num_attention_heads",
                f"a positive divisor of hidden_size {self.hidden_size}",
                self.num_attention_heads,
            )
        if self.num_hidden_layers < 1:
            fail("num_hidden_layers", "a positive integer", self.num_hidden_layers)
        if not self.mlp_ratio > 0:
            fail("mlp_ratio", "> 0", self.mlp_ratio)
        if self.tokenizer_kernel_size < 1 or self.tokenizer_kernel_size % 2 == 0:
            fail("tokenizer_kernel_size", "an odd positive integer", self.tokenizer_kernel_size)
        for name in ("attention_dropout", "hidden_dropout_prob", "drop_path_rate"):
            if not 0.0 <= getattr(self, name) < 1.0:
                fail(name, "in [0, 1)", getattr(self, name))
        validate_classification_loss_settings(self)


__all__ = ["CctConfig"]
