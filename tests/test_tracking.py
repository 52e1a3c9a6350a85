"""Experiment tracking: `--report_to mlflow` makes one real MLflow run (parameters, training and final metrics, loss
components, plots and model card as artifacts), read back with `mlflow.search_runs`; without MLflow installed the
flag is one clear error. (TensorBoard is checked in test_train.py's end-to-end run.)"""

import json
import os
import sys

import pytest

from modeling_amsdff import runner

from helpers import FAST, PLOTS


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import train  # noqa: E402


# A few seconds of training: the tiny encoder on 32 Rotten Tomatoes reviews.
TINY_BUDGET = ["--max_train_samples", "32", "--max_eval_samples", "16", "--max_predict_samples", "16", *FAST]


def use_store(store: str, monkeypatch) -> None:
    """MLflow's tracking store for this test: the environment, as a user sets it, and MLflow's process-wide setting,
    which an earlier test's `mlflow.set_tracking_uri` would otherwise keep (it wins over the environment)."""
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.setattr(mlflow.tracking._tracking_service.utils, "_tracking_uri", None)
    monkeypatch.setattr(mlflow.tracking.fluent, "_active_experiment_id", None)  # and its experiment, likewise
    # ... which mlflow.set_experiment also exports: unset it now, and again after the test (setenv records its absence)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "unset")
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID")


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


def test_mlflow_run_on_rotten_tomatoes(tiny_encoder, rotten_tomatoes_available, tmp_path, monkeypatch):
    import mlflow
    from mlflow.tracking import MlflowClient

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"  # a local file store, as MLflow's default is (in the working folder)
    use_store(store, monkeypatch)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "amsdff-tests")
    monkeypatch.chdir(tmp_path)  # MLflow's default artifact store is ./mlruns
    out = tmp_path / "tracked"
    budget = ["--max_train_samples", "48", "--max_eval_samples", "32", "--max_predict_samples", "32", *FAST]
    flags = ["--learning_rate", "1e-4", "--eval_strategy", "epoch", "--report_to", "mlflow", *PLOTS]
    results = train.main(["--output_dir", str(out), "--model_name_or_path", tiny_encoder, *budget, *flags])

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


# ---- Weights & Biases ----------------------------------------------------------------------------------------------


def wandb_records(path):
    """The records of an offline run's `.wandb` file (wandb's LevelDB-style log: a 7-byte file header, then
    32 KiB blocks of chunks, each with a 7-byte header of checksum, length and kind: full, first, middle or last)."""
    from wandb.proto import wandb_internal_pb2

    data, position, pending = open(path, "rb").read(), 7, b""
    while position + 7 <= len(data):
        if 32768 - position % 32768 < 7:  # a block's tail too short for a chunk header is padding
            position += 32768 - position % 32768
            continue
        length, kind = int.from_bytes(data[position + 4 : position + 6], "little"), data[position + 6]
        pending += data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind in (1, 4):  # full, or the last chunk of a record
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


@pytest.fixture
def fresh_wandb():
    """wandb keeps its settings (the mode among them) in a process-wide singleton: each test starts a new one."""
    import wandb

    wandb.teardown()
    yield
    wandb.teardown()


