"""The experiment toolkit of train.py: K-fold cross-validation and the Optuna hyperparameter search, end to end on
the real Rotten Tomatoes data with the real MiniLM encoder (tiny budgets), the folds and the search space checked on
their own, and one clear line for each kind of bad request."""

import json
import os
import sys

import numpy as np
import pytest
import torch
from huggingface_hub import ModelCard

from modeling_amsdff import AmsdffConfig
from modeling_amsdff.data import DataError
from modeling_amsdff.experiments import DEFAULT_SEARCH_SPACES, fold_indices, load_search_space

from helpers import FAST


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import train  # noqa: E402


TINY_BUDGET = ["--max_train_samples", "48", "--max_eval_samples", "32", "--max_predict_samples", "32", *FAST]


# ---- folds ---------------------------------------------------------------------------------------------------------


def test_single_label_folds_are_stratified_and_cover_every_example():
    labels = np.array([0] * 30 + [1] * 12 + [2] * 6)
    folds = fold_indices(labels, "single_label_classification", 3, seed=0, label_names=["a", "b", "c"])
    assert len(folds) == 3
    held = np.concatenate([h for _, h in folds])
    assert sorted(held) == list(range(len(labels)))  # each example held out exactly once
    for train_part, held_part in folds:
        assert not set(train_part) & set(held_part)
        assert np.bincount(labels[held_part], minlength=3).tolist() == [10, 4, 2]  # in proportion


def test_multi_label_folds_use_iterative_stratification():
    pytest.importorskip("iterstrat")
    rng = np.random.default_rng(0)
    labels = (rng.random((60, 3)) < [0.5, 0.2, 0.1]).astype(int)
    folds = fold_indices(labels, "multi_label_classification", 3, seed=0, label_names=["x", "y", "z"])
    per_fold = np.array([labels[h].sum(0) for _, h in folds])  # positives of each label in each fold
    assert (per_fold.max(0) - per_fold.min(0) <= 1).all(), per_fold


def test_more_folds_than_the_smallest_class_is_refused():
    labels = np.array([0] * 10 + [1] * 2)
    with pytest.raises(DataError, match=r"--cross_validation_folds 3 is larger than the smallest class: 'rare' has 2"):
        fold_indices(labels, "single_label_classification", 3, seed=0, label_names=["common", "rare"])


# ---- search space --------------------------------------------------------------------------------------------------


