# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""AMSRA-Net model configuration."""

from __future__ import annotations

from transformers import PreTrainedConfig

from .configuration_common import VersionedConfigMixin, as_tuple
from .losses import LossSettings, validate_classification_loss_settings


class AmsraNetConfig(VersionedConfigMixin, LossSettings, PreTrainedConfig):
    r"""
    Configuration of AMSRA-Net, an image classifier built from four cascaded hierarchical multimodal residual attention
    blocks (HMRAB), one per stage. Each HMRAB stacks `depths[i]` residual units made of multi-scale feature decouplers
    (MSFD: channel groups convolved at different receptive fields in parallel, then fused) and ends with a
    lightweight gated self-attention engine (LGSA: self-attention over positions with reduced query/key width, scaled
    by a learned sigmoid gate before the residual add). No code or full text of the paper is public; this follows its
    abstract and the design in the package's SPEC (SAGAN-style attention, MixConv/EPSANet-style decoupler).

    Args:
        num_channels (`int`, *optional*, defaults to 3):
            Channels of the input images (3 for CIFAR-10, 1 for Fashion-MNIST).
        image_size (`int`, *optional*, defaults to 32):
            Side of the (square) input images the model is built for. Inputs must have at least 8 pixels per side
            (three stride-2 stages); other sizes work, since pooling is global.
        stem_channels (`int`, *optional*, defaults to 64):
            Channels of the 3x3 stem convolution (stride 1, no max-pool: the CIFAR recipe).
        hidden_sizes (`tuple[int]`, *optional*, defaults to `(64, 128, 256, 512)`):
            Channels of the four stages; stages 2-4 halve the resolution (32 -> 32, 16, 8, 4 for 32x32 inputs).
        depths (`tuple[int]`, *optional*, defaults to `(2, 2, 2, 2)`):
            Residual MSFD units per stage (each unit: `decouplers_per_unit` MSFDs and a shortcut).
        decouplers_per_unit (`int`, *optional*, defaults to 1):
            MSFDs per residual unit: 1, a bottleneck block with a multi-scale middle (1x1, parallel dilated 3x3s,
            1x1: three convolutions deep), or 2, a ResNet basic block of MSFDs (six deep; the design before version
            0.3). On Fashion-MNIST after 94 steps (benchmarks/image_recipe.py) one MSFD per unit reached 0.768 test
            accuracy at 1.6x the images/s of two (0.738), with 3.42M parameters instead of 6.39M.
        msfd_groups (`int`, *optional*, defaults to 4):
            Channel groups of each MSFD, each convolved at its own receptive field; must divide every stage width.
        msfd_kernel_sizes (`tuple[int]`, *optional*, defaults to `(3, 3, 3, 3)`):
            Kernel size per group (odd).
        msfd_dilations (`tuple[int]`, *optional*, defaults to `(1, 2, 3, 4)`):
            Dilation per group: receptive fields 3, 5, 7, 9 with 3x3 kernels at the cost of 3x3 kernels.
        use_multi_scale (`bool`, *optional*, defaults to `True`):
            `False` is the paper's "single-scale MSFD" ablation: every group uses a 3x3 kernel without dilation, so the
            network keeps its shape and parameter count and only loses the multiple receptive fields.
        use_lgsa (`bool`, *optional*, defaults to `True`):
            `False` is the paper's "no LGSA" ablation: the attention engines are left out.
        lgsa_reduction (`int`, *optional*, defaults to 8):
            Query/key width is `channels // lgsa_reduction` (SAGAN uses 8).
        lgsa_key_value_size (`int`, *optional*, defaults to 8):
            Keys and values of the LGSA come from the stage's map average-pooled to at most this many positions per
            side (spatial-reduction attention), so attention costs `HW x size^2` instead of `(HW)^2`; `None` attends
            over all positions (SAGAN). Configs saved before version 0.3 have no such key and no package version: they
            are read as `None`, the engine they were trained with (`configuration_common.py`).
        use_lgsa_gate (`bool`, *optional*, defaults to `True`):
            Scale the attention output by a learned per-position sigmoid gate (1x1 convolution) before the residual
            add; `False` keeps only SAGAN's learnable scalar `gamma` (initialised at 0).
        zero_init_residual (`bool`, *optional*):
            Start the last BatchNorm of every residual unit at zero, so that each unit starts as its shortcut
            (torchvision's `zero_init_residual`). Default (`None`): for units of two MSFDs only. Units of two need it
            (without it they reached 0.611 instead of 0.704 after 94 AdamW steps, and SGD at lr 0.1 diverged); units
            of one do better without it (0.746 vs 0.677 at lr 2e-3), since AdamW grows a zero scale by about one
            learning rate per step.
        classifier_dropout (`float`, *optional*, defaults to 0.0):
            Dropout before the final Linear.
        classification_loss (`str`, *optional*, defaults to `"label_smoothing"`):
            `"cross_entropy"`, `"focal"`, `"label_smoothing"` or `"combined"` (weights `loss_weights`), as in
            `AmsdffConfig`; label smoothing 0.1 is the usual CIFAR recipe. Configs saved before version 0.2 call it
            `loss_type`; that key is still read.
        loss_weights (`tuple[float]`, *optional*, defaults to `(0.4, 0.4, 0.2)`):
            Weights of CE, focal and label-smoothing terms for `classification_loss="combined"`.
        focal_gamma (`float`, *optional*, defaults to 2.0):
            Focusing parameter of the focal loss.
        focal_alpha (`float` or `tuple[float]`, *optional*):
            Class weights of the focal loss: one per label, or a single float for all; `None` weights classes equally.
        label_smoothing (`float`, *optional*, defaults to 0.1):
            Smoothing of the label-smoothing term, in `[0, 1)`.
        regression_loss (`str`, *optional*, defaults to `"mse"`):
            Loss when `problem_type="regression"` (or `num_labels=1`): `"mse"` or `"huber"`.
        huber_delta (`float`, *optional*, defaults to 1.0):
            Threshold of the Huber loss.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Standard deviation of the normal initialiser of the classifier; convolutions use Kaiming (fan-out)
            initialisation as ResNets do.
    """

    model_type = "amsra_net"
    renamed_arguments = {"loss_type": "classification_loss"}  # configs saved by 0.1
    keys_to_ignore_at_inference = ["hidden_states", "loss_components"]

    num_channels: int = 3
    image_size: int = 32
    stem_channels: int = 64
    hidden_sizes: list[int] | tuple[int, ...] = (64, 128, 256, 512)
    depths: list[int] | tuple[int, ...] = (2, 2, 2, 2)
    decouplers_per_unit: int = 1
    msfd_groups: int = 4
    msfd_kernel_sizes: list[int] | tuple[int, ...] = (3, 3, 3, 3)
    msfd_dilations: list[int] | tuple[int, ...] = (1, 2, 3, 4)
    use_multi_scale: bool = True
    use_lgsa: bool = True
    lgsa_reduction: int = 8
    lgsa_key_value_size: int | None = 8
    use_lgsa_gate: bool = True
    zero_init_residual: bool | None = None
    classifier_dropout: float = 0.0
    classification_loss: str = "label_smoothing"  # the other loss arguments: `LossSettings`' defaults
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs):
        for name in ("hidden_sizes", "depths", "msfd_kernel_sizes", "msfd_dilations", "loss_weights", "focal_alpha"):
            setattr(self, name, as_tuple(getattr(self, name)))
        super().__post_init__(**kwargs)
        self._validate_amsra()

    @classmethod
    def from_unversioned(cls, config_dict: dict) -> dict:
        """A config saved without `lgsa_key_value_size` was written before version 0.3: its LGSA attended over all
        positions and its residual units held two MSFDs, so it loads as such and the model gives the outputs it was
        trained to give."""
        if "lgsa_key_value_size" in config_dict:
            return config_dict
        return {"lgsa_key_value_size": None, "decouplers_per_unit": 2, "zero_init_residual": True, **config_dict}

    def zero_init_last_norm(self) -> bool:
        """`zero_init_residual` with its default resolved: on for units of two MSFDs, off for units of one."""
        return self.decouplers_per_unit == 2 if self.zero_init_residual is None else self.zero_init_residual

    @property
    def hidden_size(self) -> int:
        """Width of the pooled feature (the last stage's channels)."""
        return self.hidden_sizes[-1]

    def _validate_amsra(self) -> None:
        def fail(name, allowed, value):
            raise ValueError(f"AmsraNetConfig: `{name}` must be {allowed}, got {value!r}.")

        if self.num_channels < 1:
            fail("num_channels", "a positive integer", self.num_channels)
        if self.image_size < 8:
            fail("image_size", "at least 8 (three stride-2 stages)", self.image_size)
        if self.stem_channels < 1:
            fail("stem_channels", "a positive integer", self.stem_channels)
        if len(self.hidden_sizes) != 4 or len(self.depths) != 4:
            fail("hidden_sizes/depths", "four values each (one per HMRAB stage)", (self.hidden_sizes, self.depths))
        if any(d < 1 for d in self.depths):
            fail("depths", "positive integers", self.depths)
        if self.decouplers_per_unit not in (1, 2):
            fail("decouplers_per_unit", "1 or 2", self.decouplers_per_unit)
        if self.msfd_groups < 1 or any(h % self.msfd_groups for h in self.hidden_sizes):
            fail("msfd_groups", f"a positive divisor of every stage width {self.hidden_sizes}", self.msfd_groups)
        if len(self.msfd_kernel_sizes) != self.msfd_groups or any(k < 1 or k % 2 == 0 for k in self.msfd_kernel_sizes):
            fail("msfd_kernel_sizes", f"{self.msfd_groups} odd positive kernel sizes", self.msfd_kernel_sizes)
        if len(self.msfd_dilations) != self.msfd_groups or any(d < 1 for d in self.msfd_dilations):
            fail("msfd_dilations", f"{self.msfd_groups} positive dilations", self.msfd_dilations)
        if self.lgsa_reduction < 1 or any(h // self.lgsa_reduction < 1 for h in self.hidden_sizes):
            fail("lgsa_reduction", "a positive integer no larger than the narrowest stage", self.lgsa_reduction)
        if self.lgsa_key_value_size is not None and (
            isinstance(self.lgsa_key_value_size, bool) or self.lgsa_key_value_size < 1
        ):
            fail("lgsa_key_value_size", "a positive integer or None (all positions)", self.lgsa_key_value_size)
        if not 0.0 <= self.classifier_dropout < 1.0:
            fail("classifier_dropout", "in [0, 1)", self.classifier_dropout)
        validate_classification_loss_settings(self)


__all__ = ["AmsraNetConfig"]
