# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Losses of every model family, and the validation of the config arguments that choose them.

One name per meaning across families: `classification_loss` (`"cross_entropy"`, `"focal"`, `"label_smoothing"`,
`"combined"`) and `regression_loss` (`"mse"`, `"huber"`). This file travels with every saved model that computes its
own loss, so it imports only torch.

References:
    - Focal loss: Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.
    - Label smoothing: Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016.
    - Load-balance loss (squared coefficient of variation of expert importance): Shazeer et al., "Outrageously Large
      Neural Networks: The Sparsely-Gated Mixture-of-Experts Layer", ICLR 2017.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F


CLASSIFICATION_LOSSES = ("cross_entropy", "focal", "label_smoothing", "combined")
REGRESSION_LOSSES = ("mse", "huber")
PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")


@dataclass
class LossSettings:
    """The config arguments `classification_loss_from_config` reads, declared once for every config that computes its
    own classification loss (a base of `AmsdffConfig` and `AmsraNetConfig`, whose docstrings document them); a config
    may give one another default by declaring it again."""

    classification_loss: str = "combined"
    loss_weights: list[float] | tuple[float, ...] = (0.4, 0.4, 0.2)
    focal_gamma: float = 2.0
    focal_alpha: float | list[float] | tuple[float, ...] | None = None
    label_smoothing: float = 0.1
    regression_loss: str = "mse"
    huber_delta: float = 1.0


CLASSIFICATION_LOSS_SETTINGS = tuple(field.name for field in fields(LossSettings))
IGNORE_INDEX = -100


def _invalid(config, name: str, allowed: str):
    return ValueError(f"{type(config).__name__}: `{name}` must be {allowed}, got {getattr(config, name)!r}.")


def validate_regression_loss_settings(config) -> None:
    """Check `config.regression_loss` and `config.huber_delta`; the error names the argument and its allowed values."""
    if config.regression_loss not in REGRESSION_LOSSES:
        raise _invalid(config, "regression_loss", f"one of {REGRESSION_LOSSES}")
    if not config.huber_delta > 0:
        raise _invalid(config, "huber_delta", "> 0")


def validate_classification_loss_settings(config) -> None:
    """Check every argument of `CLASSIFICATION_LOSS_SETTINGS` on `config`."""
    if config.classification_loss not in CLASSIFICATION_LOSSES:
        raise _invalid(config, "classification_loss", f"one of {CLASSIFICATION_LOSSES}")
    weights = config.loss_weights
    if len(weights) != 3 or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise _invalid(config, "loss_weights", "three non-negative weights (CE, focal, label smoothing), sum > 0")
    if config.focal_gamma < 0:
        raise _invalid(config, "focal_gamma", ">= 0")
    if isinstance(config.focal_alpha, tuple) and len(config.focal_alpha) != config.num_labels:
        raise _invalid(config, "focal_alpha", f"a float or one weight per label ({config.num_labels})")
    if not 0.0 <= config.label_smoothing < 1.0:
        raise _invalid(config, "label_smoothing", "in [0, 1)")
    validate_regression_loss_settings(config)


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


def compute_regression_loss(
    predictions: torch.Tensor,
    targets: torch.Tensor,
    regression_loss: str = "mse",
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
    if regression_loss == "huber":
        per_example = F.huber_loss(predictions, targets, delta=huber_delta, reduction="none").mean(-1)
    elif regression_loss == "mse":
        per_example = F.mse_loss(predictions, targets, reduction="none").mean(-1)
    else:
        raise ValueError(f"regression_loss must be one of {REGRESSION_LOSSES}, got {regression_loss!r}.")
    if sample_weight is not None:
        per_example = per_example * sample_weight.to(per_example.device, per_example.dtype).reshape(-1)
    return per_example.mean()


def compute_classification_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    problem_type: str,
    num_labels: int,
    classification_loss: str = "cross_entropy",
    loss_weights: tuple[float, float, float] = (0.4, 0.4, 0.2),
    focal_gamma: float = 2.0,
    focal_alpha: tuple[float, ...] | float | None = None,
    label_smoothing: float = 0.1,
    regression_loss: str = "mse",
    huber_delta: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Loss of a sequence- or image-level classifier for any `problem_type`, and its named components.

    `classification_loss` picks the loss: `"cross_entropy"`, `"focal"`, `"label_smoothing"` (cross-entropy against
    smoothed targets) or `"combined"`, the weighted sum `loss_weights[0] * CE + loss_weights[1] * focal +
    loss_weights[2] * label-smoothed CE` of the AMSDFF paper. Multi-label problems use the binary counterparts of the
    same three terms (BCE, sigmoid focal, BCE against targets smoothed towards 0.5). Regression (`num_labels == 1` or
    `problem_type="regression"`) uses `regression_loss`, MSE or Huber.

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
        loss = compute_regression_loss(logits, labels, regression_loss, huber_delta)
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

    if classification_loss == "cross_entropy":
        weights = {"ce": 1.0}
    elif classification_loss == "focal":
        weights = {"focal": 1.0}
    elif classification_loss == "label_smoothing":
        weights = {"label_smoothing": 1.0}
    elif classification_loss == "combined":
        weights = dict(zip(("ce", "focal", "label_smoothing"), loss_weights))
    else:
        raise ValueError(f"classification_loss must be one of {CLASSIFICATION_LOSSES}, got {classification_loss!r}.")

    loss = logits.new_zeros(())
    for name, weight in weights.items():
        if weight == 0:
            continue
        value = terms[name]()
        components[name] = value.detach()
        loss = loss + weight * value
    return loss, components


def classification_loss_from_config(
    logits: torch.Tensor, labels: torch.Tensor, config
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """`compute_classification_loss` for a model's `config`: the problem type resolved as transformers does, and every
    argument of `CLASSIFICATION_LOSS_SETTINGS` read from the config (which must define all of them)."""
    labels = labels.to(logits.device)
    problem_type = resolve_problem_type(config.problem_type, config.num_labels, labels)
    settings = {name: getattr(config, name) for name in CLASSIFICATION_LOSS_SETTINGS}
    return compute_classification_loss(
        logits, labels, problem_type=problem_type, num_labels=config.num_labels, **settings
    )


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
