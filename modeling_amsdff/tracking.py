# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Experiment tracking with MLflow (`--report_to mlflow`): one MLflow run per `train.py` run.

The Trainer's own `MLflowCallback` logs the training arguments and the model's config as parameters and every log
as metrics (the loss components and expert shares included: `LossComponentsCallback` puts them in the logs first).
This module opens the run around the whole of `train.py` (so that the callback logs into it rather than opening and
closing its own), then adds what the callback does not see: every final metric (test metrics, cross-validation means
and standard deviations), and the run's plots, model card and metric files as artifacts; the run ends FAILED if the
run fails. Where runs go is MLflow's to decide, as for any MLflow user: `MLFLOW_TRACKING_URI` (e.g.
`sqlite:///runs/mlflow.db`, or a server), else MLflow's default (the local SQLite file `mlflow.db` in the working
folder; `mlflow ui` shows it).
`MLFLOW_EXPERIMENT_NAME` picks the experiment. Not copied to the Hub with a model."""

from __future__ import annotations

import logging
import os
import tempfile
from contextlib import contextmanager
from urllib.parse import urlparse
from urllib.request import url2pathname

from .plots import PLOTS_DIR


logger = logging.getLogger("train")

LOGGED_FILES = (
    "README.md",
    "all_results.json",
    "predict_results.json",
    "eval_results.json",
    "cross_validation_results.json",
    "hyperparameter_search.json",
)


def reports_to_mlflow(training_args) -> bool:
    return "mlflow" in (training_args.report_to or [])


def check_tracking(training_args) -> None:
    """`--report_to mlflow`: MLflow installed and a tracking store it can write (`check_tracking_store`), checked
    before anything is loaded, each failure in one clear line."""
    if reports_to_mlflow(training_args):
        try:
            import mlflow  # noqa: F401
        except ImportError:
            raise ValueError("--report_to mlflow needs MLflow: pip install 'modeling_amsdff[tracking]'.") from None
        if training_args.process_index == 0:
            check_tracking_store()


def _local_store_path(uri: str) -> str | None:
    """The file or folder of a local tracking store (`file:`, a plain path, `sqlite:`); None for a server."""
    scheme = urlparse(uri).scheme
    if scheme.startswith("sqlite"):
        return uri.split("://", 1)[1][1:] or None  # sqlite:///relative.db, sqlite:////absolute.db
    if scheme == "file":
        parsed = urlparse(uri)
        return url2pathname(parsed.path) if parsed.netloc in ("", "localhost") else None
    return uri if scheme == "" or len(scheme) == 1 else None  # a plain path (or a Windows drive letter)


def _writable(path: str) -> str | None:
    """Why `path` (a store's file or folder, created on first use) cannot be written, or None."""
    if os.path.exists(path):
        if os.path.isdir(path):
            folder = path
        else:
            try:
                with open(path, "r+b"):
                    return None
            except OSError as error:
                return f"{path} cannot be opened for writing ({error.strerror})"
    else:
        folder = os.path.dirname(os.path.abspath(path))
        while not os.path.exists(folder):
            folder = os.path.dirname(folder)
        if not os.path.isdir(folder):
            return f"{folder} is a file, not a folder"
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as error:
        return f"nothing can be created in {folder} ({error.strerror})"


def check_tracking_store() -> None:
    """The MLflow tracking store (`MLFLOW_TRACKING_URI`, else MLflow's default) must be one this run can write: a
    file store is refused as MLflow 3 refuses it (unless `MLFLOW_ALLOW_FILE_STORE=true`), and a local store whose
    file or folder cannot be written is named. A server is checked by MLflow itself when the run starts."""
    import mlflow

    uri = mlflow.get_tracking_uri()
    path = _local_store_path(uri)
    if path is None:
        return
    scheme = urlparse(uri).scheme
    allowed = os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() in ("1", "true")
    if not scheme.startswith("sqlite") and not allowed:
        raise ValueError(
            f"MLflow tracking URI {uri!r} is a file store, which MLflow keeps in maintenance mode and refuses: set "
            "MLFLOW_TRACKING_URI=sqlite:///mlflow.db (or a server), or MLFLOW_ALLOW_FILE_STORE=true to keep it."
        )
    problem = _writable(path)
    if problem:
        raise ValueError(
            f"MLflow cannot write its tracking store {uri!r}: {problem}. Point MLFLOW_TRACKING_URI at a writable "
            "place (e.g. sqlite:///mlflow.db in this folder)."
        )


@contextmanager
def mlflow_run(training_args):
    """The MLflow run of a `train.py` run (None when it does not report to MLflow, or on other processes than the
    first): started here unless one is active already (then it is used, and left open)."""
    if not reports_to_mlflow(training_args) or training_args.process_index != 0:
        yield None
        return
    import mlflow

    experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME")
    if experiment and mlflow.active_run() is None:
        mlflow.set_experiment(experiment)
    started = mlflow.active_run() is None
    run = mlflow.start_run(run_name=training_args.run_name) if started else mlflow.active_run()
    logger.info(f"MLflow run {run.info.run_id} at {mlflow.get_tracking_uri()}")
    try:
        yield run
    except BaseException:
        if started:
            mlflow.end_run(status="FAILED")
        raise
    if started:
        mlflow.end_run()


def log_run_outputs(run, output_dir: str, results: dict) -> None:
    """Every numeric final metric of `results`, and the plots, model card and metric files of `output_dir`."""
    if run is None:
        return
    import mlflow

    metrics = {
        key: float(value)
        for key, value in results.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }
    mlflow.log_metrics(metrics, run_id=run.info.run_id)
    for name in LOGGED_FILES:
        path = os.path.join(output_dir, name)
        if os.path.isfile(path):
            mlflow.log_artifact(path, run_id=run.info.run_id)
    plots = os.path.join(output_dir, PLOTS_DIR)
    if os.path.isdir(plots):
        mlflow.log_artifacts(plots, artifact_path=PLOTS_DIR, run_id=run.info.run_id)
