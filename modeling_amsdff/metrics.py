# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Evaluation metrics through `evaluate`, with the metric modules that ship in `evaluate_metrics/` (computed with
scikit-learn and NumPy): `evaluate.load("accuracy")` would fetch its module from the Hub, these load offline from the
installed package. Not copied to the Hub with a model."""

from __future__ import annotations

from pathlib import Path

import evaluate
import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from transformers import EvalPrediction


METRIC_MODULES = Path(__file__).resolve().parent / "evaluate_metrics"


def load_metric(name: str, config_name: str | None = None) -> evaluate.EvaluationModule:
    """One of the package's metric modules (`classification_metrics`, `regression_metrics`), loaded by path.

    `keep_in_memory`: no cache file, so that the processes of a multi-process run never share one.
    """
    return evaluate.load(str(METRIC_MODULES / name), config_name, keep_in_memory=True)


def logits_of(predictions) -> np.ndarray:
    # Models may return extra outputs next to the logits; the logits always come first.
    return predictions[0] if isinstance(predictions, (tuple, list)) else predictions


def _classification_inputs(logits: np.ndarray, labels: np.ndarray, problem_type: str, threshold: float = 0.0):
    """(predictions, references) for `classification_metrics`: class ids, or 0/1 vectors `logit > threshold` for
    multi-label problems (threshold 0 is probability 0.5)."""
    if problem_type == "multi_label_classification":
        return (logits > threshold).astype(np.int32), labels.astype(np.int32)
    return logits.argmax(-1), labels.astype(np.int64)


def class_scores(logits: np.ndarray, problem_type: str) -> np.ndarray:
    """Probabilities from logits: softmax over classes, or a sigmoid per label for multi-label problems."""
    logits = np.asarray(logits, dtype=np.float64)
    if problem_type == "multi_label_classification":
        return 1.0 / (1.0 + np.exp(-logits))
    shifted = np.exp(logits - logits.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


def classification_metrics(
    logits: np.ndarray, labels: np.ndarray, problem_type: str, threshold: float = 0.0
) -> dict[str, float]:
    """Accuracy; precision, recall and F1 (macro, micro, weighted); ROC-AUC and average precision of class logits
    against labels (see `evaluate_metrics/classification_metrics`)."""
    metric = load_metric(
        "classification_metrics", "multilabel" if problem_type == "multi_label_classification" else None
    )
    predictions, references = _classification_inputs(logits, labels, problem_type, threshold)
    return metric.compute(predictions=predictions, references=references, scores=class_scores(logits, problem_type))


def per_class_report(
    logits: np.ndarray, labels: np.ndarray, problem_type: str, label_names: list[str]
) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each class (each label, for multi-label problems), by class name."""
    predictions, references = _classification_inputs(logits_of(logits), np.asarray(labels), problem_type)
    precision, recall, f1, support = precision_recall_fscore_support(
        references, predictions, labels=list(range(len(label_names))), average=None, zero_division=0
    )
    return {
        name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(n)}
        for name, p, r, f, n in zip(label_names, precision, recall, f1, support)
    }


def regression_metrics(
    predictions: np.ndarray, targets: np.ndarray, names: list[str] | None = None
) -> dict[str, float]:
    """RMSE, MAE and Pearson r per target dimension (`rmse_<name>` ...) and averaged over them (`rmse` ...)."""
    targets = np.asarray(targets).reshape(len(targets), -1)
    predictions = np.asarray(predictions).reshape(len(targets), -1)
    return load_metric("regression_metrics").compute(predictions=predictions, references=targets, target_names=names)


def load_named_metric(metric_name: str, problem_type: str) -> evaluate.EvaluationModule:
    """An `evaluate` metric by Hub name or local path (`--metric_name`), with a clear error when it cannot be loaded
    (offline, `evaluate.load("f1")` needs the Hub)."""
    config_name = "multilabel" if problem_type == "multi_label_classification" else None
    try:
        return evaluate.load(metric_name, config_name, keep_in_memory=True)
    except Exception as error:  # evaluate raises many types (FileNotFoundError, ConnectionError, ValueError ...)
        raise ValueError(f"--metric_name {metric_name!r} cannot be loaded: {type(error).__name__}: {error}") from error


