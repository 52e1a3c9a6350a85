# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Accuracy, precision, recall and F1 of a classifier, and ROC-AUC and average precision of its scores, computed with
scikit-learn: an `evaluate` metric module that ships inside `modeling_amsdff` and loads without the Hub,
`evaluate.load("<this folder>")` (single-label) or `evaluate.load("<this folder>", "multilabel")`."""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, precision_recall_fscore_support, roc_auc_score


_DESCRIPTION = """
Accuracy, and precision, recall and F1 averaged three ways (macro: the mean over classes; micro: over all decisions;
weighted: the mean over classes weighted by their support) of class predictions. For multi-label predictions (config
"multilabel": one 0/1 vector per example) accuracy is the exact-match ratio and the averages are over labels. Given
`scores` (a probability per class, or per label), ROC-AUC and average precision are added: of the positive class for
two classes, else one-vs-rest per class (per label), macro-averaged over the classes that have both positive and
negative references (the others have none: they are left out, and `ranked_classes` says how many counted).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[int]`, or `list[list[int]]` for "multilabel"): predicted class ids, or 0/1 label vectors.
    references (same type as `predictions`): the true class ids or label vectors.
    scores (`array` of shape (examples, classes), optional): a score per class (probabilities, or any monotone score).
Returns:
    accuracy, precision_<average>, recall_<average>, f1_<average> for average in macro, micro, weighted (`float`);
    with `scores`: roc_auc, average_precision (`float`) and ranked_classes (`int`).
Examples:
    >>> metric = evaluate.load("modeling_amsdff/evaluate_metrics/classification_metrics")
    >>> metric.compute(predictions=[0, 1, 1], references=[0, 1, 0])["f1_macro"]
    0.6666666666666666
"""

AVERAGES = ("macro", "micro", "weighted")

_CITATION = """
@article{scikit-learn, title={Scikit-learn: Machine Learning in {P}ython}, author={Pedregosa, F. and others},
journal={Journal of Machine Learning Research}, volume={12}, pages={2825--2830}, year={2011}}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class ClassificationMetrics(evaluate.Metric):
    def _info(self):
        if self.config_name == "multilabel":
            features = {
                "predictions": datasets.Sequence(datasets.Value("int32")),
                "references": datasets.Sequence(datasets.Value("int32")),
            }
        else:
            features = {"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(features),
            reference_urls=["https://scikit-learn.org/stable/modules/model_evaluation.html"],
        )

    def _compute(self, predictions, references, scores=None):
        references, predictions = np.asarray(references), np.asarray(predictions)
        results = {"accuracy": float(accuracy_score(references, predictions))}
        for average in AVERAGES:
            precision, recall, f1, _ = precision_recall_fscore_support(
                references, predictions, average=average, zero_division=0
            )
            results.update(
                {
                    f"precision_{average}": float(precision),
                    f"recall_{average}": float(recall),
                    f"f1_{average}": float(f1),
                }
            )
        if scores is not None:
            results.update(ranking_metrics(references, np.asarray(scores, dtype=np.float64), self.config_name))
        return results


def ranking_metrics(references: np.ndarray, scores: np.ndarray, config_name: str | None) -> dict:
    """ROC-AUC and average precision of `scores` (examples x classes): of class 1 for two classes, else one-vs-rest
    macro-averaged over the classes with both positive and negative references."""
    if config_name == "multilabel":
        truth = references.astype(bool)
    elif scores.shape[1] == 2:
        truth, scores = (references == 1)[:, None], scores[:, 1:]
    else:
        truth = references[:, None] == np.arange(scores.shape[1])[None, :]
    ranked = [k for k in range(truth.shape[1]) if 0 < truth[:, k].sum() < len(truth)]
    if not ranked:
        return {}
    return {
        "roc_auc": float(np.mean([roc_auc_score(truth[:, k], scores[:, k]) for k in ranked])),
        "average_precision": float(np.mean([average_precision_score(truth[:, k], scores[:, k]) for k in ranked])),
        "ranked_classes": len(ranked),
    }
