# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Evaluation metrics computed offline with scikit-learn / NumPy (`evaluate.load` needs the Hub)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, mean_absolute_error, mean_squared_error
from transformers import EvalPrediction


def _logits(predictions) -> np.ndarray:
    # Models may return extra outputs next to the logits; the logits always come first.
    return predictions[0] if isinstance(predictions, (tuple, list)) else predictions


def classification_metrics(
    logits: np.ndarray, labels: np.ndarray, problem_type: str, threshold: float = 0.0
) -> dict[str, float]:
    """Accuracy and F1 (macro, and micro for multi-label) of class logits against labels.

    Multi-label predictions are `logit > threshold` (0 = probability 0.5); their accuracy is the exact-match ratio.
    """
    if problem_type == "multi_label_classification":
        predicted = (logits > threshold).astype(int)
        labels = labels.astype(int)
        return {
            "accuracy": float(accuracy_score(labels, predicted)),
            "f1_macro": float(f1_score(labels, predicted, average="macro", zero_division=0)),
            "f1_micro": float(f1_score(labels, predicted, average="micro", zero_division=0)),
        }
    predicted = logits.argmax(-1)
    return {
        "accuracy": float(accuracy_score(labels, predicted)),
        "f1_macro": float(f1_score(labels, predicted, average="macro", zero_division=0)),
    }


def regression_metrics(
    predictions: np.ndarray, targets: np.ndarray, names: list[str] | None = None
) -> dict[str, float]:
    """RMSE, MAE and Pearson r per target dimension (`rmse_<name>` ...) and averaged over them (`rmse` ...).

    Pearson r of a constant prediction is undefined; it is reported as 0.
    """
    targets = targets.reshape(len(targets), -1)
    predictions = predictions.reshape(len(targets), -1)
    names = list(names) if names and len(names) == targets.shape[1] else [str(i) for i in range(targets.shape[1])]
    metrics: dict[str, float] = {}
    for dim, name in enumerate(names):
        p, t = predictions[:, dim], targets[:, dim]
        metrics[f"rmse_{name}"] = float(np.sqrt(mean_squared_error(t, p)))
        metrics[f"mae_{name}"] = float(mean_absolute_error(t, p))
        metrics[f"pearson_{name}"] = float(np.corrcoef(p, t)[0, 1]) if p.std() > 0 and t.std() > 0 else 0.0
    for metric in ("rmse", "mae", "pearson"):
        metrics[metric] = float(np.mean([metrics[f"{metric}_{name}"] for name in names]))
    return metrics


def build_compute_metrics(problem_type: str, target_names: list[str] | None = None):
    """A `compute_metrics` function for `Trainer` for the given problem type (scalar metrics only)."""

    def compute_metrics(eval_prediction: EvalPrediction) -> dict[str, float]:
        logits = _logits(eval_prediction.predictions)
        if problem_type == "regression":
            return regression_metrics(logits, eval_prediction.label_ids, target_names)
        return classification_metrics(logits, eval_prediction.label_ids, problem_type)

    return compute_metrics


def confusion(logits: np.ndarray, labels: np.ndarray, num_labels: int) -> list[list[int]]:
    """Confusion matrix of a single-label classifier (rows: true class, columns: predicted class)."""
    return confusion_matrix(labels, _logits(logits).argmax(-1), labels=list(range(num_labels))).tolist()
