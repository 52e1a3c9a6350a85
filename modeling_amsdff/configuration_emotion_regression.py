# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Configuration of the multi-dimensional emotion regression family (base / gated "Gated BERT" / MoE)."""

from __future__ import annotations

import logging

from transformers import DistilBertConfig, PreTrainedConfig

from .configuration_common import VersionedConfigMixin, as_tuple
from .losses import validate_regression_loss_settings
from .regression_heads import GATE_ACTIVATIONS


logger = logging.getLogger(__name__)

EMOTION_HEAD_TYPES = ("base", "gated", "moe")
EMOTION_POOLINGS = ("auto", "pooler", "cls", "mean")


class EmotionRegressionConfig(VersionedConfigMixin, PreTrainedConfig):
    r"""
    Configuration of a text encoder with a multi-dimensional regression head: `num_labels` continuous scores per text
    (the seed document regresses 8 emotion dimensions; the offline VADER data gives mean valence and rater
    disagreement). One config family for the seed's three heads, chosen by `head_type`.

    Args:
        backbone_config (`dict` or `PreTrainedConfig`, *optional*):
            Configuration of the encoder (any `AutoModel` encoder). Defaults to DistilBERT-base. Use
            [`EmotionRegressionForSequenceClassification.from_pretrained_backbone`] to load pretrained weights.
        head_type (`str`, *optional*, defaults to `"base"`):
            `"base"`: the seed's MLP head (H -> H/2 -> H/4 -> num_labels with LayerNorm, ReLU, dropout);
            `"gated"` ("Gated BERT"): the base prediction times a gate computed from the same feature;
            `"moe"`: `num_experts` base-shaped heads mixed by a softmax router, with a load-balance loss.
        pooling (`str`, *optional*, defaults to `"auto"`):
            Feature fed to the head: `"pooler"` (the encoder's pooler output; BERT/RoBERTa-style encoders only),
            `"cls"` (first token), `"mean"` (masked mean of the tokens), or `"auto"`: the pooler output when the
            encoder has one, else the first token, as the seed does.
        classifier_dropout (`float`, *optional*, defaults to 0.3):
            Dropout before each Linear of the head(s).
        gate_hidden_size (`int`, *optional*, defaults to 256):
            Hidden width of the gate MLP (`head_type="gated"`).
        gate_activation (`str`, *optional*, defaults to `"scaled_softmax"`):
            `"scaled_softmax"`: the seed's softmax over the outputs times `num_labels`, so that a uniform gate is 1
            (the gate's last layer starts at zero, so the gated head starts as the base head); `"softmax"` as the
            seed states (the gates of all dimensions sum to 1, which scales every prediction down by `num_labels` at
            the start); `"scaled_sigmoid"` (`2 * sigmoid`: an independent gate in (0, 2) per dimension, 1 at the
            start, so it also starts as the base head); `"sigmoid"` (an independent gate in (0, 1) per dimension).
            The VADER benchmark (docs/results.md) compares them: none matches the base head on disagreement.
        num_experts (`int`, *optional*, defaults to 4):
            Experts of the mixture (`head_type="moe"`), at least 2.
        router_hidden_size (`int`, *optional*, defaults to 256):
            Hidden width of the 2-layer router MLP.
        router_aux_loss_coef (`float`, *optional*, defaults to 0.01):
            Weight of the load-balance loss: `var(importance) / mean(importance)^2` with
            `importance = router_weights.sum(0)` over the batch. 0 disables it.
        router_top_k (`int`, *optional*):
            Route each example to its `router_top_k` experts with the largest router weights (renormalised to sum to
            1; the other experts get 0 and learn nothing from it), as sparse mixtures do (Shazeer et al. 2017;
            Mixtral). At least 2 (one renormalised weight is always 1, which gives the router no gradient) and at
            most `num_experts`. `None` (the default): every expert, the seed's dense softmax.
        router_noisy_gating (`bool`, *optional*, defaults to `False`):
            In training, add Gaussian noise to the router logits with a standard deviation learned per example and
            expert (Shazeer et al.'s noisy gating; 0.69 at the start); none at inference.
        router_z_loss_coef (`float`, *optional*, defaults to 0.0):
            Weight of ST-MoE's router z-loss (`logsumexp(router_logits) ** 2`, mean over the batch; Zoph et al. 2022),
            which keeps the router logits small. 0 disables it.
        output_router_logits (`bool`, *optional*, defaults to `False`):
            Also return the router's logits (the softmaxed `router_weights` are always returned for `"moe"`).
        regression_loss (`str`, *optional*, defaults to `"huber"`):
            `"huber"` (threshold `huber_delta`) or `"mse"`, on the normalised targets. `train.py
            --regression_loss auto` tries both briefly and keeps the one with the lower validation RMSE. Configs
            saved before version 0.2 call it `loss_type`; that key is still read.
        huber_delta (`float`, *optional*, defaults to 0.6):
            Threshold of the Huber loss, in units of the normalised targets.
        label_means (`tuple[float]`, *optional*):
            Per-dimension mean of the training targets. With `label_scales`, the head predicts normalised targets,
            the loss compares normalised values, and `logits` come back in the targets' original units.
            `train.py` fills both from the training split. A saved config loaded with another `num_labels` (a new
            head) drops them, since they describe the old targets.
        label_scales (`tuple[float]`, *optional*):
            Per-dimension standard deviation of the training targets (positive). Named "scales", not "stds":
            transformers' tooling treats config keys containing `_std` as initialiser standard deviations.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Standard deviation of the normal initialiser of the head(s); the encoder keeps its own weights.
    """

    model_type = "emotion_regression"
    renamed_arguments = {"loss_type": "regression_loss"}  # configs saved by 0.1
    # A dict `backbone_config` is read by its own `model_type` (any encoder); with none, DistilBERT-base.
    sub_configs_defaults = {"backbone_config": DistilBertConfig}
    keys_to_ignore_at_inference = [
        "hidden_states",
        "attentions",
        "router_logits",
        "router_weights",
        "gate_weights",
        "aux_loss",
        "loss_components",
    ]

    backbone_config: dict | PreTrainedConfig | None = None
    head_type: str = "base"
    pooling: str = "auto"
    classifier_dropout: float = 0.3
    gate_hidden_size: int = 256
    gate_activation: str = "scaled_softmax"
    num_experts: int = 4
    router_hidden_size: int = 256
    router_aux_loss_coef: float = 0.01
    router_top_k: int | None = None
    router_noisy_gating: bool = False
    router_z_loss_coef: float = 0.0
    output_router_logits: bool = False
    regression_loss: str = "huber"
    huber_delta: float = 0.6
    label_means: list[float] | tuple[float, ...] | None = None
    label_scales: list[float] | tuple[float, ...] | None = None
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs):
        self.label_means = as_tuple(self.label_means)
        self.label_scales = as_tuple(self.label_scales)
        kwargs.setdefault("problem_type", "regression")
        if self.problem_type is None:
            self.problem_type = kwargs.pop("problem_type")
        else:
            kwargs.pop("problem_type")
        super().__post_init__(**kwargs)
        self._validate_emotion()

    @classmethod
    def from_dict(cls, config_dict: dict, **kwargs):
        """As `PreTrainedConfig.from_dict`; a saved config loaded with another `num_labels` (a model re-headed with
        `from_pretrained(..., num_labels=N, ignore_mismatched_sizes=True)`) drops the statistics of its old targets."""
        resized = kwargs.get("num_labels")
        means = config_dict.get("label_means")
        if resized is not None and means is not None and len(means) != resized:
            logger.warning(
                f"EmotionRegressionConfig: num_labels {len(means)} -> {resized}; the statistics of the old targets "
                "are dropped (set label_means/label_scales for the new ones; train.py does)."
            )
            config_dict = {**config_dict, "label_means": None, "label_scales": None}
        return super().from_dict(config_dict, **kwargs)

    @property
    def hidden_size(self) -> int:
        return self.backbone_config.hidden_size

    def get_text_config(self, decoder=None, encoder=None) -> PreTrainedConfig:
        """The encoder's config: it holds the vocabulary and the text-side settings of this model."""
        return self.backbone_config

    def _validate_emotion(self) -> None:
        def fail(name, allowed, value):
            raise ValueError(f"EmotionRegressionConfig: `{name}` must be {allowed}, got {value!r}.")

        if not isinstance(getattr(self.backbone_config, "hidden_size", None), int):
            raise ValueError("EmotionRegressionConfig: the backbone config has no integer `hidden_size`.")
        if self.problem_type != "regression":
            fail("problem_type", "'regression'", self.problem_type)
        if self.head_type not in EMOTION_HEAD_TYPES:
            fail("head_type", f"one of {EMOTION_HEAD_TYPES}", self.head_type)
        if self.pooling not in EMOTION_POOLINGS:
            fail("pooling", f"one of {EMOTION_POOLINGS}", self.pooling)
        if not 0.0 <= self.classifier_dropout < 1.0:
            fail("classifier_dropout", "in [0, 1)", self.classifier_dropout)
        if self.gate_hidden_size < 1:
            fail("gate_hidden_size", "a positive integer", self.gate_hidden_size)
        if self.gate_activation not in GATE_ACTIVATIONS:
            fail("gate_activation", f"one of {GATE_ACTIVATIONS}", self.gate_activation)
        if self.num_experts < 2:
            fail("num_experts", "at least 2", self.num_experts)
        if self.router_hidden_size < 1:
            fail("router_hidden_size", "a positive integer", self.router_hidden_size)
        if self.router_aux_loss_coef < 0:
            fail("router_aux_loss_coef", ">= 0", self.router_aux_loss_coef)
        if self.router_top_k is not None and (
            isinstance(self.router_top_k, bool)
            or not isinstance(self.router_top_k, int)
            or not 2 <= self.router_top_k <= self.num_experts
        ):
            fail("router_top_k", f"None or an integer from 2 to num_experts ({self.num_experts})", self.router_top_k)
        if not isinstance(self.router_noisy_gating, bool):
            fail("router_noisy_gating", "True or False", self.router_noisy_gating)
        if not self.router_z_loss_coef >= 0:
            fail("router_z_loss_coef", ">= 0", self.router_z_loss_coef)
        validate_regression_loss_settings(self)
        if (self.label_means is None) != (self.label_scales is None):
            fail("label_means/label_scales", "both set or both None", (self.label_means, self.label_scales))
        if self.label_means is not None:
            if len(self.label_means) != self.num_labels or len(self.label_scales) != self.num_labels:
                fail(
                    "label_means/label_scales",
                    f"one value per label ({self.num_labels})",
                    (self.label_means, self.label_scales),
                )
            if any(not s > 0 for s in self.label_scales):
                fail("label_scales", "positive", self.label_scales)


__all__ = ["EmotionRegressionConfig"]
