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
