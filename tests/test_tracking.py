"""Experiment tracking: `--report_to mlflow` makes one real MLflow run (parameters, training and final metrics, loss
components, plots and model card as artifacts), read back with `mlflow.search_runs`; without MLflow installed the
flag is one clear error. (TensorBoard is checked in test_train.py's end-to-end run.)"""

import os
import sys

import pytest

from helpers import FAST, PLOTS


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import train  # noqa: E402


def test_report_to_mlflow_without_mlflow_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow now raises ImportError
    with pytest.raises(ValueError, match=r"--report_to mlflow needs MLflow: pip install 'modeling_amsdff\[tracking"):
        train.main(["--output_dir", str(tmp_path / "out"), "--report_to", "mlflow"])


@pytest.mark.parametrize(
    "uri, message",
    [
        ("file:./mlruns", "is a file store, which MLflow keeps in maintenance mode"),
        ("sqlite:////proc/nope/mlflow.db", "nothing can be created in /proc"),
        ("sqlite:///{tmp}/a-file/mlflow.db", "a-file is a file, not a folder"),
    ],
)
def test_an_unusable_tracking_store_is_named_before_training(uri, message, tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("x")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri.format(tmp=tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=message):
        train.main(["--output_dir", str(tmp_path / "out"), *FAST, "--max_train_samples", "8", "--report_to", "mlflow"])
    assert sorted(os.listdir(tmp_path)) == ["a-file"]  # refused before anything was loaded or written


def test_a_writable_or_allowed_tracking_store_passes(tmp_path, monkeypatch):
    from modeling_amsdff.tracking import check_tracking_store

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'new' / 'mlflow.db'}")
    check_tracking_store()  # MLflow creates the missing folder itself
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"file://{tmp_path / 'mlruns'}")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    check_tracking_store()
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_mlflow_run_on_rotten_tomatoes_with_minilm(minilm_path, rotten_tomatoes_available, tmp_path, monkeypatch):
    import mlflow
    from mlflow.tracking import MlflowClient

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"  # a local file store, as MLflow's default is (in the working folder)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "amsdff-tests")
    out = tmp_path / "tracked"
    budget = ["--max_train_samples", "48", "--max_eval_samples", "32", "--max_predict_samples", "32", *FAST]
    flags = ["--learning_rate", "1e-4", "--eval_strategy", "epoch", "--report_to", "mlflow", *PLOTS]
    results = train.main(["--output_dir", str(out), *budget, *flags])

    mlflow.set_tracking_uri(store)
    runs = mlflow.search_runs(experiment_names=["amsdff-tests"])
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["status"] == "FINISHED"
    assert run["params.model_type"] == "amsdff" and float(run["params.learning_rate"]) == 1e-4
    # training logs (with the loss components), the evaluation, and the final test metrics
    for metric in ("loss", "loss_ce", "loss_focal", "eval_accuracy", "predict_accuracy", "predict_roc_auc"):
        assert f"metrics.{metric}" in run.index and run[f"metrics.{metric}"] == run[f"metrics.{metric}"], metric
    assert run["metrics.predict_accuracy"] == pytest.approx(results["predict_accuracy"])
    client = MlflowClient(store)
    artifacts = {artifact.path for artifact in client.list_artifacts(run["run_id"])}
    assert {"README.md", "all_results.json", "predict_results.json", "plots"} <= artifacts
    plots = {artifact.path for artifact in client.list_artifacts(run["run_id"], "plots")}
    assert {"plots/learning_curves.png", "plots/confusion_matrix.png"} <= plots
    history = client.get_metric_history(run["run_id"], "loss")
    assert len(history) >= 2 and all(point.step > 0 for point in history)
