# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Losses and small building blocks shared by every model family of this package.

This file travels with every saved model (each ``modeling_*.py`` imports it with ``from .shared_layers import ...``),
so it imports only the standard library, torch and public transformers API.

References:
    - Focal loss: Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.
    - Label smoothing: Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016.
    - Load-balance loss (squared coefficient of variation of expert importance): Shazeer et al., "Outrageously Large
      Neural Networks: The Sparsely-Gated Mixture-of-Experts Layer", ICLR 2017.
"""

from __future__ import annotations

import inspect

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoModel, PreTrainedModel


CLASSIFICATION_LOSS_TYPES = ("cross_entropy", "focal", "label_smoothing", "combined")
PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")
IGNORE_INDEX = -100


def resolve_problem_type(problem_type: str | None, num_labels: int, labels: torch.Tensor) -> str:
    """Pick the problem type exactly as `transformers` sequence classifiers do when the config leaves it open."""
    if problem_type is not None:
        return problem_type
    if num_labels == 1:
        return "regression"
    if labels.dtype in (torch.long, torch.int, torch.int16, torch.int8, torch.uint8):
        return "single_label_classification"
    return "multi_label_classification"


def focal_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    gamma: float = 2.0,
    alpha: torch.Tensor | None = None,
    ignore_index: int = IGNORE_INDEX,
) -> torch.Tensor:
    """Softmax focal loss, mean over the non-ignored examples.

    Args:
        logits: `(batch, num_labels)` unnormalised scores.
        labels: `(batch,)` class indices; `ignore_index` entries do not count.
        gamma: focusing parameter; 0 gives cross-entropy.
        alpha: optional `(num_labels,)` per-class weights.
    """
    keep = labels != ignore_index
    logits, labels = logits[keep], labels[keep]
    if labels.numel() == 0:
        return logits.sum() * 0.0
    log_probs = F.log_softmax(logits.float(), dim=-1)  # (n, num_labels)
    log_pt = log_probs.gather(1, labels.unsqueeze(1)).squeeze(1)  # (n,)
    loss = -((1.0 - log_pt.exp()) ** gamma) * log_pt
    if alpha is not None:
        loss = loss * alpha.to(loss.device, loss.dtype)[labels]
    return loss.mean()


def binary_focal_loss(
    logits: torch.Tensor, targets: torch.Tensor, gamma: float = 2.0, alpha: torch.Tensor | None = None
) -> torch.Tensor:
    """Sigmoid focal loss for multi-label targets in [0, 1], mean over every (example, label) pair.

    `alpha` (`(num_labels,)`), when given, weights the positive term of each label and `1 - alpha` the negative term,
    as in the RetinaNet paper.
    """
    logits, targets = logits.float(), targets.float()
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    probs = torch.sigmoid(logits)
    p_t = probs * targets + (1.0 - probs) * (1.0 - targets)
    loss = bce * (1.0 - p_t) ** gamma
    if alpha is not None:
        alpha = alpha.to(loss.device, loss.dtype)
        loss = loss * (alpha * targets + (1.0 - alpha) * (1.0 - targets))
    return loss.mean()


def classification_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    problem_type: str,
    num_labels: int,
    loss_type: str = "cross_entropy",
    loss_weights: tuple[float, float, float] = (0.4, 0.4, 0.2),
    focal_gamma: float = 2.0,
    focal_alpha: tuple[float, ...] | float | None = None,
    label_smoothing: float = 0.1,
    regression_loss: str = "mse",
    huber_delta: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Loss of a sequence- or image-level classifier for any `problem_type`, and its named components.

    `loss_type` picks the classification loss: `"cross_entropy"`, `"focal"`, `"label_smoothing"` (cross-entropy
    against smoothed targets) or `"combined"`, the weighted sum `loss_weights[0] * CE + loss_weights[1] * focal +
    loss_weights[2] * label-smoothed CE` of the AMSDFF paper. Multi-label problems use the binary counterparts of the
    same three terms (BCE, sigmoid focal, BCE against targets smoothed towards 0.5). Regression uses MSE or Huber.

    Returns:
        The scalar loss and a dict of its detached components (keyed `ce`, `focal`, `label_smoothing`, `mse`,
        `huber`) for logging.

    Raises:
        ValueError: when the labels do not fit the problem (a class index outside `[0, num_labels)`, a target vector
            of the wrong width).
    """
    if problem_type not in PROBLEM_TYPES:
        raise ValueError(f"problem_type must be one of {PROBLEM_TYPES}, got {problem_type!r}.")
    components: dict[str, torch.Tensor] = {}

    if problem_type == "regression":
        loss = regression_loss_fn(logits, labels, regression_loss, huber_delta)
        components[regression_loss] = loss.detach()
        return loss, components

    alpha = None
    if focal_alpha is not None:
        alpha = torch.as_tensor(focal_alpha, dtype=torch.float32, device=logits.device)
        if alpha.dim() == 0:
            alpha = alpha.expand(num_labels)

    if problem_type == "single_label_classification":
        labels = labels.view(-1).long()
        bad = (labels != IGNORE_INDEX) & ((labels < 0) | (labels >= num_labels))
        if bool(bad.any()):
            raise ValueError(
                f"Label {int(labels[bad][0])} is outside the {num_labels} classes of this model (expected 0 to "
                f"{num_labels - 1}); set num_labels/id2label to match the data."
            )
        logits = logits.view(-1, num_labels).float()
        terms = {
            "ce": lambda: F.cross_entropy(logits, labels, ignore_index=IGNORE_INDEX),
            "focal": lambda: focal_loss(logits, labels, focal_gamma, alpha),
            "label_smoothing": lambda: F.cross_entropy(
                logits, labels, ignore_index=IGNORE_INDEX, label_smoothing=label_smoothing
            ),
        }
    else:  # multi-label
        if labels.shape != logits.shape:
            raise ValueError(
                f"Multi-label targets have shape {tuple(labels.shape)} but the logits have {tuple(logits.shape)}; "
                f"give one 0/1 target per label (num_labels={num_labels})."
            )
        targets = labels.float()
        logits = logits.float()
        terms = {
            "ce": lambda: F.binary_cross_entropy_with_logits(logits, targets),
            "focal": lambda: binary_focal_loss(logits, targets, focal_gamma, alpha),
            "label_smoothing": lambda: F.binary_cross_entropy_with_logits(
                logits, targets * (1.0 - label_smoothing) + 0.5 * label_smoothing
            ),
        }

    if loss_type == "cross_entropy":
        weights = {"ce": 1.0}
    elif loss_type == "focal":
        weights = {"focal": 1.0}
    elif loss_type == "label_smoothing":
        weights = {"label_smoothing": 1.0}
    elif loss_type == "combined":
        weights = dict(zip(("ce", "focal", "label_smoothing"), loss_weights))
    else:
        raise ValueError(f"loss_type must be one of {CLASSIFICATION_LOSS_TYPES}, got {loss_type!r}.")

    loss = logits.new_zeros(())
    for name, weight in weights.items():
        if weight == 0:
            continue
        value = terms[name]()
        components[name] = value.detach()
        loss = loss + weight * value
    return loss, components