@pytest.mark.usefixtures("fresh_wandb")
def test_wandb_offline_run_holds_training_logs_final_metrics_and_plots(tiny_encoder, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("WANDB_PROJECT", "amsdff-tests")
    monkeypatch.setenv("WANDB_SILENT", "true")
    out = tmp_path / "tracked"
    flags = ["--eval_strategy", "epoch", "--report_to", "wandb", "--run_name", "tiny", *PLOTS]
    results = train.main(["--model_name_or_path", tiny_encoder, "--output_dir", str(out), *TINY_BUDGET, *flags])

    (run_dir,) = (tmp_path / "wandb").glob("offline-run-*")
    records = list(wandb_records(next(run_dir.glob("run-*.wandb"))))
    (run,) = [record.run for record in records if record.HasField("run")]
    assert run.project == "amsdff-tests" and run.display_name == "tiny"
    history = [
        {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
        for record in records
        if record.HasField("history")
    ]
    assert any("train/loss" in row and "train/loss_ce" in row for row in history)  # the loss components too
    assert any("eval/accuracy" in row for row in history)
    summary = {}
    for record in records:
        if record.HasField("summary"):
            summary.update({item.key: json.loads(item.value_json) for item in record.summary.update})
    assert summary["predict_accuracy"] == pytest.approx(results["predict_accuracy"])
    assert summary["eval_accuracy"] == pytest.approx(results["eval_accuracy"])
    config = {}
    for record in records:
        if record.HasField("config"):
            config.update({item.key: json.loads(item.value_json) for item in record.config.update})
    assert config["model_type"] == "amsdff" and config["learning_rate"] == 5e-5
    # the card, metric files and plots are files of the run, copied (an offline run outlives the output folder)
    for name in ("README.md", "all_results.json", "plots/learning_curves.png", "plots/confusion_matrix.png"):
        kept = run_dir / "files" / name
        assert not kept.is_symlink() and kept.read_bytes() == (out / name).read_bytes(), name
    saved = {path for record in records if record.HasField("files") for path in (f.path for f in record.files.files)}
    assert {"README.md", "plots/learning_curves.png"} <= saved


@pytest.mark.usefixtures("fresh_wandb")
def test_wandb_without_a_login_is_one_line_before_anything_is_loaded(tmp_path, monkeypatch):
    for name in ("WANDB_MODE", "WANDB_API_KEY", "WANDB_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc, no wandb settings
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"--report_to wandb: No API key configured.*WANDB_MODE=offline"):
        train.main(["--output_dir", str(tmp_path / "out"), *TINY_BUDGET, "--max_steps", "1", "--report_to", "wandb"])
    assert not (tmp_path / "out").exists() and not (tmp_path / "wandb").exists()


# ---- MLflow model registry -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_mlflow_registers_each_trained_model_as_a_new_version(tiny_encoder, tmp_path, monkeypatch):
    import mlflow
    from mlflow.tracking import MlflowClient
    from transformers import AutoModelForSequenceClassification

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    use_store(store, monkeypatch)
    monkeypatch.chdir(tmp_path)  # MLflow's default artifact store is ./mlruns
    flags = ["--report_to", "mlflow", "--mlflow_registered_model_name", "sentiment", *PLOTS]
    for name in ("first", "second"):
        train.main(["--model_name_or_path", tiny_encoder, "--output_dir", str(tmp_path / name), *TINY_BUDGET, *flags])

    client = MlflowClient(store)
    versions = sorted(client.search_model_versions("name='sentiment'"), key=lambda version: int(version.version))
    assert [int(version.version) for version in versions] == [1, 2]
    runs = mlflow.search_runs(experiment_ids=["0"], order_by=["start_time"])
    assert [version.run_id for version in versions] == list(runs["run_id"])
    second = versions[1]
    assert second.tags == {"model_type": "amsdff"} and "## How to use" in second.description
    folder = mlflow.artifacts.download_artifacts(f"models:/sentiment/{second.version}", dst_path=str(tmp_path / "dl"))
    shipped = set(os.listdir(folder))
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md", "plots"} <= shipped
    assert "amsdff_manifest.json" not in shipped and "predictions.csv" not in shipped  # as a push publishes it
    assert (tmp_path / "dl" / "model.safetensors").read_bytes() == (
        tmp_path / "second" / "model.safetensors"
    ).read_bytes()
    model = AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=True)
    assert model.config.model_type == "amsdff"

    out, train_and_save = tmp_path / "third", runner.train_and_save

    def owner_writes_meanwhile(*args, **kwargs):  # the owner puts a README.md and notes into the folder as it trains
        (out / "README.md").write_text("# Mine")
        (out / "notes.txt").write_text("private")
        return train_and_save(*args, **kwargs)

    monkeypatch.setattr(runner, "train_and_save", owner_writes_meanwhile)
    train.main(["--model_name_or_path", tiny_encoder, "--output_dir", str(out), *TINY_BUDGET, *flags])
    assert len(client.search_model_versions("name='sentiment'")) == 2  # not registered: it would publish their files
    third = mlflow.search_runs(experiment_ids=["0"], order_by=["start_time DESC"])["run_id"][0]
    logged = {entry.path for entry in client.list_artifacts(third)}
    assert "MODEL_CARD.md" in logged and "README.md" not in logged and "notes.txt" not in logged
    assert (out / "README.md").read_text() == "# Mine"


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--mlflow_registered_model_name", "m"], "it needs --report_to mlflow"),
        (["--mlflow_registered_model_name", " ", "--report_to", "mlflow"], "is empty"),
        (["--mlflow_registered_model_name", "m", "--report_to", "mlflow", "--do_eval"], "it needs --do_train"),
    ],
)
def test_registering_needs_mlflow_and_training(flags, message, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    with pytest.raises(ValueError, match=message):
        train.main(["--output_dir", str(tmp_path / "out"), *FAST, *flags])
    assert not (tmp_path / "out").exists()
