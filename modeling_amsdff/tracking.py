# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Experiment tracking with MLflow (`--report_to mlflow`) and Weights & Biases (`--report_to wandb`): one tracked
run per `train.py` run in each.

The Trainer's own `MLflowCallback` and `WandbCallback` log the training arguments and the model's config as
parameters and every log as metrics (the loss components and expert shares included: `LossComponentsCallback` puts
them in the logs first). This module opens the runs around the whole of `train.py` (so that the callbacks log into
them rather than opening and closing their own), then adds what the callbacks do not see: every final metric (test
metrics, cross-validation means and standard deviations), and the run's plots, model card and metric files as files
of the run; a run that fails ends failed. With `--mlflow_registered_model_name NAME`, the final model (the files a
push would publish: weights, code, processor, card, plots) becomes a new version of the registered model NAME.

Where runs go is each tool's own setting, as for any of its users. MLflow: `MLFLOW_TRACKING_URI` (e.g.
`sqlite:///runs/mlflow.db`, or a server), else MLflow's default (the local SQLite file `mlflow.db` in the working
folder; `mlflow ui` shows it); `MLFLOW_EXPERIMENT_NAME` picks the experiment. Weights & Biases: `WANDB_PROJECT`
(default "huggingface", as the Trainer's callback), `WANDB_MODE=offline` keeps the run in `./wandb` (or
`WANDB_DIR`) for a later `wandb sync`. Not copied to the Hub with a model."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from urllib.parse import urlparse
from urllib.request import url2pathname

from .hub import RUN_CARD_NAMES, files_the_run_did_not_write, stage
from .output_dir import RUN, describe_files, record_folder
from .plots import PLOTS_DIR


logger = logging.getLogger("train")

LOGGED_FILES = (
    *RUN_CARD_NAMES,
    "all_results.json",
    "predict_results.json",
    "eval_results.json",
    "cross_validation_results.json",
    "hyperparameter_search.json",
)


def reports_to(training_args, tracker: str) -> bool:
    return tracker in (training_args.report_to or [])


def check_tracking(training_args) -> None:
    """The tracking flags, checked before anything is loaded, each failure in one clear line: the tool installed, an
    MLflow tracking store it can write (`check_tracking_store`), Weights & Biases logged in unless offline
    (`check_wandb_login`), and a registered model name only for a run that reports to MLflow and trains."""
    for tracker, name in (("mlflow", "MLflow"), ("wandb", "wandb")):
        if reports_to(training_args, tracker):
            try:
                __import__(tracker)
            except ImportError:
                raise ValueError(
                    f"--report_to {tracker} needs {name}: pip install 'modeling_amsdff[tracking]'."
                ) from None
    registered = training_args.mlflow_registered_model_name
    if registered is not None:
        if not registered.strip():
            raise ValueError("--mlflow_registered_model_name is empty: give the registered model's name.")
        if not reports_to(training_args, "mlflow"):
            raise ValueError("--mlflow_registered_model_name registers into MLflow: it needs --report_to mlflow.")
        if not training_args.do_train or training_args.hyperparameter_search_only:
            raise ValueError(
                "--mlflow_registered_model_name registers the model a run trains: it needs --do_train (and a final "
                "training, not --hyperparameter_search_only)."
            )
    if training_args.process_index != 0:
        return
    if reports_to(training_args, "mlflow"):
        check_tracking_store()
    if reports_to(training_args, "wandb"):
        check_wandb_login()


def check_wandb_login() -> None:
    """An online Weights & Biases run needs an API key: asked for on a terminal as `wandb login` does, else one line
    that says how to log in or to run offline. Offline and disabled runs need none."""
    if os.environ.get("WANDB_MODE", "").lower() in ("offline", "dryrun", "disabled") or os.environ.get(
        "WANDB_DISABLED", ""
    ).lower() in ("1", "true"):
        return
    import wandb

    try:
        wandb.login(verify=False)
    except wandb.errors.UsageError as error:
        raise ValueError(
            f"--report_to wandb: {error} (or set WANDB_API_KEY), or set WANDB_MODE=offline to keep the run on disk "
            "and `wandb sync` it later."
        ) from None


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
    if not reports_to(training_args, "mlflow") or training_args.process_index != 0:
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


@contextmanager
def wandb_run(training_args):
    """The Weights & Biases run of a `train.py` run (None when it does not report to wandb, or on other processes than
    the first): started here, in the project the Trainer's `WandbCallback` would use, unless one is active already
    (then it is used, and left open). Search trials and cross-validation folds report nothing (`side_run_arguments`):
    the run holds the final training."""
    if not reports_to(training_args, "wandb") or training_args.process_index != 0:
        yield None
        return
    import wandb

    started = wandb.run is None
    if started:
        try:
            run = wandb.init(project=os.getenv("WANDB_PROJECT", "huggingface"), name=training_args.run_name)
        except (wandb.errors.UsageError, wandb.errors.CommError) as error:
            raise ValueError(
                f"--report_to wandb could not start a run: {error}. Check the network and `wandb login`, or set "
                "WANDB_MODE=offline to keep the run on disk and `wandb sync` it later."
            ) from None
        logger.info(
            f"Weights & Biases run {run.id} in {run.dir}" if run.offline else f"Weights & Biases run {run.url}"
        )
    try:
        yield wandb.run
    except BaseException:
        if started and wandb.run is not None:
            wandb.finish(exit_code=1)
        raise
    if started and wandb.run is not None:
        wandb.finish()


