"""Metrics go through `evaluate`, with the metric modules that ship in the package (offline: `evaluate.load` of a
folder); their values are checked against hand-computed ones."""

import evaluate
import numpy as np
import pytest
from transformers import EvalPrediction

from modeling_amsdff.metrics import METRIC_MODULES, build_compute_metrics, classification_metrics, regression_metrics


def test_the_metric_modules_load_offline_with_evaluate():
    single = evaluate.load(str(METRIC_MODULES / "classification_metrics"), keep_in_memory=True)
    assert single.compute(predictions=[0, 1, 1, 2], references=[0, 1, 2, 2]) == {
        "accuracy": 0.75,
        "f1_macro": pytest.approx((1 + 2 / 3 + 2 / 3) / 3),
    }
    multi = evaluate.load(str(METRIC_MODULES / "classification_metrics"), "multilabel", keep_in_memory=True)
    result = multi.compute(predictions=[[1, 0], [1, 1]], references=[[1, 0], [0, 1]])
    # exact match 1/2; label 0: precision 1/2, recall 1 -> F1 2/3; label 1: F1 1; micro: tp 2, fp 1, fn 0 -> 0.8
    assert result == {"accuracy": 0.5, "f1_macro": pytest.approx(5 / 6), "f1_micro": pytest.approx(0.8)}


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
    regression = build_compute_metrics("regression", ["score"])(
        EvalPrediction(predictions=np.array([[1.0], [2.0]]), label_ids=np.array([1.0, 3.0]))
    )
    assert regression["rmse_score"] == pytest.approx(np.sqrt(0.5))


def test_card_ids_are_cut_between_words():
    from modeling_amsdff.hub import slug

    name = "VADER sentence ground truth (Hutto & Gilbert, ICWSM 2014): valence of tweets, movie reviews"
    assert slug(name) == "vader-sentence-ground-truth-hutto-gilbert-icwsm-2014-valence-of"
    assert len(slug(name)) <= 64 and slug("!!!") == "data"
