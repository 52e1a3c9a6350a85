# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""RMSE, MAE and Pearson r of a multi-target regressor, per target and averaged over the targets, computed with NumPy
and scikit-learn: an `evaluate` metric module that ships inside `modeling_amsdff` and loads without the Hub,
`evaluate.load("<this folder>")`."""

import datasets
import evaluate
import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error


_DESCRIPTION = """
Root mean squared error, mean absolute error and Pearson correlation of each target of a vector regression, in the
targets' own units, and their mean over the targets. Pearson r of a constant prediction is undefined and reported as 0.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[list[float]]`): one vector of predicted values per example.
    references (`list[list[float]]`): one vector of true values per example, of the same width.
    target_names (`list[str]`, *optional*): one name per target (default: "0", "1", ...).
Returns:
    rmse_<name>, mae_<name>, pearson_<name> for every target, and rmse, mae, pearson averaged over them.
Examples:
    >>> metric = evaluate.load("modeling_amsdff/evaluate_metrics/regression_metrics")
    >>> metric.compute(predictions=[[1.0], [2.0]], references=[[1.0], [3.0]], target_names=["valence"])["rmse"]
    0.7071067811865476
"""

_CITATION = """
@article{scikit-learn, title={Scikit-learn: Machine Learning in {P}ython}, author={Pedregosa, F. and others},
journal={Journal of Machine Learning Research}, volume={12}, pages={2825--2830}, year={2011}}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class RegressionMetrics(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("float64")),
                    "references": datasets.Sequence(datasets.Value("float64")),
                }
            ),
            reference_urls=["https://scikit-learn.org/stable/modules/model_evaluation.html#regression-metrics"],
        )

    def _compute(self, predictions, references, target_names=None):
        targets = np.asarray(references, dtype=np.float64)
        predictions = np.asarray(predictions, dtype=np.float64).reshape(targets.shape)
        width = targets.shape[1]
        names = list(target_names) if target_names and len(target_names) == width else [str(i) for i in range(width)]
        results = {}
        for dim, name in enumerate(names):
            p, t = predictions[:, dim], targets[:, dim]
            results[f"rmse_{name}"] = float(np.sqrt(mean_squared_error(t, p)))
            results[f"mae_{name}"] = float(mean_absolute_error(t, p))
            results[f"pearson_{name}"] = float(np.corrcoef(p, t)[0, 1]) if p.std() > 0 and t.std() > 0 else 0.0
        for metric in ("rmse", "mae", "pearson"):
            results[metric] = float(np.mean([results[f"{metric}_{name}"] for name in names]))
        return results
