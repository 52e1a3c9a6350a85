# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""AMSDFF model configuration."""

from __future__ import annotations

from transformers import DistilBertConfig, PreTrainedConfig

from .configuration_common import VersionedConfigMixin, as_tuple
from .losses import LossSettings, validate_classification_loss_settings


AMSDFF_POOLING_MODES = ("attention", "cls", "max", "mean")
AMSDFF_POOLING_FUSIONS = ("residual", "concat", "weighted")
AMSDFF_ARCHITECTURE_REVISIONS = (1, 2)


class AmsdffConfig(VersionedConfigMixin, LossSettings, PreTrainedConfig):
    r"""
    Configuration of an AMSDFF (Advanced Multi-Scale Dynamic Feature Fusion) text classifier: a pretrained encoder
    followed by a feature enhancer, a multi-scale attention module, a dynamic expert-fusion module (three pre-norm
    residual branches), advanced pooling and a classifier. Every module can be switched off; with all of them off and
    `pooling_modes=("cls",)` the model is "encoder + CLS pooling + linear head", the baseline AMSDFF is compared
    against. A new model starts as its encoder with mean pooling and a linear head: each residual branch's last layer
    starts at zero, the experts' gate uniform, attention pooling as mean pooling and the other poolings' share at zero
    (see the text suite in docs/results.md for what this start is worth).

    Args:
        backbone_config (`dict` or `PreTrainedConfig`, *optional*):
            Configuration of the encoder (any `AutoModel` encoder: DistilBERT, BERT/MiniLM, RoBERTa, DeBERTa-v2 ...).
            Defaults to a DistilBERT-base configuration. Use
            [`AmsdffForSequenceClassification.from_pretrained_backbone`] to also load the encoder's weights.
        use_feature_enhancer (`bool`, *optional*, defaults to `True`):
            Apply the feature enhancer of the reference implementation (LayerNorm, Linear, GELU, dropout, as a
            residual branch) to the encoder output.
        use_multi_scale_attention (`bool`, *optional*, defaults to `True`):
            Apply the multi-scale attention module.
        scales (`tuple[int]`, *optional*, defaults to `(1, 3, 5)`):
            Kernel sizes of the depthwise 1-D convolutions, one per scale. Odd positive integers, so that every scale
            keeps the sequence length.
        num_scale_attention_heads (`int`, *optional*, defaults to 8):
            Heads of the attention that fuses the scale features at each position; must divide `multi_scale_size`.
        multi_scale_size (`int`, *optional*):
            Channels of the multi-scale attention (its shared pointwise convolution projects the hidden states down
            to this width, and its output back up). Defaults to a quarter of the encoder's hidden size, which keeps
            AMSDFF's inference within 1.05x of the baseline's on MiniLM (`benchmarks/text_classification.py`).
        use_dynamic_fusion (`bool`, *optional*, defaults to `False`):
            Apply the dynamic fusion module: `num_experts` position-wise MLP experts mixed by a per-example softmax
            gate computed from the masked mean of the sequence. Off by default since 0.4: switching it off did not
            cost accuracy on the mean of the text suite, 3 seeds (benchmarks/results/text_suite.md, the ablation);
            configs saved before 0.4 keep it on.
        num_experts (`int`, *optional*, defaults to 3):
            Number of experts in the dynamic fusion module (at least 2).
        expert_intermediate_size (`int`, *optional*):
            Inner width of each expert MLP. Defaults to `hidden_size // (2 * num_experts)`: the experts together are
            half as wide as the encoder's hidden states.
        architecture_revision (`int`, *optional*, defaults to 2):
            2: the modules described here. 1: the modules of versions 0.1-0.2 (post-norm residuals, random
            initialisation, one hidden x hidden pointwise convolution per scale and a query projection, experts
            `hidden_size // 2` wide), kept so that the models they saved load and give the same outputs: a config
            saved without this key and without a package version (by 0.1-0.2) is read as revision 1
            (`configuration_common.py`).
        router_aux_loss_coef (`float`, *optional*, defaults to 0.01):
            Weight of the load-balance loss (squared coefficient of variation of the experts' importance over the
            batch) added to the training loss. 0 disables it. The reference implementation had none, so its gate
            could collapse onto one expert.
        output_router_logits (`bool`, *optional*, defaults to `False`):
            Return the gate's logits in the model output (`router_logits`), as Mixtral does.
        pooling_modes (`tuple[str]`, *optional*, defaults to `("attention", "cls", "max")`):
            Pooling strategies to combine, any non-empty subset of `("attention", "cls", "max", "mean")`. Attention
            pooling scores every token against a learned query (masked softmax; the query starts at zero, which is
            mean pooling); `cls` takes the first token; `max` and `mean` ignore padding.
        pooling_fusion (`str`, *optional*, defaults to `"residual"`):
            How several pooled vectors are combined: `"residual"` (the first mode, plus a Linear of the others
            concatenated, which starts at zero), `"concat"` (concatenate, then Linear back to the hidden size,
            LayerNorm, GELU: the reference implementation) or `"weighted"` (softmax-normalised learned weights, one
            per strategy).
        classifier_hidden_sizes (`tuple[int]`, *optional*, defaults to `()`):
            Widths of the hidden layers of the classifier MLP (each Linear + LayerNorm + GELU + dropout); `()` is a
            single Linear. `None` is the reference implementation's `(hidden_size // 2, hidden_size // 4)` (with
            `classifier_dropout=(0.3, 0.2, 0.1)`), which learns slowly when there are many classes and few examples
            (the ablation in docs/results.md).
        classifier_dropout (`float` or `tuple[float]`, *optional*, defaults to 0.1):
            Dropout before each Linear of the classifier. A float applies to every layer; with a tuple, layer `i`
            uses entry `min(i, len - 1)`, so `(0.3, 0.2, 0.1)` gives 0.3, 0.2 and 0.1 ("0.1-0.3 by layer").
        hidden_dropout_prob (`float`, *optional*, defaults to 0.1):
            Dropout inside the feature enhancer, multi-scale attention and dynamic fusion modules.
        classification_loss (`str`, *optional*, defaults to `"combined"`):
            Classification loss: `"cross_entropy"`, `"focal"`, `"label_smoothing"` or `"combined"` (the weighted sum
            of the three, weights in `loss_weights`). Multi-label problems use the binary versions (BCE, sigmoid
            focal, BCE against smoothed targets). Configs saved before version 0.2 call it `loss_type`; that key is
            still read.
        loss_weights (`tuple[float]`, *optional*, defaults to `(0.4, 0.4, 0.2)`):
            Weights of cross-entropy, focal and label-smoothing terms when `classification_loss="combined"`.
        focal_gamma (`float`, *optional*, defaults to 2.0):
            Focusing parameter of the focal loss (0 reduces it to cross-entropy).
        focal_alpha (`float` or `tuple[float]`, *optional*):
            Class weights of the focal loss: one per label, or a single float for all. `None` weights classes
            equally.
        label_smoothing (`float`, *optional*, defaults to 0.1):
            Smoothing of the label-smoothing term, in `[0, 1)`.
        regression_loss (`str`, *optional*, defaults to `"mse"`):
            Loss when `problem_type="regression"`: `"mse"` or `"huber"`.
        huber_delta (`float`, *optional*, defaults to 1.0):
            Threshold of the Huber loss.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Standard deviation of the normal initialiser of the new (non-encoder) weights. The encoder keeps its own
            initialisation or its pretrained weights; it is never re-initialised.

    Example:

    ```python
    >>> from modeling_amsdff import AmsdffConfig, AmsdffForSequenceClassification

    >>> config = AmsdffConfig(num_labels=3)
    >>> model = AmsdffForSequenceClassification(config)  # random DistilBERT-sized encoder
    >>> model = AmsdffForSequenceClassification.from_pretrained_backbone("distilbert-base-uncased", num_labels=3)
    ```
    """

    model_type = "amsdff"
    # A dict `backbone_config` is read by its own `model_type` (any encoder); with none, DistilBERT-base.
    sub_configs_defaults = {"backbone_config": DistilBertConfig}
    # Extra outputs that Trainer must not gather as predictions.
    keys_to_ignore_at_inference = ["hidden_states", "attentions", "router_logits", "aux_loss", "loss_components"]
    renamed_arguments = {"loss_type": "classification_loss"}  # configs saved by 0.1
    changed_defaults = {"0.4.0": {"use_dynamic_fusion": True}}

    backbone_config: dict | PreTrainedConfig | None = None
    use_feature_enhancer: bool = True
    use_multi_scale_attention: bool = True
    scales: list[int] | tuple[int, ...] = (1, 3, 5)
    num_scale_attention_heads: int = 8
    multi_scale_size: int | None = None
    use_dynamic_fusion: bool = False
    num_experts: int = 3
    expert_intermediate_size: int | None = None
    architecture_revision: int = 2
    router_aux_loss_coef: float = 0.01
    output_router_logits: bool = False
    pooling_modes: list[str] | tuple[str, ...] = ("attention", "cls", "max")
    pooling_fusion: str = "residual"
    classifier_hidden_sizes: list[int] | tuple[int, ...] | None = ()
    classifier_dropout: float | list[float] | tuple[float, ...] = 0.1
    hidden_dropout_prob: float = 0.1
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs):
        for name in (
            "scales",
            "pooling_modes",
            "classifier_hidden_sizes",
            "classifier_dropout",
            "loss_weights",
            "focal_alpha",
        ):
            setattr(self, name, as_tuple(getattr(self, name)))
        super().__post_init__(**kwargs)
        self._validate_amsdff()

    @property
    def hidden_size(self) -> int:
        """Width of the encoder's hidden states, which every AMSDFF module keeps."""
        return self.backbone_config.hidden_size

    def get_text_config(self, decoder=None, encoder=None) -> PreTrainedConfig:
        """The encoder's config: it holds the vocabulary and the text-side settings of this model."""
        return self.backbone_config

    def _validate_amsdff(self) -> None:
        def fail(name, allowed, value):
            raise ValueError(f"AmsdffConfig: `{name}` must be {allowed}, got {value!r}.")

        hidden = getattr(self.backbone_config, "hidden_size", None)
        if not isinstance(hidden, int):
            raise ValueError(
                f"AmsdffConfig: the backbone config ({type(self.backbone_config).__name__}) has no integer "
                "`hidden_size`; AMSDFF needs an encoder that returns `last_hidden_state`."
            )
        if not self.scales or any(not isinstance(k, int) or k < 1 or k % 2 == 0 for k in self.scales):
            fail("scales", "a non-empty tuple of odd positive kernel sizes", self.scales)
        if self.architecture_revision not in AMSDFF_ARCHITECTURE_REVISIONS:
            fail("architecture_revision", f"one of {AMSDFF_ARCHITECTURE_REVISIONS}", self.architecture_revision)
        size = self.multi_scale_size
        if size is not None and (not isinstance(size, int) or size < 1):
            fail("multi_scale_size", "a positive integer or None", self.multi_scale_size)
        width = self.multi_scale_width()
        if self.num_scale_attention_heads < 1 or width % self.num_scale_attention_heads:
            fail(
                "num_scale_attention_heads",
                f"a positive divisor of the multi-scale attention's width {width}",
                self.num_scale_attention_heads,
            )
        if self.num_experts < 2:
            fail("num_experts", "at least 2", self.num_experts)
        if self.expert_intermediate_size is not None and self.expert_intermediate_size < 1:
            fail("expert_intermediate_size", "a positive integer or None", self.expert_intermediate_size)
        if self.router_aux_loss_coef < 0:
            fail("router_aux_loss_coef", ">= 0", self.router_aux_loss_coef)
        if not self.pooling_modes or any(m not in AMSDFF_POOLING_MODES for m in self.pooling_modes):
            fail("pooling_modes", f"a non-empty subset of {AMSDFF_POOLING_MODES}", self.pooling_modes)
        if len(set(self.pooling_modes)) != len(self.pooling_modes):
            fail("pooling_modes", "free of repeats", self.pooling_modes)
        if self.pooling_fusion not in AMSDFF_POOLING_FUSIONS:
            fail("pooling_fusion", f"one of {AMSDFF_POOLING_FUSIONS}", self.pooling_fusion)
        if self.classifier_hidden_sizes is not None and any(
            not isinstance(h, int) or h < 1 for h in self.classifier_hidden_sizes
        ):
            fail("classifier_hidden_sizes", "a tuple of positive integers or None", self.classifier_hidden_sizes)
        dropouts = self.classifier_dropout
        dropouts = dropouts if isinstance(dropouts, tuple) else (dropouts,)
        if not dropouts or any(not 0.0 <= p < 1.0 for p in dropouts):
            fail("classifier_dropout", "a probability in [0, 1) or a non-empty tuple of them", self.classifier_dropout)
        if not 0.0 <= self.hidden_dropout_prob < 1.0:
            fail("hidden_dropout_prob", "in [0, 1)", self.hidden_dropout_prob)
        validate_classification_loss_settings(self)

    @classmethod
    def from_unversioned(cls, config_dict: dict) -> dict:
        """A config saved without `architecture_revision` was written by version 0.2 or earlier: revision 1."""
        return {"architecture_revision": 1, **config_dict}

    def multi_scale_width(self) -> int:
        """Channels of the multi-scale attention's convolutions and attention, with the default resolved: a quarter
        of the hidden size (revision 1: the hidden size)."""
        if self.architecture_revision == 1:
            return self.hidden_size
        return self.multi_scale_size or self.hidden_size // 4

    def expert_size(self) -> int:
        """Inner width of each expert, with the default resolved: the experts together are half the hidden size wide
        (revision 1: each expert is)."""
        if self.expert_intermediate_size is not None:
            return self.expert_intermediate_size
        if self.architecture_revision == 1:
            return self.hidden_size // 2
        return max(1, self.hidden_size // (2 * self.num_experts))

    def classifier_layer_sizes(self) -> tuple[int, ...]:
        """Hidden widths of the classifier MLP, with the default `(hidden // 2, hidden // 4)` resolved."""
        if self.classifier_hidden_sizes is None:
            return (self.hidden_size // 2, self.hidden_size // 4)
        return self.classifier_hidden_sizes

    def classifier_dropout_at(self, layer: int) -> float:
        """Dropout before Linear number `layer` of the classifier."""
        if isinstance(self.classifier_dropout, tuple):
            return self.classifier_dropout[min(layer, len(self.classifier_dropout) - 1)]
        return self.classifier_dropout


__all__ = ["AmsdffConfig"]
