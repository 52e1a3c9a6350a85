"""Metrics go through `evaluate`, with the metric modules that ship in the package (offline: `evaluate.load` of a
folder); their values are checked against hand-computed ones."""

import evaluate
import numpy as np
import pytest
from transformers import EvalPrediction

from modeling_amsdff.metrics import METRIC_MODULES, build_compute_metrics, classification_metrics, regression_metrics


def test_the_metric_modules_load_offline_with_evaluate():
    single = evaluate.load(str(METRIC_MODULES / "classification_metrics"), keep_in_memory=True)
    result = single.compute(predictions=[0, 1, 1, 2], references=[0, 1, 2, 2])
    # class 0: P 1, R 1; class 1: P 1/2, R 1; class 2: P 1, R 1/2 (support 1, 1, 2)
    assert result == {
        "accuracy": 0.75,
        "precision_macro": pytest.approx(2.5 / 3),
        "recall_macro": pytest.approx(2.5 / 3),
        "f1_macro": pytest.approx((1 + 2 / 3 + 2 / 3) / 3),
        "precision_micro": 0.75,  # single-label: every micro average is the accuracy
        "recall_micro": 0.75,
        "f1_micro": 0.75,
        "precision_weighted": pytest.approx((1 + 0.5 + 2) / 4),
        "recall_weighted": pytest.approx((1 + 1 + 1) / 4),
        "f1_weighted": pytest.approx((1 + 2 / 3 + 2 * 2 / 3) / 4),
    }
    multi = evaluate.load(str(METRIC_MODULES / "classification_metrics"), "multilabel", keep_in_memory=True)
    result = multi.compute(predictions=[[1, 0], [1, 1]], references=[[1, 0], [0, 1]])
    # exact match 1/2; label 0: precision 1/2, recall 1 -> F1 2/3; label 1: F1 1; micro: tp 2, fp 1, fn 0 -> 0.8
    assert result["accuracy"] == 0.5 and result["f1_macro"] == pytest.approx(5 / 6)
    assert result["f1_micro"] == pytest.approx(0.8) and result["precision_micro"] == pytest.approx(2 / 3)
    assert result["recall_micro"] == 1.0


def test_ranking_metrics_of_class_scores():
    from sklearn.metrics import roc_auc_score

    metric = evaluate.load(str(METRIC_MODULES / "classification_metrics"), keep_in_memory=True)
    # binary: the positive class's score ranks 1 of the 4 (positive, negative) pairs wrongly -> AUC 3/4
    scores = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]])
    binary = metric.compute(predictions=[0, 1, 1, 1], references=[0, 0, 1, 1], scores=scores)
    assert binary["roc_auc"] == 1.0 and binary["ranked_classes"] == 1
    swapped = metric.compute(predictions=[0, 1, 1, 1], references=[0, 1, 0, 1], scores=scores)
    assert swapped["roc_auc"] == pytest.approx(3 / 4)
    # positives at ranks 1 and 3 of the positive-class scores: AP = (1/1 + 2/3) / 2
    assert swapped["average_precision"] == pytest.approx((1 + 2 / 3) / 2)
    # three classes, one absent from the references: one-vs-rest over the two present only
    scores3 = np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])
    result = metric.compute(predictions=[0, 1, 0, 1], references=[0, 1, 1, 0], scores=scores3)
    expected = (roc_auc_score([1, 0, 0, 1], scores3[:, 0]) + roc_auc_score([0, 1, 1, 0], scores3[:, 1])) / 2
    assert result["roc_auc"] == pytest.approx(expected) and result["ranked_classes"] == 2
    # one class only in the references: nothing to rank, no ranking metric
    assert "roc_auc" not in metric.compute(predictions=[0, 0], references=[0, 0], scores=scores[:2])


def test_per_class_report_names_every_class():
    from modeling_amsdff.metrics import per_class_report

    logits = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0], [0.0, 3.0, 0.0]])
    report = per_class_report(logits, np.array([0, 1, 1, 1]), "single_label_classification", ["a", "b", "c"])
    assert list(report) == ["a", "b", "c"]
    assert report["b"] == {"precision": 1.0, "recall": pytest.approx(2 / 3), "f1": pytest.approx(0.8), "support": 3}
    assert report["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    multi = per_class_report(
        np.array([[1.0, -1.0], [1.0, 1.0]]), np.array([[1, 0], [0, 1]]), "multi_label_classification", ["x", "y"]
    )
    assert multi["x"]["precision"] == 0.5 and multi["y"]["recall"] == 1.0


def test_regression_metrics_per_target_and_averaged():
    predictions = np.array([[1.0, 0.0], [2.0, 1.0], [4.0, 2.0]])
    targets = np.array([[1.0, 0.0], [3.0, 1.0], [3.0, 2.0]])
    metrics = regression_metrics(predictions, targets, ["valence", "std"])
    assert metrics["rmse_valence"] == pytest.approx(np.sqrt(2 / 3)) and metrics["rmse_std"] == 0.0
    assert metrics["mae_valence"] == pytest.approx(2 / 3) and metrics["pearson_std"] == pytest.approx(1.0)
    assert metrics["rmse"] == pytest.approx(np.sqrt(2 / 3) / 2)
    constant = regression_metrics(np.ones((3, 1)), targets[:, :1])
    assert constant["pearson_0"] == 0.0  # undefined for a constant prediction: reported as 0


def test_compute_metrics_for_the_trainer():
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    compute = build_compute_metrics("single_label_classification")
    metrics = compute(EvalPrediction(predictions=(logits, np.zeros(3)), label_ids=np.array([0, 1, 1])))
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics == classification_metrics(logits, np.array([0, 1, 1]), "single_label_classification")
    assert {"roc_auc", "average_precision", "precision_weighted", "recall_macro"} <= set(metrics)
    regression = build_compute_metrics("regression", ["score"])(
        EvalPrediction(predictions=np.array([[1.0], [2.0]]), label_ids=np.array([1.0, 3.0]))
    )
    assert regression["rmse_score"] == pytest.approx(np.sqrt(0.5))


def test_card_ids_are_cut_between_words():
    from modeling_amsdff.data import slug

    name = "VADER sentence ground truth (Hutto & Gilbert, ICWSM 2014): valence of tweets, movie reviews"
    assert slug(name) == "vader-sentence-ground-truth-hutto-gilbert-icwsm-2014-valence-of"
    assert len(slug(name)) <= 64 and slug("!!!") == "data"