LOSS_SETTINGS = ("loss_type", "loss_weights", "focal_gamma", "focal_alpha", "label_smoothing", "regression_loss",
                 "huber_delta")  # fmt: skip


def classification_loss_from_config(
    logits: torch.Tensor, labels: torch.Tensor, config
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """`classification_loss` for a model's `config`: the problem type resolved as transformers does, and each loss
    setting (`loss_type`, `focal_gamma`, `label_smoothing` ...) read from the config; a missing one keeps its default.
    """
    labels = labels.to(logits.device)
    problem_type = resolve_problem_type(config.problem_type, config.num_labels, labels)
    settings = {name: getattr(config, name) for name in LOSS_SETTINGS if hasattr(config, name)}
    return classification_loss(logits, labels, problem_type=problem_type, num_labels=config.num_labels, **settings)


def regression_loss_fn(
    predictions: torch.Tensor,
    targets: torch.Tensor,
    loss_type: str = "mse",
    huber_delta: float = 1.0,
    sample_weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """MSE or Huber loss of `(batch, num_outputs)` predictions, optionally weighted per example.

    Per-example losses are averaged over the outputs, multiplied by `sample_weight` (already mean-normalised over
    the data set, e.g. density weights) and averaged over the batch, so micro-batches of equal size average to the
    full batch's loss.

    Raises:
        ValueError: targets that do not hold one value per output, or that contain NaN.
    """
    batch = predictions.shape[0]
    if targets.numel() != predictions.numel():
        raise ValueError(
            f"Regression targets hold {targets.numel() // max(batch, 1)} value(s) per example for "
            f"{predictions.numel() // max(batch, 1)} model output(s) (num_labels); give one target per output."
        )
    predictions = predictions.float().reshape(batch, -1)
    targets = targets.float().reshape(batch, -1)
    if bool(torch.isnan(targets).any()):
        raise ValueError("Regression targets contain NaN; drop or fill the missing targets before training.")
    if loss_type == "huber":
        per_example = F.huber_loss(predictions, targets, delta=huber_delta, reduction="none").mean(-1)
    elif loss_type == "mse":
        per_example = F.mse_loss(predictions, targets, reduction="none").mean(-1)
    else:
        raise ValueError(f"Regression loss must be 'mse' or 'huber', got {loss_type!r}.")
    if sample_weight is not None:
        per_example = per_example * sample_weight.to(per_example.device, per_example.dtype).reshape(-1)
    return per_example.mean()


def load_balance_loss(router_weights: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Squared coefficient of variation of the experts' importance over a batch.

    `importance = router_weights.sum(0)` (the total routing weight each expert received); the loss is
    `var(importance) / (mean(importance) ** 2 + 1e-10)` with the unbiased variance, as in Shazeer et al. (2017).
    Uniform routing gives 0; sending everything to one of E experts gives E.

    Args:
        router_weights: `(n, num_experts)` routing probabilities (rows sum to 1).
        mask: optional `(n,)` boolean/0-1 tensor selecting the rows that count (e.g. non-padding tokens).
    """
    if router_weights.dim() != 2:
        router_weights = router_weights.reshape(-1, router_weights.shape[-1])
    if mask is not None:
        router_weights = router_weights * mask.reshape(-1, 1).to(router_weights.dtype)
    importance = router_weights.float().sum(0)  # (num_experts,)
    if importance.numel() < 2:
        return importance.new_zeros(())
    return importance.var() / (importance.mean() ** 2 + 1e-10)


class RegressionHead(nn.Module):
    """Regression head of the emotion-regression seed: Dropout -> Linear(H, H/2) -> LayerNorm -> ReLU -> Dropout ->
    Linear(H/2, H/4) -> LayerNorm -> ReLU -> Dropout -> Linear(H/4, num_outputs).

    Works on any pooled feature vector (a text encoder's pooled output or an image network's pooled features).
    """

    def __init__(self, in_features: int, num_outputs: int, dropout: float = 0.3):
        super().__init__()
        half, quarter = max(in_features // 2, 1), max(in_features // 4, 1)
        self.layers = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(in_features, half), nn.LayerNorm(half), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(half, quarter), nn.LayerNorm(quarter), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(quarter, num_outputs),
        )  # fmt: skip

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(features)  # (bs, num_outputs)


class GatedRegressionHead(nn.Module):
    """Gated head of the seed: `prediction = base(x) * gate(x)`, gate = activation(Linear(256, out)(Dropout(ReLU(
    Linear(H, 256)(x)))))`, with a softmax over outputs as the seed states, or an independent sigmoid per output.

    Returns the gated prediction and the gate values.
    """

    def __init__(self, in_features: int, num_outputs: int, dropout: float = 0.3, gate_hidden_size: int = 256,
                 gate_activation: str = "softmax"):  # fmt: skip
        super().__init__()
        if gate_activation not in ("softmax", "sigmoid"):
            raise ValueError(f"gate_activation must be 'softmax' or 'sigmoid', got {gate_activation!r}.")
        self.base = RegressionHead(in_features, num_outputs, dropout)
        self.gate = nn.Sequential(
            nn.Linear(in_features, gate_hidden_size), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(gate_hidden_size, num_outputs),
        )  # fmt: skip
        self.gate_activation = gate_activation

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        gate_logits = self.gate(features)  # (bs, num_outputs)
        gate = gate_logits.softmax(-1) if self.gate_activation == "softmax" else torch.sigmoid(gate_logits)
        return self.base(features) * gate, gate


class MixtureOfExpertsRegressionHead(nn.Module):
    """Mixture-of-experts head of the seed: `num_experts` heads shaped like `RegressionHead`, mixed per example by a
    2-layer MLP router with softmax; returns the prediction, the router logits, the router weights and the
    load-balance loss."""

    def __init__(self, in_features: int, num_outputs: int, num_experts: int = 4, dropout: float = 0.3,
                 router_hidden_size: int = 256):  # fmt: skip
        super().__init__()
        self.experts = nn.ModuleList(RegressionHead(in_features, num_outputs, dropout) for _ in range(num_experts))
        self.router = nn.Sequential(
            nn.Linear(in_features, router_hidden_size), nn.ReLU(), nn.Linear(router_hidden_size, num_experts)
        )

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        router_logits = self.router(features)  # (bs, num_experts)
        weights = router_logits.float().softmax(-1)
        predictions = torch.stack([expert(features) for expert in self.experts], dim=1)  # (bs, num_experts, out)
        mixed = (weights.unsqueeze(-1).to(predictions.dtype) * predictions).sum(1)  # (bs, out)
        return mixed, router_logits, weights, load_balance_loss(weights)


def masked_mean(hidden_states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the sequence axis of `(bs, seq_len, dim)` states, counting only positions where `mask` is 1."""
    mask = mask.unsqueeze(-1).to(hidden_states.dtype)  # (bs, seq_len, 1)
    return (hidden_states * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def masked_max(hidden_states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over the sequence axis of `(bs, seq_len, dim)` states, ignoring positions where `mask` is 0."""
    fill = torch.finfo(hidden_states.dtype).min
    masked = hidden_states.masked_fill(~mask.bool().unsqueeze(-1), fill)
    return masked.max(dim=1).values


class MLPExpert(nn.Module):
    """A two-layer feed-forward expert (Linear -> activation -> dropout -> Linear), applied position-wise."""

    def __init__(self, dim: int, intermediate_size: int, dropout: float = 0.1, act_layer: type[nn.Module] = nn.GELU):
        super().__init__()
        self.fc1 = nn.Linear(dim, intermediate_size)
        self.act = act_layer()
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(intermediate_size, dim)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.dropout(self.act(self.fc1(hidden_states))))


def encoder_from_config(backbone_config, keep_pooler: bool = False) -> PreTrainedModel:
    """A randomly initialised encoder for `backbone_config`, by default without its own pooler (BERT/RoBERTa's tanh
    pooler): a model that pools the token states itself would otherwise carry dead weight that never receives a
    gradient. `keep_pooler=True` keeps it for heads that read the pooler output.
    """
    if keep_pooler:
        return AutoModel.from_config(backbone_config)
    try:
        return AutoModel.from_config(backbone_config, add_pooling_layer=False)
    except TypeError:  # encoders without a pooler (DistilBERT, DeBERTa-v2) take no such argument
        return AutoModel.from_config(backbone_config)


class BodyAutoMapMixin:
    """Makes `save_pretrained` record the body class under `AutoModel` in `config.auto_map` besides the task class.

    `register_for_auto_class` records one Auto class per model class; adding the body lets
    `AutoModel.from_pretrained(folder, trust_remote_code=True)` load a saved task model's body too. Subclasses set
    `_body_class_name` (the `AutoModel` class, e.g. `"AmsdffModel"`).
    """

    _body_class_name: str = ""

    def save_pretrained(self, save_directory, *args, **kwargs):
        if getattr(self, "_auto_class", None) is not None and self._body_class_name:
            auto_map = dict(getattr(self.config, "auto_map", None) or {})
            auto_map.setdefault("AutoModel", f"{type(self).__module__.split('.')[-1]}.{self._body_class_name}")
            self.config.auto_map = auto_map
        return super().save_pretrained(save_directory, *args, **kwargs)


class PretrainedEncoderMixin(BodyAutoMapMixin):
    """For `PreTrainedModel`s built around `self.backbone` (an `AutoModel` encoder made from `config.backbone_config`).

    Adds `from_pretrained_backbone` (build the model and load a pretrained encoder's weights into it), the encoder
    call shared by the bodies (`run_encoder`) and the input-embedding accessors.
    """

    def _encoder(self) -> PreTrainedModel:
        base = getattr(self, self.base_model_prefix, self)
        return base.backbone

    def get_input_embeddings(self) -> nn.Module:
        return self._encoder().get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module):
        self._encoder().set_input_embeddings(value)

    def run_encoder(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
    ):
        """Run `self.backbone` with the inputs it accepts (DistilBERT takes no `token_type_ids`, for instance).

        Returns the encoder's output and the attention mask (all ones when none was given).
        """
        if input_ids is None and inputs_embeds is None:
            raise ValueError(f"{type(self).__name__} needs `input_ids` or `inputs_embeds`.")
        if attention_mask is None:
            reference = input_ids if input_ids is not None else inputs_embeds[..., 0]
            attention_mask = torch.ones(reference.shape, dtype=torch.long, device=reference.device)
        accepted = self.__dict__.get("_encoder_inputs")
        if accepted is None:
            accepted = set(inspect.signature(self.backbone.forward).parameters)
            accepted |= {"output_attentions", "output_hidden_states"}  # taken through **kwargs in transformers 5
            self.__dict__["_encoder_inputs"] = accepted
        inputs = {"input_ids": input_ids, "inputs_embeds": inputs_embeds, "token_type_ids": token_type_ids,
                  "position_ids": position_ids, "output_attentions": output_attentions,
                  "output_hidden_states": output_hidden_states}  # fmt: skip
        inputs = {name: value for name, value in inputs.items() if value is not None and name in accepted}
        return self.backbone(attention_mask=attention_mask, return_dict=True, **inputs), attention_mask

    @classmethod
    def from_pretrained_backbone(
        cls,
        backbone_name_or_path: str,
        config=None,
        backbone_kwargs: dict | None = None,
        **kwargs,
    ):
        """Build the model around a pretrained encoder and load the encoder's weights.

        Args:
            backbone_name_or_path: Hub id or local folder of any `AutoModel` encoder.
            config: a full config of this model; its `backbone_config` is replaced by the encoder's own config.
            backbone_kwargs: extra arguments for `AutoModel.from_pretrained` (`revision`, `token`, `dtype` ...).
            **kwargs: config arguments (`num_labels`, `id2label`, module switches ...) when `config` is None.

        The new modules are initialised from `config.initializer_range`; the encoder keeps its pretrained weights
        exactly (only its unused pooler is left out).
        """
        encoder = AutoModel.from_pretrained(backbone_name_or_path, **(backbone_kwargs or {}))
        if config is None:
            config = cls.config_class(backbone_config=encoder.config, **kwargs)
        else:
            config.backbone_config = encoder.config
        model = cls(config)
        base = getattr(model, model.base_model_prefix, model)
        missing, unexpected = base.backbone.load_state_dict(encoder.state_dict(), strict=False)
        unexpected = [key for key in unexpected if not key.startswith("pooler.")]  # a pooler the model does not use
        if missing or unexpected:
            raise ValueError(
                f"The weights of {backbone_name_or_path!r} do not fit its own architecture: missing {missing[:5]}, "
                f"unexpected {unexpected[:5]}."
            )
        return model