def build_compute_metrics(problem_type: str, target_names: list[str] | None = None, metric_name: str | None = None):
    """A `compute_metrics` function for `Trainer` for the given problem type (scalar metrics only); the metric
    modules are loaded once. `metric_name` adds an `evaluate` metric computed as transformers' run_classification.py
    does (multi-label: micro average); its values are added to the package's own."""
    if problem_type == "regression":
        metric = load_metric("regression_metrics")
    else:
        metric = load_metric(
            "classification_metrics", "multilabel" if problem_type == "multi_label_classification" else None
        )
    named = load_named_metric(metric_name, problem_type) if metric_name else None

    def compute_metrics(eval_prediction: EvalPrediction) -> dict[str, float]:
        logits = logits_of(eval_prediction.predictions)
        labels = eval_prediction.label_ids
        if problem_type == "regression":
            width = logits.reshape(len(logits), -1).shape[1]
            predictions, references = (
                logits.reshape(len(logits), width),
                np.asarray(labels).reshape(len(labels), width),
            )
            results = metric.compute(predictions=predictions, references=references, target_names=target_names)
            if named is not None:
                results.update(named.compute(predictions=np.squeeze(predictions), references=np.squeeze(references)))
            return results
        predictions, references = _classification_inputs(logits, labels, problem_type)
        results = metric.compute(
            predictions=predictions, references=references, scores=class_scores(logits, problem_type)
        )
        if named is not None:
            average = {"average": "micro"} if problem_type == "multi_label_classification" else {}
            results.update(named.compute(predictions=predictions, references=references, **average))
        return results

    return compute_metrics


def confusion(logits: np.ndarray, labels: np.ndarray, num_labels: int) -> list[list[int]]:
    """Confusion matrix of a single-label classifier (rows: true class, columns: predicted class)."""
    return confusion_matrix(labels, logits_of(logits).argmax(-1), labels=list(range(num_labels))).tolist()


def write_predictions(
    path: str, predictions, label_ids: np.ndarray | None, problem_type: str, label_names: list[str], inputs: list[str]
) -> int:
    """One row per test example in the CSV file `path`, to read the model's errors: its index, the input (the text,
    or the image's file or row), the true label, the prediction, and how sure the model was: the probability of the
    predicted class (single-label), the predicted labels with their probabilities (multi-label), or each target's
    true and predicted value (regression). Returns the number of rows."""
    import csv

    logits = np.asarray(logits_of(predictions), dtype=np.float64)
    if problem_type == "regression":
        values = logits.reshape(len(logits), -1)
        header = ["index", "input", *label_names, *(f"predicted_{name}" for name in label_names)]
        truth = np.asarray(label_ids, dtype=np.float64).reshape(len(values), -1) if label_ids is not None else None
        rows = [
            [i, inputs[i], *(truth[i] if truth is not None else [""] * len(label_names)), *values[i]]
            for i in range(len(values))
        ]
    elif problem_type == "multi_label_classification":
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        header = ["index", "input", "labels", "predicted_labels", *(f"probability_{name}" for name in label_names)]

        def names(row) -> str:
            return "|".join(name for name, on in zip(label_names, row) if on)

        rows = [
            [i, inputs[i], names(label_ids[i] > 0.5) if label_ids is not None else "", names(p > 0.5), *p.round(6)]
            for i, p in enumerate(probabilities)
        ]
    else:
        shifted = np.exp(logits - logits.max(-1, keepdims=True))
        probabilities = shifted / shifted.sum(-1, keepdims=True)
        predicted = probabilities.argmax(-1)
        header = ["index", "input", "label", "predicted", "probability", "correct"]
        rows = [
            [
                i,
                inputs[i],
                label_names[int(label_ids[i])] if label_ids is not None else "",
                label_names[int(predicted[i])],
                round(float(probabilities[i, predicted[i]]), 6),
                bool(label_ids[i] == predicted[i]) if label_ids is not None else "",
            ]
            for i in range(len(probabilities))
        ]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)