@contextmanager
def tracked_runs(training_args):
    """The run's MLflow and Weights & Biases runs, as far as it reports to them (`mlflow_run`, `wandb_run`)."""
    with mlflow_run(training_args) as mlflow_tracked, wandb_run(training_args) as wandb_tracked:
        yield {"mlflow": mlflow_tracked, "wandb": wandb_tracked}


def final_metrics(results: dict) -> dict[str, float]:
    return {
        key: float(value)
        for key, value in results.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }


def run_files(output_dir: str) -> list[str]:
    """The files of `output_dir` that a tracked run keeps (relative paths): the card, the metric files, the plots;
    only those the run wrote (not a README.md of the owner's, `files_the_run_did_not_write`)."""
    names = [name for name in LOGGED_FILES if os.path.isfile(os.path.join(output_dir, name))]
    plots = os.path.join(output_dir, PLOTS_DIR)
    if os.path.isdir(plots):
        names += [
            f"{PLOTS_DIR}/{name}" for name in sorted(os.listdir(plots)) if os.path.isfile(os.path.join(plots, name))
        ]
    others = set(files_the_run_did_not_write(output_dir))
    return [name for name in names if name not in others]


def log_run_outputs(runs: dict, output_dir: str, results: dict, registered_model_name: str | None = None) -> None:
    """Every numeric final metric of `results`, and the plots, model card and metric files of `output_dir`, in each
    tracked run; then the final model registered in MLflow when a name is given. Only files the run wrote: its
    manifest is brought up to date first (`record_folder`), and files that appeared otherwise are left out."""
    if runs["mlflow"] is None and runs["wandb"] is None:
        return
    record_folder(output_dir, RUN, keep_in_progress=True)
    if runs["mlflow"] is not None:
        log_to_mlflow(runs["mlflow"], output_dir, results)
        if registered_model_name:
            register_model(runs["mlflow"], output_dir, registered_model_name)
    if runs["wandb"] is not None:
        log_to_wandb(runs["wandb"], output_dir, results)


def log_to_mlflow(run, output_dir: str, results: dict) -> None:
    import mlflow

    mlflow.log_metrics(final_metrics(results), run_id=run.info.run_id)
    for name in run_files(output_dir):
        folder = os.path.dirname(name) or None
        mlflow.log_artifact(os.path.join(output_dir, name), artifact_path=folder, run_id=run.info.run_id)


def log_to_wandb(run, output_dir: str, results: dict) -> None:
    """Into the Weights & Biases run: the final metrics in its summary, the files copied into the run's folder (kept
    with an offline run until it is synced) and saved."""
    run.summary.update(final_metrics(results))
    for name in run_files(output_dir):
        copy = os.path.join(run.dir, name)
        os.makedirs(os.path.dirname(copy), exist_ok=True)
        shutil.copyfile(os.path.join(output_dir, name), copy)
        run.save(copy, base_path=run.dir, policy="now")


def register_model(run, output_dir: str, name: str) -> None:
    """The final model of `output_dir` (the files a Hub push would publish: `hub.stage`) logged under the run's
    artifact path `model`, then registered as a new version of the registered model `name` (created when new), its
    description the model card's text."""
    others = files_the_run_did_not_write(output_dir)
    if others:
        logger.warning(
            f"The model was not registered as {name!r}: {output_dir} holds files train.py did not write there "
            f"({describe_files(others)}), which the registered model would publish. Move them out and register the "
            "folder's model yourself."
        )
        return
    import mlflow
    from huggingface_hub import ModelCard
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode
    from mlflow.tracking import MlflowClient

    run_id = run.info.run_id
    with tempfile.TemporaryDirectory() as staging:
        mlflow.log_artifacts(stage(output_dir, os.path.join(staging, "model")), artifact_path="model", run_id=run_id)
    client = MlflowClient()
    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if error.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
    card = os.path.join(output_dir, RUN_CARD_NAMES[0])
    with open(os.path.join(output_dir, "config.json")) as handle:
        model_type = json.load(handle).get("model_type", "")
    version = client.create_model_version(
        name,
        source=f"{run.info.artifact_uri}/model",
        run_id=run_id,
        description=ModelCard.load(card).text if os.path.isfile(card) else None,
        tags={"model_type": model_type},
    )
    logger.info(f"Registered the model as version {version.version} of {name!r} in {mlflow.get_tracking_uri()}")
