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
from contextlib import contextmanager

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
    """`--report_to mlflow` without MLflow installed: one clear line, before anything is loaded."""
    if reports_to_mlflow(training_args):
        try:
            import mlflow  # noqa: F401
        except ImportError:
            raise ValueError("--report_to mlflow needs MLflow: pip install 'modeling_amsdff[tracking]'.") from None


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