def test_search_space_names_training_arguments_or_config_fields(tmp_path):
    assert load_search_space(None, False, AmsdffConfig) == DEFAULT_SEARCH_SPACES["text"]
    path = tmp_path / "space.json"
    path.write_text(json.dumps({"learning_rate": {"type": "float", "low": 1e-5, "high": 1e-3, "log": True}}))
    assert set(load_search_space(str(path), False, AmsdffConfig)) == {"learning_rate"}
    path.write_text(json.dumps({"num_experts": {"type": "int", "low": 2, "high": 4}}))
    assert set(load_search_space(str(path), False, AmsdffConfig)) == {"num_experts"}
    for space, message in (
        ({"learning_rat": {"type": "float", "low": 0, "high": 1}}, r"names \['learning_rat'\], which are neither"),
        ({"learning_rate": {"type": "uniform", "low": 0, "high": 1}}, "learning_rate must be"),
        ({"learning_rate": {"type": "float", "low": 1, "high": 0}}, "needs low < high"),
        ({"num_experts": {"type": "categorical", "choices": []}}, "non-empty list of choices"),
    ):
        path.write_text(json.dumps(space))
        with pytest.raises(ValueError, match=message):
            load_search_space(str(path), False, AmsdffConfig)
    with pytest.raises(ValueError, match="no such file"):
        load_search_space(str(tmp_path / "missing.json"), False, AmsdffConfig)


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--cross_validation_folds", "1"], "--cross_validation_folds must be at least 2"),
        (["--hyperparameter_search_only"], "need --hyperparameter_search_trials"),
        (["--hyperparameter_search_trials", "2", "--use_lora"], "does not combine with --use_lora"),
        (["--hyperparameter_search_trials", "2", "--hyperparameter_search_space", "nope.json"], "no such file"),
    ],
)
def test_bad_experiment_flags_are_one_clear_error(flags, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        train.main(["--output_dir", str(tmp_path / "out"), *flags])


# ---- end to end on real data (the tiny encoder: the tools' mechanics, not MiniLM, are under test) ---------------


def test_cross_validation_on_rotten_tomatoes(tiny_encoder, rotten_tomatoes_available, tmp_path):
    out = tmp_path / "cv"
    flags = ["--model_name_or_path", tiny_encoder, "--cross_validation_folds", "3"]
    results = train.main(["--output_dir", str(out), *flags, *TINY_BUDGET])
    report = json.loads((out / "cross_validation_results.json").read_text())
    assert report["folds"] == 3 and len(report["per_fold"]) == 3 and report["stratified"]
    accuracies = [fold["accuracy"] for fold in report["per_fold"]]
    assert report["mean"]["accuracy"] == pytest.approx(np.mean(accuracies))
    assert report["std"]["accuracy"] == pytest.approx(np.std(accuracies, ddof=1))
    assert sum(fold["held_out_examples"] for fold in report["per_fold"]) == 48  # the training split, not the test
    assert results["cross_validation_accuracy_mean"] == pytest.approx(report["mean"]["accuracy"])
    assert "predict_accuracy" in results  # the run went on to train its model and test it
    card = (out / "README.md").read_text()
    assert "3 folds of the training split" in card and f"{report['mean']['accuracy']:.4f} ± " in card
    ModelCard.load(out / "README.md")


@pytest.mark.slow
def test_hyperparameter_search_on_rotten_tomatoes(tiny_encoder, rotten_tomatoes_available, tmp_path):
    space = tmp_path / "space.json"
    space.write_text(
        json.dumps(
            {
                "learning_rate": {"type": "float", "low": 1e-5, "high": 1e-3, "log": True},
                "classification_loss": {"type": "categorical", "choices": ["cross_entropy", "focal"]},
            }
        )
    )
    out = tmp_path / "search"
    flags = [
        "--model_name_or_path",
        tiny_encoder,
        "--hyperparameter_search_trials",
        "3",
        "--hyperparameter_search_space",
        str(space),
    ]
    train.main(["--output_dir", str(out), *flags, *TINY_BUDGET])
    report = json.loads((out / "hyperparameter_search.json").read_text())
    assert len(report["trials"]) == 3 and report["metric"] == "eval_accuracy" and report["direction"] == "maximize"
    finished = [t for t in report["trials"] if t["state"] == "COMPLETE"]
    best = max(finished, key=lambda t: t["value"])
    assert report["best_trial"] == best["number"] and report["best_hyperparameters"] == best["params"]
    # the final model trained with the best trial's learning rate and config
    args = torch.load(out / "training_args.bin", weights_only=False)
    assert args.learning_rate == pytest.approx(best["params"]["learning_rate"])
    config = json.loads((out / "config.json").read_text())
    assert config["classification_loss"] == best["params"]["classification_loss"]
    assert "best hyperparameters of an Optuna search" in (out / "README.md").read_text()

    only = tmp_path / "search-only"
    train.main(["--output_dir", str(only), *flags[:4], "--hyperparameter_search_only", *TINY_BUDGET])
    assert (only / "hyperparameter_search.json").is_file() and not (only / "model.safetensors").exists()


def test_search_then_cross_validation_of_an_image_model(tmp_path):
    """Both tools on an image family (tiny AMSRA-Net on an image folder): the search's best config field reaches the
    folds' models and the final one."""
    from test_train_image import QUICK, TINY_AMSRA, write_image_folder

    train_dir = write_image_folder(tmp_path / "train", 16)
    validation_dir = write_image_folder(tmp_path / "val", 4, seed=1)
    space = tmp_path / "space.json"
    space.write_text(
        json.dumps(
            {
                "learning_rate": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True},
                "lgsa_reduction": {"type": "categorical", "choices": [2, 4]},
            }
        )
    )
    out = tmp_path / "amsra"
    common = ["--model_type", "amsra_net", "--train_dir", train_dir, "--validation_dir", validation_dir]
    results = train.main(
        [
            *common,
            "--output_dir",
            str(out),
            "--config_overrides",
            TINY_AMSRA,
            "--num_train_epochs",
            "1",
            "--per_device_train_batch_size",
            "8",
            "--hyperparameter_search_trials",
            "2",
            "--hyperparameter_search_space",
            str(space),
            "--cross_validation_folds",
            "2",
            *QUICK,
        ]
    )
    search = json.loads((out / "hyperparameter_search.json").read_text())
    assert len(search["trials"]) == 2
    best = search["best_hyperparameters"]
    assert json.loads((out / "config.json").read_text())["lgsa_reduction"] == best["lgsa_reduction"]
    args = torch.load(out / "training_args.bin", weights_only=False)
    assert args.learning_rate == pytest.approx(best["learning_rate"])
    folds = json.loads((out / "cross_validation_results.json").read_text())
    assert len(folds["per_fold"]) == 2 and results["cross_validation_accuracy_std"] == pytest.approx(
        np.std([fold["accuracy"] for fold in folds["per_fold"]], ddof=1)
    )
    with pytest.raises(DataError, match="larger than the smallest class"):
        train.main([*common, "--output_dir", str(tmp_path / "k"), "--cross_validation_folds", "20", *QUICK])


# ---- every combination of stage flags ---------------------------------------------------------------------------


@pytest.mark.parametrize("stages", [[], ["--do_train"], ["--do_train", "--do_eval"], ["--do_train", "--do_predict"]])
@pytest.mark.parametrize(
    "tool",
    [["--cross_validation_folds", "2"], ["--hyperparameter_search_trials", "1"]],
    ids=["cross-validation", "search"],
)
def test_the_tools_run_with_any_stage_flags(tool, stages, tiny_encoder, tmp_path):
    pytest.importorskip("optuna")
    data = tmp_path / "data.csv"
    words = ["warm", "dull", "sharp", "slow", "funny", "tedious"]
    data.write_text("text,label\n" + "\n".join(f"a {words[i % 6]} film number {i},{i % 2}" for i in range(24)))
    out = tmp_path / "out"
    args = ["--model_name_or_path", tiny_encoder, "--train_file", str(data), "--output_dir", str(out), *FAST]
    results = train.main([*args, *tool, *stages])
    if tool[0] == "--cross_validation_folds":  # each fold evaluated on its own held-out part
        report = json.loads((out / "cross_validation_results.json").read_text())
        assert len(report["per_fold"]) == 2 and all("accuracy" in fold for fold in report["per_fold"])
    else:
        assert json.loads((out / "hyperparameter_search.json").read_text())["trials"][0]["state"] == "COMPLETE"
    asked = set(stages) or {"--do_train", "--do_eval", "--do_predict"}  # none given: all three, as documented
    assert ("eval_accuracy" in results) == ("--do_eval" in asked)
    assert ("predict_accuracy" in results) == ("--do_predict" in asked)
    assert (out / "model.safetensors").is_file()
