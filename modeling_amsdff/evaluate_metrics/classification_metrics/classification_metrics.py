# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Accuracy and F1 of a classifier, computed with scikit-learn: an `evaluate` metric module that ships inside
`modeling_amsdff` and loads without the Hub, `evaluate.load("<this folder>")` (single-label) or
`evaluate.load("<this folder>", "multilabel")`."""

import datasets
import evaluate
from sklearn.metrics import accuracy_score, f1_score


_DESCRIPTION = """
Accuracy and macro-averaged F1 of class predictions; for multi-label predictions (config "multilabel": one 0/1 vector
per example) accuracy is the exact-match ratio, and micro-averaged F1 is added.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[int]`, or `list[list[int]]` for "multilabel"): predicted class ids, or 0/1 label vectors.
    references (same type as `predictions`): the true class ids or label vectors.
Returns:
    accuracy (`float`), f1_macro (`float`), and f1_micro (`float`) for "multilabel".
Examples:
    >>> metric = evaluate.load("modeling_amsdff/evaluate_metrics/classification_metrics")
    >>> metric.compute(predictions=[0, 1, 1], references=[0, 1, 0])
    {'accuracy': 0.6666666666666666, 'f1_macro': 0.6666666666666666}
"""

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

    def _compute(self, predictions, references):
        results = {
            "accuracy": float(accuracy_score(references, predictions)),
            "f1_macro": float(f1_score(references, predictions, average="macro", zero_division=0)),
        }
        if self.config_name == "multilabel":
            results["f1_micro"] = float(f1_score(references, predictions, average="micro", zero_division=0))
        return results
